"""``dma``: do what a bound driver does with the DMA API, on the running kernel.

``dma map`` is ``dma_map_single`` on a fresh buffer (prints the DMA address the device
would use), ``dma unmap`` gives it back, ``dma list`` shows what a device holds,
``dma space`` draws the device's IOVA space, ``dma workload`` runs many operations.
Everything goes through the kernel model's dma-iommu layer: tracepoints fire, the
flush queue defers frees, ``Using 64-bit DMA addresses`` is logged when 6.4+ gives up
on 32-bit addresses for a device.
"""

from __future__ import annotations

import io
from typing import IO

from iommush.kernel import Kernel, KernelError
from iommush.kernel.dma_iommu import dma_bit_mask
from iommush.kernel.pci import PciDev
from iommush.shell.command import CommandContext
from iommush.vfs import CAP_SYS_ADMIN, capable

from .render import format_list, format_space, human_size, parse_size
from .workload import WorkloadResult, run_workload

__all__ = ["USAGE", "dma"]

USAGE = """\
usage: dma map BDF SIZE [--mask BITS]     map SIZE bytes for BDF, print the DMA address
       dma unmap BDF ADDR                 unmap what 'dma map' returned
       dma list BDF                       the mappings BDF holds
       dma space BDF [--all]              BDF's IOVA space as an address map (alias: map-show)
       dma workload BDF N [--size S] [--seed X] [--mask BITS] [--keep]
                                          N random map/unmap operations and a summary
SIZE accepts 4096, 0x1000, 4K, 2M; BITS is the driver's DMA mask width (default 64).
"""


class UsageError(Exception):
    pass


def _options(args: list[str], spec: dict[str, bool]) -> tuple[list[str], dict[str, str]]:
    """Split ``--opt VALUE``/``--opt=VALUE``/``--flag`` from positional words."""
    pos: list[str] = []
    opts: dict[str, str] = {}
    it = iter(args)
    for a in it:
        if a.startswith("--"):
            name, eq, value = a[2:].partition("=")
            if name not in spec:
                raise UsageError(f"unknown option '--{name}'")
            if spec[name] and not eq:
                value = next(it, "")
                if not value:
                    raise UsageError(f"option '--{name}' needs a value")
            opts[name] = value
        else:
            pos.append(a)
    return pos, opts


def _number(text: str, what: str) -> int:
    try:
        return int(text, 0)
    except ValueError:
        raise UsageError(f"invalid {what} '{text}'") from None


def _mask(opts: dict[str, str]) -> int:
    bits = _number(opts.get("mask", "64"), "mask")
    if not 12 <= bits <= 64:
        raise UsageError(f"mask must be 12 to 64 bits, not {bits}")
    return dma_bit_mask(bits)


def _device(k: Kernel, name: str) -> PciDev:
    full = name if name.count(":") == 2 else f"0000:{name}"
    dev = k.pci.find(full.lower())
    if dev is None or dev.dead:
        raise UsageError(f"{name}: no such PCI device")
    return dev


def _root(ctx: CommandContext) -> bool:
    if capable(CAP_SYS_ADMIN):
        return True
    ctx.error("Operation not permitted (the DMA API is the kernel's: run as root)")
    return False


def _fail(ctx: CommandContext, verb: str, dev: str, exc: KernelError) -> int:
    detail = f" ({exc.detail})" if exc.detail else ""
    ctx.error(f"{verb} {dev}: {exc.strerror}{detail}")
    return 1


class _TextOut(io.TextIOBase):
    """A text stream over a command's byte stream, for rich's console."""

    def __init__(self, ctx: CommandContext) -> None:
        self.ctx = ctx

    def write(self, s: str) -> int:
        self.ctx.err(s)
        return len(s)

    def isatty(self) -> bool:
        return True


def _workload(
    ctx: CommandContext, k: Kernel, dev: PciDev, pos: list[str], opts: dict[str, str]
) -> int:
    n = _number(pos[0], "count")
    if not 1 <= n <= 10_000_000:
        raise UsageError("N must be between 1 and 10000000")
    size = None
    if "size" in opts:
        try:
            size = parse_size(opts["size"])
        except ValueError:
            raise UsageError(f"invalid size '{opts['size']}'") from None
    seed = _number(opts.get("seed", "1"), "seed")
    mask = _mask(opts)
    if ctx.interactive:
        from rich.console import Console
        from rich.progress import Progress

        stream: IO[str] = _TextOut(ctx)  # type: ignore[assignment]
        with Progress(console=Console(file=stream, force_terminal=True), transient=True) as bar:
            task = bar.add_task(f"dma workload {dev.name}", total=n)
            res = run_workload(
                k.dma,
                dev,
                n,
                size=size,
                seed=seed,
                mask=mask,
                keep="keep" in opts,
                progress=lambda done: bar.update(task, completed=done),
            )
    else:
        res = run_workload(k.dma, dev, n, size=size, seed=seed, mask=mask, keep="keep" in opts)
    ctx.out(_summary(k, dev, res, seed))
    return 0


