"""The TOML machine format: load and validate a machine description.

A machine file has one ``[machine]`` table and arrays of tables for the hardware.
Integers may be written in hex (``0x8086``); BDFs may omit the ``0000:`` domain.
Every key but those marked *required* has the default shown::

    # Modelled on: <the real machine and the public source of its layout>
    [machine]
    name = "desktop"              # default: the file name without .toml
    description = "one line"      # shown by --list-machines
    kernel = "6.12"               # uname -r, or a bare 6.3 / 6.4 / 6.12
    cmdline = "intel_iommu=on"    # /proc/cmdline
    arch = "x86_64"               # or "aarch64"
    hostname = "iommush"
    memory = "16G"                # bytes, or a number with K/M/G/T
    modules = ["vfio-pci"]        # modules loaded at boot beyond bound drivers
    pci_windows = [[0x80000000, 0xdfffffff]]   # host-bridge windows [start, end]

    [[iommu]]                     # one hardware IOMMU
    name = "dmar0"                # required: dmar0, ivhd0, smmu3.0x..., virtio0
    driver = "intel"              # required: intel, amd, arm-smmu-v3, virtio-iommu, legacy
    pci_function = "00:00.2"      # AMD-Vi / virtio-iommu: the IOMMU's own PCI function
    base_address = 0xfed90000
    scope_buses = [[0, 0]]        # [] = everything no other unit claims
    scope_devices = ["00:02.0"]   # DRHD device scope entries
    pass_through = true
    cap = 0                       # VT-d cap / ecap registers
    ecap = 0
    version = "1:0"
    pgsize_bitmap = 0x40201000
    address_width = 48
    [[iommu.probe_region]]        # virtio-iommu probe regions: start, end, source
    start = 0xfee00000
    end = 0xfeefffff
    source = "msi"

    [[pci]]                       # one PCI function
    bdf = "0000:01:00.0"          # required
    vendor = 0x10de
    device = 0x1b80
    class = 0x030000
    subsystem_vendor = 0
    subsystem_device = 0
    revision = 0
    role = "endpoint"             # endpoint, rc_integrated, host_bridge, root_port,
                                  # upstream_port, downstream_port, pcie_to_pci_bridge,
                                  # pci_bridge
    secondary_bus = 1             # bridges: the bus behind it
    acs = false                   # ACS SV|RR|CR|UF enabled
    multifunction = true          # header bit; default: whether sibling functions exist
    external_facing = false       # Thunderbolt/hotplug port: devices below are untrusted
    dma_alias_devfns = ["00.1"]   # quirk DMA aliases on its bus
    pasid = false
    sriov_totalvfs = 0            # SR-IOV capability
    sriov_vf_device = 0
    sriov_offset = 1
    sriov_stride = 1
    physfn = "0000:03:00.0"       # a VF present at boot: its PF
    translated = true             # false: no IOMMU translates it (no group)
    irq = 0
    driver = "nvidia"             # bound at boot (catalog name or a [[driver]] below)
    driver_override = "vfio-pci"
    vendor_name = "NVIDIA Corporation"
    device_name = "GP104 [GeForce GTX 1080]"
    iommu = "dmar1"               # the unit translating it (default: by scope)
    can_reset = true
    config = "de10801b..."        # raw config space, hex

    [[platform]]                  # a platform device behind an IOMMU
    name = "9000000.dma"          # required
    driver = "pl330"
    iommu = "smmu3.0x0000000009050000"
    stream_ids = [0x10]
    compatible = "arm,pl330"

    [[reserved]]                  # firmware reserved region (RMRR, IVMD, IORT RMR)
    start = 0x7c000000            # required
    end = 0x7fffffff              # required, inclusive
    source = "rmrr"               # rmrr, ivmd, ivmd-exclusion, iort-rmr, reserved, msi
    devices = ["00:02.0"]         # scope: BDFs or platform names
    readable = true
    writable = true

    [[group]]                     # optional: pin a group (imported machines)
    id = 26                       # required
    devices = ["00:1e.0", "06:0d.0"]   # required
    type = "DMA"
    name = ""

    [[driver]]                    # a driver the kernel's catalog does not have
    name = "snd_hda_intel"        # required
    driver_managed_dma = false
    ids = [[0x8086, 0xa170]]      # [vendor, device] pairs it matches
    module = "snd_hda_intel"

Errors name the file, the line and what was expected, e.g.
``desktop.toml:42: device 0000:01:00.1: unknown driver 'snd_hda'``; all problems are
reported together in one :class:`MachineError`.
"""

