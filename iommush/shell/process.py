"""Running source text: the parse-one-command-then-run loop, syntax error reports in
bash's wording, child shells for scripts and ``sh -c``, and the services commands
may ask of the shell (``xargs``/``sudo`` run a command line). Methods of
:class:`iommush.shell.interp.Interp`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from .command import CommandContext, InStream, OutStream
from .errors import BreakLoop, ContinueLoop, ExitShell, ReturnFunction, ShellSyntaxError
from .lexer import Lexer
from .parsecache import LineCache
from .parser import Parser
from .state import EXPORT, ShellState, Var
from .streams import FdTable, Stream

if TYPE_CHECKING:
    from .interp import Interp

__all__ = ["ProtoIn", "ProtoOut", "run_argv", "run_script_text", "run_source", "spawn_shell"]


class ProtoOut(Stream):
    """A command's output stream that is not one of the shell's own (a utility's buffer)."""

    writable = True

    def __init__(self, raw: OutStream) -> None:
        super().__init__()
        self.raw = raw

    def write(self, data: bytes) -> int:
        return self.raw.write(data)

    def flush(self) -> None:
        self.raw.flush()


class ProtoIn(Stream):
    readable = True

    def __init__(self, raw: InStream) -> None:
        super().__init__()
        self.raw = raw

    def read(self, size: int = -1) -> bytes:
        return self.raw.read(size)

    def readline(self) -> bytes:
        return self.raw.readline()


def run_source(
    self: Interp, source: str, *, line: int = 1, syntax_prefix: str | None = None
) -> int:
    """Parse and run ``source`` one complete command at a time. A syntax error ends a
    non-interactive shell with status 2 (ExitShell); ``exit`` raises ExitShell."""
    lexer = Lexer(source, final=True, line=line)
    parser = Parser(lexer)
    status = 0
    cached = LineCache(parser)
    while True:
        try:
            node = cached.parse_next()
        except ShellSyntaxError as exc:
            report_syntax(self, exc, source, line, syntax_prefix)
            self.last_status = 2
            if not self.interactive:
                raise ExitShell(2) from None
            return 2
        if lexer.warnings:
            for w in lexer.warnings:
                self.write_err(_syntax_prefix(self, syntax_prefix, self.lineno) + w + "\n")
            lexer.warnings.clear()
        if node is None:
            return status
        try:
            status = self.run_toplevel(node)
        except (BreakLoop, ContinueLoop):
            status = 0
        except ReturnFunction as r:
            if self.source_depth:
                raise
            status = r.status
        finally:
            if self.failed_writes:
                self.explain_failed_writes()
        self.last_status = status


def _syntax_prefix(self: Interp, override: str | None, line: int) -> str:
    if self.script is not None:
        return f"{self.script}: line {line}: "
    if override is not None:
        return f"{override}line {line}: "
    if self.interactive:
        return "iommush: "
    return f"iommush: line {line}: "


def report_syntax(
    self: Interp, exc: ShellSyntaxError, source: str, first_line: int, override: str | None
) -> None:
    """``NAME: line N: syntax error near unexpected token `X'`` plus the offending line."""
    prefix = _syntax_prefix(self, override, exc.line)
    self.write_err(prefix + exc.message + "\n")
    if self.interactive and self.script is None and override is None:
        return
    if exc.message.startswith("syntax error near"):
        lines = source.split("\n")
        idx = exc.line - first_line
        if 0 <= idx < len(lines):
            self.write_err(prefix + "`" + lines[idx].strip() + "'\n")
    elif exc.message.startswith("unexpected EOF"):
        self.write_err(
            _syntax_prefix(self, override, exc.line) + "syntax error: unexpected end of file\n"
        )


def spawn_shell(
    self: Interp,
    source: str,
    argv0: str,
    args: list[str],
    *,
    script: str | None = None,
    errexit: bool = False,
    syntax_prefix: str | None = None,
) -> int:
    """Run ``source`` in a new shell process (a script, ``sh -c``): it inherits the
    environment, the directory and the open files, nothing else."""
    from .interp import Interp

    state = ShellState()
    for name, value in self.state.environ().items():
        state.globals[name] = Var(value, EXPORT)
    state.cwd = self.state.cwd
    state.argv0 = argv0
    state.positional = list(args)
    assert self.state.fds is not None
    state.fds = self.state.fds.copy()
    if errexit:
        state.options.add("errexit")
    child = Interp(
        self.system,
        self.table,
        state,
        interactive=False,
        script=script,
        pids=self.pids,
        ppid=self.bashpid,
    )
    child.host_stdout = self.host_stdout
    child.history = self.history
    child.explain = self.explain
    child.write_hint = self.write_hint
    child.depth = self.depth + 1
    if child.depth > 40:
        self.report(f"{argv0}: maximum nesting level exceeded")
        state.fds.close_all()
        return 126
    status = 0
    try:
        status = run_source(child, source, syntax_prefix=syntax_prefix)
    except ExitShell as e:
        status = e.status
    finally:
        trap = state.traps.pop("EXIT", None)
        if trap:
            status = child.run_trap(trap, status)
        state.fds.close_all()
    return status


def _ctx_fds(self: Interp, ctx: CommandContext) -> FdTable:
    fds = self.fds.copy()
    fds.set(0, ctx.stdin if isinstance(ctx.stdin, Stream) else ProtoIn(ctx.stdin))
    for n, s in ((1, ctx.stdout), (2, ctx.stderr)):
        fds.set(n, s if isinstance(s, Stream) else ProtoOut(s))
    return fds


def run_argv(self: Interp, ctx: CommandContext, argv: list[str]) -> int:
    """``ShellServices.run_argv``: run a command line as a child process would (no shell
    functions), with ``ctx``'s streams and directory. 127 (no message) if not found."""
    from .simple import _path_search, run_command_argv

    if not argv:
        return 0
    name = argv[0]
    if "/" not in name and name not in self.table and _path_search(self, name) is None:
        return 127

    def body() -> int:
        self.state.fds = _replace_fds(self, ctx)
        self.state.cwd = ctx.cwd
        return run_command_argv(self, argv, functions=False)

    return self.subshell(body)


def _replace_fds(self: Interp, ctx: CommandContext) -> FdTable:
    new = _ctx_fds(self, ctx)
    if self.state.fds is not None:
        self.state.fds.close_all()
    return new


def run_script_text(self: Interp, ctx: CommandContext, source: str, args: list[str]) -> int:
    """``ShellServices.run_script_text``: ``sh -c SOURCE ARGS`` with ``ctx``'s streams."""
    saved = self.state.fds
    self.state.fds = _ctx_fds(self, ctx)
    try:
        argv0 = args[0] if args else "iommush"
        return spawn_shell(self, source, argv0, args[1:], syntax_prefix="iommush: -c: ")
    finally:
        assert self.state.fds is not None
        self.state.fds.close_all()
        self.state.fds = saved


def variables(self: Interp) -> Mapping[str, str]:
    return self.variables()
