"""AMD-Vi (drivers/iommu/amd/iommu.c, init.c): IVHD units ``ivhdN`` whose class device
hangs under the IOMMU's own PCI function, IVMD unity maps, the HyperTransport hole,
identity for PASID-capable devices, strict mode in a VM."""

from __future__ import annotations

from iommush.vfs import Attribute, Dir

from ..device import KernelDevice
from ..domain import IOMMU_DOMAIN_IDENTITY
from ..pci import PciDev
from ..resv import IOMMU_READ, IOMMU_WRITE, IommuResvRegion, IommuResvType
from .base import IommuOps, IommuUnit, firmware_regions

__all__ = ["AmdIommu"]

MSI_RANGE_START = 0xFEE00000
MSI_RANGE_END = 0xFEEFFFFF
HT_RANGE_START = 0xFD00000000
HT_RANGE_END = 0xFFFFFFFFFF


class AmdIommu(IommuOps):
    """``amd_iommu_ops``."""

    name = "amd"

    def unit_parent(self, unit: IommuUnit) -> Dir:
        pdev = self.kernel.pci.find(unit.spec.pci_function or "")
        if pdev is None:
            return self.kernel.sysfs.virtual_dir("iommu")
        return pdev.kobj.ensure_dir("iommu")

    def unit_attrs(self, unit: IommuUnit) -> dict[str, Dir]:
        d = Dir("amd-iommu")
        s = unit.spec
        d.add(Attribute("cap", 0o444, show=lambda: f"{s.cap:x}\n"))
        d.add(Attribute("features", 0o444, show=lambda: f"0:{s.ecap:x}\n"))
        return {"amd-iommu": d}

    def register(self, class_dir: Dir) -> None:
        super().register(class_dir)
        from iommush.vfs import Link

        for unit in self.units:
            pdev = self.kernel.pci.find(unit.spec.pci_function or "")
            if pdev is not None and unit.kobj is not None:
                unit.kobj.add(Link("device", pdev.kobj))

    def early_log(self) -> list[str]:
        return ["AMD-Vi: Using global IVHD EFR:0x0, EFR2:0x0"]

    def adjust_defaults(self) -> None:
        """``amd_iommu_init_dma_ops``/``iommu_go_to_state``: NpCache (a VM) -> strict."""
        self.kernel.iommu.defaults.iommu_set_dma_strict()

    def init_log(self) -> list[str]:
        return ["AMD-Vi: Using strict mode due to virtualization"]

    def late_log(self) -> list[str]:
        lines = []
        for u in self.units:
            lines.append(f"pci {u.spec.pci_function}: AMD-Vi: Found IOMMU cap 0x40")
        lines += [
            f"AMD-Vi: Extended features (0x{self.units[0].spec.ecap:x}, 0x0): PreF PPR GT IA GA HE"
            if self.units
            else "AMD-Vi: Extended features (0x0, 0x0):",
            "AMD-Vi: Interrupt remapping enabled",
        ]
        return lines

    def probe_device(self, dev: KernelDevice) -> IommuUnit:
        """The IOMMU's own PCI function is not translated by itself (no IVRS devid)."""
        import errno

        from ..errors import KernelError

        if any(u.spec.pci_function == dev.name for u in self.units):
            raise KernelError(errno.ENODEV)
        return super().probe_device(dev)

    def def_domain_type(self, dev: KernelDevice) -> int:
        """``amd_iommu_def_domain_type``: PASID-capable (IOMMUv2) devices -> identity."""
        if isinstance(dev, PciDev) and dev.spec.pasid:
            return IOMMU_DOMAIN_IDENTITY
        return 0

    def get_resv_regions(self, dev: KernelDevice) -> list[IommuResvRegion]:
        """``amd_iommu_get_resv_regions``: IVMD entries, MSI window, HT hole."""
        out = []
        for spec, r in firmware_regions(self.kernel.spec.reserved, dev, ("ivmd", "ivmd-exclusion")):
            rtype = (
                IommuResvType.RESERVED
                if spec.source == "ivmd-exclusion"
                else (IommuResvType.DIRECT)
            )
            out.append(IommuResvRegion(r.start, r.length, r.prot, rtype))
        out.append(
            IommuResvRegion(
                MSI_RANGE_START, MSI_RANGE_END - MSI_RANGE_START + 1, 0, IommuResvType.MSI
            )
        )
        out.append(
            IommuResvRegion(
                HT_RANGE_START, HT_RANGE_END - HT_RANGE_START + 1, 0, IommuResvType.RESERVED
            )
        )
        _ = (IOMMU_READ, IOMMU_WRITE)
        return out
