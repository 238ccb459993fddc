"""The nodes of a kernfs-like tree: directories, attribute files, symlinks, tmpfs files, devices.

Kernel code builds its part of ``/sys`` out of these, the way kernfs does
(``fs/kernfs/dir.c``, ``file.c``, ``symlink.c``):

>>> root = Dir("")
>>> sys = root.add(Dir("sys"))
>>> grp = sys.add(Dir("kernel")).add(Dir("iommu_groups")).add(Dir("26"))
>>> dev = sys.add(Dir("devices")).add(Dir("pci0000:00")).add(Dir("0000:06:0d.0"))
>>> link = dev.add(Link("iommu_group", grp))
>>> link.readlink()
'../../../kernel/iommu_groups/26'
>>> attr = grp.add(Attribute("type", 0o644, show=lambda: "DMA\\n", store=lambda b: len(b)))
>>> attr.abspath()
'/sys/kernel/iommu_groups/26/type'
"""

from __future__ import annotations

import errno
import itertools
import stat
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, TypeVar

from .errors import raise_errno

if TYPE_CHECKING:
    from .fs import OpenFile

__all__ = [
    "Attribute",
    "Device",
    "DeviceOps",
    "Dir",
    "File",
    "LazyDir",
    "Link",
    "Node",
    "PAGE_SIZE",
    "ShowFn",
    "StoreFn",
]

#: sysfs attribute buffers are one page (``PAGE_SIZE`` on x86-64 and most arm64 kernels).
PAGE_SIZE = 4096

ShowFn = Callable[[], "str | bytes"]
#: A store callback gets the whole write (at most PAGE_SIZE bytes) and returns the count it
#: consumed (``None`` means all of it), or raises ``OSError`` with an errno.
StoreFn = Callable[[bytes], "int | None"]

_inodes = itertools.count(1)
_next_ino = _inodes.__next__
_now = time.time
N = TypeVar("N", bound="Node")


class Node:
    """A name in the tree (``struct kernfs_node``): permission bits, owner, inode number."""

    __slots__ = ("name", "parent", "mode", "uid", "gid", "ino", "removed", "mtime")
    file_type = 0

    def __init__(self, name: str, mode: int, uid: int = 0, gid: int = 0) -> None:
        if "/" in name or name in (".", ".."):
            raise ValueError(f"bad node name {name!r}")
        self.name = name
        self.parent: Dir | None = None
        self.mode = mode & 0o7777
        self.uid = uid
        self.gid = gid
        self.ino = _next_ino()
        #: Set when the node leaves the tree (``kernfs_remove``): opening it gives ENODEV.
        self.removed = False
        self.mtime = _now()

    @property
    def st_mode(self) -> int:
        """File type and permission bits, as ``stat(2)`` reports them."""
        return self.file_type | self.mode

    def abspath(self) -> str:
        """The absolute path of this node (``kernfs_path``)."""
        parts: list[str] = []
        node: Node | None = self
        while node is not None and node.parent is not None:
            parts.append(node.name)
            node = node.parent
        return "/" + "/".join(reversed(parts))

    def ancestors(self) -> Iterator[Node]:
        """This node, its parent, and so on up to the root."""
        node: Node | None = self
        while node is not None:
            yield node
            node = node.parent

    def depth(self) -> int:
        """Number of names between the root and this node."""
        return sum(1 for _ in self.ancestors()) - 1

    def _mark_removed(self) -> None:
        self.removed = True

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.abspath()}>"


class Dir(Node):
    """A directory. ``creatable`` dirs (tmpfs) accept new files from users; sysfs dirs do not."""

    __slots__ = ("children", "creatable")
    file_type = stat.S_IFDIR

    def __init__(
        self, name: str, mode: int = 0o755, uid: int = 0, gid: int = 0, *, creatable: bool = False
    ) -> None:
        # Node.__init__, inlined (see Attribute)
        if "/" in name or name == "." or name == "..":
            raise ValueError(f"bad node name {name!r}")
        self.name = name
        self.parent = None
        self.mode = mode & 0o7777
        self.uid = uid
        self.gid = gid
        self.ino = _next_ino()
        self.removed = False
        self.mtime = _now()
        self.children: dict[str, Node] = {}
        self.creatable = creatable

    def add(self, node: N) -> N:
        """Add ``node`` under this directory and return it; EEXIST if the name is taken."""
        children = self.children
        name = node.name
        if name in children:
            raise_errno(errno.EEXIST, f"{self.abspath().rstrip('/')}/{name}")
        node.parent = self
        children[name] = node
        self.mtime = _now()
        return node

    def get(self, name: str) -> Node | None:
        """The child called ``name``, or None."""
        return self.children.get(name)

    def remove(self, name: str) -> Node:
        """Take ``name`` (and everything below it) out of the tree; ENOENT if absent."""
        node = self.children.pop(name, None)
        if node is None:
            raise_errno(errno.ENOENT, f"{self.abspath().rstrip('/')}/{name}")
        node._mark_removed()
        self.mtime = time.time()
        return node

    def ensure_dir(self, name: str, mode: int = 0o755) -> Dir:
        """The child directory ``name``, created if missing."""
        node = self.children.get(name)
        if node is None:
            return self.add(Dir(name, mode, creatable=self.creatable))
        if not isinstance(node, Dir):
            raise_errno(errno.ENOTDIR, node.abspath())
        return node

    def nlink(self) -> int:
        """``2 + number of subdirectories``, as kernfs and tmpfs count."""
        return 2 + sum(1 for c in self.children.values() if isinstance(c, Dir))

    def _mark_removed(self) -> None:
        self.removed = True
        for child in self.children.values():
            child._mark_removed()


