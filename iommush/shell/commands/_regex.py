"""POSIX basic and extended regular expressions (with the GNU extensions grep and sed
accept: ``\\+ \\? \\|`` in BREs, ``\\< \\> \\b \\w \\s``) translated to Python ``re``.

>>> translate(r"a\\{2\\}b*", extended=False)
'a{2}b*'
>>> translate("[[:digit:]]+", extended=True)
'[0-9]+'
"""

from __future__ import annotations

import re

__all__ = ["POSIX_CLASSES", "RegexError", "compile_posix", "translate"]

#: POSIX character classes as the body of a Python bracket expression (C locale).
POSIX_CLASSES = {
    "alpha": "a-zA-Z",
    "digit": "0-9",
    "alnum": "0-9a-zA-Z",
    "upper": "A-Z",
    "lower": "a-z",
    "space": " \\t\\n\\r\\f\\v",
    "blank": " \\t",
    "punct": "!-/:-@\\[-`{-~",
    "print": " -~",
    "graph": "!-~",
    "cntrl": "\\x00-\\x1f\\x7f",
    "xdigit": "0-9A-Fa-f",
}


class RegexError(ValueError):
    """A malformed expression, with GNU's message (``Unmatched [, [^, [:, [., or [=``)."""


def _bracket(pat: str, i: int) -> tuple[str, int]:
    """Translate the bracket expression starting at ``pat[i] == '['``."""
    j = i + 1
    out = "["
    if j < len(pat) and pat[j] == "^":
        out += "^"
        j += 1
    first = True
    while True:
        if j >= len(pat):
            raise RegexError("Unmatched [, [^, [:, [., or [=")
        c = pat[j]
        if c == "]" and not first:
            return out + "]", j + 1
        first = False
        if c == "[" and j + 1 < len(pat) and pat[j + 1] in ":.=":
            kind = pat[j + 1]
            end = pat.find(kind + "]", j + 2)
            if end < 0:
                raise RegexError("Unmatched [, [^, [:, [., or [=")
            name = pat[j + 2 : end]
            if kind == ":":
                if name not in POSIX_CLASSES:
                    raise RegexError("Invalid character class name")
                out += POSIX_CLASSES[name]
            else:
                out += re.escape(name)
            j = end + 2
            continue
        if c in "\\[]^&~|-" and c != "-":
            out += "\\" + c
        else:
            out += c
        j += 1


def translate(pat: str, *, extended: bool) -> str:
    """A POSIX BRE (``extended=False``) or ERE as a Python pattern."""
    out: list[str] = []
    i = 0
    n = len(pat)
    at_start = True  # where ``*`` is literal and ``^`` is an anchor (BRE)
    depth = 0
    while i < n:
        c = pat[i]
        start = at_start
        at_start = False
        if c == "\\":
            if i + 1 >= n:
                raise RegexError("Trailing backslash")
            d = pat[i + 1]
            i += 2
            if not extended and d in "(){}|+?":
                if d == "(":
                    out.append("(")
                    depth += 1
                    at_start = True
                elif d == ")":
                    if depth == 0:
                        raise RegexError("Unmatched ) or \\)")
                    depth -= 1
                    out.append(")")
                elif d == "|":
                    out.append("|")
                    at_start = True
                elif d == "{":
                    end = pat.find("\\}", i)
                    if end < 0:
                        raise RegexError("Unmatched \\{")
                    out.append("{" + pat[i:end] + "}")
                    i = end + 2
                else:
                    out.append(d)
            elif d == "<":
                out.append(r"\b(?=\w)")
            elif d == ">":
                out.append(r"\b(?<=\w)")
            elif d in "bBwWsS" or d.isdigit():
                out.append("\\" + d)
            elif d == "`":
                out.append(r"\A")
            elif d == "'":
                out.append(r"\Z")
            elif d == "n":
                out.append("\n")
            elif d == "t":
                out.append("\t")
            else:
                out.append(re.escape(d))
            continue
        i += 1
        if c == "[":
            text, i = _bracket(pat, i - 1)
            out.append(text)
        elif c == ".":
            out.append(".")
        elif c == "*":
            out.append("\\*" if start else "*")
        elif c == "^":
            if extended or start:
                out.append("^")
                at_start = True
            else:
                out.append("\\^")
        elif c == "$":
            if extended or i == n or pat.startswith("\\)", i) or pat.startswith("\\|", i):
                out.append("$" if i != n or not extended else "$")
            else:
                out.append("\\$")
        elif extended and c in "()|+?{":
            if c == "(":
                depth += 1
                at_start = True
                out.append("(")
            elif c == ")":
                if depth == 0:
                    raise RegexError("Unmatched ) or \\)")
                depth -= 1
                out.append(")")
            elif c == "|":
                at_start = True
                out.append("|")
            elif c == "{":
                end = pat.find("}", i)
                if end < 0 or not re.fullmatch(r"\d*(,\d*)?", pat[i:end]):
                    out.append("\\{")
                else:
                    out.append("{" + pat[i : end + 1])
                    i = end + 1
            elif start and c in "+?":
                out.append("\\" + c)
            else:
                out.append(c)
        else:
            out.append(re.escape(c) if c in "(){}|+?#&~ \t\n-" else c)
    if depth:
        raise RegexError("Unmatched ( or \\(")
    return "".join(out)


def compile_posix(pat: str, *, extended: bool, icase: bool = False) -> re.Pattern[str]:
    """Compile a POSIX expression; raises :class:`RegexError`."""
    try:
        py = translate(pat, extended=extended)
        flags = re.IGNORECASE if icase else 0
        return re.compile(py, flags)
    except re.error as exc:
        raise RegexError(str(exc)) from None
