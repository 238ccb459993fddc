"""The user-space part of a booted machine: what a distribution puts outside /sys.

The kernel model owns ``/sys``, ``/proc`` and ``/dev``; a shell also expects ``/tmp``
and a home directory to keep files in, ``/etc/passwd`` for user names, the PCI ID
database that ``lspci`` reads, and the usual ``bin`` directories on ``PATH``. Names in
``pci.ids`` come from the machine description, so ``lspci`` shows what the real machine
showed.

>>> from iommush.vfs import VirtualFS
>>> fs = VirtualFS()
>>> users = populate(fs, hostname="box", devices=[(0x8086, "Intel Corporation", 0x1502, "82579LM")])
>>> fs.read_bytes("/etc/hostname")
b'box\\n'
>>> [u.name for u in users]
['root', 'user']
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from iommush.vfs import Dir, File

__all__ = ["User", "DEFAULT_USERS", "populate", "pci_ids_text", "find_user"]


class User(NamedTuple):
    """A line of ``/etc/passwd``."""

    name: str
    uid: int
    gid: int
    home: str
    shell: str = "/bin/sh"


DEFAULT_USERS = (User("root", 0, 0, "/root", "/bin/bash"), User("user", 1000, 1000, "/home/user"))


def pci_ids_text(devices: Iterable[tuple[int, str, int, str]]) -> str:
    """A ``pci.ids`` file (vendor lines, tab-indented device lines) for these names."""
    vendors: dict[int, str] = {}
    names: dict[int, dict[int, str]] = {}
    for vendor, vendor_name, device, device_name in devices:
        if vendor_name:
            vendors.setdefault(vendor, vendor_name)
        if device_name:
            names.setdefault(vendor, {}).setdefault(device, device_name)
    lines = ["# pci.ids: names of the devices of this machine", "#"]
    for vendor in sorted(set(vendors) | set(names)):
        lines.append(f"{vendor:04x}  {vendors.get(vendor, f'Vendor {vendor:04x}')}")
        for device, name in sorted(names.get(vendor, {}).items()):
            lines.append(f"\t{device:04x}  {name}")
    return "\n".join(lines) + "\n"


def _dir(parent: Dir, name: str, mode: int, uid: int = 0, *, creatable: bool = True) -> Dir:
    node = parent.get(name)
    if isinstance(node, Dir):
        return node
    made: Dir = parent.add(Dir(name, mode, uid, uid, creatable=creatable))
    return made


def populate(
    fs: object,
    *,
    hostname: str,
    devices: Iterable[tuple[int, str, int, str]] = (),
    users: Iterable[User] = DEFAULT_USERS,
) -> list[User]:
    """Add the user-space directories and files to ``fs`` (a VirtualFS); return the users."""
    root: Dir = fs.root  # type: ignore[attr-defined]
    user_list = list(users)
    _dir(root, "tmp", 0o1777)
    homes = _dir(root, "home", 0o755)
    for user in user_list:
        if user.home == "/root":
            _dir(root, "root", 0o700)
        elif user.home.startswith("/home/"):
            _dir(homes, user.home.rsplit("/", 1)[1], 0o755, user.uid)
    for name in ("bin", "sbin"):
        _dir(root, name, 0o755)
    usr = _dir(root, "usr", 0o755)
    for name in ("bin", "sbin"):
        _dir(usr, name, 0o755)
    misc = _dir(_dir(usr, "share", 0o755), "misc", 0o755)
    etc = _dir(root, "etc", 0o755)
    passwd = "".join(f"{u.name}:x:{u.uid}:{u.gid}:{u.name}:{u.home}:{u.shell}\n" for u in user_list)
    group = "".join(f"{u.name}:x:{u.gid}:\n" for u in user_list)
    for name, text in (("passwd", passwd), ("group", group), ("hostname", hostname + "\n")):
        if etc.get(name) is None:
            etc.add(File(name, 0o644, text.encode()))
    if misc.get("pci.ids") is None:
        misc.add(File("pci.ids", 0o644, pci_ids_text(devices).encode()))
    return user_list


def find_user(users: Iterable[User], name: str) -> User | None:
    """The user called ``name`` (or with that numeric uid), or None."""
    for user in users:
        if user.name == name or str(user.uid) == name:
            return user
    return None
