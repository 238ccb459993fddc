"""A small machine for the utilities: a sysfs-like tree, /tmp, /etc/passwd, a VFIO
device pair, a fake System and a shell that runs argv through the utilities table."""

from __future__ import annotations

import dataclasses
import errno
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field

import pytest

from iommush.shell.command import CommandContext
from iommush.shell.commands import utilities
from iommush.shell.system import LogRecord, UtsName
from iommush.uapi import vfio as uv
from iommush.vfs import (
    CAP_SYS_ADMIN,
    Attribute,
    Device,
    DeviceOps,
    Dir,
    File,
    Link,
    OpenFile,
    VirtualFS,
    capable,
)


class Sink:
    """An output stream that records each write(2)."""

    def __init__(self, fail: int | None = None) -> None:
        self.writes: list[bytes] = []
        self.fail = fail

    def write(self, data: bytes) -> int:
        if self.fail is not None:
            raise OSError(self.fail, "fail")
        self.writes.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    @property
    def data(self) -> bytes:
        return b"".join(self.writes)


class Source:
    def __init__(self, data: bytes = b"") -> None:
        self.data = data
        self.pos = 0

    def read(self, size: int = -1) -> bytes:
        end = len(self.data) if size < 0 else self.pos + size
        chunk = self.data[self.pos : end]
        self.pos += len(chunk)
        return chunk

    def readline(self) -> bytes:
        i = self.data.find(b"\n", self.pos)
        end = len(self.data) if i < 0 else i + 1
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk


@dataclass
class FakeSystem:
    fs: VirtualFS
    release: str = "6.12.107+deb13-amd64"
    log: list[LogRecord] = field(default_factory=list)
    loaded: list[str] = field(default_factory=lambda: ["e1000e"])
    available: list[str] = field(default_factory=lambda: ["e1000e", "vfio_pci", "vfio"])
    in_use: set[str] = field(default_factory=set)
    clock: float = 12.5

    def uname(self) -> UtsName:
        return UtsName(
            "Linux",
            "(none)",
            self.release,
            "#1 SMP PREEMPT_DYNAMIC Debian 6.12.107-1 (2026-08-29)",
            "x86_64",
        )

    def syslog_read_all(self) -> list[LogRecord]:
        return list(self.log)

    def syslog_clear(self) -> None:
        self.log.clear()

    def init_module(self, name: str) -> bool:
        if name not in self.available:
            raise OSError(errno.ENOENT, "No such file or directory")
        if name in self.loaded:
            return False
        self.loaded.append(name)
        return True

    def delete_module(self, name: str) -> None:
        if name not in self.loaded:
            raise OSError(errno.ENOENT, "x")
        if name in self.in_use:
            raise OSError(errno.EBUSY, "x")
        self.loaded.remove(name)

    def loaded_modules(self) -> list[str]:
        return list(self.loaded)

    def available_modules(self) -> list[str]:
        return list(self.available)

    def uptime(self) -> float:
        return self.clock

    def sleep(self, seconds: float) -> None:
        self.clock += seconds


class FakeShell:
    def __init__(self) -> None:
        self.table = utilities()
        self.ran: list[list[str]] = []

    def run_argv(self, ctx: CommandContext, argv: list[str]) -> int:
        self.ran.append(list(argv))
        name = argv[0].rsplit("/", 1)[-1]
        if name == "echo":
            ctx.stdout.write((" ".join(argv[1:]) + "\n").encode())
            return 0
        if name in ("true", "false"):
            return int(name == "false")
        if name == "sh" and argv[1:2] == ["-c"]:
            return self.run_script_text(ctx, argv[2], argv[3:])
        info = self.table.get(name)
        if info is None:
            ctx.stderr.write(f"iommush: {name}: command not found\n".encode())
            return 127
        return info.fn(dataclasses.replace(ctx, argv=list(argv)))

    def run_script_text(self, ctx: CommandContext, source: str, args: list[str]) -> int:
        status = 0
        for line in source.split(";"):
            words = shlex.split(line)
            if words:
                status = self.run_argv(ctx, words)
        return status

    def variables(self) -> Mapping[str, str]:
        return {}


