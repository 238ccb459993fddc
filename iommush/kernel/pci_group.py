"""``pci_device_group()`` and its helpers (drivers/iommu/iommu.c, drivers/pci/search.c,
drivers/pci/pci.c ``pci_acs_enabled``): which existing group a PCI device joins.

Identical in substance from v6.1 to current.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from .pci import (
    PCI_EXP_TYPE_DOWNSTREAM,
    PCI_EXP_TYPE_ENDPOINT,
    PCI_EXP_TYPE_PCI_BRIDGE,
    PCI_EXP_TYPE_RC_END,
    PCI_EXP_TYPE_ROOT_PORT,
    PCI_EXP_TYPE_UPSTREAM,
    PciDev,
)

if TYPE_CHECKING:
    from .iommu_group import IommuGroup

__all__ = [
    "pci_acs_enabled",
    "pci_acs_path_enabled",
    "pci_device_group",
    "pci_devs_are_dma_aliases",
    "pci_for_each_dma_alias",
]


def pci_acs_enabled(pdev: PciDev) -> bool:
    """``pci_acs_enabled(pdev, REQ_ACS_FLAGS)``."""
    t = pdev.pcie_type
    if t is None:  # not PCI Express
        return False
    if t == PCI_EXP_TYPE_PCI_BRIDGE:
        return False
    if t in (PCI_EXP_TYPE_DOWNSTREAM, PCI_EXP_TYPE_ROOT_PORT):
        return pdev.spec.acs
    if t in (PCI_EXP_TYPE_ENDPOINT, PCI_EXP_TYPE_RC_END) and pdev.multifunction:
        return pdev.spec.acs
    return True


def pci_acs_path_enabled(start: PciDev) -> bool:
    """``pci_acs_path_enabled(start, NULL, REQ_ACS_FLAGS)``: every device up to the root."""
    pdev = start
    while True:
        if not pci_acs_enabled(pdev):
            return False
        up = pdev.bus.self
        if up is None or pdev.bus.is_root():
            return True
        pdev = up


def pci_for_each_dma_alias(pdev: PciDev, fn: Callable[[PciDev, int], bool]) -> bool:
    """``pci_for_each_dma_alias()``: the device, its quirk aliases, then the requester
    IDs bridges on the way up substitute. Stops when ``fn`` returns True."""
    bus = pdev.bus
    if fn(pdev, (bus.number << 8) | pdev.devfn):
        return True
    for devfn in pdev.dma_alias_devfns():
        if fn(pdev, (bus.number << 8) | devfn):
            return True
    while bus.parent is not None:  # up to the root bus
        tmp = bus.self
        if tmp is not None:
            t = tmp.pcie_type
            if t is not None:  # PCI Express
                if t in (PCI_EXP_TYPE_ROOT_PORT, PCI_EXP_TYPE_UPSTREAM, PCI_EXP_TYPE_DOWNSTREAM):
                    pass
                elif t == PCI_EXP_TYPE_PCI_BRIDGE:
                    sub = tmp.subordinate.number if tmp.subordinate else 0
                    if fn(tmp, sub << 8):
                        return True
            elif fn(tmp, (tmp.bus.number << 8) | tmp.devfn):
                return True
        bus = bus.parent
    return False


def pci_devs_are_dma_aliases(a: PciDev, b: PciDev) -> bool:
    """``pci_devs_are_dma_aliases()``: a quirk makes one use the other's requester ID."""
    return (a.bus is b.bus) and (b.devfn in a.dma_alias_devfns() or a.devfn in b.dma_alias_devfns())


def _dma_alias_peers(pdev: PciDev) -> list[PciDev]:
    """The other devices on ``pdev``'s bus that are DMA aliases of it, in bus order
    (the ``list_for_each_entry(tmp, &pdev->bus->devices, bus_list)`` walk of
    ``get_pci_alias_group`` keeping those ``pci_devs_are_dma_aliases`` accepts), found
    through the bus's devfn index instead of a walk of the whole bus."""
    bus = pdev.bus
    peers: list[PciDev] = []
    for devfn in pdev.dma_alias_devfns():
        peers.extend(bus.at_devfn(devfn))
    for tmp in bus.aliasing_devices():
        if pdev.devfn in tmp.dma_alias_devfns():
            peers.append(tmp)
    if not peers:
        return peers
    unique = {id(d): d for d in peers if d is not pdev}
    return sorted(unique.values(), key=bus.devices.index)


def get_pci_function_alias_group(pdev: PciDev, devfns: set[int]) -> IommuGroup | None:
    """Non-isolated functions of the same slot share a group."""
    if not pdev.multifunction or pci_acs_enabled(pdev):
        return None
    for tmp in pdev.bus.on_slot(pdev.slot):
        if tmp is pdev or pci_acs_enabled(tmp):
            continue
        group = get_pci_alias_group(tmp, devfns)
        if group is not None:
            return group
    return None


def get_pci_alias_group(pdev: PciDev, devfns: set[int]) -> IommuGroup | None:
    """A group of ``pdev`` or of a device it aliases (or that aliases it)."""
    if pdev.devfn in devfns:
        return None
    devfns.add(pdev.devfn)
    if pdev.iommu_group is not None:
        return pdev.iommu_group
    for tmp in _dma_alias_peers(pdev):
        group = get_pci_alias_group(tmp, devfns)
        if group is not None:
            return group
        group = get_pci_function_alias_group(tmp, devfns)
        if group is not None:
            return group
    return None


def pci_device_group(pdev: PciDev, alloc: Callable[[], IommuGroup]) -> IommuGroup:
    """``pci_device_group()``: an existing group found through aliases, missing ACS or
    non-isolated functions, else ``alloc()`` (``iommu_group_alloc``)."""
    last: list[PciDev] = [pdev]
    found: list[IommuGroup] = []

    def get_pci_alias_or_group(dev: PciDev, alias: int) -> bool:
        last[0] = dev
        if dev.iommu_group is not None:
            found.append(dev.iommu_group)
            return True
        return False

    if pci_for_each_dma_alias(pdev, get_pci_alias_or_group):
        return found[0]
    pdev = last[0]
    bus = pdev.bus
    while bus.parent is not None:  # up to the root bus
        if bus.self is not None:
            if pci_acs_path_enabled(bus.self):
                break
            pdev = bus.self
            if pdev.iommu_group is not None:
                return pdev.iommu_group
        bus = bus.parent
    devfns: set[int] = set()
    group = get_pci_alias_group(pdev, devfns)
    if group is not None:
        return group
    group = get_pci_function_alias_group(pdev, devfns)
    if group is not None:
        return group
    return alloc()
