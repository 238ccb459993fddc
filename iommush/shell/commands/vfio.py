"""``vfio``: play the VFIO user (what QEMU does with ``-device vfio-pci``) through the
real file interface: open ``/dev/vfio/vfio`` and ``/dev/vfio/N``, check viability,
attach the group to the container (the kernel claims DMA ownership), set the type1v2
IOMMU, and keep the files open until ``vfio detach``.

When the group is not viable it prints QEMU's message and then what QEMU does not say:
which devices of the group are bound to which driver.
"""

from __future__ import annotations

import errno
import os
import weakref
from dataclasses import dataclass
from typing import Any

from iommush.shell.command import CommandContext
from iommush.uapi.vfio import (
    VFIO_GROUP_FLAGS_VIABLE,
    VFIO_GROUP_GET_STATUS,
    VFIO_GROUP_SET_CONTAINER,
    VFIO_GROUP_UNSET_CONTAINER,
    VFIO_IOMMU_MAP_DMA,
    VFIO_IOMMU_UNMAP_DMA,
    VFIO_SET_IOMMU,
    VFIO_TYPE1v2_IOMMU,
    VfioDmaMap,
    VfioDmaUnmap,
    VfioGroupStatus,
)
from iommush.vfs import OpenFile

from ._base import strerror, utility

__all__ = ["HeldGroup", "held_groups", "vfio"]

#: Drivers that leave a group viable (``driver_managed_dma`` or no DMA at all).
_VFIO_SAFE = ("vfio-pci", "pci-stub", "pcieport")
_USER_VADDR = 0x7F0000000000


@dataclass
class HeldGroup:
    """A group this shell holds: its number and the two open files."""

    group: str
    container: OpenFile
    file: OpenFile
    next_vaddr: int = _USER_VADDR


_registries: weakref.WeakKeyDictionary[Any, dict[str, HeldGroup]] = weakref.WeakKeyDictionary()
_fallback: dict[int, dict[str, HeldGroup]] = {}


def held_groups(ctx: CommandContext) -> dict[str, HeldGroup]:
    """The groups held by the shell running ``ctx`` (a registry per shell)."""
    try:
        return _registries.setdefault(ctx.shell, {})
    except TypeError:
        return _fallback.setdefault(id(ctx.shell), {})


def _group_of(ctx: CommandContext, target: str) -> str | None:
    if target.isdigit():
        return target
    name = target if target.count(":") == 2 else f"0000:{target}"
    try:
        return ctx.fs.readlink(f"/sys/bus/pci/devices/{name}/iommu_group").rsplit("/", 1)[-1]
    except OSError:
        return None


def _members(ctx: CommandContext, group: str) -> list[tuple[str, str | None]]:
    base = f"/sys/kernel/iommu_groups/{group}/devices"
    try:
        names = sorted(ctx.fs.listdir(base))
    except OSError:
        return []
    out = []
    for name in names:
        try:
            driver: str | None = ctx.fs.readlink(f"{base}/{name}/driver").rsplit("/", 1)[-1]
        except OSError:
            driver = None
        out.append((name, driver))
    return out


def _explain(ctx: CommandContext, group: str) -> None:
    members = _members(ctx, group)
    if not members:
        return
    ctx.err(f"vfio: devices in iommu_group {group}:\n")
    for name, driver in members:
        if driver is None:
            ctx.err(f"vfio:   {name}: no driver (fine)\n")
        elif driver in _VFIO_SAFE or "vfio" in driver:
            ctx.err(f"vfio:   {name}: bound to {driver} (fine)\n")
        else:
            ctx.err(f"vfio:   {name}: bound to {driver} -- unbind it or bind it to vfio-pci\n")


def _attach(ctx: CommandContext, target: str) -> int:
    group = _group_of(ctx, target)
    if group is None:
        ctx.err(f"vfio: {target}: no such device or it has no iommu_group\n")
        return 1
    held = held_groups(ctx)
    if group in held:
        ctx.err(f"vfio: group {group} is already attached\n")
        return 1
    try:
        container = ctx.fs.open("/dev/vfio/vfio", os.O_RDWR, cwd=ctx.cwd)
    except OSError as exc:
        ctx.err(f"vfio: failed to open /dev/vfio/vfio: {strerror(exc.errno)}\n")
        return 1
    try:
        gfile = ctx.fs.open(f"/dev/vfio/{group}", os.O_RDWR, cwd=ctx.cwd)
    except OSError as exc:
        container.close()
        ctx.err(f"vfio: error opening /dev/vfio/{group}: {strerror(exc.errno)}\n")
        if exc.errno == errno.ENOENT:
            _explain(ctx, group)
        return 1
    try:
        status = VfioGroupStatus()
        gfile.ioctl(VFIO_GROUP_GET_STATUS, status)
        if not status.flags & VFIO_GROUP_FLAGS_VIABLE:
            ctx.err(
                f"vfio: error, group {group} is not viable, please ensure all devices "
                "within the iommu_group are bound to their vfio bus driver.\n"
            )
            _explain(ctx, group)
            raise _Abort
        try:
            gfile.ioctl(VFIO_GROUP_SET_CONTAINER, container)
        except OSError as exc:
            ctx.err(f"vfio: failed to set group container: {strerror(exc.errno)}\n")
            if exc.errno == errno.EPERM:
                _explain(ctx, group)
            raise _Abort from None
        try:
            container.ioctl(VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU)
        except OSError as exc:
            ctx.err(f"vfio: failed to set iommu for container: {strerror(exc.errno)}\n")
            try:
                gfile.ioctl(VFIO_GROUP_UNSET_CONTAINER)
            except OSError:
                pass
            raise _Abort from None
    except (_Abort, OSError) as exc:
        if isinstance(exc, OSError):
            ctx.err(f"vfio: VFIO_GROUP_GET_STATUS failed: {strerror(exc.errno)}\n")
        gfile.close()
        container.close()
        return 1
    held[group] = HeldGroup(group, container, gfile)
    devices = " ".join(name for name, _ in _members(ctx, group))
    ctx.out(f"vfio: group {group} attached ({devices}); held until 'vfio detach {group}'\n")
    return 0


