"""File utilities of GNU coreutils: ``cat``, ``tee``, ``touch``, ``mkdir``, ``rm``,
``rmdir``, ``cp``, ``mv``, ``ln``.

Each reads and writes through the virtual filesystem with the same system calls the
real tool makes, so the kernel's answer is the one a user sees: ``cp x
/sys/.../type`` is one ``write(2)`` of the file, ``rm /sys/...`` gets EPERM.
"""

from __future__ import annotations

import errno
import os
import posixpath
import time

from iommush.shell.command import CommandContext
from iommush.vfs import Dir, File, Link

from ._base import BufferedOut, UsageError, parse_options, quote, quotef, strerror, utility

__all__ = ["cat", "cp", "ln", "mkdir", "mv", "rm", "rmdir", "tee", "touch"]


def _visible(data: bytes, show_tabs: bool, show_nonprinting: bool) -> bytes:
    out = bytearray()
    for b in data:
        if b == 9 and show_tabs:
            out += b"^I"
        elif b == 10 or b == 9 or not show_nonprinting:
            out.append(b)
        elif b >= 128:
            out += b"M-"
            c = b - 128
            out += b"^?" if c == 127 else (bytes([ord("^"), c + 64]) if c < 32 else bytes([c]))
        elif b < 32:
            out += bytes([ord("^"), b + 64])
        elif b == 127:
            out += b"^?"
        else:
            out.append(b)
    return bytes(out)


class _CatState:
    def __init__(self) -> None:
        self.line = 0
        self.at_bol = True
        self.blank_run = 0


def _cat_transform(data: bytes, flags: dict[str, bool], state: _CatState) -> bytes:
    out = bytearray()
    for line in data.splitlines(keepends=True):
        body, nl = (line[:-1], b"\n") if line.endswith(b"\n") else (line, b"")
        if state.at_bol:
            if flags["s"] and not body and nl:
                state.blank_run += 1
                if state.blank_run > 1:
                    continue
            else:
                state.blank_run = 0
            if flags["b"] and body or (flags["n"] and not flags["b"]):
                state.line += 1
                out += f"{state.line:6d}\t".encode()
        body = _visible(body, flags["T"], flags["v"])
        out += body + (b"$" if flags["E"] and nl else b"") + nl
        state.at_bol = bool(nl)
    return bytes(out)


@utility(
    "cat",
    "cat [-nbsAETv] [FILE]...",
    "concatenate files and print on the standard output",
    options=("-n", "-b", "-s", "-A", "-E", "-T", "-v"),
)
def cat(ctx: CommandContext) -> int:
    """Copy each FILE (``-`` or none: standard input) to standard output."""
    long = {
        "number": "n",
        "number-nonblank": "b",
        "squeeze-blank": "s",
        "show-all": "A",
        "show-ends": "E",
        "show-tabs": "T",
        "show-nonprinting": "v",
    }
    opts = parse_options(ctx.argv[1:], "nbsAETvetu", long)
    flags = {c: opts.has(c) for c in "nbsETv"}
    if opts.has("A"):
        flags.update(v=True, E=True, T=True)
    if opts.has("e"):
        flags.update(v=True, E=True)
    if opts.has("t"):
        flags.update(v=True, T=True)
    plain = not any(flags.values())
    state = _CatState()
    out = ctx.stdout
    assert isinstance(out, BufferedOut)
    status = 0
    for name in opts.operands or ["-"]:
        try:
            if name == "-":
                data = ctx.stdin.read()
            else:
                with ctx.fs.open(name, cwd=ctx.cwd) as of:
                    data = of.read()
        except OSError as exc:
            ctx.error(f"{quotef(name)}: {strerror(exc.errno)}")
            status = 1
            continue
        out.write_now(data if plain else _cat_transform(data, flags, state))
    return status


@utility(
    "tee",
    "tee [-a] [FILE]...",
    "copy standard input to each FILE, and also to standard output",
    options=("-a",),
    buffered=False,
)
def tee(ctx: CommandContext) -> int:
    """Copy standard input to each FILE and to standard output (``-a``: append)."""
    opts = parse_options(ctx.argv[1:], "aip", {"append": "a", "ignore-interrupts": "i"})
    flags = os.O_WRONLY | os.O_CREAT | (os.O_APPEND if opts.has("a") else os.O_TRUNC)
    status = 0
    files = []
    for name in opts.operands:
        try:
            files.append((name, ctx.fs.open(name, flags, cwd=ctx.cwd)))
        except OSError as exc:
            ctx.error(f"{quotef(name)}: {strerror(exc.errno)}")
            status = 1
    targets: list[tuple[str, object]] = [("standard output", ctx.stdout), *files]
    try:
        while True:
            chunk = ctx.stdin.read(65536)
            if not chunk:
                break
            for name, f in list(targets):
                try:
                    f.write(chunk)  # type: ignore[attr-defined]
                except OSError as exc:
                    if exc.errno == errno.EPIPE and name == "standard output":
                        return 141
                    ctx.error(f"{quotef(name)}: {strerror(exc.errno)}")
                    status = 1
                    targets.remove((name, f))
    finally:
        for _, of in files:
            of.close()
    return status


