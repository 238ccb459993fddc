"""The interactive loop: read a complete command, run it, repeat.

Thin on purpose (prompt_toolkit's ``sqlite-cli`` shape): Enter runs the buffer only
when :meth:`Shell.is_complete` says the source is a whole command, otherwise it
opens a continuation line (``> ``) in the same buffer, so a ``for ... done`` loop is
edited, recalled and searched as one history entry. Ctrl-C drops the buffer,
Ctrl-D on an empty line leaves with the last command's status, ``exit`` leaves with
its own. Command output is written by the shell straight to the terminal.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from string import Formatter
from typing import Any, Protocol, TextIO

from prompt_toolkit import PromptSession
from prompt_toolkit.auto_suggest import AutoSuggestFromHistory
from prompt_toolkit.enums import EditingMode
from prompt_toolkit.filters import is_searching
from prompt_toolkit.formatted_text import FormattedText, fragment_list_to_text
from prompt_toolkit.history import FileHistory, History, InMemoryHistory
from prompt_toolkit.input import Input
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent
from prompt_toolkit.output import ColorDepth, Output
from prompt_toolkit.shortcuts import CompleteStyle
from prompt_toolkit.styles import Style

from iommush.output import color_enabled
from iommush.vfs import current_cred

from .completer import ShellCompleter
from .config import ReplConfig
from .lexer import ShellLexer
from .suggest import CompletionContext

__all__ = ["Repl", "ReplShell"]

_STYLES = {
    "column": CompleteStyle.COLUMN,
    "multi-column": CompleteStyle.MULTI_COLUMN,
    "readline": CompleteStyle.READLINE_LIKE,
}


class ReplShell(Protocol):
    """What the REPL uses of :class:`iommush.shell.Shell`."""

    @property
    def last_status(self) -> int: ...

    @property
    def cwd(self) -> str: ...

    @property
    def exited(self) -> bool: ...

    @property
    def exit_status(self) -> int: ...

    @property
    def vars(self) -> Mapping[str, Any]: ...

    @property
    def table(self) -> Any: ...

    @property
    def system(self) -> Any: ...

    def run(self, source: str, *, filename: str | None = None) -> int: ...

    def is_complete(self, source: str) -> bool: ...


def _text(value: Any) -> str:
    """A shell variable's value, whether stored as text or as a variable object."""
    return value if isinstance(value, str) else str(getattr(value, "value", value))


def _machine_names() -> list[str]:
    """Built-in machine names, for ``--machine`` completion (empty if unavailable)."""
    try:
        list_machines = importlib.import_module("iommush.machine").list_machines
        names = []
        for m in list_machines():  # names, (name, description) pairs or specs
            names.append(m if isinstance(m, str) else m[0] if isinstance(m, tuple) else m.name)
        return [str(n) for n in names]
    except Exception:  # the machine package is optional for completion
        return []


