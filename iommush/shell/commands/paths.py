"""Names and metadata: ``readlink``, ``realpath``, ``basename``, ``dirname``, ``chmod``,
``chown``, ``stat`` (GNU coreutils wording and statuses)."""

from __future__ import annotations

import errno
import os
import posixpath
import re
import stat as st
import time

from iommush.shell.command import CommandContext
from iommush.vfs import Attribute, Dir, Link, Node, VirtualFS

from ._base import UsageError, parse_options, quote, quotef, strerror, utility
from ._format import filemode
from ._fsutil import user_db

__all__ = [
    "basename",
    "canonicalize",
    "chmod",
    "chown",
    "dirname",
    "parse_mode",
    "readlink",
    "realpath",
    "stat_cmd",
]


def canonicalize(fs: VirtualFS, path: str, cwd: str, mode: str) -> str:
    """gnulib ``canonicalize_filename_mode``: ``e`` every component must exist, ``f``
    all but the last, ``m`` none. Raises OSError."""
    if not path:
        raise OSError(errno.ENOENT, strerror(errno.ENOENT))
    todo = [p for p in path.split("/") if p]
    if not path.startswith("/"):
        todo = [p for p in cwd.split("/") if p] + todo
    done: list[str] = []
    links = 0
    missing = False
    while todo:
        part = todo.pop(0)
        if part == ".":
            continue
        if part == "..":
            if done:
                done.pop()
            continue
        done.append(part)
        here = "/" + "/".join(done)
        if missing:
            continue
        try:
            node = fs.resolve(here, "/", follow=False)
        except OSError as exc:
            last = not any(p not in (".",) for p in todo)
            if mode == "m" or (mode == "f" and last and exc.errno == errno.ENOENT):
                missing = True
                continue
            raise
        if isinstance(node, Link):
            links += 1
            if links > 40:
                raise OSError(errno.ELOOP, strerror(errno.ELOOP))
            text = node.readlink()
            done.pop()
            if text.startswith("/"):
                done = []
            todo = [p for p in text.split("/") if p] + todo
            continue
        if not isinstance(node, Dir) and todo:
            if mode == "m":
                continue
            raise OSError(errno.ENOTDIR, strerror(errno.ENOTDIR))
    if path.endswith("/") and mode == "e":
        node = fs.resolve("/" + "/".join(done), "/")
        if not isinstance(node, Dir):
            raise OSError(errno.ENOTDIR, strerror(errno.ENOTDIR))
    return "/" + "/".join(done)


@utility(
    "readlink",
    "readlink [-fem] [-n] FILE...",
    "print resolved symbolic links",
    options=("-f", "-e", "-m", "-n", "-v", "-z"),
)
def readlink(ctx: CommandContext) -> int:
    """Print the text of each symbolic link; ``-f``/``-e``/``-m`` print the canonical
    path instead."""
    long = {
        "canonicalize": "f",
        "canonicalize-existing": "e",
        "canonicalize-missing": "m",
        "no-newline": "n",
        "verbose": "v",
        "quiet": "q",
        "silent": "s",
        "zero": "z",
    }
    opts = parse_options(ctx.argv[1:], "femnqsvz", long)
    if not opts.operands:
        raise UsageError("missing operand", 1)
    mode = next((k for k, _ in reversed(opts.order) if k in "fem"), "")
    end = "\0" if opts.has("z") else "\n"
    no_newline = opts.has("n") and len(opts.operands) == 1
    status = 0
    for name in opts.operands:
        try:
            if mode:
                text = canonicalize(ctx.fs, name, ctx.cwd, mode)
            else:
                text = ctx.fs.readlink(name, ctx.cwd)
        except OSError as exc:
            if opts.has("v"):
                ctx.error(f"{quotef(name)}: {strerror(exc.errno)}")
            status = 1
            continue
        ctx.out(text + ("" if no_newline else end))
    return status