class _Abort(Exception):
    pass


def _detach(ctx: CommandContext, target: str | None) -> int:
    held = held_groups(ctx)
    if target is None or target == "all":
        groups = list(held)
    else:
        g = _group_of(ctx, target)
        if g is None or g not in held:
            ctx.err(f"vfio: group {g or target} is not attached\n")
            return 1
        groups = [g]
    status = 0
    for g in groups:
        h = held.pop(g)
        try:
            h.file.ioctl(VFIO_GROUP_UNSET_CONTAINER)
        except OSError as exc:
            ctx.err(f"vfio: failed to unset container of group {g}: {strerror(exc.errno)}\n")
            status = 1
        h.file.close()
        h.container.close()
        ctx.out(f"vfio: group {g} released\n")
    return status


def _number(text: str) -> int:
    return int(text, 0)


def _map(ctx: CommandContext, args: list[str], unmap: bool) -> int:
    verb = "unmap" if unmap else "map"
    if len(args) != 3:
        ctx.err(f"usage: vfio {verb} GROUP IOVA SIZE\n")
        return 2
    g = _group_of(ctx, args[0])
    held = held_groups(ctx)
    if g is None or g not in held:
        ctx.err(f"vfio: group {g or args[0]} is not attached\n")
        return 1
    try:
        iova, size = _number(args[1]), _number(args[2])
    except ValueError:
        ctx.err(f"vfio: {verb}: invalid number\n")
        return 2
    h = held[g]
    try:
        if unmap:
            um = VfioDmaUnmap(iova=iova, size=size)
            h.container.ioctl(VFIO_IOMMU_UNMAP_DMA, um)
            ctx.out(f"vfio: unmapped 0x{um.size:x} bytes at IOVA 0x{iova:x}\n")
        else:
            m = VfioDmaMap(vaddr=h.next_vaddr, iova=iova, size=size)
            h.container.ioctl(VFIO_IOMMU_MAP_DMA, m)
            h.next_vaddr += size
            ctx.out(
                f"vfio: mapped IOVA 0x{iova:x}-0x{iova + size - 1:x} "
                f"(0x{size:x} bytes) in group {g}'s container\n"
            )
    except OSError as exc:
        name = "VFIO_UNMAP_DMA" if unmap else "VFIO_MAP_DMA"
        ctx.err(f"vfio: {name} failed: {strerror(exc.errno)}\n")
        return 1
    return 0


@utility(
    "vfio",
    "vfio attach BDF|GROUP | detach [GROUP|all] | status | map GROUP IOVA SIZE "
    "| unmap GROUP IOVA SIZE",
    "act as a VFIO user (like QEMU) on an IOMMU group",
    options=("attach", "detach", "status", "map", "unmap"),
)
def vfio(ctx: CommandContext) -> int:
    """Attach a group to a VFIO container and hold it (``attach``), release it
    (``detach``), list held groups (``status``), or map/unmap DMA in its container."""
    args = ctx.argv[1:]
    if not args or args[0] in ("-h", "--help", "help"):
        ctx.out(
            "usage: vfio attach BDF|GROUP\n       vfio detach [GROUP|all]\n"
            "       vfio status\n       vfio map GROUP IOVA SIZE\n"
            "       vfio unmap GROUP IOVA SIZE\n"
        )
        return 0 if args else 2
    cmd, rest = args[0], args[1:]
    if cmd == "attach":
        if len(rest) != 1:
            ctx.err("usage: vfio attach BDF|GROUP\n")
            return 2
        return _attach(ctx, rest[0])
    if cmd == "detach":
        return _detach(ctx, rest[0] if rest else None)
    if cmd == "status":
        held = held_groups(ctx)
        if not held:
            ctx.out("vfio: no groups held\n")
            return 0
        lines = []
        for g in held:
            devices = " ".join(f"{n}({d or 'no driver'})" for n, d in _members(ctx, g))
            lines.append(f"group {g}: held (container open, type1v2): {devices}\n")
        ctx.out("".join(lines))
        return 0
    if cmd in ("map", "unmap"):
        return _map(ctx, rest, cmd == "unmap")
    ctx.err(f"vfio: unknown subcommand '{cmd}'\n")
    return 2
