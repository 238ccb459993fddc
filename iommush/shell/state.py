"""Shell variables with bash's attributes and dynamic scoping, and the per-(sub)shell
state that a subshell copies: variables, functions, options, directory, traps.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from .errors import ExpansionError

if TYPE_CHECKING:
    from .ast import FuncDef
    from .streams import FdTable

__all__ = [
    "ARRAY",
    "ASSOC",
    "EXPORT",
    "INTEGER",
    "LOWER",
    "READONLY",
    "UPPER",
    "ShellState",
    "Var",
    "VarError",
    "PidAllocator",
    "Value",
    "array_end",
]

EXPORT, READONLY, INTEGER, ARRAY, ASSOC, LOWER, UPPER = 1, 2, 4, 8, 16, 32, 64

Value = str | dict[int | str, str] | None


def array_end(arr: Mapping[int | str, str]) -> int:
    """One past the highest index of an indexed array (0 when empty)."""
    return max((k for k in arr if isinstance(k, int)), default=-1) + 1


class PidAllocator:
    """Virtual process ids for one shell and every subshell and child shell it starts:
    ``$$`` is stable and the same in every run, ``BASHPID`` differs in a subshell."""

    __slots__ = ("last",)

    #: The pid of a top-level shell.
    FIRST = 1000

    def __init__(self, first: int = FIRST) -> None:
        self.last = first

    def allocate(self) -> int:
        """A new pid (a fork)."""
        self.last += 1
        return self.last


#: ``set -o`` options, in the order bash lists them.
SET_OPTIONS = (
    "allexport", "braceexpand", "emacs", "errexit", "errtrace", "functrace", "hashall",
    "histexpand", "history", "ignoreeof", "interactive-comments", "keyword", "monitor",
    "noclobber", "noexec", "noglob", "nolog", "notify", "nounset", "onecmd", "physical",
    "pipefail", "posix", "privileged", "verbose", "vi", "xtrace",
)  # fmt: skip
SHORT_OPTIONS = {
    "a": "allexport", "e": "errexit", "f": "noglob", "h": "hashall", "u": "nounset",
    "x": "xtrace", "C": "noclobber", "n": "noexec", "v": "verbose", "B": "braceexpand",
    "m": "monitor", "E": "errtrace", "T": "functrace", "P": "physical", "H": "histexpand",
}  # fmt: skip
SHOPT_NAMES = (
    "autocd", "cdable_vars", "checkwinsize", "cmdhist", "dotglob", "execfail", "expand_aliases",
    "extglob", "extquote", "failglob", "globasciiranges", "globskipdots", "globstar",
    "histappend", "interactive_comments", "lastpipe", "nocaseglob", "nocasematch", "nullglob",
    "progcomp", "promptvars", "sourcepath", "xpg_echo",
)  # fmt: skip


class VarError(ExpansionError):
    """Assignment to a readonly variable and similar errors."""


class Var:
    """One variable: its value (a string, an indexed array as ``{int: str}``, an
    associative array as ``{str: str}``, or None when declared but unset) and flags."""

    __slots__ = ("value", "flags")

    def __init__(self, value: Value, flags: int = 0) -> None:
        self.value = value
        self.flags = flags

    def copy(self) -> Var:
        v = self.value
        return Var(dict(v) if isinstance(v, dict) else v, self.flags)

    def scalar(self) -> str | None:
        """``$name``: element 0 of an array."""
        v = self.value
        if isinstance(v, dict):
            return v.get(0) if not self.flags & ASSOC else v.get("0")
        return v


class ShellState:
    """Everything a subshell copies from its parent."""

    def __init__(self) -> None:
        self.globals: dict[str, Var] = {}
        self.scopes: list[dict[str, Var]] = []
        self.positional: list[str] = []
        self.argv0 = "iommush"
        self.funcs: dict[str, FuncDef] = {}
        self.options: set[str] = {"braceexpand", "hashall", "interactive-comments"}
        self.shopts: set[str] = {"extquote", "globskipdots", "progcomp", "promptvars",
                                 "sourcepath", "cmdhist", "interactive_comments"}  # fmt: skip
        self.cwd = "/"
        self.traps: dict[str, str] = {}
        self.fds: FdTable | None = None
        self.env_cache: dict[str, str] | None = None
        self.funcnames: list[str] = []
        self.aliases: dict[str, str] = {}
        self.subshell_level = 0

    def clone(self) -> ShellState:
        """The state a subshell starts with (a fork's copy)."""
        s = ShellState.__new__(ShellState)
        s.globals = {k: v.copy() for k, v in self.globals.items()}
        s.scopes = [{k: v.copy() for k, v in sc.items()} for sc in self.scopes]
        s.positional = list(self.positional)
        s.argv0 = self.argv0
        s.funcs = dict(self.funcs)
        s.options = set(self.options)
        s.shopts = set(self.shopts)
        s.cwd = self.cwd
        errtrace = "errtrace" in self.options
        s.traps = {
            k: v
            for k, v in self.traps.items()
            if k != "EXIT" and (v == "" or (k == "ERR" and errtrace))
        }
        s.fds = self.fds.copy() if self.fds is not None else None
        s.env_cache = None
        s.funcnames = list(self.funcnames)
        s.aliases = dict(self.aliases)
        s.subshell_level = self.subshell_level + 1
        return s

    # -- lookup ----------------------------------------------------------------------
    def lookup(self, name: str) -> Var | None:
        """The visible variable ``name`` (innermost function scope first)."""
        for scope in reversed(self.scopes):
            v = scope.get(name)
            if v is not None:
                return v
        return self.globals.get(name)

    def get(self, name: str) -> str | None:
        """``$name`` (None when unset)."""
        if not self.scopes:
            v = self.globals.get(name)
        else:
            v = self.lookup(name)
        if v is None:
            return None
        val = v.value
        if isinstance(val, dict):
            return v.scalar()
        return val

    # -- assignment ------------------------------------------------------------------
    def _target(self, name: str, local: bool) -> dict[str, Var]:
        if local and self.scopes:
            return self.scopes[-1]
        for scope in reversed(self.scopes):
            if name in scope:
                return scope
        return self.globals

    def set(self, name: str, value: str, *, local: bool = False, append: bool = False) -> None:
        """``name=value`` (``+=`` with ``append``); VarError for a readonly variable."""
        table = self._target(name, local)
        v = table.get(name)
        if v is None:
            flags = EXPORT if "allexport" in self.options else 0
            table[name] = Var(value, flags)
            if flags:
                self.env_cache = None
            return
        if v.flags & READONLY:
            raise VarError(f"{name}: readonly variable")
        if v.flags & INTEGER:
            value = self._int_value(value, v.scalar() if append else None)
            append = False
        if v.flags & (LOWER | UPPER):
            value = value.lower() if v.flags & LOWER else value.upper()
        cur = v.value
        if isinstance(cur, dict):
            key: int | str = "0" if v.flags & ASSOC else 0
            old = cur.get(key, "")
            cur[key] = old + value if append else value
        else:
            v.value = (cur or "") + value if append else value
        if v.flags & EXPORT or "allexport" in self.options:
            v.flags |= EXPORT if "allexport" in self.options else 0
            self.env_cache = None

    def _int_value(self, value: str, base: str | None) -> str:
        from .arith import evaluate

        def lookup(n: str, i: str | None) -> str | None:
            return self.get(n)

        def store(n: str, i: str | None, val: int) -> None:
            self.set(n, str(val))

        result = evaluate(value, lookup, store)
        if base is not None:
            result += evaluate(base, lookup, store)
        return str(result)

    def declare(self, name: str, *, local: bool = False) -> Var:
        """The variable ``name`` in the target scope, created (unset) if missing."""
        table = self.scopes[-1] if local and self.scopes else self._target(name, False)
        v = table.get(name)
        if v is None:
            v = table[name] = Var(None)
        return v

    def set_element(self, name: str, key: str | int, value: str, *, append: bool = False) -> None:
        """``name[key]=value``."""
        table = self._target(name, False)
        v = table.get(name)
        if v is None:
            v = table[name] = Var({}, ARRAY)
        if v.flags & READONLY:
            raise VarError(f"{name}: readonly variable")
        if not isinstance(v.value, dict):
            old = v.value
            v.value = {} if old is None else {0: old}
            v.flags |= ARRAY
        if v.flags & ASSOC:
            key = str(key)
        if v.flags & INTEGER:
            value = self._int_value(value, v.value.get(key) if append else None)
            append = False
        old_s = v.value.get(key, "") if append else ""
        v.value[key] = old_s + value
        if v.flags & EXPORT:
            self.env_cache = None

    def set_array(
        self,
        name: str,
        items: Mapping[int | str, str] | Mapping[int, str] | Mapping[str, str],
        *,
        local: bool = False,
        assoc: bool = False,
    ) -> None:
        """``name=(...)``: replace the whole array."""
        table = self._target(name, local)
        v = table.get(name)
        if v is not None and v.flags & READONLY:
            raise VarError(f"{name}: readonly variable")
        value: dict[int | str, str] = {k: x for k, x in items.items()}
        if v is None:
            table[name] = Var(value, ASSOC if assoc else ARRAY)
            return
        v.value = value
        if not v.flags & ASSOC:
            v.flags |= ARRAY
        self.env_cache = None

    def unset(self, name: str) -> None:
        """``unset name``: VarError for a readonly variable."""
        for scope in reversed(self.scopes):
            v = scope.get(name)
            if v is not None:
                if v.flags & READONLY:
                    raise VarError(f"{name}: cannot unset: readonly variable")
                # bash: unsetting a local makes the name unset in that scope
                scope[name] = Var(None, 0)
                del scope[name]
                self.env_cache = None
                return
        v = self.globals.get(name)
        if v is not None:
            if v.flags & READONLY:
                raise VarError(f"{name}: cannot unset: readonly variable")
            del self.globals[name]
            self.env_cache = None

    def environ(self) -> dict[str, str]:
        """Exported variables (the environment a command gets); cached until changed."""
        env = self.env_cache
        if env is None:
            env = {}
            for table in (self.globals, *self.scopes):
                for name, v in table.items():
                    if v.flags & EXPORT:
                        s = v.scalar()
                        if s is not None and not v.flags & (ARRAY | ASSOC):
                            env[name] = s
                        elif name in env:
                            del env[name]
            self.env_cache = env
        return env

    def all_names(self) -> list[str]:
        """Every visible variable name, sorted."""
        names = set(self.globals)
        for scope in self.scopes:
            names.update(scope)
        return sorted(names)
