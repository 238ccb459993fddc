"""The attributes of ``/sys/bus/pci/devices/<BDF>/`` (drivers/pci/pci-sysfs.c, iov.c):
formats, modes and errnos of the files a PCI device shows."""

from __future__ import annotations

import errno
import struct
from typing import TYPE_CHECKING

from iommush.vfs import PAGE_SIZE, Attribute, Dir, Link
from iommush.vfs.node import LazyDir

from .errors import KernelError

if TYPE_CHECKING:
    from .pci import PciDev

__all__ = [
    "PCI_DEV_FILE_NAMES",
    "PCI_DEV_SUBDIRS",
    "kstrtoul",
    "pci_create_sysfs_dev_files",
    "pci_read_config",
    "synth_config",
]

#: The directories among them every device gets (``power`` and the ASPM ``link`` group).
PCI_DEV_SUBDIRS = 2
#: Every name :func:`pci_create_sysfs_dev_files` can create under a device (a superset:
#: which ones a device gets depends on its header, SR-IOV and PCIe capabilities).
PCI_DEV_FILE_NAMES = frozenset(
    {
        "vendor",
        "device",
        "subsystem_vendor",
        "subsystem_device",
        "revision",
        "class",
        "irq",
        "modalias",
        "local_cpus",
        "local_cpulist",
        "dma_mask_bits",
        "consistent_dma_mask_bits",
        "ari_enabled",
        "power_state",
        "resource",
        "config",
        "link",
        "current_link_speed",
        "current_link_width",
        "max_link_speed",
        "max_link_width",
        "aer_dev_correctable",
        "aer_dev_fatal",
        "aer_dev_nonfatal",
        "enable",
        "numa_node",
        "d3cold_allowed",
        "msi_bus",
        "broken_parity_status",
        "driver_override",
        "remove",
        "rescan",
        "reset",
        "reset_method",
        "uevent",
        "subsystem",
        "power",
        "secondary_bus_number",
        "subordinate_bus_number",
        "reset_subordinate",
        "sriov_totalvfs",
        "sriov_numvfs",
        "sriov_offset",
        "sriov_stride",
        "sriov_vf_device",
        "sriov_drivers_autoprobe",
    }
)


def kstrtoul(buf: bytes, base: int = 0) -> int:
    """``kstrtoul()``: one optional trailing newline; EINVAL otherwise."""
    s = buf.split(b"\0", 1)[0].decode(errors="replace")
    if s.endswith("\n"):
        s = s[:-1]
    try:
        if base == 0:
            v = (
                int(s, 16)
                if s.lower().startswith("0x")
                else (int(s, 8) if s.startswith("0") and len(s) > 1 else int(s, 10))
            )
        else:
            v = int(s, base)
    except ValueError:
        raise KernelError(errno.EINVAL) from None
    if v < 0 or s.strip() != s or s.startswith(("+", "-")):
        raise KernelError(errno.EINVAL)
    return v


def pci_read_config(cfg: bytes) -> bytes:
    """``pci_read_config()`` (drivers/pci/pci-sysfs.c): a reader without CAP_SYS_ADMIN
    sees only the first 64 bytes (128 for a CardBus bridge, header type 2)."""
    from iommush.vfs import CAP_SYS_ADMIN, capable

    if capable(CAP_SYS_ADMIN):
        return cfg
    cardbus = len(cfg) > 0x0E and cfg[0x0E] & 0x7F == 2
    return cfg[: 128 if cardbus else 64]


def synth_config(dev: PciDev) -> bytes:
    """The first 64 bytes of config space from what the model knows, padded with
    zeros to 256 (conventional) or 4096 (PCIe) bytes."""
    if dev.spec.config is not None:
        return dev.spec.config
    hdr = dev.class_hdr_type() | (0x80 if dev.multifunction else 0)
    head = struct.pack(
        "<HHHHI", dev.vendor, dev.device, 0x0007, 0x0010, (dev.class_code << 8) | dev.spec.revision
    )
    head += bytes([0, 0, hdr, 0])
    body = bytearray(48)
    if dev.is_bridge:
        sec = dev.spec.secondary_bus or 0
        body[8:11] = bytes([dev.bus.number, sec, sec])
    else:
        body[28:32] = struct.pack("<HH", dev.spec.subsystem_vendor, dev.spec.subsystem_device)
    body[44] = dev.spec.irq & 0xFF
    size = 4096 if dev.pci_is_pcie() else 256
    return (head + bytes(body)).ljust(size, b"\0")


