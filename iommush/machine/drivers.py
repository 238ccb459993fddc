"""Which PCI driver names a machine may bind: the kernel's catalog and declared drivers.

The catalog is ``iommush.kernel.pci_drivers.PCI_DRIVERS``; a machine adds its own
``[[driver]]`` entries (:class:`~iommush.kernel.spec.DriverSpec`). Drivers that manage
DMA themselves (``driver_managed_dma``: vfio-pci and its vendor variants, pci-stub,
pcieport) are recognised by name when an imported machine binds them.
"""

from __future__ import annotations

import re

from iommush.kernel.pci_drivers import MODULE_DEPS, PCI_DRIVERS, PciDriverInfo
from iommush.kernel.spec import DriverSpec

__all__ = [
    "catalog_driver_names",
    "catalog_module_names",
    "is_dma_managing_driver",
    "known_driver_names",
    "normalise_module",
]

_VFIO_VARIANT = re.compile(r"^(vfio[-_]pci|.+[-_]vfio[-_]pci|vfio[-_]pci[-_].+)$")


def _catalog() -> dict[str, PciDriverInfo]:
    return PCI_DRIVERS


def catalog_driver_names() -> frozenset[str]:
    """Names of the drivers the kernel model knows (``/sys/bus/pci/drivers/<name>``)."""
    return frozenset(_catalog())


def catalog_module_names() -> frozenset[str]:
    """Module names the kernel model can load, normalised with '_' (as ``lsmod`` prints)."""
    names = {normalise_module(m) for m in MODULE_DEPS}
    for name, info in _catalog().items():
        names.add(normalise_module(name))
        if info.module:
            names.add(normalise_module(info.module))
    return frozenset(names)


def normalise_module(name: str) -> str:
    """``vfio-pci`` -> ``vfio_pci``: modprobe treats '-' and '_' alike."""
    return name.replace("-", "_")


def known_driver_names(declared: list[DriverSpec]) -> frozenset[str]:
    """The catalog plus the machine's declared drivers."""
    return catalog_driver_names() | {d.name for d in declared}


def is_dma_managing_driver(name: str) -> bool:
    """Whether a driver of this name sets ``driver_managed_dma`` in Linux.

    vfio-pci and its variants (``mlx5_vfio_pci``, ``hisi_acc_vfio_pci``, ...), pci-stub
    and pcieport (drivers/pci/pcie/portdrv.c, since 5.19) claim DMA ownership themselves.
    """
    return bool(_VFIO_VARIANT.match(name)) or name in ("pci-stub", "pcieport")
