"""Kernel modules (kmod): ``modprobe``, ``rmmod``, ``insmod``, ``lsmod``.

They load and unload through the System protocol (``init_module``/``delete_module``)
and print kmod's messages: ``modprobe: FATAL: Module foo not found in directory
/lib/modules/RELEASE``, ``modprobe: FATAL: Module vfio_pci is in use.``
"""

from __future__ import annotations

import errno

from iommush.shell.command import CommandContext
from iommush.vfs import current_cred

from ._base import UsageError, parse_options, strerror, utility

__all__ = ["insmod", "lsmod", "modprobe", "rmmod"]

CAP_SYS_MODULE = 16


def _norm(name: str) -> str:
    return name.replace("-", "_")


def _module_path(ctx: CommandContext, name: str) -> str:
    """Where ``modules.dep`` says the module file is (``kernel/...ko``), if it says."""
    release = ctx.system.uname().release
    base = f"/lib/modules/{release}"
    try:
        dep = ctx.fs.read_bytes(f"{base}/modules.dep").decode("utf-8", "replace")
    except OSError:
        return f"{base}/kernel/{name}.ko"
    for line in dep.splitlines():
        path = line.split(":", 1)[0]
        stem = path.rsplit("/", 1)[-1].split(".ko", 1)[0]
        if _norm(stem) == _norm(name):
            return f"{base}/{path}"
    return f"{base}/kernel/{name}.ko"


def _init(ctx: CommandContext, name: str) -> bool:
    if not current_cred().has(CAP_SYS_MODULE):
        raise OSError(errno.EPERM, strerror(errno.EPERM))
    return ctx.system.init_module(_norm(name))


def _delete(ctx: CommandContext, name: str) -> None:
    if not current_cred().has(CAP_SYS_MODULE):
        raise OSError(errno.EPERM, strerror(errno.EPERM))
    ctx.system.delete_module(_norm(name))


@utility(
    "modprobe",
    "modprobe [-r] [-v] [-n] MODULE...",
    "add and remove modules from the Linux kernel",
    options=("-r", "-v", "-n", "-a", "-q"),
)
def modprobe(ctx: CommandContext) -> int:
    """Load MODULE (``-r``: unload it); names may use ``-`` or ``_``."""
    long = {
        "remove": "r",
        "verbose": "v",
        "dry-run": "n",
        "show": "n",
        "all": "a",
        "quiet": "q",
        "first-time": "first-time",
        "force": "f",
    }
    opts = parse_options(ctx.argv[1:], "rvnaqfb", long)
    names = opts.operands
    if not names:
        ctx.error("ERROR: missing parameters. See -h.")
        return 1
    if not (opts.has("a") or opts.has("r")):
        names = names[:1]  # the rest are module parameters
    release = ctx.system.uname().release
    quiet = opts.has("q")
    status = 0
    for name in names:
        norm = _norm(name)
        if opts.has("r"):
            if norm not in ctx.system.loaded_modules():
                if norm not in map(_norm, ctx.system.available_modules()):
                    if not quiet:
                        ctx.error(f"FATAL: Module {norm} not found.")
                else:
                    if not quiet:
                        ctx.error(f"FATAL: Module {norm} is not in kernel.")
                status = 1
                continue
            if opts.has("v"):
                ctx.out(f"rmmod {norm}\n")
                ctx.stdout.flush()
            if opts.has("n"):
                continue
            try:
                _delete(ctx, name)
            except OSError as exc:
                if not quiet:
                    if exc.errno == errno.EBUSY:
                        ctx.error(f"FATAL: Module {norm} is in use.")
                    else:
                        ctx.error(f"FATAL: could not remove '{norm}': {strerror(exc.errno)}")
                status = 1
            continue
        known = norm in map(_norm, ctx.system.available_modules())
        loaded = norm in ctx.system.loaded_modules()
        if not known and not loaded:
            if not quiet:
                ctx.error(f"FATAL: Module {name} not found in directory /lib/modules/{release}")
            status = 1
            continue
        if loaded:
            if opts.has("first-time"):
                ctx.error(f"ERROR: could not insert '{norm}': Module already in kernel")
                status = 1
            continue
        if opts.has("v"):
            ctx.out(f"insmod {_module_path(ctx, name)} \n")
            ctx.stdout.flush()
        if opts.has("n"):
            continue
        try:
            _init(ctx, name)
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                if not quiet:
                    ctx.error(f"FATAL: Module {name} not found in directory /lib/modules/{release}")
            elif not quiet:
                ctx.error(f"ERROR: could not insert '{norm}': {strerror(exc.errno)}")
            status = 1
    return status


