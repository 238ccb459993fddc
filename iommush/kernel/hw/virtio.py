"""virtio-iommu (drivers/iommu/virtio-iommu.c + drivers/acpi/viot.c): endpoints are
described by the ACPI VIOT table and set up from ``dma_configure`` when a driver binds,
so a device no driver ever probes never joins a group."""

from __future__ import annotations

import errno
from typing import TYPE_CHECKING

from iommush.vfs import Dir

from ..device import KernelDevice
from ..errors import KernelError
from ..pci import PciDev
from ..resv import IOMMU_MMIO, IOMMU_NOEXEC, IOMMU_WRITE, IommuResvRegion, IommuResvType
from .base import IommuOps, IommuUnit
from .smmuv3 import MSI_IOVA_BASE, MSI_IOVA_LENGTH

if TYPE_CHECKING:
    from ..kernel import Kernel
    from ..spec import IommuUnitSpec

__all__ = ["VirtioIommu"]


class VirtioIommu(IommuOps):
    """``viommu_ops``."""

    name = "virtio-iommu"
    probe_at_dma_configure = True

    def __init__(self, kernel: Kernel, units: list[IommuUnitSpec]) -> None:
        super().__init__(kernel, units)
        for unit in self.units:
            if unit.spec.pci_function:
                unit.name = unit.spec.pci_function

    def unit_parent(self, unit: IommuUnit) -> Dir:
        pdev = self.kernel.pci.find(unit.spec.pci_function or "")
        if pdev is None:
            return self.kernel.sysfs.virtual_dir("iommu")
        vdir = pdev.kobj.ensure_dir(str(pdev.drvdata.get("virtio", "virtio0")))
        return vdir.ensure_dir("iommu")

    def register(self, class_dir: Dir) -> None:
        super().register(class_dir)
        from iommush.vfs import Link

        for unit in self.units:
            if unit.kobj is not None and unit.kobj.parent is not None:
                vdir = unit.kobj.parent.parent
                if vdir is not None:
                    unit.kobj.add(Link("device", vdir))

    def init_log(self) -> list[str]:
        vname = "virtio0"
        for u in self.units:
            pdev = self.kernel.pci.find(u.spec.pci_function or "")
            if pdev is not None:
                vname = str(pdev.drvdata.get("virtio", vname))
        return [
            f"virtio_iommu {vname}: input address: 64 bits",
            f"virtio_iommu {vname}: page mask: 0xfffffffffffff000",
        ]

    def probe_device(self, dev: KernelDevice) -> IommuUnit:
        """``viommu_probe_device``. The VIOT endpoint IDs come from the device's DMA
        aliases; behind a conventional PCI bridge the alias is the bridge's requester ID,
        which the QEMU virtio-iommu does not accept as an endpoint: such devices stay
        outside any group (as the 6.12 transcript shows). The IOMMU's own function is
        excluded by VIOT."""
        if any(u.spec.pci_function == dev.name for u in self.units):
            raise KernelError(errno.ENODEV)
        if isinstance(dev, PciDev) and any(not b.pci_is_pcie() for b in dev.upstream_bridges()):
            raise KernelError(errno.ENODEV)
        return super().probe_device(dev)

    def has_isolated_msi(self, dev: KernelDevice) -> bool:
        """virtio-iommu remaps no interrupts: on x86 MSIs go straight to the LAPIC
        window; on arm64 the GICv3 ITS isolates them."""
        return self.kernel.spec.arch != "x86_64"

    def get_resv_regions(self, dev: KernelDevice) -> list[IommuResvRegion]:
        """``viommu_get_resv_regions``: probed regions; SW_MSI if no MSI region."""
        out: list[IommuResvRegion] = []
        unit = dev.iommu.iommu_dev if dev.iommu is not None else None
        probe = unit.spec.probe_regions if unit is not None else []
        if not probe and self.kernel.spec.arch == "x86_64":
            out.append(
                IommuResvRegion(0xFEE00000, 0x100000, IOMMU_WRITE | IOMMU_MMIO, IommuResvType.MSI)
            )
        for r in probe:
            rtype = IommuResvType.MSI if r.source == "msi" else IommuResvType.RESERVED
            out.append(
                IommuResvRegion(r.start, r.end - r.start + 1, IOMMU_WRITE | IOMMU_MMIO, rtype)
            )
        if not any(r.type == IommuResvType.MSI for r in out):
            out.append(
                IommuResvRegion(
                    MSI_IOVA_BASE,
                    MSI_IOVA_LENGTH,
                    IOMMU_WRITE | IOMMU_NOEXEC | IOMMU_MMIO,
                    IommuResvType.SW_MSI,
                )
            )
        return out
