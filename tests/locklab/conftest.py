"""Machines for the lock lab tests: the vfio.rst topology (group 26 holds a PCI bridge and
the two functions of a sound card behind it) under each modelled kernel."""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from iommush.kernel import Kernel, boot
from iommush.locklab import Exploration, Explorer, LabMachine, build_path, parse_request
from iommush.locklab.paths import base_version
from iommush.shell.command import CommandContext
from tests.kernel.machines import vfio_rst

TYPE26 = "echo identity > /sys/kernel/iommu_groups/26/type"
DMA26 = "echo DMA > /sys/kernel/iommu_groups/26/type"
REMOVE_GP = "echo 1 > /sys/bus/pci/devices/0000:06:0d.1/remove"
UNBIND_GP = "echo 0000:06:0d.1 > /sys/bus/pci/drivers/emu10k1_gp/unbind"
BIND_GP = "echo 0000:06:0d.1 > /sys/bus/pci/drivers/emu10k1_gp/bind"


def machine(version: str, *, unbind_sound: bool = True) -> Kernel:
    """vfio.rst booted under ``version``; the sound driver of 06:0d.0 unbound (so a type
    change of group 26 is refused only while emu10k1_gp is bound)."""
    k = boot(vfio_rst(version))
    if unbind_sound:
        k.fs.write_bytes("/sys/bus/pci/drivers/snd_emu10k1/unbind", b"0000:06:0d.0\n")
    return k


def explore(mode: str, *cmds: str, kernel: Kernel | None = None) -> Exploration:
    k = kernel if kernel is not None else machine(base_version(mode))
    lab = LabMachine(k)
    plan = lab.copy()
    paths = [build_path(parse_request(c), plan, mode, i) for i, c in enumerate(cmds)]
    return Explorer(lab, paths).run()


class _Out:
    def __init__(self) -> None:
        self.buf = io.BytesIO()

    def write(self, data: bytes) -> int:
        return self.buf.write(data)

    def flush(self) -> None:
        pass

    def text(self) -> str:
        return self.buf.getvalue().decode()


class _In:
    def read(self, size: int = -1) -> bytes:
        return b""

    def readline(self) -> bytes:
        return b""


@dataclass
class Ran:
    status: int
    out: str
    err: str
    argv: list[str] = field(default_factory=list)


def run(fn, system: object, *argv: str) -> Ran:  # type: ignore[no-untyped-def]
    out, err = _Out(), _Out()
    fs = getattr(system, "fs", None)
    ctx = CommandContext(list(argv), _In(), out, err, fs, system, None)  # type: ignore[arg-type]
    status = fn(ctx)
    return Ran(status, out.text(), err.text(), list(argv))