#: The storage of ``Dir.children`` (the slot), for subclasses that wrap the attribute.
_CHILDREN = Dir.__dict__["children"]
_NO_NAMES: frozenset[str] = frozenset()


class LazyDir(Dir):
    """A directory whose standard entries are created the first time anyone looks at them.

    A machine with tens of thousands of devices gives each device directory some thirty
    attribute files that most sessions never open. :meth:`defer` registers the function
    that creates them and the names it may create; until something asks for one of those
    names (or for the whole listing), entries added under other names (links made when a
    device joins a group or gets a driver) are kept on their own, and filling puts the
    standard entries first, so the directory ends up exactly as if they had been created
    at once: same order, same modification time.
    """

    __slots__ = ("_fill", "_fill_names", "_fill_subdirs")

    def __init__(
        self, name: str, mode: int = 0o755, uid: int = 0, gid: int = 0, *, creatable: bool = False
    ) -> None:
        # Dir.__init__, inlined (see Attribute), storing the children in the slot itself
        if "/" in name or name == "." or name == "..":
            raise ValueError(f"bad node name {name!r}")
        self.name = name
        self.parent = None
        self.mode = mode & 0o7777
        self.uid = uid
        self.gid = gid
        self.ino = _next_ino()
        self.removed = False
        self.mtime = _now()
        _CHILDREN.__set__(self, {})
        self.creatable = creatable
        self._fill: Callable[[Dir], None] | None = None
        self._fill_names: frozenset[str] = _NO_NAMES
        self._fill_subdirs = 0

    def defer(self, fill: Callable[[Dir], None], names: frozenset[str], subdirs: int = 0) -> None:
        """Create the entries ``fill`` adds (all named in ``names``, ``subdirs`` of them
        directories, so ``stat`` can count links without filling) when first needed."""
        self._fill_names = names
        self._fill_subdirs = subdirs
        self._fill = fill

    @property
    def filled(self) -> bool:
        """Whether the deferred entries exist (or there are none)."""
        return self._fill is None

    def _children(self) -> dict[str, Node]:
        fill = self._fill
        store: dict[str, Node] = _CHILDREN.__get__(self)
        if fill is None:
            return store
        self._fill = None
        mtime = self.mtime
        _CHILDREN.__set__(self, {})
        fill(self)
        filled: dict[str, Node] = _CHILDREN.__get__(self)
        if self.removed:  # left the tree before anyone looked: so did its entries
            for node in filled.values():
                node._mark_removed()
        for name, node in store.items():
            if name in filled:
                raise_errno(errno.EEXIST, f"{self.abspath().rstrip('/')}/{name}")
            filled[name] = node
        self.mtime = mtime
        return filled

    def __getstate__(self) -> object:
        """A copy (``copy.deepcopy``) is of the filled directory: the deferred entries are
        made first, so the copy has them and nothing left to fill."""
        self._children()
        return super().__getstate__()

    def _set_children(self, value: dict[str, Node]) -> None:
        _CHILDREN.__set__(self, value)

    children = property(_children, _set_children)

    def _pending(self, name: str) -> bool:
        """True when ``name`` can be handled without creating the deferred entries."""
        return self._fill is not None and name not in self._fill_names

    def add(self, node: N) -> N:
        name = node.name
        if self._fill is None or name in self._fill_names:
            return super().add(node)
        store: dict[str, Node] = _CHILDREN.__get__(self)
        if name in store:
            raise_errno(errno.EEXIST, f"{self.abspath().rstrip('/')}/{name}")
        node.parent = self
        store[name] = node
        self.mtime = _now()
        return node

    def get(self, name: str) -> Node | None:
        if self._pending(name):
            return _CHILDREN.__get__(self).get(name)
        return self.children.get(name)

    def remove(self, name: str) -> Node:
        if not self._pending(name):
            return super().remove(name)
        node = _CHILDREN.__get__(self).pop(name, None)
        if node is None:
            raise_errno(errno.ENOENT, f"{self.abspath().rstrip('/')}/{name}")
        node._mark_removed()
        self.mtime = time.time()
        return node

    def _mark_removed(self) -> None:
        if self._fill is None:
            super()._mark_removed()
            return
        self.removed = True
        for child in _CHILDREN.__get__(self).values():
            child._mark_removed()

    def nlink(self) -> int:
        if self._fill is None:
            return super().nlink()
        store: dict[str, Node] = _CHILDREN.__get__(self)
        return 2 + self._fill_subdirs + sum(1 for c in store.values() if isinstance(c, Dir))

    def ensure_dir(self, name: str, mode: int = 0o755) -> Dir:
        node = self.get(name)
        if node is None:
            return self.add(Dir(name, mode, creatable=self.creatable))
        if not isinstance(node, Dir):
            raise_errno(errno.ENOTDIR, node.abspath())
        return node


