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

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from iommush.vfs import VirtualFS

    from .system import System

__all__ = [
    "CommandContext",
    "CommandFn",
    "CommandInfo",
    "CommandTable",
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