class GroupState:
    def __init__(self) -> None:
        self.type = "DMA-FQ"
        self.owned = False
        self.viable = True
        self.maps: list[tuple[int, int]] = []


class ContainerOps(DeviceOps):
    def __init__(self, state: GroupState) -> None:
        self.state = state

    def ioctl(self, of: OpenFile, cmd: int, arg: object = None) -> int:
        if cmd == uv.VFIO_SET_IOMMU:
            if not self.state.owned:
                raise OSError(errno.EINVAL, "x")
            return 0
        if cmd == uv.VFIO_IOMMU_MAP_DMA:
            assert isinstance(arg, uv.VfioDmaMap)
            if arg.iova % 4096 or arg.size % 4096 or not arg.size:
                raise OSError(errno.EINVAL, "x")
            self.state.maps.append((arg.iova, arg.size))
            return 0
        return super().ioctl(of, cmd, arg)


class GroupOps(DeviceOps):
    def __init__(self, state: GroupState) -> None:
        self.state = state

    def ioctl(self, of: OpenFile, cmd: int, arg: object = None) -> int:
        st = self.state
        if cmd == uv.VFIO_GROUP_GET_STATUS:
            assert isinstance(arg, uv.VfioGroupStatus)
            arg.flags = (uv.VFIO_GROUP_FLAGS_VIABLE if st.viable else 0) | (
                uv.VFIO_GROUP_FLAGS_CONTAINER_SET if st.owned else 0
            )
            return 0
        if cmd == uv.VFIO_GROUP_SET_CONTAINER:
            assert isinstance(arg, OpenFile)
            if not st.viable:
                raise OSError(errno.EPERM, "x")
            st.owned = True
            return 0
        if cmd == uv.VFIO_GROUP_UNSET_CONTAINER:
            st.owned = False
            return 0
        return super().ioctl(of, cmd, arg)


@dataclass
class Machine:
    fs: VirtualFS
    system: FakeSystem
    shell: FakeShell
    group1: GroupState
    cwd: str = "/"
    env: dict[str, str] = field(default_factory=lambda: {"PATH": "/usr/bin:/bin", "HOME": "/root"})

    def run(
        self, *argv: str, stdin: bytes = b"", stdout: object = None, interactive: bool = False
    ) -> tuple[bytes, bytes, int]:
        out = Sink() if stdout is None else stdout
        err = Sink()
        ctx = CommandContext(
            list(argv),
            Source(stdin),
            out,
            err,
            self.fs,  # type: ignore[arg-type]
            self.system,
            self.shell,
            self.cwd,
            dict(self.env),
            interactive,
        )
        status = self.shell.run_argv(ctx, list(argv))
        return (out.data if isinstance(out, Sink) else b""), err.data, status


def _attr(d: Dir, name: str, value: str, mode: int = 0o444) -> Attribute:
    return d.add(Attribute(name, mode, show=lambda: value))


