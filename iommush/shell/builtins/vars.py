"""Variable and option builtins: ``set``, ``shopt``, ``export``, ``readonly``, ``unset``,
``declare``/``typeset``/``local``, ``shift``, ``let``, ``getopts``, ``read``."""

from __future__ import annotations

import re

from ..command import CommandContext, CommandFn, CommandTable
from ..errors import ExpansionError
from ..expand import shell_quote
from ..state import (
    ARRAY,
    ASSOC,
    EXPORT,
    INTEGER,
    LOWER,
    READONLY,
    SET_OPTIONS,
    SHOPT_NAMES,
    SHORT_OPTIONS,
    UPPER,
    Var,
    VarError,
)
from .base import err, interp_of

__all__ = ["register", "declare_line"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_ASSIGN = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)(\[[^\]]*\])?(\+?=)(.*)\Z", re.DOTALL)
_FLAG_LETTERS = (("a", ARRAY), ("A", ASSOC), ("i", INTEGER), ("l", LOWER), ("r", READONLY),
                 ("u", UPPER), ("x", EXPORT))  # fmt: skip


def _dq(s: str) -> str:
    return '"' + re.sub(r'([\\"$`])', r"\\\1", s) + '"'


def declare_line(name: str, v: Var) -> str:
    """``declare -p`` output for one variable, as bash 5.2 prints it."""
    flags = "".join(letter for letter, bit in _FLAG_LETTERS if v.flags & bit)
    if isinstance(v.value, dict) and not v.flags & (ARRAY | ASSOC):
        flags = "a" + flags
    opt = "-" + (flags or "-")
    val = v.value
    if val is None:
        return f"declare {opt} {name}"
    if isinstance(val, dict):
        if v.flags & ASSOC:
            body = "".join(f"[{_akey(k)}]={_dq(x)} " for k, x in val.items())
            return f"declare {opt} {name}=({body})"
        body = " ".join(f"[{k}]={_dq(x)}" for k, x in sorted(val.items()))
        return f"declare {opt} {name}=({body})"
    return f"declare {opt} {name}={_dq(val)}"


def _akey(k: object) -> str:
    s = str(k)
    return s if re.fullmatch(r"[A-Za-z0-9_.:-]+", s) else _dq(s)