def _summary(k: Kernel, dev: PciDev, res: WorkloadResult, seed: int) -> str:
    cookie = k.dma.cookie_of(dev)
    where = "dma-direct/identity (physical addresses)"
    if cookie is not None:
        info = k.dma.describe(cookie)
        where = f"{info['type']} domain {info['domain']}, {info['policy']}"
    lines = [
        f"workload on {dev.name} ({where}), seed {seed}\n",
        f"operations:    {res.operations} ({res.maps} maps, {res.unmaps} unmaps)\n",
        f"failures:      {res.failures}"
        + (f" (last: {res.last_error})" if res.failures else "")
        + "\n",
        f"time:          {res.ns_per_op:.0f} ns per op ({res.elapsed_ns / 1e6:.2f} ms)\n",
        f"live mappings: peak {res.peak_live}, at the end {res.live}\n",
    ]
    if res.frag is not None and cookie is not None:
        f = res.frag
        lines.append(
            f"fragmentation: {100 * f.ratio:.1f}% ({f.holes} holes, "
            f"{human_size(f.free_pages * cookie.granule)} free between the lowest and "
            f"highest mapping, largest hole {human_size(f.largest_hole * cookie.granule)})\n"
        )
    else:
        lines.append("fragmentation: n/a (no IOVA allocator on this path)\n")
    return "".join(lines)


def dma(ctx: CommandContext) -> int:
    """Entry point of the ``dma`` command."""
    args = ctx.argv[1:]
    if not args or args[0] in ("-h", "--help", "help"):
        (ctx.out if args else ctx.err)(USAGE)
        return 0 if args else 2
    k = ctx.system
    if not isinstance(k, Kernel):
        ctx.error("no kernel model is running (the DMA API needs a booted machine)")
        return 1
    sub, rest = args[0], args[1:]
    try:
        return _run(ctx, k, sub, rest)
    except UsageError as exc:
        ctx.error(str(exc))
        ctx.err(USAGE)
        return 2
    except OSError as exc:
        ctx.error(f"write error: {exc.strerror}")
        return 1


def _run(ctx: CommandContext, k: Kernel, sub: str, rest: list[str]) -> int:
    specs = {
        "map": {"mask": True},
        "unmap": {},
        "list": {},
        "space": {"all": False},
        "map-show": {"all": False},
        "workload": {"size": True, "seed": True, "mask": True, "keep": False},
    }
    if sub not in specs:
        raise UsageError(f"unknown subcommand '{sub}'")
    pos, opts = _options(rest, specs[sub])
    want = {"map": 2, "unmap": 2, "workload": 2}.get(sub, 1)
    if len(pos) != want:
        raise UsageError(f"{sub}: expected {want} argument{'s' if want > 1 else ''}")
    dev = _device(k, pos[0])
    if sub == "map":
        try:
            size = parse_size(pos[1])
        except ValueError:
            raise UsageError(f"invalid size '{pos[1]}'") from None
        if size > 1 << 40:
            raise UsageError("size is larger than 1 TiB")
        mask = _mask(opts)
        if not _root(ctx):
            return 1
        try:
            m = k.dma.dma_map_single(dev, size, mask)
        except KernelError as exc:
            return _fail(ctx, "map", dev.name, exc)
        ctx.out(f"0x{m.dma_addr:x}\n")
        return 0
    if sub == "unmap":
        addr = _number(pos[1], "address")
        if not _root(ctx):
            return 1
        try:
            k.dma.dma_unmap_single(dev, addr)
        except KernelError as exc:
            return _fail(ctx, "unmap", dev.name, exc)
        return 0
    if sub == "list":
        ctx.out(format_list(k.dma.mappings(dev)))
        return 0
    if sub == "workload":
        if not _root(ctx):
            return 1
        return _workload(ctx, k, dev, pos[1:], opts)
    return _space(ctx, k, dev, "all" in opts)


def _space(ctx: CommandContext, k: Kernel, dev: PciDev, show_all: bool) -> int:
    cookie = k.dma.cookie_of(dev)
    if cookie is not None:
        ctx.out(format_space(k.dma, cookie, dev.name, show_all))
        return 0
    group = dev.iommu_group
    dom = group.default_domain if group is not None else None
    if group is None:
        ctx.out(f"{dev.name}: no IOMMU translates it: DMA addresses are physical (dma-direct)\n")
    elif dom is None:
        ctx.out(f"{dev.name}: group {group.id} has no default domain: dma-direct\n")
    else:
        from iommush.kernel.domain import domain_type_name

        ctx.out(
            f"{dev.name}: group {group.id}, {domain_type_name(dom.type)} domain: no IOVA space "
            "(DMA addresses are physical addresses)\n"
        )
    return 0
