"""What every utility shares: GNU-style option parsing, buffered stdout with coreutils'
``write error`` reporting, error messages, and the command registry.

A utility is written as ``fn(ctx) -> int`` and registered with :func:`utility`; the
wrapper gives it a stdout that buffers like C stdio (one ``write(2)`` per 4 KiB, and
one at exit), and turns a failed write on stdout into ``NAME: write error: REASON``
with status 1, the way coreutils' ``close_stdout`` does.
"""

from __future__ import annotations

import dataclasses
import errno
import os
from collections.abc import Callable, Iterable, Sequence

from iommush.shell.command import CommandContext, CommandFn, CommandInfo, OutStream

__all__ = [
    "BUFSIZ",
    "BufferedOut",
    "OptError",
    "Options",
    "REGISTRY",
    "StdoutError",
    "UsageError",
    "parse_options",
    "quote",
    "quotef",
    "raw_stdout",
    "run_child",
    "strerror",
    "usage_error",
    "utility",
]

#: The stdio buffer size glibc picks for a pipe or a sysfs file.
BUFSIZ = 4096


class StdoutError(Exception):
    """A ``write(2)`` on stdout failed; carries the errno."""

    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


class UsageError(Exception):
    """Bad options or operands: message (may be empty) and the exit status to use."""

    def __init__(self, message: str, status: int, hint: bool = True) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.hint = hint


OptError = UsageError


def strerror(code: int | None) -> str:
    """The C library's message for ``code``."""
    if code is None:
        return "Input/output error"
    return os.strerror(code)


_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/._-+:,@%=^")


def _shell_quote(name: str) -> str:
    if "'" not in name:
        return f"'{name}'"
    return "'" + name.replace("'", "'\\''") + "'"


def quote(name: str) -> str:
    """A name in diagnostics the way coreutils' ``quote()`` shows it: ``'x'``."""
    return _shell_quote(name)


def quotef(name: str) -> str:
    """A name quoted only when the shell would need it (coreutils' ``quotef``)."""
    if name and all(c in _SAFE for c in name):
        return name
    return _shell_quote(name)


class BufferedOut:
    """stdout with C stdio's full buffering: data goes out in ``BUFSIZ`` blocks and at
    :meth:`flush`; a failing ``write(2)`` raises :class:`StdoutError`."""

    def __init__(self, raw: OutStream, bufsize: int = BUFSIZ) -> None:
        self.raw = raw
        self.bufsize = bufsize
        self.buf = bytearray()
        self.failed: int | None = None

    def write(self, data: bytes) -> int:
        self.buf += data
        if len(self.buf) >= self.bufsize:
            whole = len(self.buf) - len(self.buf) % self.bufsize
            self._emit(bytes(self.buf[:whole]))
            del self.buf[:whole]
        return len(data)

    def _emit(self, data: bytes) -> None:
        if self.failed is not None:
            raise StdoutError(self.failed)
        view = memoryview(data)
        while view:
            try:
                n = self.raw.write(bytes(view))
            except OSError as exc:
                self.failed = exc.errno or errno.EIO
                raise StdoutError(self.failed) from None
            if n is None or n <= 0:
                break
            view = view[n:]

    def flush(self) -> None:
        if self.buf:
            data = bytes(self.buf)
            self.buf.clear()
            self._emit(data)
        flush = getattr(self.raw, "flush", None)
        if flush is not None:
            try:
                flush()
            except OSError:
                pass

    def write_now(self, data: bytes) -> None:
        """Flush what is buffered, then ``data`` as one ``write(2)`` (``cat``, ``tee``)."""
        self.flush()
        if data:
            self._emit(data)


def raw_stdout(ctx: CommandContext) -> OutStream:
    """The shell's stdout behind a :class:`BufferedOut` (for child commands)."""
    out = ctx.stdout
    return out.raw if isinstance(out, BufferedOut) else out


def run_child(ctx: CommandContext, argv: list[str], **changes: object) -> int:
    """Run ``argv`` as a child process would: our buffered output goes first."""
    if isinstance(ctx.stdout, BufferedOut):
        ctx.stdout.flush()
    child = dataclasses.replace(ctx, stdout=raw_stdout(ctx), **changes)  # type: ignore[arg-type]
    return ctx.shell.run_argv(child, argv)


def usage_error(message: str, status: int) -> UsageError:
    return UsageError(message, status)


class Options:
    """Parsed options: ``flags`` maps the canonical option name to its values in order."""

    __slots__ = ("flags", "order", "operands")

    def __init__(self) -> None:
        self.flags: dict[str, list[str]] = {}
        self.order: list[tuple[str, str]] = []
        self.operands: list[str] = []

    def has(self, *names: str) -> bool:
        flags = self.flags
        for n in names:
            if n in flags:
                return True
        return False

    def last(self, name: str, default: str | None = None) -> str | None:
        vals = self.flags.get(name)
        return vals[-1] if vals else default

    def all(self, name: str) -> list[str]:
        return self.flags.get(name, [])

    def count(self, name: str) -> int:
        return len(self.flags.get(name, []))


_SPECS: dict[
    tuple[str, tuple[tuple[str, str], ...]], tuple[dict[str, int], dict[str, tuple[str, str]]]
] = {}


