"""Word expansion: tilde, parameters, command substitution, arithmetic, field
splitting on IFS, pathname expansion over the virtual tree, quote removal.

Expansion works on *fragments* ``(text, quoted, splittable)``, with ``None`` as a forced
field break (between the words of ``"$@"``), so quoting decides splitting and globbing
exactly as POSIX says (Oils splits the same phases: ``word_eval``, ``split``, ``glob_``).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

from . import pattern as pat
from .arith import evaluate
from .ast import DQ, SQ, ArithSub, CmdSub, Escaped, Lit, Param, Part, Tilde, Word
from .errors import ExpansionError
from .state import ASSOC, EXPORT, INTEGER, LOWER, READONLY, UPPER, Var, array_end

if TYPE_CHECKING:
    from iommush.vfs import VirtualFS

    from .state import ShellState

__all__ = ["Expander", "shell_quote"]

Frag = tuple[str, bool, bool] | None
_DEFAULT_IFS = " \t\n"
_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@%_+=:,./-")


def shell_quote(s: str) -> str:
    """Quote ``s`` the way bash's ``printf %q`` / ``set -x`` do."""
    if s == "":
        return "''"
    if all(c in _SAFE for c in s):
        return s
    if any(ord(c) < 32 or ord(c) == 127 for c in s):
        out = []
        for c in s:
            esc = {"\n": "\\n", "\t": "\\t", "\r": "\\r", "\x1b": "\\E", "'": "\\'", "\\": "\\\\"}
            if c in esc:
                out.append(esc[c])
            elif ord(c) < 32 or ord(c) == 127:
                out.append(f"\\{ord(c):03o}")
            else:
                out.append(c)
        return "$'" + "".join(out) + "'"
    return "'" + s.replace("'", "'\\''") + "'"


def _q_backslash(s: str) -> str:
    """``printf %q``: backslash style for printable strings."""
    if s == "":
        return "''"
    if any(ord(c) < 32 or ord(c) == 127 for c in s):
        return shell_quote(s)
    return "".join(c if c in _SAFE else "\\" + c for c in s)


