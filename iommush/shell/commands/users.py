"""Running commands as someone else, and on many arguments: ``su``, ``sudo``, ``runas``
(the conformance helper), ``xargs``.

A command run as another user runs under that user's credentials
(``iommush.vfs.as_cred``), so every check the kernel makes — permission bits at
``open``, ``capable(CAP_SYS_ADMIN)`` in a ``store`` — sees them.
"""

from __future__ import annotations

import dataclasses
import re

from iommush.shell.command import CommandContext
from iommush.vfs import ALL_CAPS, Cred, as_cred, current_cred

from ._base import BufferedOut, UsageError, parse_options, quote, raw_stdout, run_child, utility
from ._fsutil import user_db

__all__ = ["cred_for", "runas", "su", "sudo", "xargs"]


def cred_for(ctx: CommandContext, user: str) -> tuple[Cred, str, str] | None:
    """The credentials of ``user`` (a name or a uid) from ``/etc/passwd``: (cred, name,
    home); root gets every capability, other users none."""
    db = user_db(ctx.fs)
    uid = db.lookup_user(user)
    if uid is None:
        return None
    entry = db.users.get(uid)
    if entry is None:
        if not user.isdigit():
            return None
        name, gid, home = user, uid, "/"
    else:
        name, gid, home = entry[0], entry[1], entry[2]
    groups = frozenset(db.supplementary(name, gid))
    caps = ALL_CAPS if uid == 0 else frozenset()
    return Cred(uid=uid, gid=gid, groups=groups, caps=caps), name, home


def _user_env(ctx: CommandContext, name: str, home: str, login: bool) -> dict[str, str]:
    env = dict(ctx.env)
    env.update(USER=name, LOGNAME=name, HOME=home)
    if login:
        env = {k: env[k] for k in ("TERM", "PATH") if k in env}
        env.update(USER=name, LOGNAME=name, HOME=home, SHELL="/bin/sh")
    return env


@utility(
    "sudo", "sudo [-u USER] COMMAND [ARG]...", "execute a command as another user", options=("-u",)
)
def sudo(ctx: CommandContext) -> int:
    """Run COMMAND as root (or as USER with ``-u``)."""
    argv = ctx.argv[1:]
    opts_end = 0
    while opts_end < len(argv) and argv[opts_end].startswith("-"):
        if argv[opts_end] == "--":
            opts_end += 1
            break
        opts_end += 2 if argv[opts_end] in ("-u", "-g") else 1
    opts = parse_options(
        argv[:opts_end],
        "u:g:EHnis",
        {"user=": "u", "preserve-env": "E", "non-interactive": "n", "login": "i", "shell": "s"},
    )
    cmd = argv[opts_end:]
    if not cmd and not opts.has("i") and not opts.has("s"):
        ctx.err("usage: sudo [-u user] command [arg ...]\n")
        return 1
    who = opts.last("u", "root") or "root"
    if who.startswith("#") and who[1:].isdigit():
        who = who[1:]
    found = cred_for(ctx, who)
    if found is None:
        ctx.error(f"unknown user {who}")
        return 1
    cred, name, home = found
    env = _user_env(ctx, name, home, opts.has("i"))
    if not cmd:
        ctx.error("an interactive shell is not available here; give a command")
        return 1
    with as_cred(cred):
        return run_child(ctx, cmd, env=env)


@utility(
    "su",
    "su [-] [USER] [-c COMMAND]",
    "run a command with a substitute user ID",
    options=("-c", "-l", "-"),
)
def su(ctx: CommandContext) -> int:
    """Run COMMAND (``-c``), or the shell commands on standard input, as USER (root)."""
    argv = [a if a != "-" else "-l" for a in ctx.argv[1:]]
    opts = parse_options(
        argv, "lc:s:mp", {"login": "l", "command=": "c", "shell=": "s", "preserve-environment": "m"}
    )
    if len(opts.operands) > 1 and not opts.has("c"):
        script_args = opts.operands[1:]
    else:
        script_args = []
    who = opts.operands[0] if opts.operands else "root"
    found = cred_for(ctx, who)
    if found is None:
        ctx.error(
            f"user {who} does not exist or the user entry does not contain all the required fields"
        )
        return 1
    cred, name, home = found
    me = current_cred()
    if me.uid != 0 and me.uid != cred.uid:
        ctx.error("Authentication failure")
        return 1
    login = opts.has("l")
    env = _user_env(ctx, name, home, login)
    command = opts.last("c")
    if isinstance(ctx.stdout, BufferedOut):
        ctx.stdout.flush()
    child = dataclasses.replace(
        ctx, stdout=raw_stdout(ctx), env=env, cwd=home if login else ctx.cwd
    )
    with as_cred(cred):
        if command is not None:
            return ctx.shell.run_script_text(child, command, [name, *opts.operands[1:]])
        if ctx.interactive:
            ctx.error("an interactive shell is not available here; use su USER -c COMMAND")
            return 1
        source = ctx.stdin.read().decode("utf-8", "surrogateescape")
        return ctx.shell.run_script_text(child, source, script_args)