def register(t: CommandTable) -> None:  # noqa: C901
    @t.command("set", synopsis="set [-euxo option] [--] [arg ...]", special=True,
               summary="Set shell options and positional parameters.")  # fmt: skip
    def set_(ctx: CommandContext) -> int:
        sh = interp_of(ctx)
        st = sh.state
        args = ctx.argv[1:]
        if not args:
            for name in st.all_names():
                v = st.lookup(name)
                if v is None or v.value is None:
                    continue
                if isinstance(v.value, dict):
                    ctx.out(declare_line(name, v).split(" ", 2)[2] + "\n")
                else:
                    ctx.out(f"{name}={shell_quote(v.value)}\n")
            return 0
        i = 0
        while i < len(args):
            a = args[i]
            if a == "--":
                st.positional = args[i + 1 :]
                return 0
            if a in ("-", "+"):
                st.positional = args[i + 1 :]
                return 0
            if a[0] not in "-+" or len(a) < 2:
                st.positional = args[i:]
                return 0
            on = a[0] == "-"
            for ch in a[1:]:
                if ch == "o":
                    i += 1
                    if i >= len(args):
                        _list_options(ctx, on)
                        return 0
                    name = args[i]
                    if name not in SET_OPTIONS:
                        err(ctx, f"{name}: invalid option name")
                        return 2
                    (st.options.add if on else st.options.discard)(name)
                elif ch in SHORT_OPTIONS:
                    (st.options.add if on else st.options.discard)(SHORT_OPTIONS[ch])
                else:
                    err(ctx, f"{a[0]}{ch}: invalid option")
                    ctx.err(
                        "set: usage: set [-abefhkmnptuvxBCEHPT] [-o option-name] [--] [-] [arg ...]\n"
                    )
                    return 2
            i += 1
        return 0

    def _list_options(ctx: CommandContext, on: bool) -> None:
        opts = interp_of(ctx).state.options
        for name in SET_OPTIONS:
            state = "on" if name in opts else "off"
            if on:
                ctx.out(f"{name:<15}\t{state}\n")
            else:
                ctx.out(f"set {'-' if name in opts else '+'}o {name}\n")

    @t.command("shopt", synopsis="shopt [-pqsu] [-o] [optname ...]", special=True,
               summary="Set and unset shell options.")  # fmt: skip
    def shopt(ctx: CommandContext) -> int:
        st = interp_of(ctx).state
        args = ctx.argv[1:]
        mode = ""
        quiet = use_set = False
        while args and args[0].startswith("-"):
            for ch in args.pop(0)[1:]:
                if ch in "su":
                    mode = ch
                elif ch == "q":
                    quiet = True
                elif ch == "o":
                    use_set = True
                elif ch == "p":
                    mode = mode or "p"
                else:
                    err(ctx, f"-{ch}: invalid option")
                    return 2
        names = SET_OPTIONS if use_set else SHOPT_NAMES
        store = st.options if use_set else st.shopts
        for a in args:
            if a not in names:
                err(ctx, f"{a}: invalid {'option' if use_set else 'shell option'} name")
                return 1
        if mode in ("s", "u"):
            if not args:
                for n in names:
                    if (n in store) == (mode == "s"):
                        ctx.out(f"{n:<20}\t{'on' if n in store else 'off'}\n")
                return 0
            for a in args:
                (store.add if mode == "s" else store.discard)(a)
            return 0
        status = 0
        for n in args or names:
            on = n in store
            if not on and args:
                status = 1
            if quiet:
                continue
            if mode == "p":
                ctx.out(f"shopt {'-s' if on else '-u'} {n}\n")
            else:
                ctx.out(f"{n:<20}\t{'on' if on else 'off'}\n")
        return status

    def _declare(ctx: CommandContext, mode: str) -> int:  # noqa: C901
        sh = interp_of(ctx)
        st = sh.state
        on = off = 0
        to_global = print_ = funcs = False
        args = ctx.argv[1:]
        if mode == "export":
            on = EXPORT
        elif mode == "readonly":
            on = READONLY
        local = mode == "local"
        if local and not st.scopes:
            err(ctx, "can only be used in a function")
            return 1
        while args and args[0][:1] in "-+" and len(args[0]) > 1:
            a = args.pop(0)
            if a == "--":
                break
            for ch in a[1:]:
                bit = dict(_FLAG_LETTERS).get(ch)
                if bit is not None:
                    if a[0] == "-":
                        on |= bit
                    else:
                        off |= bit
                elif ch == "g":
                    to_global = True
                elif ch == "p":
                    print_ = True
                elif ch in "fF":
                    funcs = True
                elif ch == "n" and mode == "export":
                    off |= EXPORT
                    on &= ~EXPORT
                else:
                    err(ctx, f"-{ch}: invalid option")
                    return 2
        if mode in ("declare", "typeset") and st.scopes and not to_global:
            local = True
        if funcs:
            status = 0
            for name in args or sorted(st.funcs):
                f = st.funcs.get(name)
                if f is None:
                    status = 1
                elif "-F" in ctx.argv or print_ is False and "-F" in " ".join(ctx.argv):
                    ctx.out(f"declare -f {name}\n")
                else:
                    from ..deparse import format_function

                    ctx.out(format_function(f) + "\n")
            return status
        if print_ or not args:
            if not args:
                for name in st.all_names():
                    v = st.lookup(name)
                    if v is None:
                        continue
                    if on and not v.flags & on:
                        continue
                    if mode in ("export", "readonly") or print_ or on:
                        ctx.out(declare_line(name, v) + "\n")
                    elif v.value is not None and not isinstance(v.value, dict):
                        ctx.out(f"{name}={shell_quote(v.value)}\n")
                    elif v.value is not None:
                        ctx.out(declare_line(name, v).split(" ", 2)[2] + "\n")
                return 0
            status = 0
            for name in args:
                v = st.lookup(name)
                if v is None:
                    err(ctx, f"{name}: not found")
                    status = 1
                else:
                    ctx.out(declare_line(name, v) + "\n")
            return status
        status = 0
        for a in args:
            m = _ASSIGN.match(a)
            name = m.group(1) if m else a
            if not _NAME.match(name):
                err(ctx, f"`{a}': not a valid identifier")
                status = 1
                continue
            try:
                _declare_one(sh, name, m, on, off, local)
            except VarError as exc:
                err(ctx, exc.message)
                status = 1
            except ExpansionError as exc:
                err(ctx, exc.message)
                status = 1
        return status

    for mode in ("declare", "typeset", "local", "export", "readonly"):
        syn = f"{mode} [-aAfFgilnprtux] [name[=value] ...]"

        def make(mode: str = mode) -> CommandFn:
            def fn(ctx: CommandContext) -> int:
                return _declare(ctx, mode)

            return fn

        t.command(mode, synopsis=syn, summary=f"Set variable values and attributes ({mode}).",
                  special=True)(make())  # fmt: skip

    @t.command("unset", synopsis="unset [-f] [-v] [name ...]", special=True,
               summary="Unset values and attributes of shell variables and functions.")  # fmt: skip
    def unset(ctx: CommandContext) -> int:
        sh = interp_of(ctx)
        st = sh.state
        args = ctx.argv[1:]
        funcs = False
        while args and args[0].startswith("-"):
            a = args.pop(0)
            if a == "-f":
                funcs = True
            elif a in ("-v", "-n"):
                funcs = False
            elif a == "--":
                break
            else:
                err(ctx, f"{a}: invalid option")
                return 2
        status = 0
        for name in args:
            if funcs:
                st.funcs.pop(name, None)
                continue
            if "[" in name and name.endswith("]"):
                base, key = name[:-1].split("[", 1)
                v = st.lookup(base)
                if v is not None and isinstance(v.value, dict):
                    if key in ("@", "*"):
                        v.value.clear()
                    elif v.flags & ASSOC:
                        v.value.pop(key, None)
                    else:
                        v.value.pop(sh.arith_text(key), None)
                continue
            if not _NAME.match(name):
                err(ctx, f"`{name}': not a valid identifier")
                status = 1
                continue
            try:
                if st.lookup(name) is None and name in st.funcs:
                    st.funcs.pop(name)
                else:
                    st.unset(name)
            except VarError as exc:
                err(ctx, exc.message)
                status = 1
        return status

    @t.command("shift", synopsis="shift [n]", summary="Shift positional parameters.",
               special=True)  # fmt: skip
    def shift(ctx: CommandContext) -> int:
        st = interp_of(ctx).state
        n = 1
        if len(ctx.argv) > 1:
            try:
                n = int(ctx.argv[1])
            except ValueError:
                err(ctx, f"{ctx.argv[1]}: numeric argument required")
                return 1
            if n < 0:
                err(ctx, f"{n}: shift count out of range")
                return 1
        if n > len(st.positional):
            return 1
        st.positional = st.positional[n:]
        return 0

    @t.command("let", synopsis="let arg [arg ...]", summary="Evaluate arithmetic expressions.",
               special=True)  # fmt: skip
    def let(ctx: CommandContext) -> int:
        sh = interp_of(ctx)
        if len(ctx.argv) < 2:
            err(ctx, "expression expected")
            return 1
        value = 0
        for a in ctx.argv[1:]:
            value = sh.arith_text(a)
        return 0 if value else 1

    @t.command("getopts", synopsis="getopts optstring name [arg ...]", special=True,
               summary="Parse option arguments.")  # fmt: skip
    def getopts(ctx: CommandContext) -> int:
        sh = interp_of(ctx)
        st = sh.state
        if len(ctx.argv) < 3:
            ctx.err("getopts: usage: getopts optstring name [arg ...]\n")
            return 2
        spec, var = ctx.argv[1], ctx.argv[2]
        args = ctx.argv[3:] if len(ctx.argv) > 3 else st.positional
        silent = spec.startswith(":")
        try:
            optind = int(st.get("OPTIND") or "1")
        except ValueError:
            optind = 1
        pos = sh.getopts_pos
        if sh.getopts_ind is not None and optind != sh.getopts_ind:
            pos = 1
        if optind < 1:
            optind = 1
        if optind > len(args):
            st.set(var, "?")
            return 1
        arg = args[optind - 1]
        if pos == 1 and (arg == "--" or not arg.startswith("-") or arg == "-"):
            if arg == "--":
                st.set("OPTIND", str(optind + 1))
            st.set(var, "?")
            return 1
        ch = arg[pos]
        pos += 1
        if pos >= len(arg):
            optind += 1
            pos = 1
        idx = spec.find(ch)
        st.unset("OPTARG")
        if ch == ":" or idx < 0:
            if silent:
                st.set("OPTARG", ch)
            else:
                ctx.err(f"{sh.prefix()}illegal option -- {ch}\n")
            st.set(var, "?")
        elif spec[idx + 1 : idx + 2] == ":":
            if pos > 1:
                st.set("OPTARG", arg[pos:])
                optind += 1
                pos = 1
            elif optind <= len(args):
                st.set("OPTARG", args[optind - 1])
                optind += 1
            else:
                if silent:
                    st.set("OPTARG", ch)
                    st.set(var, ":")
                else:
                    ctx.err(f"{sh.prefix()}option requires an argument -- {ch}\n")
                    st.set(var, "?")
                st.set("OPTIND", str(optind))
                sh.getopts_pos, sh.getopts_ind = pos, optind
                return 0
            st.set(var, ch)
        else:
            st.set(var, ch)
        st.set("OPTIND", str(optind))
        sh.getopts_pos, sh.getopts_ind = pos, optind
        return 0

    from .read import read_builtin

    t.command("read", synopsis="read [-ers] [-a array] [-d delim] [-n nchars] [-p prompt] [name ...]",
              summary="Read a line from the standard input and split it into fields.",
              special=True)(read_builtin)  # fmt: skip


