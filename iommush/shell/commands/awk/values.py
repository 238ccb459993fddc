"""awk values: numbers, strings and "strnums" (input that looks numeric), with the
conversions and the comparison rule of POSIX awk (as gawk --posix applies them).

Strings hold bytes as Latin-1 code points, so ``length`` counts bytes as in the C locale.
A number is a ``float``; a string a ``str``; a strnum a :class:`StrNum`; an array a
``dict``.
"""

from __future__ import annotations

import math
import re

__all__ = [
    "StrNum",
    "UNINIT",
    "Value",
    "compare",
    "format_number",
    "is_numeric",
    "strnum",
    "to_bool",
    "to_int",
    "to_num",
    "to_str",
]


class StrNum(str):
    """A string from input (field, ``getline``, ``split``, ``ARGV``, ``ENVIRON``, ``-v``)
    that looks like a number: it compares numerically against numbers."""

    __slots__ = ("num",)
    num: float

    def __new__(cls, text: str, num: float) -> StrNum:
        obj = super().__new__(cls, text)
        obj.num = num
        return obj


Value = float | str

#: The value of a variable never assigned: both ``""`` and ``0``.
UNINIT = StrNum("", 0.0)

_LOOKS_NUMERIC = re.compile(
    r"[ \t\n\r\f\v]*[-+]?(?:\d+\.?\d*(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)[ \t\n\r\f\v]*\Z"
)
_LEADING = re.compile(
    r"[ \t\n\r\f\v]*([-+]?)(?:(0[xX][0-9a-fA-F]+)|((?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"
    r"|(inf(?:inity)?|nan)(?![a-zA-Z0-9_]))",
    re.IGNORECASE,
)


def strnum(text: str) -> str:
    """``text`` as input data: a :class:`StrNum` when it looks numeric."""
    if _LOOKS_NUMERIC.match(text):
        return StrNum(text, float(text.strip()))
    return text


def str_to_num(text: str) -> float:
    """The leading number of ``text`` as ``strtod`` reads it (``"3abc"`` is 3)."""
    m = _LEADING.match(text)
    if not m:
        return 0.0
    sign = -1.0 if m.group(1) == "-" else 1.0
    if m.group(2):
        return sign * float(int(m.group(2), 16))
    if m.group(3):
        try:
            return sign * float(m.group(3))
        except ValueError:
            return 0.0
    word = m.group(4).lower()
    return sign * (math.nan if word == "nan" else math.inf)


def to_num(v: Value) -> float:
    """The numeric value of ``v``."""
    if isinstance(v, float):
        return v
    if isinstance(v, StrNum):
        return v.num
    return str_to_num(v)


def _fmt_float(v: float, fmt: str) -> str:
    if math.isnan(v):
        return "-nan" if math.copysign(1.0, v) < 0 else "nan"
    if math.isinf(v):
        return "-inf" if v < 0 else "inf"
    try:
        return fmt % v
    except (TypeError, ValueError):
        from .format import sprintf

        return sprintf(fmt, [v])


def format_number(v: float, fmt: str) -> str:
    """A number as text: integral values as integers, others through ``fmt``
    (CONVFMT or OFMT)."""
    if v == v and v not in (math.inf, -math.inf) and v == int(v):
        return str(int(v))
    return _fmt_float(v, fmt)


def to_str(v: Value, fmt: str = "%.6g") -> str:
    """The string value of ``v``; numbers go through ``fmt`` (CONVFMT)."""
    if isinstance(v, str):
        return v
    return format_number(v, fmt)


def is_numeric(v: Value) -> bool:
    """True for a number or a strnum (the operands that compare numerically)."""
    return isinstance(v, (float, StrNum))


def to_int(v: float, limit: int = 1 << 62) -> int:
    """A double as a C integer: truncated toward zero, NaN as 0, clamped to ``limit``."""
    if v != v:
        return 0
    if v >= limit:
        return limit
    if v <= -limit:
        return -limit
    return int(v)


def to_bool(v: Value) -> bool:
    """The truth of ``v``: numbers and strnums by value, strings by being non-empty."""
    if isinstance(v, float):
        return v != 0.0
    if isinstance(v, StrNum):
        return v.num != 0.0
    return v != ""


def compare(a: Value, b: Value, fmt: str) -> int:
    """-1, 0 or 1: numerically when both sides are numeric, else as strings."""
    if isinstance(a, (float, StrNum)) and isinstance(b, (float, StrNum)):
        x = a if isinstance(a, float) else a.num
        y = b if isinstance(b, float) else b.num
        return -1 if x < y else (1 if x > y else 0)
    sa = a if isinstance(a, str) else format_number(a, fmt)
    sb = b if isinstance(b, str) else format_number(b, fmt)
    return -1 if sa < sb else (1 if sa > sb else 0)