def _option_specs(
    short: str, long: tuple[tuple[str, str], ...]
) -> tuple[dict[str, int], dict[str, tuple[str, str]]]:
    """The option tables of one getopt specification, parsed once and kept: 0 no
    argument, 1 required, 2 optional (attached only); long name -> (key, kind)."""
    cached = _SPECS.get((short, long))
    if cached is not None:
        return cached
    takes: dict[str, int] = {}
    i = 0
    while i < len(short):
        ch = short[i]
        if short[i + 1 : i + 3] == "::":
            takes[ch] = 2
            i += 3
        elif short[i + 1 : i + 2] == ":":
            takes[ch] = 1
            i += 2
        else:
            takes[ch] = 0
            i += 1
    longs: dict[str, tuple[str, str]] = {}
    for spec, key in long:
        kind = ""
        if spec.endswith("=") or spec.endswith("?"):
            kind, spec = spec[-1], spec[:-1]
        longs[spec] = (key, kind)
    _SPECS[(short, long)] = (takes, longs)
    return takes, longs


def parse_options(
    argv: Sequence[str],
    short: str,
    long: dict[str, str] | None = None,
    *,
    status: int = 1,
    permute: bool = True,
    numeric: str | None = None,
) -> Options:
    """``getopt_long``: ``short`` in getopt syntax (``"n:v"``), ``long`` maps a long name
    (with a trailing ``=`` when it takes an argument, ``?`` for an optional one) to the
    canonical key (a short letter or the long name). ``numeric`` names the key that
    ``-NUM`` (``head -5``) stands for."""
    opts = Options()
    for arg in argv:
        if arg[:1] == "-" and arg != "-":
            break
    else:  # operands only (``cat FILE``): nothing to parse
        opts.operands.extend(argv)
        return opts
    takes, longs = _option_specs(short, tuple((long or {}).items()))

    def add(key: str, value: str = "") -> None:
        opts.flags.setdefault(key, []).append(value)
        opts.order.append((key, value))

    args = list(argv)
    i = 0
    while i < len(args):
        arg = args[i]
        i += 1
        if arg == "--":
            opts.operands.extend(args[i:])
            break
        if arg.startswith("--"):
            name, eq, value = arg[2:].partition("=")
            matches = [n for n in longs if n.startswith(name)]
            if name in longs:
                matches = [name]
            if not matches:
                raise UsageError(f"unrecognized option '{arg}'", status)
            if len(matches) > 1 and len({longs[m] for m in matches}) > 1:
                raise UsageError(f"option '{arg}' is ambiguous", status)
            full = matches[0]
            key, kind = longs[full]
            if kind == "=":
                if not eq:
                    if i >= len(args):
                        raise UsageError(f"option '--{full}' requires an argument", status)
                    value = args[i]
                    i += 1
                add(key, value)
            elif kind == "?":
                add(key, value if eq else "")
            else:
                if eq:
                    raise UsageError(f"option '--{full}' doesn't allow an argument", status)
                add(key)
            continue
        if arg.startswith("-") and len(arg) > 1:
            if numeric and arg[1:].isdigit():
                add(numeric, arg[1:])
                continue
            j = 1
            while j < len(arg):
                ch = arg[j]
                if ch not in takes:
                    raise UsageError(f"invalid option -- '{ch}'", status)
                if takes[ch] == 2:
                    add(ch, arg[j + 1 :])
                    break
                if takes[ch]:
                    value = arg[j + 1 :]
                    if not value:
                        if i >= len(args):
                            raise UsageError(f"option requires an argument -- '{ch}'", status)
                        value = args[i]
                        i += 1
                    add(ch, value)
                    break
                add(ch)
                j += 1
            continue
        if not permute:
            opts.operands.append(arg)
            opts.operands.extend(args[i:])
            break
        opts.operands.append(arg)
    return opts


#: One registration: name, the wrapped function, synopsis, summary, options, aliases and
#: the module that defines it (the lazy index of :mod:`._index` records that module).
Registered = tuple[str, CommandFn, str, str, tuple[str, ...], tuple[str, ...], str]
#: Every utility of this package: (name, wrapped function, synopsis, summary, options, aliases).
REGISTRY: list[Registered] = []


def utility(
    name: str,
    synopsis: str,
    summary: str,
    *,
    options: Iterable[str] = (),
    aliases: tuple[str, ...] = (),
    buffered: bool = True,
) -> Callable[[Callable[[CommandContext], int]], CommandFn]:
    """Register a utility; the registered function handles stdout buffering, write
    errors and usage errors."""

    def register(fn: Callable[[CommandContext], int]) -> CommandFn:
        def run(ctx: CommandContext) -> int:
            out = BufferedOut(ctx.stdout) if buffered else None
            cctx = ctx.with_stdout(out) if out is not None else ctx
            try:
                try:
                    status = fn(cctx)
                except UsageError as exc:
                    if exc.message:
                        cctx.error(exc.message)
                    if exc.hint:
                        cctx.err(f"Try '{cctx.name} --help' for more information.\n")
                    status = exc.status
                if out is not None:
                    out.flush()
                return status
            except StdoutError as exc:
                if exc.code == errno.EPIPE:
                    return 141
                cctx.error(f"write error: {strerror(exc.code)}")
                return 1

        run.__name__ = fn.__name__
        run.__doc__ = fn.__doc__
        REGISTRY.append((name, run, synopsis, summary, tuple(options), aliases, fn.__module__))
        return run

    return register


def info_of(entry: Registered) -> CommandInfo:
    name, fn, synopsis, summary, options, aliases, _module = entry
    return CommandInfo(
        name, fn, synopsis, summary, help=fn.__doc__ or "", options=options, aliases=aliases
    )
