"""``lspci`` (pciutils) reading only the virtual sysfs: ``/sys/bus/pci/devices/*`` and
their ``vendor``, ``device``, ``class``, ``revision``, ``subsystem_*``, ``config``,
``driver`` and ``modalias``, plus ``pci.ids`` and ``modules.alias`` when the machine has
them. Output follows ``lspci.c``/``ls-tree.c`` (terse, ``-n``/``-nn``, ``-k``, ``-mm``,
``-t``); ``-v`` prints the terse line with prog-if, subsystem, IOMMU group and drivers,
not the decoded BARs and capabilities.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from iommush.shell.command import CommandContext

from ._base import UsageError, parse_options, utility
from .find import glob_regex
from .pciids import PciNames, load_names

__all__ = ["PciDev", "lspci", "scan_pci"]

SYS_PCI = "/sys/bus/pci/devices"


@dataclass
class PciDev:
    """What lspci learns about one function from sysfs."""

    domain: int
    bus: int
    dev: int
    func: int
    vendor: int
    device: int
    cls: int  # 24-bit class code: class, subclass, prog-if
    revision: int
    sub_vendor: int
    sub_device: int
    header: int
    config: bytes
    driver: str | None
    modalias: str | None
    iommu_group: str | None
    bus_next: list[PciDev] = field(default_factory=list)

    @property
    def slot(self) -> str:
        return f"{self.bus:02x}:{self.dev:02x}.{self.func:x}"


def _hex_attr(ctx: CommandContext, path: str) -> int | None:
    try:
        return int(ctx.fs.read_bytes(path).decode().strip(), 16)
    except (OSError, ValueError):
        return None


def scan_pci(ctx: CommandContext) -> list[PciDev]:
    """Every PCI function in sysfs, sorted by domain, bus, device and function."""
    fs = ctx.fs
    try:
        names = fs.listdir(SYS_PCI)
    except OSError:
        return []
    out = []
    for name in names:
        m = re.fullmatch(r"([0-9a-f]{4,}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])", name)
        if not m:
            continue
        base = f"{SYS_PCI}/{name}"
        try:
            config = fs.read_bytes(f"{base}/config")
        except OSError:
            config = b""
        vendor = _hex_attr(ctx, f"{base}/vendor")
        device = _hex_attr(ctx, f"{base}/device")
        cls = _hex_attr(ctx, f"{base}/class")
        if vendor is None and len(config) >= 4:
            vendor = int.from_bytes(config[0:2], "little")
        if device is None and len(config) >= 4:
            device = int.from_bytes(config[2:4], "little")
        if cls is None and len(config) >= 12:
            cls = int.from_bytes(config[9:12], "little")
        rev = _hex_attr(ctx, f"{base}/revision")
        if rev is None:
            rev = config[8] if len(config) > 8 else 0
        if len(config) > 14:
            header = config[14] & 0x7F
        else:
            header = (
                1
                if cls is not None and cls >> 8 == 0x0604
                else (2 if cls is not None and cls >> 8 == 0x0607 else 0)
            )
        sv = _hex_attr(ctx, f"{base}/subsystem_vendor")
        sd = _hex_attr(ctx, f"{base}/subsystem_device")
        if header != 0:
            sv = sd = 0xFFFF
        try:
            driver: str | None = fs.readlink(f"{base}/driver").rsplit("/", 1)[-1]
        except OSError:
            driver = None
        try:
            modalias: str | None = fs.read_bytes(f"{base}/modalias").decode().strip()
        except OSError:
            modalias = None
        try:
            group: str | None = fs.readlink(f"{base}/iommu_group").rsplit("/", 1)[-1]
        except OSError:
            group = None
        out.append(
            PciDev(
                int(m.group(1), 16),
                int(m.group(2), 16),
                int(m.group(3), 16),
                int(m.group(4), 16),
                vendor or 0xFFFF,
                device or 0xFFFF,
                cls or 0,
                rev,
                sv or 0,
                sd or 0,
                header,
                config,
                driver,
                modalias,
                group,
            )
        )
    out.sort(key=lambda d: (d.domain, d.bus, d.dev, d.func))
    return out


def _modules(ctx: CommandContext, modalias: str | None) -> list[str]:
    if not modalias:
        return []
    release = ctx.system.uname().release
    try:
        text = ctx.fs.read_bytes(f"/lib/modules/{release}/modules.alias").decode("utf-8", "replace")
    except OSError:
        return []
    mods: list[str] = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] == "alias" and parts[1].startswith("pci:"):
            if re.fullmatch(glob_regex(parts[1]), modalias) and parts[2] not in mods:
                mods.append(parts[2])
    return mods


def _parse_slot(spec: str) -> tuple[int | None, int | None, int | None, int | None]:
    """``[[[[<domain>]:]<bus>]:][<slot>][.[<func>]]`` (pciutils ``pci_filter_parse_slot``)."""

    def num(text: str, limit: int) -> int | None:
        if text in ("", "*"):
            return None
        value = int(text, 16)
        if value > limit:
            raise ValueError
        return value

    dom = bus = slot = func = None
    head, dot, tail = spec.partition(".")
    if dot:
        func = num(tail, 7)
    parts = head.split(":")
    if len(parts) > 3:
        raise ValueError
    if len(parts) == 3:
        dom = num(parts[0], 0xFFFF)
    if len(parts) >= 2:
        bus = num(parts[-2], 0xFF)
    slot = num(parts[-1], 0x1F)
    return dom, bus, slot, func


def _parse_id(spec: str) -> tuple[int | None, int | None, int | None]:
    parts = spec.split(":")
    if len(parts) < 2 or len(parts) > 3:
        raise ValueError

    def num(text: str) -> int | None:
        return None if text in ("", "*") else int(text, 16)

    return num(parts[0]), num(parts[1]), num(parts[2]) if len(parts) == 3 else None


class _Lspci:
    def __init__(
        self,
        ctx: CommandContext,
        names: PciNames,
        mode: int,
        verbose: int,
        kernel: bool,
        domains: bool,
    ) -> None:
        self.ctx = ctx
        self.names = names
        self.mode = mode
        self.verbose = verbose
        self.kernel = kernel
        self.domains = domains

    def slot(self, d: PciDev) -> str:
        return (f"{d.domain:04x}:" if self.domains else "") + d.slot

    def terse(self, d: PciDev) -> list[str]:
        n = self.names
        line = (
            f"{self.slot(d)} {n.class_name(d.cls >> 8, self.mode)}: "
            f"{n.device_name(d.vendor, d.device, self.mode)}"
        )
        if d.revision:
            line += f" (rev {d.revision:02x})"
        if self.verbose:
            progif = d.cls & 0xFF
            pname = n.progif_name(d.cls >> 8, progif)
            if progif or pname:
                line += f" (prog-if {progif:02x}" + (f" [{pname}]" if pname else "") + ")"
        lines = [line]
        if (self.verbose or self.kernel) and d.sub_vendor and d.sub_vendor != 0xFFFF:
            lines.append(
                "\tSubsystem: "
                + n.subsystem_name(d.vendor, d.device, d.sub_vendor, d.sub_device, self.mode)
            )
        if self.verbose and d.iommu_group is not None:
            lines.append(f"\tIOMMU group: {d.iommu_group}")
        if self.kernel or self.verbose:
            if d.driver:
                lines.append(f"\tKernel driver in use: {d.driver}")
            mods = _modules(self.ctx, d.modalias)
            if mods:
                lines.append(f"\tKernel modules: {', '.join(mods)}")
        return lines

    def machine(self, d: PciDev) -> str:
        n = self.names
        num = self.mode == 1
        cls = f"{d.cls >> 8:04x}" if num else n.class_name(d.cls >> 8, 0)
        ven = f"{d.vendor:04x}" if num else n.vendor_only(d.vendor)
        dev = f"{d.device:04x}" if num else n.device_only(d.vendor, d.device)
        line = f'{self.slot(d)} "{cls}" "{ven}" "{dev}"'
        if d.revision:
            line += f" -r{d.revision:02x}"
        if d.cls & 0xFF:
            line += f" -p{d.cls & 0xFF:02x}"
        if d.sub_vendor and d.sub_vendor != 0xFFFF:
            sv = f"{d.sub_vendor:04x}" if num else n.vendor_only(d.sub_vendor)
            sub = n.subsystems.get((d.vendor, d.device, d.sub_vendor, d.sub_device))
            sd = f"{d.sub_device:04x}" if num else (sub or f"Device {d.sub_device:04x}")
            line += f' "{sv}" "{sd}"'
        else:
            line += ' "" ""'
        return line


@dataclass
class _Bridge:
    domain: int
    primary: int
    secondary: int
    subordinate: int
    dev: PciDev | None
    children: list[_Bridge] = field(default_factory=list)
    buses: list[_Bus] = field(default_factory=list)


@dataclass
class _Bus:
    domain: int
    number: int
    devs: list[PciDev] = field(default_factory=list)


def _bridge_buses(ctx: CommandContext, d: PciDev) -> tuple[int, int, int] | None:
    if len(d.config) >= 0x1B:
        return d.config[0x18], d.config[0x19], d.config[0x1A]
    name = f"{d.domain:04x}:{d.slot}"
    try:
        kids = ctx.fs.listdir(f"{SYS_PCI}/{name}/pci_bus")
    except OSError:
        return None
    nums = [int(k.split(":")[1], 16) for k in kids if ":" in k]
    if not nums:
        return None
    return d.bus, min(nums), max(nums)


class _Tree:
    """``ls-tree.c``: bridges by bus ranges, then the ASCII forest."""

    def __init__(
        self, ctx: CommandContext, devs: list[PciDev], names: PciNames, mode: int, verbose: int
    ) -> None:
        self.names, self.mode, self.verbose = names, mode, verbose
        self.host = _Bridge(0, 0xFFFFFFFF, 0, 0xFFFFFFFF, None)
        chain = [self.host]
        self.by_dev: dict[int, _Bridge] = {}
        for d in devs:
            if d.cls >> 16 == 0x06 and d.header in (1, 2):
                buses = _bridge_buses(ctx, d)
                if buses is None:
                    continue
                b = _Bridge(d.domain, *buses, dev=d)
                chain.append(b)
                self.by_dev[id(d)] = b
        for b in chain:
            best = None
            for c in chain:
                if (
                    c is not b
                    and (c is self.host or b.domain == c.domain)
                    and c.secondary <= b.primary <= c.subordinate
                    and (
                        best is None or best.subordinate - best.primary > c.subordinate - c.primary
                    )
                ):
                    best = c
            if best is not None:
                best.children.insert(0, b)
        for b in chain:
            if self._find_bus(b, b.domain, b.secondary) is None:
                b.buses.insert(0, _Bus(b.domain, b.secondary))
        for d in devs:
            self._insert(d, self.host)
        self.out: list[str] = []

    @staticmethod
    def _find_bus(b: _Bridge, domain: int, n: int) -> _Bus | None:
        return next((u for u in b.buses if u.domain == domain and u.number == n), None)

    def _insert(self, d: PciDev, b: _Bridge) -> None:
        bus = self._find_bus(b, d.domain, d.bus)
        if bus is None:
            for c in b.children:
                if c.domain == d.domain and c.secondary <= d.bus <= c.subordinate:
                    self._insert(d, c)
                    return
            bus = _Bus(d.domain, d.bus)
            b.buses.insert(0, bus)
        bus.devs.append(d)

    def print_it(self, line: list[str], p: int) -> None:
        self.out.append("".join(line[:p]) + "\n")
        for i in range(p):
            line[i] = "|" if line[i] in "+|" else " "

    @staticmethod
    def put(line: list[str], p: int, text: str) -> int:
        for i, ch in enumerate(text):
            if p + i < len(line):
                line[p + i] = ch
            else:
                line.append(ch)
        return p + len(text)

    def dev(self, d: PciDev, line: list[str], p: int) -> None:
        p = self.put(line, p, f"{d.dev:02x}.{d.func:x}")
        b = self.by_dev.get(id(d))
        if b is not None:
            rng = (
                f"{b.secondary:02x}"
                if b.secondary == b.subordinate
                else f"{b.secondary:02x}-{b.subordinate:02x}"
            )
            p = self.put(line, p, f"-[{rng}]-")
            self.bridge(b, line, p)
            return
        if self.verbose:
            p = self.put(line, p, "  " + self.names.device_name(d.vendor, d.device, self.mode))
        self.print_it(line, p)

    def bus(self, u: _Bus, line: list[str], p: int) -> None:
        if not u.devs:
            self.print_it(line, p)
        elif len(u.devs) == 1:
            p = self.put(line, p, "--")
            self.dev(u.devs[0], line, p)
        else:
            for d in u.devs[:-1]:
                self.put(line, p, "+-")
                self.dev(d, line, p + 2)
            self.put(line, p, "\\-")
            self.dev(u.devs[-1], line, p + 2)

    def bridge(self, b: _Bridge, line: list[str], p: int) -> None:
        p = self.put(line, p, "-")
        if len(b.buses) == 1:
            if b is self.host:
                p = self.put(line, p, f"[{b.domain:04x}:{b.buses[0].number:02x}]-")
            self.bus(b.buses[0], line, p)
        else:
            for u in b.buses[:-1]:
                k = self.put(line, p, f"+-[{u.domain:04x}:{u.number:02x}]-")
                self.bus(u, line, k)
            u = b.buses[-1]
            k = self.put(line, p, f"\\-[{u.domain:04x}:{u.number:02x}]-")
            self.bus(u, line, k)

    def render(self) -> str:
        self.bridge(self.host, [], 0)
        return "".join(self.out)


@utility(
    "lspci",
    "lspci [-n|-nn] [-k] [-v] [-D] [-t] [-mm] [-s SLOT] [-d VENDOR:DEVICE]",
    "list all PCI devices",
    options=("-n", "-nn", "-k", "-v", "-D", "-t", "-mm", "-s", "-d", "-tv"),
)
def lspci(ctx: CommandContext) -> int:
    """List the PCI functions of the machine (from ``/sys/bus/pci/devices``)."""
    opts = parse_options(ctx.argv[1:], "nvbxs:d:ti:mgp:qkMDQA:O:PH:F:", {"help": "help"}, status=2)
    if opts.has("help"):
        ctx.out("Usage: lspci [<switches>]\n")
        return 0
    try:
        slot = _parse_slot(opts.last("s") or "") if opts.has("s") else None
    except ValueError:
        ctx.error("-s: Invalid slot number")
        return 2
    try:
        ident = _parse_id(opts.last("d") or "") if opts.has("d") else None
    except ValueError:
        ctx.error("-d: Invalid vendor ID")
        return 2
    mode = {0: 0, 1: 1}.get(opts.count("n"), 2)
    names = load_names(ctx.fs, opts.last("i"))
    devs = scan_pci(ctx)
    matched = []
    for d in devs:
        if slot is not None:
            dom, bus, sl, fn = slot
            if (
                (dom is not None and d.domain != dom)
                or (bus is not None and d.bus != bus)
                or (sl is not None and d.dev != sl)
                or (fn is not None and d.func != fn)
            ):
                continue
        if ident is not None:
            v, dv, c = ident
            if (
                (v is not None and d.vendor != v)
                or (dv is not None and d.device != dv)
                or (c is not None and d.cls >> 8 != c)
            ):
                continue
        matched.append(d)
    domains = opts.has("D") or any(d.domain for d in devs)
    verbose = opts.count("v")
    if opts.has("t"):
        ctx.out(_Tree(ctx, matched, names, mode, verbose).render())
        return 0
    ls = _Lspci(ctx, names, mode, verbose, opts.has("k"), domains)
    lines: list[str] = []
    for d in matched:
        if opts.has("m"):
            lines.append(ls.machine(d))
            if verbose:
                lines.append("")
            continue
        lines.extend(ls.terse(d))
        if verbose:
            lines.append("")
    if lines:
        ctx.out("\n".join(lines) + "\n")
    return 0


_ = UsageError
