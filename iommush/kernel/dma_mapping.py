"""The DMA API as a bound driver reaches it (kernel/dma/mapping.c ``dma_map_page_attrs``
-> ``iommu_dma_map_page`` or ``dma_direct_map_page``), and the lifetime of every
DMA-API domain's IOVA cookie.

Which path a mapping takes follows the device's group: no IOMMU (or a driver without
default domains) -> dma-direct, the physical address; an identity default domain ->
the physical address too; a DMA/DMA-FQ default domain -> an IOVA from the domain's
cookie; a group owned by user space (blocking or VFIO domain attached) refuses.

``sync_domains`` follows the groups' default domains: a new DMA-API default domain gets
its cookie (``iommu_setup_dma_ops`` -> ``iommu_dma_init_domain``), one that was
replaced or released loses it (``iommu_domain_free`` -> ``iommu_put_dma_cookie``), an
in-place DMA -> DMA-FQ upgrade gets its flush queue (``iommu_dma_init_fq``). The IOMMU
core calls it after every path that sets up or frees a default domain.
"""

from __future__ import annotations

import copy
import errno
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, NamedTuple

from .dma_iommu import (
    IommuDmaCookie,
    clone_iova_domain,
    iommu_dma_init_domain,
    iommu_dma_init_fq,
    iommu_dma_map,
    iommu_dma_unmap,
    iommu_put_dma_cookie,
)
from .domain import (
    IOMMU_DOMAIN_BLOCKED,
    IOMMU_DOMAIN_DMA_API_BIT,
    IOMMU_DOMAIN_DMA_FQ,
    IOMMU_DOMAIN_IDENTITY,
    IOMMU_DOMAIN_PAGING_BIT,
    IommuDomain,
    domain_type_name,
    iommu_is_dma_domain,
)
from .errors import KernelError
from .resv import IOMMU_READ, IOMMU_WRITE

if TYPE_CHECKING:
    from iommush.iova import IovaDomain

    from .device import KernelDevice
    from .iommu_group import IommuGroup
    from .kernel import Kernel

__all__ = ["DmaMapping", "DmaSubsystem", "SpaceRegion"]

IOMMU_CACHE = 4
_PAGE = 4096
_LOW_RAM = 0x100000  # the first MiB is firmware's
_PCI_HOLE = 0xC0000000  # x86: RAM above 3 GiB is remapped above 4 GiB
_PAGING_DMA_API = IOMMU_DOMAIN_PAGING_BIT | IOMMU_DOMAIN_DMA_API_BIT


class DmaMapping(NamedTuple):
    """One streaming mapping a driver holds (``dma_map_single`` result)."""

    dev: str
    dma_addr: int
    size: int  #: bytes the driver asked for
    mapped: int  #: bytes mapped (granule-aligned); 0 for dma-direct/identity
    phys: int
    path: str  #: "iova", "identity" or "direct"
    domain: int  #: the domain's id (0 for dma-direct)


class SpaceRegion(NamedTuple):
    """A run of a domain's IOVA space as ``dma space`` shows it (inclusive end)."""

    start: int
    end: int
    kind: str  #: free, reserved, mapped, cached, queued
    label: str


