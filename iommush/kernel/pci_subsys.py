"""PCI enumeration, hot removal, rescan and SR-IOV (drivers/pci/probe.c, remove.c,
iov.c): devices appear through ``pci_device_add`` (sysfs, IOMMU notifier) and get
drivers in ``pci_bus_add_devices``; removal runs the same paths backwards."""

from __future__ import annotations

import errno
from collections.abc import Iterator
from operator import itemgetter
from typing import TYPE_CHECKING

from iommush.vfs import Attribute, Dir, Link

from .errors import KernelError
from .pci import PciBus, PciDev
from .pci_sysfs import kstrtoul, pci_create_sysfs_dev_files
from .spec import PciFunctionSpec, parse_bdf

if TYPE_CHECKING:
    from .kernel import Kernel

__all__ = ["PciSubsystem", "kstrtou16"]


_DIGITS = "0123456789abcdef"
#: The sort key of a bus's functions: (slot, function).
_slot_fn = itemgetter(0, 1)


def kstrtou16(buf: bytes) -> int | None:
    """``kstrtou16()`` (lib/kstrtox.c) with base 0 on a NUL-terminated sysfs buffer: an
    optional ``+``, ``0x``/``0`` radix prefixes, one optional trailing newline, nothing
    else (no blanks, no sign ``-``); ``None`` where the kernel returns -EINVAL or
    -ERANGE."""
    s = buf.split(b"\0", 1)[0].decode("latin-1")
    if s.startswith("+"):
        s = s[1:]
    base = 10
    if s[:2].lower() == "0x" and s[2:3].lower() in tuple(_DIGITS):
        base, s = 16, s[2:]
    elif s.startswith("0"):
        base = 8
    n = 0
    while n < len(s) and s[n].lower() in _DIGITS[:base]:
        n += 1
    if n == 0 or s[n:] not in ("", "\n"):
        return None
    val = int(s[:n], base)
    return val if val <= 0xFFFF else None


