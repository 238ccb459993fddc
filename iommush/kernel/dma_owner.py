"""DMA ownership (drivers/iommu/iommu.c, v5.19+): kernel drivers ``use`` the default
domain, user space (VFIO, iommufd) ``claim`` the group and gets the blocking domain."""

from __future__ import annotations

import errno
from typing import TYPE_CHECKING

from .errors import EPROBE_DEFER, KernelError

if TYPE_CHECKING:
    from .device import KernelDevice
    from .iommu_group import IommuGroup

__all__ = [
    "iommu_device_claim_dma_owner",
    "iommu_device_release_dma_owner",
    "iommu_device_unuse_default_domain",
    "iommu_device_use_default_domain",
    "iommu_group_claim_dma_owner",
    "iommu_group_dma_owner_claimed",
    "iommu_group_release_dma_owner",
]


def iommu_device_use_default_domain(dev: KernelDevice) -> None:
    """Called from ``pci_dma_configure`` for drivers without ``driver_managed_dma``.

    EBUSY when the group is owned by user space or a non-default domain is attached;
    6.5+: EPROBE_DEFER while the group has no default domain yet."""
    group = dev.iommu_group
    if group is None:
        return
    with group.mutex.held("iommu_device_use_default_domain"):
        if (
            group.core.model == "6.12"
            and group.default_domain is None
            and not (group.core.group_ops(group).no_default_domain)
        ):
            raise KernelError(EPROBE_DEFER)
        if group.owner_cnt and (group.domain is not group.default_domain or group.owner):
            raise KernelError(errno.EBUSY)
        group.owner_cnt += 1


def iommu_device_unuse_default_domain(dev: KernelDevice) -> None:
    """Called from ``pci_dma_cleanup`` after the driver's remove."""
    group = dev.iommu_group
    if group is None:
        return
    with group.mutex.held("iommu_device_unuse_default_domain"):
        if group.owner_cnt:
            group.owner_cnt -= 1


def _take_dma_ownership(group: IommuGroup, owner: object) -> None:
    """``__iommu_take_dma_ownership``: blocking domain on every member."""
    core = group.core
    if group.domain is not None and group.domain is not group.default_domain:
        raise KernelError(errno.EBUSY)
    blocking = core.alloc_blocking_domain(group)
    core._iommu_group_set_domain(group, blocking)
    group.owner = owner
    group.owner_cnt += 1


def iommu_group_claim_dma_owner(group: IommuGroup, owner: object) -> None:
    """VFIO group path: EPERM while any DMA-API driver is bound or someone owns it."""
    if owner is None:
        raise KernelError(errno.EINVAL)
    with group.mutex.held("iommu_group_claim_dma_owner"):
        if group.owner_cnt:
            raise KernelError(errno.EPERM)
        _take_dma_ownership(group, owner)


def _release_dma_ownership(group: IommuGroup) -> None:
    group.owner_cnt = 0
    group.owner = None
    core = group.core
    core._iommu_group_set_domain(group, group.default_domain)


def iommu_group_release_dma_owner(group: IommuGroup) -> None:
    """Back to the default domain (must succeed)."""
    with group.mutex.held("iommu_group_release_dma_owner"):
        if not group.owner_cnt or group.owner is None:
            return
        _release_dma_ownership(group)


def iommu_group_dma_owner_claimed(group: IommuGroup) -> bool:
    """``owner_cnt != 0``: a DMA-API driver is bound somewhere, or the group is claimed."""
    with group.mutex.held("iommu_group_dma_owner_claimed"):
        return group.owner_cnt != 0


def iommu_device_claim_dma_owner(dev: KernelDevice, owner: object) -> None:
    """iommufd path: devices of one group may share one owner."""
    if owner is None:
        raise KernelError(errno.EINVAL)
    group = dev.iommu_group
    if group is None:
        raise KernelError(errno.ENODEV)
    with group.mutex.held("iommu_device_claim_dma_owner"):
        if group.owner_cnt:
            if group.owner is not owner:
                raise KernelError(errno.EPERM)
            group.owner_cnt += 1
            return
        _take_dma_ownership(group, owner)


def iommu_device_release_dma_owner(dev: KernelDevice) -> None:
    group = dev.iommu_group
    if group is None:
        return
    with group.mutex.held("iommu_device_release_dma_owner"):
        if group.owner_cnt > 1:
            group.owner_cnt -= 1
        elif group.owner_cnt == 1 and group.owner is not None:
            _release_dma_ownership(group)
