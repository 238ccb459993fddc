"""What a PCI function's config space says about its PCI Express side, and the sysfs
files that depend on it: ``current_link_speed``/``width`` and ``max_link_speed``/``width``
(drivers/pci/pci-sysfs.c ``pcie_dev_attrs``), the AER statistics
(drivers/pci/pcie/aer.c ``aer_stats_attrs``) and the ASPM ``link`` group
(drivers/pci/pcie/aspm.c ``aspm_ctrl_attr_group``, empty when no control applies).

>>> cfg = bytearray(4096); cfg[0x34] = 0x40; cfg[0x40:0x42] = b"\\x10\\x00"
>>> cfg[0x4C:0x50] = (0x11 | 1 << 4).to_bytes(4, "little")
>>> pcie_link_caps(bytes(cfg))
(1, 1)
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import TYPE_CHECKING

from iommush.vfs import Attribute, Dir

if TYPE_CHECKING:
    from .pci import PciDev

__all__ = [
    "PCI_EXT_CAP_ID_ERR",
    "find_capability",
    "find_ext_capability",
    "pci_create_pcie_attrs",
    "pcie_link_caps",
    "pcie_link_status",
]

PCI_CAP_ID_EXP = 0x10
PCI_EXT_CAP_ID_ERR = 0x0001
PCI_EXP_LNKCAP = 0x0C
PCI_EXP_LNKSTA = 0x12
#: ``pci_speed_string`` for the link speed codes of LNKCAP/LNKSTA.
_SPEED = {
    1: "2.5 GT/s PCIe",
    2: "5.0 GT/s PCIe",
    3: "8.0 GT/s PCIe",
    4: "16.0 GT/s PCIe",
    5: "32.0 GT/s PCIe",
    6: "64.0 GT/s PCIe",
}


def find_capability(cfg: bytes, cap_id: int) -> int:
    """``pci_find_capability``: offset of a standard capability, 0 if absent."""
    if len(cfg) < 64 or not (struct.unpack_from("<H", cfg, 6)[0] & 0x10):
        return 0
    pos, seen = cfg[0x34] & 0xFC, 0
    while pos >= 0x40 and pos + 2 <= len(cfg) and seen < 48:
        if cfg[pos] == cap_id:
            return pos
        pos, seen = cfg[pos + 1] & 0xFC, seen + 1
    return 0


def find_ext_capability(cfg: bytes, cap_id: int) -> int:
    """``pci_find_ext_capability``: offset of an extended capability, 0 if absent."""
    pos, seen = 0x100, 0
    while 0x100 <= pos and pos + 4 <= len(cfg) and seen < 960:
        header = struct.unpack_from("<I", cfg, pos)[0]
        if header == 0:
            return 0
        if header & 0xFFFF == cap_id:
            return pos
        pos, seen = (header >> 20) & 0xFFC, seen + 1
    return 0


def pcie_link_caps(cfg: bytes) -> tuple[int, int] | None:
    """(max speed code, max width) from LNKCAP, None without a PCIe capability."""
    pos = find_capability(cfg, PCI_CAP_ID_EXP)
    if not pos or pos + PCI_EXP_LNKCAP + 4 > len(cfg):
        return None
    lnkcap = struct.unpack_from("<I", cfg, pos + PCI_EXP_LNKCAP)[0]
    return lnkcap & 0xF, (lnkcap >> 4) & 0x3F


def pcie_link_status(cfg: bytes) -> tuple[int, int] | None:
    """(current speed code, negotiated width) from LNKSTA."""
    pos = find_capability(cfg, PCI_CAP_ID_EXP)
    if not pos or pos + PCI_EXP_LNKSTA + 2 > len(cfg):
        return None
    lnksta = struct.unpack_from("<H", cfg, pos + PCI_EXP_LNKSTA)[0]
    return lnksta & 0xF, (lnksta >> 4) & 0x3F


def _speed(code: int) -> str:
    return f"{_SPEED.get(code, 'Unknown')}\n"


def pci_create_pcie_attrs(dev: PciDev, cfg: bytes) -> None:
    """The config-dependent attribute groups ``device_add`` creates for ``dev``."""
    d = dev.kobj
    d.add(Dir("link"))  # aspm_ctrl_attr_group: a named group, shown even when empty
    if dev.pci_is_pcie() and find_capability(cfg, PCI_CAP_ID_EXP):
        caps = pcie_link_caps(cfg) or (0, 0)
        sta = pcie_link_status(cfg) or (0, 0)
        d.add(Attribute("current_link_speed", 0o444, show=lambda: _speed(sta[0])))
        d.add(Attribute("current_link_width", 0o444, show=lambda: f"{sta[1]}\n"))
        d.add(Attribute("max_link_speed", 0o444, show=lambda: _speed(caps[0])))
        d.add(Attribute("max_link_width", 0o444, show=lambda: f"{caps[1]}\n"))
    if dev.pci_is_pcie() and find_ext_capability(cfg, PCI_EXT_CAP_ID_ERR):
        for kind in ("correctable", "fatal", "nonfatal"):
            d.add(Attribute(f"aer_dev_{kind}", 0o444, show=_aer_show(kind)))


def _aer_show(kind: str) -> Callable[[], str]:
    return lambda: _aer_stats(kind)


def _aer_stats(kind: str) -> str:
    """``aer_dev_*``: one line per error type and a total, all zero on a quiet device."""
    names = {
        "correctable": (
            "RxErr",
            "BadTLP",
            "BadDLLP",
            "Rollover",
            "Timeout",
            "NonFatalErr",
            "CorrIntErr",
            "HeaderOF",
        ),
        "fatal": (
            "Undefined",
            "DLP",
            "SDES",
            "TLP",
            "FCP",
            "CmpltTO",
            "CmpltAbrt",
            "UnxCmplt",
            "RxOF",
            "MalfTLP",
            "ECRC",
            "UnsupReq",
            "ACSViol",
            "UncorrIntErr",
            "BlockedTLP",
            "AtomicOpBlocked",
            "TLPBlockedErr",
            "PoisonTLPBlocked",
        ),
    }
    rows = names["correctable"] if kind == "correctable" else names["fatal"]
    total = "TOTAL_ERR_COR" if kind == "correctable" else f"TOTAL_ERR_{kind.upper()}"
    return "".join(f"{r} 0\n" for r in rows) + f"{total} 0\n"