class PciSubsystem:
    """Root buses, the hardware a scan can find, and the scanned devices."""

    def __init__(self, kernel: Kernel, hardware: list[PciFunctionSpec]) -> None:
        self.kernel = kernel
        self.hardware = list(hardware)
        #: The hardware by (segment, bus), each bus in (slot, function) order: what a
        #: scan of one bus reads from config space.
        self._hw_by_bus: dict[tuple[int, int], list[PciFunctionSpec]] = {}
        #: Bridges by the secondary bus they lead to (the first one listed).
        self._hw_bridge_to: dict[int, PciFunctionSpec] = {}
        by_bus: dict[tuple[int, int], list[tuple[int, int, PciFunctionSpec]]] = {}
        for f in self.hardware:
            seg, bus, slot, fn = f.location()
            by_bus.setdefault((seg, bus), []).append((slot, fn, f))
            if f.secondary_bus is not None:
                self._hw_bridge_to.setdefault(f.secondary_bus, f)
        for where, funcs in by_bus.items():
            self._hw_by_bus[where] = [f for _, _, f in sorted(funcs, key=_slot_fn)]
        self.roots: dict[int, PciBus] = {}
        #: Devices in ``device_add`` order (the bus klist ``bus_for_each_dev`` walks).
        self.devices: list[PciDev] = []
        #: ``devices`` by name (the first registered device of each name).
        self._by_name: dict[str, PciDev] = {}
        #: :meth:`devices_in_order` as of the last change to the topology.
        self._order: list[PciDev] | None = None
        self.class_bus_dir: Dir = kernel.sysfs.class_dir("pci_bus")
        #: ``/sys/bus/pci``: every device's ``subsystem`` link points there.
        self.bus_type_dir: Dir = kernel.sysfs.bus_dir("pci")
        #: Enumeration lines name the device type (the release does not change).
        self._type_suffix = kernel.version.pci_type_suffix
        self.quiet = False

    # -- lookup --------------------------------------------------------------------
    def hw_functions(self, segment: int) -> list[PciFunctionSpec]:
        return [f for f in self.hardware if f.segment == segment]

    def hw_segments(self) -> set[int]:
        """The PCI segments the hardware has functions in."""
        return {segment for segment, _ in self._hw_by_bus}

    def hw_on_bus(self, segment: int, bus: int) -> list[PciFunctionSpec]:
        """The hardware functions on one bus, in (slot, function) order."""
        return self._hw_by_bus.get((segment, bus), [])

    def find(self, name: str) -> PciDev | None:
        dev = self._by_name.get(name)
        if dev is not None or len(self._by_name) == len(self.devices):
            return dev
        return next((d for d in self.devices if d.name == name), None)

    def devices_in_order(self) -> list[PciDev]:
        """``bus_for_each_dev`` order: all of bus 0, then child buses (as added)."""
        if self._order is not None and len(self._order) == len(self.devices):
            return list(self._order)
        out: list[PciDev] = []

        def walk(bus: PciBus) -> None:
            out.extend(sorted(bus.devices, key=lambda d: d.devfn))
            for d in sorted(bus.devices, key=lambda d: d.devfn):
                if d.subordinate is not None:
                    walk(d.subordinate)

        for seg in sorted(self.roots):
            walk(self.roots[seg])
        self._order = out
        return list(out)

    def subordinate_max(self, bridge: PciDev) -> int:
        n = bridge.spec.secondary_bus or 0
        for f in self.hardware:
            if f.is_bridge and self._behind(f, bridge) and (f.secondary_bus or 0) > n:
                n = f.secondary_bus or 0
        return n

    def _behind(self, f: PciFunctionSpec, bridge: PciDev) -> bool:
        sec = bridge.spec.secondary_bus
        bus = f.bus
        seen = 0
        while seen < 256:
            if bus == sec:
                return True
            up = self._hw_bridge_to.get(bus)
            if up is None:
                return False
            bus = up.bus
            seen += 1
        return False

    # -- enumeration -----------------------------------------------------------------
    def root_bus(self, segment: int) -> PciBus:
        bus = self.roots.get(segment)
        if bus is None:
            bus = PciBus(segment, 0, None, None)
            top = self.kernel.sysfs.devices.add(Dir(f"pci{segment:04x}:00"))
            top.add(Dir("power"))
            bus.kobj = top.add(Dir("pci_bus")).add(Dir(bus.name))
            bus.kobj.add(Attribute("rescan", 0o200, store=lambda b: self._bus_rescan(bus, b)))
            self.class_bus_dir.add(Link(bus.name, bus.kobj))
            self.roots[segment] = bus
        return bus

    def _bus_dir(self, bus: PciBus) -> Dir:
        if bus.self is None:
            return self.kernel.sysfs.devices.get(f"pci{bus.segment:04x}:00")  # type: ignore[return-value]
        return bus.self.kobj

    def pci_scan_child_bus(self, bus: PciBus, new: list[PciDev]) -> None:
        """Scan every function on ``bus``, then each bridge's secondary bus."""
        present = {d.name for d in bus.devices}
        added: set[int] = set()
        for f in self.hw_on_bus(bus.segment, bus.number):
            if f.bdf in present:
                continue
            dev = self.pci_device_add(f, bus)
            present.add(dev.name)
            added.add(id(dev))
            new.append(dev)
        for dev in sorted(bus.devices, key=lambda d: d.devfn):
            if dev.is_bridge:
                child = dev.subordinate or self._add_child_bus(dev)
                self.pci_scan_child_bus(child, new)
                if id(dev) in added and not self.quiet:
                    self.kernel.printk.printk(
                        f"pci {dev.name}: PCI bridge to [bus {child.number:02x}]"
                    )

    def _add_child_bus(self, bridge: PciDev) -> PciBus:
        child = PciBus(bridge.bus.segment, bridge.spec.secondary_bus or 0, bridge, bridge.bus)
        child.kobj = bridge.kobj.ensure_dir("pci_bus").add(Dir(child.name))
        child.kobj.add(Attribute("rescan", 0o200, store=lambda b: self._bus_rescan(child, b)))
        self.class_bus_dir.add(Link(child.name, child.kobj))
        bridge.subordinate = child
        self._order = None
        return child

    def pci_device_add(
        self, spec: PciFunctionSpec, bus: PciBus, physfn: PciDev | None = None
    ) -> PciDev:
        """``pci_setup_device`` + ``pci_device_add``: log, sysfs, ``device_add`` (IOMMU
        ``BUS_NOTIFY_ADD_DEVICE``)."""
        k = self.kernel
        dev = PciDev(k, spec, bus)
        if physfn is not None:
            dev.is_virtfn, dev.physfn = True, physfn
        is_bridge = dev.is_bridge
        if not self.quiet:
            line = (
                f"pci {dev.name}: [{dev.vendor:04x}:{dev.device:04x}] type "
                f"{'01' if is_bridge else '00'} class 0x{dev.class_code:06x}"
            )
            if self._type_suffix:
                line += f" {dev.pci_type_str()}"
            k.printk.printk(line)
            if is_bridge:
                k.printk.printk(f"pci {dev.name}: PCI bridge to [bus {spec.secondary_bus:02x}]")
        parent = physfn.kobj.parent if physfn is not None else self._bus_dir(bus)
        assert parent is not None
        parent.add(dev.kobj)
        pci_create_sysfs_dev_files(dev, self.bus_type_dir)
        k.driver_core.devices_dir.add(Link(dev.name, dev.kobj))
        bus.add_device(dev)
        self._order = None
        self.devices.append(dev)
        self._by_name.setdefault(dev.name, dev)
        dev.registered = True
        if is_bridge:
            self._add_child_bus(dev)
        k.iommu_notify_add(dev)
        return dev

    def pci_bus_add_devices(self, devices: list[PciDev]) -> None:
        """Driver matching for newly added devices, bus 0 first then child buses."""
        wanted = {id(d) for d in devices}
        order = [d for d in self.devices_in_order() if id(d) in wanted]
        if not self.kernel.driver_core.drivers_autoprobe:
            return
        for dev in order:
            if dev.driver is None and not dev.dead:
                self.kernel.driver_core.device_attach(dev)

    def rescan(self) -> list[PciDev]:
        """``pci_rescan_bus`` on every root bus."""
        new: list[PciDev] = []
        segs = sorted({f.segment for f in self.hardware})
        for seg in segs:
            self.pci_scan_child_bus(self.root_bus(seg), new)
        self.pci_bus_add_devices(new)
        return new

    def _bus_rescan(self, bus: PciBus, buf: bytes) -> int:
        if kstrtoul(buf, 0):
            new: list[PciDev] = []
            self.pci_scan_child_bus(bus, new)
            self.pci_bus_add_devices(new)
        return len(buf)

    def bus_rescan_store(self, buf: bytes) -> int:
        """``/sys/bus/pci/rescan``."""
        if kstrtoul(buf, 0):
            self.rescan()
        return len(buf)

    def dev_rescan_store(self, dev: PciDev, buf: bytes) -> int:
        if kstrtoul(buf, 0):
            bus = dev.subordinate if dev.subordinate is not None else dev.bus
            new: list[PciDev] = []
            self.pci_scan_child_bus(bus, new)
            self.pci_bus_add_devices(new)
        return len(buf)

    # -- removal ---------------------------------------------------------------------
    def remove_store(self, dev: PciDev, buf: bytes) -> int:
        if kstrtoul(buf, 0) and not dev.dead:
            self.pci_stop_and_remove_bus_device(dev)
        return len(buf)

    def pci_stop_and_remove_bus_device(self, dev: PciDev) -> None:
        """Children first (VFs, then the secondary bus), then the device itself."""
        k = self.kernel
        if dev.virtfns:
            self.sriov_disable(dev)
        if dev.subordinate is not None:
            child = dev.subordinate
            for c in sorted(child.devices, key=lambda d: d.devfn, reverse=True):
                if c.driver is not None:
                    k.driver_core.device_release_driver(c)
            for c in sorted(child.devices, key=lambda d: d.devfn):
                self._del(c)
            k.printk.printk(f"pci_bus {child.name}: busn_res: [bus {child.number:02x}] is released")
            if child.kobj is not None and child.kobj.parent is not None:
                child.kobj.parent.remove(child.kobj.name)
            if self.class_bus_dir.get(child.name) is not None:
                self.class_bus_dir.remove(child.name)
            dev.subordinate = None
            self._order = None
        if dev.driver is not None:
            k.driver_core.device_release_driver(dev)
        self._del(dev)

    def _del(self, dev: PciDev) -> None:
        """``device_del``: driver, IOMMU release (``BUS_NOTIFY_REMOVED_DEVICE``), sysfs."""
        k = self.kernel
        if dev.subordinate is not None:
            self.pci_stop_and_remove_bus_device(dev)
            return
        dev.dead = True
        if dev.driver is not None:
            k.driver_core.device_release_driver(dev)
        k.iommu.iommu_release_device(dev)
        if k.driver_core.devices_dir.get(dev.name) is not None:
            k.driver_core.devices_dir.remove(dev.name)
        if dev.kobj.parent is not None:
            dev.kobj.parent.remove(dev.kobj.name)
        dev.registered = False
        dev.bus.remove_device(dev)
        self._order = None
        self.devices.remove(dev)
        if self._by_name.get(dev.name) is dev:
            del self._by_name[dev.name]
            other = next((d for d in self.devices if d.name == dev.name), None)
            if other is not None:
                self._by_name[dev.name] = other

    # -- SR-IOV --------------------------------------------------------------------
    def sriov_numvfs_store(self, pf: PciDev, buf: bytes) -> int:
        """``sriov_numvfs_store`` (drivers/pci/iov.c)."""
        num = kstrtou16(buf)
        if num is None:
            raise KernelError(errno.EINVAL)
        if num > pf.spec.sriov_totalvfs:
            raise KernelError(errno.ERANGE)
        with pf.mutex.held("sriov_numvfs_store"):
            if num == pf.sriov_numvfs:
                return len(buf)
            if pf.driver is None:
                pf.dev_info("no driver bound to device; cannot configure SR-IOV")
                raise KernelError(errno.ENOENT)
            if not pf.driver.info.sriov_configure:
                pf.dev_info("driver does not support SR-IOV configuration via sysfs")
                raise KernelError(errno.ENOENT)
            if num and pf.sriov_numvfs:
                pf.dev_warn(
                    f"{pf.sriov_numvfs} VFs already enabled. Disable before enabling {num} VFs"
                )
                raise KernelError(errno.EBUSY)
        if num == 0:
            self.sriov_disable(pf)
        else:
            self.sriov_enable(pf, num)
        return len(buf)

    def vf_spec(self, pf: PciDev, i: int) -> PciFunctionSpec:
        seg, bus, slot, fn = parse_bdf(pf.name)
        rid = (bus << 8 | slot << 3 | fn) + pf.spec.sriov_offset + pf.spec.sriov_stride * i
        bdf = f"{seg:04x}:{(rid >> 8) & 0xFF:02x}:{(rid >> 3) & 0x1F:02x}.{rid & 7}"
        return PciFunctionSpec(
            bdf,
            vendor=pf.vendor,
            device=pf.spec.sriov_vf_device,
            class_code=pf.class_code,
            role="endpoint",
            multifunction=False,
            pcie=pf.pci_is_pcie(),
            iommu=pf.spec.iommu,
            can_reset=True,
        )

    def sriov_enable(self, pf: PciDev, num: int) -> None:
        """``sriov_enable`` -> ``pci_iov_add_virtfn`` for each VF; VFs then autoprobe."""
        new: list[PciDev] = []
        for i in range(num):
            spec = self.vf_spec(pf, i)
            vf = self.pci_device_add(spec, pf.bus, physfn=pf)
            vf.kobj.add(Link("physfn", pf.kobj))
            pf.kobj.add(Link(f"virtfn{i}", vf.kobj))
            pf.virtfns.append(vf)
            new.append(vf)
        pf.sriov_numvfs = num
        self.pci_bus_add_devices(new)

    def sriov_disable(self, pf: PciDev) -> None:
        for i, vf in reversed(list(enumerate(pf.virtfns))):
            if pf.kobj.get(f"virtfn{i}") is not None:
                pf.kobj.remove(f"virtfn{i}")
            if vf.registered:  # a VF removed on its own is already gone
                self._del(vf)
        pf.virtfns = []
        pf.sriov_numvfs = 0

    def iter_vfs(self) -> Iterator[PciDev]:
        for d in self.devices:
            if d.is_virtfn:
                yield d
