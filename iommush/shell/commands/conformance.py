"""The helper programs of the real-kernel transcripts (``conformance/tools/*.c``):
``sysfs-write`` (one ``open`` + one ``write(2)`` and what the kernel returned) and
``vfio-claim`` (hold a group in a VFIO container while a command runs). Same
arguments, output lines and exit statuses as the C programs. (``runas`` is in
:mod:`.users`.)"""

from __future__ import annotations

import errno
import os
import re

from iommush.shell.command import CommandContext
from iommush.uapi.vfio import (
    VFIO_GROUP_FLAGS_CONTAINER_SET,
    VFIO_GROUP_FLAGS_VIABLE,
    VFIO_GROUP_GET_STATUS,
    VFIO_GROUP_SET_CONTAINER,
    VFIO_GROUP_UNSET_CONTAINER,
    VFIO_SET_IOMMU,
    VFIO_TYPE1v2_IOMMU,
    VfioGroupStatus,
)
from iommush.vfs import OpenFile

from ._base import run_child, strerror, utility

__all__ = ["ename", "sysfs_write", "unescape", "vfio_claim"]

_ENAMES = {
    errno.EPERM: "EPERM",
    errno.ENOENT: "ENOENT",
    errno.EIO: "EIO",
    errno.ENXIO: "ENXIO",
    errno.E2BIG: "E2BIG",
    errno.EBADF: "EBADF",
    errno.EAGAIN: "EAGAIN",
    errno.ENOMEM: "ENOMEM",
    errno.EACCES: "EACCES",
    errno.EFAULT: "EFAULT",
    errno.EBUSY: "EBUSY",
    errno.EEXIST: "EEXIST",
    errno.ENODEV: "ENODEV",
    errno.ENOTDIR: "ENOTDIR",
    errno.EISDIR: "EISDIR",
    errno.EINVAL: "EINVAL",
    errno.ENOSPC: "ENOSPC",
    errno.EROFS: "EROFS",
    errno.ERANGE: "ERANGE",
    errno.ENOSYS: "ENOSYS",
    errno.EOPNOTSUPP: "EOPNOTSUPP",
    errno.ENAMETOOLONG: "ENAMETOOLONG",
}


def ename(code: int) -> str:
    """sysfs-write.c's own errno names (``E?`` for the others)."""
    return _ENAMES.get(code, "E?")


def _strtol_prefix(text: str, base: int) -> int:
    """C ``strtol``/``strtoul``: the longest valid prefix, 0 if none."""
    text = text.lstrip()
    sign = -1 if text.startswith("-") else 1
    text = text[1:] if text[:1] in "+-" else text
    if base == 0:
        if text[:2].lower() == "0x" and len(text) > 2 and text[2] in "0123456789abcdefABCDEF":
            base, text = 16, text[2:]
        elif text.startswith("0"):
            base = 8
        else:
            base = 10
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"[:base]
    n = 0
    for ch in text:
        if ch.lower() not in digits:
            break
        n = n * base + digits.index(ch.lower())
    return sign * n


def unescape(arg: bytes) -> bytes:
    """``unescape()`` of sysfs-write.c: ``\\n \\r \\t \\\\ \\0 \\xHH``; other escapes keep the
    character, a trailing backslash stays."""
    out = bytearray()
    i = 0
    while i < len(arg):
        c = arg[i]
        if c != 0x5C:
            out.append(c)
            i += 1
            continue
        i += 1
        if i >= len(arg):
            out.append(0x5C)
            break
        d = chr(arg[i])
        if d in "nrt0\\":
            out.append({"n": 10, "r": 13, "t": 9, "0": 0, "\\": 92}[d])
            i += 1
        elif d == "x":
            i += 1
            h = arg[i : i + 2]
            i += len(h)
            out.append(_strtol_prefix(h.decode("latin-1"), 16) & 0xFF)
        else:
            out.append(arg[i])
            i += 1
    return bytes(out)


