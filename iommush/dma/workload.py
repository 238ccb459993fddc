"""``dma workload``: N random map/unmap operations on one device, as a driver under
load does, and what they left behind in the IOVA space."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from iommush.kernel import KernelError
from iommush.kernel.device import KernelDevice
from iommush.kernel.dma_iommu import IommuDmaCookie
from iommush.kernel.dma_mapping import DmaMapping, DmaSubsystem

__all__ = ["Fragmentation", "WorkloadResult", "fragmentation", "run_workload"]

#: Sizes a workload picks from when none is given (typical network/storage buffers).
SIZES = (1500, 4096, 8192, 9000, 16384, 65536, 131072, 262144)
#: Chance that an operation maps rather than unmaps (live mappings grow slowly).
P_MAP = 0.6


@dataclass(frozen=True)
class Fragmentation:
    """Free space inside the window the allocations span (lowest to highest used pfn)."""

    free_pages: int
    largest_hole: int
    holes: int

    @property
    def ratio(self) -> float:
        """1 - largest hole / free space: 0 when the free space is one piece."""
        return 0.0 if not self.free_pages else 1 - self.largest_hole / self.free_pages


@dataclass
class WorkloadResult:
    operations: int = 0
    maps: int = 0
    unmaps: int = 0
    failures: int = 0
    elapsed_ns: int = 0
    peak_live: int = 0
    live: int = 0
    frag: Fragmentation | None = None
    last_error: str = ""

    @property
    def ns_per_op(self) -> float:
        return self.elapsed_ns / self.operations if self.operations else 0.0


def fragmentation(cookie: IommuDmaCookie) -> Fragmentation:
    """Holes between the lowest and the highest allocated (not reserved) range."""
    ranges = list(cookie.iovad.ranges())
    used = [r for r in ranges if not r.reserved]
    if not used:
        return Fragmentation(0, 0, 0)
    lo, hi = used[0].pfn_lo, used[-1].pfn_hi
    holes: list[int] = []
    at = lo
    for r in ranges:
        if r.pfn_hi < lo or r.pfn_lo > hi:
            continue
        if r.pfn_lo > at:
            holes.append(r.pfn_lo - at)
        at = max(at, r.pfn_hi + 1)
    return Fragmentation(sum(holes), max(holes, default=0), len(holes))


def run_workload(
    dma: DmaSubsystem,
    dev: KernelDevice,
    n: int,
    *,
    size: int | None,
    seed: int,
    mask: int,
    keep: bool = False,
    progress: Callable[[int], None] | None = None,
) -> WorkloadResult:
    """Run ``n`` operations: map (chance ``P_MAP``, always when nothing is live) or
    unmap a random live mapping. Fragmentation is measured before the mappings still
    live are unmapped (unless ``keep``); the cleanup is not counted."""
    rng = random.Random(seed)
    res = WorkloadResult()
    live: list[DmaMapping] = []
    step = max(1, n // 100)
    start = time.perf_counter_ns()
    for i in range(n):
        if live and rng.random() >= P_MAP:
            j = rng.randrange(len(live))
            live[j], live[-1] = live[-1], live[j]
            m = live.pop()
            dma.dma_unmap_single(dev, m.dma_addr)
            res.unmaps += 1
        else:
            want = size if size is not None else rng.choice(SIZES)
            try:
                live.append(dma.dma_map_single(dev, want, mask))
                res.maps += 1
            except KernelError as exc:
                res.failures += 1
                res.last_error = exc.detail or exc.strerror or ""
            res.peak_live = max(res.peak_live, len(live))
        res.operations += 1
        if progress is not None and (i + 1) % step == 0:
            progress(i + 1)
    res.elapsed_ns = time.perf_counter_ns() - start
    res.live = len(live)
    cookie = dma.cookie_of(dev)
    if cookie is not None:
        res.frag = fragmentation(cookie)
    if not keep:
        for m in reversed(live):
            dma.dma_unmap_single(dev, m.dma_addr)
    return res
