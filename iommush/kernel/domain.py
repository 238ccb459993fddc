"""``struct iommu_domain`` and the domain type bits of ``include/linux/iommu.h``.

>>> hex(IOMMU_DOMAIN_DMA_FQ)
'0xb'
>>> domain_type_name(IOMMU_DOMAIN_DMA_FQ), iommu_domain_type_str(IOMMU_DOMAIN_IDENTITY)
('DMA-FQ', 'Passthrough')
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .hw.base import IommuOps

__all__ = [
    "IOMMU_DOMAIN_BLOCKED",
    "IOMMU_DOMAIN_DMA",
    "IOMMU_DOMAIN_DMA_FQ",
    "IOMMU_DOMAIN_IDENTITY",
    "IOMMU_DOMAIN_PLATFORM",
    "IOMMU_DOMAIN_UNMANAGED",
    "IommuDomain",
    "domain_type_name",
    "iommu_domain_type_str",
    "iommu_is_dma_domain",
    "IOMMU_DOMAIN_DMA_API_BIT",
    "IOMMU_DOMAIN_PAGING_BIT",
]

IOMMU_DOMAIN_PAGING_BIT = 1 << 0
IOMMU_DOMAIN_DMA_API_BIT = 1 << 1
IOMMU_DOMAIN_PT_BIT = 1 << 2
IOMMU_DOMAIN_DMA_FQ_BIT = 1 << 3
IOMMU_DOMAIN_PLATFORM_BIT = 1 << 5

IOMMU_DOMAIN_BLOCKED = 0
IOMMU_DOMAIN_IDENTITY = IOMMU_DOMAIN_PT_BIT
IOMMU_DOMAIN_UNMANAGED = IOMMU_DOMAIN_PAGING_BIT
IOMMU_DOMAIN_DMA = IOMMU_DOMAIN_PAGING_BIT | IOMMU_DOMAIN_DMA_API_BIT
IOMMU_DOMAIN_DMA_FQ = IOMMU_DOMAIN_PAGING_BIT | IOMMU_DOMAIN_DMA_API_BIT | IOMMU_DOMAIN_DMA_FQ_BIT
IOMMU_DOMAIN_PLATFORM = IOMMU_DOMAIN_PLATFORM_BIT

_SHOW = {
    IOMMU_DOMAIN_BLOCKED: "blocked",
    IOMMU_DOMAIN_IDENTITY: "identity",
    IOMMU_DOMAIN_UNMANAGED: "unmanaged",
    IOMMU_DOMAIN_DMA: "DMA",
    IOMMU_DOMAIN_DMA_FQ: "DMA-FQ",
}


def domain_type_name(dtype: int | None) -> str:
    """What ``iommu_group_show_type`` prints for a default domain of this type."""
    if dtype is None:
        return "unknown"
    return _SHOW.get(dtype, "unknown")


def iommu_domain_type_str(dtype: int) -> str:
    """``iommu_domain_type_str()``: the words of the boot log and error messages."""
    if dtype == IOMMU_DOMAIN_BLOCKED:
        return "Blocked"
    if dtype == IOMMU_DOMAIN_IDENTITY:
        return "Passthrough"
    if dtype == IOMMU_DOMAIN_UNMANAGED:
        return "Unmanaged"
    if dtype in (IOMMU_DOMAIN_DMA, IOMMU_DOMAIN_DMA_FQ):
        return "Translated"
    if dtype == IOMMU_DOMAIN_PLATFORM:
        return "Platform"
    return "Unknown"


def iommu_is_dma_domain(dtype: int) -> bool:
    """``iommu_is_dma_domain()``: ``type & IOMMU_DOMAIN_DMA_API_BIT``."""
    return bool(dtype & IOMMU_DOMAIN_DMA_API_BIT)


class IommuDomain:
    """``struct iommu_domain``: a type, the driver that allocated it, and its mappings.

    Mappings are ``iova -> (paddr, size, prot)`` as ``iommu_map()`` installed them.
    """

    __slots__ = ("type", "ops", "purpose", "mappings", "fq", "id", "__weakref__")

    def __init__(
        self,
        type: int,
        ops: IommuOps | None,
        purpose: str = "default",
        mappings: dict[int, tuple[int, int, int]] | None = None,
        fq: bool = False,
        id: int = 0,
    ) -> None:
        self.type = type
        self.ops = ops
        #: Who allocated it: "default", "blocking", "user" (VFIO/iommufd), "identity".
        self.purpose = purpose
        self.mappings: dict[int, tuple[int, int, int]] = {} if mappings is None else mappings
        #: A flush queue exists (``iommu_dma_init_fq`` ran).
        self.fq = fq
        #: The number the allocating kernel gave it (``IommuCore.next_domain_id``), which
        #: names its debugfs directory; 0 for a domain made outside a kernel.
        self.id = id

    @property
    def is_paging(self) -> bool:
        return bool(self.type & IOMMU_DOMAIN_PAGING_BIT)

    def iommu_map(self, iova: int, paddr: int, size: int, prot: int) -> None:
        """``iommu_map()``: EINVAL on a non-paging domain or an overlapping range."""
        import errno

        from .errors import KernelError

        if not self.is_paging or size <= 0:
            raise KernelError(errno.EINVAL)
        for start, (_, length, _) in self.mappings.items():
            if iova < start + length and start < iova + size:
                raise KernelError(errno.EEXIST)
        self.mappings[iova] = (paddr, size, prot)

    def iommu_unmap(self, iova: int, size: int) -> int:
        """``iommu_unmap()``: remove mappings starting inside the range, return bytes."""
        done = 0
        for start in sorted(self.mappings):
            paddr, length, _ = self.mappings[start]
            if iova <= start < iova + size:
                del self.mappings[start]
                done += length
        return done

    def __repr__(self) -> str:
        return f"<IommuDomain #{self.id} {domain_type_name(self.type)} {self.purpose}>"