def _ro(d: Dir, name: str, fn, mode: int = 0o444) -> None:  # type: ignore[no-untyped-def]
    d.add(Attribute(name, mode, show=fn))


def pci_create_sysfs_dev_files(dev: PciDev, subsystem: Dir) -> None:
    """Everything ``device_add`` + ``pci_create_sysfs_dev_files`` put under the device.

    A device directory that can defer its entries (:class:`LazyDir`) gets them the first
    time anyone looks at them: what they show does not depend on when they were made."""
    d = dev.kobj
    if isinstance(d, LazyDir) and d.filled and not d.children:
        d.defer(lambda _d: _pci_sysfs_fill(dev, subsystem), PCI_DEV_FILE_NAMES, PCI_DEV_SUBDIRS)
    else:
        _pci_sysfs_fill(dev, subsystem)


def _pci_sysfs_fill(dev: PciDev, subsystem: Dir) -> None:
    from .pci_caps import pci_create_pcie_attrs  # (used when a device's files are made)

    k = dev.kernel
    d = dev.kobj
    s = dev.spec
    _ro(d, "vendor", lambda: f"0x{dev.vendor:04x}\n")
    _ro(d, "device", lambda: f"0x{dev.device:04x}\n")
    _ro(d, "subsystem_vendor", lambda: f"0x{s.subsystem_vendor:04x}\n")
    _ro(d, "subsystem_device", lambda: f"0x{s.subsystem_device:04x}\n")
    _ro(d, "revision", lambda: f"0x{s.revision:02x}\n")
    _ro(d, "class", lambda: f"0x{dev.class_code:06x}\n")
    _ro(d, "irq", lambda: f"{s.irq}\n")
    _ro(d, "modalias", lambda: f"{dev.modalias()}\n")
    _ro(d, "local_cpus", lambda: "3\n")
    _ro(d, "local_cpulist", lambda: "0-1\n")
    _ro(d, "dma_mask_bits", lambda: "64\n")
    _ro(d, "consistent_dma_mask_bits", lambda: "64\n")
    _ro(d, "ari_enabled", lambda: "0\n")
    _ro(d, "power_state", lambda: "D0\n")
    _ro(
        d,
        "resource",
        lambda: "".join(
            "0x0000000000000000 0x0000000000000000 0x0000000000000000\n" for _ in range(13)
        ),
    )
    cfg = synth_config(dev)
    d.add(
        Attribute(
            "config",
            0o644,
            show=lambda: pci_read_config(cfg),
            store=lambda b: len(b),
            size=len(cfg),
        )
    )
    pci_create_pcie_attrs(dev, cfg)
    d.add(
        Attribute(
            "enable",
            0o644,
            show=lambda: f"{dev.enable_cnt}\n",
            store=lambda b: _enable_store(dev, b),
        )
    )
    d.add(Attribute("numa_node", 0o644, show=lambda: "-1\n", store=lambda b: _needs_cap(len(b))))
    d.add(Attribute("d3cold_allowed", 0o644, show=lambda: "1\n", store=lambda b: len(b)))
    d.add(Attribute("msi_bus", 0o644, show=lambda: "1\n", store=lambda b: len(b)))
    d.add(Attribute("broken_parity_status", 0o644, show=lambda: "0\n", store=lambda b: len(b)))
    d.add(
        Attribute(
            "driver_override",
            0o644,
            show=lambda: _override_show(dev),
            store=lambda b: _override_store(dev, b),
        )
    )
    d.add(Attribute("remove", 0o220, store=lambda b: k.pci.remove_store(dev, b)))
    d.add(Attribute("rescan", 0o200, store=lambda b: k.pci.dev_rescan_store(dev, b)))
    if s.can_reset:
        d.add(Attribute("reset", 0o200, store=lambda b: _reset_store(dev, b)))
        d.add(
            Attribute(
                "reset_method",
                0o644,
                show=lambda: "flr bus\n" if dev.pci_is_pcie() else "bus\n",
                store=lambda b: len(b),
            )
        )
    d.add(Attribute("uevent", 0o644, show=lambda: _uevent(dev), store=lambda b: len(b)))
    d.add(Link("subsystem", subsystem))
    d.add(Dir("power"))
    if dev.is_bridge:
        _ro(d, "secondary_bus_number", lambda: f"{s.secondary_bus}\n")
        _ro(d, "subordinate_bus_number", lambda: f"{k.pci.subordinate_max(dev)}\n")
        d.add(Attribute("reset_subordinate", 0o200, store=lambda b: (kstrtoul(b), len(b))[1]))
    if s.sriov_totalvfs:
        _ro(d, "sriov_totalvfs", lambda: f"{s.sriov_totalvfs}\n")
        d.add(
            Attribute(
                "sriov_numvfs",
                0o664,
                show=lambda: f"{dev.sriov_numvfs}\n",
                store=lambda b: k.pci.sriov_numvfs_store(dev, b),
            )
        )
        _ro(d, "sriov_offset", lambda: f"{s.sriov_offset}\n")
        _ro(d, "sriov_stride", lambda: f"{s.sriov_stride}\n")
        _ro(d, "sriov_vf_device", lambda: f"{s.sriov_vf_device:x}\n")
        d.add(
            Attribute("sriov_drivers_autoprobe", 0o644, show=lambda: "1\n", store=lambda b: len(b))
        )


