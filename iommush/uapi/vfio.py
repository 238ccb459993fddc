"""``include/uapi/linux/vfio.h``: the ioctls a VFIO user (QEMU, ``vfio-claim``) issues.

Numbers are the real ones (``_IO(VFIO_TYPE, VFIO_BASE + n)``); argument structures are
small mutable dataclasses standing in for the C structs the ioctl fills in.

>>> hex(VFIO_GROUP_GET_STATUS)
'0x3b67'
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "VFIO_API_VERSION",
    "VFIO_CHECK_EXTENSION",
    "VFIO_DEVICE_ATTACH_IOMMUFD_PT",
    "VFIO_DEVICE_BIND_IOMMUFD",
    "VFIO_DEVICE_DETACH_IOMMUFD_PT",
    "VFIO_DEVICE_GET_INFO",
    "VFIO_DEVICE_RESET",
    "VFIO_DMA_MAP_FLAG_READ",
    "VFIO_DMA_MAP_FLAG_WRITE",
    "VFIO_GET_API_VERSION",
    "VFIO_GROUP_FLAGS_CONTAINER_SET",
    "VFIO_GROUP_FLAGS_VIABLE",
    "VFIO_GROUP_GET_DEVICE_FD",
    "VFIO_GROUP_GET_STATUS",
    "VFIO_GROUP_SET_CONTAINER",
    "VFIO_GROUP_UNSET_CONTAINER",
    "VFIO_IOMMU_GET_INFO",
    "VFIO_IOMMU_MAP_DMA",
    "VFIO_IOMMU_UNMAP_DMA",
    "VFIO_NOIOMMU_IOMMU",
    "VFIO_SET_IOMMU",
    "VFIO_TYPE1_IOMMU",
    "VFIO_TYPE1v2_IOMMU",
    "VfioDeviceBindIommufd",
    "VfioDmaMap",
    "VfioDmaUnmap",
    "VfioGroupStatus",
    "VfioIommuInfo",
]

VFIO_API_VERSION = 0
VFIO_TYPE = ord(";")
VFIO_BASE = 100


def _io(nr: int) -> int:
    """``_IO(VFIO_TYPE, VFIO_BASE + nr)``."""
    return (VFIO_TYPE << 8) | (VFIO_BASE + nr)


VFIO_TYPE1_IOMMU = 1
VFIO_SPAPR_TCE_IOMMU = 2
VFIO_TYPE1v2_IOMMU = 3
VFIO_NOIOMMU_IOMMU = 8

VFIO_GET_API_VERSION = _io(0)
VFIO_CHECK_EXTENSION = _io(1)
VFIO_SET_IOMMU = _io(2)
VFIO_GROUP_GET_STATUS = _io(3)
VFIO_GROUP_SET_CONTAINER = _io(4)
VFIO_GROUP_UNSET_CONTAINER = _io(5)
VFIO_GROUP_GET_DEVICE_FD = _io(6)
VFIO_DEVICE_GET_INFO = _io(7)
VFIO_DEVICE_RESET = _io(11)
VFIO_IOMMU_GET_INFO = _io(12)
VFIO_IOMMU_MAP_DMA = _io(13)
VFIO_IOMMU_UNMAP_DMA = _io(14)
VFIO_DEVICE_BIND_IOMMUFD = _io(18)
VFIO_DEVICE_ATTACH_IOMMUFD_PT = _io(19)
VFIO_DEVICE_DETACH_IOMMUFD_PT = _io(20)

VFIO_GROUP_FLAGS_VIABLE = 1 << 0
VFIO_GROUP_FLAGS_CONTAINER_SET = 1 << 1

VFIO_DMA_MAP_FLAG_READ = 1 << 0
VFIO_DMA_MAP_FLAG_WRITE = 1 << 1


@dataclass
class VfioGroupStatus:
    """``struct vfio_group_status``: the kernel fills ``flags``."""

    flags: int = 0


@dataclass
class VfioIommuInfo:
    """``struct vfio_iommu_type1_info``: page sizes and usable IOVA ranges."""

    flags: int = 0
    iova_pgsizes: int = 0
    iova_ranges: list[tuple[int, int]] | None = None


@dataclass
class VfioDmaMap:
    """``struct vfio_iommu_type1_dma_map``."""

    vaddr: int
    iova: int
    size: int
    flags: int = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE


@dataclass
class VfioDmaUnmap:
    """``struct vfio_iommu_type1_dma_unmap``: the kernel sets ``size`` to what it unmapped."""

    iova: int
    size: int
    flags: int = 0


@dataclass
class VfioDeviceBindIommufd:
    """``struct vfio_device_bind_iommufd``: ``iommufd`` < 0 means no-IOMMU; out: ``out_devid``."""

    iommufd: int
    out_devid: int = 0
