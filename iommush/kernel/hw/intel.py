"""Intel VT-d (drivers/iommu/intel/iommu.c, dmar.c): DMAR units ``dmarN``, RMRRs with
device scope, the ISA-bridge floppy region, the IOAPIC/MSI window."""

from __future__ import annotations

from iommush.vfs import Attribute, Dir

from ..device import KernelDevice
from ..domain import IOMMU_DOMAIN_DMA, IOMMU_DOMAIN_IDENTITY
from ..pci import PciDev
from ..resv import IOMMU_READ, IOMMU_WRITE, IommuResvRegion, IommuResvType
from .base import IommuOps, IommuUnit, firmware_regions

__all__ = ["IntelIommu"]

IOAPIC_RANGE_START = 0xFEE00000
IOAPIC_RANGE_END = 0xFEEFFFFF
PCI_CLASS_SERIAL_USB = 0x0C03
PCI_BASE_CLASS_DISPLAY = 0x03
PCI_CLASS_BRIDGE_ISA = 0x0601


#: The regions every device (every ISA bridge) gets; regions are immutable, so each call
#: can hand out the same objects.
_ISA_FLOPPY = IommuResvRegion(0, 1 << 24, IOMMU_READ | IOMMU_WRITE, IommuResvType.DIRECT_RELAXABLE)
_IOAPIC_MSI = IommuResvRegion(
    IOAPIC_RANGE_START, IOAPIC_RANGE_END - IOAPIC_RANGE_START + 1, 0, IommuResvType.MSI
)


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
        """``bitmap_weight(iommu->domain_ids)``: two ids taken at boot, plus one per
        paging domain some device behind this unit is attached to.

        6.5+ (``iommu_init_domains``) reserves id 0 and ``FLPT_DEFAULT_DID``, which the
        identity domain uses in legacy mode. Before, the static identity domain
        (``si_domain``) takes an id of its own when a device is attached to it
        (``domain_attach_iommu``): the recorded 6.1 guests count 3 with every group
        identity and 11 with nine DMA groups."""
        attached = [
            d.attached_domain
            for d in self.kernel.iommu.managed_devices()
            if d.iommu is not None and d.iommu.iommu_dev is unit and d.attached_domain
        ]
        used = 2 + len({id(dom) for dom in attached if dom.is_paging})
        if self.kernel.version.model != "6.12" and any(
            dom.type == IOMMU_DOMAIN_IDENTITY for dom in attached
        ):
            used += 1
        return used

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
        out: list[IommuResvRegion] = []
        rmrrs = firmware_regions(self.kernel.spec.reserved, dev, ("rmrr",))
        if rmrrs:
            relax = isinstance(dev, PciDev) and (
                dev.class_code >> 8 == PCI_CLASS_SERIAL_USB
                or dev.class_code >> 16 == PCI_BASE_CLASS_DISPLAY
            )
            rtype = IommuResvType.DIRECT_RELAXABLE if relax else IommuResvType.DIRECT
            for _, r in rmrrs:
                out.append(IommuResvRegion(r.start, r.length, IOMMU_READ | IOMMU_WRITE, rtype))
        if isinstance(dev, PciDev) and dev.class_code >> 8 == PCI_CLASS_BRIDGE_ISA:
            out.append(_ISA_FLOPPY)
        out.append(_IOAPIC_MSI)
        return out
