"""ARM SMMUv3 (drivers/iommu/arm/arm-smmu-v3/arm-smmu-v3.c): software MSI window,
IORT RMRs, platform devices grouped by stream ID."""

from __future__ import annotations

from iommush.vfs import Dir

from ..device import KernelDevice
from ..domain import IOMMU_DOMAIN_IDENTITY
from ..iommu_group import IommuGroup
from ..pci import PciDev
from ..resv import IOMMU_MMIO, IOMMU_NOEXEC, IOMMU_WRITE, IommuResvRegion, IommuResvType
from .base import IommuOps, IommuUnit, firmware_regions

__all__ = ["ArmSmmuV3", "MSI_IOVA_BASE", "MSI_IOVA_LENGTH"]

MSI_IOVA_BASE = 0x8000000
MSI_IOVA_LENGTH = 0x100000


class ArmSmmuV3(IommuOps):
    """``arm_smmu_ops``."""

    name = "arm-smmu-v3"

    def unit_parent(self, unit: IommuUnit) -> Dir:
        plat = self.kernel.sysfs.devices.ensure_dir("platform")
        return plat.ensure_dir(f"arm-smmu-v3.{self.units.index(unit)}.auto").ensure_dir("iommu")

    def def_domain_type(self, dev: KernelDevice) -> int:
        """HiSilicon PTT (Huawei 0xa12e) -> identity."""
        if isinstance(dev, PciDev) and (dev.vendor, dev.device) == (0x19E5, 0xA12E):
            return IOMMU_DOMAIN_IDENTITY
        return 0

    def device_group(self, dev: KernelDevice) -> IommuGroup:
        """Platform devices sharing a stream ID share a group; PCI uses pci_device_group."""
        ids = _stream_ids(dev)
        if ids:
            for other in self.kernel.iommu.managed_devices():
                if other is not dev and other.iommu_group is not None and ids & _stream_ids(other):
                    return other.iommu_group
        return super().device_group(dev)

    def get_resv_regions(self, dev: KernelDevice) -> list[IommuResvRegion]:
        """``arm_smmu_get_resv_regions``: SW_MSI + ``iommu_dma_get_resv_regions`` (RMRs)."""
        out = [
            IommuResvRegion(
                MSI_IOVA_BASE,
                MSI_IOVA_LENGTH,
                IOMMU_WRITE | IOMMU_NOEXEC | IOMMU_MMIO,
                IommuResvType.SW_MSI,
            )
        ]
        for _, r in firmware_regions(self.kernel.spec.reserved, dev, ("iort-rmr",)):
            out.append(r)
        return out


def _stream_ids(dev: KernelDevice) -> set[int]:
    """The stream IDs a platform device emits (none for PCI: they use requester IDs)."""
    from ..spec import PlatformDeviceSpec

    spec = getattr(dev, "spec", None)
    return set(spec.stream_ids) if isinstance(spec, PlatformDeviceSpec) else set()
