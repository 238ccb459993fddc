"""Output formats shared by ``ls``, ``stat`` and ``find -ls``: the mode string, dates,
human-readable sizes, and the terminal column layout GNU ``ls`` uses."""

from __future__ import annotations

import stat as st
import time

__all__ = ["columns", "filemode", "human_size", "ls_date"]

_SIX_MONTHS = 31556952 // 2


def filemode(mode: int) -> str:
    """``drwxr-xr-x``, as ``strmode``/``filemodestring`` of gnulib."""
    if st.S_ISDIR(mode):
        kind = "d"
    elif st.S_ISLNK(mode):
        kind = "l"
    elif st.S_ISCHR(mode):
        kind = "c"
    elif st.S_ISBLK(mode):
        kind = "b"
    elif st.S_ISFIFO(mode):
        kind = "p"
    elif st.S_ISSOCK(mode):
        kind = "s"
    else:
        kind = "-"
    chars = [kind]
    for shift, special, letter in (
        (6, st.S_ISUID, "s"),
        (3, st.S_ISGID, "s"),
        (0, st.S_ISVTX, "t"),
    ):
        bits = (mode >> shift) & 7
        chars.append("r" if bits & 4 else "-")
        chars.append("w" if bits & 2 else "-")
        x = bits & 1
        if mode & special:
            chars.append(letter if x else letter.upper())
        else:
            chars.append("x" if x else "-")
    return "".join(chars)


def ls_date(mtime: float, now: float) -> str:
    """``Nov 22 01:18`` for a recent time, ``Nov 22  2019`` for one older than six
    months or in the future (GNU ``ls`` default ``--time-style=locale`` in C)."""
    tm = time.gmtime(mtime)
    month = time.strftime("%b", tm)
    if now - _SIX_MONTHS < mtime <= now + 1:
        return f"{month} {tm.tm_mday:2d} {tm.tm_hour:02d}:{tm.tm_min:02d}"
    return f"{month} {tm.tm_mday:2d}  {tm.tm_year}"


def human_size(n: int, *, si: bool = False) -> str:
    """``-h`` sizes as coreutils' ``human_readable`` rounds them (ceiling): 4.0K, 13M."""
    base = 1000 if si else 1024
    if n < base:
        return str(n)
    units = "kMGTPEZY" if si else "KMGTPEZY"
    value = float(n)
    for unit in units:
        value /= base
        if value < base or unit == units[-1]:
            if value < 10:
                tenths = -(-int(value * 10 * 1000000) // 1000000)  # ceil to a tenth
                shown = tenths / 10
                if shown >= 10:
                    return f"{int(shown)}{unit}"
                return f"{shown:.1f}{unit}"
            whole = -(-int(value * 1000000) // 1000000)
            if whole >= base and unit != units[-1]:
                continue
            return f"{whole}{unit}"
    return str(n)


def columns(names: list[str], width: int) -> list[str]:
    """GNU ``ls -C`` layout: the fewest rows whose columns fit ``width``, filled top to
    bottom; columns are separated by at least two spaces."""
    if not names:
        return []
    lens = [len(n) for n in names]
    count = len(names)
    best_rows = count
    for cols in range(min(count, max(1, width // 3)), 0, -1):
        rows = -(-count // cols)
        cols = -(-count // rows)
        widths = [max(lens[c * rows : (c + 1) * rows]) for c in range(cols)]
        total = sum(widths) + 2 * (cols - 1)
        if total < width:
            best_rows = rows
            break
    rows = best_rows
    cols = -(-count // rows)
    widths = [max(lens[c * rows : (c + 1) * rows]) for c in range(cols)]
    lines = []
    for r in range(rows):
        parts = []
        for c in range(cols):
            idx = c * rows + r
            if idx >= count:
                break
            last = c == cols - 1 or (c + 1) * rows + r >= count
            parts.append(names[idx] if last else names[idx].ljust(widths[c] + 2))
        lines.append("".join(parts))
    return lines
