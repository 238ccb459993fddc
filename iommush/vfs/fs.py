"""Path walk, permission checks and open files over a tree of :mod:`iommush.vfs.node` nodes.

This is the system-call surface the shell uses: ``open``/``read``/``write``, ``stat``,
``readlink``, ``mkdir``, ``unlink``. It follows the Linux VFS and kernfs rules that a
user can see: EACCES at open for a sysfs file without ``store`` (even as root), one
``store`` call per ``write(2)`` with at most ``PAGE_SIZE`` bytes, ENODEV for a node that
was removed while open, ELOOP after 40 links, EPERM for ``mkdir``/``unlink`` in sysfs.

>>> fs = VirtualFS()
>>> _ = fs.root.add(Dir("tmp", 0o1777, creatable=True))
>>> fs.write_bytes("/tmp/x", b"hello\\n")
6
>>> fs.read_bytes("/tmp/x")
b'hello\\n'
>>> fs.resolve("/tmp/../tmp/./x").abspath()
'/tmp/x'
"""

from __future__ import annotations

import errno
import os
import posixpath
import stat as stat_mod
import time
from typing import NamedTuple

from .cred import CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, Cred, current_cred
from .errors import raise_errno
from .node import PAGE_SIZE, Attribute, Device, Dir, File, Link, Node

__all__ = ["MAXSYMLINKS", "OpenFile", "Stat", "VirtualFS", "access_ok"]

#: Linux's ``MAXSYMLINKS``.
MAXSYMLINKS = 40

R_OK, W_OK, X_OK = 4, 2, 1


class Stat(NamedTuple):
    """What ``stat(2)`` reports about a node (a named tuple: ``ls`` and ``find`` make
    one per entry)."""

    st_mode: int
    st_ino: int
    st_nlink: int
    st_uid: int
    st_gid: int
    st_size: int
    st_mtime: float
    st_rdev: int = 0

    @property
    def is_dir(self) -> bool:
        return stat_mod.S_ISDIR(self.st_mode)

    @property
    def is_link(self) -> bool:
        return stat_mod.S_ISLNK(self.st_mode)

    @property
    def is_reg(self) -> bool:
        return stat_mod.S_ISREG(self.st_mode)


def access_ok(node: Node, want: int, cred: Cred) -> bool:
    """``generic_permission``: owner/group/other bits, with the DAC override capabilities."""
    if cred.has(CAP_DAC_OVERRIDE):
        if want & X_OK and not isinstance(node, Dir) and not node.mode & 0o111:
            return False
        return True
    if cred.has(CAP_DAC_READ_SEARCH):
        if isinstance(node, Dir) and not want & W_OK:
            return True
        if want == R_OK:
            return True
    if cred.uid == node.uid:
        bits = (node.mode >> 6) & 7
    elif cred.gid == node.gid or node.gid in cred.groups:
        bits = (node.mode >> 3) & 7
    else:
        bits = node.mode & 7
    return bits & want == want


