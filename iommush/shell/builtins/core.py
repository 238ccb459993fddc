"""Control builtins: ``:``, ``true``, ``false``, ``exit``, ``return``, ``break``,
``continue``, ``eval``, ``source``/``.``, ``exec``, ``command``, ``type``, ``trap``,
``wait``, ``history``, ``alias``, and ``sh``/``bash`` to run scripts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..command import CommandContext, CommandTable
from ..errors import BreakLoop, ContinueLoop, ExitShell, ReturnFunction
from .base import err, interp_of

if TYPE_CHECKING:
    from ..interp import Interp

__all__ = ["register"]


def _status_arg(ctx: CommandContext, default: int) -> int | None:
    if len(ctx.argv) < 2:
        return default
    a = ctx.argv[1]
    try:
        return int(a) & 0xFF
    except ValueError:
        err(ctx, f"{a}: numeric argument required")
        return None


def register(t: CommandTable) -> None:  # noqa: C901 - one registration block
    @t.command(":", synopsis=": [arguments]", summary="Do nothing, successfully.")
    def colon(ctx: CommandContext) -> int:
        return 0

    @t.command("true", synopsis="true", summary="Return a successful result.")
    def true_(ctx: CommandContext) -> int:
        return 0

    @t.command("false", synopsis="false", summary="Return an unsuccessful result.")
    def false_(ctx: CommandContext) -> int:
        return 1

    @t.command("exit", synopsis="exit [n]", summary="Exit the shell.", special=True)
    def exit_(ctx: CommandContext) -> int:
        sh = interp_of(ctx)
        status = _status_arg(ctx, sh.last_status)
        if status is None:
            raise ExitShell(2)
        if len(ctx.argv) > 2:
            err(ctx, "too many arguments")
            return 1
        raise ExitShell(status)

    @t.command("return", synopsis="return [n]", summary="Return from a shell function.",
               special=True)  # fmt: skip
    def return_(ctx: CommandContext) -> int:
        sh = interp_of(ctx)
        if not sh.func_depth and not sh.source_depth:
            err(ctx, "can only `return' from a function or sourced script")
            return 1
        status = _status_arg(ctx, sh.last_status)
        raise ReturnFunction(2 if status is None else status)

    def _levels(ctx: CommandContext) -> int | None:
        if len(ctx.argv) < 2:
            return 1
        try:
            n = int(ctx.argv[1])
        except ValueError:
            err(ctx, f"{ctx.argv[1]}: numeric argument required")
            return None
        if n < 1:
            err(ctx, f"{n}: loop count out of range")
            return None
        return n

    @t.command("break", synopsis="break [n]", summary="Exit for, while, or until loops.",
               special=True)  # fmt: skip
    def break_(ctx: CommandContext) -> int:
        sh = interp_of(ctx)
        n = _levels(ctx)
        if n is None:
            return 1
        if not sh.loop_depth:
            err(ctx, "only meaningful in a `for', `while', or `until' loop")
            return 0
        raise BreakLoop(min(n, sh.loop_depth))

    @t.command("continue", synopsis="continue [n]", summary="Resume for, while, or until loops.",
               special=True)  # fmt: skip
    def continue_(ctx: CommandContext) -> int:
        sh = interp_of(ctx)
        n = _levels(ctx)
        if n is None:
            return 1
        if not sh.loop_depth:
            err(ctx, "only meaningful in a `for', `while', or `until' loop")
            return 0
        raise ContinueLoop(min(n, sh.loop_depth))

    @t.command("eval", synopsis="eval [arg ...]", summary="Execute arguments as a shell command.",
               special=True)  # fmt: skip
    def eval_(ctx: CommandContext) -> int:
        sh = interp_of(ctx)
        source = " ".join(ctx.argv[1:])
        if not source.strip():
            return 0
        try:
            return sh.run_source(source, line=sh.lineno, syntax_prefix="iommush: eval: ")
        except ExitShell:
            raise

    @t.command("source", synopsis="source filename [arguments]", aliases=(".",), special=True,
               summary="Execute commands from a file in the current shell.")  # fmt: skip
    def source(ctx: CommandContext) -> int:
        sh = interp_of(ctx)
        if len(ctx.argv) < 2:
            err(ctx, "filename argument required")
            ctx.err(f"{ctx.argv[0]}: usage: {ctx.argv[0]} filename [arguments]\n")
            return 2
        path = ctx.argv[1]
        candidates = [path]
        if "/" not in path:
            candidates = [f"{d}/{path}" for d in (sh.state.get("PATH") or "").split(":") if d]
            candidates.append(path)
        data = None
        error = None
        for c in candidates:
            try:
                data = sh.fs.read_bytes(c, sh.state.cwd)
                break
            except OSError as exc:
                error = exc
        if data is None:
            err(ctx, f"{path}: {error.strerror if error else 'No such file or directory'}")
            return 1
        saved_pos = sh.state.positional
        if len(ctx.argv) > 2:
            sh.state.positional = ctx.argv[2:]
        saved_script = sh.script
        sh.script = path if sh.script is not None or not sh.interactive else sh.script
        sh.source_depth += 1
        try:
            return sh.run_source(data.decode("utf-8", "surrogateescape"))
        except ReturnFunction as r:
            return r.status
        finally:
            sh.source_depth -= 1
            sh.script = saved_script
            if len(ctx.argv) > 2:
                sh.state.positional = saved_pos

    @t.command("exec", synopsis="exec [command [argument ...]] [redirection ...]", special=True,
               summary="Replace the shell with the given command.")  # fmt: skip
    def exec_(ctx: CommandContext) -> int:
        sh = interp_of(ctx)
        argv = ctx.argv[1:]
        while argv and argv[0].startswith("-") and argv[0] != "-":
            argv = argv[1:]
        if not argv:
            return 0
        status = sh.run_command_argv(argv, functions=False)
        if status == 127 and not sh.interactive:
            raise ExitShell(127)
        raise ExitShell(status)

    @t.command("command", synopsis="command [-pVv] command [arg ...]", special=True,
               summary="Run a command bypassing shell functions, or say what it is.")  # fmt: skip
    def command(ctx: CommandContext) -> int:
        sh = interp_of(ctx)
        args = ctx.argv[1:]
        mode = ""
        while args and args[0].startswith("-") and len(args[0]) > 1:
            for ch in args[0][1:]:
                if ch in "vV":
                    mode = ch
                elif ch != "p":
                    err(ctx, f"-{ch}: invalid option")
                    return 2
            args = args[1:]
        if not args:
            return 0
        if mode:
            status = 0
            for name in args:
                kind, detail = sh.find_command(name)
                if not kind:
                    if mode == "V":
                        err(ctx, f"{name}: not found")
                    status = 1
                elif mode == "v":
                    ctx.out((detail if kind == "file" else name) + "\n")
                else:
                    ctx.out(_describe(name, kind, detail, sh) + "\n")
            return status
        return sh.run_command_argv(args, functions=False)

    @t.command("type", synopsis="type [-afptP] name [name ...]",
               summary="Display information about command type.")  # fmt: skip
    def type_(ctx: CommandContext) -> int:
        sh = interp_of(ctx)
        flags = ""
        args = ctx.argv[1:]
        while args and args[0].startswith("-") and len(args[0]) > 1:
            flags += args[0][1:]
            args = args[1:]
        status = 0
        for name in args:
            kind, detail = sh.find_command(name)
            if "P" in flags or "p" in flags:
                if kind == "file":
                    ctx.out(detail + "\n")
                elif "P" in flags or not kind:
                    status = 1
                continue
            if not kind:
                if "t" not in flags:
                    err(ctx, f"{name}: not found")
                status = 1
                continue
            if "t" in flags:
                ctx.out(kind + "\n")
                continue
            ctx.out(_describe(name, kind, detail, sh) + "\n")
        return status

    @t.command("trap", synopsis="trap [-lp] [[arg] signal_spec ...]", special=True,
               summary="Run commands when the shell exits or receives a signal.")  # fmt: skip
    def trap(ctx: CommandContext) -> int:
        sh = interp_of(ctx)
        args = ctx.argv[1:]
        traps = sh.state.traps
        if not args or args == ["-p"]:
            for sig, action in traps.items():
                ctx.out(f"trap -- {_q(action)} {sig}\n")
            return 0
        if args[0] == "-l":
            ctx.out(" 1) SIGHUP\t 2) SIGINT\t 3) SIGQUIT\t 9) SIGKILL\t15) SIGTERM\n")
            return 0
        if args[0] == "-p":
            for sig in args[1:]:
                s = _sig(sig)
                if s in traps:
                    ctx.out(f"trap -- {_q(traps[s])} {s}\n")
            return 0
        if args[0] == "--":
            args = args[1:]
        action = args[0]
        sigs = args[1:]
        if not sigs:
            sigs, action = [action], "-"
        status = 0
        for sig in sigs:
            s = _sig(sig)
            if s is None:
                err(ctx, f"{sig}: invalid signal specification")
                status = 1
            elif action == "-":
                traps.pop(s, None)
            else:
                traps[s] = action
        return status

    @t.command("wait", synopsis="wait [id ...]", summary="Wait for job completion.")
    def wait(ctx: CommandContext) -> int:
        return 0

    @t.command("history", synopsis="history [-c] [n]", summary="Display the command history.",
               special=True)  # fmt: skip
    def history(ctx: CommandContext) -> int:
        sh = interp_of(ctx)
        args = ctx.argv[1:]
        if args and args[0] == "-c":
            sh.history.clear()
            return 0
        items = list(enumerate(sh.history, 1))
        if args:
            try:
                n = int(args[0])
            except ValueError:
                err(ctx, f"{args[0]}: numeric argument required")
                return 1
            items = items[-n:] if n > 0 else []
        ctx.out("".join(f"{i:5d}  {line}\n" for i, line in items))
        return 0

    @t.command("alias", synopsis="alias [name[=value] ...]", special=True,
               summary="Define or display aliases.")  # fmt: skip
    def alias(ctx: CommandContext) -> int:
        sh = interp_of(ctx)
        aliases = sh.state.aliases
        if len(ctx.argv) == 1:
            for k in sorted(aliases):
                ctx.out(f"alias {k}={_q(aliases[k])}\n")
            return 0
        status = 0
        for a in ctx.argv[1:]:
            if "=" in a:
                k, v = a.split("=", 1)
                aliases[k] = v
            elif a in aliases:
                ctx.out(f"alias {a}={_q(aliases[a])}\n")
            else:
                err(ctx, f"{a}: not found")
                status = 1
        return status

    @t.command("unalias", synopsis="unalias [-a] name [name ...]", special=True,
               summary="Remove aliases.")  # fmt: skip
    def unalias(ctx: CommandContext) -> int:
        aliases = interp_of(ctx).state.aliases
        status = 0
        for a in ctx.argv[1:]:
            if a == "-a":
                aliases.clear()
            elif aliases.pop(a, None) is None:
                err(ctx, f"{a}: not found")
                status = 1
        return status

    @t.command("sh", synopsis="sh [-ex] [-c command [name [arg ...]] | file [arg ...]]",
               summary="Run a shell script (iommush's own interpreter).",
               aliases=("bash", "dash", "iommush"))  # fmt: skip
    def sh_(ctx: CommandContext) -> int:
        sh = interp_of(ctx)
        args = ctx.argv[1:]
        errexit = xtrace = False
        command: str | None = None
        while args and args[0].startswith("-") and len(args[0]) > 1 and command is None:
            opt = args.pop(0)
            if opt == "--":
                break
            for ch in opt[1:]:
                if ch == "c":
                    if not args:
                        err(ctx, "-c: option requires an argument")
                        return 2
                    command = args.pop(0)
                elif ch == "e":
                    errexit = True
                elif ch == "x":
                    xtrace = True
                elif ch not in "uvo":
                    err(ctx, f"-{ch}: invalid option")
                    return 2
        if command is not None:
            name = args[0] if args else ctx.argv[0]
            src = ("set -x\n" if xtrace else "") + command
            return sh.spawn_shell(src, name, args[1:], errexit=errexit,
                                  syntax_prefix=f"{ctx.argv[0]}: -c: ")  # fmt: skip
        if not args:
            data = ctx.stdin.read()
            return sh.spawn_shell(data.decode("utf-8", "surrogateescape"), ctx.argv[0], [],
                                  errexit=errexit)  # fmt: skip
        path = args[0]
        try:
            data = sh.fs.read_bytes(path, sh.state.cwd)
        except OSError as exc:
            ctx.err(f"{ctx.argv[0]}: {path}: {exc.strerror}\n")
            return 127
        src = ("set -x\n" if xtrace else "") + data.decode("utf-8", "surrogateescape")
        return sh.spawn_shell(src, path, args[1:], script=path, errexit=errexit)


def _describe(name: str, kind: str, detail: str, sh: Interp) -> str:
    if kind == "keyword":
        return f"{name} is a shell keyword"
    if kind == "builtin":
        return f"{name} is a shell builtin"
    if kind == "alias":
        return f"{name} is aliased to `{detail}'"
    if kind == "function":
        func = sh.state.funcs[name]
        from ..deparse import format_function

        return f"{name} is a function\n{format_function(func)}"
    return f"{name} is {detail}"


_SIGNALS = {"EXIT": "EXIT", "0": "EXIT", "ERR": "ERR", "DEBUG": "DEBUG", "RETURN": "RETURN",
            "HUP": "SIGHUP", "1": "SIGHUP", "INT": "SIGINT", "2": "SIGINT", "QUIT": "SIGQUIT",
            "3": "SIGQUIT", "TERM": "SIGTERM", "15": "SIGTERM", "USR1": "SIGUSR1",
            "USR2": "SIGUSR2", "PIPE": "SIGPIPE", "ALRM": "SIGALRM", "CHLD": "SIGCHLD",
            "KILL": "SIGKILL", "9": "SIGKILL"}  # fmt: skip


def _sig(spec: str) -> str | None:
    s = spec.upper()
    if s.startswith("SIG"):
        s = s[3:]
    return _SIGNALS.get(s)


def _q(s: str) -> str:
    return "'" + s.replace("'", "'\\''") + "'"