class Expander:
    """Mixin of the interpreter: everything that turns words into strings."""

    state: ShellState
    fs: VirtualFS
    started: float
    pipestatus: list[int]
    bashpid: int
    ppid: int

    # provided by the interpreter
    def command_substitution(self, node: CmdSub) -> str:
        raise NotImplementedError

    def special_param(self, name: str) -> str | None:
        raise NotImplementedError

    def positional_list(self) -> list[str]:
        return self.state.positional

    # -- public entry points ---------------------------------------------------------
    def expand_words(self, words: list[Word]) -> list[str]:
        """Expand command words: every phase, one word may become zero or many."""
        out: list[str] = []
        for w in words:
            s = w.static
            if s is not None:
                out.append(s)
            elif w.braces and "braceexpand" in self.state.options:
                out.extend(self.expand_words(w.brace_words()))
            else:
                out.extend(self._fields(self._frags(w.parts, False), glob=True))
        return out

    def expand_word(self, word: Word) -> str:
        """Expand to one string without splitting or globbing (assignments, ``case``)."""
        s = word.static
        if s is not None:
            return s
        frags = self._frags(word.parts, False, join_at=True)
        return "".join(f[0] for f in frags if f is not None)

    def expand_word_fields(self, word: Word) -> list[str]:
        """Expand with splitting and globbing (redirection targets)."""
        s = word.static
        if s is not None:
            return [s]
        if word.braces and "braceexpand" in self.state.options:
            return self.expand_words(word.brace_words())
        return self._fields(self._frags(word.parts, False), glob=True)

    def expand_pattern(self, word: Word) -> str:
        """Expand to a pattern: quoted characters are backslash-escaped."""
        s = word.static
        if s is not None:
            return pat.escape(s)
        frags = self._frags(word.parts, False, join_at=True)
        return "".join((pat.escape(f[0]) if f[1] else f[0]) for f in frags if f is not None)

    def eval_arith(self, word: Word) -> int:
        """Expand ``word`` and evaluate it as an arithmetic expression."""
        text = self.expand_word(word)
        return evaluate(text, self._arith_get, self._arith_set)

    def arith_text(self, text: str) -> int:
        return evaluate(text, self._arith_get, self._arith_set)

    # -- arithmetic variables --------------------------------------------------------
    def _arith_get(self, name: str, index: str | None) -> str | None:
        if index is None:
            v = self.state.get(name)
            if v is None:
                if "nounset" in self.state.options:
                    raise ExpansionError(f"{name}: unbound variable", status=127, fatal=True)
                return None
            return v
        var = self.state.lookup(name)
        if var is None or not isinstance(var.value, dict):
            if var is not None and index.strip() in ("0", ""):
                return var.scalar()
            return None
        if var.flags & ASSOC:
            return var.value.get(self.expand_word(self._index_word(index)))
        return var.value.get(self._index_int(index, var.value))

    def _arith_set(self, name: str, index: str | None, value: int) -> None:
        if index is None:
            self.state.set(name, str(value))
            return
        var = self.state.lookup(name)
        if var is not None and var.flags & ASSOC:
            self.state.set_element(name, self.expand_word(self._index_word(index)), str(value))
        else:
            cur = var.value if var is not None and isinstance(var.value, dict) else {}
            self.state.set_element(name, self._index_int(index, cur), str(value))

    def _index_word(self, text: str) -> Word:
        from .lexer import Lexer

        return Lexer(text).parse_text(text, "arith")

    def _index_int(self, text: str, arr: Mapping[int | str, str]) -> int:
        i = evaluate(self.expand_word(self._index_word(text)), self._arith_get, self._arith_set)
        if i < 0:
            i += array_end(arr)
            if i < 0:
                raise ExpansionError("bad array subscript")
        return i

    # -- fragments -----------------------------------------------------------------
    def _frags(self, parts: list[Part], quoted: bool, join_at: bool = False) -> list[Frag]:
        out: list[Frag] = []
        for p in parts:
            t = type(p)
            if t is Lit:
                out.append((p.text, quoted, False))  # type: ignore[union-attr]
            elif t is SQ or t is Escaped:
                out.append((p.text, True, False))  # type: ignore[union-attr]
            elif t is DQ:
                inner = self._frags(p.parts, True, join_at)  # type: ignore[union-attr]
                if not inner and not _has_at(p.parts):  # type: ignore[union-attr]
                    inner = [("", True, False)]
                out.extend(inner)
            elif t is Param:
                self._param(p, quoted, out, join_at)  # type: ignore[arg-type]
            elif t is CmdSub:
                text = self.command_substitution(p)  # type: ignore[arg-type]
                out.append((text, quoted, not quoted))
            elif t is ArithSub:
                out.append((str(self.eval_arith(p.expr)), quoted, not quoted))  # type: ignore[union-attr]
            elif t is Tilde:
                out.append((self._tilde(p.user), True, False))  # type: ignore[union-attr]
        return out

    def _tilde(self, user: str) -> str:
        if user == "":
            home = self.state.get("HOME")
            return home if home is not None else "/root"
        if user == "+":
            return self.state.get("PWD") or self.state.cwd
        if user == "-":
            return self.state.get("OLDPWD") or "~-"
        if user == "root":
            return "/root"
        home = self._user_home(user)
        return home if home is not None else "~" + user

    def _user_home(self, user: str) -> str | None:
        fs = self.fs
        try:
            data = fs.read_bytes("/etc/passwd").decode("utf-8", "replace")
        except OSError:
            data = ""
        for line in data.splitlines():
            fields = line.split(":")
            if len(fields) >= 6 and fields[0] == user:
                return fields[5]
        return None

    # -- parameters ------------------------------------------------------------------
    def _lookup(self, p: Param) -> tuple[str | list[str] | None, bool]:
        """The value of the parameter: a string, a list (``@``/``*``/``a[@]``) or None;
        the flag says the list joins with IFS (``*``)."""
        name = p.name
        if p.index is not None:
            idx = p.index.raw.strip()
            var = self.state.lookup(name)
            if var is None:
                var = self.dynamic_array(name)
            if idx in ("@", "*"):
                if var is None or var.value is None:
                    return [], idx == "*"
                val = var.value
                if isinstance(val, dict):
                    keys = sorted(val) if not var.flags & ASSOC else list(val)
                    return [val[k] for k in keys], idx == "*"
                return [val], idx == "*"
            if var is None or var.value is None:
                return None, False
            val = var.value
            if var.flags & ASSOC:
                assert isinstance(val, dict)
                return val.get(self.expand_word(p.index)), False
            i = self.eval_arith(p.index)
            if isinstance(val, dict):
                if i < 0:
                    i += array_end(val)
                return val.get(i), False
            return (val if i == 0 else None), False
        if name == "@" or name == "*":
            return list(self.positional_list()), name == "*"
        c = name[0]
        if c.isdigit():
            if name == "0":
                return self.state.argv0, False
            n = int(name)
            pos = self.state.positional
            return (pos[n - 1] if n <= len(pos) else None), False
        if not (c.isalpha() or c == "_"):
            return self.special_param(name), False
        if not self.state.scopes:
            var = self.state.globals.get(name)
        else:
            var = self.state.lookup(name)
        if var is None:
            return self.special_param(name), False
        return var.scalar(), False

    def _param(self, p: Param, quoted: bool, out: list[Frag], join_at: bool) -> None:
        op = p.op
        if op == "BAD":
            raise ExpansionError(f"{p.arg.static if p.arg else ''}: bad substitution")
        if p.indirect:
            value, star = self._indirect(p)
            if p.op in ("!@", "!*"):
                op = ""
        else:
            value, star = self._lookup(p)
        if p.length:
            if isinstance(value, list):
                n = len(value)
            elif value is None:
                self._check_unset(p)
                n = 0
            else:
                n = len(value)
            out.append((str(n), quoted, False))
            return
        if op == "":
            if value is None:
                self._check_unset(p)
                if quoted:
                    out.append(("", True, False))
                return
            self._emit(value, star, quoted, out, join_at)
            return
        if op in (":-", "-", ":=", "=", ":+", "+", ":?", "?"):
            is_set = value is not None and not (isinstance(value, list) and not value and False)
            if isinstance(value, list):
                is_set = bool(value)
                is_null = not value or value == [""] or all(v == "" for v in value) and star
            else:
                is_null = value is None or value == ""
            use_default = (not is_set) or (op[0] == ":" and is_null)
            base = op.lstrip(":")
            if base == "+":
                if not use_default:
                    assert p.arg is not None
                    out.extend(self._frags(p.arg.parts, quoted, join_at))
                elif quoted:
                    out.append(("", True, False))
                return
            if not use_default:
                self._emit(value, star, quoted, out, join_at)  # type: ignore[arg-type]
                return
            assert p.arg is not None
            if base == "-":
                out.extend(self._frags(p.arg.parts, quoted, join_at))
                if quoted and not out:
                    out.append(("", True, False))
                return
            if base == "=":
                text = self.expand_word(p.arg)
                if not p.name.isidentifier() or p.name[0].isdigit():
                    raise ExpansionError(f"${p.name}: cannot assign in this way")
                if p.index is not None:
                    self.state.set_element(p.name, self.expand_word(p.index), text)
                else:
                    self.state.set(p.name, text)
                self._emit(text, False, quoted, out, join_at)
                return
            # ?
            msg = self.expand_word(p.arg) if p.arg.parts else "parameter null or not set"
            if not msg:
                msg = "parameter null or not set"
            raise ExpansionError(f"{p.name}: {msg}", status=127, fatal=True)
        if value is None:
            self._check_unset(p)
            value = ""
        if isinstance(value, list):
            items = (
                [self._apply(op, p, v) for v in value] if op != ":" else self._slice_list(p, value)
            )
            self._emit(items, star, quoted, out, join_at)
            return
        self._emit(self._apply(op, p, value), False, quoted, out, join_at)

    def _slice_list(self, p: Param, items: list[str]) -> list[str]:
        if p.name in ("@", "*") and p.index is None:
            items = [self.state.argv0, *items]
        off = self.eval_arith(p.arg) if p.arg is not None else 0
        n = len(items)
        if off < 0:
            off = max(n + off, 0) if n + off >= 0 else n
        if p.arg2 is None:
            return items[off:]
        ln = self.eval_arith(p.arg2)
        if ln < 0:
            raise ExpansionError(f"{ln}: substring expression < 0")
        return items[off : off + ln]

    def _apply(self, op: str, p: Param, v: str) -> str:
        if op in ("#", "##", "%", "%%"):
            assert p.arg is not None
            pattern = self.expand_pattern(p.arg)
            return _trim(op, pattern, v)
        if op in ("/", "//", "/#", "/%"):
            assert p.arg is not None
            pattern = self.expand_pattern(p.arg)
            repl = self.expand_word(p.arg2) if p.arg2 is not None else ""
            return _replace(op, pattern, repl, v)
        if op == ":":
            off = self.eval_arith(p.arg) if p.arg is not None else 0
            n = len(v)
            if off < 0:
                off = n + off
                if off < 0:
                    return ""
            if p.arg2 is None:
                return v[off:]
            ln = self.eval_arith(p.arg2)
            if ln < 0:
                end = n + ln
                if end < off:
                    raise ExpansionError(f"{ln}: substring expression < 0")
                return v[off:end]
            return v[off : off + ln]
        if op in ("^", "^^", ",", ",,"):
            pattern = self.expand_pattern(p.arg) if p.arg and p.arg.parts else "?"
            upper = op[0] == "^"
            out = []
            done = False
            for ch in v:
                if not done and pat.match(pattern, ch):
                    ch = ch.upper() if upper else ch.lower()
                    if len(op) == 1:
                        done = True
                out.append(ch)
                if len(op) == 1:
                    done = True
            return "".join(out)
        if op.startswith("@"):
            kind = op[1:]
            if kind == "Q":
                return shell_quote(v) if v else "''"
            if kind == "U":
                return v.upper()
            if kind == "L":
                return v.lower()
            if kind == "u":
                return v[:1].upper() + v[1:]
            if kind == "E":
                from .lexer import decode_ansi_c

                return decode_ansi_c(v)[0]
            if kind == "a":
                var = self.state.lookup(p.name)
                return _attr_letters(var.flags, var.value) if var else ""
            raise ExpansionError(f"${{{p.name}{op}}}: bad substitution")
        raise ExpansionError(f"${{{p.name}{op}}}: bad substitution")

    def _indirect(self, p: Param) -> tuple[str | list[str] | None, bool]:
        if p.op in ("!@", "!*"):
            names = [n for n in self.state.all_names() if n.startswith(p.name)]
            return names, p.op == "!*"
        if p.index is not None and p.index.raw.strip() in ("@", "*"):
            star = p.index.raw.strip() == "*"
            var = self.state.lookup(p.name)
            if var is None or var.value is None:
                return [], star
            if isinstance(var.value, dict):
                keys = sorted(var.value) if not var.flags & ASSOC else list(var.value)
                return [str(k) for k in keys], star
            return ["0"], star
        target, _ = self._lookup(Param(p.name))
        if target is None or isinstance(target, list):
            if target is None and "nounset" in self.state.options:
                raise ExpansionError(f"{p.name}: unbound variable", status=127, fatal=True)
            return None, False
        from .lexer import Lexer

        lx = Lexer("${" + target + "}")
        try:
            parts = lx.read_parts("cmd")
        except Exception:
            raise ExpansionError(f"{target}: invalid indirect expansion") from None
        if len(parts) != 1 or not isinstance(parts[0], Param) or parts[0].op:
            raise ExpansionError(f"{target}: invalid variable name")
        return self._lookup(parts[0])

    def _check_unset(self, p: Param) -> None:
        if "nounset" in self.state.options and p.name not in ("@", "*"):
            name = p.name
            if p.index is not None:
                name += "[" + (p.index.raw or "") + "]"
            raise ExpansionError(f"{name}: unbound variable", status=127, fatal=True)

    def _emit(
        self, value: str | list[str], star: bool, quoted: bool, out: list[Frag], join_at: bool
    ) -> None:
        if isinstance(value, str):
            out.append((value, quoted, not quoted))
            return
        if quoted and (star or join_at):
            ifs = self.state.get("IFS")
            sep = _DEFAULT_IFS[0] if ifs is None else ifs[:1]
            out.append((sep.join(value) if star else " ".join(value), True, False))
            return
        if join_at:
            out.append((" ".join(value), quoted, not quoted))
            return
        for i, item in enumerate(value):
            if i:
                out.append(None)
            out.append((item, quoted, not quoted))

    # -- splitting and globbing ------------------------------------------------------
    def _fields(self, frags: list[Frag], glob: bool) -> list[str]:
        ifs = self.state.get("IFS")
        if ifs is None:
            ifs = _DEFAULT_IFS
        ws = "".join(c for c in ifs if c in " \t\n")
        nws = "".join(c for c in ifs if c not in " \t\n")
        fields: list[list[tuple[str, bool]]] = []
        cur: list[tuple[str, bool]] = []
        exists = False
        for frag in frags:
            if frag is None:
                if exists or cur:
                    fields.append(cur)
                cur, exists = [], False
                continue
            text, quoted, split = frag
            if not split or not ifs or not any(c in ifs for c in text):
                if text or quoted:
                    cur.append((text, quoted))
                    exists = True
                continue
            i, n = 0, len(text)
            start = 0
            while i < n:
                c = text[i]
                if c in ifs:
                    if i > start:
                        cur.append((text[start:i], False))
                        exists = True
                    j = i
                    while j < n and text[j] in ws:
                        j += 1
                    saw_nws = False
                    if j < n and text[j] in nws:
                        saw_nws = True
                        j += 1
                        while j < n and text[j] in ws:
                            j += 1
                    elif c in nws:
                        saw_nws = True
                    if exists or saw_nws:
                        fields.append(cur)
                    cur, exists = [], False
                    i = start = j
                else:
                    i += 1
            if start < n:
                cur.append((text[start:], False))
                exists = True
        if exists:
            fields.append(cur)
        result: list[str] = []
        noglob = not glob or "noglob" in self.state.options
        for f in fields:
            if not noglob and any(not q and pat.GLOBBY.search(t) for t, q in f):
                p = "".join(t if not q else pat.escape(t) for t, q in f)
                if pat.has_magic(p):
                    result.extend(self.glob(p))
                    continue
            result.append("".join(t for t, _ in f))
        return result

    def glob(self, pattern: str) -> list[str]:
        """Pathname expansion of ``pattern`` over the virtual tree, sorted; the pattern
        itself (unquoted) when nothing matches, or nothing with ``nullglob``."""
        matches = self.glob_paths(pattern)
        if matches:
            return matches
        if "failglob" in self.state.shopts:
            raise ExpansionError(f"no match: {pat.unescape(pattern)}")
        if "nullglob" in self.state.shopts:
            return []
        return [pat.unescape(pattern)]

    def glob_paths(self, pattern: str) -> list[str]:
        fs = self.fs
        cwd = self.state.cwd
        dotglob = "dotglob" in self.state.shopts
        comps = pattern.split("/")
        absolute = pattern.startswith("/")
        prefixes = ["/"] if absolute else [""]
        need_check = False
        trailing = pattern.endswith("/") and len(comps) > 1
        comps = [c for c in comps if c]
        for k, comp in enumerate(comps):
            last = k == len(comps) - 1
            new: list[str] = []
            if pat.has_magic(comp):
                rx = pat.compile_pattern(comp)
                explicit_dot = comp.startswith(".") or comp.startswith("\\.")
                for pre in prefixes:
                    try:
                        names = fs.listdir(pre or ".", cwd)
                    except OSError:
                        continue
                    for name in names:
                        if name[0] == "." and not explicit_dot and not dotglob:
                            continue
                        if rx.match(name):
                            path = (
                                pre + name if (not pre or pre.endswith("/")) else pre + "/" + name
                            )
                            if (not last or trailing) and not _is_dir(fs, path, cwd):
                                continue
                            new.append(path)
                need_check = False
            else:
                lit = pat.unescape(comp)
                for pre in prefixes:
                    new.append(pre + lit if (not pre or pre.endswith("/")) else pre + "/" + lit)
                need_check = True
            prefixes = new
            if not prefixes:
                return []
        if need_check:
            prefixes = [p for p in prefixes if fs.exists(p, cwd, follow=False)]
        if trailing:
            prefixes = [p + "/" for p in prefixes]
        return sorted(prefixes)

    # -- dynamic variables -----------------------------------------------------------
    def dynamic_array(self, name: str) -> Var | None:
        if name == "PIPESTATUS":
            return Var(dict(enumerate(str(s) for s in self.pipestatus)))
        if name == "FUNCNAME" and self.state.funcnames:
            return Var(dict(enumerate([*self.state.funcnames, "main"])))
        return None

    def dynamic_var(self, name: str) -> str | None:
        if name == "RANDOM":
            import random

            return str(random.randint(0, 32767))
        if name == "SECONDS":
            return str(int(time.monotonic() - self.started))
        if name == "EPOCHSECONDS":
            return str(int(time.time()))
        if name == "BASHPID":
            return str(self.bashpid)
        if name == "PPID":
            return str(self.ppid)
        return None


