"""What the modelled PCI drivers do in probe and remove: the kernel log lines of e1000e,
e1000, 8139cp, virtio-pci (and the virtio net/blk/iommu drivers behind it), pcieport,
shpchp, pci-stub, vfio-pci; network interfaces named ``ethN`` (lowest free), virtio
devices ``virtioN`` (an IDA)."""

from __future__ import annotations

import errno
from typing import TYPE_CHECKING

from iommush.vfs import Dir

from .ida import Ida
from .pci import (
    PCI_EXP_TYPE_DOWNSTREAM,
    PCI_EXP_TYPE_ROOT_PORT,
    PCI_EXP_TYPE_UPSTREAM,
    PciDev,
)

if TYPE_CHECKING:
    from .device import DeviceDriver, KernelDevice
    from .kernel import Kernel

__all__ = ["ENABLING_KINDS", "DriverBehaviour"]

_VIRTIO_NET = {0x1000, 0x1041}
_VIRTIO_BLK = {0x1001, 0x1042}
_VIRTIO_IOMMU = {0x1057}


#: Driver kinds whose probe enables the device (``pci_enable_device`` in e1000_probe,
#: virtio_pci_probe, pcie_portdrv_probe, ...); pci-stub and vfio-pci (until the device is
#: opened) leave it disabled.
ENABLING_KINDS = frozenset({"ok", "net", "virtio", "pcieport"})


