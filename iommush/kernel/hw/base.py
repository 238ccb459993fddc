"""``struct iommu_ops`` and ``struct iommu_device`` as small classes (include/linux/iommu.h,
drivers/iommu/iommu-sysfs.c): what every IOMMU hardware driver provides the core."""

from __future__ import annotations

import errno
from typing import TYPE_CHECKING

from iommush.vfs import Attribute, Dir, Link
from iommush.vfs.node import LazyDir

from ..domain import (
    IOMMU_DOMAIN_BLOCKED,
    IOMMU_DOMAIN_DMA,
    IOMMU_DOMAIN_DMA_FQ,
    IOMMU_DOMAIN_IDENTITY,
    IOMMU_DOMAIN_UNMANAGED,
    IommuDomain,
)
from ..errors import KernelError
from ..pci import PciDev
from ..pci_group import pci_device_group
from ..resv import IOMMU_READ, IOMMU_WRITE, IommuResvRegion, IommuResvType
from ..spec import IommuUnitSpec, ReservedRegionSpec

if TYPE_CHECKING:
    from ..device import KernelDevice
    from ..iommu_group import IommuGroup
    from ..kernel import Kernel

__all__ = ["IommuOps", "IommuUnit", "firmware_regions"]

#: The entries of a class device's directory that are made when it is first looked at.
_UNIT_FILES = frozenset({"devices"})


class IommuUnit:
    """``struct iommu_device`` + its class device ``/sys/class/iommu/<name>``."""

    def __init__(self, ops: IommuOps, spec: IommuUnitSpec, name: str | None = None) -> None:
        self.ops = ops
        self.spec = spec
        self.name = name or spec.name
        self.kobj: Dir | None = None
        #: ``devices/``: made when the class device's directory is first looked at (the
        #: IOMMU of a big machine translates thousands of devices that nobody lists).
        self.devices_dir: Dir | None = None
        #: Until then, the links it will hold: name -> device.
        self._linked: dict[str, KernelDevice] = {}

    def iommu_device_sysfs_add(self, parent: Dir, class_dir: Dir, extra: dict[str, Dir]) -> None:
        """``iommu_device_sysfs_add()``: the class device, its ``devices`` group, the
        driver's attribute groups, and the ``/sys/class/iommu`` link."""
        kobj = LazyDir(self.name)
        self.kobj = parent.add(kobj)
        kobj.defer(self._devices_fill, _UNIT_FILES, 1)
        self.kobj.add(Dir("power"))
        self.kobj.add(Link("subsystem", class_dir))
        self.kobj.add(Attribute("uevent", 0o644, show=lambda: "", store=lambda b: len(b)))
        for name, d in extra.items():
            d.name = name
            self.kobj.add(d)
        class_dir.add(Link(self.name, self.kobj))

    def _devices_fill(self, kobj: Dir) -> None:
        devices = Dir("devices")
        for name, dev in self._linked.items():
            devices.add(Link(name, dev.kobj))
        self._linked = {}
        kobj.add(devices)
        self.devices_dir = devices

    def iommu_device_link(self, dev: KernelDevice) -> None:
        """``iommu_device_link()``: ``devices/<dev>`` then the device's ``iommu`` link."""
        assert self.kobj is not None
        devices = self.devices_dir
        if devices is None:  # not made yet: the link comes with it
            self._linked.setdefault(dev.name, dev)
        elif dev.name not in devices.children:
            devices.add(Link(dev.name, dev.kobj))
        if dev.kobj.get("iommu") is None:
            dev.kobj.add(Link("iommu", self.kobj))

    def iommu_device_unlink(self, dev: KernelDevice) -> None:
        """``iommu_device_unlink()``: the device's ``iommu`` link first."""
        if dev.kobj.get("iommu") is not None:
            dev.kobj.remove("iommu")
        if self.devices_dir is None:
            self._linked.pop(dev.name, None)
        elif self.devices_dir.get(dev.name) is not None:
            self.devices_dir.remove(dev.name)


def firmware_regions(
    specs: list[ReservedRegionSpec], dev: KernelDevice, sources: tuple[str, ...]
) -> list[tuple[ReservedRegionSpec, IommuResvRegion]]:
    """Firmware regions (RMRR, IVMD, IORT RMR) whose scope names ``dev`` or a bridge above
    it (``is_downstream_to_pci_bridge``)."""
    if not specs:
        return []
    candidates = [r for r in specs if r.source in sources]
    if not candidates:
        return []
    names = {dev.name}
    if isinstance(dev, PciDev):
        names.update(b.name for b in dev.upstream_bridges())
    out = []
    for r in candidates:
        if not names.intersection(r.devices):
            continue
        prot = (IOMMU_READ if r.readable else 0) | (IOMMU_WRITE if r.writable else 0)
        out.append((r, IommuResvRegion(r.start, r.end - r.start + 1, prot, IommuResvType.DIRECT)))
    return out


