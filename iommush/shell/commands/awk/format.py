"""``printf``/``sprintf`` formats (C ``printf`` conversions as awk applies them)."""

from __future__ import annotations

import math
import re

from .errors import AwkRuntimeError
from .values import Value, to_int, to_num, to_str

_MAX_WIDTH = 1 << 16

__all__ = ["sprintf"]

_SPEC = re.compile(r"%([-+ #0]*)(\*|\d+)?(?:\.(\*|\d*))?([a-zA-Z%])?")


def _c_int(v: float) -> int:
    """A double converted to an integer for ``%d`` (truncated toward zero)."""
    return int(v)


def _nonfinite(v: float, flags: str, width: int | None, upper: bool) -> str:
    text = "nan" if math.isnan(v) else "inf"
    sign = "-" if (math.copysign(1.0, v) < 0) else ("+" if "+" in flags else "")
    if math.isnan(v) and sign == "+":
        sign = "+"
    text = sign + (text.upper() if upper else text)
    w = width or 0
    return text.ljust(w) if "-" in flags else text.rjust(w)


def sprintf(fmt: str, args: list[Value], convfmt: str = "%.6g") -> str:
    """Format ``args`` with ``fmt``; too few arguments is a fatal error."""
    out: list[str] = []
    i = 0
    n = len(fmt)
    argi = 0

    def take() -> Value:
        nonlocal argi
        if argi >= len(args):
            raise AwkRuntimeError(
                f'not enough arguments passed to sprintf("{fmt}")'  # mawk's wording
            )
        v = args[argi]
        argi += 1
        return v

    while i < n:
        j = fmt.find("%", i)
        if j < 0:
            out.append(fmt[i:])
            break
        out.append(fmt[i:j])
        m = _SPEC.match(fmt, j)
        assert m is not None
        flags, width_s, prec_s, conv = m.group(1), m.group(2), m.group(3), m.group(4)
        if conv is None:
            out.append(fmt[j : m.end()])
            i = m.end()
            continue
        i = m.end()
        if conv == "%":
            out.append("%")
            continue
        width: int | None = None
        prec: int | None = None
        if width_s == "*":
            width = to_int(to_num(take()), _MAX_WIDTH)
            if width < 0:
                flags += "-"
                width = -width
        elif width_s:
            width = min(int(width_s), _MAX_WIDTH)
        if prec_s == "*":
            prec = to_int(to_num(take()), _MAX_WIDTH)
            if prec < 0:
                prec = None
        elif prec_s is not None:
            prec = min(int(prec_s), _MAX_WIDTH) if prec_s else 0
        spec = "%" + flags + (str(width) if width is not None else "")
        pspec = "" if prec is None else "." + str(prec)
        if conv not in "cdiouxXeEfFgGs":
            out.append(fmt[j:i])
            continue
        v = take()
        if conv == "s":
            out.append((spec + pspec + "s") % to_str(v, convfmt))
        elif conv == "c":
            if isinstance(v, float):
                ch = chr(int(v) & 0xFF) if math.isfinite(v) else ""
            else:
                ch = v[:1] or "\0"
            out.append((spec + "s") % ch)
        elif conv in "eEfFgG":
            num = to_num(v)
            if not math.isfinite(num):
                out.append(_nonfinite(num, flags, width, conv.isupper()))
            else:
                out.append((spec + pspec + conv) % num)
        else:
            num = to_num(v)
            if not math.isfinite(num):
                out.append(_nonfinite(num, flags, width, conv == "X"))
                continue
            iv = _c_int(num)
            if conv in "ouxX" and iv < 0:
                iv &= (1 << 64) - 1
            if conv == "o" and "#" in flags:
                body = ("%" + (pspec or "") + "o") % iv if iv else "0"
                body = body if body.startswith("0") else "0" + body
                w = width or 0
                out.append(body.ljust(w) if "-" in flags else body.rjust(w, " "))
                continue
            pyconv = "d" if conv in "iu" else conv
            text = (spec + pspec + pyconv) % iv
            if prec is not None and "0" in flags and "-" not in flags and width:
                # C ignores the 0 flag when a precision is given
                text = (spec.replace("0", "") + pspec + pyconv) % iv
            if prec == 0 and iv == 0:
                text = " " * (width or 0) if width else ""
            out.append(text)
    return "".join(out)