def _declare_one(sh: object, name: str, m: re.Match[str] | None, on: int, off: int,
                 local: bool) -> None:  # fmt: skip
    from ..interp import Interp

    assert isinstance(sh, Interp)
    st = sh.state
    v = st.lookup(name)
    if local or v is None:
        if local:
            scope = st.scopes[-1]
            v = scope.get(name)
            if v is None:
                outer = st.lookup(name)
                v = scope[name] = Var(None, (outer.flags & EXPORT) if outer else 0)
        else:
            v = st.declare(name)
    if v.flags & READONLY and (m is not None or off & READONLY):
        raise VarError(f"{name}: readonly variable")
    if on & ASSOC and isinstance(v.value, dict) and v.flags & ARRAY and not v.flags & ASSOC:
        raise VarError(f"{name}: cannot convert indexed to associative array")
    new_flags = (v.flags | on) & ~off & ~READONLY
    v.flags = new_flags
    if on & (ARRAY | ASSOC) and not isinstance(v.value, dict):
        v.value = {} if v.value is None else {(0 if on & ARRAY else "0"): v.value}
    st.env_cache = None
    if m is not None:
        index, op, value = m.group(2), m.group(3), m.group(4)
        if value.startswith("(") and value.endswith(")") and index is None:
            _array_value(sh, name, v, value[1:-1], op == "+=")
        elif index is not None:
            key = index[1:-1]
            st.set_element(name, key if v.flags & ASSOC else sh.arith_text(key), value,
                           append=op == "+=")  # fmt: skip
        else:
            v.flags &= ~READONLY
            if v.value is None and not local:
                v.value = ""
            elif v.value is None:
                v.value = ""
            st.set(name, value, local=local, append=op == "+=")
    if on & READONLY:
        v.flags |= READONLY
    elif v.flags & READONLY == 0 and new_flags != v.flags:
        pass


def _array_value(sh: object, name: str, v: Var, text: str, append: bool) -> None:
    from ..ast import Assign
    from ..interp import Interp
    from ..lexer import Lexer
    from ..simple import _assign_array

    assert isinstance(sh, Interp)
    lx = Lexer(text + ")")
    elems = lx._read_array_literal()
    _assign_array(sh, Assign(name, "+=" if append else "=", None, None, elems))