from __future__ import annotations

import os
import re
import tomllib
from typing import TYPE_CHECKING, Any, get_args

if TYPE_CHECKING:
    from pathlib import Path

from iommush.kernel.spec import (
    DriverSpec,
    GroupSpec,
    IommuDriverName,
    IommuUnitSpec,
    MachineSpec,
    PciFunctionSpec,
    PciRole,
    PlatformDeviceSpec,
    ReservedRegionSpec,
    parse_bdf,
)
from iommush.machine.drivers import catalog_module_names, known_driver_names, normalise_module
from iommush.machine.errors import MachineError
from iommush.machine.toml_lines import TomlLineIndex

__all__ = ["load_toml_file", "loads_machine", "normalise_bdf", "parse_size"]

IOMMU_DRIVERS: tuple[str, ...] = get_args(IommuDriverName)
PCI_ROLES: tuple[str, ...] = get_args(PciRole)
BRIDGE_ROLES = frozenset(
    {"root_port", "upstream_port", "downstream_port", "pcie_to_pci_bridge", "pci_bridge"}
)
REGION_SOURCES = ("rmrr", "ivmd", "ivmd-exclusion", "iort-rmr", "reserved", "msi")
_BDF_SHORT = re.compile(r"^[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$")
_SIZE = re.compile(r"^\s*(\d+)\s*([KMGT]?)i?B?\s*$", re.IGNORECASE)

# Field kinds: how a TOML value is checked and converted.
STR, INT, BOOL, OPT_STR, OPT_INT, OPT_BOOL = "str", "int", "bool", "str?", "int?", "bool?"
STRS, INTS, PAIRS, HEX = "list[str]", "list[int]", "list[pair]", "hex"

_MACHINE_KEYS = {
    "name": STR,
    "description": STR,
    "kernel": STR,
    "cmdline": STR,
    "arch": STR,
    "hostname": STR,
    "memory": "size",
    "modules": STRS,
    "pci_windows": PAIRS,
}
_IOMMU_KEYS = {
    "name": STR,
    "driver": STR,
    "pci_function": OPT_STR,
    "base_address": INT,
    "scope_buses": PAIRS,
    "scope_devices": STRS,
    "pass_through": BOOL,
    "cap": INT,
    "ecap": INT,
    "version": STR,
    "pgsize_bitmap": INT,
    "address_width": INT,
    "probe_region": "tables",
}
_PCI_KEYS = {
    "bdf": STR,
    "vendor": INT,
    "device": INT,
    "class": INT,
    "subsystem_vendor": INT,
    "subsystem_device": INT,
    "revision": INT,
    "role": STR,
    "secondary_bus": OPT_INT,
    "acs": BOOL,
    "multifunction": OPT_BOOL,
    "external_facing": BOOL,
    "dma_alias_devfns": STRS,
    "pasid": BOOL,
    "sriov_totalvfs": INT,
    "sriov_vf_device": INT,
    "sriov_offset": INT,
    "sriov_stride": INT,
    "physfn": OPT_STR,
    "translated": BOOL,
    "irq": INT,
    "driver": OPT_STR,
    "driver_override": OPT_STR,
    "vendor_name": STR,
    "device_name": STR,
    "iommu": OPT_STR,
    "can_reset": BOOL,
    "config": HEX,
}
_PLATFORM_KEYS = {
    "name": STR,
    "driver": OPT_STR,
    "iommu": OPT_STR,
    "stream_ids": INTS,
    "compatible": STR,
}
_RESERVED_KEYS = {
    "start": INT,
    "end": INT,
    "source": STR,
    "devices": STRS,
    "readable": BOOL,
    "writable": BOOL,
}
_GROUP_KEYS = {"id": INT, "devices": STRS, "type": OPT_STR, "name": OPT_STR}
_DRIVER_KEYS = {"name": STR, "driver_managed_dma": BOOL, "ids": PAIRS, "module": OPT_STR}
_TOP_KEYS = {"machine", "iommu", "pci", "platform", "reserved", "group", "driver"}


def normalise_bdf(name: str) -> str:
    """``"01:00.0"`` -> ``"0000:01:00.0"`` (lower case); ValueError if not a BDF."""
    name = name.strip().lower()
    if _BDF_SHORT.match(name):
        name = "0000:" + name
    parse_bdf(name)
    return name


