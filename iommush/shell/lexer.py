"""The lexer: turns source text into tokens, and reads words into their parts.

Words are read with their quoting kept (``Lit``, ``SQ``, ``DQ``, ``Param``...), so the
parser never re-scans text. Command substitutions ``$(...)`` are parsed recursively by
the parser on this same lexer, which is how nested ``case``/``)`` and here-documents
inside ``$(...)`` come out right (Oils' ``word_parse`` does the same).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from .ast import (
    DQ,
    SQ,
    ArithSub,
    Assign,
    CmdSub,
    Command,
    Escaped,
    HereDoc,
    Lit,
    Param,
    Part,
    Tilde,
    Word,
)
from .errors import Incomplete, ShellSyntaxError

__all__ = ["Lexer", "Tok", "decode_ansi_c", "OPERATORS"]

OPERATORS = (
    ";;&", ";;", ";&", ";", "&&", "&>>", "&>", "&", "||", "|&", "|",
    "<<<", "<<-", "<<", "<&", "<>", "<", ">>", ">&", ">|", ">", "(", ")",
)  # fmt: skip
_OP_START = frozenset(";&|<>()")
#: The operators by their first character, longest first.
_OPS_BY_CHAR = {c: tuple(op for op in OPERATORS if op[0] == c) for c in _OP_START}
_META = frozenset(" \t\n;&|<>()")
_PLAIN = re.compile(r"[^\s|&;<>()'\"\\$`~]+")
_BLANK = re.compile(r"(?:[ \t]|\\\n)+")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ASSIGN_START = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?=\[|\+?=)")
_SPECIAL_PARAMS = frozenset("@*#?-$!0123456789")
_DQ_ESCAPABLE = frozenset('$`"\\\n')


class Tok:
    """A token: kind ``W`` (word), ``O`` (operator), ``N`` (newline), ``IO`` (fd number
    before a redirection), ``E`` (end of input)."""

    __slots__ = ("kind", "value", "word", "line", "assign", "kw")

    def __init__(
        self,
        kind: str,
        value: str,
        line: int,
        word: Word | None = None,
        assign: Assign | None = None,
    ) -> None:
        self.kind = kind
        self.value = value
        self.line = line
        self.word = word
        self.assign = assign
        #: The text of an unquoted, purely literal word (keywords are recognised by it).
        self.kw: str | None = None

    def __repr__(self) -> str:
        return f"Tok({self.kind}, {self.value!r})"

    def show(self) -> str:
        """How bash names this token in ``syntax error near unexpected token `X'``."""
        if self.kind == "N":
            return "newline"
        return self.value


def decode_ansi_c(text: str, *, echo: bool = False) -> tuple[str, bool]:
    """Decode backslash escapes of ``$'...'`` (or ``echo -e`` with ``echo=True``, where
    octal is ``\\0nnn`` and ``\\c`` stops output). Returns (text, stopped)."""
    out: list[str] = []
    i, n = 0, len(text)
    simple = {"a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b", "f": "\f", "n": "\n",
              "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}  # fmt: skip
    if not echo:
        simple.update({"'": "'", '"': '"', "?": "?"})
    while i < n:
        c = text[i]
        if c != "\\" or i + 1 >= n:
            out.append(c)
            i += 1
            continue
        d = text[i + 1]
        i += 2
        if d in simple:
            out.append(simple[d])
        elif d == "c" and echo:
            return "".join(out), True
        elif d == "c" and i < n:
            out.append(chr(ord(text[i]) & 0x1F))
            i += 1
        elif d in "01234567" and (not echo or d == "0"):
            digits = ""
            j = i - 1 if not echo else i
            limit = 3
            while j < n and len(digits) < limit and text[j] in "01234567":
                digits += text[j]
                j += 1
            code = int(digits or "0", 8) & 0xFF
            out.append(chr(code) if code < 0x80 else chr(0xDC00 + code))
            i = j
        elif d in "xuU":
            limit = {"x": 2, "u": 4, "U": 8}[d]
            j = i
            while j < n and j - i < limit and text[j] in "0123456789abcdefABCDEF":
                j += 1
            if j == i:
                out.append("\\" + d)
            else:
                code = int(text[i:j], 16)
                out.append(chr(code) if d != "x" or code < 0x80 else chr(0xDC00 + code))
                i = j
        else:
            out.append("\\" + d)
    return "".join(out), False


class Lexer:
    """Scans ``src``; ``parse_cmdsub`` is set by the parser to parse ``$(...)`` bodies."""

    def __init__(self, src: str, *, final: bool = True, line: int = 1) -> None:
        self.src = src
        self.pos = 0
        self.line = line
        #: True when no more input can come (EOF is the real end, not "need more lines").
        self.final = final
        self.heredocs: list[HereDoc] = []
        self.parse_cmdsub: Callable[[], Command | None] | None = None
        self.warnings: list[str] = []

    # -- errors ----------------------------------------------------------------------
    def eof(self, what: str = "") -> Incomplete:
        """The error for input that ends too early."""
        if what:
            return Incomplete(f"unexpected EOF while looking for matching `{what}'", self.line)
        return Incomplete("syntax error: unexpected end of file", self.line)

    # -- tokens ----------------------------------------------------------------------
    def next_token(self) -> Tok:
        """The next token in command mode."""
        src = self.src
        m = _BLANK.match(src, self.pos)
        if m:
            self.line += m.group().count("\n")
            self.pos = m.end()
        if self.pos >= len(src):
            if src.endswith("\\") and not self.final:
                raise self.eof()
            if self.heredocs:
                self._read_heredocs()
            return Tok("E", "", self.line)
        c = src[self.pos]
        if c == "#":
            end = src.find("\n", self.pos)
            self.pos = len(src) if end < 0 else end
            return self.next_token()
        if c == "\n":
            tok = Tok("N", "\n", self.line)
            self.pos += 1
            self.line += 1
            if self.heredocs:
                self._read_heredocs()
            return tok
        ops = _OPS_BY_CHAR.get(c)
        if ops is not None:
            for op in ops:
                if src.startswith(op, self.pos):
                    self.pos += len(op)
                    return Tok("O", op, self.line)
        if c.isdigit():
            j = self.pos
            while j < len(src) and src[j].isdigit():
                j += 1
            if j < len(src) and src[j] in "<>":
                value = src[self.pos : j]
                self.pos = j
                return Tok("IO", value, self.line)
        return self._word_token()

    def _word_token(self) -> Tok:
        line = self.line
        start = self.pos
        m = _ASSIGN_START.match(self.src, start)
        if m:
            tok = self._try_assign(m.end(), line)
            if tok is not None:
                return tok
            self.pos = start
            self.line = line
        src = self.src
        m = _PLAIN.match(src, start)
        if m is not None:
            end = m.end()
            if end == len(src) or src[end] in _META:
                # the common case: one unquoted literal word
                raw = m.group()
                self.pos = end
                tok = Tok("W", raw, line, Word.literal(raw))
                tok.kw = raw
                return tok
        parts = self.read_parts("cmd")
        raw = src[start : self.pos]
        word = Word(parts, raw=raw)
        tok = Tok("W", raw, line, word)
        if len(parts) == 1 and type(parts[0]) is Lit:
            tok.kw = raw
        return tok

    def _try_assign(self, name_end: int, line: int) -> Tok | None:
        src = self.src
        start = self.pos
        name = src[start:name_end]
        j = name_end
        index: Word | None = None
        if src.startswith("[", j):
            depth, k = 0, j
            while k < len(src):
                ch = src[k]
                if ch == "[":
                    depth += 1
                elif ch == "]":
                    depth -= 1
                    if depth == 0:
                        break
                elif ch in "\n":
                    return None
                k += 1
            else:
                return None
            index = self.parse_text(src[j + 1 : k], "arith")
            j = k + 1
        if src.startswith("+=", j):
            op, j = "+=", j + 2
        elif src.startswith("=", j):
            op, j = "=", j + 1
        else:
            return None
        self.pos = j
        prefix = src[start:j]
        if src.startswith("(", j) and index is None:
            self.pos = j + 1
            elems = self._read_array_literal()
            raw = src[start : self.pos]
            assign = Assign(name, op, None, None, elems, raw)
            tok = Tok("W", raw, line, Word([Lit(raw)], raw=raw), assign)
            return tok
        value_parts = self.read_parts("assign")
        raw = src[start : self.pos]
        value = Word(value_parts, raw=src[j : self.pos])
        assign = Assign(name, op, value, index, None, raw)
        word = Word([Lit(prefix), *value_parts], raw=raw)
        return Tok("W", raw, line, word, assign)

    def _read_array_literal(self) -> list[tuple[Word | None, Word]]:
        elems: list[tuple[Word | None, Word]] = []
        src = self.src
        while True:
            while self.pos < len(src) and src[self.pos] in " \t\n":
                if src[self.pos] == "\n":
                    self.line += 1
                self.pos += 1
            if self.pos >= len(src):
                raise self.eof()
            c = src[self.pos]
            if c == ")":
                self.pos += 1
                return elems
            if c == "#":
                end = src.find("\n", self.pos)
                self.pos = len(src) if end < 0 else end
                continue
            if c in _META:
                raise ShellSyntaxError(f"syntax error near unexpected token `{c}'", self.line)
            key: Word | None = None
            if c == "[":
                k = src.find("]", self.pos)
                if k > 0 and src.startswith("=", k + 1):
                    key = self.parse_text(src[self.pos + 1 : k], "arith")
                    self.pos = k + 2
            start = self.pos
            parts = self.read_parts("cmd")
            elems.append((key, Word(parts, raw=src[start : self.pos])))

    def read_regex_word(self) -> Word:
        """The right side of ``=~`` in ``[[ ]]``: parentheses and ``|`` are part of it."""
        m = _BLANK.match(self.src, self.pos)
        if m:
            self.pos = m.end()
        start = self.pos
        parts: list[Part] = []
        depth = 0
        buf: list[str] = []
        src = self.src
        while self.pos < len(src):
            c = src[self.pos]
            if c in " \t\n" and depth == 0:
                break
            if c == "(":
                depth += 1
            elif c == ")":
                if depth == 0:
                    break
                depth -= 1
            if c in "'\"\\$`":
                if buf:
                    parts.append(Lit("".join(buf)))
                    buf = []
                self._read_special(c, parts, "cmd")
                continue
            buf.append(c)
            self.pos += 1
        if buf:
            parts.append(Lit("".join(buf)))
        return Word(parts, raw=src[start : self.pos])

    def read_arith_text(self) -> str:
        """Raw text up to the matching ``))`` (after ``((`` or ``$((``)."""
        src = self.src
        depth = 0
        start = self.pos
        i = start
        while i < len(src):
            c = src[i]
            if c == "(":
                depth += 1
            elif c == ")":
                if depth == 0:
                    if src.startswith(")", i + 1):
                        self.pos = i + 2
                        text = src[start:i]
                        self.line += text.count("\n")
                        return text
                    raise ShellSyntaxError("syntax error near unexpected token `)'", self.line)
                depth -= 1
            i += 1
        raise self.eof("))")

    # -- here-documents ------------------------------------------------------------
    def add_heredoc(self, hd: HereDoc) -> None:
        """Queue a here-document whose body starts after the next newline."""
        self.heredocs.append(hd)

    def _read_heredocs(self) -> None:
        pending, self.heredocs = self.heredocs, []
        src = self.src
        for hd in pending:
            lines: list[str] = []
            hd.line = self.line
            while True:
                if self.pos >= len(src):
                    if not self.final:
                        self.heredocs = [hd]
                        raise self.eof()
                    self.warnings.append(
                        f"warning: here-document at line {hd.line - 1} delimited by "
                        f"end-of-file (wanted `{hd.delim}')"
                    )
                    break
                end = src.find("\n", self.pos)
                line = src[self.pos :] if end < 0 else src[self.pos : end]
                self.pos = len(src) if end < 0 else end + 1
                self.line += 1
                if hd.strip_tabs:
                    line = line.lstrip("\t")
                if line == hd.delim:
                    break
                lines.append(line + "\n")
            text = "".join(lines)
            if hd.quoted:
                hd.body = Word([SQ(text)], text, braces=False)
            else:
                hd.body = Word(self.parse_text(text, "heredoc").parts, text, braces=False)

    # -- words -----------------------------------------------------------------------
    def parse_text(self, text: str, mode: str) -> Word:
        """Read all of ``text`` as one word in ``mode`` (``heredoc``, ``arith``, ``brace``)."""
        sub = Lexer(text, final=True, line=self.line)
        parts = sub.read_parts(mode)
        return Word(parts, raw=text)

    def _cmdsub(self) -> Command | None:
        if self.parse_cmdsub is not None:
            return self.parse_cmdsub()
        from .parser import Parser

        return Parser(self).parse_cmdsub_body()

    def read_parts(self, mode: str) -> list[Part]:
        """Read word parts until the end of the word for ``mode``:
        ``cmd`` stops at blanks and operators, ``assign`` also expands ``~`` after ``:``,
        ``heredoc``/``arith`` read to the end of the text, ``brace`` stops at ``}``."""
        src = self.src
        parts: list[Part] = []
        buf: list[str] = []
        n = len(src)
        in_cmd = mode in ("cmd", "assign")
        if in_cmd and self.pos < n and src[self.pos] == "~":
            self._read_tilde(parts)
        while self.pos < n:
            c = src[self.pos]
            if in_cmd:
                m = _PLAIN.match(src, self.pos)
                if m:
                    text = m.group()
                    if mode == "assign" and ":~" in text:
                        k = text.index(":~") + 1
                        text = text[:k]
                        buf.append(text)
                        self.pos += len(text)
                        parts.extend(_flush(buf))
                        self._read_tilde(parts)
                        continue
                    buf.append(text)
                    self.pos = m.end()
                    continue
                if c in _META:
                    break
                if c == "~":
                    buf.append(c)
                    self.pos += 1
                    continue
            elif mode in ("heredoc", "heredoc_dq"):
                if c not in "$`\\":
                    buf.append(c)
                    self.pos += 1
                    continue
            elif mode == "arith":
                if c not in "$`\\'\"":
                    buf.append(c)
                    self.pos += 1
                    continue
            if c == "\\":
                nxt = src[self.pos + 1 : self.pos + 2]
                if nxt == "\n":
                    self.pos += 2
                    self.line += 1
                    continue
                if mode == "heredoc" and nxt not in ("$", "`", "\\"):
                    buf.append("\\")
                    self.pos += 1
                    continue
                if not nxt:
                    if not self.final and in_cmd:
                        raise self.eof()
                    buf.append("\\")
                    self.pos += 1
                    continue
                parts.extend(_flush(buf))
                parts.append(Escaped(nxt))
                self.pos += 2
                continue
            if c in "'\"$`":
                if c == "'" and mode == "heredoc":
                    buf.append(c)
                    self.pos += 1
                    continue
                parts.extend(_flush(buf))
                self._read_special(c, parts, mode)
                continue
            if c == "\n":
                self.line += 1
            buf.append(c)
            self.pos += 1
        parts.extend(_flush(buf))
        return parts

    def _read_tilde(self, parts: list[Part]) -> None:
        src = self.src
        j = self.pos + 1
        while j < len(src) and src[j] not in _META and src[j] not in "/:'\"\\$`":
            j += 1
        if j >= len(src) or src[j] in _META or src[j] in "/:":
            parts.append(Tilde(src[self.pos + 1 : j]))
            self.pos = j

    def _read_special(self, c: str, parts: list[Part], mode: str) -> None:
        """Read a quote, ``$``-expansion or backquote starting at ``self.pos``."""
        if c == "'":
            end = self.src.find("'", self.pos + 1)
            if end < 0:
                raise self.eof("'")
            text = self.src[self.pos + 1 : end]
            self.line += text.count("\n")
            parts.append(SQ(text))
            self.pos = end + 1
        elif c == '"':
            self.pos += 1
            parts.append(DQ(self._read_dq()))
        elif c == "`":
            parts.append(self._read_backtick(in_dq=False))
        else:
            self._read_dollar(parts, in_dq=False)

    def _read_dq(self, stop: str = '"') -> list[Part]:
        src = self.src
        parts: list[Part] = []
        buf: list[str] = []
        while True:
            if self.pos >= len(src):
                raise self.eof('"')
            c = src[self.pos]
            if c == stop:
                self.pos += 1
                break
            if c == "\\":
                nxt = src[self.pos + 1 : self.pos + 2]
                if nxt == "\n":
                    self.pos += 2
                    self.line += 1
                elif nxt in _DQ_ESCAPABLE and nxt:
                    buf.append(nxt)
                    self.pos += 2
                else:
                    buf.append("\\")
                    self.pos += 1
            elif c == "$":
                parts.extend(_flush(buf))
                self._read_dollar(parts, in_dq=True)
            elif c == "`":
                parts.extend(_flush(buf))
                parts.append(self._read_backtick(in_dq=True))
            else:
                if c == "\n":
                    self.line += 1
                buf.append(c)
                self.pos += 1
        parts.extend(_flush(buf))
        return parts

    def _read_backtick(self, in_dq: bool) -> CmdSub:
        src = self.src
        i = self.pos + 1
        out: list[str] = []
        while True:
            if i >= len(src):
                raise self.eof("`")
            c = src[i]
            if c == "`":
                break
            if c == "\\" and i + 1 < len(src) and src[i + 1] in ("$`\\" + ('"' if in_dq else "")):
                out.append(src[i + 1])
                i += 2
                continue
            out.append(c)
            i += 1
        text = "".join(out)
        self.pos = i + 1
        from .parser import Parser

        sub = Lexer(text, final=True, line=self.line)
        self.line += src.count("\n", self.pos - len(text) - 2, self.pos)
        body = Parser(sub).parse_program()
        return CmdSub(body)

    def _read_dollar(self, parts: list[Part], in_dq: bool) -> None:
        src = self.src
        p = self.pos
        nxt = src[p + 1 : p + 2]
        if nxt == "(":
            if src.startswith("((", p + 1):
                self.pos = p + 3
                text = self.read_arith_text()
                parts.append(ArithSub(self.parse_text(text, "arith")))
                return
            self.pos = p + 2
            body = self._cmdsub()
            parts.append(_cmdsub_part(body))
            return
        if nxt == "{":
            self.pos = p + 2
            parts.append(self._read_brace_param(in_dq))
            return
        if nxt == "'" and not in_dq:
            end = p + 2
            while True:
                if end >= len(src):
                    raise self.eof("'")
                if src[end] == "\\":
                    end += 2
                    continue
                if src[end] == "'":
                    break
                end += 1
            raw = src[p + 2 : end]
            self.line += raw.count("\n")
            parts.append(SQ(decode_ansi_c(raw)[0]))
            self.pos = end + 1
            return
        if nxt == '"' and not in_dq:
            self.pos = p + 2
            parts.append(DQ(self._read_dq()))
            return
        if nxt and nxt in _SPECIAL_PARAMS:
            parts.append(Param(nxt))
            self.pos = p + 2
            return
        m = _NAME.match(src, p + 1)
        if m:
            parts.append(Param(m.group()))
            self.pos = m.end()
            return
        parts.append(Lit("$") if not in_dq else Lit("$"))
        self.pos = p + 1

    def _read_brace_param(self, in_dq: bool) -> Param:
        src = self.src
        start = self.pos - 2
        n = len(src)
        length = indirect = False
        c = src[self.pos : self.pos + 1]
        if c == "#" and self.pos + 1 < n and src[self.pos + 1] not in "}":
            nc = src[self.pos + 1]
            if nc not in ":-=+?%/" or nc == "#" and False:
                length = True
                self.pos += 1
        elif c == "!" and self.pos + 1 < n and src[self.pos + 1] != "}":
            indirect = True
            self.pos += 1
        m = _NAME.match(src, self.pos)
        if m:
            name = m.group()
            self.pos = m.end()
        elif self.pos < n and src[self.pos].isdigit():
            j = self.pos
            while j < n and src[j].isdigit():
                j += 1
            name = src[self.pos : j]
            self.pos = j
        elif self.pos < n and src[self.pos] in _SPECIAL_PARAMS:
            name = src[self.pos]
            self.pos += 1
        else:
            return self._bad_subst(start)
        param = Param(name, length=length, indirect=indirect, braced=True)
        if src.startswith("[", self.pos):
            depth, k = 0, self.pos
            while k < n:
                if src[k] == "[":
                    depth += 1
                elif src[k] == "]":
                    depth -= 1
                    if depth == 0:
                        break
                k += 1
            else:
                raise self.eof("}")
            param.index = self.parse_text(src[self.pos + 1 : k], "arith")
            self.pos = k + 1
        if self.pos >= n:
            raise self.eof("}")
        c = src[self.pos]
        if c == "}":
            self.pos += 1
            return param
        if indirect and c in "*@" and src.startswith("}", self.pos + 1):
            param.op = "!" + c
            self.pos += 2
            return param
        if length:
            return self._bad_subst(start)
        two = src[self.pos : self.pos + 2]
        if two in (":-", ":=", ":+", ":?"):
            param.op = two
            self.pos += 2
            param.arg = self._brace_arg("}", in_dq)
        elif c in "-=+?":
            param.op = c
            self.pos += 1
            param.arg = self._brace_arg("}", in_dq)
        elif c in "#%":
            param.op = c + c if src.startswith(c, self.pos + 1) else c
            self.pos += len(param.op)
            param.arg = self._brace_arg("}", in_dq, pattern=True)
        elif c in "^,":
            param.op = c + c if src.startswith(c, self.pos + 1) else c
            self.pos += len(param.op)
            param.arg = self._brace_arg("}", in_dq, pattern=True)
        elif c == "/":
            op = "/"
            self.pos += 1
            if self.pos < n and src[self.pos] in "/#%":
                op += src[self.pos]
                self.pos += 1
            param.op = op
            param.arg = self._brace_arg("/}", in_dq, pattern=True)
            if src.startswith("/", self.pos - 1) and src[self.pos - 1] == "/":
                param.arg2 = self._brace_arg("}", in_dq)
        elif c == ":":
            param.op = ":"
            self.pos += 1
            param.arg = self._arith_arg(":}")
            if src[self.pos - 1] == ":":
                param.arg2 = self._arith_arg("}")
        elif c == "@" and self.pos + 1 < n:
            param.op = "@" + src[self.pos + 1]
            self.pos += 2
            if not src.startswith("}", self.pos):
                return self._bad_subst(start)
            self.pos += 1
        else:
            return self._bad_subst(start)
        return param

    def _bad_subst(self, start: int) -> Param:
        end = self.src.find("}", self.pos)
        if end < 0:
            raise self.eof("}")
        self.pos = end + 1
        return Param("", op="BAD", arg=Word([Lit(self.src[start : end + 1])]))

    def _arith_arg(self, stops: str) -> Word:
        src = self.src
        depth = 0
        i = self.pos
        while i < len(src):
            c = src[i]
            if c in "([{":
                depth += 1
            elif c in ")]}" and depth > 0 and not (c == "}" and depth == 0):
                depth -= 1
            elif c in stops and depth == 0:
                break
            elif c == "?" and depth == 0:
                depth += 0
            i += 1
        else:
            raise self.eof("}")
        text = src[self.pos : i]
        self.pos = i + 1
        return self.parse_text(text, "arith")

    def _brace_arg(self, stops: str, in_dq: bool, pattern: bool = False) -> Word:
        """The word operand inside ``${...}``, up to one of ``stops`` (consumed)."""
        src = self.src
        parts: list[Part] = []
        buf: list[str] = []
        if not in_dq and not pattern and src.startswith("~", self.pos):
            j = self.pos + 1
            while j < len(src) and (src[j].isalnum() or src[j] in "_-+."):
                j += 1
            if j < len(src) and src[j] in "/}":
                parts.append(Tilde(src[self.pos + 1 : j]))
                self.pos = j
        while True:
            if self.pos >= len(src):
                raise self.eof("}")
            c = src[self.pos]
            if c in stops:
                self.pos += 1
                break
            if c == "\\":
                nxt = src[self.pos + 1 : self.pos + 2]
                if nxt == "\n":
                    self.pos += 2
                    continue
                if in_dq and not pattern and nxt not in _DQ_ESCAPABLE and nxt != "}":
                    buf.append("\\")
                    self.pos += 1
                    continue
                parts.extend(_flush(buf))
                parts.append(Escaped(nxt))
                self.pos += 2
                continue
            if c == "'" and in_dq and not pattern:
                buf.append(c)
                self.pos += 1
                continue
            if c in "'\"$`":
                parts.extend(_flush(buf))
                self._read_special(c, parts, "brace")
                continue
            if c == "\n":
                self.line += 1
            buf.append(c)
            self.pos += 1
        parts.extend(_flush(buf))
        if in_dq and not pattern:
            # inside "...", the operand is itself double-quoted: no splitting or globbing
            return Word([DQ(parts)])
        return Word(parts)


def _flush(buf: list[str]) -> list[Part]:
    if not buf:
        return []
    text = "".join(buf)
    buf.clear()
    return [Lit(text)]


def _cmdsub_part(body: Command | None) -> CmdSub:
    from .ast import Seq, Simple

    node = body
    if isinstance(node, Seq) and len(node.items) == 1:
        node = node.items[0]
    if (
        isinstance(node, Simple)
        and not node.words
        and not node.assigns
        and len(node.redirs) == 1
        and node.redirs[0].op == "<"
        and node.redirs[0].fd is None
    ):
        return CmdSub(body, file=node.redirs[0].target)
    return CmdSub(body)
