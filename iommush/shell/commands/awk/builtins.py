"""awk's built-in functions (POSIX: string, arithmetic and I/O functions, plus
``fflush`` and ``length(array)`` that gawk and mawk both accept)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from . import ast as A
from .format import sprintf
from .record import split_text
from .streams import raw_stdout_of, run_command
from .values import Value, strnum, to_num

if TYPE_CHECKING:
    import re

    from .interp import Interpreter

__all__ = ["BUILTIN_FUNCTIONS", "substitute"]

_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}
_UPPER = {c: c - 32 for c in range(ord("a"), ord("z") + 1)}


def _length(it: Interpreter, args: list[A.Expr]) -> Value:
    if not args:
        return float(len(it.tostr(it.record.text)))
    arg = args[0]
    if isinstance(arg, A.Name) and isinstance(it.g.get(arg.name), dict):
        return float(len(it.g[arg.name]))
    if isinstance(arg, A.Local) and isinstance(it.frame[arg.index], dict):
        return float(len(it.frame[arg.index]))
    return float(len(it.tostr(it.eval(arg))))


def _trunc(v: float) -> float:
    if math.isnan(v):
        return 0.0
    if math.isinf(v):
        return v
    return float(math.trunc(v))


def _substr(it: Interpreter, args: list[A.Expr]) -> Value:
    s = it.tostr(it.eval(args[0]))
    start = _trunc(to_num(it.eval(args[1])))
    length = _trunc(to_num(it.eval(args[2]))) if len(args) > 2 else math.inf
    if start < 1:
        start = 1.0
    if length <= 0 or start > len(s):
        return ""
    begin = int(start) - 1
    end = len(s) if length == math.inf or begin + length > len(s) else begin + int(length)
    return s[begin:end]


def _index(it: Interpreter, args: list[A.Expr]) -> Value:
    s = it.tostr(it.eval(args[0]))
    t = it.tostr(it.eval(args[1]))
    return float(s.find(t) + 1)


def _split(it: Interpreter, args: list[A.Expr]) -> Value:
    s = it.tostr(it.eval(args[0]))
    target = args[1]
    assert isinstance(target, (A.Name, A.Local))
    sep: str | re.Pattern[str]
    if len(args) > 2:
        sep_node = args[2]
        sep = sep_node.rx if isinstance(sep_node, A.Regex) else it.tostr(it.eval(sep_node))
    else:
        sep = it.var("FS")
    parts = split_text(s, sep)
    arr = it.array(target)
    arr.clear()
    for i, part in enumerate(parts, 1):
        arr[str(i)] = strnum(part)
    return float(len(parts))


def substitute(rx: re.Pattern[str], repl: str, text: str, global_: bool) -> tuple[str, int]:
    """``sub``/``gsub`` on ``text``: the new text and the number of replacements. An
    empty match right after a previous match is not replaced (awk's rule)."""
    n_repl = len(repl)
    amp_positions: list[int] = []
    lit: list[str] = []
    j = 0
    while j < n_repl:
        c = repl[j]
        if c == "\\" and j + 1 < n_repl and repl[j + 1] in "\\&":
            lit.append(repl[j + 1])
            j += 2
        elif c == "&":
            amp_positions.append(len(lit))
            lit.append("&")
            j += 1
        else:
            lit.append(c)
            j += 1
    amp = set(amp_positions)

    def expand(matched: str) -> str:
        if not amp:
            return "".join(lit)
        return "".join(matched if k in amp else ch for k, ch in enumerate(lit))

    out: list[str] = []
    pos = 0
    count = 0
    n = len(text)
    last_end = -1
    while pos <= n:
        m = rx.search(text, pos)
        if m is None:
            break
        start, end = m.start(), m.end()
        if start == end and start == last_end:
            if start < n:
                out.append(text[pos : start + 1])
            pos = start + 1
            continue
        out.append(text[pos:start])
        out.append(expand(m.group()))
        count += 1
        if start == end:
            if start < n:
                out.append(text[start])
            pos = start + 1
        else:
            pos = end
            last_end = end
        if not global_:
            break
    if pos <= n:
        out.append(text[pos:])
    return "".join(out), count


def _sub_common(it: Interpreter, args: list[A.Expr], global_: bool) -> Value:
    rx = it.regex_of(args[0])
    repl = it.tostr(it.eval(args[1]))
    target: A.Expr = args[2] if len(args) > 2 else A.Field(A.Num(0.0))
    text = it.tostr(it.eval(target))
    new, count = substitute(rx, repl, text, global_)
    if count:
        it.assign(target, new)
    return float(count)


def _sub(it: Interpreter, args: list[A.Expr]) -> Value:
    return _sub_common(it, args, False)


def _gsub(it: Interpreter, args: list[A.Expr]) -> Value:
    return _sub_common(it, args, True)


def _match(it: Interpreter, args: list[A.Expr]) -> Value:
    s = it.tostr(it.eval(args[0]))
    m = it.regex_of(args[1]).search(s)
    if m is None:
        it.g["RSTART"], it.g["RLENGTH"] = 0.0, -1.0
    else:
        it.g["RSTART"], it.g["RLENGTH"] = float(m.start() + 1), float(m.end() - m.start())
    return it.g["RSTART"]


def _sprintf(it: Interpreter, args: list[A.Expr]) -> Value:
    vals = [it.eval(a) for a in args]
    return sprintf(it.tostr(vals[0]), vals[1:], it.convfmt)


def _math1(fn: Callable[[float], float]) -> Callable[[Interpreter, list[A.Expr]], Value]:
    def call(it: Interpreter, args: list[A.Expr]) -> Value:
        x = to_num(it.eval(args[0]))
        try:
            return fn(x)
        except OverflowError:
            return math.inf
        except ValueError:
            return math.nan

    return call


def _log(x: float) -> float:
    if x == 0:
        return -math.inf
    if x < 0 or math.isnan(x):
        return -math.nan if x < 0 else math.nan
    return math.log(x)


def _sqrt(x: float) -> float:
    if x < 0:
        return -math.nan
    return math.sqrt(x)


def _atan2(it: Interpreter, args: list[A.Expr]) -> Value:
    return math.atan2(to_num(it.eval(args[0])), to_num(it.eval(args[1])))


def _rand(it: Interpreter, args: list[A.Expr]) -> Value:
    return it.rng.random()


def _srand(it: Interpreter, args: list[A.Expr]) -> Value:
    prev = it.seed
    it.seed = to_num(it.eval(args[0])) if args else float(int(time.time()))
    it.rng.seed(it.seed)
    return prev


def _tolower(it: Interpreter, args: list[A.Expr]) -> Value:
    return it.tostr(it.eval(args[0])).translate(_LOWER)


def _toupper(it: Interpreter, args: list[A.Expr]) -> Value:
    return it.tostr(it.eval(args[0])).translate(_UPPER)


def _system(it: Interpreter, args: list[A.Expr]) -> Value:
    cmd = it.tostr(it.eval(args[0]))
    it.flush_all()
    status = run_command(it.ctx, cmd, None, raw_stdout_of(it.ctx))
    return float(status)


def _close(it: Interpreter, args: list[A.Expr]) -> Value:
    name = it.tostr(it.eval(args[0]))
    status = it.out.close(name)
    entry = it.inputs.pop(name, None)
    if entry is not None:
        status = entry[1]
    return -1.0 if status is None else float(status)


def _fflush(it: Interpreter, args: list[A.Expr]) -> Value:
    name = it.tostr(it.eval(args[0])) if args else None
    return float(it.out.flush(name))


BUILTIN_FUNCTIONS: dict[str, Callable[[Interpreter, list[A.Expr]], Value]] = {
    "length": _length,
    "substr": _substr,
    "index": _index,
    "split": _split,
    "sub": _sub,
    "gsub": _gsub,
    "match": _match,
    "sprintf": _sprintf,
    "sin": _math1(math.sin),
    "cos": _math1(math.cos),
    "atan2": _atan2,
    "exp": _math1(math.exp),
    "log": _math1(_log),
    "sqrt": _math1(_sqrt),
    "int": _math1(_trunc),
    "rand": _rand,
    "srand": _srand,
    "tolower": _tolower,
    "toupper": _toupper,
    "system": _system,
    "close": _close,
    "fflush": _fflush,
}
