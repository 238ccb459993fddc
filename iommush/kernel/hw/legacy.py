"""A legacy IOMMU driver without default-domain support (ARM32 ``arm_iommu`` / s390 before
their conversion): devices keep the platform's DMA ops. Groups read ``unknown``; before
6.5 there is no default domain at all, from 6.5 a static ``IOMMU_DOMAIN_PLATFORM`` one."""

from __future__ import annotations

from ..domain import IOMMU_DOMAIN_PLATFORM, IOMMU_DOMAIN_UNMANAGED
from .base import IommuOps

__all__ = ["LegacyIommu"]


class LegacyIommu(IommuOps):
    """A driver whose ``domain_alloc`` only makes UNMANAGED domains (for VFIO)."""

    name = "legacy"
    domain_types = frozenset({IOMMU_DOMAIN_UNMANAGED})
    no_default_domain = True
    static_default_type = IOMMU_DOMAIN_PLATFORM