@utility("rmmod", "rmmod MODULE...", "remove a module from the Linux kernel", options=("-f",))
def rmmod(ctx: CommandContext) -> int:
    """Unload each MODULE."""
    opts = parse_options(ctx.argv[1:], "fsv", {"force": "f", "syslog": "s", "verbose": "v"})
    if not opts.operands:
        ctx.error("ERROR: missing module name.")
        return 1
    status = 0
    for name in opts.operands:
        stem = name.rsplit("/", 1)[-1].split(".ko", 1)[0]
        norm = _norm(stem)
        try:
            if norm not in ctx.system.loaded_modules():
                raise OSError(errno.ENOENT, strerror(errno.ENOENT))
            _delete(ctx, stem)
        except OSError as exc:
            if exc.errno == errno.ENOENT:
                ctx.error(f"ERROR: Module {norm} is not currently loaded")
            elif exc.errno == errno.EBUSY:
                ctx.error(f"ERROR: Module {norm} is in use")
            else:
                ctx.error(f"ERROR: could not remove module {name}: {strerror(exc.errno)}")
            status = 1
    return status


@utility("insmod", "insmod FILE", "insert a module into the Linux kernel")
def insmod(ctx: CommandContext) -> int:
    """Load the module in FILE (a ``.ko`` file in the virtual tree)."""
    opts = parse_options(ctx.argv[1:], "fp", {"force": "f"})
    if not opts.operands:
        ctx.error("ERROR: missing filename.")
        return 1
    path = opts.operands[0]
    stem = path.rsplit("/", 1)[-1].split(".ko", 1)[0]
    try:
        ctx.fs.stat(path, ctx.cwd)
        if _norm(stem) in ctx.system.loaded_modules():
            raise OSError(errno.EEXIST, "Module already in kernel")
        _init(ctx, stem)
    except OSError as exc:
        reason = "Module already in kernel" if exc.errno == errno.EEXIST else strerror(exc.errno)
        ctx.error(f"ERROR: could not load module {path}: {reason}")
        return 1
    return 0


def _sysmod(ctx: CommandContext, name: str, attr: str) -> str | None:
    try:
        return ctx.fs.read_bytes(f"/sys/module/{name}/{attr}").decode().strip()
    except OSError:
        return None


@utility("lsmod", "lsmod", "show the status of modules in the Linux kernel")
def lsmod(ctx: CommandContext) -> int:
    """List loaded modules: size, use count and users (from ``/proc/modules`` or
    ``/sys/module``)."""
    parse_options(ctx.argv[1:], "", {})
    rows: list[tuple[str, str, str, str]] = []
    try:
        text = ctx.fs.read_bytes("/proc/modules").decode("utf-8", "replace")
        for line in text.splitlines():
            f = line.split()
            if len(f) >= 4:
                holders = f[3].strip(",") if f[3] != "-" else ""
                rows.append((f[0], f[1], f[2], holders))
    except OSError:
        for name in ctx.system.loaded_modules():
            size = _sysmod(ctx, name, "coresize") or "0"
            refs = _sysmod(ctx, name, "refcnt") or "0"
            try:
                holders = ",".join(ctx.fs.listdir(f"/sys/module/{name}/holders"))
            except OSError:
                holders = ""
            rows.append((name, size, refs, holders))
    out = ["Module                  Size  Used by\n"]
    for name, size, refs, holders in rows:
        line = f"{name:<19} {size:>8}  {refs}"
        if holders:
            line += f" {holders}"
        out.append(line + "\n")
    ctx.out("".join(out))
    return 0


_ = UsageError
