"""``cd`` (logical paths with ``$PWD``/``$OLDPWD`` and ``cd -``, like bash), ``pwd``,
``test``/``[`` and ``umask``."""

from __future__ import annotations

from ..command import CommandContext, CommandTable
from ..cond import test_args
from .base import err, interp_of

__all__ = ["logical_join", "register"]


def logical_join(cwd: str, path: str) -> str:
    """``cd -L``'s canonical path: ``.`` and ``..`` removed textually."""
    full = path if path.startswith("/") else cwd.rstrip("/") + "/" + path
    parts: list[str] = []
    for p in full.split("/"):
        if p in ("", "."):
            continue
        if p == "..":
            if parts:
                parts.pop()
            continue
        parts.append(p)
    return "/" + "/".join(parts)


def register(t: CommandTable) -> None:  # noqa: C901
    @t.command("cd", synopsis="cd [-L|-P] [dir]", summary="Change the shell working directory.",
               special=True)  # fmt: skip
    def cd(ctx: CommandContext) -> int:
        from iommush.vfs import Dir, access_ok, current_cred

        sh = interp_of(ctx)
        st = sh.state
        args = ctx.argv[1:]
        physical = "physical" in st.options
        while args and args[0].startswith("-") and len(args[0]) > 1:
            a = args.pop(0)
            if a == "--":
                break
            for ch in a[1:]:
                if ch == "P":
                    physical = True
                elif ch == "L":
                    physical = False
                else:
                    err(ctx, f"-{ch}: invalid option")
                    ctx.err("cd: usage: cd [-L|[-P [-e]] [-@]] [dir]\n")
                    return 2
        if len(args) > 1:
            err(ctx, "too many arguments")
            return 1
        show = False
        if not args:
            target = st.get("HOME")
            if target is None:
                err(ctx, "HOME not set")
                return 1
        elif args[0] == "-":
            target = st.get("OLDPWD")
            if target is None:
                err(ctx, "OLDPWD not set")
                return 1
            show = True
        else:
            target = args[0]
        if target == "":
            return 0
        old = st.get("PWD") or st.cwd
        new = logical_join(old, target)
        fs = sh.fs
        try:
            node = fs.resolve(new if not physical else target, st.cwd)
        except OSError as exc:
            err(ctx, f"{target}: {exc.strerror}")
            return 1
        if not isinstance(node, Dir):
            err(ctx, f"{target}: Not a directory")
            return 1
        if not access_ok(node, 1, current_cred()):
            err(ctx, f"{target}: Permission denied")
            return 1
        if physical:
            new = node.abspath()
        st.cwd = new
        try:
            st.set("OLDPWD", old)
            st.set("PWD", new)
        except Exception:  # noqa: BLE001 - a readonly PWD keeps the directory change
            pass
        if show:
            ctx.out(new + "\n")
        return 0

    @t.command(
        "pwd", synopsis="pwd [-LP]", summary="Print the name of the current working directory."
    )
    def pwd(ctx: CommandContext) -> int:
        sh = interp_of(ctx)
        physical = False
        for a in ctx.argv[1:]:
            if a == "-P":
                physical = True
            elif a == "-L":
                physical = False
            else:
                err(ctx, f"{a}: invalid option")
                ctx.err("pwd: usage: pwd [-LP]\n")
                return 2
        cwd = sh.state.cwd
        if physical:
            try:
                cwd = sh.fs.realpath(cwd)
            except OSError as exc:
                err(ctx, f"error retrieving current directory: {exc.strerror}")
                return 1
        from .printf import write_out

        return write_out(ctx, cwd + "\n")

    @t.command("test", synopsis="test [expr]", summary="Evaluate conditional expression.",
               aliases=("[",))  # fmt: skip
    def test(ctx: CommandContext) -> int:
        sh = interp_of(ctx)
        args = ctx.argv[1:]
        name = ctx.argv[0]
        if name == "[":
            if not args or args[-1] != "]":
                err(ctx, "missing `]'")
                return 2
            args = args[:-1]
        from ..cond import TestError

        try:
            return test_args(sh, args, name)
        except TestError as exc:
            ctx.err(f"{sh.prefix()}{exc.message}\n")
            return 2

    @t.command("umask", synopsis="umask [-p] [-S] [mode]", summary="Display or set file mode mask.",
               special=True)  # fmt: skip
    def umask(ctx: CommandContext) -> int:
        sh = interp_of(ctx)
        args = [a for a in ctx.argv[1:] if not a.startswith("-")]
        if not args:
            ctx.out(f"{sh.umask:04o}\n")
            return 0
        try:
            sh.umask = int(args[0], 8)
        except ValueError:
            err(ctx, f"{args[0]}: octal number out of range")
            return 1
        return 0