class Repl:
    """One interactive session over a shell."""

    def __init__(
        self,
        shell: ReplShell,
        *,
        machine_name: str,
        kernel_release: str,
        config: ReplConfig,
        no_color: bool = False,
        input: Input | None = None,
        output: Output | None = None,
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
        environ: Mapping[str, str] | None = None,
        machines: Callable[[], list[str]] = _machine_names,
    ) -> None:
        self.shell = shell
        self.machine_name = machine_name
        self.kernel_release = kernel_release
        self.config = config
        self.color = color_enabled(no_color, environ)
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self._machines = machines
        self._machine_cache: list[str] | None = None
        self.session = self._build_session(input, output)

    # -- presentation ------------------------------------------------------------
    def _var(self, name: str, default: str = "") -> str:
        try:
            value = self.shell.vars.get(name)
        except Exception:
            return default
        return default if value is None else _text(value)

    def prompt_fields(self) -> dict[str, str]:
        """The values the prompt format can use."""
        uid = current_cred().uid
        home = self._var("HOME")
        cwd = self.shell.cwd
        if home and home != "/" and (cwd == home or cwd.startswith(home + "/")):
            cwd = "~" + cwd[len(home) :]
        return {
            "user": "root" if uid == 0 else self._var("USER") or str(uid),
            "host": self.machine_name,
            "cwd": cwd,
            "sigil": "#" if uid == 0 else "$",
            "status": str(self.shell.last_status),
            "kernel": self.kernel_release,
        }

    def prompt_message(self) -> FormattedText:
        """The prompt as styled fragments (``class:prompt.user`` and so on)."""
        fields = self.prompt_fields()
        out: list[tuple[str, str]] = []
        try:
            parsed = list(Formatter().parse(self.config.prompt_format))
        except ValueError:
            parsed = [(self.config.prompt_format, None, None, None)]
        for literal, name, _spec, _conv in parsed:
            if literal:
                out.append(("class:prompt", literal))
            if name is not None:
                out.append((f"class:prompt.{name}", fields.get(name, "{" + name + "}")))
        return FormattedText(out)

    def prompt_text(self) -> str:
        """The prompt as plain text."""
        return fragment_list_to_text(self.prompt_message())

    def continuation(self, width: int, line_number: int, is_soft_wrap: int) -> FormattedText:
        """The prompt of the second and later lines of an unfinished command."""
        return FormattedText([("class:continuation", self.config.continuation)])

    def toolbar(self) -> FormattedText:
        """The bottom line: kernel release and machine."""
        return FormattedText(
            [
                ("class:bottom-toolbar", f" Linux {self.kernel_release}"),
                ("class:bottom-toolbar", f"  machine {self.machine_name}"),
                ("class:bottom-toolbar", "   Tab: complete  help: commands  Ctrl-D: exit "),
            ]
        )

    def _style(self) -> Style:
        rules: dict[str, str] = {}
        for name, value in self.config.colors.items():
            try:
                Style.from_dict({name: value})
            except (ValueError, AssertionError):
                self.warn(f"colors.{name}: bad style {value!r} ignored")
                continue
            rules[name] = value
        if "bottom-toolbar" in rules:
            rules["bottom-toolbar"] = "noreverse " + rules["bottom-toolbar"]
        return Style.from_dict(rules)

    # -- completion ----------------------------------------------------------------
    def completion_context(self) -> CompletionContext:
        """A fresh view of the shell for one completion request."""
        if self._machine_cache is None:
            self._machine_cache = self._machines()
        system = self.shell.system
        try:
            modules = list(system.available_modules())
        except Exception:
            modules = []
        try:
            variables = {k: _text(v) for k, v in self.shell.vars.items()}
        except Exception:
            variables = {}
        table = getattr(self.shell, "table", None)
        return CompletionContext(
            fs=system.fs,
            cwd=self.shell.cwd,
            commands=list(table) if table is not None else [],
            machines=self._machine_cache,
            variables=variables,
            modules=modules,
        )

    def _is_command(self, name: str) -> bool:
        table = getattr(self.shell, "table", None)
        return table is not None and name in table

    # -- the session ---------------------------------------------------------------
    def _history(self) -> History:
        path = self.config.history_file
        if path is None:
            return InMemoryHistory()
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            Path(path).touch(mode=0o600, exist_ok=True)
        except OSError as exc:
            self.warn(f"history: {path}: {exc.strerror or exc}; keeping history in memory")
            return InMemoryHistory()
        return FileHistory(str(path))

    def _key_bindings(self) -> KeyBindings:
        kb = KeyBindings()

        @kb.add("enter", filter=~is_searching)
        def _enter(event: KeyPressEvent) -> None:
            buf = event.current_buffer
            state = buf.complete_state
            if state is not None and state.current_completion is not None:
                buf.apply_completion(state.current_completion)
                return
            if self.shell.is_complete(buf.text + "\n"):
                buf.validate_and_handle()
            else:
                buf.insert_text("\n")

        return kb

    def _build_session(self, input: Input | None, output: Output | None) -> PromptSession[str]:
        cfg = self.config
        return PromptSession(
            message=self.prompt_message,
            multiline=True,
            prompt_continuation=self.continuation,
            history=self._history(),
            auto_suggest=AutoSuggestFromHistory() if cfg.auto_suggest else None,
            completer=ShellCompleter(self.completion_context),
            complete_while_typing=cfg.complete_while_typing,
            complete_style=_STYLES[cfg.completion_style],
            lexer=ShellLexer(self._is_command) if cfg.highlight else None,
            bottom_toolbar=self.toolbar if cfg.toolbar else None,
            editing_mode=EditingMode.VI if cfg.edit_mode == "vi" else EditingMode.EMACS,
            key_bindings=self._key_bindings(),
            style=self._style(),
            include_default_pygments_style=False,
            color_depth=None if self.color else ColorDepth.DEPTH_1_BIT,
            enable_history_search=False,
            search_ignore_case=True,
            input=input,
            output=output,
        )

    def warn(self, message: str) -> None:
        """One line on stderr: ``iommush: message``."""
        self.stderr.write(f"iommush: {message}\n")
        self.stderr.flush()

    def execute(self, source: str) -> None:
        """Run one complete command; nothing the shell raises ends the session."""
        self.stdout.flush()
        try:
            self.shell.run(source)
        except KeyboardInterrupt:
            self.stdout.write("\n")
        except Exception as exc:  # a bug in a command must not end the session
            self.warn(f"internal error: {type(exc).__name__}: {exc} (please report this bug)")
        finally:
            self.stdout.flush()

    def one_iteration(self) -> bool:
        """Read and run one command; False when the session is over."""
        try:
            source = self.session.prompt()
        except KeyboardInterrupt:
            return True
        except EOFError:
            self.stdout.write("exit\n")
            return False
        if source.strip():
            self.execute(source if source.endswith("\n") else source + "\n")
        return not self.shell.exited

    def run(self) -> int:
        """The loop; returns the exit status of the session."""
        while self.one_iteration():
            pass
        self.stdout.flush()
        return self.shell.exit_status if self.shell.exited else self.shell.last_status
