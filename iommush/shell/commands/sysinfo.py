"""System information: ``uname``, ``hostname``, ``date``, ``sleep``, ``env``,
``printenv``, ``id``, ``whoami``, ``groups``, ``dmesg`` (util-linux format)."""

from __future__ import annotations

import errno
import re
import time
from typing import Any

from iommush.shell.command import CommandContext
from iommush.vfs import current_cred

from ._base import UsageError, parse_options, quote, run_child, strerror, utility
from ._fsutil import user_db

__all__ = [
    "date",
    "dmesg",
    "env",
    "groups",
    "hostname",
    "id_cmd",
    "printenv",
    "sleep",
    "uname",
    "wall_clock",
    "whoami",
]

_boot_wall: dict[int, tuple[Any, float]] = {}


def wall_clock(ctx: CommandContext) -> float:
    """Seconds since the epoch on the machine's clock: boot time plus the virtual uptime,
    so ``sleep`` moves ``date`` forward."""
    up = ctx.system.uptime()
    entry = _boot_wall.get(id(ctx.system))
    if entry is None or entry[0] is not ctx.system:
        entry = (ctx.system, time.time() - up)
        _boot_wall[id(ctx.system)] = entry
    return entry[1] + up


@utility(
    "uname",
    "uname [-asnrvmpio]",
    "print system information",
    options=("-a", "-s", "-n", "-r", "-v", "-m"),
)
def uname(ctx: CommandContext) -> int:
    """Print the kernel name (``-s``), node name (``-n``), release (``-r``), version
    (``-v``), machine (``-m``), or all of them (``-a``)."""
    long = {
        "all": "a",
        "kernel-name": "s",
        "nodename": "n",
        "kernel-release": "r",
        "kernel-version": "v",
        "machine": "m",
        "processor": "p",
        "hardware-platform": "i",
        "operating-system": "o",
    }
    opts = parse_options(ctx.argv[1:], "asnrvmpio", long)
    if opts.operands:
        raise UsageError(f"extra operand {quote(opts.operands[0])}", 1)
    u = ctx.system.uname()
    fields = []
    all_ = opts.has("a")
    want = {c: all_ or opts.has(c) for c in "snrvmpio"}
    if not any(opts.has(c) for c in "asnrvmpio"):
        want["s"] = True
    for c, value in (
        ("s", u.sysname),
        ("n", u.nodename),
        ("r", u.release),
        ("v", u.version),
        ("m", u.machine),
    ):
        if want[c]:
            fields.append(value)
    for c in "pi":
        if opts.has(c):
            fields.append("unknown")
    if want["o"]:
        fields.append("GNU/Linux")
    ctx.out(" ".join(fields) + "\n")
    return 0


@utility("hostname", "hostname [-s]", "show the system's host name", options=("-s", "-f"))
def hostname(ctx: CommandContext) -> int:
    """Print the host name (``-s``: up to the first dot)."""
    opts = parse_options(ctx.argv[1:], "sfdA", {"short": "s", "fqdn": "f", "long": "f"})
    if opts.operands:
        ctx.error(
            "you must be root to change the host name"
            if current_cred().uid
            else "the host name cannot be changed on this machine"
        )
        return 1
    name = ctx.system.uname().nodename
    if opts.has("s"):
        name = name.split(".", 1)[0]
    ctx.out(name + "\n")
    return 0


@utility(
    "date",
    "date [-u] [+FORMAT]",
    "print the system date and time",
    options=("-u", "-R", "-I", "-d"),
)
def date(ctx: CommandContext) -> int:
    """Print the machine's date (``+FORMAT`` as strftime, with ``%N`` and ``%s``)."""
    long = {"utc": "u", "universal": "u", "rfc-email": "R", "iso-8601?": "I", "date=": "d"}
    opts = parse_options(ctx.argv[1:], "uRI::d:", long)
    now = wall_clock(ctx)
    when = opts.last("d")
    if when is not None:
        m = re.fullmatch(r"\s*@(-?\d+(?:\.\d+)?)\s*", when)
        if m:
            now = float(m.group(1))
        elif when.strip() not in ("now", ""):
            ctx.error(f"invalid date {quote(when)}")
            return 1
    fmt = "%a %b %e %H:%M:%S %Z %Y"
    for op in opts.operands:
        if not op.startswith("+"):
            ctx.error(f"invalid date {quote(op)}")
            return 1
        fmt = op[1:]
    if opts.has("R"):
        fmt = "%a, %d %b %Y %H:%M:%S %z"
    if opts.has("I"):
        fmt = "%Y-%m-%d"
    tm = time.gmtime(now)
    fmt = fmt.replace("%N", f"{int((now % 1) * 1e9):09d}").replace("%s", str(int(now)))
    fmt = fmt.replace("%Z", "UTC").replace("%z", "+0000").replace("%e", f"{tm.tm_mday:2d}")
    ctx.out(time.strftime(fmt, tm) + "\n")
    return 0