class Attribute(Node):
    """A sysfs attribute file (``struct attribute`` + ``sysfs_ops``): ``show`` and ``store``.

    The mode alone does not make a file writable: kernfs refuses to open for writing a
    file that has no ``store`` (and for reading one without ``show``) with EACCES, even
    for root. Reads see a page generated by ``show`` when the file is first read.
    """

    __slots__ = ("show", "store", "size")
    file_type = stat.S_IFREG

    def __init__(
        self,
        name: str,
        mode: int = 0o444,
        show: ShowFn | None = None,
        store: StoreFn | None = None,
        *,
        uid: int = 0,
        gid: int = 0,
        size: int = PAGE_SIZE,
    ) -> None:
        # Node.__init__, inlined: machines with many devices make many attributes
        if "/" in name or name == "." or name == "..":
            raise ValueError(f"bad node name {name!r}")
        self.name = name
        self.parent = None
        self.mode = mode & 0o7777
        self.uid = uid
        self.gid = gid
        self.ino = _next_ino()
        self.removed = False
        self.mtime = _now()
        self.show = show
        self.store = store
        self.size = size


class Link(Node):
    """A symlink. Kernel links hold their target node and compute the relative text on
    every ``readlink`` (``kernfs_get_target_path``); user symlinks (tmpfs) hold text."""

    __slots__ = ("target", "text")
    file_type = stat.S_IFLNK

    def __init__(
        self, name: str, target: Node | None = None, *, text: str | None = None, uid: int = 0
    ) -> None:
        # Node.__init__, inlined (see Attribute)
        if "/" in name or name == "." or name == "..":
            raise ValueError(f"bad node name {name!r}")
        self.name = name
        self.parent = None
        self.mode = 0o777
        self.uid = uid
        self.gid = uid
        self.ino = _next_ino()
        self.removed = False
        self.mtime = _now()
        if (target is None) == (text is None):
            raise ValueError("a link has either a target node or a text")
        self.target = target
        self.text = text

    def readlink(self) -> str:
        """The link text: ``../../kernel/iommu_groups/26`` for a kernel link."""
        if self.text is not None:
            return self.text
        assert self.target is not None
        base = self.parent
        if base is None or self.target.parent is None:
            return self.target.abspath()
        base_chain = list(base.ancestors())
        target_chain = list(self.target.ancestors())
        # kernfs looks for the base among the ancestors of the target's parent, so a
        # link to an ancestor of its own directory goes up past it and back down
        target_set = {id(n) for n in target_chain[1:]}
        common = next(n for n in base_chain if id(n) in target_set)
        ups = base_chain.index(common)
        downs = [n.name for n in target_chain[: target_chain.index(common)]]
        parts = [".."] * ups + list(reversed(downs))
        return "/".join(parts) if parts else "."


class File(Node):
    """A regular file with contents, as on tmpfs (``/tmp``, the user's home)."""

    __slots__ = ("data",)
    file_type = stat.S_IFREG

    def __init__(self, name: str, mode: int = 0o644, data: bytes = b"", uid: int = 0, gid: int = 0):
        super().__init__(name, mode, uid, gid)
        self.data = bytearray(data)


class DeviceOps:
    """File operations of a character device (``struct file_operations``).

    Subclass and override what the device supports; the default refuses with the errno
    a driver without that operation gives.
    """

    def open(self, of: OpenFile) -> None:
        """Called when the device is opened; raise OSError to refuse."""

    def read(self, of: OpenFile, size: int) -> bytes:
        """Read up to ``size`` bytes (``-1``: all that is available)."""
        raise_errno(errno.EINVAL)

    def write(self, of: OpenFile, data: bytes) -> int:
        """Write ``data``; return the count written."""
        raise_errno(errno.EINVAL)

    def ioctl(self, of: OpenFile, cmd: int, arg: object = None) -> int:
        """``ioctl(2)``; ENOTTY for a command the device does not know."""
        raise_errno(errno.ENOTTY)

    def release(self, of: OpenFile) -> None:
        """Called when the last reference to the open file is closed."""


class Device(Node):
    """A character device node (``/dev/null``, ``/dev/vfio/26``) with its file operations."""

    __slots__ = ("ops", "major", "minor")
    file_type = stat.S_IFCHR

    def __init__(
        self,
        name: str,
        ops: DeviceOps,
        mode: int = 0o600,
        major: int = 0,
        minor: int = 0,
        uid: int = 0,
        gid: int = 0,
    ) -> None:
        super().__init__(name, mode, uid, gid)
        self.ops = ops
        self.major = major
        self.minor = minor