def build_fs(group1: GroupState) -> VirtualFS:
    fs = VirtualFS()
    root = fs.root
    tmp = root.add(Dir("tmp", 0o1777, creatable=True))
    _ = tmp
    etc = root.add(Dir("etc", creatable=True))
    etc.add(
        File(
            "passwd",
            data=b"root:x:0:0:root:/root:/bin/bash\nuser:x:1000:1000:User:/home/user:/bin/sh\n",
        )
    )
    etc.add(File("group", data=b"root:x:0:\nuser:x:1000:\nvfio:x:27:user\n"))
    home = root.add(Dir("home", creatable=True))
    home.add(Dir("user", 0o755, 1000, 1000, creatable=True))
    root.add(Dir("root", 0o700, creatable=True))
    sys_ = root.add(Dir("sys"))
    devices = sys_.add(Dir("devices")).add(Dir("pci0000:00"))
    groups = sys_.add(Dir("kernel")).add(Dir("iommu_groups"))
    bus = sys_.add(Dir("bus")).add(Dir("pci"))
    bdevs = bus.add(Dir("devices"))
    drivers = bus.add(Dir("drivers"))
    e1000e = drivers.add(Dir("e1000e"))

    def store_type(data: bytes) -> int:
        if not capable(CAP_SYS_ADMIN):
            raise OSError(errno.EACCES, "x")
        value = data.decode().strip()
        if value not in ("DMA", "DMA-FQ", "identity", "auto"):
            raise OSError(errno.EINVAL, "x")
        if group1.owned:
            raise OSError(errno.EPERM, "x")
        group1.type = "DMA-FQ" if value == "auto" else value
        return len(data)

    specs = [
        ("0000:00:00.0", 0, "0x8086", "0x29c0", "0x060000", "0x00", None, "0x1af4", "0x1100"),
        ("0000:00:02.0", 1, "0x8086", "0x10d3", "0x020000", "0x00", "e1000e", "0x8086", "0x0000"),
        ("0000:00:06.0", 2, "0x1b36", "0x0001", "0x060400", "0x00", None, "0x0000", "0x0000"),
        ("0000:01:01.0", 2, "0x10ec", "0x8139", "0x020000", "0x20", None, "0x1af4", "0x1100"),
    ]
    gdirs: dict[int, Dir] = {}
    for n in (0, 1, 2):
        g = groups.add(Dir(str(n)))
        g.add(Dir("devices"))
        g.add(
            Attribute(
                "reserved_regions",
                0o444,
                show=lambda: "0x00000000fee00000 0x00000000feefffff msi\n",
            )
        )
        if n == 1:
            g.add(Attribute("type", 0o644, show=lambda: group1.type + "\n", store=store_type))
        else:
            g.add(Attribute("type", 0o644, show=lambda: "DMA-FQ\n", store=lambda b: len(b)))
        gdirs[n] = g
    for bdf, gnum, vendor, device, cls, rev, driver, sv, sd in specs:
        parent = devices if not bdf.startswith("0000:01") else devices.get("0000:00:06.0")
        assert isinstance(parent, Dir)
        d = parent.add(Dir(bdf))
        for name, value in (
            ("vendor", vendor),
            ("device", device),
            ("class", cls),
            ("revision", rev),
            ("subsystem_vendor", sv),
            ("subsystem_device", sd),
        ):
            _attr(d, name, value + "\n")
        cfg = bytearray(256)
        cfg[0:2] = int(vendor, 16).to_bytes(2, "little")
        cfg[2:4] = int(device, 16).to_bytes(2, "little")
        cfg[8] = int(rev, 16)
        cfg[9:12] = int(cls, 16).to_bytes(3, "little")
        if cls == "0x060400":
            cfg[14] = 1
            cfg[0x18:0x1B] = bytes([0, 1, 1])
        d.add(Attribute("config", 0o644, show=lambda c=bytes(cfg): c, store=lambda b: len(b)))
        d.add(Link("iommu_group", gdirs[gnum]))
        gdirs[gnum].get("devices").add(Link(bdf, d))  # type: ignore[union-attr]
        bdevs.add(Link(bdf, d))
        if driver:
            d.add(Link("driver", e1000e))
            e1000e.add(Link(bdf, d))
    vfio_dir = root.add(Dir("dev")).add(Dir("vfio"))
    vfio_dir.add(Device("vfio", ContainerOps(group1), 0o666, 10, 196))
    vfio_dir.add(Device("1", GroupOps(group1), 0o600, 243, 0))
    return fs


@pytest.fixture
def m() -> Machine:
    g = GroupState()
    fs = build_fs(g)
    return Machine(fs, FakeSystem(fs), FakeShell(), g)
