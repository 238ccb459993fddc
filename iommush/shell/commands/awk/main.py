"""The ``awk`` utility: ``awk [-F fs] [-v var=value]... ['program' | -f progfile]...
[file | var=value]...``.

Syntax errors are reported as mawk does (``awk: line N: syntax error at or near X``)
and, like every fatal error, end with status 2.
"""

from __future__ import annotations

import sys

from iommush.shell.command import CommandContext

from .._base import strerror, utility
from .errors import AwkError, AwkRuntimeError, AwkSyntaxError
from .interp import Interpreter
from .parser import parse
from .streams import from_bytes, fs_name
from .values import strnum

__all__ = ["awk"]

#: Python frames allowed while a program runs (an awk call takes about eight).
_RECURSION_LIMIT = 12000

_USAGE = (
    "usage: awk [-F value] [-v var=value] [--] 'program text' [file ...]\n"
    "usage: awk [-F value] [-v var=value] [-f program-file] [--] [file ...]\n"
)


def _text(s: str) -> str:
    """A command-line word as awk text (bytes as Latin-1 code points)."""
    return s.encode("utf-8", "surrogateescape").decode("latin-1")


class _Usage(Exception):
    pass


def _options(
    ctx: CommandContext,
) -> tuple[str | None, list[str], str | None, list[str], list[str]]:
    """(program text or None, -f files, -F value, -v assignments, operands)."""
    args = ctx.argv[1:]
    fs: str | None = None
    assigns: list[str] = []
    progfiles: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--":
            i += 1
            break
        if not a.startswith("-") or a == "-":
            break
        opt = a[1:2]
        if opt in ("F", "v", "f", "W"):
            value = a[2:]
            if not value:
                i += 1
                if i >= len(args):
                    raise AwkError(f"option requires an argument -- {opt}")
                value = args[i]
            if opt == "F":
                fs = value
            elif opt == "v":
                if "=" not in value or not value.split("=", 1)[0].isidentifier():
                    raise AwkError(f"improper assignment: -v {value}")
                assigns.append(value)
            elif opt == "f":
                progfiles.append(value)
            elif value.startswith("v"):
                ctx.out("awk (iommush) POSIX awk\n")
                raise _Usage
            i += 1
            continue
        if a == "--version":
            ctx.out("awk (iommush) POSIX awk\n")
            raise _Usage
        raise AwkError(f"not an option: {a}")
    rest = args[i:]
    program = None
    if not progfiles:
        if not rest:
            ctx.err(_USAGE)
            raise _Usage
        program, rest = rest[0], rest[1:]
    return program, progfiles, fs, assigns, rest


def _read_program(ctx: CommandContext, progfiles: list[str]) -> str:
    parts = []
    for name in progfiles:
        try:
            if name in ("-", "/dev/stdin"):
                data = ctx.stdin.read()
            else:
                data = ctx.fs.read_bytes(name, cwd=ctx.cwd)
        except OSError as exc:
            raise AwkError(f"couldn't open file {name} ({strerror(exc.errno)})") from None
        parts.append(from_bytes(data))
    return "\n".join(parts)


@utility(
    "awk",
    "awk [-F fs] [-v var=value] ['program' | -f progfile] [file ...]",
    "pattern scanning and text processing language",
    options=("-F", "-v", "-f"),
)
def awk(ctx: CommandContext) -> int:
    """Run an awk program (POSIX awk) over the FILEs, or standard input."""
    interp: Interpreter | None = None
    try:
        try:
            program, progfiles, fs, assigns, operands = _options(ctx)
        except _Usage:
            return 2 if not any(a.startswith("-W") or a == "--version" for a in ctx.argv) else 0
        source = _text(program) if program is not None else _read_program(ctx, progfiles)
        prog = parse(source)
        interp = Interpreter(prog, ctx)
        g = interp.g
        g["ENVIRON"] = {_text(k): strnum(_text(v)) for k, v in ctx.env.items()}
        argv = {"0": "awk"}
        for n, word in enumerate(operands, 1):
            argv[str(n)] = strnum(_text(word))
        g["ARGV"] = argv
        g["ARGC"] = float(len(operands) + 1)
        if fs is not None:
            from .lexer import unescape

            value = _text(fs)
            g["FS"] = "\t" if value == "t" else unescape(value)
        for a in assigns:
            interp.command_assign(_text(a))
        limit = sys.getrecursionlimit()
        sys.setrecursionlimit(max(limit, _RECURSION_LIMIT))
        try:
            return interp.run()
        finally:
            sys.setrecursionlimit(limit)
    except AwkSyntaxError as exc:
        ctx.error(exc.message)
        return 2
    except (AwkRuntimeError, RecursionError) as exc:
        _finish(interp)
        message = (
            exc.message if isinstance(exc, AwkRuntimeError) else "function call nesting too deep"
        )
        where = ""
        if interp is not None:
            name = interp.var("FILENAME")
            fnr = interp.tostr(interp.g.get("FNR", 0.0))
            nr = interp.tostr(interp.g.get("NR", 0.0))
            where = f'\n\tFILENAME="{fs_name(name)}" FNR={fnr} NR={nr}'
        ctx.error(f"run time error: {message}{where}")
        return 2
    except AwkError as exc:
        _finish(interp)
        ctx.error(exc.message)
        return 2


def _finish(interp: Interpreter | None) -> None:
    """Flush and close what the program wrote before it failed."""
    if interp is not None:
        try:
            interp.out.close_all()
        except AwkError:
            pass
