"""Simple commands: assignments, command lookup (functions, builtins, utilities,
scripts in the virtual tree found by path or ``$PATH``), running them, functions,
and child shells for scripts. These functions are methods of
:class:`iommush.shell.interp.Interp`.
"""

from __future__ import annotations

import posixpath
from typing import TYPE_CHECKING

from iommush.vfs import as_task

from .ast import Assign, FuncDef, Simple
from .command import CommandContext, CommandInfo
from .errors import (
    BreakLoop,
    ContinueLoop,
    ExitShell,
    ExpansionError,
    ReturnFunction,
)
from .redirect import RedirectError
from .state import ASSOC, EXPORT, INTEGER, Var, VarError, array_end
from .streams import Stream

if TYPE_CHECKING:
    from .interp import Interp

__all__ = [
    "call_function",
    "do_assignments",
    "exec_simple",
    "find_command",
    "run_command_argv",
    "run_script_file",
    "special_param",
    "SHELL_NAMES",
]

SHELL_NAMES = frozenset(["sh", "bash", "dash", "ash", "iommush", "ksh"])
_STD_BIN = ("/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/local/bin", "/usr/local/sbin")


class _Closed(Stream):
    """A closed descriptor (``>&-``): every operation fails with EBADF."""


_CLOSED = _Closed()


def exec_simple(self: Interp, node: Simple) -> int:
    self.lineno = node.line
    self.cmdsub_status = None
    try:
        argv = self.expand_words(node.words) if node.decl is None else _expand_decl(self, node)
    except ExpansionError as exc:
        return self.expansion_failed(exc)
    if not argv:
        try:
            _, done = do_assignments(self, node.assigns, temp=False)
        except ExpansionError as exc:
            return self.expansion_failed(exc)
        if "xtrace" in self.state.options and done:
            self.xtrace(done, [])
        status = self.cmdsub_status or 0
        if node.redirs:
            try:
                self.undo_redirs(self.apply_redirs(node.redirs))
            except (RedirectError, ExpansionError) as exc:
                self.report(str(exc) if isinstance(exc, RedirectError) else exc.message)
                return 1
        return status
    saved_vars = None
    if node.assigns:
        try:
            saved_vars, _ = do_assignments(self, node.assigns, temp=True)
        except ExpansionError as exc:
            return self.expansion_failed(exc)
    try:
        if "xtrace" in self.state.options:
            self.xtrace([a.raw for a in node.assigns], argv)
        if argv[0] == "exec" and len(argv) == 1:
            try:
                self.apply_redirs(node.redirs, permanent=True)
            except (RedirectError, ExpansionError) as exc:
                self.report(str(exc) if isinstance(exc, RedirectError) else exc.message)
                return 1
            return 0
        if node.redirs:
            try:
                saved = self.apply_redirs(node.redirs)
            except (RedirectError, ExpansionError) as exc:
                self.report(str(exc) if isinstance(exc, RedirectError) else exc.message)
                return 1
            try:
                return run_command_argv(self, argv, functions=True)
            finally:
                self.undo_redirs(saved)
        return run_command_argv(self, argv, functions=True)
    finally:
        if saved_vars is not None:
            _restore_vars(self, saved_vars)


def _expand_decl(self: Interp, node: Simple) -> list[str]:
    """Words of ``declare``/``local``/``export``...: assignments are not split."""
    from .expand import shell_quote

    assert node.decl is not None
    out: list[str] = []
    for i, w in enumerate(node.words):
        a = node.decl.get(i)
        if a is None:
            out.extend(self.expand_words([w]))
            continue
        prefix = a.name + ("[" + self.expand_word(a.index) + "]" if a.index else "") + a.op
        if a.array is not None:
            items = []
            for key, val in a.array:
                vals = self.expand_words([val])
                if key is not None:
                    items.append(f"[{self.expand_word(key)}]=" + shell_quote(" ".join(vals)))
                else:
                    items.extend(shell_quote(v) for v in vals)
            out.append(prefix + "(" + " ".join(items) + ")")
        else:
            assert a.value is not None
            out.append(prefix + self.expand_word(a.value))
    return out


def do_assignments(
    self: Interp, assigns: list[Assign], temp: bool
) -> tuple[list[tuple[str, Var | None]], list[str]]:
    """Perform ``assigns``; returns what to restore (filled with ``temp``, which also
    exports them) and the assignments done, as ``set -x`` shows them."""
    st = self.state
    saved: list[tuple[str, Var | None]] = []
    done: list[str] = []
    for a in assigns:
        if temp:
            old = st.globals.get(a.name) if not st.scopes else st.lookup(a.name)
            saved.append((a.name, old.copy() if old is not None else None))
        try:
            if a.array is not None:
                _assign_array(self, a)
                done.append(a.raw)
                continue
            assert a.value is not None
            value = self.expand_word(a.value)
            if a.index is not None:
                var = st.lookup(a.name)
                if var is not None and var.flags & ASSOC:
                    key: str | int = self.expand_word(a.index)
                else:
                    cur = var.value if var is not None and isinstance(var.value, dict) else {}
                    key = self._index_int(a.index.raw, cur)
                st.set_element(a.name, key, value, append=a.op == "+=")
            else:
                st.set(a.name, value, append=a.op == "+=")
            if temp:
                v = st.lookup(a.name)
                if v is not None:
                    v.flags |= EXPORT
                    st.env_cache = None
            done.append(f"{a.name}{a.op}{value}")
        except VarError as exc:
            if not temp:
                raise
            self.report(exc.message)
    return saved, done


