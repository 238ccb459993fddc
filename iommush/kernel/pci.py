"""``struct pci_dev`` and ``struct pci_bus`` (include/linux/pci.h, drivers/pci/probe.c).

A :class:`PciDev` is the software object for a function that has been scanned; the
"hardware" (what a rescan finds) is the machine's list of :class:`PciFunctionSpec`.
"""

from __future__ import annotations

import copy
import dataclasses
from typing import TYPE_CHECKING

from iommush.vfs import Dir
from iommush.vfs.node import LazyDir

from .device import KernelDevice
from .spec import PciFunctionSpec

if TYPE_CHECKING:
    from .kernel import Kernel

__all__ = [
    "PCI_EXP_TYPE_DOWNSTREAM",
    "PCI_EXP_TYPE_ENDPOINT",
    "PCI_EXP_TYPE_PCI_BRIDGE",
    "PCI_EXP_TYPE_RC_END",
    "PCI_EXP_TYPE_ROOT_PORT",
    "PCI_EXP_TYPE_UPSTREAM",
    "PciBus",
    "PciDev",
    "pci_type_str",
]

PCI_EXP_TYPE_ENDPOINT = 0x0
PCI_EXP_TYPE_ROOT_PORT = 0x4
PCI_EXP_TYPE_UPSTREAM = 0x5
PCI_EXP_TYPE_DOWNSTREAM = 0x6
PCI_EXP_TYPE_PCI_BRIDGE = 0x7
PCI_EXP_TYPE_RC_END = 0x9

_ROLE_PCIE_TYPE = {
    "rc_integrated": PCI_EXP_TYPE_RC_END,
    "root_port": PCI_EXP_TYPE_ROOT_PORT,
    "upstream_port": PCI_EXP_TYPE_UPSTREAM,
    "downstream_port": PCI_EXP_TYPE_DOWNSTREAM,
    "pcie_to_pci_bridge": PCI_EXP_TYPE_PCI_BRIDGE,
}


class PciBus:
    """``struct pci_bus``: a bus number, the bridge above it (``self``), its devices."""

    def __init__(self, segment: int, number: int, bridge: PciDev | None, parent: PciBus | None):
        self.segment = segment
        self.number = number
        self.self = bridge
        self.parent = parent
        #: The devices on the bus, in the order they were added (``bus->devices``).
        self.devices: list[PciDev] = []
        #: ``/sys/devices/.../pci_bus/0000:NN`` (the class device of the bus).
        self.kobj: Dir | None = None
        #: ``devices`` by slot and by devfn (each in ``devices`` order), and the devices
        #: with quirk DMA aliases: what the grouping code looks up on big buses.
        self._by_slot: dict[int, list[PciDev]] = {}
        self._by_devfn: dict[int, list[PciDev]] = {}
        self._aliasing: list[PciDev] = []

    def add_device(self, dev: PciDev) -> None:
        """``list_add_tail(&dev->bus_list, &bus->devices)``."""
        self.devices.append(dev)
        self._by_slot.setdefault(dev.devfn >> 3, []).append(dev)
        self._by_devfn.setdefault(dev.devfn, []).append(dev)
        if dev.spec.dma_alias_devfns:
            self._aliasing.append(dev)

    def remove_device(self, dev: PciDev) -> None:
        """``list_del(&dev->bus_list)``."""
        self.devices.remove(dev)
        self._by_slot[dev.devfn >> 3].remove(dev)
        self._by_devfn[dev.devfn].remove(dev)
        if dev in self._aliasing:
            self._aliasing.remove(dev)

    def on_slot(self, slot: int) -> list[PciDev]:
        """The devices of one slot, in ``devices`` order."""
        return self._by_slot.get(slot, [])

    def at_devfn(self, devfn: int) -> list[PciDev]:
        """The devices at one devfn (normally one), in ``devices`` order."""
        return self._by_devfn.get(devfn, [])

    def aliasing_devices(self) -> list[PciDev]:
        """The devices with quirk DMA aliases, in ``devices`` order."""
        return self._aliasing

    @property
    def name(self) -> str:
        return f"{self.segment:04x}:{self.number:02x}"

    def is_root(self) -> bool:
        return self.parent is None

    def __repr__(self) -> str:
        return f"<PciBus {self.name}>"