def _interval(text: str) -> float:
    m = re.fullmatch(r"(\d+(?:\.\d*)?|\.\d+)([smhd]?)", text)
    if not m:
        raise UsageError(f"invalid time interval {quote(text)}", 1)
    return float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]


@utility("sleep", "sleep NUMBER[smhd]...", "delay for a specified amount of time")
def sleep(ctx: CommandContext) -> int:
    """Advance the machine's clock by the sum of the intervals (timers fire)."""
    args = [a for a in ctx.argv[1:] if a != "--"]
    if not args:
        raise UsageError("missing operand", 1)
    total = sum(_interval(a) for a in args)
    ctx.system.sleep(total)
    return 0


@utility(
    "env",
    "env [-i] [-u NAME] [NAME=VALUE]... [COMMAND [ARG]...]",
    "run a program in a modified environment",
    options=("-i", "-u"),
)
def env(ctx: CommandContext) -> int:
    """Print the environment, or run COMMAND with it changed."""
    argv = ctx.argv[1:]
    opts_end = 0
    while opts_end < len(argv) and argv[opts_end].startswith("-") and argv[opts_end] != "-":
        opts_end += 2 if argv[opts_end] in ("-u", "--unset") else 1
    opts = parse_options(
        argv[:opts_end], "iu:0", {"ignore-environment": "i", "unset=": "u", "null": "0"}, status=125
    )
    rest = argv[opts_end:]
    new_env = {} if opts.has("i") or (rest[:1] == ["-"]) else dict(ctx.env)
    if rest[:1] == ["-"]:
        rest = rest[1:]
    for name in opts.all("u"):
        new_env.pop(name, None)
    while rest and "=" in rest[0] and not rest[0].startswith("="):
        k, _, v = rest.pop(0).partition("=")
        new_env[k] = v
    if not rest:
        end = "\0" if opts.has("0") else "\n"
        ctx.out("".join(f"{k}={v}{end}" for k, v in new_env.items()))
        return 0
    return run_child(ctx, rest, env=new_env)


@utility("printenv", "printenv [NAME]...", "print all or part of environment")
def printenv(ctx: CommandContext) -> int:
    """Print the value of each NAME, or the whole environment."""
    opts = parse_options(ctx.argv[1:], "0", {"null": "0"}, status=2)
    end = "\0" if opts.has("0") else "\n"
    if not opts.operands:
        ctx.out("".join(f"{k}={v}{end}" for k, v in ctx.env.items()))
        return 0
    status = 0
    out = []
    for name in opts.operands:
        if name in ctx.env and "=" not in name:
            out.append(ctx.env[name] + end)
        else:
            status = 1
    ctx.out("".join(out))
    return status


def _named(ident: int, name: str | None) -> str:
    return f"{ident}({name})" if name is not None else str(ident)


@utility(
    "id",
    "id [-u|-g|-G] [-n] [USER]",
    "print real and effective user and group IDs",
    options=("-u", "-g", "-G", "-n"),
)
def id_cmd(ctx: CommandContext) -> int:
    """Print the user and group ids of the current process (or of USER)."""
    long = {"user": "u", "group": "g", "groups": "G", "name": "n", "real": "r"}
    opts = parse_options(ctx.argv[1:], "ugGnrz", long)
    db = user_db(ctx.fs)
    if len(opts.operands) > 1:
        raise UsageError(f"extra operand {quote(opts.operands[1])}", 1)
    if opts.operands:
        who = opts.operands[0]
        uid = db.lookup_user(who)
        if uid is None or (not who.isdigit() and uid not in db.users):
            ctx.error(f"{quote(who)}: no such user")
            return 1
        entry = db.users.get(uid)
        gid = entry[1] if entry else uid
        name = entry[0] if entry else str(uid)
        group_ids = [gid, *db.supplementary(name, gid)]
    else:
        cred = current_cred()
        uid, gid = cred.uid, cred.gid
        group_ids = [gid, *sorted(g for g in cred.groups if g != gid)]
    if opts.has("u") or opts.has("g"):
        ident = uid if opts.has("u") else gid
        found = db.user_name(ident) if opts.has("u") else db.group_name(ident)
        if opts.has("n"):
            if found is None:
                ctx.error(f"cannot find name for {'user' if opts.has('u') else 'group'} ID {ident}")
                ctx.out(f"{ident}\n")
                return 1
            ctx.out(found + "\n")
        else:
            ctx.out(f"{ident}\n")
        return 0
    if opts.has("G"):
        if opts.has("n"):
            ctx.out(" ".join(db.group_name(g) or str(g) for g in group_ids) + "\n")
        else:
            ctx.out(" ".join(str(g) for g in group_ids) + "\n")
        return 0
    line = f"uid={_named(uid, db.user_name(uid))} gid={_named(gid, db.group_name(gid))}"
    line += " groups=" + ",".join(_named(g, db.group_name(g)) for g in group_ids)
    ctx.out(line + "\n")
    return 0


