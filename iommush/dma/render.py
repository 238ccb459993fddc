"""Text for the ``dma`` command: sizes, a device's mappings, its IOVA space as an
address map."""

from __future__ import annotations

from iommush.kernel.dma_iommu import IommuDmaCookie
from iommush.kernel.dma_mapping import DmaMapping, DmaSubsystem, SpaceRegion

__all__ = ["format_list", "format_space", "human_size", "parse_size"]

_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
#: A stretch of more regions than this between landmarks is summarised (unless --all).
COLLAPSE = 8
#: Free stretches at least this large always get their own line.
LANDMARK = 16 << 20
_USED = ("mapped", "cached", "queued")


def parse_size(text: str) -> int:
    """``4096``, ``0x1000``, ``4K``, ``4KiB``, ``2M``, ``1G``: bytes. ValueError if bad."""
    t = text.strip().upper().removesuffix("IB").removesuffix("B")
    unit = 1
    if t and t[-1] in _UNITS and not t.startswith("0X"):
        unit, t = _UNITS[t[-1]], t[:-1]
    value = int(t, 0) * unit
    if value <= 0:
        raise ValueError(text)
    return value


def human_size(n: int) -> str:
    """``4 KiB``, ``1.5 GiB``, ``512 B``."""
    for suffix, unit in (("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= unit:
            v = n / unit
            return f"{v:.0f} {suffix}" if v == int(v) else f"{v:.1f} {suffix}"
    return f"{n} B"


def format_list(maps: list[DmaMapping]) -> str:
    """``dma list``: one line per mapping."""
    if not maps:
        return ""
    lines = [f"{'DMA ADDRESS':<18} {'SIZE':>10} {'MAPPED':>10} {'PHYS':<18} PATH\n"]
    for m in maps:
        path = f"iova (domain {m.domain})" if m.path == "iova" else m.path
        mapped = str(m.mapped) if m.mapped else "-"
        lines.append(f"0x{m.dma_addr:016x} {m.size:>10} {mapped:>10} 0x{m.phys:016x} {path}\n")
    return "".join(lines)


def _line(r: SpaceRegion) -> str:
    size = human_size(r.end - r.start + 1)
    label = "IOVA 0 is never handed out" if r.label == "start_pfn" else r.label
    return f"0x{r.start:016x}-0x{r.end:016x} {size:>9}  {r.kind:<8} {label}".rstrip() + "\n"


def format_space(dma: DmaSubsystem, cookie: IommuDmaCookie, dev: str, show_all: bool) -> str:
    """``dma space``: a header, then the address map from 0 to the aperture's end.

    Reserved regions and free stretches of at least ``LANDMARK`` bytes are always shown;
    a stretch between them made of more than ``COLLAPSE`` regions (mappings, cached or
    queued ranges and the holes between them) is summarised in one line unless
    ``show_all``."""
    info = dma.describe(cookie)
    regions = dma.space(cookie)
    counts = {k: sum(r.kind == k for r in regions) for k in _USED}
    out = [
        f"{dev}: group {info['group']}, domain {info['domain']} ({info['type']}, "
        f"{info['policy']}), granule {human_size(cookie.granule)}, "
        f"aperture {cookie.aperture_end.bit_length()} bits\n",
        f"{sum(counts.values())} used ranges ("
        + ", ".join(f"{n} {k}" for k, n in counts.items())
        + ")\n",
    ]
    run: list[SpaceRegion] = []

    def flush() -> None:
        if len(run) > COLLAPSE and not show_all:
            n = {k: sum(r.kind == k for r in run) for k in _USED}
            free = [r.end - r.start + 1 for r in run if r.kind == "free"]
            what = ", ".join(f"{c} {k}" for k, c in n.items() if c)
            size = human_size(run[-1].end - run[0].start + 1)
            out.append(
                f"0x{run[0].start:016x}-0x{run[-1].end:016x} {size:>9}  {'used':<8} "
                f"{what}; {human_size(sum(free))} free in {len(free)} holes\n"
            )
        else:
            out.extend(_line(r) for r in run)
        run.clear()

    for r in regions:
        if r.kind == "reserved" or (r.kind == "free" and r.end - r.start + 1 >= LANDMARK):
            flush()
            out.append(_line(r))
        else:
            run.append(r)
    flush()
    return "".join(out)
