"""``why BDF [BDF]``: the rule that put a device in its IOMMU group, or two devices in
one group, computed from the running kernel model's topology (:mod:`.grouping`)."""

from __future__ import annotations

from typing import Any

from iommush.kernel.pci import PciDev
from iommush.shell.command import CommandContext

from .grouping import GroupingFact, device_role, fact_path, grouping_facts, isolation_note

__all__ = ["cmd_why", "find_pci_device", "normalize_bdf", "pci_model"]

USAGE = "usage: why BDF [BDF]\n"


def normalize_bdf(text: str) -> str:
    """``01:00.0`` -> ``0000:01:00.0``; other text is returned lower-cased."""
    text = text.strip().lower()
    if text.count(":") == 1:
        text = "0000:" + text
    return text


def pci_model(system: object) -> Any | None:
    """The kernel's PCI subsystem if ``system`` is the iommush kernel model, else None."""
    pci = getattr(system, "pci", None)
    return pci if pci is not None and callable(getattr(pci, "find", None)) else None


def find_pci_device(system: object, text: str) -> PciDev | None:
    """The scanned PCI function called ``text`` (short forms accepted)."""
    pci = pci_model(system)
    if pci is None:
        return None
    dev = pci.find(normalize_bdf(text))
    return dev if isinstance(dev, PciDev) else None


def _label(dev: PciDev) -> str:
    name = dev.spec.device_name or device_role(dev)
    return f"{dev.name} ({name})"


def _no_group_reason(system: Any, dev: PciDev) -> str:
    units = [u for ops in getattr(system.iommu, "ops", []) for u in getattr(ops, "units", [])]
    if not units:
        return "no IOMMU is enabled on this machine (check the kernel command line)"
    if any(getattr(u.spec, "pci_function", None) == dev.name for u in units):
        return "it is the IOMMU itself: an IOMMU does not translate its own DMA"
    if not dev.spec.translated:
        return "no IOMMU translates it: it is outside every DRHD/IVHD scope of the firmware"
    return "the IOMMU driver did not probe it (see dmesg)"


def _pinned_note(system: Any, gid: int) -> str | None:
    spec: Any = getattr(system, "spec", None)
    for gs in getattr(spec, "groups", []) or []:
        if gs.id == gid:
            src = spec.source or f"machine {spec.name}"
            return (
                f"The number {gid} is pinned by the machine description ({src}): imported "
                "machines keep the group ids the real machine had; the members still "
                "follow the rules above."
            )
    return None


def _fact_lines(facts: list[GroupingFact]) -> str:
    out = []
    for f in facts:
        out.append(f"  - {f.text} [{f.function}()]\n")
    return "".join(out)


def _dedup(facts: list[GroupingFact]) -> list[GroupingFact]:
    seen: set[tuple[str, str, str]] = set()
    out = []
    for f in facts:
        low, high = sorted((f.dev, f.other))
        key = (f.kind, low, high)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def _group_facts(members: list[PciDev]) -> list[GroupingFact]:
    facts: list[GroupingFact] = []
    for m in members:
        facts += grouping_facts(m)
    return facts


def _members(dev: PciDev) -> list[PciDev]:
    group = dev.iommu_group
    assert group is not None
    return [gd.dev for gd in group.devices if isinstance(gd.dev, PciDev)]


def why_one(system: Any, dev: PciDev) -> str:
    """The explanation for one device."""
    group = dev.iommu_group
    if group is None:
        return f"{_label(dev)} is in no IOMMU group: {_no_group_reason(system, dev)}.\n"
    members = _members(dev)
    others = [m for m in members if m is not dev]
    out = []
    if not others:
        out.append(f"{_label(dev)} is alone in IOMMU group {group.id}.\n")
    else:
        names = ", ".join(m.name for m in others)
        out.append(f"{_label(dev)} is in IOMMU group {group.id} with {names}.\n")
        facts = _group_facts(members)
        chain: list[GroupingFact] = []
        for m in others:
            chain += fact_path(facts, dev.name, m.name) or []
        out.append("Why they share it:\n" + _fact_lines(_dedup(chain)))
    top = members[0] if members else dev
    for m in members:
        if m.bus.number < top.bus.number:
            top = m
    out.append(f"Why it is not bigger: {isolation_note(top)}.\n")
    note = _pinned_note(system, group.id)
    if note:
        out.append(note + "\n")
    return "".join(out)


def why_two(system: Any, a: PciDev, b: PciDev) -> str:
    """Why ``a`` and ``b`` share a group, or why they do not."""
    ga, gb = a.iommu_group, b.iommu_group
    if a is b:
        return why_one(system, a)
    if ga is None or gb is None or ga is not gb:
        where = []
        for d, g in ((a, ga), (b, gb)):
            if g is None:
                where.append(f"{d.name} is in no group ({_no_group_reason(system, d)})")
            else:
                where.append(f"{d.name} is in group {g.id}")
        out = [f"{a.name} and {b.name} are not in one group: {'; '.join(where)}.\n"]
        for d, g in ((a, ga), (b, gb)):
            if g is not None:
                out.append(f"  - {d.name}: {isolation_note(d)}.\n")
        return "".join(out)
    chain = fact_path(_group_facts(_members(a)), a.name, b.name)
    out = [f"{a.name} and {b.name} are both in IOMMU group {ga.id} because:\n"]
    if chain:
        out.append(_fact_lines(chain))
    else:
        out.append("  - the IOMMU driver put them together (no PCI rule links them)\n")
    note = _pinned_note(system, ga.id)
    if note:
        out.append(note + "\n")
    return "".join(out)


def cmd_why(ctx: CommandContext) -> int:
    """Explain which rule of pci_device_group() put a PCI device in its IOMMU group
    (DMA aliasing behind a PCIe-to-PCI bridge, missing ACS on a port, functions of a
    multifunction device without ACS, a quirk alias) and why the group stops where it
    does. With two devices: the chain of rules that links them, or why they are apart."""
    args = ctx.argv[1:]
    if args[:1] == ["--"]:
        args = args[1:]
    elif args and args[0].startswith("-"):
        if args[0] in ("-h", "--help"):
            ctx.out(USAGE)
            return 0
        ctx.error(f"invalid option -- '{args[0].lstrip('-')}'")
        ctx.err(USAGE)
        return 2
    if not 1 <= len(args) <= 2:
        ctx.err(USAGE)
        return 2
    if pci_model(ctx.system) is None:
        ctx.error("this system has no PCI model to explain (it needs the iommush kernel)")
        return 1
    devs = []
    for text in args:
        dev = find_pci_device(ctx.system, text)
        if dev is None:
            ctx.error(f"{text}: no such PCI device (see lspci)")
            return 1
        devs.append(dev)
    if len(devs) == 1:
        ctx.out(why_one(ctx.system, devs[0]))
    else:
        ctx.out(why_two(ctx.system, devs[0], devs[1]))
    return 0
