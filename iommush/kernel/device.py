"""``struct device``, ``struct device_driver`` and ``struct dev_iommu`` (include/linux/device.h,
include/linux/iommu.h): the objects the driver core and the IOMMU core hand around."""

from __future__ import annotations

from dataclasses import dataclass, field
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


@dataclass(eq=False)
class DevIommu:
    """``struct dev_iommu``: set by ``iommu_probe_device`` while the device is managed."""

    ops: IommuOps
    iommu_dev: IommuUnit
    #: A firmware 1:1 region (``IOMMU_RESV_DIRECT``) exists: blocking is refused (6.5+).
    require_direct: bool = False
    attach_deferred: bool = False


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
        return f"{self.dev_driver_string()} {self.name}"

    def dev_info(self, text: str) -> None:
        self.kernel.printk.printk(f"{self.dev_prefix()}: {text}", 6)

    def dev_warn(self, text: str) -> None:
        self.kernel.printk.printk(f"{self.dev_prefix()}: {text}", 4)

    def dev_err(self, text: str) -> None:
        self.kernel.printk.printk(f"{self.dev_prefix()}: {text}", 3)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}>"


@dataclass(eq=False)
class DeviceDriver:
    """``struct pci_driver`` + ``struct device_driver``: static info, dynamic ids, devices."""

    info: PciDriverInfo
    kobj: Dir
    dynids: list[PciDeviceId] = field(default_factory=list)
    devices: list[KernelDevice] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.info.name

    @property
    def driver_managed_dma(self) -> bool:
        return self.info.driver_managed_dma