def _is_dir(fs: VirtualFS, path: str, cwd: str) -> bool:
    try:
        return fs.stat(path, cwd).is_dir
    except OSError:
        return False


def _has_at(parts: list[Part]) -> bool:
    for p in parts:
        if isinstance(p, Param):
            if p.name == "@" and p.index is None and not p.length:
                return True
            if p.index is not None and p.index.raw.strip() == "@" and not p.length:
                return True
            if p.op in ("!@",):
                return True
    return False


def _trim(op: str, pattern: str, v: str) -> str:
    if not pat.has_magic(pattern):
        lit = pat.unescape(pattern)
        if op[0] == "#":
            return v[len(lit) :] if lit and v.startswith(lit) else v
        return v[: len(v) - len(lit)] if lit and v.endswith(lit) else v
    rx = pat.compile_pattern(pattern)
    n = len(v)
    if op == "#":
        for i in range(n + 1):
            if rx.match(v[:i]):
                return v[i:]
    elif op == "##":
        for i in range(n, -1, -1):
            if rx.match(v[:i]):
                return v[i:]
    elif op == "%":
        for i in range(n, -1, -1):
            if rx.match(v[i:]):
                return v[:i]
    else:
        for i in range(n + 1):
            if rx.match(v[i:]):
                return v[:i]
    return v


def _replace(op: str, pattern: str, repl: str, v: str) -> str:
    if pattern == "":
        return v
    rx = pat.compile_pattern(pattern)
    n = len(v)
    if op == "/#":
        for j in range(n, -1, -1):
            if rx.match(v[:j]):
                return repl + v[j:]
        return v
    if op == "/%":
        for i in range(n + 1):
            if rx.match(v[i:]):
                return v[:i] + repl
        return v
    out: list[str] = []
    i = 0
    while i < n:
        for j in range(n, i, -1):
            if rx.match(v[i:j]):
                out.append(repl)
                i = j
                if op == "/":
                    out.append(v[i:])
                    return "".join(out)
                break
        else:
            out.append(v[i])
            i += 1
    return "".join(out)


def _attr_letters(flags: int, value: object) -> str:
    s = ""
    if isinstance(value, dict):
        s += "A" if flags & ASSOC else "a"
    if flags & INTEGER:
        s += "i"
    if flags & LOWER:
        s += "l"
    if flags & READONLY:
        s += "r"
    if flags & UPPER:
        s += "u"
    if flags & EXPORT:
        s += "x"
    return s
