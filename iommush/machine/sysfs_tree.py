"""Read-only access to a copied root (``sys/``, ``proc/``): a directory or a tarball.

The importer reads through :class:`SysTree` so that a live ``/``, a copied tree and a
``.tar``/``.tar.gz`` snapshot look the same. Paths are relative to the root, without a
leading slash (``sys/kernel/iommu_groups``).
"""

from __future__ import annotations

import os
import posixpath
import tarfile
from pathlib import Path

from iommush.machine.errors import MachineError

__all__ = ["DirTree", "SysTree", "TarTree", "open_tree"]


class SysTree:
    """What the importer needs of a tree: list, read, follow links."""

    def listdir(self, path: str) -> list[str]:
        """Names in a directory (following links); [] if it is not one."""
        raise NotImplementedError

    def is_dir(self, path: str) -> bool:
        """A real directory (not a symlink to one)."""
        raise NotImplementedError

    def is_link(self, path: str) -> bool:
        raise NotImplementedError

    def readlink(self, path: str) -> str | None:
        """The link's target text, or None if it is not a link."""
        raise NotImplementedError

    def read_bytes(self, path: str) -> bytes | None:
        """A regular file's content, or None if absent or unreadable."""
        raise NotImplementedError

    def exists(self, path: str) -> bool:
        raise NotImplementedError

    def read_text(self, path: str) -> str | None:
        data = self.read_bytes(path)
        if data is None:
            return None
        return data.decode("utf-8", errors="replace")

    def link_target(self, path: str) -> str | None:
        """The normalised path a link points to, relative to the root."""
        target = self.readlink(path)
        if target is None:
            return None
        if target.startswith("/"):
            return posixpath.normpath(target.lstrip("/"))
        return posixpath.normpath(posixpath.join(posixpath.dirname(path), target))


class DirTree(SysTree):
    """A directory on the host's filesystem (``/`` or a copy)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def _p(self, path: str) -> Path:
        return self.root / path

    def listdir(self, path: str) -> list[str]:
        try:
            return sorted(os.listdir(self._p(path)))
        except OSError:
            return []

    def is_dir(self, path: str) -> bool:
        p = self._p(path)
        return p.is_dir() and not p.is_symlink()

    def is_link(self, path: str) -> bool:
        return self._p(path).is_symlink()

    def readlink(self, path: str) -> str | None:
        try:
            return os.readlink(self._p(path))
        except OSError:
            return None

    def read_bytes(self, path: str) -> bytes | None:
        p = self._p(path)
        try:
            if p.is_symlink() or not p.is_file():
                return None
            with open(p, "rb") as fh:
                return fh.read(65536)
        except OSError:
            return None

    def exists(self, path: str) -> bool:
        return os.path.lexists(self._p(path))


class TarTree(SysTree):
    """A ``.tar``/``.tar.gz`` of such a tree, read into memory (only regular files and links)."""

    def __init__(self, path: str | Path) -> None:
        self.files: dict[str, bytes] = {}
        self.links: dict[str, str] = {}
        self.children: dict[str, set[str]] = {"": set()}
        try:
            with tarfile.open(path, "r:*") as tar:
                for member in tar:
                    name = posixpath.normpath(member.name.lstrip("/"))
                    if name.startswith("./"):
                        name = name[2:]
                    if name in (".", "") or name.startswith(".."):
                        continue
                    self._add_parents(name)
                    if member.issym():
                        self.links[name] = member.linkname
                    elif member.isfile():
                        fh = tar.extractfile(member)
                        self.files[name] = fh.read() if fh else b""
                    elif member.isdir():
                        self.children.setdefault(name, set())
        except (OSError, tarfile.TarError, EOFError) as exc:
            raise MachineError(f"{path}: cannot read snapshot: {exc}") from None

    def _add_parents(self, name: str) -> None:
        parent, _, base = name.rpartition("/")
        self.children.setdefault(parent, set()).add(base)
        if parent and parent not in self.files:
            self._add_parents(parent)

    def _resolve_dir(self, path: str) -> str:
        """Follow links in every component (sysfs paths are short; loops are bounded)."""
        parts = [p for p in path.split("/") if p]
        cur = ""
        for _ in range(40):
            for i, part in enumerate(parts):
                nxt = f"{cur}/{part}" if cur else part
                if nxt in self.links:
                    target = self.link_target(nxt) or ""
                    parts = target.split("/") + parts[i + 1 :]
                    cur = ""
                    break
                cur = nxt
            else:
                return cur
        return cur

    def listdir(self, path: str) -> list[str]:
        return sorted(self.children.get(self._resolve_dir(path), ()))

    def is_dir(self, path: str) -> bool:
        return path in self.children and path not in self.links

    def is_link(self, path: str) -> bool:
        return path in self.links

    def readlink(self, path: str) -> str | None:
        return self.links.get(path)

    def read_bytes(self, path: str) -> bytes | None:
        return self.files.get(path)

    def exists(self, path: str) -> bool:
        return path in self.files or path in self.links or path in self.children


def open_tree(path: str | Path) -> SysTree:
    """A directory holding ``sys/`` or a tarball of one; MachineError otherwise."""
    p = Path(path)
    if p.is_dir():
        tree: SysTree = DirTree(p)
    elif p.is_file():
        tree = TarTree(p)
    else:
        raise MachineError(f"{path}: no such file or directory")
    if not tree.exists("sys"):
        raise MachineError(f"{path}: not a root with sys/ (expected a copy of / or a snapshot)")
    return tree