@utility(
    "realpath",
    "realpath [-em] [-s] FILE...",
    "print the resolved path",
    options=("-e", "-m", "-s", "-q", "-z"),
)
def realpath(ctx: CommandContext) -> int:
    """Print the canonical absolute name of each FILE (all but the last component must
    exist; ``-e``: all; ``-m``: none)."""
    long = {
        "canonicalize-existing": "e",
        "canonicalize-missing": "m",
        "strip": "s",
        "no-symlinks": "s",
        "quiet": "q",
        "zero": "z",
        "relative-to=": "relative-to",
    }
    opts = parse_options(ctx.argv[1:], "emLPqsz", long)
    if not opts.operands:
        raise UsageError("missing operand", 1)
    mode = next((k for k, _ in reversed(opts.order) if k in "em"), "f")
    status = 0
    for name in opts.operands:
        try:
            if opts.has("s"):
                text = posixpath.normpath(posixpath.join(ctx.cwd, name))
                if text.startswith("//"):
                    text = text[1:]
                if mode != "m":
                    canonicalize(ctx.fs, name, ctx.cwd, mode)
            else:
                text = canonicalize(ctx.fs, name, ctx.cwd, mode)
            rel = opts.last("relative-to")
            if rel is not None:
                base = canonicalize(ctx.fs, rel, ctx.cwd, mode)
                text = posixpath.relpath(text, base)
        except OSError as exc:
            if not opts.has("q"):
                ctx.error(f"{quotef(name)}: {strerror(exc.errno)}")
            status = 1
            continue
        ctx.out(text + ("\0" if opts.has("z") else "\n"))
    return status


def _basename(name: str, suffix: str) -> str:
    stripped = name.rstrip("/")
    if not stripped:
        return "/" if name else ""
    base = stripped.rsplit("/", 1)[-1]
    if suffix and base != suffix and base.endswith(suffix):
        base = base[: -len(suffix)]
    return base


@utility(
    "basename",
    "basename NAME [SUFFIX]",
    "strip directory and suffix from file names",
    options=("-a", "-s", "-z"),
)
def basename(ctx: CommandContext) -> int:
    """Print NAME with any leading directory components removed (and SUFFIX)."""
    opts = parse_options(ctx.argv[1:], "as:z", {"multiple": "a", "suffix=": "s", "zero": "z"})
    ops = opts.operands
    if not ops:
        raise UsageError("missing operand", 1)
    end = "\0" if opts.has("z") else "\n"
    suffix = opts.last("s")
    if suffix is not None or opts.has("a"):
        names = ops
    else:
        if len(ops) > 2:
            raise UsageError(f"extra operand {quote(ops[2])}", 1)
        names = ops[:1]
        suffix = ops[1] if len(ops) == 2 else ""
    ctx.out("".join(_basename(n, suffix or "") + end for n in names))
    return 0


def _dirname(name: str) -> str:
    stripped = name.rstrip("/")
    if not stripped:
        return "/" if name.startswith("/") else "."
    if "/" not in stripped:
        return "."
    head = stripped.rsplit("/", 1)[0].rstrip("/")
    return head or "/"


@utility("dirname", "dirname NAME...", "strip the last component from file names", options=("-z",))
def dirname(ctx: CommandContext) -> int:
    """Print each NAME with its last non-slash component and trailing slashes removed."""
    opts = parse_options(ctx.argv[1:], "z", {"zero": "z"})
    if not opts.operands:
        raise UsageError("missing operand", 1)
    end = "\0" if opts.has("z") else "\n"
    ctx.out("".join(_dirname(n) + end for n in opts.operands))
    return 0


_SYMBOLIC = re.compile(r"^([ugoa]*)([-+=])([rwxXst]*|[ugo])$")


def parse_mode(text: str, current: int, is_dir: bool) -> int | None:
    """An octal or symbolic (``u+x,go-w``) mode applied to ``current``; None if bad."""
    if text and all(c in "01234567" for c in text):
        value = int(text, 8)
        return value if value <= 0o7777 else None
    mode = current
    for clause in text.split(","):
        m = _SYMBOLIC.match(clause)
        if m is None:
            return None
        who, op, perms = m.groups()
        mask = 0
        for w in who or "a":
            mask |= {"u": 0o4700, "g": 0o2070, "o": 0o1007, "a": 0o7777}[w]
        if perms in ("u", "g", "o"):
            shift = {"u": 6, "g": 3, "o": 0}[perms]
            bits = (mode >> shift) & 7
            value = bits << 6 | bits << 3 | bits
        else:
            value = 0
            for p in perms:
                if p == "r":
                    value |= 0o444
                elif p == "w":
                    value |= 0o222
                elif p == "x":
                    value |= 0o111
                elif p == "X":
                    if is_dir or mode & 0o111:
                        value |= 0o111
                elif p == "s":
                    value |= 0o6000
                elif p == "t":
                    value |= 0o1000
        umask_applies = not who
        value &= mask
        if umask_applies:
            value &= ~0o022 | 0o7000
        if op == "+":
            mode |= value
        elif op == "-":
            mode &= ~value
        else:
            mode = (mode & ~mask) | value
    return mode & 0o7777


