"""The input side of the interpreter: ``getline`` in its forms, the main input (the
files and ``var=value`` assignments of ARGV, or stdin) and the files and commands that
``getline`` reads."""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Any

from . import ast as A
from .errors import AwkError, AwkRuntimeError
from .streams import BytesOut, Outputs, RecordReader, from_bytes, fs_name, run_command
from .values import Value, format_number, strnum, to_int, to_num

if TYPE_CHECKING:
    from iommush.shell.command import CommandContext

    from .record import Record

__all__ = ["InputMixin"]

_ASSIGN_ARG = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=", re.DOTALL)


class InputMixin:
    """Reading records: the part of :class:`~.interp.Interpreter` that does input."""

    ctx: CommandContext
    g: dict[str, Any]
    out: Outputs
    record: Record
    inputs: dict[str, tuple[RecordReader | None, int]]
    main: RecordReader | None
    argi: int
    used_file: bool
    stdin_read: bool

    def eval(self, node: A.Expr) -> Value:
        raise NotImplementedError

    def tostr(self, v: Value) -> str:
        raise NotImplementedError

    def var(self, name: str) -> str:
        raise NotImplementedError

    def assign(self, target: A.Expr, value: Value) -> Value:
        raise NotImplementedError

    def set_record(self, text: str) -> None:
        raise NotImplementedError

    def e_getline(self, node: A.Getline) -> Value:
        rs = self.var("RS")
        if node.kind == "main":
            rec = self.next_main_record()
            if rec is None:
                return 0.0
            self.g["NR"] = to_num(self.g["NR"]) + 1
            self.g["FNR"] = to_num(self.g["FNR"]) + 1
        else:
            assert node.source is not None
            name = self.tostr(self.eval(node.source))
            reader = self.input_reader(name, node.kind == "cmd")
            if reader is None:
                return -1.0
            rec = reader.read(rs)
            if rec is None:
                return 0.0
        if node.target is None:
            self.set_record(rec)
        else:
            self.assign(node.target, strnum(rec))
        return 1.0

    def input_reader(self, name: str, is_cmd: bool) -> RecordReader | None:
        entry = self.inputs.get(name)
        if entry is not None:
            return entry[0]
        status = 0
        reader: RecordReader | None
        if is_cmd:
            self.flush_all()
            sink = BytesOut()
            status = run_command(self.ctx, name, b"", sink)
            reader = RecordReader(from_bytes(bytes(sink.buf)))
        elif name in ("-", "/dev/stdin"):
            reader = RecordReader(self.read_stdin())
        else:
            try:
                with self.ctx.fs.open(fs_name(name), cwd=self.ctx.cwd) as of:
                    reader = RecordReader(from_bytes(self.read_all(of)))
            except OSError:
                reader = None
        if reader is not None:
            self.inputs[name] = (reader, status)
        return reader

    @staticmethod
    def read_all(of: Any) -> bytes:
        chunks = []
        while True:
            chunk = of.read(65536)
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks)

    def read_stdin(self) -> str:
        if self.stdin_read:
            return ""
        self.stdin_read = True
        return from_bytes(self.read_all(self.ctx.stdin))

    def next_main_record(self) -> str | None:
        """The next record of the main input (the files of ARGV, or stdin)."""
        while True:
            if self.main is None and not self.open_next():
                return None
            assert self.main is not None
            rec = self.main.read(self.var("RS"))
            if rec is not None:
                return rec
            self.main = None

    def open_next(self) -> bool:
        argv = self.g.get("ARGV")
        while True:
            argc = to_int(to_num(self.g.get("ARGC", 0.0)))
            if self.argi >= argc:
                if self.used_file:
                    return False
                self.used_file = True
                self.start_file("-", self.read_stdin())
                return True
            arg = (
                argv.get(format_number(float(self.argi), "%d")) if isinstance(argv, dict) else None
            )
            self.argi += 1
            if arg is None:
                continue
            text = self.tostr(arg)
            if text == "":
                continue
            if _ASSIGN_ARG.match(text):
                self.command_assign(text)
                continue
            self.used_file = True
            if text == "-" or text == "/dev/stdin":
                self.start_file(text, self.read_stdin())
                return True
            try:
                with self.ctx.fs.open(fs_name(text), cwd=self.ctx.cwd) as of:
                    data = self.read_all(of)
            except OSError as exc:
                raise AwkError(f"cannot open {text} ({os.strerror(exc.errno or 5)})") from None
            self.start_file(text, from_bytes(data))
            return True

    def start_file(self, name: str, text: str) -> None:
        self.main = RecordReader(text)
        self.g["FILENAME"] = name
        self.g["FNR"] = 0.0

    def command_assign(self, text: str) -> None:
        """``var=value`` from the command line or ``-v``: escapes processed, strnum."""
        from .lexer import unescape

        name, _, value = text.partition("=")
        if isinstance(self.g.get(name), dict):
            raise AwkRuntimeError(f"can't assign to {name}; it's an array name.")
        self.g[name] = strnum(unescape(value))

    def flush_all(self) -> None:
        self.out.flush()
