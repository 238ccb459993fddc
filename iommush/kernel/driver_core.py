"""The driver core for the PCI bus (drivers/base/dd.c, bus.c, drivers/pci/pci-driver.c):
matching, ``really_probe`` with ``dma_configure``/``dma_cleanup``, bind/unbind,
``drivers_probe``, dynamic IDs, ``driver_override``."""

from __future__ import annotations

import errno
from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from iommush.vfs import Attribute, Dir, Link
from iommush.vfs.node import LazyDir

from .device import DeviceDriver, KernelDevice
from .dma_owner import iommu_device_unuse_default_domain, iommu_device_use_default_domain
from .errors import EPROBE_DEFER, KernelError
from .pci import PciDev
from .pci_drivers import PCI_ANY_ID, PciDeviceId, PciDriverInfo

if TYPE_CHECKING:
    from .kernel import Kernel

__all__ = ["DriverCore"]

#: The files of a driver's directory (``/sys/bus/pci/drivers/<name>``).
_DRIVER_FILES = frozenset({"bind", "unbind", "new_id", "remove_id", "uevent", "module"})


def _name_arg(buf: bytes) -> str:
    """``sysfs_streq``-style device name: one trailing newline is ignored."""
    s = buf.split(b"\0", 1)[0].decode(errors="replace")
    return s[:-1] if s.endswith("\n") else s


