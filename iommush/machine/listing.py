"""Import a machine from a pasted IOMMU group listing.

Reads the output of the usual group-listing scripts in the forms people paste:

- grouped (``IOMMU Group 1:`` then indented device lines) or one device per line
  (``IOMMU Group 1 01:00.0 VGA ...``), ``IOMMU Group``/``IOMMU group``/``Group``;
- lspci ``-nn`` device text (``01:00.0 VGA compatible controller [0300]: NVIDIA
  Corporation GP104 [10de:1b80] (rev a1)``) or the ``[vendor:device] [R] BDF  class
  name  device name`` columns of the reset-marking script (``[R]``: has a reset method);
- tabs or spaces, with or without the ``0000:`` domain, sorted or not, ``#``-commented;
- per-device ``Driver: x`` / ``Kernel driver in use: x`` lines;
- shell prompts, USB and block-device lines, notes and blank lines around it (ignored).

A line that names a PCI address but cannot be read is reported with its line number.
What a listing cannot say (bridges' secondary buses, prog-if, subsystem ids) gets the
documented default, and one note says so.
"""

from __future__ import annotations

import re

from iommush.kernel.spec import (
    DriverSpec,
    GroupSpec,
    IommuUnitSpec,
    MachineSpec,
    PciFunctionSpec,
    PciRole,
)
from iommush.machine.drivers import catalog_driver_names, is_dma_managing_driver

__all__ = ["CLASS_NAMES", "from_listing"]

#: lspci's class names (pci.ids) -> class code << 8 (prog-if 0).
CLASS_NAMES: dict[str, int] = {
    "Non-VGA unclassified device": 0x0000,
    "SCSI storage controller": 0x0100,
    "IDE interface": 0x0101,
    "RAID bus controller": 0x0104,
    "SATA controller": 0x0106,
    "Serial Attached SCSI controller": 0x0107,
    "Non-Volatile memory controller": 0x0108,
    "Mass storage controller": 0x0180,
    "Ethernet controller": 0x0200,
    "Network controller": 0x0280,
    "VGA compatible controller": 0x0300,
    "3D controller": 0x0302,
    "Display controller": 0x0380,
    "Multimedia video controller": 0x0400,
    "Multimedia audio controller": 0x0401,
    "Audio device": 0x0403,
    "Multimedia controller": 0x0480,
    "RAM memory": 0x0500,
    "Memory controller": 0x0580,
    "Host bridge": 0x0600,
    "ISA bridge": 0x0601,
    "PCI bridge": 0x0604,
    "Bridge": 0x0680,
    "Serial controller": 0x0700,
    "Communication controller": 0x0780,
    "PIC": 0x0800,
    "IOMMU": 0x0806,
    "System peripheral": 0x0880,
    "USB controller": 0x0C03,
    "SMBus": 0x0C05,
    "Serial bus controller": 0x0C80,
    "Signal processing controller": 0x1180,
    "Performance counters": 0x1101,
    "Encryption controller": 0x1080,
    "Non-Essential Instrumentation": 0x1300,
    "Coprocessor": 0x4000,
    "Unassigned class": 0xFF00,
}

