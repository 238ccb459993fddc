"""``tr``: translate, squeeze and delete bytes (GNU coreutils), with ranges, ``[:class:]``,
``[c*n]`` repeats, octal and backslash escapes, ``-c``, ``-d``, ``-s``."""

from __future__ import annotations

import string

from iommush.shell.command import CommandContext

from ._base import UsageError, parse_options, quote, utility

__all__ = ["expand_set", "tr"]

_CLASSES = {
    "alnum": string.digits + string.ascii_uppercase + string.ascii_lowercase,
    "alpha": string.ascii_uppercase + string.ascii_lowercase,
    "digit": string.digits,
    "lower": string.ascii_lowercase,
    "upper": string.ascii_uppercase,
    "space": "\t\n\v\f\r ",
    "blank": "\t ",
    "punct": "".join(c for c in map(chr, range(33, 127)) if not c.isalnum()),
    "print": "".join(map(chr, range(32, 127))),
    "graph": "".join(map(chr, range(33, 127))),
    "cntrl": "".join(map(chr, range(0, 32))) + "\x7f",
    "xdigit": string.digits + "ABCDEFabcdef",
}
_ESC = {"n": 10, "t": 9, "r": 13, "a": 7, "b": 8, "f": 12, "v": 11, "\\": 92}


def _unescape(text: str) -> list[int | tuple[str, str]]:
    """Bytes of a set, with classes kept as ``("class", name)`` and repeats as
    ``("repeat", "c,n")``."""
    out: list[int | tuple[str, str]] = []
    raw = text.encode("utf-8", "surrogateescape")
    i = 0
    while i < len(raw):
        c = raw[i]
        if c == 0x5C and i + 1 < len(raw):  # backslash
            d = chr(raw[i + 1])
            if d in "01234567":
                j = i + 1
                while j < len(raw) and j < i + 4 and chr(raw[j]) in "01234567":
                    j += 1
                out.append(int(raw[i + 1 : j], 8) & 0xFF)
                i = j
                continue
            out.append(_ESC.get(d, raw[i + 1]))
            i += 2
            continue
        if c == 0x5B:  # [
            rest = raw[i:].decode("latin-1")
            if rest.startswith("[:") and ":]" in rest:
                name = rest[2 : rest.index(":]")]
                if name not in _CLASSES:
                    raise UsageError(f"invalid character class {quote(name)}", 1, hint=False)
                out.append(("class", name))
                i += rest.index(":]") + 2
                continue
            if len(rest) >= 4 and rest[2] == "*" and "]" in rest[3:]:
                end = rest.index("]", 3)
                count = rest[3:end]
                if count == "" or count.isdigit():
                    out.append(("repeat", f"{ord(rest[1])},{count or 0}"))
                    i += end + 1
                    continue
        out.append(c)
        i += 1
    return out


def expand_set(text: str, *, fill_to: int | None = None) -> list[int]:
    """The bytes a set stands for, in order (``a-z``, ``[:upper:]``, ``[x*]``)."""
    items = _unescape(text)
    out: list[int] = []
    fill_at: int | None = None
    fill_char = 0
    i = 0
    while i < len(items):
        it = items[i]
        if isinstance(it, tuple):
            kind, value = it
            if kind == "class":
                out.extend(ord(c) for c in _CLASSES[value])
            else:
                ch, count = value.split(",")
                if int(count) == 0:
                    fill_at, fill_char = len(out), int(ch)
                else:
                    out.extend([int(ch)] * int(count))
            i += 1
            continue
        if i + 2 < len(items) and items[i + 1] == 0x2D and isinstance(items[i + 2], int):
            hi = items[i + 2]
            assert isinstance(hi, int)
            if hi < it:
                raise UsageError(
                    f"range-endpoints of '{chr(it)}-{chr(hi)}' are in reverse collating "
                    "sequence order",
                    1,
                    hint=False,
                )
            out.extend(range(it, hi + 1))
            i += 3
            continue
        out.append(it)
        i += 1
    if fill_at is not None and fill_to is not None:
        need = max(fill_to - len(out), 0)
        out[fill_at:fill_at] = [fill_char] * need
    return out


@utility(
    "tr", "tr [-cds] SET1 [SET2]", "translate or delete characters", options=("-c", "-d", "-s")
)
def tr(ctx: CommandContext) -> int:
    """Copy standard input to standard output, translating SET1 to SET2, deleting
    (``-d``) or squeezing (``-s``) characters."""
    long = {"complement": "c", "delete": "d", "squeeze-repeats": "s", "truncate-set1": "t"}
    opts = parse_options(ctx.argv[1:], "cCdst", long)
    ops = opts.operands
    delete, squeeze = opts.has("d"), opts.has("s")
    comp = opts.has("c") or opts.has("C")
    if not ops:
        raise UsageError("missing operand", 1)
    if delete and not squeeze and len(ops) > 1:
        raise UsageError(
            f"extra operand {quote(ops[1])}\nOnly one string may be given "
            "when deleting without squeezing repeats.",
            1,
        )
    if not delete and not squeeze and len(ops) < 2:
        raise UsageError(
            f"missing operand after {quote(ops[0])}\nTwo strings must be given when translating.", 1
        )
    if len(ops) > 2:
        raise UsageError(f"extra operand {quote(ops[2])}", 1)
    set1 = expand_set(ops[0])
    if comp:
        members = set(set1)
        set1 = [b for b in range(256) if b not in members]
    set2 = expand_set(ops[1], fill_to=len(set1)) if len(ops) > 1 else []
    data = ctx.stdin.read()
    out = bytearray()
    if delete:
        drop = set(set1)
        data = bytes(b for b in data if b not in drop)
        squeeze_set = set(set2)
        if squeeze:
            for b in data:
                if out and b == out[-1] and b in squeeze_set:
                    continue
                out.append(b)
            ctx.stdout.write(bytes(out))
        else:
            ctx.stdout.write(data)
        return 0
    table = list(range(256))
    if set2:
        if not set2:
            raise UsageError("when not truncating set1, string2 must be non-empty", 1)
        ext = set2 + [set2[-1]] * max(len(set1) - len(set2), 0)
        for a, b in zip(set1, ext, strict=False):
            table[a] = b
        squeeze_set = set(set2)
    else:
        squeeze_set = set(set1)
    for b in data:
        t = table[b]
        if squeeze and out and t == out[-1] and t in squeeze_set:
            continue
        out.append(t)
    ctx.stdout.write(bytes(out))
    return 0