@utility(
    "touch", "touch [-c] FILE...", "change file timestamps, creating missing files", options=("-c",)
)
def touch(ctx: CommandContext) -> int:
    """Create each FILE that does not exist; set the modification time of the others."""
    opts = parse_options(ctx.argv[1:], "cam", {"no-create": "c"})
    if not opts.operands:
        raise UsageError("missing file operand", 1)
    status = 0
    for name in opts.operands:
        try:
            node = ctx.fs.resolve(name, ctx.cwd)
        except OSError as exc:
            if exc.errno != errno.ENOENT or opts.has("c"):
                if exc.errno != errno.ENOENT:
                    ctx.error(f"cannot touch {quote(name)}: {strerror(exc.errno)}")
                    status = 1
                continue
            try:
                ctx.fs.open(name, os.O_WRONLY | os.O_CREAT, cwd=ctx.cwd).close()
            except OSError as exc2:
                ctx.error(f"cannot touch {quote(name)}: {strerror(exc2.errno)}")
                status = 1
            continue
        from iommush.vfs import current_cred

        cred = current_cred()
        if cred.uid != node.uid and not cred.has(3) and not cred.has(1):
            ctx.error(f"setting times of {quote(name)}: {strerror(errno.EPERM)}")
            status = 1
            continue
        node.mtime = time.time()
    return status


@utility("mkdir", "mkdir [-p] [-m MODE] DIRECTORY...", "make directories", options=("-p", "-m"))
def mkdir(ctx: CommandContext) -> int:
    """Create each DIRECTORY (``-p``: with its parents, no error if it exists)."""
    from .paths import parse_mode

    opts = parse_options(ctx.argv[1:], "pvm:", {"parents": "p", "mode=": "m", "verbose": "v"})
    if not opts.operands:
        raise UsageError("missing operand", 1)
    mode = 0o755
    mode_arg = opts.last("m")
    if mode_arg is not None:
        parsed = parse_mode(mode_arg, 0o777, True)
        if parsed is None:
            raise UsageError(f"invalid mode {quote(mode_arg)}", 1, hint=False)
        mode = parsed
    status = 0
    for name in opts.operands:
        try:
            if opts.has("p"):
                parts = [p for p in name.split("/") if p]
                path = "/" if name.startswith("/") else ""
                for i, part in enumerate(parts):
                    path = posixpath.join(path, part) if path else part
                    try:
                        node = ctx.fs.resolve(path, ctx.cwd)
                        if not isinstance(node, Dir):
                            raise OSError(errno.ENOTDIR, strerror(errno.ENOTDIR))
                    except OSError as exc:
                        if exc.errno != errno.ENOENT:
                            raise
                        ctx.fs.mkdir(path, mode if i == len(parts) - 1 else 0o755, ctx.cwd)
                        if opts.has("v"):
                            ctx.out(f"mkdir: created directory {quote(path)}\n")
            else:
                ctx.fs.mkdir(name, mode, ctx.cwd)
                if opts.has("v"):
                    ctx.out(f"mkdir: created directory {quote(name)}\n")
            if mode_arg is not None:
                ctx.fs.chmod(name, mode, ctx.cwd)
        except OSError as exc:
            ctx.error(f"cannot create directory {quote(name)}: {strerror(exc.errno)}")
            status = 1
    return status


def _remove_tree(ctx: CommandContext, path: str, force: bool, verbose: bool) -> bool:
    node = ctx.fs.resolve(path, ctx.cwd, follow=False)
    ok = True
    if isinstance(node, Dir):
        for child in list(node.children):
            try:
                ok = _remove_tree(ctx, posixpath.join(path, child), force, verbose) and ok
            except OSError as exc:
                ctx.error(
                    f"cannot remove {quote(posixpath.join(path, child))}: {strerror(exc.errno)}"
                )
                ok = False
        if not ok:
            return False
        ctx.fs.rmdir(path, ctx.cwd)
        if verbose:
            ctx.out(f"removed directory {quote(path)}\n")
    else:
        ctx.fs.unlink(path, ctx.cwd)
        if verbose:
            ctx.out(f"removed {quote(path)}\n")
    return True