class DmaSubsystem:
    """Cookies of the DMA-API domains, drivers' streaming mappings, their buffers."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.cookies: dict[IommuDomain, IommuDmaCookie] = {}
        #: ``dev->iommu->pci_32bit_workaround`` (6.4+), per ``struct dev_iommu``.
        self.sac: weakref.WeakKeyDictionary[object, bool] = weakref.WeakKeyDictionary()
        self.maps: dict[str, dict[int, DmaMapping]] = {}
        #: Called after cookies came or went (the debugfs view rebuilds its directories).
        self.on_change: list[Callable[[], None]] = []
        mem = max(kernel.spec.memory, 64 << 20)
        #: The top of RAM (the PCI hole moves what lies above 3 GiB up past 4 GiB).
        self._ram_top = mem if mem <= _PCI_HOLE else mem + (0x100000000 - _PCI_HOLE)
        self._ram_top_pfn = self._ram_top // _PAGE - 1
        #: The page frames of RAM (:attr:`_ram`), made when the first buffer is.
        self._ram_frames: IovaDomain | None = None

    def __deepcopy__(self, memo: dict[int, object]) -> DmaSubsystem:
        """A copied kernel gets copied cookies and buffers (the C allocators are
        rebuilt range by range) and keeps each device's 32-bit workaround state."""
        new = DmaSubsystem.__new__(DmaSubsystem)
        memo[id(self)] = new
        for name, value in self.__dict__.items():
            if name == "_ram_frames":
                new._ram_frames = clone_iova_domain(value) if value is not None else None
            elif name == "sac":
                new.sac = weakref.WeakKeyDictionary(
                    {copy.deepcopy(k, memo): v for k, v in value.items()}
                )
            else:
                setattr(new, name, copy.deepcopy(value, memo))
        return new

    # -- physical buffers -------------------------------------------------------------
    @property
    def _ram(self) -> IovaDomain:
        """Page frames of RAM, from 1 MiB to the top of memory, the PCI hole skipped
        (the allocator is made when the first buffer is: booting needs none)."""
        ram = self._ram_frames
        if ram is None:
            from iommush.iova import IovaDomain

            ram = self._ram_frames = IovaDomain(_PAGE, _LOW_RAM // _PAGE)
            if self._ram_top > _PCI_HOLE:
                ram.reserve(_PCI_HOLE // _PAGE, 0xFFFFFFFF // _PAGE)
        return ram

    def _alloc_buffer(self, size: int, limit: int) -> int:
        """A page-aligned buffer below ``limit`` (``kmalloc``/``alloc_pages`` with the
        zone a driver's mask needs); ENOMEM when RAM below it is exhausted."""
        pages = (size + _PAGE - 1) // _PAGE
        limit_pfn = min(self._ram_top_pfn, limit // _PAGE)
        pfn = None
        if limit_pfn >= self._ram.start_pfn:
            pfn = self._ram.alloc(pages, limit_pfn, size_aligned=False)
        if pfn is None:
            raise KernelError(errno.ENOMEM, "out of memory below the DMA mask")
        return pfn * _PAGE

    def _free_buffer(self, phys: int) -> None:
        self._ram.free(phys // _PAGE)

    # -- cookies ----------------------------------------------------------------------
    def sync_domains(self) -> None:
        """Give every DMA-API default domain its cookie, take it from domains no group
        uses any more, and set up the flush queue of a domain upgraded to DMA-FQ."""
        live: dict[IommuDomain, IommuGroup] = {}
        for group in self.kernel.iommu.groups.values():
            d = group.default_domain
            # a paging DMA-API domain (``is_paging`` and ``iommu_is_dma_domain``)
            if d is not None and d.type & _PAGING_DMA_API == _PAGING_DMA_API and group.devices:
                if group.devices[0].dev.iommu is not None:
                    live.setdefault(d, group)
        changed = False
        for dom in [d for d in self.cookies if d not in live]:
            self._put(dom)
            changed = True
        for dom, group in live.items():
            cookie = self.cookies.get(dom)
            if cookie is None:
                self.cookies[dom] = iommu_dma_init_domain(self.kernel, dom, group)
                changed = True
            elif dom.type == IOMMU_DOMAIN_DMA_FQ and cookie.fq is None:
                iommu_dma_init_fq(cookie)
                changed = True
        if changed:
            for fn in list(self.on_change):
                fn()

    def _put(self, dom: IommuDomain) -> None:
        cookie = self.cookies.pop(dom)
        iommu_put_dma_cookie(cookie)
        for table in self.maps.values():
            for addr in [a for a, m in table.items() if m.domain == dom.id]:
                self._free_buffer(table.pop(addr).phys)

    def cookie_of(self, dev: KernelDevice) -> IommuDmaCookie | None:
        """The cookie of ``dev``'s default domain, if it is a DMA-API domain."""
        group = dev.iommu_group
        dom = group.default_domain if group is not None else None
        if dom is None or not dom.is_paging or not iommu_is_dma_domain(dom.type):
            return None
        cookie = self.cookies.get(dom)
        if cookie is None or (dom.type == IOMMU_DOMAIN_DMA_FQ and cookie.fq is None):
            self.sync_domains()
            cookie = self.cookies.get(dom)
        return cookie

    def group_of(self, cookie: IommuDmaCookie) -> IommuGroup | None:
        for group in self.kernel.iommu.groups.values():
            if group.default_domain is cookie.domain:
                return group
        return None

    def groups_by_domain(self) -> dict[int, IommuGroup]:
        """:meth:`group_of` for every cookie at once: ``id(domain)`` -> the first group
        whose default domain it is."""
        out: dict[int, IommuGroup] = {}
        for group in self.kernel.iommu.groups.values():
            if group.default_domain is not None:
                out.setdefault(id(group.default_domain), group)
        return out

    # -- the DMA API ------------------------------------------------------------------
    def dma_map_single(self, dev: KernelDevice, size: int, dma_mask: int) -> DmaMapping:
        """``dma_map_single(dev, buf, size, DMA_BIDIRECTIONAL)`` on a fresh buffer."""
        if size <= 0:
            raise KernelError(errno.EINVAL, "size must be positive")
        group = dev.iommu_group
        domain = group.default_domain if group is not None else None
        if group is not None and group.domain is not domain and group.domain is not None:
            cur = group.domain
            what = "a blocking" if cur.type == IOMMU_DOMAIN_BLOCKED else "a user (VFIO)"
            raise KernelError(errno.EPERM, f"{what} domain is attached: user space owns the group")
        if domain is not None and domain.type == IOMMU_DOMAIN_BLOCKED:
            raise KernelError(errno.EPERM, "the default domain is blocked")
        cookie = self.cookie_of(dev)
        if cookie is None:
            path = (
                "identity"
                if domain is not None and domain.type == IOMMU_DOMAIN_IDENTITY
                else "direct"
            )
            phys = self._alloc_buffer(size, dma_mask)
            m = DmaMapping(dev.name, phys, size, 0, phys, path, 0)
        else:
            phys = self._alloc_buffer(size, 1 << 64)
            prot = IOMMU_READ | IOMMU_WRITE | IOMMU_CACHE
            try:
                addr, mapped = iommu_dma_map(cookie, dev, phys, size, prot, dma_mask, self.sac)
            except KernelError:
                self._free_buffer(phys)
                raise
            m = DmaMapping(dev.name, addr, size, mapped, phys, "iova", cookie.domain.id)
        self.maps.setdefault(dev.name, {})[m.dma_addr] = m
        return m

    def dma_unmap_single(self, dev: KernelDevice, dma_addr: int) -> DmaMapping:
        """``dma_unmap_single(dev, addr, size, dir)`` with the size the map used; EINVAL
        when the device holds no mapping at ``dma_addr``."""
        table = self.maps.get(dev.name, {})
        m = table.get(dma_addr)
        if m is None:
            raise KernelError(errno.EINVAL, f"no mapping at 0x{dma_addr:x}")
        if m.path == "iova":
            cookie = self.cookie_of(dev)
            if cookie is None or cookie.domain.id != m.domain:
                raise KernelError(errno.EINVAL, "the mapping's domain is gone")
            iommu_dma_unmap(cookie, m.dma_addr, m.size)
        del table[dma_addr]
        self._free_buffer(m.phys)
        return m

    def mappings(self, dev: KernelDevice) -> list[DmaMapping]:
        """The streaming mappings ``dev`` holds, by DMA address."""
        self.sync_domains()
        return sorted(self.maps.get(dev.name, {}).values(), key=lambda m: m.dma_addr)

    def owner_of(self, cookie: IommuDmaCookie, iova: int) -> DmaMapping | None:
        for table in self.maps.values():
            m = table.get(iova)
            if m is not None and m.domain == cookie.domain.id:
                return m
        return None

    # -- the IOVA space, for the address map and debugfs -------------------------------
    def space(self, cookie: IommuDmaCookie) -> list[SpaceRegion]:
        """Every byte of ``[0, aperture_end]`` as free, reserved, mapped (an allocated
        range, with who maps what), cached (parked in a range cache) or queued (waiting
        in the flush queue)."""
        shift = cookie.shift
        queued = cookie.queued_pfns()
        out: list[SpaceRegion] = []
        at = 0
        if cookie.iovad.start_pfn:
            out.append(
                SpaceRegion(0, (cookie.iovad.start_pfn << shift) - 1, "reserved", "start_pfn")
            )
            at = cookie.iovad.start_pfn << shift
        for r in cookie.iovad.ranges():
            lo, hi = r.pfn_lo << shift, ((r.pfn_hi + 1) << shift) - 1
            if lo > cookie.aperture_end:
                break
            if lo > at:
                out.append(SpaceRegion(at, lo - 1, "free", ""))
            if r.reserved:
                whats = [v.what for v in cookie.reservations if v.start <= hi and lo <= v.end]
                out.append(SpaceRegion(lo, hi, "reserved", ", ".join(dict.fromkeys(whats))))
            elif r.cached:
                out.append(SpaceRegion(lo, hi, "cached", "range cache"))
            elif r.pfn_lo in queued:
                out.append(SpaceRegion(lo, hi, "queued", "flush queue"))
            else:
                m = self.owner_of(cookie, lo)
                label = f"{m.dev} -> 0x{m.phys:x}" if m is not None else ""
                out.append(SpaceRegion(lo, hi, "mapped", label))
            at = hi + 1
        if at <= cookie.aperture_end:
            out.append(SpaceRegion(at, cookie.aperture_end, "free", ""))
        return out

    def describe(self, cookie: IommuDmaCookie) -> dict[str, str]:
        """Key facts of a cookie (the debugfs ``info`` file, ``dma space`` header)."""
        group = self.group_of(cookie)
        st = cookie.iovad.stats()
        policy = (
            f"lazy (flush queue: {len(cookie.fq)} of {cookie.fq.mod_mask} pending)"
            if cookie.fq is not None
            else "strict"
        )
        return {
            "domain": str(cookie.domain.id),
            "type": domain_type_name(cookie.domain.type),
            "group": str(group.id) if group is not None else "-",
            "devices": " ".join(g.name for g in group.devices) if group is not None else "",
            "granule": str(cookie.granule),
            "start_pfn": f"0x{cookie.iovad.start_pfn:x}",
            "aperture": f"0x0-0x{cookie.aperture_end:x}",
            "policy": policy,
            "ranges": str(st.ranges),
            "cached": str(st.cached),
            "mappings": str(len(cookie.domain.mappings)),
            "iotlb_flushes": str(cookie.flushes),
        }
