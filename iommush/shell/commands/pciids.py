"""PCI names: the ``pci.ids`` database (``/usr/share/misc/pci.ids`` in the virtual tree,
when the machine has one) and a small built-in table of class and vendor names, with
the lookup rules of pciutils ``lib/names.c`` (``Device 3e92``, ``Class [ff00]``)."""

from __future__ import annotations

from dataclasses import dataclass, field

from iommush.vfs import VirtualFS

__all__ = ["PciNames", "load_names"]

PCI_IDS_PATHS = ("/usr/share/misc/pci.ids", "/usr/share/hwdata/pci.ids", "/usr/share/pci.ids")

_CLASSES = {
    0x00: (
        "Unclassified device",
        {0x00: "Non-VGA unclassified device", 0x01: "VGA compatible unclassified device"},
    ),
    0x01: (
        "Mass storage controller",
        {
            0x00: "SCSI storage controller",
            0x01: "IDE interface",
            0x02: "Floppy disk controller",
            0x03: "IPI bus controller",
            0x04: "RAID bus controller",
            0x05: "ATA controller",
            0x06: "SATA controller",
            0x07: "Serial Attached SCSI controller",
            0x08: "Non-Volatile memory controller",
            0x80: "Mass storage controller",
        },
    ),
    0x02: (
        "Network controller",
        {
            0x00: "Ethernet controller",
            0x01: "Token ring network controller",
            0x02: "FDDI network controller",
            0x03: "ATM network controller",
            0x04: "ISDN controller",
            0x80: "Network controller",
        },
    ),
    0x03: (
        "Display controller",
        {
            0x00: "VGA compatible controller",
            0x01: "XGA compatible controller",
            0x02: "3D controller",
            0x80: "Display controller",
        },
    ),
    0x04: (
        "Multimedia controller",
        {
            0x00: "Multimedia video controller",
            0x01: "Multimedia audio controller",
            0x02: "Computer telephony device",
            0x03: "Audio device",
            0x80: "Multimedia controller",
        },
    ),
    0x05: (
        "Memory controller",
        {0x00: "RAM memory", 0x01: "FLASH memory", 0x80: "Memory controller"},
    ),
    0x06: (
        "Bridge",
        {
            0x00: "Host bridge",
            0x01: "ISA bridge",
            0x02: "EISA bridge",
            0x03: "MicroChannel bridge",
            0x04: "PCI bridge",
            0x05: "PCMCIA bridge",
            0x06: "NuBus bridge",
            0x07: "CardBus bridge",
            0x08: "RACEway bridge",
            0x09: "Semi-transparent PCI-to-PCI bridge",
            0x0A: "InfiniBand to PCI host bridge",
            0x80: "Bridge",
        },
    ),
    0x07: (
        "Communication controller",
        {
            0x00: "Serial controller",
            0x01: "Parallel controller",
            0x02: "Multiport serial controller",
            0x03: "Modem",
            0x80: "Communication controller",
        },
    ),
    0x08: (
        "Generic system peripheral",
        {
            0x00: "PIC",
            0x01: "DMA controller",
            0x02: "Timer",
            0x03: "RTC",
            0x05: "SD Host controller",
            0x06: "IOMMU",
            0x80: "System peripheral",
        },
    ),
    0x09: (
        "Input device controller",
        {0x00: "Keyboard controller", 0x02: "Mouse controller", 0x80: "Input device controller"},
    ),
    0x0A: ("Docking station", {0x00: "Generic Docking Station", 0x80: "Docking Station"}),
    0x0B: ("Processor", {0x40: "Co-processor"}),
    0x0C: (
        "Serial bus controller",
        {
            0x00: "FireWire (IEEE 1394)",
            0x01: "ACCESS Bus",
            0x02: "SSA",
            0x03: "USB controller",
            0x04: "Fibre Channel",
            0x05: "SMBus",
            0x06: "InfiniBand",
            0x07: "IPMI Interface",
            0x80: "Serial bus controller",
        },
    ),
    0x0D: ("Wireless controller", {0x80: "Wireless controller"}),
    0x0E: ("Intelligent controller", {}),
    0x0F: ("Satellite communications controller", {}),
    0x10: ("Encryption controller", {0x80: "Encryption controller"}),
    0x11: ("Signal processing controller", {0x80: "Signal processing controller"}),
    0x12: ("Processing accelerators", {0x00: "Processing accelerators"}),
    0x13: ("Non-Essential Instrumentation", {}),
    0x40: ("Coprocessor", {}),
    0xFF: ("Unassigned class", {}),
}

_VENDORS = {
    0x8086: "Intel Corporation",
    0x1022: "Advanced Micro Devices, Inc. [AMD]",
    0x1002: "Advanced Micro Devices, Inc. [AMD/ATI]",
    0x10DE: "NVIDIA Corporation",
    0x1AF4: "Red Hat, Inc.",
    0x1B36: "Red Hat, Inc.",
    0x10EC: "Realtek Semiconductor Co., Ltd.",
    0x14E4: "Broadcom Inc. and subsidiaries",
    0x15B3: "Mellanox Technologies",
    0x144D: "Samsung Electronics Co Ltd",
    0x1B4B: "Marvell Technology Group Ltd.",
    0x1D0F: "Amazon.com, Inc.",
    0x1414: "Microsoft Corporation",
    0x15AD: "VMware",
}