@utility(
    "sysfs-write",
    "sysfs-write FILE STRING|--repeat N C|--empty",
    "write exact bytes with one write(2) and report the result",
)
def sysfs_write(ctx: CommandContext) -> int:
    """One ``open(FILE, O_WRONLY)`` and one ``write(2)`` of STRING (``\\n \\r \\t \\\\ \\0
    \\xHH`` understood; ``--repeat N C``: N copies of C; ``--empty``: zero bytes), and a
    line saying what the kernel returned. Status 0 ok, 1 write failed, 2 open failed."""
    argv = ctx.argv
    if len(argv) < 3:
        ctx.err(f"usage: {argv[0]} FILE STRING | --repeat N C | --empty\n")
        return 3
    raw = [a.encode("utf-8", "surrogateescape") for a in argv]
    if argv[2] == "--repeat" and len(argv) >= 5:
        count = _strtol_prefix(argv[3], 0) & 0xFFFFFFFFFFFFFFFF
        if count > 1 << 24:
            ctx.out(f"open=ok write(len={count})=-1 errno=14 EFAULT (Bad address)\n")
            return 1
        buf = (raw[4][:1] or b"\0") * count
    elif argv[2] == "--empty":
        buf = b""
    else:
        buf = unescape(raw[2])
    try:
        of: OpenFile = ctx.fs.open(argv[1], os.O_WRONLY, cwd=ctx.cwd)
    except OSError as exc:
        e = exc.errno or errno.EIO
        ctx.out(f"open=-1 errno={e} {ename(e)} ({strerror(e)})\n")
        return 2
    try:
        r = of.write(buf)
    except OSError as exc:
        e = exc.errno or errno.EIO
        ctx.out(f"open=ok write(len={len(buf)})=-1 errno={e} {ename(e)} ({strerror(e)})\n")
        of.close()
        return 1
    ctx.out(f"open=ok write(len={len(buf)})={r}\n")
    of.close()
    return 0


def _result(r: int, err: int) -> str:
    return f"{r} {strerror(err)}" if r < 0 else f"{r}"


def _ioctl(of: OpenFile, cmd: int, arg: object = None) -> tuple[int, int]:
    try:
        ret = of.ioctl(cmd, arg)
        return (ret if isinstance(ret, int) else 0), 0
    except OSError as exc:
        return -1, exc.errno or errno.EIO


@utility(
    "vfio-claim",
    "vfio-claim GROUP CMD...",
    "hold an IOMMU group in a VFIO container while a command runs",
)
def vfio_claim(ctx: CommandContext) -> int:
    """Open ``/dev/vfio/vfio`` and ``/dev/vfio/GROUP``, report the group's status, attach
    it to the container (claiming DMA ownership), set the type1v2 IOMMU, run CMD, then
    release; status: CMD's, or 100+ when setup fails."""
    argv = ctx.argv
    if len(argv) < 3:
        ctx.err(f"usage: {argv[0]} GROUP CMD...\n")
        return 100
    # a fresh process: stdin/stdout/stderr are 0-2, new files get the lowest free numbers
    next_fd = 3
    try:
        container = ctx.fs.open("/dev/vfio/vfio", os.O_RDWR, cwd=ctx.cwd)
    except OSError as exc:
        ctx.out(f"vfio-claim: open(/dev/vfio/vfio)=-1 {strerror(exc.errno)}\n")
        return 101
    ctx.out(f"vfio-claim: open(/dev/vfio/vfio)={next_fd}\n")
    next_fd += 1
    path = f"/dev/vfio/{argv[1]}"[:63]
    try:
        try:
            group = ctx.fs.open(path, os.O_RDWR, cwd=ctx.cwd)
        except OSError as exc:
            ctx.out(f"vfio-claim: open({path})=-1 {strerror(exc.errno)}\n")
            return 102
        ctx.out(f"vfio-claim: open({path})={next_fd}\n")
        try:
            status = VfioGroupStatus()
            r, _ = _ioctl(group, VFIO_GROUP_GET_STATUS, status)
            flags = status.flags if r >= 0 else 0
            ctx.out(
                f"vfio-claim: VFIO_GROUP_GET_STATUS={r} flags=0x{flags:x} "
                f"(viable={int(bool(flags & VFIO_GROUP_FLAGS_VIABLE))} "
                f"container_set={int(bool(flags & VFIO_GROUP_FLAGS_CONTAINER_SET))})\n"
            )
            r, err = _ioctl(group, VFIO_GROUP_SET_CONTAINER, container)
            ctx.out(f"vfio-claim: VFIO_GROUP_SET_CONTAINER={_result(r, err)}\n")
            if r < 0:
                return 103
            r, err = _ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU)
            ctx.out(f"vfio-claim: VFIO_SET_IOMMU(TYPE1v2)={_result(r, err)}\n")
            rc = run_child(ctx, argv[2:])
            r, err = _ioctl(group, VFIO_GROUP_UNSET_CONTAINER)
            ctx.out(f"vfio-claim: VFIO_GROUP_UNSET_CONTAINER={_result(r, err)}\n")
        finally:
            group.close()
    finally:
        container.close()
    ctx.out(f"vfio-claim: released group {argv[1]}\n")
    return rc & 0xFF if 0 <= rc < 256 else (rc & 0xFF)


_ = re
