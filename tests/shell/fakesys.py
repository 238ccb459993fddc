"""A small System over a VirtualFS, and test doubles of a few utilities, for the
shell's own tests (the real utilities live in ``iommush.shell.commands``)."""

from __future__ import annotations

import errno
import io
import re

from iommush.shell import Shell
from iommush.shell.command import CommandContext, CommandTable
from iommush.shell.system import LogRecord, UtsName
from iommush.vfs import Attribute, Device, DeviceOps, Dir, File, Link, OpenFile, VirtualFS

__all__ = ["FakeSystem", "NullOps", "TrackingOps", "make_shell", "test_utilities"]


class NullOps(DeviceOps):
    """``/dev/null``."""

    def read(self, of: OpenFile, size: int) -> bytes:
        return b""

    def write(self, of: OpenFile, data: bytes) -> int:
        return len(data)


class TrackingOps(DeviceOps):
    """A device that records open/release (stands in for ``/dev/vfio/N``)."""

    def __init__(self) -> None:
        self.opened = 0
        self.released = 0

    def open(self, of: OpenFile) -> None:
        self.opened += 1

    def release(self, of: OpenFile) -> None:
        self.released += 1


class FakeSystem:
    """Implements :class:`iommush.shell.system.System` over a small tree."""

    def __init__(self) -> None:
        fs = VirtualFS()
        root = fs.root
        root.add(Dir("tmp", 0o1777, creatable=True))
        root.add(Dir("root", 0o700, creatable=True))
        home = root.add(Dir("home", creatable=True))
        home.add(Dir("user", 0o755, uid=1000, gid=1000, creatable=True))
        dev = root.add(Dir("dev"))
        dev.add(Device("null", NullOps(), 0o666, 1, 3))
        self.vfio_ops = TrackingOps()
        dev.add(Dir("vfio")).add(Device("1", self.vfio_ops, 0o600, 243, 0))
        etc = root.add(Dir("etc", creatable=True))
        etc.add(
            File(
                "passwd",
                data=b"root:x:0:0:root:/root:/bin/bash\nuser:x:1000:1000::/home/user:/bin/sh\n",
            )
        )
        sys_ = root.add(Dir("sys"))
        groups = sys_.add(Dir("kernel")).add(Dir("iommu_groups"))
        self.type_values: dict[str, str] = {}
        for n in ("0", "1", "10", "2"):
            g = groups.add(Dir(n))
            self.type_values[n] = "DMA"
            g.add(Attribute("type", 0o644, show=self._show(n), store=self._store(n)))
            g.add(Attribute("reserved_regions", 0o444,
                            show=lambda: "0x00000000fee00000 0x00000000feefffff msi\n"))  # fmt: skip
            g.add(Dir("devices"))
        devs = sys_.add(Dir("bus")).add(Dir("pci")).add(Dir("devices"))
        pcidev = sys_.add(Dir("devices")).add(Dir("pci0000:00")).add(Dir("0000:00:02.0"))
        pcidev.add(Link("iommu_group", groups.children["1"]))
        groups.children["1"].children["devices"].add(Link("0000:00:02.0", pcidev))  # type: ignore[attr-defined]
        devs.add(Link("0000:00:02.0", pcidev))
        for d in ("bin", "sbin", "usr"):
            root.add(Dir(d))
        self.fs = fs
        self.log: list[LogRecord] = []

    def _show(self, n: str):  # type: ignore[no-untyped-def]
        return lambda: self.type_values[n] + "\n"

    def _store(self, n: str):  # type: ignore[no-untyped-def]
        def store(data: bytes) -> int:
            value = data.rstrip(b"\n").split(b"\0")[0].decode()
            if value not in ("identity", "DMA", "DMA-FQ", "auto"):
                raise OSError(errno.EINVAL, "Invalid argument")
            self.type_values[n] = value
            return len(data)

        return store

    def uname(self) -> UtsName:
        return UtsName("Linux", "iommush", "6.12.0", "#1 SMP", "x86_64")

    def syslog_read_all(self) -> list[LogRecord]:
        return list(self.log)

    def syslog_clear(self) -> None:
        self.log.clear()

    def init_module(self, name: str) -> bool:
        return True

    def delete_module(self, name: str) -> None:
        pass

    def loaded_modules(self) -> list[str]:
        return []

    def available_modules(self) -> list[str]:
        return []

    def uptime(self) -> float:
        return 1.0

    def sleep(self, seconds: float) -> None:
        pass