def parse_size(value: int | str) -> int:
    """``"16G"`` -> 17179869184; ints pass through; ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError(f"not a size: {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise ValueError(f"not a size: {value!r}")
        return value
    m = _SIZE.match(value)
    if not m:
        raise ValueError(f"not a size: {value!r}")
    shift = {"": 0, "K": 10, "M": 20, "G": 30, "T": 40}[m.group(2).upper()]
    return int(m.group(1)) << shift


#: What a value of each kind must look like (for problems).
_EXPECTED = {
    STR: "a string",
    OPT_STR: "a string",
    INT: "an integer",
    OPT_INT: "an integer",
    BOOL: "true or false",
    OPT_BOOL: "true or false",
    STRS: "a list of strings",
    INTS: "a list of integers",
    PAIRS: "a list of [integer, integer] pairs",
    HEX: "a string of hex digits",
    "size": "a size such as 16G or a number of bytes",
}


class _Loader:
    """One load: collects every problem with its line, then raises them together."""

    def __init__(self, text: str, filename: str) -> None:
        self.text = text
        self.filename = filename
        self.lines = TomlLineIndex(text)
        self.problems: list[str] = []

    def problem(self, line: int, what: str) -> None:
        where = f"{self.filename}:{line}" if line else self.filename
        self.problems.append(f"{where}: {what}")

    # -- value conversion --------------------------------------------------------------

    def convert(self, table: str, index: int, key: str, kind: str, value: Any, who: str) -> Any:
        """Check one value against its kind; report and return None if it does not fit."""
        ok = True
        if kind in (STR, OPT_STR):
            ok = isinstance(value, str)
        elif kind in (INT, OPT_INT):
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif kind in (BOOL, OPT_BOOL):
            ok = isinstance(value, bool)
        elif kind == STRS:
            ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        elif kind == INTS:
            ok = isinstance(value, list) and all(
                isinstance(v, int) and not isinstance(v, bool) for v in value
            )
        elif kind == PAIRS:
            ok = isinstance(value, list) and all(
                isinstance(p, list)
                and len(p) == 2
                and all(isinstance(v, int) and not isinstance(v, bool) for v in p)
                for p in value
            )
            if ok:
                value = [(p[0], p[1]) for p in value]
        elif kind == HEX:
            try:
                value = bytes.fromhex(value) if isinstance(value, str) else None
            except ValueError:
                value = None
            ok = value is not None
        elif kind == "size":
            try:
                value = parse_size(value)
            except (ValueError, TypeError):
                ok = False
        if not ok:
            expected = _EXPECTED.get(kind, kind)
            line = self.lines.key(table, index, key)
            self.problem(line, f"{who}: {key} = {value!r}: expected {expected}")
            return None
        if kind in (INT, OPT_INT) and value < 0:
            line = self.lines.key(table, index, key)
            self.problem(line, f"{who}: {key} = {value}: expected a non-negative integer")
            return None
        return value

    def fields(
        self, table: str, index: int, raw: dict[str, Any], schema: dict[str, str], who: str
    ) -> dict[str, Any]:
        """Convert a whole table; unknown keys are problems."""
        out: dict[str, Any] = {}
        for key, value in raw.items():
            kind = schema.get(key)
            if kind is None:
                self.problem(
                    self.lines.key(table, index, key),
                    f"{who}: unknown key '{key}' (expected one of: {', '.join(schema)})",
                )
                continue
            if kind == "tables":
                out[key] = value
                continue
            converted = self.convert(table, index, key, kind, value, who)
            if converted is not None:
                out[key] = converted
        return out

    def entries(self, doc: dict[str, Any], name: str) -> list[dict[str, Any]]:
        value = doc.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.problem(self.lines.table(name), f"'{name}' must be written as [[{name}]] tables")
            return []
        return value

    def bdf(self, table: str, index: int, key: str, value: str, who: str) -> str | None:
        try:
            return normalise_bdf(value)
        except ValueError:
            self.problem(
                self.lines.key(table, index, key),
                f"{who}: {key} = {value!r}: expected a PCI address like 0000:01:00.0",
            )
            return None

    # -- tables ------------------------------------------------------------------------

    def load(self) -> MachineSpec:
        try:
            doc = tomllib.loads(self.text)
        except tomllib.TOMLDecodeError as exc:
            msg = str(exc)
            m = re.search(r"\(at line (\d+), column \d+\)", msg)
            line = int(m.group(1)) if m else 0
            self.problem(line, f"not valid TOML: {re.sub(r' ?[(]at line.*[)]', '', msg)}")
            raise MachineError(self.problems) from None
        for key in doc:
            if key not in _TOP_KEYS:
                self.problem(
                    self.lines.key("", 0, key) or self.lines.table(key),
                    f"unknown table '{key}' (expected one of: {', '.join(sorted(_TOP_KEYS))})",
                )
        spec = self.machine(doc)
        spec.drivers = self.drivers(doc)
        spec.iommus = self.iommus(doc)
        spec.pci = self.pci(doc)
        spec.platform = self.platform(doc)
        spec.reserved = self.reserved(doc)
        spec.groups = self.groups(doc)
        self.cross_check(spec)
        if self.problems:
            raise MachineError(self.problems)
        return spec

    def machine(self, doc: dict[str, Any]) -> MachineSpec:
        raw = doc.get("machine", {})
        if not isinstance(raw, dict):
            self.problem(self.lines.key("", 0, "machine"), "'machine' must be a [machine] table")
            raw = {}
        f = self.fields("machine", 0, raw, _MACHINE_KEYS, "machine")
        default_name = (
            os.path.basename(self.filename)[: -len(".toml")]
            if self.filename.endswith(".toml")
            else "machine"
        )
        spec = MachineSpec(name=f.pop("name", default_name))
        arch = f.pop("arch", "x86_64")
        if arch not in ("x86_64", "aarch64"):
            self.problem(
                self.lines.key("machine", 0, "arch"),
                f"machine: arch = {arch!r}: expected x86_64 or aarch64",
            )
        else:
            spec.arch = arch
        if "memory" in f:
            spec.memory = f.pop("memory")
        for key, value in f.items():
            setattr(spec, key, value)
        return spec

    def drivers(self, doc: dict[str, Any]) -> list[DriverSpec]:
        out: list[DriverSpec] = []
        for i, raw in enumerate(self.entries(doc, "driver")):
            f = self.fields("driver", i, raw, _DRIVER_KEYS, f"driver #{i + 1}")
            if "name" not in f:
                self.problem(self.lines.table("driver", i), "driver: missing 'name'")
                continue
            out.append(DriverSpec(**f))
        return out

    def iommus(self, doc: dict[str, Any]) -> list[IommuUnitSpec]:
        out: list[IommuUnitSpec] = []
        for i, raw in enumerate(self.entries(doc, "iommu")):
            f = self.fields("iommu", i, raw, _IOMMU_KEYS, f"iommu #{i + 1}")
            who = f"iommu {f.get('name', '#' + str(i + 1))}"
            if "name" not in f or "driver" not in f:
                self.problem(self.lines.table("iommu", i), f"{who}: expected 'name' and 'driver'")
                continue
            if f["driver"] not in IOMMU_DRIVERS:
                self.problem(
                    self.lines.key("iommu", i, "driver"),
                    f"{who}: unknown driver {f['driver']!r} (expected one of: "
                    f"{', '.join(IOMMU_DRIVERS)})",
                )
                continue
            if f.get("pci_function") is not None:
                f["pci_function"] = self.bdf("iommu", i, "pci_function", f["pci_function"], who)
            f["scope_devices"] = [
                d
                for d in (
                    self.bdf("iommu", i, "scope_devices", s, who)
                    for s in f.get("scope_devices", [])
                )
                if d
            ]
            probe = f.pop("probe_region", [])
            regions: list[ReservedRegionSpec] = []
            if not isinstance(probe, list) or not all(isinstance(p, dict) for p in probe):
                self.problem(self.lines.table("iommu", i), f"{who}: probe_region must be tables")
            else:
                for p in probe:
                    pf = self.fields("iommu", i, p, _RESERVED_KEYS, f"{who}: probe_region")
                    if "start" in pf and "end" in pf:
                        regions.append(ReservedRegionSpec(**pf))
                    else:
                        self.problem(
                            self.lines.table("iommu", i),
                            f"{who}: probe_region: expected 'start' and 'end'",
                        )
            out.append(IommuUnitSpec(**f, probe_regions=regions))
        return out

    def pci(self, doc: dict[str, Any]) -> list[PciFunctionSpec]:
        out: list[PciFunctionSpec] = []
        seen: dict[str, int] = {}
        for i, raw in enumerate(self.entries(doc, "pci")):
            bdf_raw = raw.get("bdf")
            who = f"pci #{i + 1}"
            if isinstance(bdf_raw, str):
                who = f"device {self._device_name(bdf_raw)}"
            f = self.fields("pci", i, raw, _PCI_KEYS, who)
            if "bdf" not in f:
                if "bdf" not in raw:
                    self.problem(self.lines.table("pci", i), f"{who}: missing 'bdf'")
                continue
            bdf = self.bdf("pci", i, "bdf", f.pop("bdf"), who)
            if bdf is None:
                continue
            who = f"device {bdf}"
            if bdf in seen:
                self.problem(
                    self.lines.key("pci", i, "bdf"),
                    f"{who}: defined twice (first at line {self.lines.key('pci', seen[bdf], 'bdf')})",
                )
                continue
            seen[bdf] = i
            if "class" in f:
                f["class_code"] = f.pop("class")
            for key, limit in (
                ("vendor", 0xFFFF),
                ("device", 0xFFFF),
                ("subsystem_vendor", 0xFFFF),
                ("subsystem_device", 0xFFFF),
                ("sriov_vf_device", 0xFFFF),
                ("class_code", 0xFFFFFF),
                ("revision", 0xFF),
                ("secondary_bus", 0xFF),
            ):
                if f.get(key) is not None and f[key] > limit:
                    src = "class" if key == "class_code" else key
                    self.problem(
                        self.lines.key("pci", i, src),
                        f"{who}: {src} = {f[key]:#x}: expected at most {limit:#x}",
                    )
            role = f.get("role", "endpoint")
            if role not in PCI_ROLES:
                self.problem(
                    self.lines.key("pci", i, "role"),
                    f"{who}: unknown role {role!r} (expected one of: {', '.join(PCI_ROLES)})",
                )
                f.pop("role")
            elif f.get("secondary_bus") is not None and role not in BRIDGE_ROLES:
                self.problem(
                    self.lines.key("pci", i, "secondary_bus"),
                    f"{who}: secondary_bus given for role {role!r}: expected a bridge role "
                    f"({', '.join(sorted(BRIDGE_ROLES))})",
                )
            if f.get("physfn") is not None:
                f["physfn"] = self.bdf("pci", i, "physfn", f["physfn"], who)
            for alias in f.get("dma_alias_devfns", []):
                if not re.match(r"^[0-9a-fA-F]{2}\.[0-7]$", alias):
                    self.problem(
                        self.lines.key("pci", i, "dma_alias_devfns"),
                        f"{who}: dma alias {alias!r}: expected slot.fn like 00.1",
                    )
            out.append(PciFunctionSpec(bdf=bdf, **f))
        return out

    def platform(self, doc: dict[str, Any]) -> list[PlatformDeviceSpec]:
        out: list[PlatformDeviceSpec] = []
        for i, raw in enumerate(self.entries(doc, "platform")):
            f = self.fields("platform", i, raw, _PLATFORM_KEYS, f"platform #{i + 1}")
            if "name" not in f:
                self.problem(self.lines.table("platform", i), "platform device: missing 'name'")
                continue
            out.append(PlatformDeviceSpec(**f))
        return out

    def reserved(self, doc: dict[str, Any]) -> list[ReservedRegionSpec]:
        out: list[ReservedRegionSpec] = []
        for i, raw in enumerate(self.entries(doc, "reserved")):
            who = f"reserved region #{i + 1}"
            f = self.fields("reserved", i, raw, _RESERVED_KEYS, who)
            if "start" not in f or "end" not in f:
                self.problem(self.lines.table("reserved", i), f"{who}: expected 'start' and 'end'")
                continue
            if f["end"] < f["start"]:
                self.problem(
                    self.lines.key("reserved", i, "end"),
                    f"{who}: end {f['end']:#x} is below start {f['start']:#x}",
                )
            if f.get("source", "rmrr") not in REGION_SOURCES:
                self.problem(
                    self.lines.key("reserved", i, "source"),
                    f"{who}: unknown source {f['source']!r} (expected one of: "
                    f"{', '.join(REGION_SOURCES)})",
                )
            f["devices"] = [self._device_name(d) for d in f.get("devices", [])]
            out.append(ReservedRegionSpec(**f))
        return out

    def groups(self, doc: dict[str, Any]) -> list[GroupSpec]:
        out: list[GroupSpec] = []
        for i, raw in enumerate(self.entries(doc, "group")):
            who = f"group #{i + 1}"
            f = self.fields("group", i, raw, _GROUP_KEYS, who)
            if "id" not in f or "devices" not in f:
                self.problem(self.lines.table("group", i), f"{who}: expected 'id' and 'devices'")
                continue
            f["devices"] = [self._device_name(d) for d in f["devices"]]
            out.append(GroupSpec(**f))
        return out

    @staticmethod
    def _device_name(name: str) -> str:
        """BDFs are normalised; platform device names pass through."""
        try:
            return normalise_bdf(name)
        except ValueError:
            return name

    # -- references between tables -----------------------------------------------------

    def cross_check(self, spec: MachineSpec) -> None:
        bdfs = {p.bdf for p in spec.pci}
        names = bdfs | {p.name for p in spec.platform}
        units = {u.name for u in spec.iommus}
        drivers = known_driver_names(spec.drivers)
        if len(units) != len(spec.iommus):
            self.problem(self.lines.table("iommu"), "two IOMMU units have the same name")
        for i, unit in enumerate(spec.iommus):
            if unit.pci_function is not None and unit.pci_function not in bdfs:
                self.problem(
                    self.lines.key("iommu", i, "pci_function"),
                    f"iommu {unit.name}: pci_function {unit.pci_function} is not a [[pci]] device",
                )
        for i, dev in enumerate(spec.pci):
            who = f"device {dev.bdf}"
            for key, drv in (("driver", dev.driver), ("driver_override", dev.driver_override)):
                if drv is not None and drv not in drivers:
                    self.problem(self.lines.key("pci", i, key), f"{who}: unknown driver {drv!r}")
            if dev.iommu is not None and dev.iommu not in units:
                self.problem(
                    self.lines.key("pci", i, "iommu"), f"{who}: unknown iommu {dev.iommu!r}"
                )
            if dev.physfn is not None and dev.physfn not in bdfs:
                self.problem(
                    self.lines.key("pci", i, "physfn"),
                    f"{who}: physfn {dev.physfn} is not a [[pci]] device",
                )
        for i, pdev in enumerate(spec.platform):
            who = f"platform device {pdev.name}"
            if pdev.iommu is not None and pdev.iommu not in units:
                self.problem(
                    self.lines.key("platform", i, "iommu"), f"{who}: unknown iommu {pdev.iommu!r}"
                )
        for i, region in enumerate(spec.reserved):
            for d in region.devices:
                if d not in names:
                    self.problem(
                        self.lines.key("reserved", i, "devices"),
                        f"reserved region {region.start:#x}-{region.end:#x}: unknown device {d!r}",
                    )
        group_of: dict[str, int] = {}
        ids: set[int] = set()
        for i, group in enumerate(spec.groups):
            if group.id in ids:
                self.problem(self.lines.key("group", i, "id"), f"group {group.id}: defined twice")
            ids.add(group.id)
            for d in group.devices:
                if d not in names:
                    self.problem(
                        self.lines.key("group", i, "devices"),
                        f"group {group.id}: unknown device {d!r}",
                    )
                elif d in group_of:
                    self.problem(
                        self.lines.key("group", i, "devices"),
                        f"group {group.id}: device {d} is already in group {group_of[d]}",
                    )
                group_of[d] = group.id
        modules = catalog_module_names() | {
            normalise_module(d.module or d.name) for d in spec.drivers
        }
        for module in spec.modules:
            if normalise_module(module) not in modules:
                self.problem(
                    self.lines.key("machine", 0, "modules"), f"machine: unknown module {module!r}"
                )


def loads_machine(text: str, filename: str = "<machine>") -> MachineSpec:
    """Parse and validate a machine description; MachineError lists every problem."""
    spec = _Loader(text, filename).load()
    spec.source = filename
    return spec


def load_toml_file(path: str | Path) -> MachineSpec:
    """Load a ``.toml`` machine file; unreadable files are a MachineError too."""
    p = os.fspath(path)
    try:
        with open(p, encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise MachineError(f"{p}: cannot read machine file: {reason}") from None
    spec = _Loader(text, os.path.basename(p)).load()
    spec.source = p
    return spec