_BDF_TOKEN = r"(?:[0-9a-fA-F]{4}:)?[0-9a-fA-F]{2}:[0-1][0-9a-fA-F]\.[0-7]"
_HAS_BDF = re.compile(r"(?<![0-9a-fA-F:])" + _BDF_TOKEN + r"(?![0-9a-fA-F])")
_GROUP = re.compile(r"^(?:IOMMU\s+)?group\s+(\d+)\s*:?\s*(.*)$", re.IGNORECASE)
_LSPCI = re.compile(
    r"^(?P<bdf>" + _BDF_TOKEN + r")\s+(?P<cname>[^\[\]]*?)\s*\[(?P<cls>[0-9a-fA-F]{4})\]:\s*"
    r"(?P<desc>.*?)\s*\[(?P<ven>[0-9a-fA-F]{4}):(?P<dev>[0-9a-fA-F]{4})\]"
    r"(?:\s*\(rev (?P<rev>[0-9a-fA-F]{2})\))?(?:\s*\(prog-if (?P<pi>[0-9a-fA-F]{2})[^)]*\))?\s*$"
)
_COLUMNS = re.compile(
    r"^\[(?P<ven>[0-9a-fA-F]{4}):(?P<dev>[0-9a-fA-F]{4})\]\s+(?P<reset>\[R\]\s+)?"
    r"(?P<bdf>" + _BDF_TOKEN + r")\s+(?P<cname>\S.*?)(?:\s{2,}(?P<desc>\S.*?))?\s*$"
)
_DRIVER = re.compile(r"^(?:Kernel driver in use|Driver)\s*:\s*(\S+)\s*$", re.IGNORECASE)
_VENDOR_SPLIT = re.compile(
    r"^(?P<vendor>.*?(?:Corporation|Corp\.?|Inc\.|Ltd\.?|Co\.,\s?Ltd\.?|Company|Limited|"
    r"Technologies|Technology Inc\.|GmbH|AG|S\.A\.|Semiconductor|Systems Ltd\.)"
    r"(?:\s+and subsidiaries)?(?:\s+\[[^\]]+\])?)\s+(?P<device>.+)$"
)


def _split_names(desc: str) -> tuple[str, str]:
    """``"Intel Corporation HD Graphics 530"`` -> (vendor, device) as lspci joined them."""
    m = _VENDOR_SPLIT.match(desc)
    if m:
        return m.group("vendor"), m.group("device")
    return "", desc


def _bdf(token: str) -> str:
    token = token.lower()
    return token if token.count(":") == 2 else "0000:" + token


def _role(bdf: str, class_code: int, name: str) -> PciRole:
    base = class_code >> 8
    on_root = bdf.split(":")[1] == "00"
    lname = name.lower()
    if base == 0x0604:
        if "upstream" in lname:
            return "upstream_port"
        if "downstream" in lname:
            return "downstream_port"
        if "pcie to pci" in lname or "pci express to pci" in lname:
            return "pcie_to_pci_bridge"
        if re.search(r"\b(82801|pci bridge \[)", lname) or lname.endswith("pci bridge"):
            return "pci_bridge"
        return "root_port" if on_root else "downstream_port"
    if bdf.endswith(":00:00.0") and base == 0x0600:
        return "host_bridge"
    return "rc_integrated" if on_root else "endpoint"


