"""The kernel: every subsystem wired together, the boot sequence, and the system calls
the shell reaches without a file (``uname``, ``syslog``, ``init_module``...).

``Kernel`` implements the shell's ``System`` protocol structurally, without importing it.
"""

from __future__ import annotations

import errno
import gc
from importlib import import_module
from typing import TYPE_CHECKING, NamedTuple

from iommush.vfs import Attribute, Device, DeviceOps, Dir, OpenFile, VirtualFS

from .acpi_tables import acpi_tables_sysfs_init
from .clock import VirtualClock
from .cmdline import iommu_subsys_init, parse_cmdline
from .debugfs import IommuDebugfs
from .device import KernelDevice
from .dma_mapping import DmaSubsystem
from .driver_core import DriverCore
from .drivers import DriverBehaviour
from .errors import EPROBE_DEFER, KernelError
from .iommu_core import IommuCore
from .iommu_group import IommuGroup
from .lockdep import Lockdep
from .modules import ModuleLoader
from .pci import PciDev
from .pci_drivers import PCI_DRIVERS, PciDriverInfo
from .pci_subsys import PciSubsystem
from .printk import PrintkRecord, PrintkRing
from .spec import MachineSpec
from .sysfs import Sysfs
from .trace import Tracefs
from .version import KernelVersion

if TYPE_CHECKING:
    from .hw.base import IommuOps
    from .vfio import VfioSubsystem

__all__ = ["Kernel", "UtsName", "boot"]

#: The IOMMU drivers by the name a machine's units give (``IommuUnitSpec.driver``): the
#: module under ``hw`` and the class, imported when a machine has such a unit.
_OPS = {
    "intel": ("intel", "IntelIommu"),
    "amd": ("amd", "AmdIommu"),
    "arm-smmu-v3": ("smmuv3", "ArmSmmuV3"),
    "virtio-iommu": ("virtio", "VirtioIommu"),
    "legacy": ("legacy", "LegacyIommu"),
}


def _iommu_driver(name: str) -> type[IommuOps]:
    """The ``IommuOps`` class of the IOMMU driver ``name``."""
    module, cls = _OPS[name]
    ops: type[IommuOps] = getattr(import_module(f"{__package__}.hw.{module}"), cls)
    return ops


class UtsName(NamedTuple):
    """``struct utsname`` (same fields as the shell's ``UtsName``)."""

    sysname: str
    nodename: str
    release: str
    version: str
    machine: str


class _Null(DeviceOps):
    def __init__(self, zero: bool) -> None:
        self.zero = zero

    def read(self, of: OpenFile, size: int) -> bytes:
        return b"\0" * (size if size >= 0 else 4096) if self.zero else b""

    def write(self, of: OpenFile, data: bytes) -> int:
        return len(data)


