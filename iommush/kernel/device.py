"""``struct device``, ``struct device_driver`` and ``struct dev_iommu`` (include/linux/device.h,
include/linux/iommu.h): the objects the driver core and the IOMMU core hand around."""

from __future__ import annotations

from typing import TYPE_CHECKING

from iommush.vfs import Dir

from .lockdep import KernelLock

if TYPE_CHECKING:
    from .domain import IommuDomain
    from .hw.base import IommuOps, IommuUnit
    from .iommu_group import IommuGroup
    from .kernel import Kernel
    from .pci_drivers import PciDeviceId, PciDriverInfo

__all__ = ["DevIommu", "DeviceDriver", "KernelDevice"]


class DevIommu:
    """``struct dev_iommu``: set by ``iommu_probe_device`` while the device is managed."""

    __slots__ = ("ops", "iommu_dev", "require_direct", "attach_deferred", "__weakref__")

    def __init__(
        self,
        ops: IommuOps,
        iommu_dev: IommuUnit,
        require_direct: bool = False,
        attach_deferred: bool = False,
    ) -> None:
        self.ops = ops
        self.iommu_dev = iommu_dev
        #: A firmware 1:1 region (``IOMMU_RESV_DIRECT``) exists: blocking is refused (6.5+).
        self.require_direct = require_direct
        self.attach_deferred = attach_deferred

    def __repr__(self) -> str:
        return (
            f"DevIommu(ops={self.ops!r}, iommu_dev={self.iommu_dev!r}, "
            f"require_direct={self.require_direct!r}, attach_deferred={self.attach_deferred!r})"
        )


class KernelDevice:
    """``struct device``: a name, a bus, a sysfs directory, a driver, ``device_lock``."""

    bus_name = "platform"
    #: The kind of directory the device's kobject is (PCI devices defer their files).
    kobj_class: type[Dir] = Dir

    def __init__(self, kernel: Kernel, name: str) -> None:
        self.kernel = kernel
        self.name = name
        self.kobj: Dir = self.kobj_class(name)
        self.driver: DeviceDriver | None = None
        self.driver_override: str | None = None
        self.iommu_group: IommuGroup | None = None
        self.iommu: DevIommu | None = None
        #: The domain the IOMMU driver last attached this device to (``attach_dev``).
        self.attached_domain: IommuDomain | None = None
        #: ``dev->p->dead``: set once ``device_del`` started.
        self.dead = False
        #: ``device_is_registered``.
        self.registered = False
        self.mutex = KernelLock(kernel.lockdep, "&dev->mutex", "device_lock")
        #: The IOMMU unit this device sits behind (firmware description), if any.
        self.iommu_unit: IommuUnit | None = None
        #: ``(ops, unit)``: what ``ops.unit_for(self)`` found (firmware scope is fixed).
        self.unit_memo: tuple[IommuOps, IommuUnit | None] | None = None
        #: Driver-private state (net device name, virtio index...).
        self.drvdata: dict[str, object] = {}

    def dev_name(self) -> str:
        return self.name

    def dev_driver_string(self) -> str:
        """``dev_driver_string()``: the bound driver's name, else the bus name."""
        return self.driver.name if self.driver is not None else self.bus_name

    def dev_prefix(self) -> str:
        """The ``dev_printk`` prefix: ``"e1000e 0000:00:02.0"``."""
        drv = self.driver
        return f"{drv.name if drv is not None else self.bus_name} {self.name}"

    def dev_info(self, text: str) -> None:
        self.kernel.printk.printk(f"{self.dev_prefix()}: {text}", 6)

    def dev_warn(self, text: str) -> None:
        self.kernel.printk.printk(f"{self.dev_prefix()}: {text}", 4)

    def dev_err(self, text: str) -> None:
        self.kernel.printk.printk(f"{self.dev_prefix()}: {text}", 3)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


class DeviceDriver:
    """``struct pci_driver`` + ``struct device_driver``: static info, dynamic ids, devices."""

    def __init__(
        self,
        info: PciDriverInfo,
        kobj: Dir,
        dynids: list[PciDeviceId] | None = None,
        devices: list[KernelDevice] | None = None,
    ) -> None:
        self.info = info
        self.kobj = kobj
        self.dynids: list[PciDeviceId] = [] if dynids is None else dynids
        self.devices: list[KernelDevice] = [] if devices is None else devices
        #: ``info.name`` and ``info.driver_managed_dma`` (static), read on every probe.
        self.name = info.name
        self.driver_managed_dma = info.driver_managed_dma

    def __repr__(self) -> str:
        return (
            f"DeviceDriver(info={self.info!r}, kobj={self.kobj!r}, dynids={self.dynids!r}, "
            f"devices={self.devices!r})"
        )