def _needs_cap(n: int) -> int:
    from iommush.vfs import CAP_SYS_ADMIN, capable

    if not capable(CAP_SYS_ADMIN):
        raise KernelError(errno.EPERM)
    return n


def _uevent(dev: PciDev) -> str:
    lines = []
    if dev.driver is not None:
        lines.append(f"DRIVER={dev.driver.name}")
    lines += [
        f"PCI_CLASS={dev.class_code:X}",
        f"PCI_ID={dev.vendor:04X}:{dev.device:04X}",
        f"PCI_SUBSYS_ID={dev.spec.subsystem_vendor:04X}:{dev.spec.subsystem_device:04X}",
        f"PCI_SLOT_NAME={dev.name}",
        f"MODALIAS={dev.modalias()}",
    ]
    return "\n".join(lines) + "\n"


def _override_show(dev: PciDev) -> str:
    """``driver_override_show``: ``(null)`` when unset (``%s`` of NULL)."""
    return f"{dev.driver_override if dev.driver_override is not None else '(null)'}\n"


def _override_store(dev: PciDev, buf: bytes) -> int:
    """``driver_set_override()``: up to the first newline; empty clears; no probing."""
    if len(buf) >= PAGE_SIZE - 1:
        raise KernelError(errno.EINVAL)
    s = buf.split(b"\0", 1)[0].decode(errors="replace")
    with dev.mutex.held("driver_override_store"):
        if not s:
            dev.driver_override = None
        else:
            s = s.split("\n", 1)[0]
            dev.driver_override = s or None
    return len(buf)


def _enable_store(dev: PciDev, buf: bytes) -> int:
    from iommush.vfs import CAP_SYS_ADMIN, capable

    if not capable(CAP_SYS_ADMIN):
        raise KernelError(errno.EPERM)
    v = kstrtoul(buf, 0)
    with dev.mutex.held("enable_store"):
        if not dev.driver and v:
            dev.pci_enable_device()
        elif not dev.driver and dev.enable_cnt:
            dev.pci_disable_device()
        elif dev.driver:
            raise KernelError(errno.EBUSY)
    return len(buf)


def _reset_store(dev: PciDev, buf: bytes) -> int:
    if kstrtoul(buf, 0) != 1:
        raise KernelError(errno.EINVAL)
    return len(buf)