@utility(
    "runas", "runas UID|- CAPS|- CMD...", "run a command as another uid and/or without capabilities"
)
def runas(ctx: CommandContext) -> int:
    """Run CMD with uid/gid UID (``-``: stay) after dropping the comma-separated
    capability numbers CAPS (``-``: none): 17 is CAP_SYS_RAWIO, 21 CAP_SYS_ADMIN."""
    argv = ctx.argv
    if len(argv) < 4:
        ctx.err(f"usage: {argv[0]} UID|- CAPS|- CMD...\n")
        return 100
    cred = current_cred()
    if argv[2] != "-":
        drop = []
        for tok in argv[2].split(","):
            if not tok:
                continue
            m = re.match(r"\s*[-+]?\d+", tok)
            num = int(m.group(0)) if m else 0
            if not 0 <= num <= 40:
                ctx.err("PR_CAPBSET_DROP: Invalid argument\n")
                return 101
            if not cred.has(8):  # CAP_SETPCAP
                ctx.err("PR_CAPBSET_DROP: Operation not permitted\n")
                return 101
            drop.append(num)
        cred = cred.without(*drop)
    if argv[1] != "-":
        m = re.match(r"\s*[-+]?\d+", argv[1])
        ident = int(m.group(0)) if m else 0
        if current_cred().uid != 0 and ident != current_cred().uid:
            ctx.err("setuid: Operation not permitted\n")
            return 102
        # setuid() away from root clears the effective capabilities
        caps = cred.caps if ident == 0 else frozenset()
        cred = Cred(uid=ident, gid=ident, groups=frozenset(), caps=caps)
    with as_cred(cred):
        return run_child(ctx, argv[3:])


def _xargs_items(data: str, null: bool, delim: str | None) -> list[str]:
    if null:
        items = data.split("\0")
        return items[:-1] if items and items[-1] == "" else items
    if delim is not None:
        items = data.split(delim)
        if items and items[-1] in ("", "\n"):
            items.pop()
        return items
    items = []
    for m in re.finditer(r"""(?:[^\s'"\\]|\\.|'[^']*'|"[^"]*")+""", data, re.S):
        word = m.group(0)
        items.append(
            re.sub(
                r"""\\(.)|'([^']*)'|"([^"]*)\"""",
                lambda mm: mm.group(1) or mm.group(2) or mm.group(3) or "",
                word,
            )
        )
    return items


@utility(
    "xargs",
    "xargs [-0] [-r] [-n N] [-I STR] [COMMAND [ARG]...]",
    "build and execute command lines from standard input",
    options=("-0", "-r", "-n", "-I", "-d", "-t"),
)
def xargs(ctx: CommandContext) -> int:
    """Run COMMAND (``echo``) with the words of standard input as arguments."""
    long = {
        "null": "0",
        "no-run-if-empty": "r",
        "max-args=": "n",
        "replace?": "i",
        "delimiter=": "d",
        "verbose": "t",
        "max-lines=": "L",
        "arg-file=": "a",
    }
    opts = parse_options(ctx.argv[1:], "0rn:I:d:tL:a:i::P:s:x", long, permute=False)
    cmd = opts.operands or ["echo"]
    replace = opts.last("I")
    if replace is None and opts.has("i"):
        replace = opts.last("i") or "{}"
    delim = opts.last("d")
    if delim is not None:
        delim = {"\\n": "\n", "\\t": "\t", "\\0": "\0"}.get(delim, delim)
        if len(delim) != 1:
            raise UsageError(
                f"invalid input delimiter specification {delim}: the delimiter "
                "must be either a single character or an escape sequence starting "
                "with \\.",
                1,
                hint=False,
            )
    source = opts.last("a")
    if source is not None:
        data = ctx.fs.read_bytes(source, ctx.cwd)
    else:
        data = ctx.stdin.read()
    text = data.decode("utf-8", "surrogateescape")
    if replace is not None:
        items = [line for line in text.split("\n") if line.strip()]
        batches = [[w.replace(replace, item) for w in cmd] for item in items]
    else:
        items = _xargs_items(text, opts.has("0"), delim)
        n = opts.last("n") or opts.last("L")
        if n is not None:
            if not n.isdigit() or int(n) < 1:
                raise UsageError(f"value {quote(n)} for -n option should be >= 1", 1, hint=False)
            size = int(n)
            batches = [cmd + items[i : i + size] for i in range(0, len(items), size)]
        else:
            batches = [cmd + items]
        if not items:
            batches = [] if opts.has("r") else [list(cmd)]
    status = 0
    for argv in batches:
        if opts.has("t"):
            ctx.err(" ".join(argv) + "\n")
        rc = run_child(ctx, argv)
        if rc == 255:
            ctx.error(f"{argv[0]}: exited with status 255; aborting")
            return 124
        if rc in (126, 127):
            return rc
        if rc:
            status = 123
    return status
