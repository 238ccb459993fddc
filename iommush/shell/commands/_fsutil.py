"""Filesystem helpers the utilities share: reading a named file or stdin, user and
group names from the virtual ``/etc/passwd`` and ``/etc/group``, and directory order.

Directory order is what ``readdir(2)`` returns, which is what ``find`` and ``ls -U``
show: kernfs (``/sys``) keeps its children in an rbtree ordered by
``kernfs_name_hash()`` (``fs/kernfs/dir.c``); tmpfs and the others list names in
creation order.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from iommush.shell.command import CommandContext
from iommush.vfs import Dir, Link, Node, VirtualFS

__all__ = [
    "Passwd",
    "abspath",
    "kernfs_name_hash",
    "read_input",
    "readdir",
    "user_db",
]

_M64 = (1 << 64) - 1
_GOLDEN_RATIO_64 = 0x61C8864680B583EB
_INT_MAX = 0x7FFFFFFF


_NAME_HASHES: dict[str, int] = {}


def kernfs_name_hash(name: str) -> int:
    """``kernfs_name_hash(name, NULL)``: ``partial_name_hash`` per byte, then
    ``end_name_hash`` (``hash_long(hash, 32)`` on 64-bit), kept in 31 bits. (Each name is
    hashed once: sysfs repeats the same few hundred names.)"""
    h = _NAME_HASHES.get(name)
    if h is None:
        if len(_NAME_HASHES) >= 1 << 17:
            _NAME_HASHES.clear()
        h = _NAME_HASHES[name] = _name_hash(name)
    return h


def _name_hash(name: str) -> int:
    h = 0
    for c in name.encode("utf-8", "surrogateescape"):
        h = ((h + (c << 4) + (c >> 4)) * 11) & _M64
    h = ((h * _GOLDEN_RATIO_64) & _M64) >> 32
    h &= 0x7FFFFFFF
    if h < 2:
        h += 2
    if h >= _INT_MAX:
        h = _INT_MAX - 1
    return h


def _is_kernfs(node: Dir) -> bool:
    path = node.abspath()
    return not node.creatable and (path == "/sys" or path.startswith("/sys/"))


def readdir(node: Dir) -> list[str]:
    """The names of ``node`` in ``readdir(2)`` order (without ``.`` and ``..``)."""
    names = list(node.children)
    if _is_kernfs(node):
        names.sort(key=lambda n: (kernfs_name_hash(n), n.encode("utf-8", "surrogateescape")))
    return names


def abspath(ctx: CommandContext, path: str) -> str:
    """``path`` made absolute against the command's working directory (no link walk)."""
    return posixpath.normpath(posixpath.join(ctx.cwd or "/", path)) if path else path


def read_input(ctx: CommandContext, name: str) -> bytes:
    """The whole of file ``name`` (``-`` is stdin); raises OSError."""
    if name == "-":
        return ctx.stdin.read()
    with ctx.fs.open(name, cwd=ctx.cwd) as of:
        return of.read()


@dataclass
class Passwd:
    """The user and group databases of the virtual machine."""

    users: dict[int, tuple[str, int, str, str]]  # uid -> (name, gid, home, shell)
    groups: dict[int, tuple[str, list[str]]]  # gid -> (name, members)

    def user_name(self, uid: int) -> str | None:
        entry = self.users.get(uid)
        return entry[0] if entry else None

    def group_name(self, gid: int) -> str | None:
        entry = self.groups.get(gid)
        return entry[0] if entry else None

    def lookup_user(self, name: str) -> int | None:
        for uid, entry in self.users.items():
            if entry[0] == name:
                return uid
        return int(name) if name.isdigit() else None

    def lookup_group(self, name: str) -> int | None:
        for gid, entry in self.groups.items():
            if entry[0] == name:
                return gid
        return int(name) if name.isdigit() else None

    def supplementary(self, name: str, gid: int) -> list[int]:
        return [g for g, (_, members) in self.groups.items() if name in members and g != gid]


def _read_text(fs: VirtualFS, path: str) -> str:
    try:
        return fs.read_bytes(path).decode("utf-8", "replace")
    except OSError:
        return ""


def user_db(fs: VirtualFS) -> Passwd:
    """Parse ``/etc/passwd`` and ``/etc/group`` (absent files give empty tables)."""
    users: dict[int, tuple[str, int, str, str]] = {}
    for line in _read_text(fs, "/etc/passwd").splitlines():
        f = line.split(":")
        if len(f) >= 4 and f[2].isdigit() and f[3].isdigit():
            home = f[5] if len(f) > 5 else "/"
            shell = f[6] if len(f) > 6 else "/bin/sh"
            users.setdefault(int(f[2]), (f[0], int(f[3]), home, shell))
    groups: dict[int, tuple[str, list[str]]] = {}
    for line in _read_text(fs, "/etc/group").splitlines():
        f = line.split(":")
        if len(f) >= 3 and f[2].isdigit():
            members = [m for m in (f[3].split(",") if len(f) > 3 else []) if m]
            groups.setdefault(int(f[2]), (f[0], members))
    return Passwd(users, groups)


def link_target_node(fs: VirtualFS, link: Link) -> Node | None:
    """Where a link leads, or None when dangling."""
    try:
        return fs.resolve(link.abspath())
    except OSError:
        return None