class IommuOps:
    """``struct iommu_ops``: the callbacks the core calls. Subclasses are the drivers."""

    name = "iommu"
    #: Domain types ``domain_alloc`` can produce.
    domain_types: frozenset[int] = frozenset(
        {
            IOMMU_DOMAIN_DMA,
            IOMMU_DOMAIN_DMA_FQ,
            IOMMU_DOMAIN_IDENTITY,
            IOMMU_DOMAIN_UNMANAGED,
            IOMMU_DOMAIN_BLOCKED,
        }
    )
    #: Legacy drivers: a static ``ops->default_domain`` type (``IOMMU_DOMAIN_PLATFORM``)
    #: in the 6.5+ era; before, "no default domain support" (None here too).
    static_default_type: int | None = None
    #: The driver does not support default domains at all (6.3/6.4 legacy drivers).
    no_default_domain = False
    #: Devices are probed from ``dma_configure`` at driver bind (ACPI VIOT), not at
    #: ``iommu_device_register`` time.
    probe_at_dma_configure = False

    def __init__(self, kernel: Kernel, units: list[IommuUnitSpec]) -> None:
        self.kernel = kernel
        self.units = [IommuUnit(self, u) for u in units]

    # -- registration and boot log -----------------------------------------------------
    def register(self, class_dir: Dir) -> None:
        """Create each unit's class device (``iommu_device_sysfs_add``)."""
        for unit in self.units:
            unit.iommu_device_sysfs_add(self.unit_parent(unit), class_dir, self.unit_attrs(unit))

    def unit_parent(self, unit: IommuUnit) -> Dir:
        return self.kernel.sysfs.virtual_dir("iommu")

    def unit_attrs(self, unit: IommuUnit) -> dict[str, Dir]:
        return {}

    def early_log(self) -> list[str]:
        """Lines printed while the firmware tables are parsed (before PCI)."""
        return []

    def init_log(self) -> list[str]:
        """Lines printed at ``iommu_device_register`` time, before devices are probed."""
        return []

    def late_log(self) -> list[str]:
        """Lines printed after the devices were probed."""
        return []

    def adjust_defaults(self) -> None:
        """Driver init may force strict mode (``iommu_set_dma_strict``)."""

    # -- per-device callbacks ----------------------------------------------------------
    def unit_for(self, dev: KernelDevice) -> IommuUnit | None:
        """Which unit translates ``dev`` (firmware scope), None if none does. The scope
        tables do not change, so the answer is kept on the device."""
        memo = dev.unit_memo
        if memo is not None and memo[0] is self:
            return memo[1]
        unit = self._unit_for(dev)
        dev.unit_memo = (self, unit)
        return unit

    def _unit_for(self, dev: KernelDevice) -> IommuUnit | None:
        if not self.units:
            return None
        name = dev.name
        for u in self.units:
            if u.spec.pci_function == name:
                return None  # the IOMMU's own function is not behind itself
        if isinstance(dev, PciDev):
            want = dev.spec.iommu
            if want is not None:
                return next((u for u in self.units if u.spec.name == want), None)
            names: set[str] | None = None
            where = (dev.bus.segment, dev.bus.number)
            for unit in self.units:
                if unit.spec.scope_devices:
                    if names is None:
                        names = {dev.name} | {b.name for b in dev.upstream_bridges()}
                    if not names.isdisjoint(unit.spec.scope_devices):
                        return unit
                if where in unit.spec.scope_buses:
                    return unit
            for unit in self.units:
                if not unit.spec.scope_buses and not unit.spec.scope_devices:
                    return unit
            return self.units[0]
        return self.units[0]

    def probe_device(self, dev: KernelDevice) -> IommuUnit:
        """``ops->probe_device``: the unit, or ENODEV if this IOMMU does not cover it."""
        unit = self.unit_for(dev)
        if unit is None:
            raise KernelError(errno.ENODEV)
        return unit

    def release_device(self, dev: KernelDevice) -> None:
        """``ops->release_device``."""

    def device_group(self, dev: KernelDevice) -> IommuGroup:
        """``ops->device_group``: ``pci_device_group`` for PCI, a new group otherwise."""
        core = self.kernel.iommu
        if isinstance(dev, PciDev):
            return pci_device_group(dev, core.iommu_group_alloc)
        return core.iommu_group_alloc()

    def def_domain_type(self, dev: KernelDevice) -> int:
        """``ops->def_domain_type``: 0 when the device has no requirement."""
        return 0

    def has_isolated_msi(self, dev: KernelDevice) -> bool:
        """``msi_device_has_isolated_msi`` (6.3+) / ``IOMMU_CAP_INTR_REMAP`` (6.1): the
        device's MSIs go through interrupt remapping (or an ITS), so VFIO may hand it to
        user space without ``allow_unsafe_interrupts``."""
        return True

    def get_resv_regions(self, dev: KernelDevice) -> list[IommuResvRegion]:
        """``ops->get_resv_regions``."""
        return []

    def domain_alloc(self, dtype: int, purpose: str) -> IommuDomain | None:
        """``ops->domain_alloc``: None when the type is not supported."""
        if dtype not in self.domain_types:
            return None
        return IommuDomain(dtype, self, purpose, id=self.kernel.iommu.next_domain_id())

    def attach_dev(self, domain: IommuDomain, dev: KernelDevice) -> None:
        """``ops->attach_dev`` (``domain->ops->attach_dev``); raises to refuse.

        ``kernel.fault_attach`` names devices whose next attach fails with ENOSPC, to
        show what each version does with a failing attach."""
        if dev.name in self.kernel.fault_attach:
            self.kernel.fault_attach.discard(dev.name)
            raise KernelError(errno.ENOSPC)
        dev.attached_domain = domain
