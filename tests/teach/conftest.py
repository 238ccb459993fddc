"""A command context over a small virtual /sys, for the teaching commands."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from iommush.shell.command import CommandContext, CommandTable
from iommush.shell.system import UtsName
from iommush.teach import teach_commands
from iommush.vfs import Attribute, Dir, File, Link, VirtualFS


@dataclass
class FakeSystem:
    fs: VirtualFS
    release: str = "6.12.0-iommush"

    def uname(self) -> UtsName:
        return UtsName("Linux", "desktop", self.release, "#1", "x86_64")


@dataclass
class FakeServices:
    table: CommandTable
    vars: dict[str, str] = field(default_factory=dict)


def build_tree() -> VirtualFS:
    fs = VirtualFS()
    root = fs.root
    root.add(Dir("tmp", 0o1777, creatable=True)).add(File("notes", data=b"x\n"))
    sys = root.add(Dir("sys"))
    pci = sys.add(Dir("devices")).add(Dir("pci0000:00"))
    gpu = pci.add(Dir("0000:01:00.0"))
    gpu.add(Attribute("driver_override", 0o644, show=lambda: "(null)\n", store=lambda b: None))
    gpu.add(Attribute("vendor", 0o444, show=lambda: "0x10de\n"))
    group = sys.add(Dir("kernel")).add(Dir("iommu_groups")).add(Dir("7"))
    group.add(Attribute("type", 0o644, show=lambda: "DMA-FQ\n", store=lambda b: None))
    group.add(
        Attribute(
            "reserved_regions", 0o444, show=lambda: "0x00000000fee00000 0x00000000feefffff msi\n"
        )
    )
    group.add(Dir("devices")).add(Link("0000:01:00.0", gpu))
    gpu.add(Link("iommu_group", group))
    bus = sys.add(Dir("bus")).add(Dir("pci"))
    bus.add(Dir("devices")).add(Link("0000:01:00.0", gpu))
    nouveau = bus.add(Dir("drivers")).add(Dir("nouveau"))
    nouveau.add(Attribute("unbind", 0o200, store=lambda b: None))
    nouveau.add(Link("0000:01:00.0", gpu))
    gpu.add(Link("driver", nouveau))
    return fs


@dataclass
class Run:
    status: int
    out: str
    err: str


class Harness:
    """Runs a teaching command the way the shell would."""

    def __init__(self, release: str = "6.12.0-iommush", with_table: bool = True) -> None:
        self.fs = build_tree()
        self.system = FakeSystem(self.fs, release)
        self.table = CommandTable()
        self.table.update(teach_commands())

        def nop(ctx: CommandContext) -> int:
            return 0

        self.table.command(
            "ls",
            synopsis="ls [-l] [FILE...]",
            summary="list directory contents",
            help="List information about the FILEs.\n\nSorted by name.",
            options=("-l",),
        )(nop)
        self.services = FakeServices(self.table) if with_table else object()
        self.cwd = "/"
        self.env: dict[str, str] = {}
        self.interactive = False

    def __call__(self, *argv: str) -> Run:
        out, err = io.BytesIO(), io.BytesIO()
        ctx = CommandContext(
            list(argv),
            io.BytesIO(),
            out,
            err,
            self.fs,
            self.system,  # type: ignore[arg-type]
            self.services,
            cwd=self.cwd,
            env=dict(self.env),  # type: ignore[arg-type]
            interactive=self.interactive,
        )
        info = self.table.get(argv[0])
        assert info is not None
        status = info.fn(ctx)
        return Run(status, out.getvalue().decode(), err.getvalue().decode())


@pytest.fixture
def sh() -> Harness:
    return Harness()


class Learner:
    """A full session as the CLI builds it: the real shell and utilities, with the
    shell reporting each command line to the session state (``after_command``)."""

    def __init__(
        self, machine: str = "desktop", kernel: str | None = None, user: str = "root"
    ) -> None:
        from iommush.cli import build_session
        from iommush.teach.session import attach

        self.out, self.err = io.BytesIO(), io.BytesIO()
        self.session = build_session(
            machine=machine,
            kernel=kernel,
            user=user,
            stdin=io.BytesIO(),
            stdout=self.out,
            stderr=self.err,
        )
        self.kernel = self.session.kernel
        self.state = attach(self.kernel, home=self.session.shell.cwd)
        assert self.session.shell.after_command is not None

    def __call__(self, line: str) -> Run:
        from iommush.vfs import as_cred

        with as_cred(self.session.cred):
            status = self.session.shell.run(line)
        run = Run(status, self.out.getvalue().decode(), self.err.getvalue().decode())
        for buf in (self.out, self.err):
            buf.seek(0)
            buf.truncate()
        return run


@pytest.fixture
def learner() -> Callable[..., Learner]:
    return Learner