@utility("rm", "rm [-rfv] FILE...", "remove files or directories", options=("-r", "-f", "-v"))
def rm(ctx: CommandContext) -> int:
    """Remove each FILE (``-r``: directories and their contents; ``-f``: no complaint
    about missing files)."""
    opts = parse_options(
        ctx.argv[1:], "rRfvid", {"recursive": "r", "force": "f", "verbose": "v", "dir": "d"}
    )
    force = opts.has("f")
    recursive = opts.has("r") or opts.has("R")
    if not opts.operands:
        if force:
            return 0
        raise UsageError("missing operand", 1)
    status = 0
    for name in opts.operands:
        base = posixpath.basename(name.rstrip("/"))
        if base in (".", ".."):
            ctx.error(f"refusing to remove '.' or '..' directory: skipping {quote(name)}")
            status = 1
            continue
        try:
            node = ctx.fs.resolve(name, ctx.cwd, follow=False)
        except OSError as exc:
            if not (force and exc.errno == errno.ENOENT):
                ctx.error(f"cannot remove {quote(name)}: {strerror(exc.errno)}")
                status = 1
            continue
        try:
            if isinstance(node, Dir):
                if not recursive:
                    if opts.has("d"):
                        ctx.fs.rmdir(name, ctx.cwd)
                        continue
                    ctx.error(f"cannot remove {quote(name)}: Is a directory")
                    status = 1
                    continue
                if node.parent is None:
                    ctx.error("it is dangerous to operate recursively on '/'")
                    ctx.error("use --no-preserve-root to override this failsafe")
                    status = 1
                    continue
                if not _remove_tree(ctx, name, force, opts.has("v")):
                    status = 1
            else:
                ctx.fs.unlink(name, ctx.cwd)
                if opts.has("v"):
                    ctx.out(f"removed {quote(name)}\n")
        except OSError as exc:
            ctx.error(f"cannot remove {quote(name)}: {strerror(exc.errno)}")
            status = 1
    return status


@utility("rmdir", "rmdir [-p] DIRECTORY...", "remove empty directories", options=("-p",))
def rmdir(ctx: CommandContext) -> int:
    """Remove each empty DIRECTORY (``-p``: and its now-empty parents)."""
    opts = parse_options(
        ctx.argv[1:], "pv", {"parents": "p", "verbose": "v", "ignore-fail-on-non-empty": "ignore"}
    )
    if not opts.operands:
        raise UsageError("missing operand", 1)
    status = 0
    for name in opts.operands:
        paths = [name]
        if opts.has("p"):
            p = name.rstrip("/")
            while "/" in p.strip("/"):
                p = posixpath.dirname(p)
                paths.append(p)
        for p in paths:
            try:
                ctx.fs.rmdir(p, ctx.cwd)
            except OSError as exc:
                if exc.errno == errno.ENOTEMPTY and opts.has("ignore"):
                    break
                ctx.error(f"failed to remove {quote(p)}: {strerror(exc.errno)}")
                status = 1
                break
    return status


def _copy_file(ctx: CommandContext, src: str, dst: str, mode: int) -> None:
    with ctx.fs.open(src, cwd=ctx.cwd) as of:
        data = of.read()
    flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
    with ctx.fs.open(dst, flags, cwd=ctx.cwd, mode=mode) as out:
        if data:
            out.write(data)


def _copy(ctx: CommandContext, src: str, dst: str, recursive: bool) -> bool:
    node = ctx.fs.resolve(src, ctx.cwd)
    if isinstance(node, Dir):
        if not recursive:
            ctx.error(f"-r not specified; omitting directory {quote(src)}")
            return False
        try:
            target = ctx.fs.resolve(dst, ctx.cwd)
            if not isinstance(target, Dir):
                ctx.error(
                    f"cannot overwrite non-directory {quote(dst)} with directory {quote(src)}"
                )
                return False
        except OSError:
            ctx.fs.mkdir(dst, node.mode, ctx.cwd)
        ok = True
        for child in list(node.children):
            try:
                ok = (
                    _copy(ctx, posixpath.join(src, child), posixpath.join(dst, child), recursive)
                    and ok
                )
            except OSError as exc:
                ctx.error(f"cannot copy {quote(posixpath.join(src, child))}: {strerror(exc.errno)}")
                ok = False
        return ok
    try:
        _copy_file(ctx, src, dst, node.mode if isinstance(node, File) else 0o644)
    except OSError as exc:
        if exc.filename == dst or exc.errno in (errno.EACCES, errno.EISDIR, errno.EPERM):
            ctx.error(f"cannot create regular file {quote(dst)}: {strerror(exc.errno)}")
        else:
            ctx.error(f"error reading {quote(src)}: {strerror(exc.errno)}")
        return False
    return True