def _walk(node: Node, path: str) -> list[str]:
    out = [path]
    if isinstance(node, Dir):
        for name, child in node.children.items():
            out.extend(
                _walk(child, posixpath.join(path, name))
                if not isinstance(child, Link)
                else [posixpath.join(path, name)]
            )
    return out


@utility("chmod", "chmod [-R] MODE FILE...", "change file mode bits", options=("-R", "-v"))
def chmod(ctx: CommandContext) -> int:
    """Set the mode of each FILE: octal (``0644``) or symbolic (``u+x,go-w``)."""
    argv = ctx.argv[1:]
    # a mode such as -w looks like an option: take it as the mode, as chmod does
    mode_idx = next(
        (
            i
            for i, a in enumerate(argv)
            if re.fullmatch(r"-[rwxXst]+", a) and not re.fullmatch(r"-[Rvcf]+", a)
        ),
        None,
    )
    mode_word = argv.pop(mode_idx) if mode_idx is not None else None
    opts = parse_options(
        argv,
        "Rvcf",
        {"recursive": "R", "verbose": "v", "changes": "c", "silent": "f", "quiet": "f"},
    )
    ops = opts.operands
    if mode_word is None:
        if not ops:
            raise UsageError("missing operand", 1)
        mode_word, ops = ops[0], ops[1:]
    if not ops:
        raise UsageError(f"missing operand after {quote(mode_word)}", 1)
    if parse_mode(mode_word, 0, False) is None:
        raise UsageError(f"invalid mode: {quote(mode_word)}", 1)
    status = 0
    for name in ops:
        try:
            node = ctx.fs.resolve(name, ctx.cwd)
        except OSError as exc:
            ctx.error(f"cannot access {quote(name)}: {strerror(exc.errno)}")
            status = 1
            continue
        paths = _walk(node, name) if opts.has("R") else [name]
        for path in paths:
            try:
                target = ctx.fs.resolve(path, ctx.cwd)
                new = parse_mode(mode_word, target.mode, isinstance(target, Dir))
                assert new is not None
                old = target.mode
                ctx.fs.chmod(path, new, ctx.cwd)
                if opts.has("v") or (opts.has("c") and old != new):
                    ctx.out(
                        f"mode of {quote(path)} changed from {old:04o} "
                        f"({filemode(old)[1:]}) to {new:04o} ({filemode(new)[1:]})\n"
                    )
            except OSError as exc:
                if not opts.has("f"):
                    ctx.error(f"changing permissions of {quote(path)}: {strerror(exc.errno)}")
                status = 1
    return status


@utility(
    "chown", "chown [-R] OWNER[:GROUP] FILE...", "change file owner and group", options=("-R",)
)
def chown(ctx: CommandContext) -> int:
    """Set the owner (and group) of each FILE; names come from ``/etc/passwd``."""
    opts = parse_options(ctx.argv[1:], "Rvchf", {"recursive": "R", "verbose": "v"})
    ops = opts.operands
    if not ops:
        raise UsageError("missing operand", 1)
    if len(ops) < 2:
        raise UsageError(f"missing operand after {quote(ops[0])}", 1)
    spec, files = ops[0], ops[1:]
    db = user_db(ctx.fs)
    user, sep, group = spec.partition(":") if ":" in spec else spec.partition(".")
    uid = gid = None
    if user:
        uid = db.lookup_user(user)
        if uid is None:
            raise UsageError(f"invalid user: {quote(spec)}", 1, hint=False)
    if group:
        gid = db.lookup_group(group)
        if gid is None:
            raise UsageError(f"invalid group: {quote(spec)}", 1, hint=False)
    elif sep and uid is not None:
        entry = db.users.get(uid)
        gid = entry[1] if entry else None
    status = 0
    for name in files:
        try:
            node = ctx.fs.resolve(name, ctx.cwd)
        except OSError as exc:
            ctx.error(f"cannot access {quote(name)}: {strerror(exc.errno)}")
            status = 1
            continue
        for path in _walk(node, name) if opts.has("R") else [name]:
            try:
                t = ctx.fs.resolve(path, ctx.cwd)
                ctx.fs.chown(
                    path, t.uid if uid is None else uid, t.gid if gid is None else gid, ctx.cwd
                )
            except OSError as exc:
                ctx.error(f"changing ownership of {quote(path)}: {strerror(exc.errno)}")
                status = 1
    return status


