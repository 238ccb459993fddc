"""``echo`` and ``printf`` with bash's semantics; each prints with one ``write(2)``,
and a failed write is reported as bash does (``echo: write error: Invalid argument``)."""

from __future__ import annotations

import re

from ..command import CommandContext, CommandTable
from ..expand import _q_backslash
from ..lexer import decode_ansi_c
from ..state import VarError
from .base import err, interp_of

__all__ = ["format_printf", "register", "write_out"]

_SPEC = re.compile(r"%([-+ #0']*)(\*|\d+)?(?:\.(\*|\d*))?[hlLjzt]*([diouxXeEfFgGaAcsbq%])?")
_MASK = (1 << 64) - 1


def write_out(ctx: CommandContext, data: str) -> int:
    """One write of ``data``; on failure ``NAME: write error: REASON`` and status 1."""
    if not data:
        return 0
    try:
        ctx.stdout.write(data.encode("utf-8", "surrogateescape"))
    except OSError as exc:
        err(ctx, f"write error: {exc.strerror or exc}")
        return 1
    return 0


def _num(arg: str, errors: list[str]) -> int:
    s = arg.strip()
    if s[:1] in ("'", '"'):
        return ord(s[1]) if len(s) > 1 else 0
    if not s:
        if arg:
            errors.append(f"{arg}: invalid number")
        return 0
    m = re.match(r"[-+]?(0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*)", s)
    if not m:
        errors.append(f"{arg}: invalid number")
        return 0
    text = m.group()
    sign = -1 if text.startswith("-") else 1
    body = text.lstrip("+-")
    if body.lower().startswith("0x"):
        v = int(body, 16)
    elif body.startswith("0") and len(body) > 1:
        v = int(body, 8)
    else:
        v = int(body)
    if m.end() != len(s):
        errors.append(f"{arg}: invalid number")
    v *= sign
    if v > (1 << 63) - 1 or v < -(1 << 63):
        errors.append(f"{arg}: Numerical result out of range")
        v = (1 << 63) - 1 if v > 0 else -(1 << 63)
    return v


def _float(arg: str, errors: list[str]) -> float:
    s = arg.strip()
    if s[:1] in ("'", '"'):
        return float(ord(s[1])) if len(s) > 1 else 0.0
    try:
        return float(s) if s else 0.0
    except ValueError:
        m = re.match(r"[-+]?\d*\.?\d*(e[-+]?\d+)?", s, re.I)
        errors.append(f"{arg}: invalid number")
        try:
            return float(m.group()) if m and m.group() else 0.0
        except ValueError:
            return 0.0


