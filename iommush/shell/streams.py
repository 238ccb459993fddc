"""Open files of the shell: the process's streams, files of the virtual tree, pipes
and here-documents, and the table of file descriptors that redirections change.

Several descriptors may share one open file (``2>&1``, ``exec 4<&3``); the open file
is closed, and a device's ``release`` runs, when the last descriptor goes away.
"""

from __future__ import annotations

import errno
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from iommush.vfs import OpenFile

    from .command import InStream, OutStream

__all__ = ["BufferOut", "BytesIn", "FdTable", "HostIn", "HostOut", "Stream", "VfsStream"]


class Stream:
    """An open file description with a reference count."""

    readable = False
    writable = False

    def __init__(self) -> None:
        self.refs = 0

    def read(self, size: int = -1) -> bytes:
        raise OSError(errno.EBADF, "Bad file descriptor")

    def readline(self) -> bytes:
        raise OSError(errno.EBADF, "Bad file descriptor")

    def write(self, data: bytes) -> int:
        raise OSError(errno.EBADF, "Bad file descriptor")

    def flush(self) -> None:
        pass

    def close(self) -> None:
        """Called when the last descriptor referring to it is closed."""


class HostOut(Stream):
    """The process's own stdout/stderr: each write is written and flushed at once."""

    writable = True

    def __init__(self, raw: OutStream) -> None:
        super().__init__()
        self.raw = raw

    def write(self, data: bytes) -> int:
        self.raw.write(data)
        try:
            self.raw.flush()
        except (OSError, ValueError):
            pass
        return len(data)

    def flush(self) -> None:
        self.raw.flush()


class HostIn(Stream):
    """The process's own stdin."""

    readable = True

    def __init__(self, raw: InStream) -> None:
        super().__init__()
        self.raw = raw

    def read(self, size: int = -1) -> bytes:
        return self.raw.read(size) or b""

    def readline(self) -> bytes:
        return self.raw.readline() or b""


class BufferOut(Stream):
    """The write end of a pipe or of a command substitution: collects bytes."""

    writable = True

    def __init__(self) -> None:
        super().__init__()
        self.data = bytearray()

    def write(self, data: bytes) -> int:
        self.data += data
        return len(data)


class BytesIn(Stream):
    """Reads from bytes already there: a pipe's contents, a here-document."""

    readable = True

    def __init__(self, data: bytes) -> None:
        super().__init__()
        self.data = bytes(data)
        self.pos = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.data) if size < 0 else self.pos + size
        chunk = self.data[self.pos : end]
        self.pos += len(chunk)
        return chunk

    def readline(self) -> bytes:
        nl = self.data.find(b"\n", self.pos)
        end = len(self.data) if nl < 0 else nl + 1
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk


class VfsStream(Stream):
    """A file of the virtual tree opened by a redirection."""

    def __init__(
        self, of: OpenFile, on_write_error: Callable[[str, bytes, int], None] | None = None
    ) -> None:
        super().__init__()
        self.of = of
        self.readable = of.readable
        self.writable = of.writable
        self._buf = b""
        #: Told of a failed write (path as opened, the bytes, the errno): the shell uses
        #: it to explain refused sysfs writes.
        self.on_write_error = on_write_error

    def read(self, size: int = -1) -> bytes:
        if self._buf:
            if size < 0:
                data, self._buf = self._buf + self.of.read(-1), b""
                return data
            data, self._buf = self._buf[:size], self._buf[size:]
            return data
        return self.of.read(size)

    def readline(self) -> bytes:
        while b"\n" not in self._buf:
            chunk = self.of.read(4096)
            if not chunk:
                break
            self._buf += chunk
        nl = self._buf.find(b"\n")
        end = len(self._buf) if nl < 0 else nl + 1
        line, self._buf = self._buf[:end], self._buf[end:]
        return line

    def write(self, data: bytes) -> int:
        try:
            return self.of.write(data)
        except OSError as exc:
            if self.on_write_error is not None:
                self.on_write_error(self.of.path, bytes(data), exc.errno or 0)
            raise

    def close(self) -> None:
        self.of.close()


class FdTable:
    """File descriptor number → open file, with dup/close semantics."""

    def __init__(self, fds: dict[int, Stream] | None = None) -> None:
        self.fds: dict[int, Stream] = {}
        for n, s in (fds or {}).items():
            self.set(n, s)

    def get(self, n: int) -> Stream | None:
        return self.fds.get(n)

    def set(self, n: int, stream: Stream) -> None:
        """Make ``n`` refer to ``stream`` (closing what ``n`` referred to)."""
        stream.refs += 1
        old = self.fds.get(n)
        self.fds[n] = stream
        if old is not None:
            self._drop(old)

    def close(self, n: int) -> None:
        old = self.fds.pop(n, None)
        if old is not None:
            self._drop(old)

    @staticmethod
    def _drop(stream: Stream) -> None:
        stream.refs -= 1
        if stream.refs <= 0:
            stream.close()

    def copy(self) -> FdTable:
        """A child's table (``fork``): the same open files, one more reference each."""
        return FdTable(dict(self.fds))

    def close_all(self) -> None:
        for n in list(self.fds):
            self.close(n)