class OpenFile:
    """An open file description: node, flags, position and, for attributes, the page
    that ``show`` produced (``seq_file`` buffer, filled on the first read)."""

    def __init__(self, fs: VirtualFS, node: Node, flags: int, path: str) -> None:
        self.fs = fs
        self.node = node
        self.flags = flags
        self.path = path
        self.pos = 0
        self.closed = False
        self._page: bytes | None = None
        #: Per-open state a device driver may keep (``file->private_data``).
        self.private: object = None

    @property
    def readable(self) -> bool:
        return self.flags & os.O_ACCMODE in (os.O_RDONLY, os.O_RDWR)

    @property
    def writable(self) -> bool:
        return self.flags & os.O_ACCMODE in (os.O_WRONLY, os.O_RDWR)

    def _check(self) -> None:
        if self.closed:
            raise_errno(errno.EBADF)
        if self.node.removed and not isinstance(self.node, File):
            raise_errno(errno.ENODEV)

    def read(self, size: int = -1) -> bytes:
        """``read(2)``; ``size=-1`` reads to the end."""
        self._check()
        if not self.readable:
            raise_errno(errno.EBADF)
        node = self.node
        if isinstance(node, Dir):
            raise_errno(errno.EISDIR)
        if isinstance(node, Device):
            return node.ops.read(self, size)
        if isinstance(node, Attribute):
            if self._page is None or self.pos == 0:
                if node.show is None:
                    raise_errno(errno.EIO)
                out = node.show()
                page = out.encode() if isinstance(out, str) else bytes(out)
                self._page = page[:PAGE_SIZE]
            data = self._page
        elif isinstance(node, File):
            data = bytes(node.data)
        else:
            raise_errno(errno.EINVAL)
        end = len(data) if size < 0 else min(len(data), self.pos + size)
        chunk = data[self.pos : end]
        self.pos = max(self.pos, end)
        return chunk

    def write(self, data: bytes) -> int:
        """``write(2)``: one ``store`` call per write for an attribute (kernfs_fop_write_iter)."""
        self._check()
        if not self.writable:
            raise_errno(errno.EBADF)
        node = self.node
        if isinstance(node, Device):
            return node.ops.write(self, bytes(data))
        if isinstance(node, Attribute):
            if not data:
                return 0  # sysfs_kf_write: an empty write never reaches store
            if node.store is None:
                raise_errno(errno.EIO)
            count = min(len(data), PAGE_SIZE)
            ret = node.store(bytes(data[:count]))
            return count if ret is None else ret
        if isinstance(node, File):
            if self.flags & os.O_APPEND:
                self.pos = len(node.data)
            end = self.pos + len(data)
            if self.pos > len(node.data):
                node.data.extend(b"\0" * (self.pos - len(node.data)))
            node.data[self.pos : end] = data
            self.pos = end
            node.mtime = time.time()
            return len(data)
        raise_errno(errno.EINVAL)

    def ioctl(self, cmd: int, arg: object = None) -> int:
        """``ioctl(2)``: devices only; ENOTTY for anything else."""
        self._check()
        if not isinstance(self.node, Device):
            raise_errno(errno.ENOTTY)
        return self.node.ops.ioctl(self, cmd, arg)

    def close(self) -> None:
        """``close(2)``: a device's ``release`` runs once."""
        if self.closed:
            return
        self.closed = True
        if isinstance(self.node, Device):
            self.node.ops.release(self)

    def __enter__(self) -> OpenFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class VirtualFS:
    """A whole tree with a root, and the path-based calls a shell makes on it."""

    def __init__(self) -> None:
        self.root = Dir("")

    # -- path walk -------------------------------------------------------------------
    def _walk(self, path: str, cwd: str, follow: bool, cred: Cred, depth: int = 0) -> Node:
        if path == "":
            raise_errno(errno.ENOENT, path)
        node: Node = self.root if path[0] == "/" else self._walk(cwd or "/", "/", True, cred)
        parts = [p for p in path.split("/") if p and p != "."]
        trailing_slash = path[-1] == "/"
        # generic_permission: with CAP_DAC_OVERRIDE or CAP_DAC_READ_SEARCH every
        # directory may be searched, so the per-component check can be skipped
        search_all = CAP_DAC_OVERRIDE in cred.caps or CAP_DAC_READ_SEARCH in cred.caps
        last = len(parts) - 1
        for i, part in enumerate(parts):
            if not isinstance(node, Dir):
                raise_errno(errno.ENOTDIR, path)
            if not search_all and not access_ok(node, X_OK, cred):
                raise_errno(errno.EACCES, path)
            if part == "..":
                node = node.parent or node
                continue
            child = node.get(part)
            if child is None:
                raise_errno(errno.ENOENT, path)
            if isinstance(child, Link) and (follow or i != last or trailing_slash):
                child = self._follow(child, cred, depth, path)
            node = child
        if trailing_slash and not isinstance(node, Dir):
            raise_errno(errno.ENOTDIR, path)
        return node

    def _follow(self, link: Link, cred: Cred, depth: int, path: str) -> Node:
        if depth >= MAXSYMLINKS:
            raise_errno(errno.ELOOP, path)
        if link.target is not None:
            if link.target.removed:
                raise_errno(errno.ENOENT, path)
            target: Node = link.target
            while isinstance(target, Link):
                target = self._follow(target, cred, depth + 1, path)
            return target
        assert link.text is not None
        base = link.parent.abspath() if link.parent is not None else "/"
        return self._walk(link.text, base, True, cred, depth + 1)

    def resolve(
        self, path: str, cwd: str = "/", *, follow: bool = True, cred: Cred | None = None
    ) -> Node:
        """The node ``path`` names (``follow=False`` is ``lstat``'s walk)."""
        return self._walk(path, cwd, follow, cred or current_cred())

    def lookup(
        self, parent: Dir, name: str, *, follow: bool = True, cred: Cred | None = None
    ) -> Node:
        """The last step of a walk: ``name`` in the directory ``parent`` already looked
        up (``ls`` and ``find`` listing a directory), with the same search-permission
        check and link following as :meth:`resolve` of the whole path."""
        cred = cred or current_cred()
        if (
            CAP_DAC_OVERRIDE not in cred.caps
            and CAP_DAC_READ_SEARCH not in cred.caps
            and not access_ok(parent, X_OK, cred)
        ):
            raise_errno(errno.EACCES, name)
        if parent.removed:
            raise_errno(errno.ENOENT, name)
        child = parent.get(name)
        if child is None:
            raise_errno(errno.ENOENT, name)
        if follow and isinstance(child, Link):
            child = self._follow(child, cred, 0, name)
        return child

    def lookup_parent(self, path: str, cwd: str = "/", cred: Cred | None = None) -> tuple[Dir, str]:
        """The directory that holds ``path``'s last name, and that name."""
        cred = cred or current_cred()
        stripped = path.rstrip("/") or "/"
        head, name = posixpath.split(stripped)
        if name in ("", ".", ".."):
            node = self._walk(stripped, cwd, True, cred)
            if node.parent is None:
                raise_errno(errno.EBUSY, path)
            return node.parent, node.name
        parent = self._walk(head or ("/" if stripped.startswith("/") else "."), cwd, True, cred)
        if not isinstance(parent, Dir):
            raise_errno(errno.ENOTDIR, path)
        return parent, name

    def exists(self, path: str, cwd: str = "/", *, follow: bool = True) -> bool:
        """True if ``path`` resolves (errors other than a missing name count as absent)."""
        try:
            self.resolve(path, cwd, follow=follow)
        except OSError:
            return False
        return True

    # -- open/read/write -----------------------------------------------------------
    def open(
        self,
        path: str,
        flags: int = os.O_RDONLY,
        *,
        cwd: str = "/",
        mode: int = 0o666,
        cred: Cred | None = None,
    ) -> OpenFile:
        """``open(2)`` with the Linux VFS and kernfs checks."""
        cred = cred or current_cred()
        acc = flags & os.O_ACCMODE
        want = {os.O_RDONLY: R_OK, os.O_WRONLY: W_OK, os.O_RDWR: R_OK | W_OK}[acc]
        try:
            node = self._walk(path, cwd, not flags & os.O_NOFOLLOW, cred)
        except OSError as exc:
            if exc.errno != errno.ENOENT or not flags & os.O_CREAT:
                raise
            parent, name = self.lookup_parent(path, cwd, cred)
            if parent.children.get(name) is not None:
                raise  # a dangling symlink: O_CREAT does not follow it into nowhere
            if not parent.creatable:
                raise_errno(errno.EACCES, path)
            if not access_ok(parent, W_OK | X_OK, cred):
                raise_errno(errno.EACCES, path)
            node = parent.add(File(name, mode & 0o7777 & ~0o022, uid=cred.uid, gid=cred.gid))
            return OpenFile(self, node, flags, path)
        if flags & os.O_CREAT and flags & os.O_EXCL:
            raise_errno(errno.EEXIST, path)
        if isinstance(node, Link):
            raise_errno(errno.ELOOP, path)
        if isinstance(node, Dir) and acc != os.O_RDONLY:
            raise_errno(errno.EISDIR, path)
        if not access_ok(node, want, cred):
            raise_errno(errno.EACCES, path)
        if isinstance(node, Attribute):
            # kernfs_fop_open: the mode bits and the presence of show/store both count
            if want & W_OK and (not node.mode & 0o222 or node.store is None):
                raise_errno(errno.EACCES, path)
            if want & R_OK and (not node.mode & 0o444 or node.show is None):
                raise_errno(errno.EACCES, path)
        of = OpenFile(self, node, flags, path)
        if isinstance(node, File) and flags & os.O_TRUNC and acc != os.O_RDONLY:
            node.data.clear()
            node.mtime = time.time()
        if isinstance(node, Device):
            node.ops.open(of)
        return of

    def read_bytes(self, path: str, cwd: str = "/") -> bytes:
        """Open, read everything, close."""
        with self.open(path, cwd=cwd) as of:
            return of.read()

    def write_bytes(self, path: str, data: bytes, cwd: str = "/", *, append: bool = False) -> int:
        """Open for writing (creating and truncating tmpfs files), one write, close."""
        flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if append else os.O_TRUNC)
        with self.open(path, flags, cwd=cwd) as of:
            return of.write(data)

    # -- metadata --------------------------------------------------------------------
    def stat_node(self, node: Node) -> Stat:
        """``stat`` of a node already looked up."""
        if isinstance(node, Dir):
            nlink, size = node.nlink(), 0
        elif isinstance(node, Attribute):
            nlink, size = 1, node.size
        elif isinstance(node, File):
            nlink, size = 1, len(node.data)
        elif isinstance(node, Link):
            nlink, size = 1, 0 if node.target is not None else len(node.readlink())
        else:
            nlink, size = 1, 0
        rdev = os.makedev(node.major, node.minor) if isinstance(node, Device) else 0
        return Stat(node.st_mode, node.ino, nlink, node.uid, node.gid, size, node.mtime, rdev)

    def stat(self, path: str, cwd: str = "/", *, follow: bool = True) -> Stat:
        """``stat(2)`` (``follow=False``: ``lstat``)."""
        return self.stat_node(self.resolve(path, cwd, follow=follow))

    def listdir(self, path: str, cwd: str = "/") -> list[str]:
        """Names in a directory, in creation order (``ls`` sorts them)."""
        return self.list_node(self.resolve(path, cwd), path)

    def list_node(self, node: Node, path: str = "") -> list[str]:
        """:meth:`listdir` of a node already looked up (``ls`` and ``find`` reading a
        directory they reached): ENOTDIR, ENOENT once removed, EACCES without read."""
        if not isinstance(node, Dir):
            raise_errno(errno.ENOTDIR, path)
        if node.removed:
            raise_errno(errno.ENOENT, path)
        if not access_ok(node, R_OK, current_cred()):
            raise_errno(errno.EACCES, path)
        return list(node.children)

    def readlink(self, path: str, cwd: str = "/") -> str:
        """``readlink(2)``: EINVAL for something that is not a link."""
        node = self.resolve(path, cwd, follow=False)
        if not isinstance(node, Link):
            raise_errno(errno.EINVAL, path)
        return node.readlink()

    def realpath(self, path: str, cwd: str = "/") -> str:
        """The canonical absolute path of an existing node (``realpath(3)``)."""
        return self.resolve(path, cwd).abspath()

    # -- changing the tree (tmpfs; sysfs refuses) ------------------------------------
    def _changeable_parent(self, path: str, cwd: str, cred: Cred) -> tuple[Dir, str]:
        parent, name = self.lookup_parent(path, cwd, cred)
        if not parent.creatable:
            raise_errno(errno.EPERM, path)
        if not access_ok(parent, W_OK | X_OK, cred):
            raise_errno(errno.EACCES, path)
        return parent, name

    def mkdir(self, path: str, mode: int = 0o755, cwd: str = "/") -> Dir:
        """``mkdir(2)``; EPERM in sysfs, which has no ``mkdir`` inode operation."""
        cred = current_cred()
        parent, name = self.lookup_parent(path, cwd, cred)
        if name in parent.children:
            raise_errno(errno.EEXIST, path)
        parent, name = self._changeable_parent(path, cwd, cred)
        node: Dir = parent.add(Dir(name, mode & ~0o022, cred.uid, cred.gid, creatable=True))
        return node

    def unlink(self, path: str, cwd: str = "/") -> None:
        """``unlink(2)``; EISDIR for a directory, EPERM in sysfs."""
        cred = current_cred()
        parent, name = self._changeable_parent(path, cwd, cred)
        node = parent.children.get(name)
        if node is None:
            raise_errno(errno.ENOENT, path)
        if isinstance(node, Dir):
            raise_errno(errno.EISDIR, path)
        self._sticky_check(parent, node, cred, path)
        parent.remove(name)

    def rmdir(self, path: str, cwd: str = "/") -> None:
        """``rmdir(2)``; ENOTEMPTY unless empty."""
        cred = current_cred()
        parent, name = self._changeable_parent(path, cwd, cred)
        node = parent.children.get(name)
        if node is None:
            raise_errno(errno.ENOENT, path)
        if not isinstance(node, Dir):
            raise_errno(errno.ENOTDIR, path)
        if node.children:
            raise_errno(errno.ENOTEMPTY, path)
        self._sticky_check(parent, node, cred, path)
        parent.remove(name)

    def symlink(self, text: str, path: str, cwd: str = "/") -> Link:
        """``symlink(2)`` of a user link holding ``text``."""
        cred = current_cred()
        parent, name = self._changeable_parent(path, cwd, cred)
        if name in parent.children:
            raise_errno(errno.EEXIST, path)
        link: Link = parent.add(Link(name, text=text, uid=cred.uid))
        return link

    def rename(self, old: str, new: str, cwd: str = "/") -> None:
        """``rename(2)`` within tmpfs; replaces a file at ``new``."""
        cred = current_cred()
        oparent, oname = self._changeable_parent(old, cwd, cred)
        node = oparent.children.get(oname)
        if node is None:
            raise_errno(errno.ENOENT, old)
        try:
            dest = self.resolve(new, cwd)
            if isinstance(dest, Dir):
                new = posixpath.join(new, oname)
        except OSError:
            pass
        nparent, nname = self._changeable_parent(new, cwd, cred)
        existing = nparent.children.get(nname)
        if existing is node:
            return
        if isinstance(node, Dir) and any(a is node for a in nparent.ancestors()):
            raise_errno(errno.EINVAL, new)
        if existing is not None:
            if isinstance(existing, Dir):
                raise_errno(errno.EISDIR, new)
            nparent.remove(nname)
        del oparent.children[oname]
        node.name = nname
        nparent.add(node)

    def chmod(self, path: str, mode: int, cwd: str = "/") -> None:
        """``chmod(2)``: the owner or CAP_FOWNER; sysfs keeps the new mode as kernfs does."""
        cred = current_cred()
        node = self.resolve(path, cwd)
        if cred.uid != node.uid and not cred.has(CAP_FOWNER):
            raise_errno(errno.EPERM, path)
        node.mode = mode & 0o7777

    def chown(self, path: str, uid: int, gid: int, cwd: str = "/") -> None:
        """``chown(2)``: only with CAP_CHOWN (root)."""
        cred = current_cred()
        node = self.resolve(path, cwd)
        if not cred.has(0):
            raise_errno(errno.EPERM, path)
        node.uid, node.gid = uid, gid

    @staticmethod
    def _sticky_check(parent: Dir, node: Node, cred: Cred, path: str) -> None:
        if parent.mode & 0o1000 and cred.uid not in (node.uid, parent.uid):
            if not cred.has(CAP_FOWNER):
                raise_errno(errno.EPERM, path)