@dataclass
class PciNames:
    """Vendors, devices, subsystems, classes, subclasses and prog-ifs by number."""

    vendors: dict[int, str] = field(default_factory=dict)
    devices: dict[tuple[int, int], str] = field(default_factory=dict)
    subsystems: dict[tuple[int, int, int, int], str] = field(default_factory=dict)
    classes: dict[int, str] = field(default_factory=dict)
    subclasses: dict[tuple[int, int], str] = field(default_factory=dict)
    progifs: dict[tuple[int, int, int], str] = field(default_factory=dict)

    # -- pciutils lib/names.c ----------------------------------------------------
    def class_name(self, cls: int, mode: int) -> str:
        """``PCI_LOOKUP_CLASS`` of ``cls`` (0xCCSS); mode 0 names, 1 numbers, 2 both."""
        num = f"{cls:04x}"
        if mode == 1:
            return num
        name = self.subclasses.get((cls >> 8, cls & 0xFF)) or self.classes.get(cls >> 8)
        if mode == 2:
            return f"{name} [{num}]" if name else f"Class [{num}]"
        return name if name else f"Class {num}"

    def device_name(self, vendor: int, device: int, mode: int) -> str:
        """``PCI_LOOKUP_VENDOR | PCI_LOOKUP_DEVICE`` (``format_name_pair``)."""
        num = f"{vendor:04x}:{device:04x}"
        if mode == 1:
            return num
        v = self.vendors.get(vendor)
        d = self.devices.get((vendor, device))
        if mode == 2:
            if v and d:
                return f"{v} {d} [{num}]"
            return f"{v} Device [{num}]" if v else f"Device [{num}]"
        if v and d:
            return f"{v} {d}"
        return f"{v} Device {device:04x}" if v else f"Device {num}"

    def subsystem_name(self, vendor: int, device: int, sv: int, sd: int, mode: int) -> str:
        """``PCI_LOOKUP_SUBSYSTEM | PCI_LOOKUP_VENDOR | PCI_LOOKUP_DEVICE``."""
        num = f"{sv:04x}:{sd:04x}"
        if mode == 1:
            return num
        v = self.vendors.get(sv)
        d = self.subsystems.get((vendor, device, sv, sd))
        if d is None and (sv, sd) == (vendor, device):
            d = self.devices.get((vendor, device))
        if mode == 2:
            if v and d:
                return f"{v} {d} [{num}]"
            return f"{v} Device [{num}]" if v else f"Device [{num}]"
        if v and d:
            return f"{v} {d}"
        return f"{v} Device {sd:04x}" if v else f"Device {num}"

    def vendor_only(self, vendor: int) -> str:
        return self.vendors.get(vendor) or f"Vendor {vendor:04x}"

    def device_only(self, vendor: int, device: int) -> str:
        return self.devices.get((vendor, device)) or f"Device {device:04x}"

    def progif_name(self, cls: int, progif: int) -> str | None:
        return self.progifs.get((cls >> 8, cls & 0xFF, progif))


def _builtin() -> PciNames:
    names = PciNames(vendors=dict(_VENDORS))
    for c, (cname, subs) in _CLASSES.items():
        names.classes[c] = cname
        for s, sname in subs.items():
            names.subclasses[(c, s)] = sname
    return names


def parse_pci_ids(text: str) -> PciNames:
    """Parse the ``pci.ids`` format (vendor, ``\\t`` device, ``\\t\\t`` subsystem lines;
    ``C`` class, ``\\t`` subclass, ``\\t\\t`` prog-if lines)."""
    names = PciNames()
    vendor = device = cls = sub = -1
    in_class = False
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        try:
            if line.startswith("C "):
                in_class = True
                cls = int(line[2:4], 16)
                names.classes[cls] = line[4:].strip()
            elif not line.startswith("\t"):
                if (
                    len(line) > 4
                    and line[4] == " "
                    and all(c in "0123456789abcdefABCDEF" for c in line[:4])
                ):
                    in_class = False
                    vendor = int(line[:4], 16)
                    names.vendors[vendor] = line[4:].strip()
                else:
                    in_class = False
                    vendor = -1
                    cls = -1
            elif line.startswith("\t\t"):
                body = line[2:]
                if in_class and cls >= 0 and sub >= 0:
                    names.progifs[(cls, sub, int(body[:2], 16))] = body[2:].strip()
                elif vendor >= 0 and device >= 0:
                    sv, sd = int(body[:4], 16), int(body[5:9], 16)
                    names.subsystems[(vendor, device, sv, sd)] = body[9:].strip()
            else:
                body = line[1:]
                if in_class and cls >= 0:
                    sub = int(body[:2], 16)
                    names.subclasses[(cls, sub)] = body[2:].strip()
                elif vendor >= 0:
                    device = int(body[:4], 16)
                    names.devices[(vendor, device)] = body[4:].strip()
        except ValueError:
            continue
    return names


_cache: dict[tuple[int, int, float], PciNames] = {}


def load_names(fs: VirtualFS, path: str | None = None) -> PciNames:
    """The machine's ``pci.ids`` if it has one (parsed once per file), else the built-in
    table."""
    for candidate in (path,) if path else PCI_IDS_PATHS:
        try:
            node = fs.resolve(candidate)
            st = fs.stat_node(node)
        except OSError:
            continue
        key = (node.ino, st.st_size, st.st_mtime)
        if key not in _cache:
            try:
                text = fs.read_bytes(candidate).decode("utf-8", "replace")
            except OSError:
                continue
            parsed = parse_pci_ids(text)
            # a trimmed pci.ids without the class section still names classes
            base = _builtin()
            for attr in ("vendors", "classes", "subclasses"):
                merged = getattr(base, attr)
                merged.update(getattr(parsed, attr))
                setattr(parsed, attr, merged)
            _cache.clear()
            _cache[key] = parsed
        return _cache[key]
    return _builtin()