class Kernel:
    """One booted machine."""

    def __init__(self, spec: MachineSpec, version: KernelVersion, cmdline: str) -> None:
        self.spec = spec
        self.version = version
        self.cmdline = cmdline
        self.clock = VirtualClock(start=0.0)
        self.printk = PrintkRing(self.clock)
        self.lockdep = Lockdep(self.printk, release=version.release)
        self.trace = Tracefs(
            self.clock, has_detach_event=(version.major, version.minor) < (6, 3), nr_cpus=2
        )
        self.fs = VirtualFS()
        self.sysfs = Sysfs(self.fs)
        self.boot_params = parse_cmdline(cmdline)
        self.fault_attach: set[str] = set()
        self.deferred: list[KernelDevice] = []
        defaults, self._subsys_lines = iommu_subsys_init(
            self.boot_params, trailing_space=version.iommu_log_trailing_space
        )
        groups = self.sysfs.kernel.add(Dir("iommu_groups"))
        self.iommu = IommuCore(self, defaults, groups)
        self.dma = DmaSubsystem(self)
        IommuDebugfs(self.dma, self.sysfs.kernel)
        self.iommu_registered = False
        pci_dir = self.sysfs.bus_dir("pci")
        self.driver_core = DriverCore(self, pci_dir)
        self.pci = PciSubsystem(self, spec.pci)
        pci_dir.add(Attribute("rescan", 0o200, store=self.pci.bus_rescan_store))
        self.drivers = DriverBehaviour(self)
        self._vfio: VfioSubsystem | None = None
        self.extra_drivers = self._extra_drivers()
        self.modules = ModuleLoader(self, self.extra_drivers)
        self.iommu_class = self.sysfs.class_dir("iommu")
        self._build_static()

    @property
    def vfio(self) -> VfioSubsystem:
        """VFIO's state (``vfio.ko``), made when first needed: most boots load no VFIO."""
        vfio = self._vfio
        if vfio is None:
            from .vfio import VfioSubsystem

            vfio = self._vfio = VfioSubsystem(self)
        return vfio

    # -- construction ------------------------------------------------------------------
    def _extra_drivers(self) -> dict[str, PciDriverInfo]:
        """Drivers a machine names that the catalog does not know."""
        ids: dict[str, list[tuple[int, int]]] = {}
        for f in self.spec.pci:
            if f.driver and f.driver not in PCI_DRIVERS:
                ids.setdefault(f.driver, []).append((f.vendor, f.device))
        return {n: PciDriverInfo.for_devices(n, v) for n, v in ids.items()}

    def _build_static(self) -> None:
        s = self.sysfs
        s.text(s.proc, "cmdline", f"{self.cmdline}\n")
        kdir = s.proc.ensure_dir("sys").ensure_dir("kernel")
        s.text(kdir, "osrelease", f"{self.version.release}\n")
        s.text(kdir, "hostname", f"{self.spec.hostname}\n")
        s.text(s.proc, "version", f"Linux version {self.version.release} {self.version.build}\n")
        s.dev.add(Device("null", _Null(False), 0o666, 1, 3))
        s.dev.add(Device("zero", _Null(True), 0o666, 1, 5))
        self.trace.register(s.kernel)
        acpi_tables_sysfs_init(self)

    def iommu_ops(self) -> list[IommuOps]:
        return self.iommu.ops

    # -- notifier and late registration -------------------------------------------------
    def iommu_notify_add(self, dev: KernelDevice) -> None:
        """``iommu_bus_notifier(BUS_NOTIFY_ADD_DEVICE)`` -> ``iommu_probe_device``."""
        if not self.iommu_registered:
            return
        ops = self.iommu.ops_for(dev)
        if ops is None or ops.probe_at_dma_configure:
            return
        try:
            self.iommu.iommu_probe_device(dev)
        except KernelError:
            pass

    def register_late_iommus(self) -> None:
        """virtio-iommu's probe: ``iommu_device_register``, then the deferred probes."""
        for ops in self.iommu.ops:
            if ops.probe_at_dma_configure and not getattr(ops, "registered", False):
                ops.registered = True  # type: ignore[attr-defined]
                for line in ops.init_log():
                    self.printk.printk(line)
                ops.register(self.iommu_class)
        pending, self.deferred = self.deferred, []
        for dev in pending:
            if not dev.dead and dev.driver is None:
                self.driver_core.device_attach(dev)

    def iommu_ready(self, ops: IommuOps) -> bool:
        return not ops.probe_at_dma_configure or getattr(ops, "registered", False)

    # -- boot --------------------------------------------------------------------------
    def _tick(self, t: float) -> None:
        if t > self.clock.now():
            self.clock.advance(t - self.clock.now())

    def boot(self) -> None:
        """The boot log lines this model is responsible for, in the kernel's order."""
        p = self.printk
        p.printk(f"Linux version {self.version.release} (iommush) {self.version.build}", 5)
        p.printk(f"Command line: {self.cmdline}")
        p.printk(f"Kernel command line: {self.cmdline}", 5)
        for line in self.boot_params.early_log:
            p.printk(line)
        by_driver: dict[str, list] = {}
        for u in self.spec.iommus:
            by_driver.setdefault(u.driver, []).append(u)
        enabled = []
        for name, units in by_driver.items():
            if name == "intel" and self.boot_params.intel_iommu is False:
                continue
            if name == "amd" and self.boot_params.amd_iommu_off:
                continue
            enabled.append(_iommu_driver(name)(self, units))
        self.iommu.ops = enabled
        self._tick(0.004)
        for ops in enabled:
            for line in ops.early_log():
                p.printk(line)
        self._tick(1.93)
        for seg in sorted(self.pci.hw_segments() or {0}):
            p.printk(f"PCI host bridge to bus {seg:04x}:00")
            p.printk(f"pci_bus {seg:04x}:00: root bus resource [bus 00-ff]")
            new: list[PciDev] = []
            self.pci.pci_scan_child_bus(self.pci.root_bus(seg), new)
        for f in self.spec.pci:
            dev = self.pci.find(f.bdf)
            if dev is not None:
                dev.driver_override = f.driver_override
        self._tick(2.34)
        for line in self._subsys_lines:
            p.printk(line)
        self._tick(3.08)
        self._register_iommus(enabled)
        self._tick(4.2)
        # at boot a built-in driver takes the functions the machine leaves driverless
        # and those it names that driver for
        unbound: set[str] = set()
        named: dict[str, set[str]] = {}
        for f in self.spec.pci:
            if f.driver is None:
                unbound.add(f.bdf)
            else:
                named.setdefault(f.driver, set()).add(f.bdf)
        for info in PCI_DRIVERS.values():
            if info.builtin:
                want = unbound | named.get(info.name, set())
                self.driver_core.driver_register(info, boot_binds=want)
        self._tick(9.4)
        order = list(self.spec.modules)
        if any(u.driver == "virtio-iommu" for u in self.spec.iommus) and not any(
            ModuleLoader.canonical(m) == "virtio_iommu" for m in order
        ):
            # udev loads the driver of the virtio device 23 (modalias virtio:d00000017)
            # that virtio-pci found on the IOMMU's own function, before anything else
            order.insert(0, "virtio_iommu")
        for pdev in self.pci.devices_in_order():
            drv = pdev.spec.driver or ""
            dinfo = PCI_DRIVERS.get(drv) or self.extra_drivers.get(drv)
            if dinfo is not None and dinfo.module and dinfo.module not in order:
                order.append(dinfo.module)
        for mod in order:
            mwant: set[str] | None = None
            minfo = self.modules.by_module.get(ModuleLoader.canonical(mod))
            if minfo is not None:
                mwant = {f.bdf for f in self.spec.pci if f.driver == minfo.name}
            try:
                self.modules.load(mod, boot_binds=mwant)
            except KernelError:
                msg = f"machine {self.spec.name!r} lists unknown module {mod!r}"
                raise ValueError(msg) from None
        self._tick(15.5)

    def _register_iommus(self, enabled: list[IommuOps]) -> None:
        """Each driver's init: adjust defaults, log, ``iommu_device_register``,
        ``bus_iommu_probe`` (VIOT-described IOMMUs wait for their module)."""
        for ops in enabled:
            if ops.probe_at_dma_configure:
                continue
            ops.adjust_defaults()
            for line in ops.init_log():
                self.printk.printk(line)
            ops.register(self.iommu_class)
        self.iommu_registered = True
        self.iommu.bus_iommu_probe(list(self.pci.devices_in_order()))
        for ops in enabled:
            if not ops.probe_at_dma_configure:
                for line in ops.late_log():
                    self.printk.printk(line)
        self._pin_groups()

    def _pin_groups(self) -> None:
        """Machines that pin groups (imported ones) keep the ids they had: renumber the
        groups the drivers made to the ids the machine lists."""
        if not self.spec.groups:
            return
        for gs in self.spec.groups:
            dev = self.pci.find(gs.devices[0]) if gs.devices else None
            if dev is None or dev.iommu_group is None or dev.iommu_group.id == gs.id:
                continue
            group = dev.iommu_group
            other = self.iommu.groups.get(gs.id)
            self._renumber(group, gs.id, other)
            if gs.name:
                group.set_name(gs.name)

    def _renumber(self, group: IommuGroup, new_id: int, other: IommuGroup | None) -> None:
        """Swap two groups' ids (directories move with them)."""
        old_id = group.id
        kset = self.iommu.groups_kset
        for g in (group, other):
            if g is None:
                continue
            assert g.kobj is not None
            kset.children.pop(g.kobj.name)
        for g, nid in ((group, new_id), (other, old_id)):
            if g is None:
                continue
            assert g.kobj is not None
            g.id = nid
            g.kobj.name = str(nid)
            kset.children[str(nid)] = g.kobj
            self.iommu.groups[nid] = g
        if other is None:
            self.iommu.groups.pop(old_id, None)
            self.iommu.ida.free(old_id)
            self.iommu.ida._used.add(new_id)

    # -- System protocol ----------------------------------------------------------------
    def uname(self) -> UtsName:
        return UtsName(
            "Linux", self.spec.hostname, self.version.release, self.version.build, self.spec.arch
        )

    def syslog_read_all(self) -> list[PrintkRecord]:
        return self.printk.records()

    def syslog_clear(self) -> None:
        self.printk.clear()

    def init_module(self, name: str) -> bool:
        return self.modules.load(name)

    def delete_module(self, name: str) -> None:
        self.modules.unload(name)

    def loaded_modules(self) -> list[str]:
        return list(self.modules.loaded)

    def available_modules(self) -> list[str]:
        return self.modules.available()

    def uptime(self) -> float:
        return self.clock.now()

    def sleep(self, seconds: float) -> None:
        if seconds < 0:
            raise KernelError(errno.EINVAL)
        self.clock.advance(seconds)

    # -- checks and export ----------------------------------------------------------------
    def check_invariants(self) -> list[str]:
        from .invariants import check_invariants

        return check_invariants(self)

    def to_spec(self) -> MachineSpec:
        from .export import kernel_to_spec

        return kernel_to_spec(self)


def boot(spec: MachineSpec, *, kernel: str | None = None, cmdline: str | None = None) -> Kernel:
    """Build the machine ``spec`` describes and boot it (``kernel``/``cmdline`` override
    the spec's). ValueError for a kernel release the model does not follow."""
    version = KernelVersion.parse(kernel if kernel is not None else spec.kernel)
    # Booting makes objects by the million on a big machine and frees none: the cycle
    # collector would walk the growing heap again and again for nothing. Afterwards the
    # new objects go straight to the oldest generation (freeze + unfreeze moves them
    # without a walk), so the first commands do not pay for a walk of the whole boot.
    collecting = gc.isenabled()
    gc.disable()
    try:
        k = Kernel(spec, version, cmdline if cmdline is not None else spec.cmdline)
        k.boot()
    finally:
        if collecting:
            if gc.get_freeze_count() == 0:  # nobody else froze objects: ours to move
                gc.freeze()
                gc.unfreeze()
            gc.enable()
    return k


_ = EPROBE_DEFER
