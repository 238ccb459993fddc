"""Intel VT-d (drivers/iommu/intel/iommu.c, dmar.c): DMAR units ``dmarN``, RMRRs with
device scope, the ISA-bridge floppy region, the IOAPIC/MSI window."""

from __future__ import annotations

from iommush.vfs import Attribute, Dir

from ..device import KernelDevice
from ..domain import IOMMU_DOMAIN_DMA, IOMMU_DOMAIN_IDENTITY
from ..resv import IOMMU_READ, IOMMU_WRITE, IommuResvRegion, IommuResvType
from .base import IommuOps, IommuUnit, firmware_regions

__all__ = ["IntelIommu"]

IOAPIC_RANGE_START = 0xFEE00000
IOAPIC_RANGE_END = 0xFEEFFFFF
PCI_CLASS_SERIAL_USB = 0x0C03
PCI_BASE_CLASS_DISPLAY = 0x03
PCI_CLASS_BRIDGE_ISA = 0x0601


class IntelIommu(IommuOps):
    """The VT-d driver's ``intel_iommu_ops``."""

    name = "intel"

    def unit_attrs(self, unit: IommuUnit) -> dict[str, Dir]:
        d = Dir("intel-iommu")
        s = unit.spec
        d.add(Attribute("address", 0o444, show=lambda: f"{s.base_address:x}\n"))
        d.add(Attribute("cap", 0o444, show=lambda: f"{s.cap:x}\n"))
        d.add(Attribute("ecap", 0o444, show=lambda: f"{s.ecap:x}\n"))
        d.add(Attribute("version", 0o444, show=lambda: f"{s.version}\n"))
        d.add(Attribute("domains_supported", 0o444, show=lambda: "65536\n"))
        d.add(Attribute("domains_used", 0o444, show=lambda: f"{self.domains_used(unit)}\n"))
        return {"intel-iommu": d}

    def domains_used(self, unit: IommuUnit) -> int:
        """Domain ids in use: id 0 (reserved in caching mode), the identity domain, and
        every paging domain some device behind this unit is attached to."""
        doms = {
            id(d.attached_domain)
            for d in self.kernel.iommu.managed_devices()
            if d.iommu is not None
            and d.iommu.iommu_dev is unit
            and d.attached_domain
            and d.attached_domain.is_paging
        }
        return 2 + len(doms)

    def early_log(self) -> list[str]:
        lines = [
            f"DMAR: Host address width {self.units[0].spec.address_width}"
            if self.units
            else "DMAR: Host address width 39"
        ]
        for u in self.units:
            s = u.spec
            lines += [
                f"DMAR: DRHD base: 0x{s.base_address:014x} flags: 0x"
                f"{1 if not s.scope_devices and not s.scope_buses else 0:x}",
                f"DMAR: {u.name}: reg_base_addr {s.base_address:x} ver {s.version} "
                f"cap {s.cap:x} ecap {s.ecap:x}",
            ]
        if self.units:
            b = self.units[0].spec.base_address
            lines += [
                f"DMAR-IR: IOAPIC id 0 under DRHD base  0x{b:x} IOMMU 0",
                "DMAR-IR: Enabled IRQ remapping in xapic mode",
            ]
        return lines

    def init_log(self) -> list[str]:
        rmrrs = [r for r in self.kernel.spec.reserved if r.source == "rmrr"]
        lines = [] if rmrrs else ["DMAR: No RMRR found"]
        lines += ["DMAR: No ATSR found", "DMAR: No SATC found"]
        lines += [f"DMAR: {u.name}: Using Queued invalidation" for u in self.units]
        return lines

    def late_log(self) -> list[str]:
        return ["DMAR: Intel(R) Virtualization Technology for Directed I/O"]

    def def_domain_type(self, dev: KernelDevice) -> int:
        """``device_def_domain_type``: Azalia with the isoch quirk -> identity (not on
        QEMU); 6.3-era ``IDENTMAP_GFX`` for graphics with ``intel_iommu=igfx_off``;
        6.5+: hardware without pass-through support -> DMA."""
        from ..pci import PciDev

        model = self.kernel.version.model
        if isinstance(dev, PciDev):
            if (
                model == "6.3"
                and self.kernel.boot_params.intel_igfx_off
                and (dev.class_code >> 16 == PCI_BASE_CLASS_DISPLAY)
            ):
                return IOMMU_DOMAIN_IDENTITY
        if model == "6.12" and dev.iommu is not None and not dev.iommu.iommu_dev.spec.pass_through:
            return IOMMU_DOMAIN_DMA
        return 0

    def get_resv_regions(self, dev: KernelDevice) -> list[IommuResvRegion]:
        """``intel_iommu_get_resv_regions``."""
        from ..pci import PciDev

        out: list[IommuResvRegion] = []
        relax = isinstance(dev, PciDev) and (
            dev.class_code >> 8 == PCI_CLASS_SERIAL_USB
            or dev.class_code >> 16 == PCI_BASE_CLASS_DISPLAY
        )
        for _, r in firmware_regions(self.kernel.spec.reserved, dev, ("rmrr",)):
            rtype = IommuResvType.DIRECT_RELAXABLE if relax else IommuResvType.DIRECT
            out.append(IommuResvRegion(r.start, r.length, IOMMU_READ | IOMMU_WRITE, rtype))
        if isinstance(dev, PciDev) and dev.class_code >> 8 == PCI_CLASS_BRIDGE_ISA:
            out.append(
                IommuResvRegion(
                    0, 1 << 24, IOMMU_READ | IOMMU_WRITE, IommuResvType.DIRECT_RELAXABLE
                )
            )
        out.append(
            IommuResvRegion(
                IOAPIC_RANGE_START, IOAPIC_RANGE_END - IOAPIC_RANGE_START + 1, 0, IommuResvType.MSI
            )
        )
        return out
