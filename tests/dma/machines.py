"""Small machines for the dma-iommu tests: an Intel box with an RMRR, an ISA bridge and
a PCI window, and an AMD box (the HyperTransport hole)."""

from __future__ import annotations

import os
import weakref
from dataclasses import dataclass, field

from iommush.kernel import Kernel, boot
from iommush.kernel.spec import IommuUnitSpec, MachineSpec, PciFunctionSpec, ReservedRegionSpec
from iommush.shell.command import CommandContext

__all__ = ["Run", "boot_amd", "boot_intel", "dmesg", "run", "write"]

VFIO_MODULES = ["vfio", "vfio_iommu_type1", "vfio_pci_core", "vfio_pci", "e1000e"]
RMRR = ReservedRegionSpec(0x7B800000, 0x7B80FFFF, "rmrr", ["0000:00:04.0"])


def _pci() -> list[PciFunctionSpec]:
    F = PciFunctionSpec
    return [
        F("0000:00:00.0", 0x8086, 0x29C0, 0x060000, role="host_bridge"),
        F("0000:00:02.0", 0x8086, 0x10D3, 0x020000, role="rc_integrated", driver="e1000e"),
        F("0000:00:03.0", 0x8086, 0x10D3, 0x020000, role="rc_integrated"),
        F("0000:00:04.0", 0x8086, 0x10D3, 0x020000, role="rc_integrated"),
        F("0000:00:1f.0", 0x8086, 0x2918, 0x060100, role="rc_integrated", multifunction=False),
    ]


def boot_intel(kernel: str = "6.12", cmdline: str = "intel_iommu=on") -> Kernel:
    spec = MachineSpec(
        "dma-intel",
        kernel=kernel,
        cmdline=cmdline,
        iommus=[IommuUnitSpec("dmar0", "intel", base_address=0xFED90000, address_width=48)],
        pci=_pci(),
        reserved=[RMRR],
        modules=list(VFIO_MODULES),
        pci_windows=[(0x80000000, 0xDFFFFFFF)],
        memory=8 << 30,
    )
    return boot(spec)


def boot_amd(kernel: str = "6.12") -> Kernel:
    spec = MachineSpec(
        "dma-amd",
        kernel=kernel,
        iommus=[IommuUnitSpec("ivhd0", "amd", pci_function="0000:00:00.2")],
        pci=[
            *_pci()[:4],
            PciFunctionSpec("0000:00:00.2", 0x1022, 0x1481, 0x080600, role="rc_integrated"),
        ],
        modules=list(VFIO_MODULES),
        memory=8 << 30,
    )
    return boot(spec)


def write(k: Kernel, path: str, data: str) -> int:
    """One write(2); 0 or the errno."""
    try:
        with k.fs.open(path, os.O_WRONLY) as of:
            of.write(data.encode())
        return 0
    except OSError as exc:
        return exc.errno or -1


def dmesg(k: Kernel, mark: int) -> list[str]:
    return [r.text for r in k.printk.lines_since(mark)]


class _Sink:
    def __init__(self) -> None:
        self.data = b""

    def write(self, data: bytes) -> int:
        self.data += data
        return len(data)

    def flush(self) -> None:
        pass


class _NoInput:
    def read(self, size: int = -1) -> bytes:
        return b""

    def readline(self) -> bytes:
        return b""


@dataclass(eq=False)
class _Shell:
    ran: list[list[str]] = field(default_factory=list)

    def run_argv(self, ctx: CommandContext, argv: list[str]) -> int:
        return 127

    def run_script_text(self, ctx: CommandContext, source: str, args: list[str]) -> int:
        return 127

    def variables(self) -> dict[str, str]:
        return {}


@dataclass
class Run:
    out: str
    err: str
    rc: int


_SHELLS: weakref.WeakKeyDictionary[object, _Shell] = weakref.WeakKeyDictionary()


def run(system: object, fs: object, fn: object, *argv: str, interactive: bool = False) -> Run:
    """Run command function ``fn`` with ``argv`` against ``system`` (one shell per
    system, so ``vfio attach`` state stays with its machine)."""
    out, err = _Sink(), _Sink()
    try:
        shell = _SHELLS.setdefault(system, _Shell())
    except TypeError:
        shell = _Shell()
    ctx = CommandContext(
        list(argv),
        _NoInput(),
        out,
        err,
        fs,
        system,
        shell,
        interactive=interactive,  # type: ignore[arg-type]
    )
    rc = fn(ctx)  # type: ignore[operator]
    return Run(out.data.decode(), err.data.decode(), rc)