def format_printf(fmt: str, args: list[str], errors: list[str]) -> str:
    """Apply ``fmt`` to ``args`` as bash's ``printf`` does (reusing it for extra args)."""
    out: list[str] = []
    i = 0
    first = True
    while first or i < len(args):
        first = False
        used_any = False
        pos = 0
        while pos < len(fmt):
            c = fmt[pos]
            if c == "\\":
                j = pos + 1
                if fmt[j : j + 1] in "01234567" and fmt[j : j + 1]:
                    k = j
                    while k < len(fmt) and k - j < 3 and fmt[k] in "01234567":
                        k += 1
                    code = int(fmt[j:k], 8) & 0xFF
                    out.append(chr(code) if code < 0x80 else chr(0xDC00 + code))
                    pos = k
                    continue
                if fmt[j : j + 1] == "c":
                    return "".join(out)
                text, _ = decode_ansi_c(fmt[pos : pos + 2] if fmt[j : j + 1] not in "xuU"
                                        else fmt[pos : pos + 10])  # fmt: skip
                if fmt[j : j + 1] in ("x", "u", "U"):
                    m = re.match(r"\\[xuU][0-9a-fA-F]{1,"
                        + str({"x": 2, "u": 4, "U": 8}[fmt[j]])
                        + "}",
                                 fmt[pos:])  # fmt: skip
                    if m:
                        seq = m.group()
                        v = int(seq[2:], 16)
                        out.append(chr(v) if v < 0x80 or fmt[j] != "x" else chr(0xDC00 + v))
                        pos += len(seq)
                        continue
                    out.append("\\" + fmt[j])
                    pos += 2
                    continue
                out.append(text if j < len(fmt) else "\\")
                pos += 2
                continue
            if c != "%":
                out.append(c)
                pos += 1
                continue
            m = _SPEC.match(fmt, pos)
            assert m is not None
            flags, width, prec, conv = m.groups()
            if conv is None:
                errors.append(f"`{fmt[pos + 1 : m.end() + 1]}': invalid format character")
                return "".join(out)
            pos = m.end()
            if conv == "%":
                out.append("%")
                continue
            if width == "*":
                width = str(_num(args[i], errors)) if i < len(args) else "0"
                i += 1
            if prec == "*":
                prec = str(_num(args[i], errors)) if i < len(args) else "0"
                i += 1
            arg = args[i] if i < len(args) else None
            if arg is not None:
                i += 1
                used_any = True
            spec = (
                "%"
                + flags.replace("'", "")
                + (width or "")
                + ("." + prec if prec is not None else "")
            )
            if conv in "di":
                out.append(
                    (spec + "d") % _num(arg or "0", errors) if arg is not None else (spec + "d") % 0
                )
            elif conv in "uoxX":
                v = _num(arg, errors) if arg is not None else 0
                if v < 0:
                    v &= _MASK
                out.append((spec + ("d" if conv == "u" else conv)) % v)
            elif conv in "eEfFgGaA":
                f = _float(arg, errors) if arg is not None else 0.0
                if conv in "aA":
                    out.append(float.hex(f))
                else:
                    out.append((spec + conv) % f)
            elif conv == "c":
                out.append((spec.split(".")[0] + "s") % ((arg or "")[:1]))
            elif conv == "s":
                out.append((spec + "s") % (arg or ""))
            elif conv == "b":
                text, stop = decode_ansi_c(arg or "", echo=True)
                out.append((spec + "s") % text)
                if stop:
                    return "".join(out)
            elif conv == "q":
                out.append((spec + "s") % _q_backslash(arg or "") if arg is not None else "''")
        if not used_any:
            break
    return "".join(out)


def register(t: CommandTable) -> None:
    @t.command(
        "echo", synopsis="echo [-neE] [arg ...]", summary="Write arguments to the standard output."
    )
    def echo(ctx: CommandContext) -> int:
        args = ctx.argv[1:]
        newline = True
        escapes = False
        while (
            args and len(args[0]) > 1 and args[0][0] == "-" and all(c in "neE" for c in args[0][1:])
        ):
            for c in args.pop(0)[1:]:
                if c == "n":
                    newline = False
                elif c == "e":
                    escapes = True
                else:
                    escapes = False
        text = " ".join(args)
        if escapes:
            text, stopped = decode_ansi_c(text, echo=True)
            if stopped:
                newline = False
        if newline:
            text += "\n"
        return write_out(ctx, text)

    @t.command("printf", synopsis="printf [-v var] format [arguments]",
               summary="Formats and prints ARGUMENTS under control of the FORMAT.")  # fmt: skip
    def printf(ctx: CommandContext) -> int:
        args = ctx.argv[1:]
        var: str | None = None
        if args and args[0] == "-v":
            if len(args) < 2:
                err(ctx, "-v: option requires an argument")
                return 2
            var = args[1]
            args = args[2:]
        elif args and args[0].startswith("-v") and len(args[0]) > 2:
            var = args[0][2:]
            args = args[1:]
        if args and args[0] == "--":
            args = args[1:]
        if not args:
            ctx.err("printf: usage: printf [-v var] format [arguments]\n")
            return 2
        errors: list[str] = []
        text = format_printf(args[0], args[1:], errors)
        status = 0
        for e in errors:
            err(ctx, e)
            status = 1
        if var is not None:
            sh = interp_of(ctx)
            try:
                if var.endswith("]") and "[" in var:
                    base, key = var[:-1].split("[", 1)
                    v = sh.state.lookup(base)
                    from ..state import ASSOC

                    k: str | int = key if v is not None and v.flags & ASSOC else sh.arith_text(key)
                    sh.state.set_element(base, k, text)
                else:
                    sh.state.set(var, text)
            except VarError as exc:
                err(ctx, exc.message)
                return 1
            return status
        return write_out(ctx, text) or status
