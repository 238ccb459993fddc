"""``sort`` (C locale byte order, as ``LC_ALL=C sort``) with ``-n``, ``-h``, ``-V``,
``-u``, ``-r``, ``-k``, ``-t``, ``-f``, ``-b``, ``-s``; and ``filevercmp``, the version
order of gnulib that ``sort -V`` and ``ls -v`` use."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

from iommush.shell.command import CommandContext

from ._base import UsageError, parse_options, quote, strerror, utility

__all__ = ["filevercmp", "sort"]


def _order(c: str) -> int:
    if c.isdigit():
        return 0
    if c.isalpha() and c.isascii():
        return ord(c)
    if c == "~":
        return -1
    return ord(c) + 256


def _verrevcmp(a: str, b: str) -> int:
    i = j = 0
    while i < len(a) or j < len(b):
        first_diff = 0
        while (i < len(a) and not a[i].isdigit()) or (j < len(b) and not b[j].isdigit()):
            ac = _order(a[i]) if i < len(a) else 0
            bc = _order(b[j]) if j < len(b) else 0
            if ac != bc:
                return ac - bc
            i += 1
            j += 1
        while i < len(a) and a[i] == "0":
            i += 1
        while j < len(b) and b[j] == "0":
            j += 1
        while i < len(a) and a[i].isdigit() and j < len(b) and b[j].isdigit():
            if not first_diff:
                first_diff = ord(a[i]) - ord(b[j])
            i += 1
            j += 1
        if i < len(a) and a[i].isdigit():
            return 1
        if j < len(b) and b[j].isdigit():
            return -1
        if first_diff:
            return first_diff
    return 0


_SUFFIX = re.compile(r"(\.[A-Za-z~][A-Za-z0-9~]*)*$")


def _prefix_len(s: str) -> int:
    m = _SUFFIX.search(s)
    return m.start() if m else len(s)


def filevercmp(a: str, b: str) -> int:
    """gnulib ``filevercmp``: ``2 < 10``, ``a.tar.gz`` by its stem first."""
    if a == b:
        return 0
    if not a:
        return -1
    if not b:
        return 1
    for special in (".", ".."):
        if a == special:
            return -1
        if b == special:
            return 1
    if a[0] == "." and b[0] != ".":
        return -1
    if b[0] == "." and a[0] != ".":
        return 1
    if a[0] == "." and b[0] == ".":
        a, b = a[1:], b[1:]
    pa, pb = _prefix_len(a), _prefix_len(b)
    one_pass = pa == len(a) and pb == len(b)
    r = _verrevcmp(a[:pa], b[:pb])
    if r or one_pass:
        return r
    return _verrevcmp(a, b)


_NUM = re.compile(r"^[ \t]*(-?)(\d*)(?:\.(\d*))?")
_HUMAN = re.compile(r"^[ \t]*(-?)(\d*)(?:\.(\d*))?([KMGTPEZY]?)")


def _numeric(s: str) -> float:
    m = _NUM.match(s)
    if not m or not (m.group(2) or m.group(3)):
        return 0.0
    value = float(f"{m.group(2) or 0}.{m.group(3) or 0}")
    return -value if m.group(1) else value


def _human(s: str) -> tuple[int, float]:
    m = _HUMAN.match(s)
    if not m or not (m.group(2) or m.group(3)):
        return (0, 0.0)
    value = float(f"{m.group(2) or 0}.{m.group(3) or 0}")
    power = " KMGTPEZY".index(m.group(4) or " ")
    sign = -1 if m.group(1) else 1
    if value == 0:
        return (0, 0.0)
    return (sign * (power + 1), sign * value)


@dataclass
class Key:
    start_field: int
    start_char: int
    end_field: int  # 0: end of line
    end_char: int
    flags: str


def _parse_key(spec: str, global_flags: str) -> Key:
    m = re.fullmatch(
        r"(\d+)(?:\.(\d+))?([bdfgiMhnRrV]*)(?:,(\d+)(?:\.(\d+))?([bdfgiMhnRrV]*))?", spec
    )
    if not m or int(m.group(1)) == 0:
        raise UsageError(
            f"invalid number at field start: invalid count at start of {quote(spec)}", 2
        )
    flags = (m.group(3) or "") + (m.group(6) or "")
    return Key(
        int(m.group(1)),
        int(m.group(2) or 1),
        int(m.group(4) or 0),
        int(m.group(5) or 0),
        flags or global_flags,
    )


def _fields(line: str, sep: str | None) -> list[tuple[int, int]]:
    """Start/end offsets of each field (blank-separated fields keep their leading blanks)."""
    spans = []
    if sep is not None:
        pos = 0
        for part in line.split(sep):
            spans.append((pos, pos + len(part)))
            pos += len(part) + 1
        return spans
    for m in re.finditer(r"[ \t]*[^ \t]+|[ \t]+$", line):
        spans.append((m.start(), m.end()))
    return spans or [(0, 0)]


def _extract(line: str, key: Key, sep: str | None) -> str:
    spans = _fields(line, sep)
    if key.start_field > len(spans):
        return ""
    s0, e0 = spans[key.start_field - 1]
    field_text = line[s0:e0]
    offset = 0
    if "b" in key.flags:
        offset = len(field_text) - len(field_text.lstrip(" \t"))
    start = min(s0 + offset + key.start_char - 1, e0)
    if key.end_field == 0:
        end = len(line)
    elif key.end_field > len(spans):
        end = len(line)
    else:
        s1, e1 = spans[key.end_field - 1]
        end = e1 if key.end_char == 0 else min(s1 + key.end_char, e1)
    return line[start:end] if end > start else ""


def _compare_fn(flags: str) -> Callable[[str, str], int]:
    def base(a: str, b: str) -> int:
        if "f" in flags:
            a, b = a.upper(), b.upper()
        if "b" in flags:
            a, b = a.lstrip(" \t"), b.lstrip(" \t")
        if "n" in flags:
            x, y = _numeric(a), _numeric(b)
            return (x > y) - (x < y)
        if "h" in flags:
            hx, hy = _human(a), _human(b)
            return (hx > hy) - (hx < hy)
        if "g" in flags:
            try:
                fx = float(a.strip() or "nan")
            except ValueError:
                fx = float("-inf")
            try:
                fy = float(b.strip() or "nan")
            except ValueError:
                fy = float("-inf")
            return (fx > fy) - (fx < fy)
        if "V" in flags:
            return filevercmp(a, b)
        ab = a.encode("utf-8", "surrogateescape")
        bb = b.encode("utf-8", "surrogateescape")
        return (ab > bb) - (ab < bb)

    if "r" in flags:
        return lambda a, b: -base(a, b)
    return base


@utility(
    "sort",
    "sort [-nhVurfbs] [-t SEP] [-k KEY]... [FILE]...",
    "sort lines of text files",
    options=("-n", "-h", "-V", "-u", "-r", "-k", "-t", "-f", "-b", "-s", "-o"),
)
def sort(ctx: CommandContext) -> int:
    """Print the lines of all FILEs sorted (byte order, as in the C locale)."""
    long = {
        "numeric-sort": "n",
        "human-numeric-sort": "h",
        "version-sort": "V",
        "unique": "u",
        "reverse": "r",
        "key=": "k",
        "field-separator=": "t",
        "ignore-case": "f",
        "ignore-leading-blanks": "b",
        "stable": "s",
        "output=": "o",
        "general-numeric-sort": "g",
        "zero-terminated": "z",
        "check": "c",
    }
    opts = parse_options(ctx.argv[1:], "nhVurk:t:fbso:gzcdiM", long, status=2)
    global_flags = "".join(c for c in "nhVrfbg" if opts.has(c))
    sep = opts.last("t")
    if sep is not None and len(sep) != 1:
        if sep == "\\0":
            sep = "\0"
        else:
            raise UsageError(f"multi-character tab {quote(sep)}", 2, hint=False)
    keys = [_parse_key(k, global_flags) for k in opts.all("k")]
    eol = "\0" if opts.has("z") else "\n"
    lines: list[str] = []
    for name in opts.operands or ["-"]:
        try:
            if name == "-":
                data = ctx.stdin.read()
            else:
                with ctx.fs.open(name, cwd=ctx.cwd) as of:
                    data = of.read()
        except OSError as exc:
            ctx.error(f"cannot read: {name}: {strerror(exc.errno)}")
            return 2
        part = data.decode("utf-8", "surrogateescape").split(eol)
        if part[-1] == "":
            part.pop()
        lines.extend(part)
    if keys:
        comparators = [(k, _compare_fn(k.flags)) for k in keys]

        def keyed(a: str, b: str) -> int:
            for k, fn in comparators:
                r = fn(_extract(a, k, sep), _extract(b, k, sep))
                if r:
                    return r
            return 0

        primary: Callable[[str, str], int] = keyed
    else:
        primary = _compare_fn(global_flags)
    last_resort = not (opts.has("s") or opts.has("u")) and (keys or global_flags.strip("r"))
    rev = "r" in global_flags

    def full(a: str, b: str) -> int:
        r = primary(a, b)
        if r or not last_resort:
            return r
        ab, bb = a.encode("utf-8", "surrogateescape"), b.encode("utf-8", "surrogateescape")
        r = (ab > bb) - (ab < bb)
        return -r if rev else r

    lines.sort(key=functools.cmp_to_key(full))
    if opts.has("u"):
        uniq: list[str] = []
        for line in lines:
            if not uniq or primary(uniq[-1], line) != 0:
                uniq.append(line)
        lines = uniq
    text = "".join(line + eol for line in lines)
    out = opts.last("o")
    if out is not None:
        try:
            ctx.fs.write_bytes(out, text.encode("utf-8", "surrogateescape"), ctx.cwd)
        except OSError as exc:
            ctx.error(f"open failed: {out}: {strerror(exc.errno)}")
            return 2
        return 0
    ctx.out(text)
    return 0