def _file_type(node: Node, size: int) -> str:
    if isinstance(node, Dir):
        return "directory"
    if isinstance(node, Link):
        return "symbolic link"
    if st.S_ISCHR(node.st_mode):
        return "character special file"
    return "regular file" if size else "regular empty file"


def _stat_fields(ctx: CommandContext, name: str, node: Node) -> dict[str, str]:
    s = ctx.fs.stat_node(node)
    db = user_db(ctx.fs)
    mtime = s.st_mtime
    tm = time.gmtime(mtime)
    frac = f"{mtime % 1:.9f}"[1:]
    ts = time.strftime("%Y-%m-%d %H:%M:%S", tm) + frac + " +0000"
    blocks = -(-s.st_size // 4096) * 8 if isinstance(node, Attribute) is False and s.is_reg else 0
    quoted = quote(name)
    if isinstance(node, Link):
        quoted += f" -> {quote(node.readlink())}"
    return {
        "a": f"{s.st_mode & 0o7777:o}",
        "A": filemode(s.st_mode),
        "b": str(blocks),
        "B": "512",
        "d": "21",
        "D": "15",
        "f": f"{s.st_mode:x}",
        "F": _file_type(node, s.st_size),
        "g": str(s.st_gid),
        "G": db.group_name(s.st_gid) or "UNKNOWN",
        "h": str(s.st_nlink),
        "i": str(s.st_ino),
        "n": name,
        "N": quoted,
        "o": "4096",
        "s": str(s.st_size),
        "t": f"{os.major(s.st_rdev):x}",
        "T": f"{os.minor(s.st_rdev):x}",
        "u": str(s.st_uid),
        "U": db.user_name(s.st_uid) or "UNKNOWN",
        "x": ts,
        "X": str(int(mtime)),
        "y": ts,
        "Y": str(int(mtime)),
        "z": ts,
        "Z": str(int(mtime)),
        "w": "-",
        "W": "0",
        "%": "%",
    }


def _render(fmt: str, fields: dict[str, str], escapes: bool) -> str:
    out = []
    i = 0
    while i < len(fmt):
        c = fmt[i]
        if c == "%" and i + 1 < len(fmt):
            m = re.match(r"%([-#+ 0]*)(\d*)(?:\.(\d+))?([a-zA-Z%])", fmt[i:])
            if m:
                flags, width, _, key = m.groups()
                val = fields.get(key, "?" + key)
                if width:
                    val = val.ljust(int(width)) if "-" in flags else val.rjust(int(width))
                out.append(val)
                i += m.end()
                continue
        if escapes and c == "\\" and i + 1 < len(fmt):
            nxt = fmt[i + 1]
            out.append({"n": "\n", "t": "\t", "\\": "\\", "0": "\0", "r": "\r"}.get(nxt, nxt))
            i += 2
            continue
        out.append(c)
        i += 1
    return "".join(out)


_DEFAULT = (
    "  File: %N\n  Size: %-10s\tBlocks: %-10b IO Block: %-6o %F\n"
    "Device: 0,%d\tInode: %-11i Links: %h\n"
    "Access: (%04a/%A)  Uid: (%5u/%8U)   Gid: (%5g/%8G)\n"
    "Access: %x\nModify: %y\nChange: %z\n Birth: %w\n"
)


@utility(
    "stat",
    "stat [-L] [-c FORMAT] FILE...",
    "display file status",
    options=("-L", "-c", "--format=", "--printf="),
)
def stat_cmd(ctx: CommandContext) -> int:
    """Show each FILE's metadata, or the ``-c FORMAT`` fields (%a %A %n %N %s %F %U %G
    %u %g %i %h %t %T %Y)."""
    long = {"dereference": "L", "format=": "c", "printf=": "printf", "terse": "t"}
    opts = parse_options(ctx.argv[1:], "Lc:t", long)
    if not opts.operands:
        raise UsageError("missing operand", 1)
    fmt = opts.last("c")
    printf = opts.last("printf")
    status = 0
    for name in opts.operands:
        try:
            node = ctx.fs.resolve(name, ctx.cwd, follow=opts.has("L"))
        except OSError as exc:
            ctx.error(f"cannot statx {quote(name)}: {strerror(exc.errno)}")
            status = 1
            continue
        fields = _stat_fields(ctx, name, node)
        if printf is not None:
            ctx.out(_render(printf, fields, True))
        elif fmt is not None:
            ctx.out(_render(fmt, fields, False) + "\n")
        else:
            fields["d"] = fields["d"]
            text = _render(_DEFAULT, fields, False)
            ctx.out(text)
    return status