def _read_inputs(ctx: CommandContext, paths: list[str]) -> tuple[list[bytes], int]:
    out: list[bytes] = []
    status = 0
    if not paths:
        return [ctx.stdin.read()], 0
    for p in paths:
        if p == "-":
            out.append(ctx.stdin.read())
            continue
        try:
            out.append(ctx.fs.read_bytes(p, ctx.cwd))
        except OSError as exc:
            ctx.error(f"{p}: {exc.strerror}")
            status = 1
    return out, status


def test_utilities() -> CommandTable:
    """Minimal ``cat``, ``sort``, ``wc``, ``grep``, ``head``, ``ls``, ``tr`` doubles."""
    t = CommandTable()

    @t.command("cat", synopsis="cat [FILE...]", summary="concatenate")
    def cat(ctx: CommandContext) -> int:
        data, status = _read_inputs(ctx, ctx.argv[1:])
        if data:
            ctx.stdout.write(b"".join(data))
        return status

    @t.command("sort", synopsis="sort [-r] [-n]", summary="sort lines")
    def sort(ctx: CommandContext) -> int:
        flags = [a for a in ctx.argv[1:] if a.startswith("-")]
        data, status = _read_inputs(ctx, [a for a in ctx.argv[1:] if not a.startswith("-")])
        lines = b"".join(data).decode().splitlines()
        key = (
            (lambda s: int(s) if s.strip().lstrip("-").isdigit() else 0) if "-n" in flags else None
        )
        lines.sort(key=key, reverse="-r" in flags)  # type: ignore[arg-type]
        ctx.out("".join(line + "\n" for line in lines))
        return status

    @t.command("wc", synopsis="wc -l", summary="count lines")
    def wc(ctx: CommandContext) -> int:
        data, status = _read_inputs(ctx, [a for a in ctx.argv[1:] if not a.startswith("-")])
        count = b"".join(data).count(b"\n")
        ctx.out(f"{count}\n")
        return status

    @t.command("head", synopsis="head -n N", summary="first lines")
    def head(ctx: CommandContext) -> int:
        n = 10
        args = ctx.argv[1:]
        if args and args[0] == "-n":
            n = int(args[1])
            args = args[2:]
        data, status = _read_inputs(ctx, args)
        lines = b"".join(data).splitlines(keepends=True)[:n]
        ctx.stdout.write(b"".join(lines))
        return status

    @t.command("grep", synopsis="grep [-qvc] RE", summary="search")
    def grep(ctx: CommandContext) -> int:
        args = ctx.argv[1:]
        flags = ""
        while args and args[0].startswith("-") and len(args[0]) > 1:
            flags += args.pop(0)[1:]
        rx = re.compile(args[0])
        data, status = _read_inputs(ctx, args[1:])
        hits = [
            ln
            for ln in b"".join(data).decode().splitlines()
            if bool(rx.search(ln)) != ("v" in flags)
        ]
        if "c" in flags:
            ctx.out(f"{len(hits)}\n")
        elif "q" not in flags:
            ctx.out("".join(h + "\n" for h in hits))
        return 0 if hits else 1

    @t.command("tr", synopsis="tr A B", summary="translate")
    def tr(ctx: CommandContext) -> int:
        a, b = (x.replace("\\t", "\t").replace("\\n", "\n") for x in ctx.argv[1:3])
        text = ctx.stdin.read().decode()
        ctx.out(text.translate(str.maketrans(a, b[: len(a)].ljust(len(a), b[-1:]))))
        return 0

    @t.command("ls", synopsis="ls [DIR...]", summary="list")
    def ls(ctx: CommandContext) -> int:
        status = 0
        for p in ctx.argv[1:] or ["."]:
            try:
                names = sorted(ctx.fs.listdir(p, ctx.cwd))
            except OSError as exc:
                ctx.error(f"cannot access '{p}': {exc.strerror}")
                status = 2
                continue
            ctx.out("".join(n + "\n" for n in names))
        return status

    @t.command("boom", synopsis="boom", summary="raises (internal error test)")
    def boom(ctx: CommandContext) -> int:
        raise ZeroDivisionError("division by zero")

    return t


def make_shell(
    system: FakeSystem | None = None, *, stdin: bytes = b"", cwd: str = "/root", **kw: object
) -> tuple[Shell, io.BytesIO, io.BytesIO]:
    """A Shell over ``system`` with captured stdout/stderr."""
    out, err = io.BytesIO(), io.BytesIO()
    sh = Shell(
        system or FakeSystem(),
        commands=test_utilities(),
        stdin=io.BytesIO(stdin),
        stdout=out,
        stderr=err,
        cwd=cwd,
        **kw,  # type: ignore[arg-type]
    )
    return sh, out, err
