"""Import a machine from a copied ``/sys`` (a live root, a copy, or a snapshot tarball).

What is read, and from where:

- PCI functions and topology: every ``DDDD:BB:SS.F`` directory under
  ``sys/devices/pci*/`` (nesting gives the upstream bridge); ``vendor``, ``device``,
  ``class``, ``revision``, ``subsystem_*``, ``irq``, ``config``, ``driver`` and
  ``iommu``/``iommu_group``/``physfn`` links, ``driver_override``,
  ``secondary_bus_number``, ``sriov_*``, ``reset_method``, ``removable``;
- the bridge role from the PCI Express capability in ``config`` (device/port type),
  or from class 0x0604 and its position when ``config`` is short;
- groups from ``sys/kernel/iommu_groups/N/{devices,type,reserved_regions}``, kept
  exactly (ids, members, types); reserved regions become firmware regions scoped to
  the group's devices, except those the IOMMU drivers synthesise themselves (the MSI
  window, the AMD HyperTransport hole, the Intel ISA-bridge 0-16 MiB mapping);
- IOMMU units from ``sys/class/iommu`` (``dmarN`` intel, ``ivhdN`` amd, ``smmu3.*``
  arm-smmu-v3, units under a ``virtio*`` device virtio-iommu) and their registers;
- ``proc/cmdline``, ``proc/sys/kernel/osrelease`` and ``hostname``, ``proc/meminfo``.

Drivers the kernel model does not know become declared drivers
(:class:`~iommush.kernel.spec.DriverSpec`) matching the devices bound to them.
What cannot be read gets the documented default and one note saying so.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from iommush.kernel.pci_drivers import PCI_DRIVERS
from iommush.kernel.spec import (
    DriverSpec,
    GroupSpec,
    IommuDriverName,
    IommuUnitSpec,
    MachineSpec,
    PciFunctionSpec,
    PciRole,
    ReservedRegionSpec,
)
from iommush.machine.drivers import catalog_driver_names, is_dma_managing_driver
from iommush.machine.sysfs_tree import SysTree, open_tree

__all__ = ["from_sysfs", "import_sysfs", "import_tree", "pcie_port_type"]

_BDF = re.compile(r"^[0-9a-f]{4}:[0-9a-f]{2}:[0-1][0-9a-f]\.[0-7]$")
_ROOT = re.compile(r"^pci([0-9a-f]{4}):([0-9a-f]{2})$")
_RESV_LINE = re.compile(r"^0x([0-9a-f]+) 0x([0-9a-f]+) (\S+)$")

MSI_WINDOW = (0xFEE00000, 0xFEEFFFFF)
AMD_HT_HOLE = (0xFD_0000_0000, 0xFF_FFFF_FFFF)
ISA_WINDOW = (0x0, 0xFFFFFF)

#: PCI Express capability device/port type (``PCI_EXP_TYPE_*``) -> role.
_PCIE_TYPES: dict[int, PciRole] = {
    0x0: "endpoint",
    0x1: "endpoint",
    0x4: "root_port",
    0x5: "upstream_port",
    0x6: "downstream_port",
    0x7: "pcie_to_pci_bridge",
    0x8: "pci_bridge",
    0x9: "rc_integrated",
    0xA: "rc_integrated",
}


def pcie_port_type(config: bytes) -> int | None:
    """``pci_pcie_type()``: the device/port type of the PCIe capability, None if absent."""
    if len(config) < 0x40 or not (config[0x06] & 0x10):  # PCI_STATUS_CAP_LIST
        return None
    pos = config[0x34] & 0xFC
    for _ in range(48):
        if pos < 0x40 or pos + 3 >= len(config):
            return None
        if config[pos] == 0x10:  # PCI_CAP_ID_EXP
            return (config[pos + 2] >> 4) & 0xF
        pos = config[pos + 1] & 0xFC
    return None


def _acs_ctrl(config: bytes) -> int | None:
    """ACS control register from the extended capability list, None if not readable."""
    if len(config) <= 0x100:
        return None
    pos = 0x100
    for _ in range(512):
        if pos + 8 > len(config):
            return None
        header = int.from_bytes(config[pos : pos + 4], "little")
        if header == 0:
            return 0
        if header & 0xFFFF == 0x000D:  # PCI_EXT_CAP_ID_ACS
            return int.from_bytes(config[pos + 6 : pos + 8], "little")
        pos = header >> 20
        if pos < 0x100:
            return 0
    return 0


def _unit_driver(name: str, target: str) -> IommuDriverName:
    if name.startswith("dmar"):
        return "intel"
    if name.startswith("ivhd"):
        return "amd"
    if name.startswith("smmu3") or "smmu" in name:
        return "arm-smmu-v3"
    if "/virtio" in target or name.startswith("virtio"):
        return "virtio-iommu"
    return "legacy"


class _Importer:
    def __init__(self, tree: SysTree, source: str) -> None:
        self.tree = tree
        self.source = source
        self.notes: list[str] = []
        self.paths: dict[str, str] = {}  # bdf -> sysfs dir
        self.parent: dict[str, str | None] = {}

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def text(self, path: str) -> str | None:
        t = self.tree.read_text(path)
        return None if t is None else t.strip()

    def hexattr(self, path: str) -> int | None:
        t = self.text(path)
        try:
            return int(t, 16) if t else None
        except ValueError:
            return None

    def intattr(self, path: str) -> int | None:
        t = self.text(path)
        try:
            return int(t, 10) if t else None
        except ValueError:
            return None

    # -- walk -------------------------------------------------------------------------

    def walk(self) -> None:
        for top in self.tree.listdir("sys/devices"):
            if _ROOT.match(top) and self.tree.is_dir(f"sys/devices/{top}"):
                self._walk(f"sys/devices/{top}", None)
        if not self.paths:
            self.note("no PCI devices under /sys/devices/pci*: the machine has none")

    def _walk(self, path: str, parent: str | None) -> None:
        for name in self.tree.listdir(path):
            child = f"{path}/{name}"
            if _BDF.match(name) and self.tree.is_dir(child):
                self.paths[name] = child
                self.parent[name] = parent
                self._walk(child, name)

    def run(self) -> MachineSpec:
        spec = MachineSpec(name="imported", source=self.source)
        spec.description = "imported from " + self.source
        self.machine_info(spec)
        self.walk()
        units = self.units(spec)
        spec.pci = [self.function(bdf, units) for bdf in sorted(self.paths)]
        self.roles(spec)
        self.groups(spec)
        self.drivers(spec)
        return spec

    def machine_info(self, spec: MachineSpec) -> None:
        release = self.text("proc/sys/kernel/osrelease")
        if release:
            spec.kernel = release
        else:
            self.note(f"kernel release unknown (no proc/sys/kernel/osrelease): using {spec.kernel}")
        cmdline = self.text("proc/cmdline")
        if cmdline is not None:
            spec.cmdline = cmdline
        else:
            self.note("kernel command line unknown (no proc/cmdline): using an empty one")
        host = self.text("proc/sys/kernel/hostname")
        if host:
            spec.hostname = host
            spec.name = host
        else:
            # a system that never set its name has the kernel's UTS_NODENAME
            spec.hostname = "(none)"
        meminfo = self.text("proc/meminfo")
        m = re.search(r"MemTotal:\s+(\d+) kB", meminfo or "")
        if m:
            spec.memory = int(m.group(1)) << 10
        else:
            self.note(f"memory size unknown (no proc/meminfo): using {spec.memory >> 30} GiB")
        if self.tree.exists("sys/firmware/devicetree") or release and "aarch64" in release:
            spec.arch = "aarch64"

    # -- IOMMU units ----------------------------------------------------------------

    def units(self, spec: MachineSpec) -> dict[str, str]:
        """Read /sys/class/iommu; return unit sysfs dir -> unit name."""
        dirs: dict[str, str] = {}
        for name in self.tree.listdir("sys/class/iommu"):
            target = self.tree.link_target(f"sys/class/iommu/{name}") or f"sys/class/iommu/{name}"
            driver = _unit_driver(name, target)
            unit = IommuUnitSpec(name=name, driver=driver)
            owner = re.search(r"/([0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7])/", target)
            if owner and driver in ("amd", "virtio-iommu"):
                unit.pci_function = owner.group(1)
            if driver == "intel":
                regs = f"{target}/intel-iommu"
                unit.base_address = self.hexattr(f"{regs}/address") or 0
                unit.cap = self.hexattr(f"{regs}/cap") or 0
                unit.ecap = self.hexattr(f"{regs}/ecap") or 0
                unit.version = self.text(f"{regs}/version") or unit.version
                unit.pass_through = bool(unit.ecap & (1 << 6)) if unit.ecap else True
            if driver == "amd":
                regs = f"{target}/amd-iommu"
                unit.cap = self.hexattr(f"{regs}/cap") or 0
                # "features2:features" (amd_iommu_show_features)
                feats = (self.text(f"{regs}/features") or "").rsplit(":", 1)[-1]
                unit.ecap = int(feats, 16) if re.fullmatch(r"[0-9a-fA-F]+", feats) else 0
            m = re.match(r"smmu3\.0x([0-9a-f]+)$", name)
            if m:
                unit.base_address = int(m.group(1), 16)
            spec.iommus.append(unit)
            dirs[target] = name
        if not spec.iommus:
            self.note("no IOMMU units in /sys/class/iommu: the machine has no IOMMU")
        return dirs

    # -- functions --------------------------------------------------------------------

    def function(self, bdf: str, units: dict[str, str]) -> PciFunctionSpec:
        p = self.paths[bdf]
        dev = PciFunctionSpec(bdf=bdf)
        for attr, field_name in (
            ("vendor", "vendor"),
            ("device", "device"),
            ("class", "class_code"),
            ("revision", "revision"),
            ("subsystem_vendor", "subsystem_vendor"),
            ("subsystem_device", "subsystem_device"),
        ):
            value = self.hexattr(f"{p}/{attr}")
            if value is None:
                self.note(f"device {bdf}: no '{attr}' attribute: using the default")
            else:
                setattr(dev, field_name, value)
        dev.irq = self.intattr(f"{p}/irq") or 0
        config = self.tree.read_bytes(f"{p}/config")
        if config:
            dev.config = config
            dev.multifunction = bool(config[0x0E] & 0x80) if len(config) > 0x0E else None
        driver = self.tree.link_target(f"{p}/driver")
        dev.driver = driver.rsplit("/", 1)[-1] if driver else None
        override = self.text(f"{p}/driver_override")
        if override and override != "(null)":
            dev.driver_override = override
        dev.secondary_bus = self.intattr(f"{p}/secondary_bus_number")
        dev.sriov_totalvfs = self.intattr(f"{p}/sriov_totalvfs") or 0
        if dev.sriov_totalvfs:
            dev.sriov_vf_device = self.hexattr(f"{p}/sriov_vf_device") or 0
            dev.sriov_offset = self.intattr(f"{p}/sriov_offset") or 1
            dev.sriov_stride = self.intattr(f"{p}/sriov_stride") or 1
        physfn = self.tree.link_target(f"{p}/physfn")
        if physfn:
            dev.physfn = physfn.rsplit("/", 1)[-1]
        dev.can_reset = self.tree.exists(f"{p}/reset_method")
        unit = self.tree.link_target(f"{p}/iommu")
        if unit is not None and len(units) > 1:
            dev.iommu = units.get(unit, unit.rsplit("/", 1)[-1])
        return dev

    def roles(self, spec: MachineSpec) -> None:
        by_bdf = {d.bdf: d for d in spec.pci}
        acs_unknown = 0
        for dev in spec.pci:
            ptype = pcie_port_type(dev.config or b"")
            role: PciRole
            is_bridge = (dev.class_code >> 8) == 0x0604 or dev.secondary_bus is not None
            parent = self.parent.get(dev.bdf)
            if ptype is not None and ptype in _PCIE_TYPES:
                role = _PCIE_TYPES[ptype]
                if role in ("endpoint", "rc_integrated") and is_bridge:
                    role = "pci_bridge"
            elif is_bridge:
                role = "pci_bridge"
                if dev.config is None or len(dev.config) < 0x40:
                    prole = by_bdf[parent].role if parent else None
                    if prole is None:
                        role = "root_port"
                    elif prole == "root_port":
                        role = "upstream_port"
                    elif prole == "upstream_port":
                        role = "downstream_port"
                    self.note(
                        "config space not readable (import as root for more): bridge roles "
                        "guessed from their position"
                    )
            elif parent is None and dev.bdf.endswith(":00:00.0") and dev.class_code >> 8 == 0x0600:
                role = "host_bridge"
            elif parent is None and ptype is None:
                role = "rc_integrated"
            else:
                role = "endpoint"
            dev.role = role
            if role in ("root_port", "downstream_port"):
                ctrl = _acs_ctrl(dev.config or b"")
                if ctrl is None:
                    dev.acs = True
                    acs_unknown += 1
                else:
                    dev.acs = (ctrl & 0x1D) == 0x1D  # SV|RR|CR|UF
            if role not in (
                "root_port",
                "upstream_port",
                "downstream_port",
                "pci_bridge",
                "pcie_to_pci_bridge",
            ):
                dev.secondary_bus = None
            removable = self.text(f"{self.paths[dev.bdf]}/removable")
            if removable == "removable" and parent and by_bdf[parent].role != "endpoint":
                pdev = by_bdf[parent]
                if not any(by_bdf[a].external_facing for a in self._ancestors(parent)):
                    pdev.external_facing = True
        if acs_unknown:
            self.note(
                f"ACS capability not readable on {acs_unknown} root/downstream port(s) (config "
                "space beyond 256 bytes needs root): assumed enabled; the groups are kept as found"
            )

    def _ancestors(self, bdf: str) -> list[str]:
        out = []
        cur = self.parent.get(bdf)
        while cur:
            out.append(cur)
            cur = self.parent.get(cur)
        return out

    # -- groups and regions ---------------------------------------------------------

    def groups(self, spec: MachineSpec) -> None:
        by_bdf = {d.bdf: d for d in spec.pci}
        kinds = {u.driver for u in spec.iommus}
        source = "ivmd" if "amd" in kinds else "iort-rmr" if "arm-smmu-v3" in kinds else "rmrr"
        regions: dict[tuple[int, int, str], list[str]] = {}
        ids = sorted(int(g) for g in self.tree.listdir("sys/kernel/iommu_groups") if g.isdigit())
        grouped: set[str] = set()
        for gid in ids:
            gpath = f"sys/kernel/iommu_groups/{gid}"
            members = sorted(self.tree.listdir(f"{gpath}/devices"))
            gtype = self.text(f"{gpath}/type")
            name = self.text(f"{gpath}/name")
            spec.groups.append(GroupSpec(id=gid, devices=members, type=gtype, name=name or None))
            grouped.update(members)
            has_isa = any(by_bdf[m].class_code >> 8 == 0x0601 for m in members if m in by_bdf)
            for line in (self.text(f"{gpath}/reserved_regions") or "").splitlines():
                m = _RESV_LINE.match(line.strip())
                if not m:
                    self.note(f"group {gid}: reserved_regions line not understood: {line!r}")
                    continue
                start, end, kind = int(m.group(1), 16), int(m.group(2), 16), m.group(3)
                if kind == "msi" and (start, end) == MSI_WINDOW:
                    continue
                if kind == "reserved" and (start, end) == AMD_HT_HOLE and "amd" in kinds:
                    continue
                if kind == "direct-relaxable" and (start, end) == ISA_WINDOW and has_isa:
                    continue
                src = {"direct": source, "direct-relaxable": source}.get(kind, kind)
                if src == "reserved" and "amd" in kinds:
                    src = "ivmd-exclusion"
                regions.setdefault((start, end, src), []).extend(members)
        for (start, end, src), devices in regions.items():
            spec.reserved.append(
                ReservedRegionSpec(start=start, end=end, source=src, devices=sorted(set(devices)))
            )
        if spec.groups:
            unit_fn = {u.pci_function for u in spec.iommus}
            for dev in spec.pci:
                if dev.bdf not in grouped and dev.bdf not in unit_fn:
                    dev.translated = False
        elif spec.iommus:
            self.note("no groups in /sys/kernel/iommu_groups: the IOMMU drivers will form them")

    # -- drivers --------------------------------------------------------------------

    def drivers(self, spec: MachineSpec) -> None:
        catalog = catalog_driver_names()
        bound: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for dev in spec.pci:
            for drv in (dev.driver, dev.driver_override):
                if drv and drv not in catalog and (dev.vendor, dev.device) not in bound[drv]:
                    bound[drv].append((dev.vendor, dev.device))
        for name in sorted(bound):
            managed = is_dma_managing_driver(name)
            ids = [] if managed else sorted(bound[name])
            spec.drivers.append(DriverSpec(name=name, driver_managed_dma=managed, ids=ids))
        if spec.drivers:
            self.note(
                "drivers not in the model's catalog taken as ordinary DMA-API drivers matching "
                "the devices they were bound to: "
                + ", ".join(d.name for d in spec.drivers if not d.driver_managed_dma)
            )
        loaded = set(self.tree.listdir("sys/bus/pci/drivers"))
        in_use = {d.driver for d in spec.pci}
        for name in sorted(loaded - in_use):
            if name in catalog and PCI_DRIVERS[name].module is not None:
                spec.modules.append(name)


def import_tree(tree: SysTree, source: str) -> tuple[MachineSpec, list[str]]:
    """Import from an opened tree (see :mod:`iommush.machine.sysfs_tree`)."""
    imp = _Importer(tree, source)
    return imp.run(), imp.notes


def import_sysfs(path: str | Path) -> tuple[MachineSpec, list[str]]:
    """Import the machine under ``path`` (a root holding ``sys/`` or a tarball of one).

    Returns the machine and the notes about what could not be known (each said once).
    Raises MachineError if ``path`` is not such a tree.
    """
    return import_tree(open_tree(path), str(path))


def from_sysfs(path: str | Path) -> MachineSpec:
    """:func:`import_sysfs` without the notes."""
    return import_sysfs(path)[0]
