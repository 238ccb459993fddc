"""Brace expansion, as bash's ``braces.c`` does it: ``{a,b}``, ``{1..10}``,
``{01..10}``, ``{a..e}``, ``{1..10..2}``, nested, with a preamble and a postamble.

It runs first, on the word as the lexer read it: only unquoted literal text takes part
(quoted text, ``\\{``, ``$x``, ``${x}``, ``$(...)`` are opaque), so ``"{a,b}"`` and
``\\{a,b}`` stay as they are, and ``{$x,y}`` gives ``$x`` and ``y`` to be expanded
later. ``{}``, ``{a}`` and an invalid sequence such as ``{1..a}`` are left alone.

A word is a list of *atoms*: one-character strings for unquoted literal text, and the
other parts as they are. :func:`brace_expand` returns the part lists of the words, or
None when the word holds no brace expansion.
"""

from __future__ import annotations

from .ast import Lit, Param, Part
from .errors import ExpansionError

__all__ = ["MAX_WORDS", "brace_expand"]

#: Most words one brace expansion may make (bash fails to allocate memory past its own).
MAX_WORDS = 1 << 20

Atom = str | Part
_BLANKS = frozenset(" \t\n")
_DIGITS = frozenset("0123456789")


def brace_expand(parts: list[Part]) -> list[list[Part]] | None:
    """The words ``parts`` expands to, or None if there is no brace expansion in it."""
    atoms: list[Atom] = []
    for p in parts:
        if type(p) is Lit:
            atoms.extend(p.text)
        else:
            atoms.append(p)
    words = _expand(atoms)
    if len(words) == 1 and words[0] == atoms:
        return None
    return [_to_parts(w) for w in words]


def _expand(text: list[Atom]) -> list[list[Atom]]:
    """bash's ``brace_expand``: preamble, the first valid brace expression, postamble."""
    n = len(text)
    i = 0
    while True:
        i, c = _gobble(text, i, "{")
        if c is None:
            return [text]
        j, close, kind = _gobble_close(text, i + 1)
        if close is not None and (kind != "seq" or _valid_seqterm(text[i + 1 : j])):
            break
        i += 1
    preamble = text[:i]
    start = i + 1
    amble = text[start:j]
    tack: list[list[Atom]] | None
    if kind == "seq":
        tack = _seqterm(amble)
        if tack is None:
            if j + 1 >= n:
                return [text]
            tack = [text[start - 1 : j + 1]]
    else:
        tack = _expand_amble(amble)
    result = [preamble + t for t in tack]
    post = text[j + 1 :]
    if post:
        tails = _expand(post)
        if len(result) * len(tails) > MAX_WORDS:
            raise _too_many(len(result) * len(tails))
        result = [r + t for r in result for t in tails]
    return result


def _expand_amble(amble: list[Atom]) -> list[list[Atom]]:
    """Split at the commas outside inner braces and expand each piece."""
    out: list[list[Atom]] = []
    start = 0
    while True:
        i, c = _gobble(amble, start, ",")
        out.extend(_expand(amble[start:i]))
        if len(out) > MAX_WORDS:
            raise _too_many(len(out))
        if c is None:
            return out
        start = i + 1


def _gobble(text: list[Atom], i: int, satisfy: str) -> tuple[int, str | None]:
    """bash's ``brace_gobbler`` for ``{`` or ``,``: the index of the first unquoted
    ``satisfy`` outside inner braces, and it (None at the end of the word)."""
    level = 0
    n = len(text)
    while i < n:
        c = text[i]
        if type(c) is not str:
            i += 1
            continue
        if c == satisfy and level == 0:
            if c == "{" and (i == 0 or _blank(text[i - 1])):
                nxt = text[i + 1] if i + 1 < n else None
                if nxt is not None and (_blank(nxt) or nxt == "}"):
                    i += 1
                    continue
            return i, c
        if c == "{":
            level += 1
        elif c == "}" and level:
            level -= 1
        i += 1
    return n, None


def _gobble_close(text: list[Atom], i: int) -> tuple[int, str | None, str]:
    """The closing ``}`` of a brace expression opened before ``i``: (index, ``}`` or
    None, ``"comma"`` | ``"seq"`` | ``""``). A ``}`` closes only after a comma or a
    ``..`` outside inner braces (so ``{a}`` is no brace expression)."""
    level = 0
    kind = ""
    n = len(text)
    while i < n:
        c = text[i]
        if type(c) is not str:
            i += 1
            continue
        if c == "}" and level == 0 and kind:
            return i, c, kind
        if c == "{":
            level += 1
        elif c == "}" and level:
            level -= 1
        elif c == "," and level == 0:
            kind = "comma"
        elif (
            c == "."
            and level == 0
            and not kind
            and i + 1 < n
            and text[i + 1] == "."
            and (i + 2 >= n or text[i + 2] != "}")
        ):
            kind = "seq"
        i += 1
    return n, None, kind


