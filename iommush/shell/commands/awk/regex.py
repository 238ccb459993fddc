"""awk's regular expressions: POSIX EREs with awk's escape sequences (``\\/``, ``\\t``,
``\\ddd``, backslash escapes inside brackets) translated to Python ``re``.

``^`` and ``$`` anchor only at the ends of the whole string and ``.`` matches a newline,
as in awk. Interval expressions ``{n,m}`` follow POSIX (gawk --posix).
"""

from __future__ import annotations

import re

from .._regex import POSIX_CLASSES as _CLASSES
from .errors import AwkRuntimeError

__all__ = ["RegexError", "compile_ere", "translate"]

_ESC = {"n": "\n", "t": "\t", "r": "\r", "f": "\f", "v": "\v", "a": "\a", "b": "\b"}
_GNU = {
    "s": r"\s",
    "S": r"\S",
    "w": r"\w",
    "W": r"\W",
    "y": r"\b",
    "B": r"\B",
    "<": r"\b(?=\w)",
    ">": r"\b(?<=\w)",
    "`": r"\A",
    "'": r"\Z",
}


class RegexError(AwkRuntimeError):
    """A malformed regular expression."""


def _escape_char(pat: str, i: int) -> tuple[str, int]:
    """The literal character of the escape at ``pat[i] == '\\\\'``: (char, next index)."""
    if i + 1 >= len(pat):
        return "\\", i + 1
    d = pat[i + 1]
    if d in _ESC:
        return _ESC[d], i + 2
    if d in "01234567":
        j = i + 1
        while j < len(pat) and j < i + 4 and pat[j] in "01234567":
            j += 1
        return chr(int(pat[i + 1 : j], 8) & 0xFF), j
    return d, i + 2


def _class_char(c: str) -> str:
    return "\\" + c if c in "\\[]^-&~|" else c


def _bracket(pat: str, i: int) -> tuple[str, int]:
    """Translate the bracket expression at ``pat[i] == '['``."""
    j = i + 1
    out = "["
    if j < len(pat) and pat[j] == "^":
        out += "^"
        j += 1
    first = True
    while True:
        if j >= len(pat):
            raise RegexError("bad class -- [], [^] or [")
        c = pat[j]
        if c == "]" and not first:
            return out + "]", j + 1
        first = False
        if c == "[" and j + 1 < len(pat) and pat[j + 1] in ":.=":
            kind = pat[j + 1]
            end = pat.find(kind + "]", j + 2)
            if end < 0:
                raise RegexError("bad class -- [], [^] or [")
            name = pat[j + 2 : end]
            if kind == ":":
                if name not in _CLASSES:
                    raise RegexError(f"invalid character class [:{name}:]")
                out += _CLASSES[name]
            else:
                out += "".join(_class_char(ch) for ch in name)
            j = end + 2
            continue
        if c == "\\":
            ch, j = _escape_char(pat, j)
            out += _class_char(ch)
            continue
        if c == "-" and out[-1] not in "[^" and j + 1 < len(pat) and pat[j + 1] != "]":
            out += "-"
        else:
            out += _class_char(c)
        j += 1


_INTERVAL = re.compile(r"\{(\d+)(,(\d*))?\}")


def translate(pat: str) -> str:
    """An awk ERE as a Python pattern (to compile with ``re.DOTALL``)."""
    out: list[str] = []
    i = 0
    n = len(pat)
    at_start = True  # where ``* + ?`` are literal
    depth = 0
    quantified = False
    while i < n:
        c = pat[i]
        start = at_start
        at_start = False
        after_quant = quantified
        quantified = False
        if c == "\\":
            if i + 1 < n and pat[i + 1] in _GNU:
                out.append(_GNU[pat[i + 1]])
                i += 2
                continue
            ch, i = _escape_char(pat, i)
            out.append(re.escape(ch))
            continue
        i += 1
        if c == "[":
            text, i = _bracket(pat, i - 1)
            out.append(text)
        elif c == ".":
            out.append(".")
        elif c == "^":
            out.append("^")
            at_start = True
        elif c == "$":
            out.append(r"\Z")
        elif c == "(":
            if pat.startswith(")", i):
                raise RegexError("missing operand")
            depth += 1
            at_start = True
            out.append("(?:")
        elif c == ")":
            if depth == 0:
                out.append("\\)")
            else:
                depth -= 1
                out.append(")")
        elif c == "|":
            at_start = True
            out.append("|")
        elif c in "*+?":
            if start:
                out.append("\\" + c)
            elif not after_quant:
                out.append(c)
                quantified = True
                continue
            # a repeated quantifier (``a**``, ``a*?``) adds nothing in an ERE
            continue
        elif c == "{":
            m = _INTERVAL.match(pat, i - 1)
            if start or m is None:
                out.append("\\{")
            else:
                lo = m.group(1)
                hi = m.group(3) if m.group(2) else lo
                out.append("{" + lo + ("," + hi if m.group(2) else "") + "}")
                if hi and int(hi) < int(lo):
                    raise RegexError("invalid repetition count(s)")
                i = m.end()
                quantified = True
                continue
        else:
            out.append(re.escape(c))
    if depth:
        raise RegexError("missing )")
    return "".join(out)


_CACHE: dict[str, re.Pattern[str]] = {}


def compile_ere(pat: str) -> re.Pattern[str]:
    """The compiled form of ERE ``pat`` (cached); raises :class:`RegexError`."""
    hit = _CACHE.get(pat)
    if hit is not None:
        return hit
    try:
        rx = re.compile(translate(pat), re.DOTALL)
    except RegexError as exc:
        raise RegexError(f"regular expression compile failed ({exc.message})\n{pat}") from None
    except re.error as exc:
        raise RegexError(f"regular expression compile failed ({exc.msg})\n{pat}") from None
    if len(_CACHE) > 500:
        _CACHE.clear()
    _CACHE[pat] = rx
    return rx
