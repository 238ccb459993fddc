"""Line filters of GNU coreutils: ``head``, ``tail``, ``wc``, ``cut``, ``uniq``, ``seq``.

(``sort`` and ``tr`` have their own modules.) Wording and statuses follow coreutils:
``head: cannot open 'x' for reading: No such file or directory``, status 1.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from iommush.shell.command import CommandContext

from ._base import UsageError, parse_options, quote, quotef, strerror, utility

__all__ = ["cut", "head", "seq", "tail", "uniq", "wc"]


def _count(text: str, what: str, cmd: str) -> tuple[int, bool]:
    """A ``-n``/``-c`` count: (number, from_start) where ``+N`` / ``-N`` set the sign."""
    sign = ""
    if text[:1] in "+-":
        sign, text = text[0], text[1:]
    m = re.fullmatch(r"(\d+)([bkKmMgGTPE]?[B]?|kB|MB|GB)?", text)
    if not m:
        raise UsageError(f"invalid number of {what}: {quote(sign + text)}", 1, hint=False)
    n = int(m.group(1))
    suffix = m.group(2) or ""
    mult = {
        "": 1,
        "b": 512,
        "K": 1024,
        "k": 1024,
        "KB": 1000,
        "kB": 1000,
        "M": 1 << 20,
        "MB": 1000**2,
        "G": 1 << 30,
        "GB": 1000**3,
        "m": 1 << 20,
        "g": 1 << 30,
    }
    n *= mult.get(suffix, 1)
    return n, sign == "+" if cmd == "tail" else sign == "-"


def _inputs(
    ctx: CommandContext, files: list[str], cmd: str, headers: bool
) -> list[tuple[str, bytes | None]]:
    out: list[tuple[str, bytes | None]] = []
    for name in files:
        try:
            if name == "-":
                data = ctx.stdin.read()
            else:
                with ctx.fs.open(name, cwd=ctx.cwd) as of:
                    data = of.read()
            out.append((name, data))
        except OSError as exc:
            ctx.error(f"cannot open {quote(name)} for reading: {strerror(exc.errno)}")
            out.append((name, None))
    return out


def _head_tail(ctx: CommandContext, cmd: str) -> int:
    long = {
        "lines=": "n",
        "bytes=": "c",
        "quiet": "q",
        "silent": "q",
        "verbose": "v",
        "follow?": "f",
        "zero-terminated": "z",
    }
    argv = ctx.argv[1:]
    if cmd == "tail" and argv and re.fullmatch(r"\+\d+", argv[0]):
        argv = ["-n", argv[0], *argv[1:]]
    opts = parse_options(argv, "n:c:qvfFz" if cmd == "tail" else "n:c:qvz", long, numeric="N")
    lines_mode = True
    count, special = 10, False
    for kind, value in opts.order:
        if kind in ("n", "N"):
            lines_mode = True
            count, special = _count(value, "lines", cmd)
        elif kind == "c":
            lines_mode = False
            count, special = _count(value, "bytes", cmd)
    files = opts.operands or ["-"]
    headers = (len(files) > 1 and not opts.has("q")) or opts.has("v")
    status = 0
    first = True
    sep = b"\0" if opts.has("z") else b"\n"
    for name, data in _inputs(ctx, files, cmd, headers):
        if data is None:
            status = 1
            continue
        if headers:
            label = "standard input" if name == "-" else name
            ctx.out(("" if first else "\n") + f"==> {label} <==\n")
        first = False
        if lines_mode:
            parts = data.split(sep)
            trailing = data.endswith(sep)
            chunks = [p + sep for p in parts[:-1]] + ([] if trailing else [parts[-1]])
            if not data:
                chunks = []
            if cmd == "head":
                sel = chunks[: len(chunks) - count] if special else chunks[:count]
            else:
                sel = chunks[max(count - 1, 0) :] if special else (chunks[-count:] if count else [])
            ctx.stdout.write(b"".join(sel))
        else:
            if cmd == "head":
                sel_b = data[: len(data) - count] if special else data[:count]
            else:
                sel_b = data[max(count - 1, 0) :] if special else (data[-count:] if count else b"")
            ctx.stdout.write(sel_b)
    return status


@utility(
    "head",
    "head [-n N|-N|-c N] [FILE]...",
    "output the first part of files",
    options=("-n", "-c", "-q", "-v"),
)
def head(ctx: CommandContext) -> int:
    """Print the first 10 lines (``-n N``; ``-n -N``: all but the last N) of each FILE."""
    return _head_tail(ctx, "head")


@utility(
    "tail",
    "tail [-n [+]N|-N|-c N] [FILE]...",
    "output the last part of files",
    options=("-n", "-c", "-q", "-v"),
)
def tail(ctx: CommandContext) -> int:
    """Print the last 10 lines (``-n N``; ``-n +N``: from line N on) of each FILE."""
    return _head_tail(ctx, "tail")


@utility(
    "wc",
    "wc [-lwcm] [FILE]...",
    "print newline, word, and byte counts",
    options=("-l", "-w", "-c", "-m", "-L"),
)
def wc(ctx: CommandContext) -> int:
    """Count lines, words and bytes of each FILE (and a total for several)."""
    long = {"lines": "l", "words": "w", "bytes": "c", "chars": "m", "max-line-length": "L"}
    opts = parse_options(ctx.argv[1:], "lwcmL", long)
    which = [c for c in "lwmcL" if opts.has(c)] or ["l", "w", "c"]
    files = opts.operands or ["-"]
    rows: list[tuple[list[int], str]] = []
    status = 0
    regular_total = 0
    min_width = 1
    first_failed = False
    for i, name in enumerate(files):
        try:
            if name == "-":
                data = ctx.stdin.read()
                min_width = 7
            else:
                st = ctx.fs.stat(name, ctx.cwd)
                if st.is_dir:
                    ctx.error(f"{quotef(name)}: read: Is a directory")
                    status = 1
                    rows.append(([0] * len(which), name))
                    continue
                if st.is_reg:
                    regular_total += st.st_size
                else:
                    min_width = 7
                with ctx.fs.open(name, cwd=ctx.cwd) as of:
                    data = of.read()
        except OSError as exc:
            ctx.error(f"{quotef(name)}: {strerror(exc.errno)}")
            status = 1
            first_failed = first_failed or i == 0
            continue
        text = data.decode("utf-8", "surrogateescape")
        counts = {
            "l": data.count(b"\n"),
            "w": len(data.split()),
            "c": len(data),
            "m": len(data.decode("utf-8", "replace")),
            "L": max((len(line.expandtabs()) for line in text.split("\n")), default=0),
        }
        rows.append(([counts[c] for c in which], "" if name == "-" and not opts.operands else name))
    if len(files) > 1:
        totals = [sum(r[0][k] for r in rows) for k in range(len(which))]
        if "L" in which:
            idx = which.index("L")
            totals[idx] = max((r[0][idx] for r in rows), default=0)
        rows.append((totals, "total"))
    if len(which) == 1 and len(files) == 1:
        width = 1
    elif first_failed:
        width = 1
    else:
        width = max(len(str(regular_total)), min_width)
    ctx.out(
        "".join(
            " ".join(str(n).rjust(width) for n in counts) + (f" {name}" if name else "") + "\n"
            for counts, name in rows
        )
    )
    return status


def _ranges(spec: str, what: str) -> list[tuple[int, int]]:
    out = []
    for part in spec.split(","):
        m = re.fullmatch(r"(\d*)(-?)(\d*)", part)
        if not m or part in ("", "-"):
            if part == "-":
                raise UsageError("invalid range with no endpoint: -", 1)
            raise UsageError(
                f"invalid {what} value {quote(part)}" if part else f"{what}s are numbered from 1", 1
            )
        lo_s, dash, hi_s = m.groups()
        lo = int(lo_s) if lo_s else 1
        hi = (int(hi_s) if hi_s else 1 << 62) if dash else lo
        if lo == 0 or (hi_s and int(hi_s) == 0):
            raise UsageError(f"{what}s are numbered from 1", 1)
        if hi < lo:
            raise UsageError("invalid decreasing range", 1)
        out.append((lo, hi))
    return out


def _selected(n: int, ranges: list[tuple[int, int]]) -> bool:
    return any(lo <= n <= hi for lo, hi in ranges)


@utility(
    "cut",
    "cut -f LIST [-d DELIM] [-s] | -c LIST | -b LIST [FILE]...",
    "remove sections from each line of files",
    options=("-f", "-d", "-c", "-b", "-s"),
)
def cut(ctx: CommandContext) -> int:
    """Print the selected fields (``-f``, split on ``-d``, TAB by default), characters
    (``-c``) or bytes (``-b``) of each line."""
    long = {
        "fields=": "f",
        "delimiter=": "d",
        "characters=": "c",
        "bytes=": "b",
        "only-delimited": "s",
        "complement": "complement",
        "output-delimiter=": "od",
        "zero-terminated": "z",
    }
    opts = parse_options(ctx.argv[1:], "f:d:c:b:snz", long)
    modes = [k for k in "fcb" if opts.has(k)]
    if not modes:
        raise UsageError("you must specify a list of bytes, characters, or fields", 1)
    if len(modes) > 1:
        raise UsageError("only one list may be specified", 1)
    mode = modes[0]
    what = {"f": "field", "c": "byte/character", "b": "byte/character"}[mode]
    ranges = _ranges(opts.last(mode) or "", "field" if mode == "f" else "byte/character")
    _ = what
    delim = opts.last("d")
    if delim is not None and mode != "f":
        raise UsageError("an input delimiter may be specified only when operating on fields", 1)
    if delim is None:
        delim = "\t"
    if len(delim) > 1:
        raise UsageError("the delimiter must be a single character", 1)
    if delim == "":
        delim = "\0"
    out_delim = opts.last("od")
    if out_delim is None:
        out_delim = delim if mode == "f" else ""
    complement = opts.has("complement")
    eol = "\0" if opts.has("z") else "\n"
    status = 0
    out: list[str] = []
    for name in opts.operands or ["-"]:
        try:
            if name == "-":
                data = ctx.stdin.read()
            else:
                with ctx.fs.open(name, cwd=ctx.cwd) as of:
                    data = of.read()
        except OSError as exc:
            ctx.error(f"{quotef(name)}: {strerror(exc.errno)}")
            status = 1
            continue
        text = data.decode("utf-8", "surrogateescape")
        lines = text.split(eol)
        if lines[-1] == "":
            lines.pop()
        for line in lines:
            if mode == "f":
                if delim not in line:
                    if not opts.has("s"):
                        out.append(line + eol)
                    continue
                fields = line.split(delim)
                picked = [f for i, f in enumerate(fields, 1) if _selected(i, ranges) != complement]
                out.append(out_delim.join(picked) + eol)
            else:
                raw = line.encode("utf-8", "surrogateescape") if mode == "b" else None
                seq = raw if raw is not None else line
                pieces = []
                prev = -2
                for i in range(len(seq)):
                    if _selected(i + 1, ranges) != complement:
                        if out_delim and prev >= 0 and i != prev + 1:
                            pieces.append(out_delim.encode() if raw is not None else out_delim)
                        pieces.append(seq[i : i + 1])
                        prev = i
                if raw is not None:
                    joined = b"".join(p for p in pieces if isinstance(p, bytes))
                    out.append(joined.decode("utf-8", "surrogateescape") + eol)
                else:
                    out.append("".join(str(p) for p in pieces) + eol)
    ctx.out("".join(out))
    return status


@utility(
    "uniq",
    "uniq [-cdu] [INPUT [OUTPUT]]",
    "report or omit repeated lines",
    options=("-c", "-d", "-u", "-i"),
)
def uniq(ctx: CommandContext) -> int:
    """Collapse adjacent equal lines (``-c``: prefix counts; ``-d``: only repeated
    lines; ``-u``: only unique ones)."""
    long = {
        "count": "c",
        "repeated": "d",
        "unique": "u",
        "ignore-case": "i",
        "skip-fields=": "f",
        "skip-chars=": "s",
        "check-chars=": "w",
    }
    opts = parse_options(ctx.argv[1:], "cduif:s:w:D", long)
    ops = opts.operands
    if len(ops) > 2:
        raise UsageError(f"extra operand {quote(ops[2])}", 1)
    name = ops[0] if ops else "-"
    try:
        if name == "-":
            data = ctx.stdin.read()
        else:
            with ctx.fs.open(name, cwd=ctx.cwd) as of:
                data = of.read()
    except OSError as exc:
        ctx.error(f"{quotef(name)}: {strerror(exc.errno)}")
        return 1
    skip_f = int(opts.last("f") or 0)
    skip_c = int(opts.last("s") or 0)
    width = opts.last("w")

    def key(line: str) -> str:
        k = line
        for _ in range(skip_f):
            k = re.sub(r"^[ \t]*[^ \t]*", "", k, count=1)
        k = k[skip_c:]
        if width is not None:
            k = k[: int(width)]
        return k.lower() if opts.has("i") else k

    lines = data.decode("utf-8", "surrogateescape").split("\n")
    if lines[-1] == "":
        lines.pop()
    groups: list[tuple[str, int]] = []
    for line in lines:
        if groups and key(groups[-1][0]) == key(line):
            groups[-1] = (groups[-1][0], groups[-1][1] + 1)
        else:
            groups.append((line, 1))
    out = []
    for line, n in groups:
        if opts.has("d") and n < 2:
            continue
        if opts.has("u") and n > 1:
            continue
        out.append((f"{n:7d} " if opts.has("c") else "") + line + "\n")
    text = "".join(out)
    if len(ops) == 2:
        try:
            ctx.fs.write_bytes(ops[1], text.encode("utf-8", "surrogateescape"), ctx.cwd)
        except OSError as exc:
            ctx.error(f"{quotef(ops[1])}: {strerror(exc.errno)}")
            return 1
        return 0
    ctx.out(text)
    return 0


def _decimal(text: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise UsageError(f"invalid floating point argument: {quote(text)}", 1) from None
    if not value.is_finite():
        raise UsageError(f"invalid floating point argument: {quote(text)}", 1)
    return value


@utility(
    "seq",
    "seq [-s SEP] [-w] [FIRST [INCREMENT]] LAST",
    "print a sequence of numbers",
    options=("-s", "-w", "-f"),
)
def seq(ctx: CommandContext) -> int:
    """Print numbers from FIRST (1) to LAST by INCREMENT (1)."""
    argv = ctx.argv[1:]
    # negative numbers are operands, not options
    opts_part: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(argv):
        a = argv[i]
        if re.fullmatch(r"-\d+(\.\d*)?", a) or rest:
            rest.append(a)
        elif a in ("-s", "-f") and i + 1 < len(argv):
            opts_part += [a, argv[i + 1]]
            i += 1
        else:
            (opts_part if a.startswith("-") and a != "-" else rest).append(a)
        i += 1
    opts = parse_options(
        opts_part, "s:wf:", {"separator=": "s", "equal-width": "w", "format=": "f"}
    )
    ops = opts.operands + rest
    if not ops:
        raise UsageError("missing operand", 1)
    if len(ops) > 3:
        raise UsageError(f"extra operand {quote(ops[3])}", 1)
    nums = [_decimal(x) for x in ops]
    first, step, last = Decimal(1), Decimal(1), nums[-1]
    if len(nums) >= 2:
        first = nums[0]
    if len(nums) == 3:
        step = nums[1]
    if step == 0:
        raise UsageError(f"invalid Zero increment value: {quote(ops[1])}", 1)
    places = max((len(x.split(".")[1]) if "." in x else 0) for x in ops[:2] or ops)
    fmt = opts.last("f")
    values = []
    v = first
    while (step > 0 and v <= last) or (step < 0 and v >= last):
        values.append(v)
        v += step
        if len(values) > 10_000_000:
            break
    if fmt is not None:
        import math

        _ = math
        texts = []
        for x in values:
            try:
                texts.append(fmt % float(x))
            except (TypeError, ValueError):
                raise UsageError(f"format {quote(fmt)} has no % directive", 1) from None
    else:
        texts = [f"{x:.{places}f}" for x in values]
    if opts.has("w") and texts:
        width = max(len(t) for t in texts)
        texts = [
            ("-" + t[1:].rjust(width - 1, "0")) if t.startswith("-") else t.rjust(width, "0")
            for t in texts
        ]
    sep = opts.last("s")
    sep = "\n" if sep is None else sep
    if texts:
        ctx.out(sep.join(texts) + "\n")
    return 0
