"""Redirections: open files of the virtual tree under the caller's credentials, dup and
close descriptors, here-documents and here-strings; undo after the command.

Opening follows ``open(2)`` flags exactly (``>`` is ``O_WRONLY|O_CREAT|O_TRUNC``), so a
sysfs attribute without ``store`` gives EACCES at open, as bash reports it:
``iommush: /sys/.../reserved_regions: Permission denied``.
"""

from __future__ import annotations

import errno
import os
from typing import TYPE_CHECKING

from .ast import Redir, Word
from .errors import ExpansionError
from .streams import BytesIn, FdTable, Stream, VfsStream

if TYPE_CHECKING:
    from iommush.vfs import VirtualFS

    from .state import ShellState

__all__ = ["NullStream", "RedirectError", "Redirector"]

Saved = list[tuple[int, "Stream | None"]]

_FLAGS = {
    "<": os.O_RDONLY,
    ">": os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
    ">|": os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
    ">>": os.O_WRONLY | os.O_CREAT | os.O_APPEND,
    "<>": os.O_RDWR | os.O_CREAT,
    "&>": os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
    "&>>": os.O_WRONLY | os.O_CREAT | os.O_APPEND,
}


class RedirectError(Exception):
    """A redirection failed; ``message`` is what bash prints after its prefix."""


class NullStream(Stream):
    """``/dev/null`` when the tree has none: reads EOF, swallows writes."""

    readable = writable = True

    def read(self, size: int = -1) -> bytes:
        return b""

    def readline(self) -> bytes:
        return b""

    def write(self, data: bytes) -> int:
        return len(data)


class Redirector:
    """Mixin of the interpreter that applies and undoes redirections."""

    state: ShellState
    fs: VirtualFS
    failed_writes: list[tuple[str, bytes, int, str]]

    def expand_word(self, word: Word) -> str:
        raise NotImplementedError

    def expand_word_fields(self, word: Word) -> list[str]:
        raise NotImplementedError

    @property
    def fds(self) -> FdTable:
        assert self.state.fds is not None
        return self.state.fds

    def apply_redirs(self, redirs: list[Redir], *, permanent: bool = False) -> Saved:
        """Apply ``redirs`` in order; returns what to restore. RedirectError on failure
        (the ones already applied are undone first)."""
        saved: Saved = []
        try:
            for r in redirs:
                self._apply_one(r, saved, permanent)
        except (RedirectError, ExpansionError):
            self.undo_redirs(saved)
            raise
        return saved

    def undo_redirs(self, saved: Saved) -> None:
        fds = self.fds
        for fd, old in reversed(saved):
            if old is None:
                fds.close(fd)
            else:
                fds.set(fd, old)
                FdTable._drop(old)

    def _save(self, fd: int, saved: Saved, permanent: bool) -> None:
        if permanent:
            return
        old = self.fds.get(fd)
        if old is not None:
            old.refs += 1
        saved.append((fd, old))

    def _apply_one(self, r: Redir, saved: Saved, permanent: bool) -> None:
        op = r.op
        fds = self.fds
        if op in ("<<", "<<-"):
            assert r.heredoc is not None and r.heredoc.body is not None
            data = self.expand_word(r.heredoc.body).encode("utf-8", "surrogateescape")
            fd = 0 if r.fd is None else r.fd
            self._save(fd, saved, permanent)
            fds.set(fd, BytesIn(data))
            return
        assert r.target is not None
        if op == "<<<":
            text = self.expand_word(r.target) + "\n"
            fd = 0 if r.fd is None else r.fd
            self._save(fd, saved, permanent)
            fds.set(fd, BytesIn(text.encode("utf-8", "surrogateescape")))
            return
        words = self.expand_word_fields(r.target)
        if len(words) != 1:
            raise RedirectError(f"{r.target.raw}: ambiguous redirect")
        target = words[0]
        if op in (">&", "<&"):
            fd = (1 if op == ">&" else 0) if r.fd is None else r.fd
            if target == "-":
                self._save(fd, saved, permanent)
                fds.close(fd)
                return
            move = target.endswith("-") and target[:-1].isdigit()
            num = target[:-1] if move else target
            if num.isdigit():
                src = fds.get(int(num))
                if src is None:
                    raise RedirectError(f"{num}: Bad file descriptor")
                if int(num) == fd:
                    return
                self._save(fd, saved, permanent)
                fds.set(fd, src)
                if move:
                    self._save(int(num), saved, permanent)
                    fds.close(int(num))
                return
            if op == "<&" or r.fd is not None:
                raise RedirectError(f"{target}: ambiguous redirect")
            op = "&>"
        stream = self._open(target, op)
        targets = (
            (1, 2)
            if op in ("&>", "&>>")
            else ((0 if op in ("<", "<>") else 1) if r.fd is None else r.fd,)
        )
        try:
            for fd in targets:
                self._save(fd, saved, permanent)
                fds.set(fd, stream)
        finally:
            if stream.refs == 0:
                stream.close()

    def _open(self, path: str, op: str) -> Stream:
        special = self._dev_fd(path)
        if special is not None:
            return special
        flags = _FLAGS[op]
        cwd = self.state.cwd
        if op == ">" and "noclobber" in self.state.options:
            try:
                st = self.fs.stat(path, cwd)
            except OSError:
                st = None
            if st is not None and st.is_reg:
                raise RedirectError(f"{path}: cannot overwrite existing file")
        try:
            of = self.fs.open(path, flags, cwd=cwd)
        except OSError as exc:
            if path == "/dev/null" and exc.errno == errno.ENOENT:
                return NullStream()
            raise RedirectError(f"{path}: {exc.strerror or os.strerror(exc.errno or 0)}") from None
        return VfsStream(of, self.note_write_error)

    def note_write_error(self, path: str, data: bytes, err: int) -> None:
        """Remember a refused write to a redirected file, for the hint that follows the
        command (see :attr:`write_hint`)."""
        self.failed_writes.append((path, data, err, self.state.cwd))

    def _dev_fd(self, path: str) -> Stream | None:
        n: int | None = None
        if path == "/dev/stdin":
            n = 0
        elif path == "/dev/stdout":
            n = 1
        elif path == "/dev/stderr":
            n = 2
        elif path.startswith("/dev/fd/") and path[8:].isdigit():
            n = int(path[8:])
        if n is None:
            return None
        s = self.fds.get(n)
        if s is None:
            raise RedirectError(f"{path}: No such file or directory")
        return s
