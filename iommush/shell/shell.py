"""The public face of the shell language: :class:`Shell`.

>>> from iommush.vfs import VirtualFS, Dir
>>> class Sys:
...     fs = VirtualFS()
>>> import io
>>> out = io.BytesIO()
>>> sh = Shell(Sys(), stdout=out, stderr=io.BytesIO(), stdin=io.BytesIO())
>>> sh.run('x=world; echo "hello $x"')
0
>>> out.getvalue()
b'hello world\\n'
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from .builtins import builtins
from .command import CommandTable, InStream, OutStream
from .errors import ExitShell, Incomplete, ShellSyntaxError
from .interp import Interp
from .lexer import Lexer
from .parser import Parser
from .state import EXPORT, ShellState, Var
from .streams import FdTable, HostIn, HostOut

if TYPE_CHECKING:
    from .system import System

__all__ = ["Incomplete", "Shell", "default_commands"]


def default_commands() -> CommandTable:
    """The utilities (``ls``, ``cat``...) if installed, under the shell's builtins."""
    table = CommandTable()
    try:
        from .commands import utilities
    except ImportError:
        pass
    else:
        table.update(utilities())
    return table


class Shell:
    """One shell process over a :class:`~iommush.shell.system.System`.

    ``run`` executes a whole source text, ``feed_line`` takes input line by line (piped
    stdin, the REPL) and returns None while a command is incomplete. Nothing raises:
    errors are printed as bash prints them and show in the returned status.
    """

    def __init__(
        self,
        system: System,
        *,
        commands: CommandTable | None = None,
        stdin: InStream | None = None,
        stdout: OutStream | None = None,
        stderr: OutStream | None = None,
        argv0: str = "iommush",
        args: list[str] | None = None,
        env: Mapping[str, str] | None = None,
        interactive: bool = False,
        cwd: str = "/root",
    ) -> None:
        table = CommandTable()
        table.update(commands if commands is not None else default_commands())
        table.update(builtins())
        self.table = table
        self.system = system
        state = ShellState()
        state.argv0 = argv0
        state.positional = list(args or [])
        if env is None:
            env = {
                "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                "HOME": "/root",
                "USER": "root",
                "LOGNAME": "root",
                "SHELL": "/bin/bash",
                "TERM": os.environ.get("TERM", "dumb") if interactive else "dumb",
                "LANG": "C.UTF-8",
            }
        for name, value in env.items():
            state.globals[name] = Var(value, EXPORT)
        try:
            system.fs.resolve(cwd)
        except OSError:
            cwd = "/"
        state.cwd = cwd
        state.globals["PWD"] = Var(cwd, EXPORT)
        state.globals.setdefault("IFS", Var(" \t\n"))
        state.globals.setdefault("OPTIND", Var("1"))
        state.globals.setdefault("PS4", Var("+ "))
        out = HostOut(stdout if stdout is not None else sys.stdout.buffer)
        state.fds = FdTable(
            {
                0: HostIn(stdin if stdin is not None else sys.stdin.buffer),
                1: out,
                2: HostOut(stderr if stderr is not None else sys.stderr.buffer),
            }
        )
        if interactive:
            state.options.add("history")
        self.interp = Interp(system, table, state, interactive=interactive)
        self.interp.host_stdout = out
        self.interactive = interactive
        self.exited = False
        self.exit_status = 0
        self._pending: list[str] = []
        self._line = 1
        self._closed = False
        #: Called after every top-level ``run`` with the source and its status (the
        #: teaching layer's session log uses it for ``undo``, ``save`` and lessons).
        self.after_command: Callable[[str, int], None] | None = None

    @property
    def explain(self) -> bool:
        """Whether refused writes are followed by a hint (``--explain``)."""
        return self.interp.explain

    @explain.setter
    def explain(self, on: bool) -> None:
        self.interp.explain = on

    @property
    def write_hint(self) -> Callable[[str, bytes, int, str], str | None] | None:
        """The function that explains a refused write: (path, data, errno, cwd)."""
        return self.interp.write_hint

    @write_hint.setter
    def write_hint(self, fn: Callable[[str, bytes, int, str], str | None] | None) -> None:
        self.interp.write_hint = fn

    # -- properties ------------------------------------------------------------------
    @property
    def last_status(self) -> int:
        return self.interp.last_status

    @property
    def cwd(self) -> str:
        return self.interp.state.cwd

    @property
    def vars(self) -> dict[str, str]:
        """Every visible variable's scalar value."""
        return self.interp.variables()

    @property
    def history(self) -> list[str]:
        return self.interp.history

    # -- running -----------------------------------------------------------------------
    def run(self, source: str, *, filename: str | None = None, line: int = 1) -> int:
        """Run ``source``. ``filename`` names a script (``FILE: line N:`` messages), or
        ``"-c"`` for ``iommush -c``."""
        if self.exited:
            return self.exit_status
        interp = self.interp
        saved = interp.script
        prefix = None
        if filename == "-c":
            prefix = "iommush: -c: "
        elif filename is not None:
            interp.script = filename
        try:
            status = interp.run_source(source, line=line, syntax_prefix=prefix)
        except ExitShell as e:
            status = e.status
            self.exited = True
            self.exit_status = status
        except RecursionError:
            interp.write_err("iommush: internal error: nesting too deep; please report it\n")
            status = 70
        except Exception as exc:  # noqa: BLE001 - never a traceback
            interp.write_err(
                f"iommush: internal error: {type(exc).__name__}: {exc}; please report it\n"
            )
            status = 70
        finally:
            interp.script = saved
        interp.last_status = status
        if self.exited:
            self.exit_status = status
        if self.after_command is not None:
            self.after_command(source, status)
        return status

    def run_file(self, path: str, args: list[str]) -> int:
        """Run the script at ``path`` in the virtual tree with ``args`` as ``$1...``."""
        st = self.interp.state
        try:
            data = self.system.fs.read_bytes(path, st.cwd)
        except OSError as exc:
            self.interp.write_err(f"iommush: {path}: {exc.strerror}\n")
            self.interp.last_status = 127
            return 127
        st.argv0 = path
        st.positional = list(args)
        return self.run(data.decode("utf-8", "surrogateescape"), filename=path)

    def feed_line(self, line: str) -> int | None:
        """Add one line of input; None while the command is incomplete, else its status."""
        self._pending.append(line if line.endswith("\n") else line + "\n")
        source = "".join(self._pending)
        if not self.is_complete(source):
            return None
        self._pending.clear()
        first = self._line
        self._line += source.count("\n")
        if self.interactive and source.strip():
            self.interp.history.append(source.rstrip("\n"))
        return self.run(source, line=first)

    @property
    def pending(self) -> bool:
        """True while ``feed_line`` holds an incomplete command."""
        return bool(self._pending)

    def finish(self) -> int | None:
        """At end of input: run what ``feed_line`` still holds (reporting the syntax error
        an unfinished command is), or None if nothing is pending."""
        if not self._pending:
            return None
        source = "".join(self._pending)
        self._pending.clear()
        first = self._line
        self._line += source.count("\n")
        return self.run(source, line=first)

    @staticmethod
    def is_complete(source: str) -> bool:
        """False if ``source`` ends inside a command (needs a continuation line)."""
        try:
            Parser(Lexer(source, final=False)).parse_program()
        except Incomplete:
            return False
        except ShellSyntaxError:
            return True
        except Exception:  # noqa: BLE001 - let run() report it
            return True
        return True

    def close(self) -> int:
        """Run the EXIT trap and close every descriptor the shell holds (devices opened
        with ``exec 3<>...`` are released). Returns the final exit status."""
        if self._closed:
            return self.exit_status
        self._closed = True
        interp = self.interp
        status = self.exit_status if self.exited else interp.last_status
        trap = interp.state.traps.pop("EXIT", None)
        if trap:
            status = interp.run_trap(trap, status)
        fds = interp.state.fds
        if fds is not None:
            for n in list(fds.fds):
                try:
                    fds.close(n)
                except Exception:  # noqa: BLE001 - a release error must not escape
                    pass
        self.exit_status = status
        return status