def _dest(ctx: CommandContext, srcs: list[str], dest: str, name: str) -> list[tuple[str, str]]:
    try:
        is_dir = isinstance(ctx.fs.resolve(dest, ctx.cwd), Dir)
    except OSError:
        is_dir = False
    if len(srcs) > 1 and not is_dir:
        raise UsageError(f"target {quote(dest)} is not a directory", 1, hint=False)
    if is_dir:
        return [(s, posixpath.join(dest, posixpath.basename(s.rstrip("/")))) for s in srcs]
    return [(srcs[0], dest)]


@utility("cp", "cp [-rfv] SOURCE... DEST", "copy files and directories", options=("-r", "-f"))
def cp(ctx: CommandContext) -> int:
    """Copy SOURCE to DEST, or several SOURCEs into directory DEST."""
    opts = parse_options(
        ctx.argv[1:], "rRfvpaT", {"recursive": "r", "force": "f", "verbose": "v", "archive": "a"}
    )
    ops = opts.operands
    if len(ops) < 2:
        if not ops:
            raise UsageError("missing file operand", 1)
        raise UsageError(f"missing destination file operand after {quote(ops[0])}", 1)
    recursive = opts.has("r") or opts.has("R") or opts.has("a")
    status = 0
    for src, dst in _dest(ctx, ops[:-1], ops[-1], "cp"):
        try:
            ctx.fs.stat(src, ctx.cwd)
        except OSError as exc:
            ctx.error(f"cannot stat {quote(src)}: {strerror(exc.errno)}")
            status = 1
            continue
        if not _copy(ctx, src, dst, recursive):
            status = 1
        elif opts.has("v"):
            ctx.out(f"{quote(src)} -> {quote(dst)}\n")
    return status


@utility("mv", "mv [-fv] SOURCE... DEST", "move (rename) files", options=("-f",))
def mv(ctx: CommandContext) -> int:
    """Rename SOURCE to DEST, or move several SOURCEs into directory DEST."""
    opts = parse_options(ctx.argv[1:], "fivnT", {"force": "f", "verbose": "v"})
    ops = opts.operands
    if len(ops) < 2:
        if not ops:
            raise UsageError("missing file operand", 1)
        raise UsageError(f"missing destination file operand after {quote(ops[0])}", 1)
    status = 0
    for src, dst in _dest(ctx, ops[:-1], ops[-1], "mv"):
        try:
            ctx.fs.resolve(src, ctx.cwd, follow=False)
        except OSError as exc:
            ctx.error(f"cannot stat {quote(src)}: {strerror(exc.errno)}")
            status = 1
            continue
        try:
            ctx.fs.rename(src, dst, ctx.cwd)
            if opts.has("v"):
                ctx.out(f"renamed {quote(src)} -> {quote(dst)}\n")
        except OSError as exc:
            ctx.error(f"cannot move {quote(src)} to {quote(dst)}: {strerror(exc.errno)}")
            status = 1
    return status


@utility(
    "ln", "ln -s [-f] TARGET LINK_NAME", "make links between files", options=("-s", "-f", "-n")
)
def ln(ctx: CommandContext) -> int:
    """Create LINK_NAME as a symbolic link holding TARGET (``-s``); ``-f`` replaces."""
    opts = parse_options(
        ctx.argv[1:],
        "sfnvrT",
        {"symbolic": "s", "force": "f", "no-dereference": "n", "verbose": "v"},
    )
    ops = opts.operands
    if not ops:
        raise UsageError("missing file operand", 1)
    if len(ops) == 1:
        ops = [ops[0], "."]
    pairs = _dest(ctx, ops[:-1], ops[-1], "ln")
    if opts.has("n"):
        try:
            if isinstance(ctx.fs.resolve(ops[-1], ctx.cwd, follow=False), Link):
                pairs = [(ops[0], ops[-1])]
        except OSError:
            pass
    status = 0
    for target, name in pairs:
        if not opts.has("s"):
            ctx.error(
                f"failed to create hard link {quote(name)} => {quote(target)}: "
                f"{strerror(errno.EPERM)}"
            )
            status = 1
            continue
        try:
            if opts.has("f"):
                try:
                    old = ctx.fs.resolve(name, ctx.cwd, follow=False)
                    if not isinstance(old, Dir):
                        ctx.fs.unlink(name, ctx.cwd)
                except OSError as exc:
                    if exc.errno != errno.ENOENT:
                        raise
            ctx.fs.symlink(target, name, ctx.cwd)
            if opts.has("v"):
                ctx.out(f"{quote(name)} -> {quote(target)}\n")
        except OSError as exc:
            ctx.error(f"failed to create symbolic link {quote(name)}: {strerror(exc.errno)}")
            status = 1
    return status
