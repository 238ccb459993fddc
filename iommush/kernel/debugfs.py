"""``/sys/kernel/debug/iommu/dma/``: iommush's own debugfs view of the dma-iommu layer.

Linux has no such files (its ``/sys/kernel/debug/iommu/`` holds driver dumps such as
``intel/`` and ``amd/``); iommush adds this directory so the IOVA side of every DMA-API
domain can be read like any other kernel state. ``README`` says so to whoever lists it.

One directory per DMA or DMA-FQ domain that has an IOVA cookie, named by the domain's
id, appears and disappears with the domain (a group's type change tears one down and
builds another):

* ``info`` -- ``key: value`` lines: type, group, devices, granule, policy, counts;
* ``iova`` -- every range of the IOVA tree, ``start-end kind label`` (kinds: reserved,
  mapped, cached = parked in a range cache, queued = waiting in the flush queue);
* ``mappings`` -- the page table, ``iova-end paddr prot owner`` (owner ``direct`` for
  firmware 1:1 mappings such as RMRRs);
* ``flush_queue`` -- the counters and pending entries of a DMA-FQ domain;
* ``group`` -- a link to the group's directory in ``/sys/kernel/iommu_groups``.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from iommush.vfs import Attribute, Dir, Link
from iommush.vfs.node import LazyDir

if TYPE_CHECKING:
    from .dma_iommu import IommuDmaCookie
    from .dma_mapping import DmaSubsystem

__all__ = ["IommuDebugfs", "README"]

#: The files of a domain's directory (all but the ``group`` link).
_DOMAIN_FILES = frozenset({"info", "iova", "mappings", "flush_queue"})
#: The files of the ``dma`` directory besides the domains' directories.
_ROOT_FILES = frozenset({"README"})

README = """\
iommush: this directory is iommush's own view of the dma-iommu layer, not a Linux
interface. One directory per DMA/DMA-FQ domain (named by domain id) holds:
  info         type, group, devices, IOVA granule, strict/lazy policy, counts
  iova         the ranges of the domain's IOVA allocator (reserved, mapped, cached, queued)
  mappings     the domain's page table: iova range, physical address, prot, owner
  flush_queue  the DMA-FQ flush queue: counters and pending frees
  group        link to /sys/kernel/iommu_groups/<group>
"""


class IommuDebugfs:
    """The ``dma`` directory under ``/sys/kernel/debug/iommu`` and its domain dirs."""

    def __init__(self, dma: DmaSubsystem, sys_kernel: Dir) -> None:
        self.dma = dma
        debug = sys_kernel.get("debug")
        if debug is None:
            debug = sys_kernel.add(Dir("debug", 0o700))
        assert isinstance(debug, Dir)
        iommu = debug.ensure_dir("iommu")
        # The directory is filled the first time anyone looks at it (a machine with
        # thousands of groups boots with thousands of domains nobody lists): until then
        # a refresh only tells it which names it will hold.
        self.root = LazyDir("dma")
        iommu.add(self.root)
        self.root.defer(self._fill_root, _ROOT_FILES)
        self.dirs: dict[int, Dir] = {}
        dma.on_change.append(self.refresh)

    def _fill_root(self, root: Dir) -> None:
        root.add(Attribute("README", 0o444, show=lambda: README))
        self._refresh()

    def refresh(self) -> None:
        """The cookies changed: bring the domains' directories up to date (before the
        ``dma`` directory is first looked at, only the names it will hold)."""
        if not self.root.filled:
            live = [str(c.domain.id) for c in self.dma.cookies.values()]
            self.root.defer(self._fill_root, _ROOT_FILES.union(live), len(live))
            return
        self._refresh()

    def _refresh(self) -> None:
        """Add a directory for each new cookie, remove those whose domain went away."""
        live = {c.domain.id: c for c in self.dma.cookies.values()}
        for did in [d for d in self.dirs if d not in live]:
            self.root.remove(str(did))
            del self.dirs[did]
        group_of = self.dma.groups_by_domain()
        for did, cookie in live.items():
            d = self.dirs.get(did)
            group = group_of.get(id(cookie.domain))
            target = group.kobj if group is not None else None
            if d is None:
                # the four files are made when the directory is first looked at
                d = self.root.add(LazyDir(str(did)))
                d.defer(partial(self._domain_files, cookie), _DOMAIN_FILES)
                self.dirs[did] = d
                if target is not None:
                    d.add(Link("group", target))
                continue
            link = d.get("group")
            if link is not None and (not isinstance(link, Link) or link.target is not target):
                d.remove("group")
                link = None
            if link is None and target is not None:
                d.add(Link("group", target))

    def _domain_files(self, cookie: IommuDmaCookie, d: Dir) -> None:
        d.add(Attribute("info", 0o444, show=partial(self.show_info, cookie)))
        d.add(Attribute("iova", 0o444, show=partial(self.show_iova, cookie)))
        d.add(Attribute("mappings", 0o444, show=partial(self.show_mappings, cookie)))
        d.add(Attribute("flush_queue", 0o444, show=partial(self.show_fq, cookie)))

    # -- files --------------------------------------------------------------------------
    def show_info(self, cookie: IommuDmaCookie) -> str:
        self.dma.sync_domains()
        return "".join(f"{k}: {v}\n" for k, v in self.dma.describe(cookie).items())

    def show_iova(self, cookie: IommuDmaCookie) -> str:
        self.dma.sync_domains()
        lines = []
        for r in self.dma.space(cookie):
            if r.kind == "free" or r.label == "start_pfn":
                continue
            lines.append(f"0x{r.start:016x}-0x{r.end:016x} {r.kind:<8} {r.label}".rstrip())
        return "".join(f"{line}\n" for line in lines)

    def show_mappings(self, cookie: IommuDmaCookie) -> str:
        from .iommu_map import page_table, prot_str

        self.dma.sync_domains()
        out = []
        for iova, (paddr, size, prot) in page_table(cookie.domain).in_order():
            m = self.dma.owner_of(cookie, iova)
            owner = m.dev if m is not None else ("direct" if iova == paddr else "-")
            out.append(
                f"0x{iova:016x}-0x{iova + size - 1:016x} 0x{paddr:016x} {prot_str(prot)} {owner}\n"
            )
        return "".join(out)

    def show_fq(self, cookie: IommuDmaCookie) -> str:
        self.dma.sync_domains()
        fq = cookie.fq
        if fq is None:
            return "strict: no flush queue (IOVAs are freed at unmap)\n"
        timer = cookie.fq_timer
        armed = f"armed, expires at {timer.expires:.6f}" if timer is not None else "idle"
        lines = [
            f"size: {fq.mod_mask + 1}\n",
            f"pending: {len(fq)}\n",
            f"flush_start_cnt: {cookie.fq_flush_start_cnt}\n",
            f"flush_finish_cnt: {cookie.fq_flush_finish_cnt}\n",
            f"full_flushes: {cookie.full_flushes}\n",
            f"timer_flushes: {cookie.timer_flushes}\n",
            f"timer: {armed}\n",
        ]
        shift = cookie.shift
        for e in fq.pending():
            lo = e.iova_pfn << shift
            hi = ((e.iova_pfn + e.pages) << shift) - 1
            lines.append(f"0x{lo:016x}-0x{hi:016x} counter={e.counter}\n")
        return "".join(lines)
