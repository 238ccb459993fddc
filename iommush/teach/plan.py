"""``plan BDF [--apply]``: what passing a device through to a VM takes, from the
running machine's state: the devices that must go with it (its IOMMU group), which of
them the host uses now, the steps in order, the same steps as commands for a real host
(echo lines, driverctl, virsh), and with --apply, the steps run on this machine."""

from __future__ import annotations

import re
from typing import Any

from iommush.kernel.pci import PciDev
from iommush.shell.command import CommandContext

from .hints import dma_api_users, group_owner_text
from .why import find_pci_device, pci_model

__all__ = ["cmd_plan", "host_use", "plan_steps", "group_viable"]

USAGE = "usage: plan BDF [--apply]\n"
VFIO = "vfio-pci"


def host_use(dev: PciDev, cmdline: str) -> str | None:
    """What the host uses ``dev`` for, judged from its class and bound driver."""
    drv = dev.driver
    if drv is None:
        return None
    base = dev.class_code >> 16
    if drv.name == VFIO:
        return None
    if base == 0x01:
        root = re.search(r"\broot=(\S+)", cmdline)
        where = f" (root={root.group(1)} may live on it)" if root else ""
        return f"storage controller bound to {drv.name}: a boot disk{where}"
    if dev.class_code >> 8 == 0x0300:
        return f"VGA display controller bound to {drv.name}: the host's display"
    if base == 0x03:
        return f"display controller bound to {drv.name}"
    if base == 0x02:
        return f"network controller bound to {drv.name}: the host loses this link"
    if drv.driver_managed_dma:
        return None
    return f"bound to {drv.name}, which the host uses (DMA API)"


def _passthrough_members(group: Any) -> tuple[list[PciDev], list[PciDev]]:
    """(devices to pass through, bridges that stay with the host)."""
    devs = [gd.dev for gd in group.devices if isinstance(gd.dev, PciDev)]
    bridges = [d for d in devs if d.is_bridge]
    return [d for d in devs if not d.is_bridge], bridges


def group_viable(group: Any) -> bool:
    """VFIO's viability (5.19+): no member is bound to a driver that uses the DMA API
    (``iommu_group_dma_owner_claimed`` is false, or user space already owns it)."""
    return group.owner is not None or not dma_api_users(group)


def plan_steps(system: Any, devs: list[PciDev]) -> list[str]:
    """The shell commands that hand ``devs`` to vfio-pci, in order."""
    steps = []
    if VFIO not in system.driver_core.drivers:
        steps.append(f"modprobe {VFIO}")
    for d in devs:
        if d.driver is not None and d.driver.name == VFIO:
            continue
        path = f"/sys/bus/pci/devices/{d.name}"
        steps.append(f"echo {VFIO} > {path}/driver_override")
        if d.driver is not None:
            steps.append(f"echo {d.name} > {path}/driver/unbind")
        steps.append(f"echo {d.name} > /sys/bus/pci/drivers_probe")
    return steps


def _real_commands(devs: list[PciDev], steps: list[str]) -> str:
    out = ["On a real host, as root, the same steps are:\n"]
    out += [f"    {s}\n" for s in steps] or ["    (nothing to do)\n"]
    out.append("or with driverctl (persists across reboots):\n")
    out += [f"    driverctl set-override {d.name} {VFIO}\n" for d in devs]
    out.append("or let libvirt detach them (what <hostdev managed='yes'> does):\n")
    out += [
        f"    virsh nodedev-detach pci_{d.name.replace(':', '_').replace('.', '_')}\n" for d in devs
    ]
    return "".join(out)


def _describe(system: Any, dev: PciDev) -> tuple[str, list[str], list[PciDev]]:
    group = dev.iommu_group
    assert group is not None
    devs, bridges = _passthrough_members(group)
    out = [f"Passing {dev.name} through: IOMMU group {group.id} goes as a whole.\n"]
    out.append("Devices that must go together:\n")
    for d in devs:
        drv = d.driver.name if d.driver is not None else "no driver"
        name = d.spec.device_name or f"{d.vendor:04x}:{d.device:04x}"
        out.append(f"    {d.name}  {name}  [{drv}]\n")
    for b in bridges:
        drv = b.driver.name if b.driver is not None else "no driver"
        out.append(
            f"    ({b.name} is a bridge in the group: it stays with the host, "
            f"{drv} does not use the DMA API)\n"
        )
    uses = [(d, host_use(d, system.cmdline)) for d in devs]
    busy = [(d, u) for d, u in uses if u]
    if busy:
        out.append("The host uses:\n")
        out += [f"    {d.name}: {u}\n" for d, u in busy]
    else:
        out.append("The host uses none of them.\n")
    owner = group_owner_text(group)
    if owner:
        out.append(f"Note: the group is owned by user space now ({owner}).\n")
    steps = plan_steps(system, devs)
    out.append("Steps:\n")
    out += [f"  {i}. {s}\n" for i, s in enumerate(steps, 1)] or ["  (none: already done)\n"]
    return "".join(out), steps, devs


def cmd_plan(ctx: CommandContext) -> int:
    """Plan the passthrough of a PCI device to a VM: every device of its IOMMU group
    must go to vfio-pci together; shows which of them the host uses (boot disk,
    display, network), the steps (modprobe vfio-pci; for each device driver_override,
    unbind, drivers_probe) and the equivalent commands for a real host (echo lines,
    driverctl, virsh nodedev-detach). --apply runs the steps here and tells whether the
    group is then viable for VFIO."""
    args = ctx.argv[1:]
    apply = "--apply" in args
    rest = [a for a in args if a != "--apply"]
    if any(a.startswith("-") for a in rest) or len(rest) != 1:
        ctx.err(USAGE)
        return 2
    if pci_model(ctx.system) is None:
        ctx.error("this system has no PCI model to plan with (it needs the iommush kernel)")
        return 1
    dev = find_pci_device(ctx.system, rest[0])
    if dev is None:
        ctx.error(f"{rest[0]}: no such PCI device (see lspci)")
        return 1
    if dev.iommu_group is None:
        ctx.error(f"{dev.name} is in no IOMMU group: VFIO cannot pass it through")
        return 1
    if dev.is_bridge:
        ctx.error(f"{dev.name} is a bridge: bridges are not passed through")
        return 1
    text, steps, devs = _describe(ctx.system, dev)
    if not apply:
        ctx.out(text + _real_commands(devs, steps))
        return 0
    ctx.out(text)
    status = 0
    if steps:
        runner = getattr(ctx.shell, "run_script_text", None)
        if runner is None:
            ctx.error("--apply needs the shell to run the steps")
            return 1
        status = runner(ctx, "set -e\n" + "\n".join(steps) + "\n", ["plan"])
    group = dev.iommu_group
    if group is None:
        ctx.out(f"Result: {dev.name} left its group.\n")
        return 1
    viable = group_viable(group)
    node = f"/dev/vfio/{group.id}"
    try:
        ctx.fs.stat(node)
        has_node = True
    except OSError:
        has_node = False
    if viable and has_node:
        ctx.out(f"Result: group {group.id} is viable; {node} is ready for a VFIO user.\n")
        return 0
    users = ", ".join(f"{d.name} ({d.driver.name})" for d in dma_api_users(group))
    why = f"still bound to DMA-API drivers: {users}" if users else f"{node} does not exist"
    ctx.out(f"Result: group {group.id} is not viable: {why}.\n")
    return status or 1
