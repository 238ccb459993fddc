"""Loadable modules (kernel/module/): ``init_module``/``delete_module`` for the modelled
drivers. Loading a PCI driver module registers the driver (which binds matching devices);
unloading refuses while a device is bound (its refcount) or another module depends on it."""

from __future__ import annotations

import errno
from typing import TYPE_CHECKING

from .errors import KernelError
from .pci_drivers import MODULE_DEPS, PCI_DRIVERS, PciDriverInfo

if TYPE_CHECKING:
    from .kernel import Kernel

__all__ = ["ModuleLoader"]


class ModuleLoader:
    """The set of loaded modules, in load order."""

    def __init__(self, kernel: Kernel, extra: dict[str, PciDriverInfo]) -> None:
        self.kernel = kernel
        self.loaded: list[str] = []
        self.by_module: dict[str, PciDriverInfo] = {}
        for info in list(PCI_DRIVERS.values()) + list(extra.values()):
            if info.module is not None:
                self.by_module[info.module] = info

    @staticmethod
    def canonical(name: str) -> str:
        return name.replace("-", "_")

    def available(self) -> list[str]:
        return sorted(set(self.by_module) | set(MODULE_DEPS) | {"virtio_iommu"})

    def deps(self, name: str) -> tuple[str, ...]:
        info = self.by_module.get(name)
        return info.depends if info is not None else ()

    def load(self, name: str, *, boot_binds: set[str] | None = None) -> bool:
        """``modprobe name``: dependencies first. False if it was already loaded."""
        name = self.canonical(name)
        if name in self.loaded:
            return False
        if name not in self.by_module and name not in MODULE_DEPS and name != "virtio_iommu":
            raise KernelError(errno.ENOENT)
        for dep in self.deps(name):
            self.load(dep, boot_binds=boot_binds)
        k = self.kernel
        self.loaded.append(name)
        k.sysfs.module_dir(name)
        for line in MODULE_DEPS.get(name, ()):
            k.printk.printk(line)
        if name == "vfio":
            k.vfio.load()
        if name in ("virtio_net", "virtio_blk"):
            k.drivers.virtio_driver_loaded(name)
        if name == "virtio_iommu":
            k.register_late_iommus()
        info = self.by_module.get(name)
        if info is not None:
            k.driver_core.driver_register(info, boot_binds=boot_binds)
        return True

    def unload(self, name: str) -> None:
        """``modprobe -r``/``rmmod``: EBUSY while in use, ENOENT if not loaded."""
        name = self.canonical(name)
        if name not in self.loaded:
            raise KernelError(errno.ENOENT)
        for other in self.loaded:
            if name in self.deps(other):
                raise KernelError(errno.EBUSY)
        info = self.by_module.get(name)
        k = self.kernel
        if info is not None:
            drv = k.driver_core.drivers.get(info.name)
            if drv is not None and drv.devices:
                raise KernelError(errno.EBUSY)
            if drv is not None:
                k.driver_core.driver_unregister(info.name)
        if name == "vfio":
            if k.vfio.groups:
                raise KernelError(errno.EBUSY)
            k.vfio.unload()
        self.loaded.remove(name)
        if k.sysfs.module.get(name) is not None:
            k.sysfs.module.remove(name)
