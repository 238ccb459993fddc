"""Reserved IOVA regions (``struct iommu_resv_region``) and the group merge of
``drivers/iommu/iommu.c`` (``iommu_insert_resv_region``, identical v6.1 to current).

>>> regions: list[IommuResvRegion] = []
>>> iommu_insert_resv_region(IommuResvRegion(0xFEE00000, 0x100000, 0, IommuResvType.MSI), regions)
>>> iommu_insert_resv_region(IommuResvRegion(0x0, 0x1000000, 3, IommuResvType.DIRECT), regions)
>>> print(format_resv_regions(regions), end="")
0x0000000000000000 0x0000000000ffffff direct
0x00000000fee00000 0x00000000feefffff msi
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum
from typing import NamedTuple

__all__ = [
    "IOMMU_CACHE",
    "IOMMU_MMIO",
    "IOMMU_NOEXEC",
    "IOMMU_PRIV",
    "IOMMU_READ",
    "IOMMU_RESV_DIRECT",
    "IOMMU_RESV_DIRECT_RELAXABLE",
    "IOMMU_RESV_MSI",
    "IOMMU_RESV_RESERVED",
    "IOMMU_RESV_SW_MSI",
    "IOMMU_WRITE",
    "IommuResvRegion",
    "IommuResvType",
    "format_resv_regions",
    "iommu_group_resv_type_string",
    "iommu_insert_resv_region",
]

#: ``include/linux/iommu.h`` protection flags.
IOMMU_READ = 1 << 0
IOMMU_WRITE = 1 << 1
IOMMU_CACHE = 1 << 2
IOMMU_NOEXEC = 1 << 3
IOMMU_MMIO = 1 << 4
IOMMU_PRIV = 1 << 5

#: ``phys_addr_t``/``size_t`` are 64-bit: the kernel's sums wrap at 2**64.
_U64 = (1 << 64) - 1


class IommuResvType(IntEnum):
    """``enum iommu_resv_type`` (``include/linux/iommu.h``)."""

    DIRECT = 0  #: IOMMU_RESV_DIRECT: memory that must stay identity mapped
    DIRECT_RELAXABLE = 1  #: IOMMU_RESV_DIRECT_RELAXABLE: may be dropped for device assignment
    RESERVED = 2  #: IOMMU_RESV_RESERVED: never mapped (e.g. the HyperTransport hole)
    MSI = 3  #: IOMMU_RESV_MSI: hardware MSI window (untranslated)
    SW_MSI = 4  #: IOMMU_RESV_SW_MSI: software-managed MSI window (translated)


#: The members as plain constants, under the kernel's names (a module global is read
#: much faster than an enum member, and the probe paths compare types per device).
IOMMU_RESV_DIRECT = IommuResvType.DIRECT
IOMMU_RESV_DIRECT_RELAXABLE = IommuResvType.DIRECT_RELAXABLE
IOMMU_RESV_RESERVED = IommuResvType.RESERVED
IOMMU_RESV_MSI = IommuResvType.MSI
IOMMU_RESV_SW_MSI = IommuResvType.SW_MSI

#: ``iommu_group_resv_type_string[]``: both MSI kinds print as ``msi``.
iommu_group_resv_type_string: dict[IommuResvType, str] = {
    IommuResvType.DIRECT: "direct",
    IommuResvType.DIRECT_RELAXABLE: "direct-relaxable",
    IommuResvType.RESERVED: "reserved",
    IommuResvType.MSI: "msi",
    IommuResvType.SW_MSI: "msi",
}


class _ResvRegionFields(NamedTuple):
    start: int
    length: int
    prot: int
    type: IommuResvType


class IommuResvRegion(_ResvRegionFields):
    """``struct iommu_resv_region``: ``length`` bytes from ``start``, ``prot``, ``type``."""

    __slots__ = ()

    def __new__(cls, start: int, length: int, prot: int, type: int) -> IommuResvRegion:
        if not 0 <= start <= _U64 or not 0 <= length <= _U64:
            raise ValueError("a reserved region lies within the 64-bit address space")
        return super().__new__(cls, start, length, prot, IommuResvType(type))

    @property
    def end(self) -> int:
        """The last byte of the region (``start + length - 1``, as ``reserved_regions``
        prints it; 64-bit wrap-around as in the kernel)."""
        return (self.start + self.length - 1) & _U64


def iommu_insert_resv_region(new: IommuResvRegion, regions: list[IommuResvRegion]) -> None:
    """``iommu_insert_resv_region(new, regions)``: insert a copy of ``new``, then merge.

    1. Insert ``new`` before the first element with a greater start, or with the same start
       and a type >= its own (so the list stays sorted by start, then type).
    2. Walk the list, moving elements to a stack. An element whose type differs from
       ``new.type`` moves unchanged. An element of ``new.type`` is compared with the last
       stack element of that type (``top``): if it starts more than one byte past
       ``top``'s end it moves, otherwise ``top`` is stretched to cover both and the element
       is dropped (``top`` keeps its own ``prot``).
    3. The stack becomes the list.
    """
    nr = new  # the kernel's kmemdup: regions are immutable here, so sharing is copying
    if not regions:
        regions.append(nr)  # nothing to sort against or merge with
        return
    index = len(regions)
    for i, it in enumerate(regions):
        if nr.start < it.start or (nr.start == it.start and nr.type <= it.type):
            index = i
            break
    regions.insert(index, nr)

    stack: list[IommuResvRegion] = []
    for it in regions:
        if it.type != new.type:
            stack.append(it)
            continue
        top_i = next((j for j in range(len(stack) - 1, -1, -1) if stack[j].type == it.type), None)
        if top_i is None:
            stack.append(it)
            continue
        top = stack[top_i]
        top_end = (top.start + top.length - 1) & _U64
        it_end = (it.start + it.length - 1) & _U64
        if it.start > ((top_end + 1) & _U64):
            stack.append(it)
        else:
            length = (max(top_end, it_end) - top.start + 1) & _U64
            stack[top_i] = top._replace(length=length)
    regions[:] = stack


def format_resv_regions(regions: Iterable[IommuResvRegion]) -> str:
    """The text of a group's ``reserved_regions`` file (``iommu_group_show_resv_regions``):
    ``"0x%016llx 0x%016llx %s\\n"`` with start, inclusive end and type string."""
    return "".join(
        f"0x{r.start:016x} 0x{r.end:016x} {iommu_group_resv_type_string[r.type]}\n" for r in regions
    )
