"""How a command is called: one signature for every builtin and every utility.

A command is a function ``(ctx: CommandContext) -> int``. It reads ``ctx.stdin``,
writes bytes to ``ctx.stdout``/``ctx.stderr`` and returns its exit status. Commands
are registered in a :class:`CommandTable` with ``@table.command(...)``, and the same
table serves lookup, ``help`` and completion.

Writes go straight through: one ``ctx.stdout.write(data)`` is one ``write(2)`` on the
file the shell redirected stdout to, so ``echo DMA > .../type`` reaches the
attribute's ``store`` exactly once, with ``b"DMA\\n"``. A failed write raises
``OSError``; the command reports it the way bash and coreutils do
(``echo: write error: Operation not permitted``) and returns 1.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from iommush.vfs import VirtualFS

    from .system import System

__all__ = [
    "CommandContext",
    "CommandFn",
    "CommandInfo",
    "CommandTable",
    "LazyCommand",
    "InStream",
    "OutStream",
    "ShellServices",
]


class InStream(Protocol):
    """A readable byte stream: a pipe, a file, a here-document, the terminal."""

    def read(self, size: int = -1) -> bytes: ...

    def readline(self) -> bytes: ...


class OutStream(Protocol):
    """A writable byte stream; each ``write`` is one ``write(2)``."""

    def write(self, data: bytes) -> int: ...

    def flush(self) -> None: ...


class ShellServices(Protocol):
    """What a command may ask of the shell that runs it."""

    def run_argv(self, ctx: CommandContext, argv: list[str]) -> int:
        """Run a command line already split into words (``xargs``, ``sudo``, ``runas``),
        with ``ctx``'s streams, as a child process would run."""
        ...

    def run_script_text(self, ctx: CommandContext, source: str, args: list[str]) -> int:
        """Run shell source in a subshell (``sh -c``), with ``ctx``'s streams."""
        ...

    def variables(self) -> Mapping[str, str]:
        """Shell variables (for ``help``, ``set``-style listings)."""
        ...


@dataclass
class CommandContext:
    """Everything a running command sees: its words, streams, directory and environment."""

    argv: list[str]
    stdin: InStream
    stdout: OutStream
    stderr: OutStream
    fs: VirtualFS
    system: System
    shell: ShellServices
    cwd: str = "/"
    env: dict[str, str] = field(default_factory=dict)
    #: True when stdout is the user's terminal (colour, tables, pagers are allowed).
    interactive: bool = False

    def with_stdout(self, stdout: OutStream) -> CommandContext:
        """A copy of this context writing to ``stdout`` (``dataclasses.replace``, without
        its cost: every utility call makes one)."""
        new = object.__new__(CommandContext)
        new.__dict__.update(self.__dict__)
        new.stdout = stdout
        return new

    @property
    def name(self) -> str:
        """The command's name for messages: the last component of ``argv[0]``."""
        return self.argv[0].rsplit("/", 1)[-1] if self.argv else "iommush"

    def out(self, text: str) -> int:
        """Write ``text`` to stdout in one write."""
        return self.stdout.write(text.encode("utf-8", "surrogateescape"))

    def err(self, text: str) -> None:
        """Write ``text`` to stderr (errors on stderr itself are ignored, as in C)."""
        try:
            self.stderr.write(text.encode("utf-8", "surrogateescape"))
        except OSError:
            pass

    def error(self, message: str) -> None:
        """``NAME: message`` on stderr, as coreutils prints diagnostics."""
        self.err(f"{self.name}: {message}\n")


CommandFn = Callable[[CommandContext], int]


@dataclass(frozen=True)
class CommandInfo:
    """A registered command: its function, and the text ``help`` and completion use."""

    name: str
    fn: CommandFn
    synopsis: str
    summary: str
    help: str = ""
    #: Option words offered by completion (``-l``, ``--all``...).
    options: tuple[str, ...] = ()
    #: Special builtins run in the shell process itself (``cd``, ``export``...).
    special: bool = False
    aliases: tuple[str, ...] = ()

    def resolve(self) -> CommandInfo:
        """The command as its module registers it: a :class:`LazyCommand` is loaded
        (``help`` and ``man`` want the full text; a call goes through it anyway)."""
        fn = self.fn
        return fn.info() if isinstance(fn, LazyCommand) else self