def _blank(a: Atom) -> bool:
    return type(a) is str and a in _BLANKS


def _literal(atoms: list[Atom]) -> str | None:
    """The text of ``atoms`` if they are all unquoted literal characters."""
    if all(type(a) is str for a in atoms):
        return "".join(atoms)  # type: ignore[arg-type]
    return None


def _valid_seqterm(amble: list[Atom]) -> bool:
    """bash's ``valid_seqterm``: a quick look at ``X..Y``'s two ends."""
    text = _literal(amble)
    if text is None:
        return False
    k = text.find("..")
    if k < 0:
        return False
    lhs, rhs = text[:k], text[k + 2 :]
    if not lhs or lhs[0] == "." or not rhs:
        return False
    return _end_kind(lhs, len(lhs) == 1) == _end_kind(rhs, rhs[1:2] in ("", ".")) != ""


def _end_kind(s: str, char_ok: bool) -> str:
    if s[0] in _DIGITS or (s[0] in "+-" and s[1:2] in _DIGITS and s[1:2] != ""):
        return "int"
    if s[0].isascii() and s[0].isalpha() and char_ok:
        return "char"
    return ""


def _int(s: str) -> int | None:
    """``strtoimax`` of a whole string: optional sign, decimal digits."""
    body = s[1:] if s[:1] in ("+", "-") else s
    if not body or not all(c in _DIGITS for c in body):
        return None
    value = int(s)
    return value if -(1 << 63) <= value < (1 << 63) else None


def _seqterm(amble: list[Atom]) -> list[list[Atom]] | None:
    """bash's ``expand_seqterm``: ``X..Y[..INCR]`` of integers or of letters."""
    text = _literal(amble)
    if text is None:
        return None
    k = text.find("..")
    if k < 0:
        return None
    lhs, rest = text[:k], text[k + 2 :]
    if not lhs or not rest:
        return None
    m = rest.find("..")
    rhs, incr_text = (rest, None) if m < 0 else (rest[:m], rest[m + 2 :])
    incr = 1
    if incr_text is not None:
        value = _int(incr_text)
        if value is None:
            return None
        incr = value
    lhs_v = _int(lhs)
    rhs_v = _int(rhs)
    if lhs_v is not None and rhs_v is not None:
        width = 0
        if (len(lhs) > 1 and lhs[0] == "0") or (len(lhs) > 2 and lhs[:2] == "-0"):
            width = len(lhs)
        if (len(rhs) > 1 and rhs[0] == "0") or (len(rhs) > 2 and rhs[:2] == "-0"):
            width = max(width, len(rhs))
        if width:
            width = max(width, len(lhs), len(rhs))
        return [list(_pad(v, width)) for v in _seq(lhs_v, rhs_v, incr)]
    if (
        len(lhs) == 1
        and len(rhs) == 1
        and lhs.isascii()
        and rhs.isascii()
        and lhs.isalpha()
        and rhs.isalpha()
    ):
        return [[chr(v)] for v in _seq(ord(lhs), ord(rhs), incr)]
    return None


def _seq(start: int, end: int, incr: int) -> range:
    """bash's ``mkseq``: the sign of the step follows the direction; 0 means 1."""
    step = abs(incr) or 1
    count = abs(end - start) // step + 1
    if count > MAX_WORDS:
        raise _too_many(count)
    if end < start:
        return range(start, end - 1, -step)
    return range(start, end + 1, step)


def _pad(v: int, width: int) -> str:
    s = str(abs(v)).rjust(width - (v < 0), "0")
    return "-" + s if v < 0 else s


def _too_many(n: int) -> ExpansionError:
    return ExpansionError(f"brace expansion: failed to allocate memory for {n} elements")


def _to_parts(atoms: list[Atom]) -> list[Part]:
    """Atoms back to parts; ``$name`` directly followed by name characters takes them
    into its name, as bash (which expands braces on the text) reads ``$x{a,b}``."""
    parts: list[Part] = []
    buf: list[str] = []
    for a in atoms:
        if type(a) is str:
            buf.append(a)
            continue
        if buf:
            _flush(parts, buf)
        parts.append(a)  # type: ignore[arg-type]
    if buf:
        _flush(parts, buf)
    return parts


def _flush(parts: list[Part], buf: list[str]) -> None:
    text = "".join(buf)
    buf.clear()
    last = parts[-1] if parts else None
    if (
        type(last) is Param
        and not last.braced
        and not last.op
        and (last.name[0].isalpha() or last.name[0] == "_")
    ):
        k = 0
        while k < len(text) and (text[k].isalnum() or text[k] == "_") and text[k].isascii():
            k += 1
        if k:
            parts[-1] = Param(last.name + text[:k])
            text = text[k:]
    if text:
        parts.append(Lit(text))