@utility("whoami", "whoami", "print effective user name")
def whoami(ctx: CommandContext) -> int:
    """Print the name of the effective user."""
    parse_options(ctx.argv[1:], "", {})
    uid = current_cred().uid
    name = user_db(ctx.fs).user_name(uid)
    if name is None:
        ctx.error(f"cannot find name for user ID {uid}")
        return 1
    ctx.out(name + "\n")
    return 0


@utility("groups", "groups [USER]...", "print the groups a user is in")
def groups(ctx: CommandContext) -> int:
    """Print the names of the groups of the current process (or of each USER)."""
    opts = parse_options(ctx.argv[1:], "", {})
    db = user_db(ctx.fs)
    if not opts.operands:
        cred = current_cred()
        ids = [cred.gid, *sorted(g for g in cred.groups if g != cred.gid)]
        ctx.out(" ".join(db.group_name(g) or str(g) for g in ids) + "\n")
        return 0
    status = 0
    for who in opts.operands:
        uid = db.lookup_user(who)
        entry = db.users.get(uid) if uid is not None else None
        if entry is None:
            ctx.error(f"{quote(who)}: no such user")
            status = 1
            continue
        ids = [entry[1], *db.supplementary(entry[0], entry[1])]
        ctx.out(f"{who} : " + " ".join(db.group_name(g) or str(g) for g in ids) + "\n")
    return status


_LEVELS = ["emerg", "alert", "crit", "err", "warn", "notice", "info", "debug"]


@utility(
    "dmesg",
    "dmesg [-c|-C] [-t] [-l LEVEL] [-k] [-x] [-r]",
    "print the kernel ring buffer",
    options=("-c", "-C", "-t", "-l", "-k", "-x", "-r", "-T"),
)
def dmesg(ctx: CommandContext) -> int:
    """Print the kernel log (``-c``: and clear it; ``-C``: only clear it)."""
    long = {
        "read-clear": "c",
        "clear": "C",
        "notime": "t",
        "level=": "l",
        "kernel": "k",
        "decode": "x",
        "raw": "r",
        "ctime": "T",
        "color?": "color",
        "nopager": "P",
        "userspace": "u",
        "facility=": "f",
        "human": "H",
        "show-delta": "d",
    }
    opts = parse_options(ctx.argv[1:], "cCtl:kxrTL::Pudf:Hn:w", long)
    levels: set[int] | None = None
    for spec in opts.all("l"):
        levels = levels or set()
        for name in spec.split(","):
            if name in _LEVELS:
                levels.add(_LEVELS.index(name))
            elif name.isdigit() and int(name) < 8:
                levels.add(int(name))
            else:
                ctx.error(f"unknown level '{name}'")
                return 1
    if opts.has("n"):
        ctx.error(
            "klogctl failed: Operation not permitted"
            if current_cred().uid
            else "console level setting is not modelled"
        )
        return 1
    if opts.has("C"):
        try:
            ctx.system.syslog_clear()
        except OSError as exc:
            ctx.error(f"klogctl failed: {strerror(exc.errno)}")
            return 1
        return 0
    if opts.has("u") and not opts.has("k"):
        return 0
    try:
        records = ctx.system.syslog_read_all()
    except OSError as exc:
        ctx.error(f"read kernel buffer failed: {strerror(exc.errno or errno.EPERM)}")
        return 1
    lines = []
    now = wall_clock(ctx) - ctx.system.uptime() if opts.has("T") else 0.0
    for rec in records:
        if levels is not None and rec.level not in levels:
            continue
        secs = int(rec.time)
        usec = int(round((rec.time - secs) * 1_000_000))
        if usec >= 1_000_000:
            secs, usec = secs + 1, usec - 1_000_000
        stamp = f"[{secs:5d}.{usec:06d}] "
        if opts.has("T"):
            stamp = time.strftime("[%a %b %e %H:%M:%S %Y] ", time.gmtime(now + rec.time))
        if opts.has("t"):
            stamp = ""
        prefix = ""
        if opts.has("r"):
            prefix = f"<{rec.level}>"
        elif opts.has("x"):
            prefix = f"kern  :{_LEVELS[rec.level]:<6}: "
        lines.append(prefix + stamp + rec.text.rstrip("\n") + "\n")
    ctx.out("".join(lines))
    if opts.has("c"):
        ctx.stdout.flush()
        try:
            ctx.system.syslog_clear()
        except OSError as exc:
            ctx.error(f"klogctl failed: {strerror(exc.errno)}")
            return 1
    return 0
