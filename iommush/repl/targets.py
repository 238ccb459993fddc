"""The values a sysfs or tracefs file accepts, read from the virtual tree itself.

Used by completion after ``echo `` when the command's output goes to a known file:
``.../iommu_groups/N/type`` takes a domain type, ``.../driver_override`` a loaded
driver's name, ``.../drivers/X/bind`` a PCI address, ``sriov_numvfs`` a number up to
``sriov_totalvfs``. Nothing here is a canned list of devices: every name comes from a
``listdir`` or ``read`` of the tree, so it follows the running machine.
"""

from __future__ import annotations

import posixpath
import re
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from iommush.vfs import VirtualFS

__all__ = [
    "DOMAIN_TYPES",
    "PCI_DEVICES",
    "PCI_DRIVERS",
    "TreeView",
    "is_dir",
    "read_text",
    "safe_listdir",
    "target_values",
]

PCI_DEVICES = "/sys/bus/pci/devices"
PCI_DRIVERS = "/sys/bus/pci/drivers"
BDF_RE = re.compile(r"^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$")

#: What ``iommu_group_store_type`` accepts (``sysfs_streq``), with what each selects.
DOMAIN_TYPES: dict[str, str] = {
    "DMA": "translated, strict invalidation",
    "DMA-FQ": "translated, lazy invalidation (flush queue)",
    "identity": "passthrough: IOVA == physical address",
    "auto": "the device's requirement, else the global default",
}
_BOOL = {"0": "off", "1": "on"}


class TreeView(Protocol):
    """The part of a completion context these helpers read."""

    fs: VirtualFS
    cwd: str


def safe_listdir(view: TreeView, path: str) -> list[str]:
    """Sorted names in ``path``; an empty list if it cannot be listed."""
    try:
        return sorted(view.fs.listdir(path, view.cwd))
    except OSError:
        return []


def is_dir(view: TreeView, path: str) -> bool:
    """True if ``path`` is (or links to) a directory."""
    try:
        return view.fs.stat(path, view.cwd).is_dir
    except OSError:
        return False


def read_text(view: TreeView, path: str) -> str:
    """The contents of ``path``, or ``""`` if it cannot be read."""
    try:
        return view.fs.read_bytes(path, view.cwd).decode("utf-8", "replace")
    except OSError:
        return ""


def _device_drivers(view: TreeView) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in safe_listdir(view, PCI_DEVICES):
        try:
            drv = posixpath.basename(view.fs.readlink(f"{PCI_DEVICES}/{name}/driver", "/"))
        except OSError:
            drv = ""
        out[name] = f"bound to {drv}" if drv else "no driver"
    return out


def _device_ids(view: TreeView) -> dict[str, str]:
    """``"vvvv dddd"`` (what ``new_id`` parses) for every PCI device, with its address."""
    out: dict[str, str] = {}
    for name in safe_listdir(view, PCI_DEVICES):
        vendor = read_text(view, f"{PCI_DEVICES}/{name}/vendor").strip()
        device = read_text(view, f"{PCI_DEVICES}/{name}/device").strip()
        if vendor.startswith("0x") and device.startswith("0x"):
            out.setdefault(f"{vendor[2:]} {device[2:]}", name)
    return out


def target_values(view: TreeView, target: str) -> tuple[list[str], dict[str, str]]:
    """The values writing to ``target`` (an absolute path) accepts, and a note for each."""
    base = posixpath.basename(target)
    parent = posixpath.dirname(target)
    parts = target.split("/")
    if base == "type" and "iommu_groups" in parts:
        return list(DOMAIN_TYPES), dict(DOMAIN_TYPES)
    if base == "driver_override":
        return safe_listdir(view, PCI_DRIVERS), {}
    if base == "bind" or base == "drivers_probe":
        devices = _device_drivers(view)
        return list(devices), devices
    if base == "unbind":
        bound = [n for n in safe_listdir(view, parent) if BDF_RE.match(n)]
        return bound, {n: "bound here" for n in bound}
    if base == "sriov_numvfs":
        total = read_text(view, posixpath.join(parent, "sriov_totalvfs")).strip()
        if total.isdigit():
            values = [str(n) for n in range(int(total) + 1)]
            return values, {"0": "disable the VFs", total: "sriov_totalvfs"}
        return [], {}
    if base in ("new_id", "remove_id"):
        ids = _device_ids(view)
        return list(ids), ids
    if base in ("remove", "rescan", "reset"):
        return ["1"], {"1": base}
    if base in ("enable", "tracing_on", "drivers_autoprobe", "sriov_drivers_autoprobe"):
        return list(_BOOL), dict(_BOOL)
    if base == "set_event":
        events = read_text(view, posixpath.join(parent, "available_events")).split()
        return events, {}
    if base == "current_tracer":
        return read_text(view, posixpath.join(parent, "available_tracers")).split(), {}
    return [], {}
