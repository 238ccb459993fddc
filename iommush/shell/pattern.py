"""Shell patterns (``*``, ``?``, ``[...]``, ``[!...]``, ``[[:alpha:]]``) as regular
expressions, for ``case``, ``[[ == ]]``, ``${x#pat}`` and pathname expansion.

A pattern string uses backslash to mark a quoted character: the expander turns
``"*"`` into ``\\*`` before matching, so quoting survives.

>>> match("iommu_group*", "iommu_group")
True
>>> match("\\\\*", "x")
False
"""

from __future__ import annotations

import re
from functools import lru_cache

__all__ = ["GLOBBY", "escape", "has_magic", "match", "to_regex", "compile_pattern", "unescape"]

_CLASSES = {
    "alpha": "a-zA-Z", "digit": "0-9", "alnum": "a-zA-Z0-9", "upper": "A-Z", "lower": "a-z",
    "space": r" \t\n\r\f\v", "blank": r" \t", "punct": re.escape("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"),
    "xdigit": "0-9A-Fa-f", "word": r"\w", "cntrl": r"\x00-\x1f\x7f", "print": r"\x20-\x7e",
    "graph": r"\x21-\x7e",
}  # fmt: skip


def escape(text: str) -> str:
    """Quote ``text`` so every character matches itself."""
    if not any(c in text for c in "*?[\\"):
        return text
    return "".join("\\" + c if c in "*?[]\\" else c for c in text)


def unescape(pattern: str) -> str:
    """The literal text of a pattern (backslashes removed)."""
    if "\\" not in pattern:
        return pattern
    out: list[str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if c == "\\" and i + 1 < len(pattern):
            out.append(pattern[i + 1])
            i += 2
        else:
            out.append(c)
            i += 1
    return "".join(out)


def has_magic(pattern: str) -> bool:
    """True if the pattern has an unquoted ``*``, ``?`` or ``[``."""
    i = 0
    n = len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if c in "*?":
            return True
        if c == "[" and _bracket_end(pattern, i) > 0:
            return True
        i += 1
    return False


def _bracket_end(p: str, i: int) -> int:
    """Index just past the ``]`` closing the bracket expression at ``p[i]``, or -1."""
    j = i + 1
    n = len(p)
    if j < n and p[j] in "!^":
        j += 1
    if j < n and p[j] == "]":
        j += 1
    while j < n:
        c = p[j]
        if c == "\\":
            j += 2
            continue
        if c == "[" and p.startswith("[:", j):
            k = p.find(":]", j + 2)
            if k > 0:
                j = k + 2
                continue
        if c == "]":
            return j + 1
        j += 1
    return -1


def to_regex(pattern: str) -> str:
    """The regular expression (without anchors) equivalent to ``pattern``."""
    out: list[str] = []
    i = 0
    n = len(pattern)
    while i < n:
        c = pattern[i]
        if c == "\\":
            if i + 1 < n:
                out.append(re.escape(pattern[i + 1]))
                i += 2
            else:
                out.append(re.escape("\\"))
                i += 1
        elif c == "*":
            while i + 1 < n and pattern[i + 1] == "*":
                i += 1
            out.append(".*")
            i += 1
        elif c == "?":
            out.append(".")
            i += 1
        elif c == "[":
            end = _bracket_end(pattern, i)
            if end < 0:
                out.append(re.escape("["))
                i += 1
                continue
            out.append(_bracket(pattern[i + 1 : end - 1]))
            i = end
        else:
            out.append(re.escape(c))
            i += 1
    return "".join(out)


def _bracket(body: str) -> str:
    neg = False
    if body[:1] in ("!", "^"):
        neg = True
        body = body[1:]
    items: list[str] = []
    i = 0
    n = len(body)
    while i < n:
        c = body[i]
        if c == "[" and body.startswith("[:", i):
            k = body.find(":]", i + 2)
            if k > 0:
                items.append(_CLASSES.get(body[i + 2 : k], ""))
                i = k + 2
                continue
        if c == "\\" and i + 1 < n:
            c = body[i + 1]
            i += 1
        if i + 2 < n and body[i + 1] == "-" and body[i + 2] != "]":
            hi = body[i + 2]
            if hi == "\\" and i + 3 < n:
                hi = body[i + 3]
                i += 1
            if ord(hi) >= ord(c):
                items.append(re.escape(c) + "-" + re.escape(hi))
            i += 3
            continue
        items.append(re.escape(c))
        i += 1
    if not items:
        return "(?!)" if not neg else "."
    return "[" + ("^" if neg else "") + "".join(items) + "]"


@lru_cache(maxsize=1024)
def compile_pattern(pattern: str, anchored: bool = True) -> re.Pattern[str]:
    """The compiled regex of ``pattern`` (whole-string match when ``anchored``)."""
    rx = to_regex(pattern)
    return re.compile(("(?:" + rx + r")\Z") if anchored else rx, re.DOTALL)


def match(pattern: str, text: str) -> bool:
    """Does ``text`` match the whole ``pattern``."""
    if not has_magic(pattern):
        return unescape(pattern) == text
    return compile_pattern(pattern).match(text) is not None


#: Characters that may start a pattern (a cheap pre-check before ``has_magic``).
GLOBBY = re.compile(r"[*?\[]")