class DriverCore:
    """The PCI ``bus_type``: its drivers (in registration order) and devices."""

    def __init__(self, kernel: Kernel, bus_dir: Dir) -> None:
        self.kernel = kernel
        self.drivers: dict[str, DeviceDriver] = {}
        self.drivers_autoprobe = True
        self.bus_dir = bus_dir
        self.drivers_dir = bus_dir.add(Dir("drivers"))
        self.devices_dir = bus_dir.add(Dir("devices"))
        bus_dir.add(Attribute("drivers_probe", 0o200, store=self.drivers_probe_store))
        bus_dir.add(
            Attribute(
                "drivers_autoprobe", 0o644, show=self._autoprobe_show, store=self._autoprobe_store
            )
        )

    # -- registration --------------------------------------------------------------
    def driver_register(self, info: PciDriverInfo, *, boot_binds: set[str] | None = None) -> None:
        """``pci_register_driver``: sysfs dir, then ``driver_attach`` (at boot only the
        devices the machine says were bound to it)."""
        kobj = LazyDir(info.name)
        self.drivers_dir.add(kobj)
        drv = DeviceDriver(info, kobj)
        module = self.kernel.sysfs.module_dir(info.module) if info.module is not None else None
        # the files are made when the directory is first looked at
        kobj.defer(partial(self._driver_files, drv, module), _DRIVER_FILES)
        self.drivers[info.name] = drv
        for line in info.init_log:
            self.kernel.printk.printk(line)
        devices = self.kernel.pci.devices_in_order()
        if boot_binds is not None:
            devices = [dev for dev in devices if dev.name in boot_binds]
        for dev in devices:
            if dev.driver is None and self.driver_match_device(drv, dev):
                self.driver_probe_device(drv, dev)

    def _driver_files(self, drv: DeviceDriver, module: Dir | None, kobj: Dir) -> None:
        stores: list[tuple[str, Callable[[DeviceDriver, bytes], int]]] = [
            ("bind", self.bind_store),
            ("unbind", self.unbind_store),
            ("new_id", self.new_id_store),
            ("remove_id", self.remove_id_store),
        ]
        for name, store in stores:
            kobj.add(Attribute(name, 0o200, store=self._bind(store, drv)))
        kobj.add(Attribute("uevent", 0o200, store=lambda b: len(b)))
        if module is not None:
            kobj.add(Link("module", module))

    def driver_unregister(self, name: str) -> None:
        drv = self.drivers[name]
        for dev in list(drv.devices):
            self.device_release_driver(dev)
        del self.drivers[name]
        self.drivers_dir.remove(name)

    @staticmethod
    def _bind(
        fn: Callable[[DeviceDriver, bytes], int], drv: DeviceDriver
    ) -> Callable[[bytes], int]:
        return lambda buf: fn(drv, buf)

    # -- matching ------------------------------------------------------------------
    def pci_match_device(self, drv: DeviceDriver, dev: PciDev) -> PciDeviceId | None:
        """``pci_match_device()``: override first, dynamic IDs, static table, dummy id."""
        override = dev.driver_override
        if override is not None and override != drv.name:
            return None
        args = (
            dev.vendor,
            dev.device,
            dev.spec.subsystem_vendor,
            dev.spec.subsystem_device,
            dev.class_code,
        )
        for did in drv.dynids:
            if did.matches(*args):
                return did
        for did in drv.info.ids:
            if did.matches(*args):
                if did.override_only and override is None:
                    continue
                return did
        if override is not None:
            return PciDeviceId()
        return None

    def driver_match_device(self, drv: DeviceDriver, dev: KernelDevice) -> bool:
        return isinstance(dev, PciDev) and self.pci_match_device(drv, dev) is not None

    # -- probe ---------------------------------------------------------------------
    def really_probe(self, drv: DeviceDriver, dev: KernelDevice) -> int:
        """``really_probe()``: 0 bound, > 0 the driver rejected (positive errno),
        raises KernelError for ``dma_configure`` failures."""
        if dev.dead or not dev.registered:
            raise KernelError(errno.ENODEV)
        dev.driver = drv
        try:
            self.pci_dma_configure(drv, dev)
        except KernelError:
            dev.driver = None
            raise
        dev.kobj.add(Link("driver", drv.kobj))
        drv.kobj.add(Link(dev.name, dev.kobj))
        ret = self.kernel.drivers.probe(drv, dev)
        if ret:
            if ret not in (errno.ENODEV, errno.ENXIO, EPROBE_DEFER):
                dev.dev_err(f"probe with driver {drv.name} failed with error -{ret}")
            drv.kobj.remove(dev.name)
            dev.kobj.remove("driver")
            self.pci_dma_cleanup(drv, dev)
            dev.driver = None
            return ret
        drv.devices.append(dev)
        return 0

    def pci_dma_configure(self, drv: DeviceDriver, dev: KernelDevice) -> None:
        """``pci_dma_configure``: firmware IOMMU setup (VIOT: the IOMMU probe happens
        here), then ``iommu_device_use_default_domain`` unless ``driver_managed_dma``."""
        core = self.kernel.iommu
        if dev.iommu_group is None:
            ops = core.ops_for(dev)
            if ops is not None and ops.probe_at_dma_configure:
                if not self.kernel.iommu_ready(ops):
                    raise KernelError(EPROBE_DEFER)
                try:
                    core.iommu_probe_device(dev)
                except KernelError:
                    pass
        if not drv.driver_managed_dma:
            iommu_device_use_default_domain(dev)

    def pci_dma_cleanup(self, drv: DeviceDriver, dev: KernelDevice) -> None:
        if not drv.driver_managed_dma:
            iommu_device_unuse_default_domain(dev)

    def driver_probe_device(self, drv: DeviceDriver, dev: KernelDevice) -> int:
        """Probe under ``device_lock``; negative errno, 0, or positive (rejected)."""
        with dev.mutex.held("__driver_attach"):
            if dev.driver is not None:
                return 0
            try:
                return self.really_probe(drv, dev)
            except KernelError as e:
                if e.errno == EPROBE_DEFER and dev not in self.kernel.deferred:
                    self.kernel.deferred.append(dev)
                return -(e.errno or errno.EIO)

    def device_attach(self, dev: KernelDevice) -> int:
        """``device_attach()``: try drivers in registration order until one binds."""
        if dev.driver is not None:
            return 1
        for drv in list(self.drivers.values()):
            if not self.driver_match_device(drv, dev):
                continue
            ret = self.driver_probe_device(drv, dev)
            if ret < 0:
                return ret
            if ret == 0:
                return 1
        return 0

    def device_release_driver(self, dev: KernelDevice) -> None:
        """``__device_release_driver``: links, the driver's remove, ``dma_cleanup``."""
        with dev.mutex.held("device_release_driver"):
            drv = dev.driver
            if drv is None:
                return
            if drv.kobj.get(dev.name) is not None:
                drv.kobj.remove(dev.name)
            if dev.kobj.get("driver") is not None:
                dev.kobj.remove("driver")
            self.kernel.drivers.remove(drv, dev)
            self.pci_dma_cleanup(drv, dev)
            drv.devices.remove(dev)
            dev.driver = None

    # -- sysfs stores --------------------------------------------------------------
    def bind_store(self, drv: DeviceDriver, buf: bytes) -> int:
        """``bind_store``: ENODEV (no device / no match), EBUSY (bound), probe errors."""
        dev = self.kernel.pci.find(_name_arg(buf))
        if dev is None or not self.driver_match_device(drv, dev):
            raise KernelError(errno.ENODEV)
        with dev.mutex.held("device_driver_attach"):
            if dev.driver is not None:
                raise KernelError(errno.EBUSY)
            try:
                ret = self.really_probe(drv, dev)
            except KernelError as e:
                if e.errno == EPROBE_DEFER:
                    raise KernelError(errno.EAGAIN) from None
                raise
        if ret == EPROBE_DEFER:
            raise KernelError(errno.EAGAIN)
        if ret:
            raise KernelError(ret)
        return len(buf)

    def unbind_store(self, drv: DeviceDriver, buf: bytes) -> int:
        dev = self.kernel.pci.find(_name_arg(buf))
        if dev is None or dev.driver is not drv:
            raise KernelError(errno.ENODEV)
        self.device_release_driver(dev)
        return len(buf)

    def drivers_probe_store(self, buf: bytes) -> int:
        dev = self.kernel.pci.find(_name_arg(buf))
        if dev is None:
            raise KernelError(errno.ENODEV)
        if dev.driver is None and self.device_attach(dev) < 0:
            raise KernelError(errno.EINVAL)
        return len(buf)

    def _autoprobe_show(self) -> str:
        return f"{int(self.drivers_autoprobe)}\n"

    def _autoprobe_store(self, buf: bytes) -> int:
        s = _name_arg(buf)
        if s.startswith("0"):
            self.drivers_autoprobe = False
        else:
            self.drivers_autoprobe = True
        return len(buf)

    @staticmethod
    def _scan_ids(buf: bytes, limit: int) -> list[int]:
        """``sscanf(buf, "%x %x ...")``: leading hex fields until one does not parse."""
        out: list[int] = []
        for word in buf.split(b"\0", 1)[0].decode(errors="replace").split()[:limit]:
            try:
                out.append(int(word, 16))
            except ValueError:
                break
        return out

    def new_id_store(self, drv: DeviceDriver, buf: bytes) -> int:
        """``new_id_store`` (drivers/pci/pci-driver.c)."""
        f = self._scan_ids(buf, 7)
        if len(f) < 2:
            raise KernelError(errno.EINVAL)
        f += [PCI_ANY_ID, PCI_ANY_ID, 0, 0, 0][len(f) - 2 :]
        vendor, device, subv, subd, cls, mask, data = f[:7]
        if len(self._scan_ids(buf, 7)) < 7:
            # pci_match_device() on a stack pci_dev carrying these IDs
            for did in list(drv.dynids) + [d for d in drv.info.ids if not d.override_only]:
                if did.matches(vendor, device, subv, subd, cls):
                    raise KernelError(errno.EEXIST)
        if drv.info.ids and not any(d.driver_data == data for d in drv.info.ids):
            raise KernelError(errno.EINVAL)
        drv.dynids.append(PciDeviceId(vendor, device, subv, subd, cls, mask, data))
        for dev in self.kernel.pci.devices_in_order():
            if dev.driver is None and self.driver_match_device(drv, dev):
                self.driver_probe_device(drv, dev)
        return len(buf)

    def remove_id_store(self, drv: DeviceDriver, buf: bytes) -> int:
        f = self._scan_ids(buf, 6)
        if len(f) < 2:
            raise KernelError(errno.EINVAL)
        f += [PCI_ANY_ID, PCI_ANY_ID, 0, 0][len(f) - 2 :]
        vendor, device, subv, subd, cls, mask = f[:6]
        for did in drv.dynids:
            if (
                did.vendor == vendor
                and did.device == device
                and (subv == PCI_ANY_ID or did.subvendor == subv)
                and (subd == PCI_ANY_ID or did.subdevice == subd)
                and not ((did.class_ ^ cls) & mask)
            ):
                drv.dynids.remove(did)
                return len(buf)
        raise KernelError(errno.ENODEV)