class _ListingReader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.notes: list[str] = []
        self.devices: dict[str, PciFunctionSpec] = {}
        self.group_of: dict[str, int] = {}
        self.members: dict[int, list[str]] = {}
        self.last: PciFunctionSpec | None = None

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def read(self) -> MachineSpec:
        group: int | None = None
        for lineno, raw in enumerate(self.text.splitlines(), start=1):
            line = raw.replace("\u00a0", " ").strip()
            if line.startswith("#"):
                line = line.lstrip("#").strip()
            if not line:
                continue
            m = _GROUP.match(line)
            if m:
                group = int(m.group(1))
                self.members.setdefault(group, [])
                rest = m.group(2).strip()
                if rest:
                    self.device(rest, group, lineno)
                continue
            m = _DRIVER.match(line)
            if m:
                if self.last is not None:
                    name = m.group(1)
                    self.last.driver = None if name in ("none", "(none)") else name
                continue
            if _HAS_BDF.search(line) and not re.match(r"^(?:USB|Bus)\b", line):
                if group is None:
                    self.note(f"line {lineno}: device before any group header: {raw.strip()!r}")
                    continue
                self.device(line, group, lineno)
        return self.build()

    def device(self, text: str, group: int, lineno: int) -> None:
        m = _LSPCI.match(text)
        cols = None if m else _COLUMNS.match(text)
        if m is None and cols is None:
            self.note(f"line {lineno}: not a device line this reader understands: {text!r}")
            self.last = None
            return
        if m is not None:
            bdf = _bdf(m.group("bdf"))
            cls = int(m.group("cls"), 16) << 8 | int(m.group("pi") or "0", 16)
            vendor_name, device_name = _split_names(m.group("desc"))
            dev = PciFunctionSpec(
                bdf=bdf,
                vendor=int(m.group("ven"), 16),
                device=int(m.group("dev"), 16),
                class_code=cls,
                revision=int(m.group("rev") or "0", 16),
                vendor_name=vendor_name,
                device_name=device_name,
                role=_role(bdf, cls, m.group("desc")),
            )
            if m.group("pi") is None:
                self.note("prog-if is not in the listing: class codes end in 00")
        else:
            assert cols is not None
            bdf = _bdf(cols.group("bdf"))
            cname = cols.group("cname").strip()
            desc = (cols.group("desc") or "").strip()
            if cname not in CLASS_NAMES:
                self.note(f"line {lineno}: device {bdf}: unknown class name {cname!r}: class 0")
            cls = CLASS_NAMES.get(cname, 0) << 8
            dev = PciFunctionSpec(
                bdf=bdf,
                vendor=int(cols.group("ven"), 16),
                device=int(cols.group("dev"), 16),
                class_code=cls,
                device_name=desc,
                role=_role(bdf, cls, desc),
                can_reset=cols.group("reset") is not None,
            )
            self.note("revision and vendor name are not in this listing: revision 00")
        if bdf in self.devices:
            if self.group_of[bdf] != group:
                self.note(
                    f"line {lineno}: device {bdf} listed again in group {group} "
                    f"(first in group {self.group_of[bdf]}): kept in group {self.group_of[bdf]}"
                )
            self.last = self.devices[bdf]
            return
        self.devices[bdf] = dev
        self.group_of[bdf] = group
        self.members[group].append(bdf)
        self.last = dev

    def build(self) -> MachineSpec:
        spec = MachineSpec(name="listing", description="imported from a pasted group listing")
        spec.source = "listing"
        spec.pci = [self.devices[b] for b in sorted(self.devices)]
        spec.groups = [
            GroupSpec(id=g, devices=sorted(devs))
            for g, devs in sorted(self.members.items())
            if devs
        ]
        for g, devs in sorted(self.members.items()):
            if not devs:
                self.note(f"group {g} has no device lines: left out")
        if not spec.pci:
            self.note("no device lines found: the machine is empty")
            return spec
        host = spec.pci[0].vendor
        vendors = [d.vendor for d in spec.pci if d.bdf.split(":")[1] == "00"]
        if 0x1022 in vendors and (host == 0x1022 or vendors.count(0x1022) > vendors.count(0x8086)):
            spec.iommus = [IommuUnitSpec(name="ivhd0", driver="amd")]
        else:
            spec.iommus = [IommuUnitSpec(name="dmar0", driver="intel")]
            spec.cmdline = "intel_iommu=on"
        self.note(
            f"IOMMU taken as {spec.iommus[0].driver} (one unit, from the chipset vendor); "
            "kernel version, command line, memory and reserved regions are not in a listing: "
            "defaults used"
        )
        if any(
            d.role
            in ("root_port", "downstream_port", "upstream_port", "pci_bridge", "pcie_to_pci_bridge")
            for d in spec.pci
        ):
            self.note(
                "bridges' secondary buses are not in a listing: devices behind them sit on "
                "their own buses; the groups are kept as listed"
            )
        self.note("subsystem ids are not in a listing: 0000:0000")
        catalog = catalog_driver_names()
        unknown: dict[str, list[tuple[int, int]]] = {}
        for dev in spec.pci:
            if dev.driver and dev.driver not in catalog:
                ids = unknown.setdefault(dev.driver, [])
                if (dev.vendor, dev.device) not in ids:
                    ids.append((dev.vendor, dev.device))
        for name, ids in sorted(unknown.items()):
            managed = is_dma_managing_driver(name)
            spec.drivers.append(
                DriverSpec(name=name, driver_managed_dma=managed, ids=[] if managed else ids)
            )
        return spec


def from_listing(text: str) -> tuple[MachineSpec, list[str]]:
    """Read a pasted group listing; return the machine and notes (with line numbers)."""
    reader = _ListingReader(text)
    spec = reader.read()
    return spec, reader.notes