def _assign_array(self: Interp, a: Assign) -> None:
    st = self.state
    assert a.array is not None
    var = st.lookup(a.name)
    assoc = var is not None and bool(var.flags & ASSOC)
    items: dict[int | str, str] = {}
    if a.op == "+=" and var is not None and isinstance(var.value, dict):
        items = dict(var.value)
    elif a.op == "+=" and var is not None and isinstance(var.value, str):
        items = {0: var.value}
    nxt = array_end(items) if not assoc else 0
    for key, val in a.array:
        if key is not None:
            k: str | int = self.expand_word(key) if assoc else self.eval_arith(key)
            items[k] = self.expand_word(val)
            if not assoc:
                nxt = int(k) + 1
            continue
        if assoc:
            raise ExpansionError(
                f"{a.name}: {val.raw}: must use subscript when assigning associative array"
            )
        for v in self.expand_words([val]):
            items[nxt] = v
            nxt += 1
    if var is not None and var.flags & INTEGER:
        items = {k: str(self.arith_text(v)) for k, v in items.items()}
    st.set_array(a.name, items, assoc=assoc)


def _restore_vars(self: Interp, saved: list[tuple[str, Var | None]]) -> None:
    st = self.state
    for name, old in reversed(saved):
        table = st._target(name, False)
        if old is None:
            table.pop(name, None)
        else:
            table[name] = old
    st.env_cache = None


def run_command_argv(self: Interp, argv: list[str], functions: bool = True) -> int:
    """Find and run ``argv[0]``: a function, a builtin or utility, or a script."""
    name = argv[0]
    if functions:
        func = self.state.funcs.get(name)
        if func is not None:
            return call_function(self, func, argv)
    info = self.table.get(name)
    if info is not None:
        return _run_info(self, info, argv)
    if "/" in name:
        base = posixpath.basename(name)
        info = self.table.get(base)
        if info is not None and not self.fs.exists(name, self.state.cwd):
            if posixpath.dirname(posixpath.normpath(name)) in _path_dirs(self):
                return _run_info(self, info, argv)
        return run_script_file(self, name, argv)
    found = _path_search(self, name)
    if found is not None:
        return run_script_file(self, found, argv)
    self.report(f"{name}: command not found")
    return 127


def _path_dirs(self: Interp) -> tuple[str, ...]:
    path = self.state.get("PATH")
    dirs = tuple(d for d in (path or "").split(":") if d)
    return dirs + _STD_BIN


def _path_search(self: Interp, name: str) -> str | None:
    from iommush.vfs import File, access_ok, current_cred

    path = self.state.get("PATH")
    for d in (path or "").split(":"):
        candidate = posixpath.join(d or ".", name)
        try:
            node = self.fs.resolve(candidate, self.state.cwd)
        except OSError:
            continue
        if isinstance(node, File) and access_ok(node, 1, current_cred()):
            return candidate
    return None


_BUILTINS_PKG = "iommush.shell.builtins"


def _run_info(self: Interp, info: CommandInfo, argv: list[str]) -> int:
    fds = self.fds.fds
    out = fds.get(1, _CLOSED)
    ctx = CommandContext(
        argv,
        fds.get(0, _CLOSED),
        out,
        fds.get(2, _CLOSED),
        self.fs,
        self.system,
        self,
        self.state.cwd,
        dict(self.state.environ()),
        self.interactive and out is self.host_stdout,
    )
    # A shell builtin runs in the shell's own process; a utility in a child of its own
    # (the kernel sees it as ``current``: trace lines carry its comm and pid).
    if info.fn.__module__.startswith(_BUILTINS_PKG):
        task = as_task("iommush", self.bashpid)
    else:
        task = as_task(argv[0].rsplit("/", 1)[-1], self.pids.allocate())
    try:
        with task:
            status = info.fn(ctx)
    except (ExitShell, ReturnFunction, BreakLoop, ContinueLoop):
        raise
    except ExpansionError as exc:
        if exc.message:
            self.report(f"{argv[0]}: {exc.message}")
        return exc.status
    except OSError as exc:
        self.report(f"{argv[0]}: {exc.strerror or exc}")
        return 1
    except RecursionError:
        self.report(f"{argv[0]}: maximum nesting level exceeded")
        return 1
    except Exception as exc:  # noqa: BLE001 - a bug must never show a traceback
        self.write_err(
            f"iommush: internal error: {argv[0]}: {type(exc).__name__}: {exc}; please report it\n"
        )
        return 70
    return (status if isinstance(status, int) else 0) & 0xFF