class DriverBehaviour:
    """Per-driver probe/remove effects, keyed by ``PciDriverInfo.kind``."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.netdevs: set[int] = set()
        #: Every ``eth<n>`` below this one is taken (the search for a free name starts here).
        self._eth_low = 0
        self.virtio_ida = Ida()
        self.vd_ida = Ida()
        self._hash = 0x2FAE430A
        self.irq_next = 25

    # -- helpers -------------------------------------------------------------------
    def _alloc_eth(self, dev: KernelDevice) -> str:
        n = self._eth_low
        while n in self.netdevs:
            n += 1
        self.netdevs.add(n)
        self._eth_low = n + 1
        dev.drvdata["netdev"] = n
        return f"eth{n}"

    def _free_eth(self, dev: KernelDevice) -> None:
        n = dev.drvdata.pop("netdev", None)
        if isinstance(n, int):
            self.netdevs.discard(n)
            self._eth_low = min(self._eth_low, n)

    def _ptr(self) -> str:
        """A hashed kernel pointer (``%p``): looks random, changes every time."""
        self._hash = (self._hash * 1103515245 + 12345) & 0xFFFFFFFF
        return f"0x{self._hash:016x}"

    def _log(self, text: str) -> None:
        self.kernel.printk.printk(text)

    # -- probe / remove ----------------------------------------------------------------
    def probe(self, drv: DeviceDriver, dev: KernelDevice) -> int:
        """``drv->probe(dev)``: 0 on success, a positive errno when it refuses. The
        drivers of :data:`ENABLING_KINDS` call ``pci_enable_device()`` in their probe."""
        rc = self._probe(drv, dev)
        if rc == 0 and drv.info.kind in ENABLING_KINDS and isinstance(dev, PciDev):
            dev.pci_enable_device()
        return rc

    def _probe(self, drv: DeviceDriver, dev: KernelDevice) -> int:
        kind = drv.info.kind
        assert isinstance(dev, PciDev)
        if kind == "ok":
            return 0
        p = f"{drv.name} {dev.name}"
        mac = dev.spec.mac or "52:54:00:12:34:56"
        if kind == "net":
            if drv.name == "e1000e":
                self._log(
                    f"{p}: Interrupt Throttling Rate (ints/sec) set to dynamic conservative mode"
                )
                self._log(f"{p} {dev.name} (uninitialized): registered PHC clock")
                eth = self._alloc_eth(dev)
                self._log(f"{p} {eth}: (PCI Express:2.5GT/s:Width x1) {mac}")
                self._log(f"{p} {eth}: Intel(R) PRO/1000 Network Connection")
                self._log(f"{p} {eth}: MAC: 3, PHY: 8, PBA No: 000000-000")
            elif drv.name == "e1000":
                eth = self._alloc_eth(dev)
                self._log(f"{p} {eth}: (PCI:33MHz:32-bit) {mac}")
                self._log(f"{p} {eth}: Intel(R) PRO/1000 Network Connection")
            elif drv.name == "8139cp":
                if dev.spec.revision < 0x20:
                    return errno.ENODEV
                eth = self._alloc_eth(dev)
                self._log(f"{p} {eth}: RTL-8139C+ at {self._ptr()}, {mac}, IRQ {dev.spec.irq}")
            else:
                self._alloc_eth(dev)
            return 0
        if kind == "virtio":
            return self._virtio_probe(dev)
        if kind == "pcieport":
            if dev.pcie_type not in (
                PCI_EXP_TYPE_ROOT_PORT,
                PCI_EXP_TYPE_DOWNSTREAM,
                PCI_EXP_TYPE_UPSTREAM,
            ):
                return errno.ENODEV
            if dev.pcie_type == PCI_EXP_TYPE_ROOT_PORT:
                irq = dev.drvdata.setdefault("port_irq", self.irq_next)
                if irq == self.irq_next:
                    self.irq_next += 1
                self._log(f"{p}: PME: Signaling with IRQ {irq}")
                self._log(f"{p}: AER: enabled with IRQ {irq}")
            return 0
        if kind == "shpchp":
            if dev.pci_is_pcie():
                return errno.ENODEV
            self._log(
                f"{p}: HPC vendor_id {dev.vendor:x} device_id {dev.device:x} "
                f"ss_vid {dev.spec.subsystem_vendor:x} ss_did {dev.spec.subsystem_device:x}"
            )
            self._log(f"{p}: pci_hp_register failed with error -16")
            self._log(f"{p}: Slot initialization failed")
            return errno.ENODEV
        if kind == "stub":
            self._log(f"{p}: claimed by stub")
            return 0
        if kind == "vfio":
            return self.kernel.vfio.vfio_pci_probe(dev)
        if kind == "enodev":
            return errno.ENODEV
        return 0

    def remove(self, drv: DeviceDriver, dev: KernelDevice) -> None:
        """``drv->remove(dev)``; the drivers of :data:`ENABLING_KINDS` end with
        ``pci_disable_device()``."""
        kind = drv.info.kind
        if kind in ENABLING_KINDS and isinstance(dev, PciDev):
            dev.pci_disable_device()
        if kind == "net":
            eth = dev.drvdata.get("netdev")
            if drv.name == "e1000e" and eth is not None:
                self._log(f"{drv.name} {dev.name} eth{eth}: removed PHC")
            self._free_eth(dev)
        elif kind == "virtio":
            self._virtio_remove(dev)
        elif kind == "vfio":
            assert isinstance(dev, PciDev)
            self.kernel.vfio.vfio_pci_remove(dev)

    # -- virtio ----------------------------------------------------------------------
    def _virtio_probe(self, dev: PciDev) -> int:
        """virtio-pci registers ``virtioN`` and the matching virtio driver binds it."""
        n = self.virtio_ida.alloc()
        name = f"virtio{n}"
        dev.drvdata["virtio"] = name
        vdir = dev.kobj.get(name)
        if vdir is None:
            dev.kobj.add(Dir(name))
        loaded = self.kernel.modules.loaded
        if dev.device in _VIRTIO_NET and "virtio_net" in loaded:
            self._alloc_eth(dev)
        elif dev.device in _VIRTIO_BLK and "virtio_blk" in loaded:
            self.virtio_blk_probe(dev)
        return 0

    def virtio_blk_probe(self, dev: PciDev) -> None:
        name = dev.drvdata["virtio"]
        k = self.vd_ida.alloc()
        disk = "vd" + chr(ord("a") + k)
        dev.drvdata["disk"] = k
        self._log(f"virtio_blk {name}: 2/0/0 default/read/poll queues")
        self._log(f"virtio_blk {name}: [{disk}] 16384 512-byte logical blocks (8.39 MB/8.00 MiB)")

    def virtio_driver_loaded(self, module: str) -> None:
        """A virtio driver module appeared: bind the virtio devices it handles."""
        for dev in self.kernel.pci.devices_in_order():
            if dev.driver is None or dev.driver.info.kind != "virtio":
                continue
            if module == "virtio_net" and dev.device in _VIRTIO_NET and "netdev" not in dev.drvdata:
                self._alloc_eth(dev)
            if module == "virtio_blk" and dev.device in _VIRTIO_BLK and "disk" not in dev.drvdata:
                self.virtio_blk_probe(dev)

    def _virtio_remove(self, dev: KernelDevice) -> None:
        self._free_eth(dev)
        k = dev.drvdata.pop("disk", None)
        if isinstance(k, int):
            self.vd_ida.free(k)
        name = dev.drvdata.pop("virtio", None)
        if isinstance(name, str):
            self.virtio_ida.free(int(name[6:]))
            if dev.kobj.get(name) is not None and not any(
                u.kobj is not None
                and u.kobj.parent is not None
                and u.kobj.parent.parent is dev.kobj.get(name)
                for ops in self.kernel.iommu.ops
                for u in ops.units
            ):
                dev.kobj.remove(name)
