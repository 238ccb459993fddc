"""awk's input and output: records split by ``RS``, the files and commands that
``getline`` reads and that ``print > file``, ``>> file`` and ``| cmd`` write.

Files are opened through the virtual filesystem. A command is run through the shell:
output piped to ``print | "cmd"`` is collected and fed to the command when the pipe is
closed (or at exit); ``"cmd" | getline`` runs the command and reads what it printed.
"""

from __future__ import annotations

import dataclasses
import os
import re
from typing import TYPE_CHECKING

from .._base import BufferedOut, StdoutError, raw_stdout, strerror
from .errors import AwkError
from .regex import compile_ere

if TYPE_CHECKING:
    from iommush.shell.command import CommandContext, OutStream

__all__ = [
    "BytesIn",
    "BytesOut",
    "Outputs",
    "RecordReader",
    "from_bytes",
    "fs_name",
    "raw_stdout_of",
    "run_command",
    "to_bytes",
]


def from_bytes(data: bytes) -> str:
    """Input bytes as awk text (one code point per byte)."""
    return data.decode("latin-1")


def to_bytes(text: str) -> bytes:
    """awk text back to bytes."""
    return text.encode("latin-1", "replace")


def fs_name(text: str) -> str:
    """An awk string naming a file, as the filesystem spells it."""
    return to_bytes(text).decode("utf-8", "surrogateescape")


class BytesIn:
    """A readable stream over bytes (the stdin of a command awk runs)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.data) if size < 0 else self.pos + size
        chunk = self.data[self.pos : end]
        self.pos += len(chunk)
        return chunk

    def readline(self) -> bytes:
        i = self.data.find(b"\n", self.pos)
        end = len(self.data) if i < 0 else i + 1
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk


class BytesOut:
    """A writable stream that keeps what it is given (a command's captured stdout)."""

    def __init__(self) -> None:
        self.buf = bytearray()

    def write(self, data: bytes) -> int:
        self.buf += data
        return len(data)

    def flush(self) -> None:
        pass


_PARA = re.compile(r"\n\n+")


class RecordReader:
    """Records of one input (a whole file, or a command's output), split by ``RS``."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def read(self, rs: str) -> str | None:
        """The next record, or None at the end of the input."""
        text, pos = self.text, self.pos
        n = len(text)
        if rs == "":
            while pos < n and text[pos] == "\n":
                pos += 1
            if pos >= n:
                self.pos = n
                return None
            m = _PARA.search(text, pos)
            if m is None:
                self.pos = n
                return text[pos:].rstrip("\n")
            self.pos = m.end()
            return text[pos : m.start()]
        if pos >= n:
            return None
        if len(rs) == 1:
            i = text.find(rs, pos)
            if i < 0:
                self.pos = n
                return text[pos:]
            self.pos = i + 1
            return text[pos:i]
        rx = compile_ere(rs)
        start = pos
        while True:
            m = rx.search(text, start)
            if m is None:
                self.pos = n
                return text[pos:]
            if m.end() > m.start():
                self.pos = m.end()
                return text[pos : m.start()]
            start = m.start() + 1
            if start > n:
                self.pos = n
                return text[pos:]


def raw_stdout_of(ctx: CommandContext) -> OutStream:
    """The stdout a command awk runs writes to (awk's own output flushed first)."""
    return raw_stdout(ctx)


def run_command(ctx: CommandContext, cmd: str, stdin: bytes | None, stdout: OutStream) -> int:
    """Run ``cmd`` as ``sh -c cmd``; ``stdin`` None shares awk's stdin."""
    child = dataclasses.replace(
        ctx,
        argv=["sh", "-c", cmd],
        stdin=ctx.stdin if stdin is None else BytesIn(stdin),
        stdout=stdout,
    )
    status = ctx.shell.run_script_text(child, fs_name(cmd), ["sh"])
    return status


class _Target:
    """One open output: a file, a pipe to a command, or a standard stream."""

    def __init__(self, name: str, kind: str, out: BufferedOut | None) -> None:
        self.name = name
        self.kind = kind  # "file", "pipe", "stdout", "stderr"
        self.out = out
        self.pipe_data = bytearray()
        self.error: int | None = None


class Outputs:
    """Every stream ``print`` and ``printf`` have redirected to, by name."""

    def __init__(self, ctx: CommandContext) -> None:
        self.ctx = ctx
        self.targets: dict[str, _Target] = {}

    def stdout_write(self, data: bytes) -> None:
        self.ctx.stdout.write(data)

    def write(self, mode: str, name: str, data: bytes) -> None:
        """Write ``data`` to the stream ``mode`` (``>``, ``>>``, ``|``) ``name`` names,
        opening it on first use."""
        t = self.targets.get(name)
        if t is None:
            t = self._open(mode, name)
            self.targets[name] = t
        if t.kind == "pipe":
            t.pipe_data += data
            return
        if t.kind == "stdout":
            self.ctx.stdout.write(data)
            return
        if t.kind == "stderr":
            self.flush_stdout()
            self.ctx.err(data.decode("utf-8", "surrogateescape"))
            return
        assert t.out is not None
        if t.error is not None:
            return
        try:
            t.out.write(data)
        except StdoutError as exc:
            t.error = exc.code

    def _open(self, mode: str, name: str) -> _Target:
        if mode == "|":
            return _Target(name, "pipe", None)
        if name in ("/dev/stdout", "-"):
            return _Target(name, "stdout", None)
        if name == "/dev/stderr":
            return _Target(name, "stderr", None)
        flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if mode == ">>" else os.O_TRUNC)
        try:
            of = self.ctx.fs.open(fs_name(name), flags, cwd=self.ctx.cwd)
        except OSError as exc:
            raise AwkError(f'cannot open "{name}" for output ({strerror(exc.errno)})') from None
        return _Target(name, "file", BufferedOut(of))  # type: ignore[arg-type]

    def flush_stdout(self) -> None:
        flush = getattr(self.ctx.stdout, "flush", None)
        if flush is not None:
            flush()

    def _finish(self, t: _Target) -> int:
        """Flush and close ``t``: its status for ``close()``."""
        if t.kind == "pipe":
            self.flush_stdout()
            return run_command(self.ctx, t.name, bytes(t.pipe_data), raw_stdout(self.ctx))
        if t.kind == "stdout":
            self.flush_stdout()
            return 0
        if t.kind == "stderr" or t.out is None:
            return 0
        try:
            t.out.flush()
        except StdoutError as exc:
            t.error = exc.code
        raw = t.out.raw
        close = getattr(raw, "close", None)
        if close is not None:
            close()
        if t.error is not None:
            self.ctx.error(f"close failed on file {t.name} ({strerror(t.error)})")
            return -1
        return 0

    def close(self, name: str) -> int | None:
        """Close the output stream ``name``: its status, None if it is not open."""
        t = self.targets.pop(name, None)
        if t is None:
            return None
        return self._finish(t)

    def flush(self, name: str | None = None) -> int:
        """``fflush``: flush one stream (or all of them)."""
        self.flush_stdout()
        for key, t in self.targets.items():
            if (name is None or key == name) and t.out is not None and t.error is None:
                try:
                    t.out.flush()
                except StdoutError as exc:
                    t.error = exc.code
        return 0 if name is None or name in self.targets or name == "/dev/stdout" else -1

    def close_all(self) -> bool:
        """Close everything at exit; False when a stream failed."""
        ok = True
        self.flush_stdout()
        for name in list(self.targets):
            t = self.targets.pop(name)
            if self._finish(t) < 0 and t.kind == "file":
                ok = False
        return ok