def call_function(self: Interp, func: FuncDef, argv: list[str]) -> int:
    """Run a shell function with ``argv[1:]`` as its positional parameters."""
    st = self.state
    if self.func_depth >= 150:
        self.report(f"{func.name}: maximum function nesting level exceeded ({self.func_depth})")
        raise ExitShell(1) if not self.interactive else ExpansionError("", 1)
    saved_pos = st.positional
    st.positional = argv[1:]
    st.scopes.append({})
    st.funcnames.insert(0, func.name)
    self.func_depth += 1
    saved_loop = self.loop_depth
    saved_line = self.lineno
    self.loop_depth = 0
    try:
        return self.execute(func.body)
    except ReturnFunction as r:
        return r.status
    finally:
        self.func_depth -= 1
        self.loop_depth = saved_loop
        self.lineno = saved_line
        st.funcnames.pop(0)
        scope = st.scopes.pop()
        if any(v.flags & EXPORT for v in scope.values()):
            st.env_cache = None
        st.positional = saved_pos


def run_script_file(self: Interp, path: str, argv: list[str]) -> int:
    """Run an executable file of the virtual tree: a shell script (``#!/bin/sh``,
    ``#!/bin/bash``, ``#!/usr/bin/env iommush``, or no ``#!`` line) in a child shell,
    or ``#!/path/CMD ARG`` through the command ``CMD``."""
    from iommush.vfs import Dir, access_ok, current_cred

    fs = self.fs
    try:
        node = fs.resolve(path, self.state.cwd)
    except OSError as exc:
        self.report(f"{path}: {exc.strerror}")
        return 127
    if isinstance(node, Dir):
        self.report(f"{path}: Is a directory")
        return 126
    if not access_ok(node, 1, current_cred()):
        self.report(f"{path}: Permission denied")
        return 126
    try:
        data = fs.read_bytes(path, self.state.cwd)
    except OSError as exc:
        self.report(f"{path}: {exc.strerror}")
        return 126
    text = data.decode("utf-8", "surrogateescape")
    if text.startswith("#!"):
        first = text.split("\n", 1)[0][2:].strip()
        words = first.split()
        if not words:
            return self.spawn_shell(text, argv[0], argv[1:], script=argv[0])
        prog, args = words[0], words[1:]
        base = posixpath.basename(prog)
        if base == "env" and args:
            base, args = posixpath.basename(args[0]), args[1:]
        if base in SHELL_NAMES:
            errexit = "-e" in args
            return self.spawn_shell(text, argv[0], argv[1:], script=argv[0], errexit=errexit)
        if base in self.table:
            return run_command_argv(self, [base, *args, path, *argv[1:]], functions=False)
        self.report(f"{path}: {prog}: bad interpreter: No such file or directory")
        return 126
    return self.spawn_shell(text, argv[0], argv[1:], script=argv[0])


def find_command(self: Interp, name: str) -> tuple[str, str]:
    """What ``name`` is: ("keyword"|"function"|"builtin"|"file"|"", detail)."""
    from .parser import KEYWORDS

    if name in KEYWORDS:
        return "keyword", name
    if name in self.state.funcs:
        return "function", name
    if name in self.state.aliases:
        return "alias", self.state.aliases[name]
    info = self.table.get(name)
    if info is not None:
        from .builtins import BUILTIN_NAMES

        if name in BUILTIN_NAMES:
            return "builtin", name
        dirs = [d for d in (self.state.get("PATH") or "").split(":") if d]
        where = "/usr/bin" if "/usr/bin" in dirs or not dirs else dirs[0]
        if "/usr/sbin" in dirs and name in _SBIN:
            where = "/usr/sbin"
        return "file", f"{where}/{name}"
    if "/" in name:
        if self.fs.exists(name, self.state.cwd):
            return "file", name
        return "", ""
    found = _path_search(self, name)
    if found is not None:
        return "file", found
    return "", ""


_SBIN = frozenset(["modprobe", "rmmod", "insmod", "lsmod", "lspci", "setpci"])


def special_param(self: Interp, name: str) -> str | None:
    """``$?``, ``$#``, ``$$``, ``$!``, ``$-`` and the dynamic variables."""
    if name == "?":
        return str(self.last_status)
    if name == "#":
        return str(len(self.state.positional))
    if name == "$":
        return str(self.pid)
    if name == "!":
        return self.last_bg or None
    if name == "-":
        from .state import SHORT_OPTIONS

        letters = "".join(k for k, v in SHORT_OPTIONS.items() if v in self.state.options)
        return letters + ("i" if self.interactive else "")
    if name == "LINENO":
        return str(self.lineno)
    if name == "FUNCNAME":
        return self.state.funcnames[0] if self.state.funcnames else None
    return self.dynamic_var(name)
