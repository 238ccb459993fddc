"""Write a :class:`MachineSpec` in the TOML machine format (see ``toml_format``).

Only values that differ from the format's defaults are written, ids in hex, so an
exported machine reads like a hand-written one; loading the text gives the same spec.
"""

from __future__ import annotations

import json
from dataclasses import MISSING, Field, fields
from typing import Any

from iommush.kernel.spec import (
    DriverSpec,
    GroupSpec,
    IommuUnitSpec,
    MachineSpec,
    PciFunctionSpec,
    PlatformDeviceSpec,
    ReservedRegionSpec,
)

__all__ = ["to_toml"]

_HEX_KEYS = frozenset(
    {
        "vendor",
        "device",
        "class",
        "subsystem_vendor",
        "subsystem_device",
        "revision",
        "sriov_vf_device",
        "base_address",
        "cap",
        "ecap",
        "pgsize_bitmap",
        "start",
        "end",
    }
)


def _str(value: str) -> str:
    # JSON string escapes are valid TOML basic-string escapes.
    return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")


def _value(key: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        if key in _HEX_KEYS:
            width = 6 if key == "class" else 4 if key in ("vendor", "device") else 0
            if key.startswith("subsystem_") or key == "sriov_vf_device":
                width = 4
            if key == "revision":
                width = 2
            return f"0x{value:0{width}x}"
        return str(value)
    if isinstance(value, str):
        return _str(value)
    if isinstance(value, bytes):
        return _str(value.hex())
    if isinstance(value, (list, tuple)):
        if key in ("ids", "pci_windows", "scope_buses"):
            return "[" + ", ".join(f"[0x{a:x}, 0x{b:x}]" for a, b in value) + "]"
        if key == "stream_ids":
            return "[" + ", ".join(f"0x{v:x}" for v in value) + "]"
        return "[" + ", ".join(_value(key, v) for v in value) + "]"
    raise TypeError(f"cannot write {key} = {value!r}")


def _default(f: Field[Any]) -> Any:
    if f.default is not MISSING:
        return f.default
    if f.default_factory is not MISSING:
        return f.default_factory()
    return MISSING


def _table(
    obj: Any, *, rename: dict[str, str] | None = None, skip: tuple[str, ...] = ()
) -> list[str]:
    """``key = value`` lines for the fields of a dataclass that differ from the default.

    Required fields (no default) are always written.
    """
    lines: list[str] = []
    for f in fields(obj):
        if f.name in skip:
            continue
        value = getattr(obj, f.name)
        default = _default(f)
        if value is None or (default is not MISSING and value == default):
            continue
        key = (rename or {}).get(f.name, f.name)
        lines.append(f"{key} = {_value(key, value)}")
    return lines


def _size(value: int) -> str:
    for suffix, shift in (("T", 40), ("G", 30), ("M", 20), ("K", 10)):
        if value and value % (1 << shift) == 0:
            return _str(f"{value >> shift}{suffix}")
    return str(value)


def _machine(spec: MachineSpec) -> list[str]:
    out = ["[machine]", f"name = {_str(spec.name)}"]
    if spec.description:
        out.append(f"description = {_str(spec.description)}")
    out.append(f"kernel = {_str(spec.kernel)}")
    out.append(f"cmdline = {_str(spec.cmdline)}")
    if spec.arch != "x86_64":
        out.append(f"arch = {_str(spec.arch)}")
    if spec.hostname != "iommush":
        out.append(f"hostname = {_str(spec.hostname)}")
    out.append(f"memory = {_size(spec.memory)}")
    if spec.modules:
        out.append(f"modules = {_value('modules', spec.modules)}")
    if spec.pci_windows:
        out.append(f"pci_windows = {_value('pci_windows', spec.pci_windows)}")
    return out


def _iommu(unit: IommuUnitSpec) -> list[str]:
    out = ["[[iommu]]", *_table(unit, skip=("probe_regions",))]
    for region in unit.probe_regions:
        out += ["", "[[iommu.probe_region]]", *_region(region)]
    return out


def _region(region: ReservedRegionSpec) -> list[str]:
    return _table(region)


def _pci(dev: PciFunctionSpec) -> list[str]:
    lines = _table(dev, rename={"class_code": "class"})
    # The identity of a function is always written, defaults or not.
    ident = [
        f"bdf = {_str(dev.bdf)}",
        f"vendor = {_value('vendor', dev.vendor)}",
        f"device = {_value('device', dev.device)}",
        f"class = {_value('class', dev.class_code)}",
    ]
    keys = ("bdf =", "vendor =", "device =", "class =")
    return ["[[pci]]", *ident, *(line for line in lines if not line.startswith(keys))]


def _platform(dev: PlatformDeviceSpec) -> list[str]:
    return ["[[platform]]", *_table(dev)]


def _group(group: GroupSpec) -> list[str]:
    return ["[[group]]", *_table(group)]


def _driver(drv: DriverSpec) -> list[str]:
    return ["[[driver]]", *_table(drv)]


def to_toml(spec: MachineSpec, header: str = "") -> str:
    """The machine as TOML text; ``header`` lines are written as ``#`` comments first."""
    blocks: list[list[str]] = []
    if header:
        blocks.append([f"# {line}".rstrip() for line in header.splitlines()])
    elif spec.source:
        blocks.append([f"# Exported by iommush from {spec.source}"])
    blocks.append(_machine(spec))
    blocks += [_driver(d) for d in spec.drivers]
    blocks += [_iommu(u) for u in spec.iommus]
    blocks += [_pci(p) for p in spec.pci]
    blocks += [_platform(p) for p in spec.platform]
    blocks += [["[[reserved]]", *_region(r)] for r in spec.reserved]
    blocks += [_group(g) for g in spec.groups]
    return "\n\n".join("\n".join(b) for b in blocks) + "\n"
