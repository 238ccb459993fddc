"""Why devices share an IOMMU group, recomputed from the kernel model's PCI objects.

``pci_device_group()`` (drivers/iommu/iommu.c) puts a device into an existing group when
one of three relations holds; this module walks the same relations over the same
objects (it calls the model's ``pci_acs_enabled``/``pci_acs_path_enabled``) and records
each one as a :class:`GroupingFact` naming the devices involved:

- DMA aliasing: ``pci_for_each_dma_alias()`` -- a PCIe-to-PCI bridge or a conventional
  PCI bridge above the device takes ownership of its requests (the IOMMU sees the
  bridge's requester ID), or a quirk gives the device extra requester IDs;
- missing ACS: the walk up from the device stops at the first bridge whose whole path to
  the root has ACS (``pci_acs_path_enabled``); below that, the device joins the group of
  the first bridge on a path without ACS;
- multifunction devices: functions of one slot that lack ACS
  (``get_pci_function_alias_group``).

The facts form a graph over device names: the members of a group are connected, and
:func:`fact_path` finds the chain of rules that links two of them. Nothing is changed.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from iommush.kernel.pci import (
    PCI_EXP_TYPE_DOWNSTREAM,
    PCI_EXP_TYPE_PCI_BRIDGE,
    PCI_EXP_TYPE_ROOT_PORT,
    PciDev,
)
from iommush.kernel.pci_group import pci_acs_enabled, pci_acs_path_enabled

__all__ = [
    "GroupingFact",
    "device_role",
    "fact_path",
    "first_without_acs",
    "grouping_facts",
    "isolation_note",
]

_ROLES = {
    "rc_integrated": "root-complex integrated endpoint",
    "host_bridge": "host bridge",
    "root_port": "root port",
    "upstream_port": "switch upstream port",
    "downstream_port": "switch downstream port",
    "pcie_to_pci_bridge": "PCIe-to-PCI bridge",
    "pci_bridge": "conventional PCI bridge",
}


@dataclass(frozen=True)
class GroupingFact:
    """One reason two devices end up in one group."""

    #: ``alias-bridge``, ``quirk-alias``, ``no-acs``, ``multifunction``, ``stream-id``.
    kind: str
    dev: str
    other: str
    #: One sentence naming the rule and the devices.
    text: str
    #: The kernel function that applies the rule.
    function: str


def device_role(dev: PciDev) -> str:
    """What the function is, in words ("root port", "PCIe endpoint"...)."""
    role = dev.spec.role
    if role in _ROLES:
        return _ROLES[role]
    return "PCIe endpoint" if dev.pci_is_pcie() else "conventional PCI device"


def first_without_acs(start: PciDev) -> PciDev | None:
    """The first device on the path from ``start`` to the root that fails
    ``pci_acs_enabled`` (what makes ``pci_acs_path_enabled(start)`` false)."""
    pdev = start
    while True:
        if not pci_acs_enabled(pdev):
            return pdev
        if pdev.bus.is_root() or pdev.bus.self is None:
            return None
        pdev = pdev.bus.self


def _why_no_acs(dev: PciDev) -> str:
    if not dev.pci_is_pcie():
        return (
            f"{dev.name} is a conventional PCI {'bridge' if dev.is_bridge else 'device'} (no ACS)"
        )
    if dev.pcie_type == PCI_EXP_TYPE_PCI_BRIDGE:
        return f"{dev.name} is a PCIe-to-PCI bridge (no ACS)"
    if dev.pcie_type in (PCI_EXP_TYPE_ROOT_PORT, PCI_EXP_TYPE_DOWNSTREAM):
        return f"{dev.name} ({device_role(dev)}) has no ACS capability enabled"
    return f"{dev.name} is a multifunction device without ACS"


def _alias_facts(dev: PciDev) -> tuple[list[GroupingFact], PciDev, bool]:
    """``pci_for_each_dma_alias`` from ``dev``: facts, the device the ACS walk starts
    from, and whether an alias bridge was found (the kernel stops at the nearest one;
    PCIe ports do not alias)."""
    facts: list[GroupingFact] = []
    for text in dev.spec.dma_alias_devfns:
        slot, fn = (int(x, 16) for x in text.split("."))
        target = next((d for d in dev.bus.devices if d.devfn == (slot << 3 | fn)), None)
        rid = f"{dev.bus.number:02x}:{slot:02x}.{fn}"
        if target is not None and target is not dev:
            facts.append(
                GroupingFact(
                    "quirk-alias",
                    dev.name,
                    target.name,
                    f"a quirk gives {dev.name} the DMA alias {rid}, the requester ID of "
                    f"{target.name}: the IOMMU cannot tell their DMA apart",
                    "pci_for_each_dma_alias",
                )
            )
    bus = dev.bus
    while not bus.is_root() and bus.parent is not None:
        tmp = bus.self
        if tmp is not None:
            if tmp.pci_is_pcie():
                if tmp.pcie_type == PCI_EXP_TYPE_PCI_BRIDGE:
                    sub = tmp.subordinate.number if tmp.subordinate is not None else 0
                    facts.append(
                        GroupingFact(
                            "alias-bridge",
                            dev.name,
                            tmp.name,
                            f"{dev.name} sits behind the PCIe-to-PCI bridge {tmp.name}, which "
                            f"takes ownership of its transactions: the IOMMU sees requester "
                            f"ID {sub:02x}:00.0 for every device on bus {sub:02x}",
                            "pci_for_each_dma_alias",
                        )
                    )
                    return facts, tmp, True
            else:
                rid = f"{tmp.bus.number:02x}:{tmp.slot:02x}.{tmp.fn}"
                facts.append(
                    GroupingFact(
                        "alias-bridge",
                        dev.name,
                        tmp.name,
                        f"{dev.name} sits behind the conventional PCI bridge {tmp.name}: its "
                        f"DMA reaches the IOMMU with the bridge's requester ID {rid}",
                        "pci_for_each_dma_alias",
                    )
                )
                return facts, tmp, True
        bus = bus.parent
    return facts, dev, False


def _function_facts(pdev: PciDev) -> list[GroupingFact]:
    """``get_pci_function_alias_group``: other non-ACS functions of the slot."""
    if not pdev.multifunction or pci_acs_enabled(pdev):
        return []
    out = []
    for tmp in pdev.bus.devices:
        if tmp is pdev or tmp.slot != pdev.slot or pci_acs_enabled(tmp) or tmp.is_virtfn:
            continue
        if tmp.iommu_group is None:  # not translated (an AMD IOMMU's own function)
            continue
        slot = f"{pdev.bus.segment:04x}:{pdev.bus.number:02x}:{pdev.slot:02x}"
        out.append(
            GroupingFact(
                "multifunction",
                pdev.name,
                tmp.name,
                f"{pdev.name} and {tmp.name} are functions {pdev.fn} and {tmp.fn} of the "
                f"multifunction device {slot} and neither has ACS: functions of one device "
                f"may reach each other without going through the IOMMU",
                "get_pci_function_alias_group",
            )
        )
    return out


def _quirk_peer_facts(pdev: PciDev) -> list[GroupingFact]:
    """``pci_devs_are_dma_aliases`` in the other direction (another function's quirk
    names this one)."""
    out = []
    for tmp in pdev.bus.devices:
        if tmp is pdev:
            continue
        for text in tmp.spec.dma_alias_devfns:
            slot, fn = (int(x, 16) for x in text.split("."))
            if (slot << 3 | fn) == pdev.devfn:
                out.append(
                    GroupingFact(
                        "quirk-alias",
                        tmp.name,
                        pdev.name,
                        f"a quirk gives {tmp.name} the DMA alias {pdev.bus.number:02x}:"
                        f"{slot:02x}.{fn}, the requester ID of {pdev.name}",
                        "get_pci_alias_group",
                    )
                )
    return out


def grouping_facts(dev: PciDev) -> list[GroupingFact]:
    """Every relation ``pci_device_group(dev)`` follows, as facts."""
    facts, last, found = _alias_facts(dev)
    facts += _quirk_peer_facts(dev)
    if found:
        return facts
    pdev = last
    bus = pdev.bus
    while not bus.is_root() and bus.parent is not None:
        bridge = bus.self
        if bridge is not None:
            if pci_acs_path_enabled(bridge):
                break
            culprit = first_without_acs(bridge)
            why = _why_no_acs(culprit) if culprit is not None else f"{bridge.name} has no ACS"
            facts.append(
                GroupingFact(
                    "no-acs",
                    pdev.name,
                    bridge.name,
                    f"{pdev.name} is below {bridge.name} ({device_role(bridge)}) and the path "
                    f"from there to the root is not isolated: {why}, so peer-to-peer DMA "
                    f"may bypass the IOMMU",
                    "pci_device_group",
                )
            )
            pdev = bridge
            break
        bus = bus.parent
    facts += _function_facts(pdev)
    if pdev is not dev:
        facts += _function_facts(dev)
    return facts


def isolation_note(dev: PciDev) -> str:
    """Why the group does not reach further up: the ACS boundary above ``dev``."""
    bus = dev.bus
    while not bus.is_root() and bus.parent is not None:
        bridge = bus.self
        if bridge is not None and pci_acs_path_enabled(bridge):
            return (
                f"{bridge.name} ({device_role(bridge)}) and every port above it have ACS "
                f"(pci_acs_path_enabled), so nothing above {bridge.name} joins the group"
            )
        bus = bus.parent
    if dev.bus.is_root() and not dev.multifunction:
        return (
            f"{dev.name} is a single-function {device_role(dev)} on the root bus: "
            "nothing can reach it without the IOMMU, so it is isolated"
        )
    if dev.bus.is_root() and pci_acs_enabled(dev):
        return f"{dev.name} is a multifunction device with ACS: each function is isolated"
    return (
        f"the walk stops at the root bus {dev.bus.name}: there, only functions of the same "
        "slot (without ACS) share a group; other slots stay apart"
    )


def fact_path(facts: list[GroupingFact], a: str, b: str) -> list[GroupingFact] | None:
    """The shortest chain of facts linking ``a`` to ``b`` (None: not linked)."""
    if a == b:
        return []
    edges: dict[str, list[tuple[str, GroupingFact]]] = {}
    for f in facts:
        edges.setdefault(f.dev, []).append((f.other, f))
        edges.setdefault(f.other, []).append((f.dev, f))
    prev: dict[str, tuple[str, GroupingFact]] = {}
    queue = deque([a])
    seen = {a}
    while queue:
        node = queue.popleft()
        for nxt, fact in edges.get(node, []):
            if nxt in seen:
                continue
            seen.add(nxt)
            prev[nxt] = (node, fact)
            if nxt == b:
                chain = []
                cur = b
                while cur != a:
                    cur, f = prev[cur]
                    chain.append(f)
                return list(reversed(chain))
            queue.append(nxt)
    return None