class LazyCommand:
    """A command whose module is imported on its first call, or when its help is asked
    for: a one-line ``iommush -c`` imports only the utilities it runs.

    ``load`` returns the :class:`CommandInfo` the module registers; the table's lazy entry
    carries the same name, synopsis, summary and options (a test keeps them equal).
    """

    __slots__ = ("_load", "_info")

    def __init__(self, load: Callable[[], CommandInfo]) -> None:
        self._load = load
        self._info: CommandInfo | None = None

    def info(self) -> CommandInfo:
        """The loaded command (imported once)."""
        if self._info is None:
            self._info = self._load()
        return self._info

    def __call__(self, ctx: CommandContext) -> int:
        return self.info().fn(ctx)


class CommandTable:
    """The registry of commands one shell has (not a module global: tests build their own)."""

    def __init__(self) -> None:
        self._by_name: dict[str, CommandInfo] = {}

    def command(
        self,
        name: str,
        *,
        synopsis: str,
        summary: str,
        help: str = "",
        options: tuple[str, ...] = (),
        special: bool = False,
        aliases: tuple[str, ...] = (),
    ) -> Callable[[CommandFn], CommandFn]:
        """Decorator: register ``fn`` as command ``name`` (and its aliases)."""

        def register(fn: CommandFn) -> CommandFn:
            info = CommandInfo(name, fn, synopsis, summary, help, options, special, aliases)
            for n in (name, *aliases):
                self._by_name[n] = info
            return fn

        return register

    def lazy(
        self,
        name: str,
        load: Callable[[], CommandInfo],
        *,
        synopsis: str,
        summary: str,
        options: tuple[str, ...] = (),
        aliases: tuple[str, ...] = (),
    ) -> None:
        """Register command ``name`` whose module ``load`` imports on first use."""
        self.add(
            CommandInfo(name, LazyCommand(load), synopsis, summary, "", options, False, aliases)
        )

    def lazy_function(
        self,
        name: str,
        target: str,
        *,
        synopsis: str,
        summary: str,
        options: tuple[str, ...] = (),
        help_from: str | None = None,
    ) -> None:
        """Register command ``name`` as the function ``target`` (``"package.module:fn"``),
        imported on first use; its help is the function's docstring, or the string
        ``help_from`` names the same way."""

        def load() -> CommandInfo:
            fn = _import_attr(target)
            text = _import_attr(help_from) if help_from else fn.__doc__
            return CommandInfo(name, fn, synopsis, summary, text or "", options)

        self.lazy(name, load, synopsis=synopsis, summary=summary, options=options)

    def add(self, info: CommandInfo) -> None:
        """Register an already-built :class:`CommandInfo`."""
        for n in (info.name, *info.aliases):
            self._by_name[n] = info

    def update(self, other: CommandTable) -> None:
        """Take every command of ``other`` (later tables win)."""
        self._by_name.update(other._by_name)

    def get(self, name: str) -> CommandInfo | None:
        """The command called ``name`` (``/usr/bin/ls`` finds ``ls``), or None."""
        return self._by_name.get(name)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    def __iter__(self) -> Iterator[CommandInfo]:
        seen: set[str] = set()
        for info in sorted(self._by_name.values(), key=lambda i: i.name):
            if info.name not in seen:
                seen.add(info.name)
                yield info

    def names(self) -> list[str]:
        """Every name and alias, sorted."""
        return sorted(self._by_name)


def _import_attr(target: str) -> Any:
    """The attribute ``"package.module:name"`` names (the module imported if need be)."""
    module, _, attr = target.partition(":")
    return getattr(importlib.import_module(module), attr)