class PciDev(KernelDevice):
    """``struct pci_dev``: one scanned function."""

    bus_name = "pci"
    kobj_class = LazyDir

    def __init__(self, kernel: Kernel, spec: PciFunctionSpec, bus: PciBus) -> None:
        super().__init__(kernel, spec.bdf)
        self.spec = _own_copy(spec)
        self.bus = bus
        _, _, slot, fn = spec.location()
        self.devfn = (slot << 3) | fn
        self.vendor = spec.vendor
        self.device = spec.device
        self.class_code = spec.class_code
        self.subordinate: PciBus | None = None
        self.is_virtfn = False
        self.physfn: PciDev | None = None
        self.virtfns: list[PciDev] = []
        self.sriov_numvfs = 0
        self.enable_cnt = 0
        self.pcie_type: int | None = self._pcie_type()
        self._alias_devfns: list[int] | None = None

    # -- topology ------------------------------------------------------------------
    def _pcie_type(self) -> int | None:
        role = self.spec.role
        if role in _ROLE_PCIE_TYPE:
            return _ROLE_PCIE_TYPE[role]
        if role in ("host_bridge", "pci_bridge"):
            return None
        pcie = self.spec.pcie
        if pcie is None:
            up = self.bus.self
            pcie = up is not None and up.pcie_type in (
                PCI_EXP_TYPE_ROOT_PORT,
                PCI_EXP_TYPE_DOWNSTREAM,
            )
        return PCI_EXP_TYPE_ENDPOINT if pcie else None

    def dma_alias_devfns(self) -> list[int]:
        """``pdev->dma_alias_mask`` as devfns (the quirk aliases of the spec, parsed once)."""
        if self._alias_devfns is None:
            out = []
            for text in self.spec.dma_alias_devfns:
                slot, fn = text.split(".")
                out.append((int(slot, 16) << 3) | int(fn, 16))
            self._alias_devfns = out
        return self._alias_devfns

    def pci_is_pcie(self) -> bool:
        return self.pcie_type is not None

    @property
    def is_bridge(self) -> bool:
        return self.spec.secondary_bus is not None

    @property
    def slot(self) -> int:
        return self.devfn >> 3

    @property
    def fn(self) -> int:
        return self.devfn & 7

    @property
    def multifunction(self) -> bool:
        """``dev->multifunction``: the header bit of function 0; ``pci_scan_slot`` sets it
        on every other function of a multifunction slot."""
        if self.devfn & 7:  # a function other than 0
            return True
        if self.spec.multifunction is not None:
            return self.spec.multifunction
        return any(d is not self and not d.is_virtfn for d in self.bus.on_slot(self.slot)) or any(
            f.bdf != self.name and f.slot == self.slot
            for f in self.kernel.pci.hw_on_bus(self.bus.segment, self.bus.number)
        )

    @property
    def untrusted(self) -> bool:
        """``pdev->untrusted``: some upstream bridge is an external-facing port."""
        b: PciBus | None = self.bus
        while b is not None and b.self is not None:
            if b.self.spec.external_facing:
                return True
            b = b.parent
        return False

    def upstream_bridges(self) -> list[PciDev]:
        """Bridges from this device's bus up to the root (nearest first)."""
        out: list[PciDev] = []
        b: PciBus | None = self.bus
        while b is not None and b.self is not None:
            out.append(b.self)
            b = b.parent
        return out

    def pci_is_enabled(self) -> bool:
        """``pci_is_enabled()`` (include/linux/pci.h): ``enable_cnt`` is non-zero."""
        return self.enable_cnt > 0

    def pci_enable_bridge(self) -> None:
        """``pci_enable_bridge()`` (drivers/pci/pci.c): enable the bridges above first,
        then this one unless it is already enabled (its count is not raised again)."""
        bridge = self.bus.self
        if bridge is not None:
            bridge.pci_enable_bridge()
        if not self.pci_is_enabled():
            self.enable_cnt += 1

    def pci_enable_device(self) -> None:
        """``pci_enable_device()`` (drivers/pci/pci.c, ``pci_enable_device_flags``): the
        upstream bridge is enabled through ``pci_enable_bridge`` and ``enable_cnt`` is
        incremented."""
        bridge = self.bus.self
        if bridge is not None:
            bridge.pci_enable_bridge()
        self.enable_cnt += 1

    def pci_disable_device(self) -> None:
        """``pci_disable_device()`` (drivers/pci/pci.c): drops ``enable_cnt``; bridges
        above stay enabled."""
        if self.enable_cnt:
            self.enable_cnt -= 1

    def class_hdr_type(self) -> int:
        return 1 if self.is_bridge else 0

    def pci_type_str(self) -> str:
        return pci_type_str(self)

    def modalias(self) -> str:
        c = self.class_code
        return (
            f"pci:v{self.vendor:08X}d{self.device:08X}sv{self.spec.subsystem_vendor:08X}"
            f"sd{self.spec.subsystem_device:08X}bc{c >> 16:02X}sc{(c >> 8) & 0xFF:02X}"
            f"i{c & 0xFF:02X}"
        )


#: The fields of :class:`PciFunctionSpec` that hold mutable values (lists); every other
#: field holds an int, a str, bytes, a bool or None.
_MUTABLE_SPEC_FIELDS = tuple(
    f.name
    for f in dataclasses.fields(PciFunctionSpec)
    if f.default_factory is not dataclasses.MISSING
    or any(t in str(f.type) for t in ("list", "dict", "set", "bytearray"))
)


def _own_copy(spec: PciFunctionSpec) -> PciFunctionSpec:
    """The device's own copy of its hardware description: a shallow copy whose mutable
    values (the lists) are copied too, so later changes to the machine's spec do not
    reach the scanned device (what ``copy.deepcopy`` gives, without its cost)."""
    if type(spec) is PciFunctionSpec:
        new = object.__new__(PciFunctionSpec)
        state = new.__dict__ = spec.__dict__.copy()
    else:
        new = copy.copy(spec)
        state = new.__dict__
    for name in _MUTABLE_SPEC_FIELDS:
        value = state.get(name)
        if value is not None:
            state[name] = copy.deepcopy(value) if value else type(value)()
    return new


#: ``pci_type_str``'s names of the PCI Express device/port types.
_PCIE_TYPE_NAMES = {
    0: "PCIe Endpoint",
    1: "PCIe Legacy Endpoint",
    4: "PCIe Root Port",
    5: "PCIe Switch Upstream Port",
    6: "PCIe Switch Downstream Port",
    7: "PCIe to PCI/PCI-X bridge",
    8: "PCI/PCI-X to PCIe bridge",
    9: "PCIe Root Complex Integrated Endpoint",
    10: "PCIe Root Complex Event Collector",
}


def pci_type_str(dev: PciDev) -> str:
    """``pci_type_str()`` (drivers/pci/probe.c, v6.6+): the enumeration line's suffix."""
    if dev.pcie_type is not None:
        return _PCIE_TYPE_NAMES.get(dev.pcie_type, "PCIe unknown")
    return "conventional PCI bridge" if dev.is_bridge else "conventional PCI endpoint"
