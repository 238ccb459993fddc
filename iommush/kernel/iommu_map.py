"""A paging domain's page table as a sorted interval map, and ``iommu_map()`` /
``iommu_unmap()`` with their tracepoints (drivers/iommu/iommu.c, v6.3-v6.12).

``IommuDomain.mappings`` is a dict ``iova -> (paddr, size, prot)``. The dma-iommu layer
turns it into an :class:`IommuPageTable` (same dict, plus the sorted list of start
addresses) so that an overlap check or a lookup costs O(log n) however many mappings
the domain holds; code that adds or removes entries with ``d[k] = v``/``del d[k]`` keeps
the order up to date without knowing about it.

>>> from iommush.kernel.domain import IOMMU_DOMAIN_DMA, IommuDomain
>>> d = IommuDomain(IOMMU_DOMAIN_DMA, None)
>>> pt = page_table(d)
>>> pt[0x2000] = (0x5000, 0x1000, 3); pt[0x1000] = (0x9000, 0x1000, 3)
>>> pt.starts, pt.overlapping(0x1800, 0x1000)
([4096, 8192], [4096, 8192])
"""

from __future__ import annotations

import errno
from bisect import bisect_left, bisect_right, insort
from collections.abc import Iterator
from typing import TYPE_CHECKING

from .errors import KernelError
from .printk import KERN_ERR

if TYPE_CHECKING:
    from .domain import IommuDomain
    from .kernel import Kernel

__all__ = ["IommuPageTable", "iommu_map", "iommu_unmap", "page_table", "prot_str"]

_Entry = tuple[int, int, int]


class IommuPageTable(dict[int, _Entry]):
    """``iova -> (paddr, size, prot)`` with the iovas kept sorted (``starts``)."""

    def __init__(self, entries: dict[int, _Entry] | None = None) -> None:
        super().__init__(entries or {})
        self.starts: list[int] = sorted(self)

    def __reduce__(self) -> tuple[type[IommuPageTable], tuple[dict[int, _Entry]]]:
        """Copies and pickles rebuild the order from the entries (tuples of ints)."""
        return (IommuPageTable, (dict(self),))

    def __deepcopy__(self, memo: dict[int, object]) -> IommuPageTable:
        new = IommuPageTable(dict(self))
        memo[id(self)] = new
        return new

    def __setitem__(self, iova: int, entry: _Entry) -> None:
        if iova not in self:
            insort(self.starts, iova)
        super().__setitem__(iova, entry)

    def __delitem__(self, iova: int) -> None:
        super().__delitem__(iova)
        del self.starts[bisect_left(self.starts, iova)]

    def pop(self, iova: int, *default: _Entry) -> _Entry:  # type: ignore[override]
        if iova in self:
            entry = self[iova]
            del self[iova]
            return entry
        if default:
            return default[0]
        raise KeyError(iova)

    def clear(self) -> None:
        super().clear()
        self.starts.clear()

    def setdefault(self, iova: int, default: _Entry) -> _Entry:
        if iova not in self:
            self[iova] = default
        return self[iova]

    def update(self, *args: object, **kwargs: object) -> None:
        raise TypeError("IommuPageTable.update: set entries one by one")

    def overlapping(self, iova: int, size: int) -> list[int]:
        """Start addresses of the entries that share a byte with ``[iova, iova+size)``."""
        starts = self.starts
        i = bisect_left(starts, iova)
        out: list[int] = []
        if i > 0:
            prev = starts[i - 1]
            if prev + self[prev][1] > iova:
                out.append(prev)
        end = iova + size
        j = i
        while j < len(starts) and starts[j] < end:
            out.append(starts[j])
            j += 1
        return out

    def lookup(self, iova: int) -> tuple[int, _Entry] | None:
        """The entry containing byte ``iova`` as ``(start, entry)``, or None."""
        i = bisect_right(self.starts, iova)
        if i == 0:
            return None
        start = self.starts[i - 1]
        entry = self[start]
        return (start, entry) if iova < start + entry[1] else None

    def in_order(self) -> Iterator[tuple[int, _Entry]]:
        for start in self.starts:
            yield start, self[start]


def page_table(domain: IommuDomain) -> IommuPageTable:
    """The domain's mappings as an :class:`IommuPageTable` (converted once, in place)."""
    pt = domain.mappings
    if not isinstance(pt, IommuPageTable):
        pt = IommuPageTable(pt)
        domain.mappings = pt
    return pt


def prot_str(prot: int) -> str:
    """``IOMMU_READ``/``IOMMU_WRITE``/``IOMMU_CACHE`` as ``rwc`` letters."""
    return ("r" if prot & 1 else "-") + ("w" if prot & 2 else "-") + ("c" if prot & 4 else "-")


def _min_pagesz(domain: IommuDomain, kernel: Kernel) -> int:
    """``1 << __ffs(domain->pgsize_bitmap)`` (the bitmap of the unit that made it)."""
    for unit in getattr(domain.ops, "units", ()):
        bitmap = int(unit.spec.pgsize_bitmap)
        if bitmap:
            return bitmap & -bitmap
    return 4096


def iommu_map(
    kernel: Kernel, domain: IommuDomain, iova: int, paddr: int, size: int, prot: int
) -> None:
    """``iommu_map()``: EINVAL on a non-paging domain or a range not aligned to the
    smallest page size (with the kernel's ``pr_err``), EEXIST over a live entry; the
    ``map`` tracepoint fires once per successful call with the caller's arguments."""
    if not domain.is_paging:
        raise KernelError(errno.EINVAL)
    min_pagesz = _min_pagesz(domain, kernel)
    if size <= 0 or (iova | paddr | size) & (min_pagesz - 1):
        kernel.printk.printk(
            f"iommu: unaligned: iova 0x{iova:x} pa 0x{paddr:016x} size 0x{size:x} "
            f"min_pagesz 0x{min_pagesz:x}",
            KERN_ERR,
        )
        raise KernelError(errno.EINVAL)
    pt = page_table(domain)
    if pt.overlapping(iova, size):
        raise KernelError(errno.EEXIST)
    pt[iova] = (paddr, size, prot)
    kernel.trace.map(iova, paddr, size)


def iommu_unmap(kernel: Kernel, domain: IommuDomain, iova: int, size: int) -> int:
    """``__iommu_unmap()``: remove the entries from ``iova`` on, stopping at the first
    hole (``ops->unmap_pages`` returned 0), and return the bytes unmapped; the ``unmap``
    tracepoint records the request and the result. A non-paging domain unmaps nothing
    and traces nothing."""
    if not domain.is_paging:
        return 0
    pt = page_table(domain)
    done = 0
    end = iova + size
    at = iova
    while at < end:
        entry = pt.get(at)
        if entry is None:
            break
        del pt[at]
        done += entry[1]
        at += entry[1]
    kernel.trace.unmap(iova, size, done)
    return done
