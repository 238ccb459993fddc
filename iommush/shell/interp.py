"""The interpreter: runs syntax trees against the shell state, the command table and
the virtual filesystem.

Pipelines run their stages one after another with in-memory buffers between them;
every stage but a plain utility runs in a subshell (a copy of the state), so variable
changes do not leak, as with bash's forked pipeline stages.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from . import pattern as pat
from . import process, simple
from .ast import (
    AndOr,
    ArithCmd,
    ArithFor,
    BraceGroup,
    Case,
    CmdSub,
    Command,
    DBracket,
    For,
    FuncDef,
    If,
    Pipeline,
    Seq,
    Simple,
    Subshell,
    While,
)
from .cond import eval_cond
from .errors import (
    BreakLoop,
    ContinueLoop,
    ExitShell,
    ExpansionError,
    ReturnFunction,
)
from .expand import Expander, shell_quote
from .redirect import RedirectError, Redirector
from .state import EXPORT, PidAllocator, ShellState, Var, VarError
from .streams import BufferOut, BytesIn, Stream

if TYPE_CHECKING:
    from iommush.vfs import VirtualFS

    from .command import CommandTable
    from .system import System

__all__ = ["Interp"]

MAX_FUNC_DEPTH = 150
_STD_BIN = ("/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin")


class Interp(Expander, Redirector):
    """Executes commands. One ``Interp`` per shell process (a child shell running a
    script gets its own); subshells swap ``state`` for a copy."""

    def __init__(
        self,
        system: System,
        table: CommandTable,
        state: ShellState,
        *,
        interactive: bool = False,
        script: str | None = None,
        pids: PidAllocator | None = None,
        ppid: int | None = None,
    ) -> None:
        self.system = system
        self.fs: VirtualFS = system.fs
        self.table = table
        self.state = state
        self.interactive = interactive
        #: The script's name for ``NAME: line N:`` messages (None: ``iommush:``).
        self.script = script
        self.lineno = 0
        self.last_status = 0
        self.pipestatus: list[int] = [0]
        self.suppress_errexit = 0
        self.loop_depth = 0
        self.func_depth = 0
        self.source_depth = 0
        self.andor_final = True
        self.cmdsub_status: int | None = None
        self.started = time.monotonic()
        self.history: list[str] = []
        self.host_stdout: Stream | None = None
        self.last_bg = ""
        #: Writes to redirected files that the kernel refused since the last top-level
        #: command: (path, data, errno, cwd).
        self.failed_writes: list[tuple[str, bytes, int, str]] = []
        #: Explains a refused write (``hint: ...`` on stderr) when :attr:`explain` is on;
        #: the CLI connects the teaching layer here.
        self.write_hint: Callable[[str, bytes, int, str], str | None] | None = None
        self.explain = False
        #: How many shells (scripts, ``sh -c``) this one runs inside.
        self.depth = 0
        #: ``$$`` (this shell), ``BASHPID`` (this subshell) and ``PPID``.
        self.pids = pids if pids is not None else PidAllocator()
        self.pid = self.bashpid = self.pids.last if pids is None else self.pids.allocate()
        self.ppid = ppid if ppid is not None else self.pid - 1
        #: True while the ERR trap runs (it does not trigger itself).
        self.in_err_trap = False
        #: The file mode creation mask (``umask``).
        self.umask = 0o022
        #: ``getopts``' place inside a word of grouped options, and the OPTIND it is for.
        self.getopts_pos = 1
        self.getopts_ind: int | None = None
        self._dispatch: dict[type, Any] = {
            Simple: self.exec_simple,
            Pipeline: self.exec_pipeline,
            AndOr: self.exec_andor,
            Seq: self.exec_seq,
            BraceGroup: self.exec_brace,
            Subshell: self.exec_subshell,
            If: self.exec_if,
            For: self.exec_for,
            ArithFor: self.exec_arith_for,
            While: self.exec_while,
            Case: self.exec_case,
            FuncDef: self.exec_funcdef,
            DBracket: self.exec_dbracket,
            ArithCmd: self.exec_arith,
        }

    # -- messages --------------------------------------------------------------------
    def prefix(self) -> str:
        """``iommush: `` or, in a script, ``SCRIPT: line N: ``."""
        if self.script is not None:
            return f"{self.script}: line {self.lineno}: "
        return "iommush: "

    def report(self, message: str) -> None:
        """Print one diagnostic line on the shell's stderr."""
        self.write_err(f"{self.prefix()}{message}\n")

    def explain_failed_writes(self) -> None:
        """After a top-level command: the hints for the writes it had refused."""
        failed, self.failed_writes = self.failed_writes, []
        if not self.explain or self.write_hint is None:
            return
        for path, data, err, cwd in failed:
            hint = self.write_hint(path, data, err, cwd)
            if hint:
                self.write_err(f"hint: {hint}\n")

    def write_err(self, text: str) -> None:
        err = self.fds.get(2)
        if err is not None:
            try:
                err.write(text.encode("utf-8", "surrogateescape"))
            except OSError:
                pass

    # -- entry points ----------------------------------------------------------------
    def execute(self, node: Command) -> int:
        """Run ``node``; returns its status (control flow raises)."""
        status: int = self._dispatch[type(node)](node)
        self.last_status = status
        return status

    def run_toplevel(self, node: Command) -> int:
        """Run one complete command; then the ERR trap and ``set -e`` if it failed."""
        status = self.execute(node)
        if status:
            self._errexit(node, status)
        return status

    def _errexit(self, node: Command, status: int) -> None:
        """After ``node`` failed: run the ERR trap, then exit under ``set -e``, where
        bash does (not in a condition, not before ``&&``/``||``, not for a compound
        command whose failing part already counted). As in bash, the ERR trap is not
        run inside functions and subshells unless ``set -E`` (errtrace) is on."""
        if self.suppress_errexit:
            return
        t = type(node)
        if t is AndOr and not self.andor_final:
            return
        if isinstance(node, Pipeline) and node.negate:
            return
        if t in (If, While, For, ArithFor, Case, BraceGroup, FuncDef, Seq):
            return
        st = self.state
        trap = st.traps.get("ERR")
        if trap and not self.in_err_trap and (not self.func_depth or "errtrace" in st.options):
            self.in_err_trap = True
            try:
                self.run_trap(trap, status)
            finally:
                self.in_err_trap = False
            self.last_status = status
        if "errexit" in st.options:
            raise ExitShell(status)

    # -- lists -----------------------------------------------------------------------
    def exec_seq(self, node: Seq) -> int:
        status = 0
        for item in node.items:
            status = self.execute(item)
            if status:
                self._errexit(item, status)
        return status

    def exec_andor(self, node: AndOr) -> int:
        self.suppress_errexit += 1
        try:
            status = self.execute(node.first)
        finally:
            self.suppress_errexit -= 1
        n = len(node.rest)
        final = n == 0
        for i, (op, cmd) in enumerate(node.rest):
            if (op == "&&") != (status == 0):
                final = False
                continue
            last = i == n - 1
            if not last:
                self.suppress_errexit += 1
            try:
                status = self.execute(cmd)
            finally:
                if not last:
                    self.suppress_errexit -= 1
            final = last
        self.andor_final = final
        return status

    def exec_pipeline(self, node: Pipeline) -> int:
        cmds = node.cmds
        if len(cmds) == 1:
            self.suppress_errexit += node.negate
            try:
                status = self.execute(cmds[0])
            finally:
                self.suppress_errexit -= node.negate
            self.pipestatus = [status]
        else:
            statuses: list[int] = []
            data: bytes | None = None
            for i, cmd in enumerate(cmds):
                last = i == len(cmds) - 1
                out = None if last else BufferOut()
                both = not last and node.stderr_too[i]
                stdin = BytesIn(data) if data is not None else None
                statuses.append(self.run_stage(cmd, stdin, out, both))
                data = bytes(out.data) if out is not None else None
            self.pipestatus = statuses
            status = statuses[-1]
            if "pipefail" in self.state.options:
                for s in statuses:
                    if s:
                        status = s
        if node.negate:
            status = int(status == 0)
        return status

    def run_stage(
        self, cmd: Command, stdin: Stream | None, stdout: Stream | None, both: bool
    ) -> int:
        """One pipeline stage, in a subshell unless it is a plain utility call."""
        if self._is_plain_utility(cmd):
            fds = self.fds
            saved = []
            for fd, s in ((0, stdin), (1, stdout), (2, stdout if both else None)):
                if s is not None:
                    old = fds.get(fd)
                    if old is not None:
                        old.refs += 1
                    saved.append((fd, old))
                    fds.set(fd, s)
            try:
                return self.execute(cmd)
            finally:
                self.undo_redirs(saved)

        def body() -> int:
            fds = self.fds
            if stdin is not None:
                fds.set(0, stdin)
            if stdout is not None:
                fds.set(1, stdout)
                if both:
                    fds.set(2, stdout)
            return self.execute(cmd)

        return self.subshell(body)

    def _is_plain_utility(self, cmd: Command) -> bool:
        if type(cmd) is not Simple or not cmd.words:
            return False
        name = cmd.words[0].static
        if name is None or name in self.state.funcs:
            return False
        info = self.table.get(name)
        return info is not None and not info.special

    def subshell(self, body: Any) -> int:
        """Run ``body()`` in a copy of the state (``( ... )``, ``$( ... )``, pipes)."""
        saved = self.state
        saved_flags = (self.loop_depth, self.func_depth, self.suppress_errexit)
        saved_bashpid = self.bashpid
        self.bashpid = self.pids.allocate()
        child = saved.clone()
        self.state = child
        status = 0
        try:
            try:
                status = body()
            except ExitShell as e:
                status = e.status
            except ReturnFunction as r:
                status = r.status
            except (BreakLoop, ContinueLoop):
                status = 0
            trap = child.traps.get("EXIT")
            if trap:
                child.traps.pop("EXIT", None)
                status = self.run_trap(trap, status)
        finally:
            if child.fds is not None:
                child.fds.close_all()
            self.state = saved
            self.bashpid = saved_bashpid
            self.loop_depth, self.func_depth, self.suppress_errexit = saved_flags
        return status

    def run_trap(self, source: str, status: int) -> int:
        """Run trap text; ``$?`` in it is ``status``; returns the resulting exit status."""
        from .lexer import Lexer
        from .parser import Parser

        self.last_status = status
        try:
            parser = Parser(Lexer(source, line=self.lineno))
            while True:
                node = parser.parse_next()
                if node is None:
                    break
                self.execute(node)
        except ExitShell as e:
            return e.status
        except Exception:  # noqa: BLE001 - a broken trap must not break exit
            pass
        return status

    def command_substitution(self, node: CmdSub) -> str:
        """``$(...)``: run in a subshell, capture stdout, strip trailing newlines."""
        if node.file is not None:
            path = self.expand_word(node.file)
            try:
                data = self.fs.read_bytes(path, self.state.cwd)
            except OSError as exc:
                self.report(f"{path}: {exc.strerror}")
                self.cmdsub_status = 1
                return ""
            self.cmdsub_status = 0
            return data.decode("utf-8", "surrogateescape").rstrip("\n")
        if node.body is None:
            self.cmdsub_status = 0
            return ""
        buf = BufferOut()
        body = node.body

        def run() -> int:
            self.fds.set(1, buf)
            return self.execute(body)

        self.cmdsub_status = self.subshell(run)
        return buf.data.decode("utf-8", "surrogateescape").rstrip("\n")

    # -- compound commands ---------------------------------------------------------
    def _with_redirs(self, node: Any, run: Any) -> int:
        if not node.redirs:
            return run()
        try:
            saved = self.apply_redirs(node.redirs)
        except (RedirectError, ExpansionError) as exc:
            self.report(str(exc) if isinstance(exc, RedirectError) else exc.message)
            return 1
        try:
            return run()
        finally:
            self.undo_redirs(saved)

    def exec_brace(self, node: BraceGroup) -> int:
        return self._with_redirs(node, lambda: self.exec_seq(node.body))

    def exec_subshell(self, node: Subshell) -> int:
        return self._with_redirs(node, lambda: self.subshell(lambda: self.exec_seq(node.body)))

    def _cond(self, seq: Seq) -> int:
        self.suppress_errexit += 1
        try:
            return self.exec_seq(seq)
        finally:
            self.suppress_errexit -= 1

    def exec_if(self, node: If) -> int:
        def run() -> int:
            for cond, body in node.arms:
                if self._cond(cond) == 0:
                    return self.exec_seq(body)
            if node.orelse is not None:
                return self.exec_seq(node.orelse)
            return 0

        return self._with_redirs(node, run)

    def _loop_body(self, body: Seq) -> tuple[int, str]:
        """Run a loop body; returns (status, "" | "break" | "continue")."""
        try:
            return self.exec_seq(body), ""
        except BreakLoop as b:
            if b.levels > 1:
                b.levels -= 1
                raise
            return 0, "break"
        except ContinueLoop as c:
            if c.levels > 1:
                c.levels -= 1
                raise
            return 0, "continue"

    def exec_while(self, node: While) -> int:
        def run() -> int:
            status = 0
            self.loop_depth += 1
            try:
                while True:
                    c = self._cond(node.cond)
                    if (c == 0) == node.until:
                        break
                    status, flow = self._loop_body(node.body)
                    if flow == "break":
                        break
            finally:
                self.loop_depth -= 1
            return status

        return self._with_redirs(node, run)

    def exec_for(self, node: For) -> int:
        def run() -> int:
            self.lineno = node.line
            if node.words is None:
                items = list(self.state.positional)
            else:
                try:
                    items = self.expand_words(node.words)
                except ExpansionError as exc:
                    return self.expansion_failed(exc)
            status = 0
            self.loop_depth += 1
            try:
                for item in items:
                    try:
                        self.state.set(node.var, item)
                    except VarError as exc:
                        self.report(exc.message)
                        return 1
                    status, flow = self._loop_body(node.body)
                    if flow == "break":
                        break
            finally:
                self.loop_depth -= 1
            return status

        return self._with_redirs(node, run)

    def exec_arith_for(self, node: ArithFor) -> int:
        def run() -> int:
            self.lineno = node.line
            status = 0
            self.loop_depth += 1
            try:
                if node.init is not None:
                    self.eval_arith(node.init)
                while node.cond is None or self.eval_arith(node.cond) != 0:
                    status, flow = self._loop_body(node.body)
                    if flow == "break":
                        break
                    if node.step is not None:
                        self.eval_arith(node.step)
            except ExpansionError as exc:
                return self.expansion_failed(exc, "((: ")
            finally:
                self.loop_depth -= 1
            return status

        return self._with_redirs(node, run)

    def exec_case(self, node: Case) -> int:
        def run() -> int:
            self.lineno = node.line
            try:
                word = self.expand_word(node.word)
                status = 0
                arms = node.arms
                i = 0
                while i < len(arms):
                    arm = arms[i]
                    if any(pat.match(self.expand_pattern(p), word) for p in arm.patterns):
                        while True:
                            status = self.exec_seq(arm.body) if arm.body else 0
                            if arm.term == ";&" and i + 1 < len(arms):
                                i += 1
                                arm = arms[i]
                                continue
                            break
                        if arm.term != ";;&":
                            return status
                    i += 1
                return status
            except ExpansionError as exc:
                return self.expansion_failed(exc)

        return self._with_redirs(node, run)

    def exec_funcdef(self, node: FuncDef) -> int:
        self.state.funcs[node.name] = node
        return 0

    def exec_dbracket(self, node: DBracket) -> int:
        def run() -> int:
            self.lineno = node.line
            if "xtrace" in self.state.options:
                self.write_err(self._ps4() + "[[ ... ]]\n")
            try:
                return eval_cond(self, node.expr)
            except ExpansionError as exc:
                return self.expansion_failed(exc, "[[: ")

        return self._with_redirs(node, run)

    def exec_arith(self, node: ArithCmd) -> int:
        def run() -> int:
            self.lineno = node.line
            try:
                text = self.expand_word(node.expr)
                if "xtrace" in self.state.options:
                    self.write_err(self._ps4() + f"(( {text} ))\n")
                return 0 if self.arith_text(text) != 0 else 1
            except ExpansionError as exc:
                return self.expansion_failed(exc, "((: ")

        return self._with_redirs(node, run)

    def expansion_failed(self, exc: ExpansionError, context: str = "") -> int:
        """Report an expansion error. In a word (``context`` empty) it ends a
        non-interactive shell, as in bash; in ``((``, ``[[`` or ``let`` it is status 1."""
        if exc.message:
            self.report(context + exc.message)
        if not context and not self.interactive:
            raise ExitShell(exc.status)
        return exc.status

    def _ps4(self) -> str:
        ps4 = self.state.get("PS4")
        return "+ " if ps4 is None else ps4

    # -- simple commands and running source (defined in simple.py and process.py) ------
    exec_simple = simple.exec_simple
    do_assignments = simple.do_assignments
    run_command_argv = simple.run_command_argv
    call_function = simple.call_function
    run_script_file = simple.run_script_file
    find_command = simple.find_command
    special_param = simple.special_param
    run_source = process.run_source
    spawn_shell = process.spawn_shell
    run_argv = process.run_argv
    run_script_text = process.run_script_text

    def xtrace(self, assigns: list[str], argv: list[str]) -> None:
        words = [*assigns, *(shell_quote(a) for a in argv)]
        self.write_err(self._ps4() + " ".join(words) + "\n")

    def export_env(self) -> dict[str, str]:
        return self.state.environ()

    def variables(self) -> dict[str, str]:
        """Scalar values of every visible variable."""
        out: dict[str, str] = {}
        for name in self.state.all_names():
            v = self.state.lookup(name)
            if v is not None:
                s = v.scalar()
                if s is not None:
                    out[name] = s
        return out

    def set_exported(self, name: str, value: str) -> None:
        self.state.globals[name] = Var(value, EXPORT)
        self.state.env_cache = None
