#!/usr/bin/env python3
"""Benchmarks of iommush's IOVA allocator on the workloads of spec/iova.md section 5.

Each workload runs three ways, plus the pure-Python reference as an in-run baseline:

* ``c``: the C allocator in a pure-C loop (``benchmarks/iova_bench.c``, compiled here with
  ``cc -O2`` together with ``iommush/iova/iova.c``); ``c-rcache`` is W1 through the range
  caches (``alloc_fast``/``free_fast``);
* ``py-api``: the public Python API, one call per operation; ``py-handle`` the same through
  ``IovaDomain.allocator()``;
* ``py-batch``: the batch API end to end (1,000 pairs per call, buffers built per batch);
  ``py-batch-call`` only the time of the calls;
* ``py-ref``: ``iommush.iova.reference.ReferenceDomain`` at small sizes.

Workloads (start_pfn 1, granule 4 KiB, 64-bit limit 2^36-1, 32-bit limit 2^20-1,
xorshift64* from 0x9E3779B97F4A7C15, size ``SIZES[r >> 61]``, victim ``r % N`` drawn before
the size, every request size-aligned, 10% warm-up excluded): W1 steady state, W2 fragmented
(odd indices freed), W3 growth to 4M then W1 at 4M, W4 32-bit pressure, W5 misaligned holes
(indices ``i % 4 in {2, 3}`` freed). Every figure is the median of ``--reps`` (>= 5) runs,
with min-max; the goals are those of section 8 of the spec.

    python benchmarks/iova.py            # full run (a few minutes)
    python benchmarks/iova.py --quick    # small sizes, under a minute
    python benchmarks/iova.py --json     # one JSON object per line
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from array import array
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from iommush.iova import IovaDomain  # noqa: E402
from iommush.iova.reference import ReferenceDomain  # noqa: E402

LIMIT64 = (1 << 36) - 1
LIMIT32 = (1 << 20) - 1
SIZES = (1, 1, 1, 2, 4, 8, 16, 32)
MASK = (1 << 64) - 1
CFLAGS = ["-O2", "-Wall", "-Wextra"]

# Linux's allocator on this machine class (spec/iova.md section 6.2, "linux-rbtree"), ns.
LINUX = {
    ("W1", 1_000): 1_700,
    ("W1", 10_000): 18_000,
    ("W1", 100_000): 97_000,
    ("W1", 1_000_000): 1_500_000,
    ("W1", 4_000_000): 1_700_000,
    ("W2", 10_000): 36_000,
    ("W2", 100_000): 1_600_000,
    ("W2", 1_000_000): 16_900_000,
    ("W5", 10_000): 132_000,
    ("W5", 100_000): 3_000_000,
    ("W5", 1_000_000): 30_000_000,
    ("W4", 0): 37_000,
}


class Rng:
    """xorshift64* exactly as the spec defines it."""

    def __init__(self) -> None:
        self.x = 0x9E3779B97F4A7C15

    def __call__(self) -> int:
        x = self.x
        x ^= x >> 12
        x ^= (x << 25) & MASK
        x ^= x >> 27
        self.x = x
        return (x * 2685821657736338717) & MASK

    def size(self) -> int:
        return SIZES[self() >> 61]


@dataclass
class Cell:
    """All runs of one (impl, workload, N)."""

    impl: str
    workload: str
    live: int
    ns: list[float] = field(default_factory=list)
    visits: list[float] = field(default_factory=list)
    max_visits: int = 0
    bound: int = 0
    over_bound: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def median(self) -> float:
        return statistics.median(self.ns)

    def record(self) -> dict[str, Any]:
        return {
            "impl": self.impl,
            "workload": self.workload,
            "live": self.live,
            "ns_per_op": round(self.median, 1),
            "min": round(min(self.ns), 1),
            "max": round(max(self.ns), 1),
            "runs": len(self.ns),
            "visits_per_alloc": round(statistics.median(self.visits), 2) if self.visits else None,
            "max_visits": self.max_visits or None,
            "bound": self.bound or None,
            "over_bound": self.over_bound,
            **self.extra,
        }


class Results:
    def __init__(self, emit_json: bool) -> None:
        self.cells: dict[tuple[str, str, int], Cell] = {}
        self.emit_json = emit_json

    def cell(self, impl: str, workload: str, live: int) -> Cell:
        key = (impl, workload, live)
        if key not in self.cells:
            self.cells[key] = Cell(impl, workload, live)
        return self.cells[key]

    def get(self, impl: str, workload: str, live: int) -> Cell | None:
        return self.cells.get((impl, workload, live))

    def done(self, cell: Cell) -> None:
        if self.emit_json:
            print(json.dumps(cell.record()), flush=True)
        else:
            print(
                f"  {cell.impl:<13} {cell.workload:<24} N={cell.live:<9} {fmt_ns(cell.median):>9}",
                file=sys.stderr,
                flush=True,
            )


def fmt_ns(ns: float) -> str:
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e4:
        return f"{ns / 1e3:.1f} µs"
    if ns >= 1e3:
        return f"{ns / 1e3:.2f} µs"
    return f"{ns:.0f} ns"


# ---- the C driver ----


def build_driver(workdir: Path) -> Path:
    cc = os.environ.get("CC", "cc")
    if shutil.which(cc) is None:
        raise SystemExit(f"benchmarks/iova.py: no C compiler ({cc!r}); install gcc")
    out = workdir / "iova_bench"
    src = ROOT / "iommush" / "iova"
    cmd = [
        cc,
        *CFLAGS,
        f"-I{src}",
        str(ROOT / "benchmarks" / "iova_bench.c"),
        str(src / "iova.c"),
        "-o",
        str(out),
    ]
    subprocess.run(cmd, check=True)
    return out


def run_c(res: Results, driver: Path, workload: str, n: int, iters: int, reps: int) -> None:
    proc = subprocess.run(
        [str(driver), workload, str(n), str(iters), str(reps)],
        check=True,
        capture_output=True,
        text=True,
    )
    cells: dict[tuple[str, int], Cell] = {}
    for line in proc.stdout.splitlines():
        rec = json.loads(line)
        name = rec["workload"]
        impl = "c-rcache" if name == "W1 rcache" else "c"
        wl = "W1" if name == "W1 rcache" else name
        live = n if wl in ("W1", "W2", "W5") else rec["live"]
        if wl == "W4":
            live = 0
        c = res.cell(impl, wl, live)
        c.ns.append(rec["ns_per_op"])
        if rec["visits_per_alloc"]:
            c.visits.append(rec["visits_per_alloc"])
        c.max_visits = max(c.max_visits, rec["max_visits"])
        c.bound = rec["bound_at_live"]
        c.over_bound += rec["over_bound"]
        c.extra["bytes_per_range"] = rec["bytes_per_range"]
        c.extra["ranges"] = rec["live"]
        for key in ("fail32_pct", "prefill", "rcache_hit_rate"):
            if key in rec:
                c.extra.setdefault(key + "_runs", []).append(rec[key])
        cells[(wl, live)] = c
    for c in cells.values():
        for key in list(c.extra):
            if key.endswith("_runs"):
                c.extra[key[:-5]] = statistics.median(c.extra.pop(key))
        res.done(c)


# ---- Python paths ----


def timed_reps(reps: int, iters: int, run: Callable[[int, int], None]) -> Iterator[float]:
    """Yield ns per iteration for each rep; run(first, count) does iterations [first, +count)."""
    warm = iters // 10 + 1
    pos = 0
    for _ in range(reps):
        run(pos, warm)
        pos += warm
        t0 = time.perf_counter_ns()
        run(pos, iters)
        yield (time.perf_counter_ns() - t0) / iters
        pos += iters


def visits_since(d: IovaDomain, before: tuple[int, int]) -> float:
    st = d.stats()
    searches = st.searches - before[0]
    return (st.visits - before[1]) / searches if searches else 0.0


def search_counters(d: IovaDomain) -> tuple[int, int]:
    st = d.stats()
    return (st.searches, st.visits)


def w1_script(n: int, total: int) -> tuple[list[int], list[int], list[int]]:
    """Prefill sizes, then (victim, size) per iteration, in the C driver's draw order."""
    rng = Rng()
    prefill = [rng.size() for _ in range(n)]
    victims, sizes = [], []
    for _ in range(total):
        victims.append(rng() % n)
        sizes.append(rng.size())
    return prefill, victims, sizes


def w1_runner(
    impl: str,
    d: IovaDomain,
    live: list[int],
    victims: list[int],
    sizes: list[int],
    call_ns: list[float],
) -> Callable[[int, int], None]:
    """The timed loop of W1 through one Python path."""
    if impl == "py-batch":
        slots = array("Q", live)

        def run_batch(first: int, count: int) -> None:
            spent = 0
            for i in range(first, first + count, 1000):
                j = min(i + 1000, first + count)
                v = array("Q", victims[i:j])
                s = array("Q", sizes[i:j])
                t0 = time.perf_counter_ns()
                d.replace_many(slots, v, s, LIMIT64)
                spent += time.perf_counter_ns() - t0
            call_ns.append(spent / count)

        return run_batch
    if impl == "py-handle":
        handle = d.allocator(LIMIT64)

        def run_handle(first: int, count: int) -> None:
            free, alloc = handle.free, handle.alloc
            for k in range(first, first + count):
                v = victims[k]
                free(live[v])
                live[v] = alloc(sizes[k]) or 0

        return run_handle

    def run_api(first: int, count: int) -> None:
        free, alloc = d.free, d.alloc
        for k in range(first, first + count):
            v = victims[k]
            free(live[v])
            live[v] = alloc(sizes[k], LIMIT64) or 0

    return run_api


def py_w1(res: Results, n: int, iters: int, reps: int) -> None:
    warm = iters // 10 + 1
    prefill, victims, sizes = w1_script(n, reps * (iters + warm))
    for impl in ("py-api", "py-handle", "py-batch"):
        d = IovaDomain()
        live = [p or 0 for p in d.alloc_many(prefill, LIMIT64)]
        call_ns: list[float] = []
        run = w1_runner(impl, d, live, victims, sizes, call_ns)
        cell = res.cell(impl, "W1", n)
        before = search_counters(d)
        cell.ns.extend(timed_reps(reps, iters, run))
        cell.visits.append(visits_since(d, before))
        res.done(cell)
        if impl == "py-batch":
            calls = res.cell("py-batch-call", "W1", n)
            calls.ns.extend(call_ns[1::2])  # the timed runs (the others are warm-ups)
            res.done(calls)


def py_w2w5(res: Results, workload: str, n: int, iters: int, reps: int) -> None:
    d = IovaDomain()
    hot = d.alloc(1, LIMIT64) or 0
    r = d.alloc_many([1] * n, LIMIT64)
    gone = (lambda i: i % 2 == 1) if workload == "W2" else (lambda i: i % 4 >= 2)
    d.free_many([p for i, p in enumerate(r) if p is not None and gone(i)])
    state = [hot]

    def run(first: int, count: int) -> None:
        free, alloc = d.free, d.alloc
        hot = state[0]
        for _ in range(count):
            free(hot)
            hot = alloc(1, LIMIT64) or 0
            p = alloc(2, LIMIT64) or 0
            free(p)
        state[0] = hot

    cell = res.cell("py-api", workload, n)
    before = search_counters(d)
    cell.ns.extend(timed_reps(reps, iters, run))
    cell.visits.append(visits_since(d, before))
    res.done(cell)


def py_w4(res: Results, iters: int, reps: int) -> None:
    rng = Rng()
    d = IovaDomain()
    live: list[int] = []
    while (p := d.alloc(rng.size(), LIMIT32)) is not None:
        live.append(p)
    n = len(live)
    fails = [0]

    def run(first: int, count: int) -> None:
        free, alloc = d.free, d.alloc
        for _ in range(count):
            k = rng() % n
            free(live[k])
            size = rng.size()
            p = alloc(size, LIMIT32)
            if p is None:
                fails[0] += 1
                p = alloc(size, LIMIT64) or 0
            live[k] = p

    cell = res.cell("py-api", "W4", 0)
    before = search_counters(d)
    cell.ns.extend(timed_reps(reps, iters, run))
    cell.visits.append(visits_since(d, before))
    cell.extra["ranges"] = n
    res.done(cell)


def py_w3(res: Results, n: int, reps: int) -> None:
    marks = [m for m in (0, 1_000, 10_000, 100_000, 1_000_000, 4_000_000) if m < n] + [n]
    for _ in range(reps):
        rng = Rng()
        d = IovaDomain()
        for lo, hi in zip(marks, marks[1:], strict=False):
            t0 = time.perf_counter_ns()
            for i in range(lo, hi, 4096):
                sizes = array("Q", [rng.size() for _ in range(min(4096, hi - i))])
                out = array("Q", bytes(8 * len(sizes)))
                d.alloc_batch(sizes, out, LIMIT64)
            res.cell("py-batch", f"W3 grow {lo}-{hi}", hi).ns.append(
                (time.perf_counter_ns() - t0) / (hi - lo)
            )
    for lo, hi in zip(marks, marks[1:], strict=False):
        res.done(res.cell("py-batch", f"W3 grow {lo}-{hi}", hi))


def load_reference(d: IovaDomain) -> ReferenceDomain:
    """A reference domain holding the same ranges (reserve marks them used)."""
    r = ReferenceDomain()
    for lo, hi in d:
        r.reserve(lo, hi)
    return r


def ref_w1(res: Results, n: int, iters: int, reps: int) -> None:
    warm = iters // 10 + 1
    prefill, victims, sizes = w1_script(n, reps * (iters + warm))
    d = IovaDomain()
    live = [p or 0 for p in d.alloc_many(prefill, LIMIT64)]
    r = load_reference(d)

    def run(first: int, count: int) -> None:
        for k in range(first, first + count):
            v = victims[k]
            r.free(live[v])
            live[v] = r.alloc(sizes[k], LIMIT64) or 0

    cell = res.cell("py-ref", "W1", n)
    cell.ns.extend(timed_reps(reps, iters, run))
    res.done(cell)


def ref_w2w5(res: Results, workload: str, n: int, iters: int, reps: int) -> None:
    d = IovaDomain()
    hot = d.alloc(1, LIMIT64) or 0
    pfns = d.alloc_many([1] * n, LIMIT64)
    gone = (lambda i: i % 2 == 1) if workload == "W2" else (lambda i: i % 4 >= 2)
    d.free_many([p for i, p in enumerate(pfns) if p is not None and gone(i)])
    r = load_reference(d)
    state = [hot]

    def run(first: int, count: int) -> None:
        for _ in range(count):
            r.free(state[0])
            state[0] = r.alloc(1, LIMIT64) or 0
            p = r.alloc(2, LIMIT64) or 0
            r.free(p)

    cell = res.cell("py-ref", workload, n)
    cell.ns.extend(timed_reps(reps, iters, run))
    res.done(cell)


# ---- report ----


@dataclass
class Goal:
    text: str
    impl: str
    workload: str
    live: int
    target: float  # ns, or a ratio / bytes for the special goals below
    measure: str = "ns"  # ns | bytes | visits | growth


def goals(quick: bool) -> list[Goal]:
    big = 100_000 if quick else 1_000_000
    top = 100_000 if quick else 4_000_000
    return [
        Goal("C W1 1k live, per pair", "c", "W1", 1_000, 600),
        Goal("C W1 range-cache hit, per pair", "c-rcache", "W1", 1_000, 100),
        Goal(f"C W1 {big:,} live, per pair", "c", "W1", big, 6_000),
        Goal(f"C W1 {top:,} live (after W3), per pair", "c", "W3 steady", top, 8_000),
        Goal(f"C W2 {big:,}, per iteration", "c", "W2", big, 3_000),
        Goal(f"C W2 cost growth 10k -> {big:,}", "c", "W2", big, 3.0, "growth"),
        Goal(f"C W5 {big:,}, per iteration", "c", "W5", big, 5_000),
        Goal("C W4, per pair", "c", "W4", 0, 5_000),
        Goal(f"C W3 growth, worst interval up to {top:,}", "c", "W3 grow", top, 1_000),
        Goal(f"C memory per live range at {top:,}", "c", "W3 steady", top, 64, "bytes"),
        Goal("visits per alloc <= 4*ceil(log2(n+2))+8", "c", "*", 0, 0, "visits"),
        Goal("Python API, pair at 1k live", "py-api", "W1", 1_000, 2_500),
        Goal("Python batch end to end, pair at 1k", "py-batch", "W1", 1_000, 1_000),
        Goal("Python batch end to end, pair at 100k", "py-batch", "W1", 100_000, 3_500),
    ]


def evaluate(res: Results, g: Goal) -> tuple[str, bool | None]:
    if g.measure == "visits":
        cs = [c for c in res.cells.values() if c.impl == "c" and c.bound]
        over = sum(c.over_bound for c in cs)
        worst = max((c.max_visits / c.bound for c in cs), default=0.0)
        return f"{over} allocations over; worst max/bound {worst:.2f}", over == 0 and bool(cs)
    if g.workload == "W3 grow":
        cs = [c for c in res.cells.values() if c.impl == "c" and c.workload.startswith("W3 grow")]
        if not cs:
            return "not run", None
        worst = max(c.median for c in cs)
        return fmt_ns(worst), worst <= g.target
    c = res.get(g.impl, g.workload, g.live)
    if c is None:
        return "not run", None
    if g.measure == "bytes":
        b = float(c.extra.get("bytes_per_range", 0))
        return f"{b:.1f} B", b <= g.target
    if g.measure == "growth":
        small = res.get(g.impl, g.workload, 10_000)
        if small is None:
            return "not run", None
        ratio = c.median / small.median
        return f"{ratio:.2f}x", ratio <= g.target
    return fmt_ns(c.median), c.median <= g.target


def print_table(res: Results, quick: bool) -> None:
    print()
    print(
        f"{'impl':<14}{'workload':<26}{'N':>10}  {'median':>10}  {'min-max':>21}  "
        f"{'visits':>7} {'max/bound':>10}  {'vs Linux':>9}  {'vs ref':>8}  extra"
    )
    order = {
        "c": 0,
        "c-rcache": 1,
        "py-api": 2,
        "py-handle": 3,
        "py-batch": 4,
        "py-batch-call": 5,
        "py-ref": 6,
    }
    for c in sorted(
        res.cells.values(), key=lambda c: (c.workload[:2], c.live, order[c.impl], c.workload)
    ):
        linux = LINUX.get((c.workload, c.live))
        if c.workload == "W3 steady":
            linux = LINUX.get(("W1", c.live))
        ref = res.get("py-ref", c.workload, c.live)
        vs_linux = f"{linux / c.median:,.0f}x" if linux and c.impl.startswith("c") else ""
        vs_ref = f"{ref.median / c.median:,.0f}x" if ref and c.impl != "py-ref" else ""
        mm = f"{fmt_ns(min(c.ns))}-{fmt_ns(max(c.ns))}"
        visits = f"{statistics.median(c.visits):.1f}" if c.visits else ""
        mb = f"{c.max_visits}/{c.bound}" if c.bound else ""
        extra = []
        for key in ("fail32_pct", "rcache_hit_rate", "bytes_per_range", "ranges"):
            if key in c.extra and not (key == "ranges" and c.extra[key] == c.live):
                extra.append(f"{key}={c.extra[key]:g}")
        print(
            f"{c.impl:<14}{c.workload:<26}{c.live or '-':>10}  {fmt_ns(c.median):>10}  "
            f"{mm:>21}  {visits:>7} {mb:>10}  {vs_linux:>9}  {vs_ref:>8}  {' '.join(extra)}"
        )
    print()
    print("Goals (spec/iova.md section 8; medians; Linux figures from section 6.2):")
    for g in goals(quick):
        value, ok = evaluate(res, g)
        mark = {True: "ok", False: "MISSED", None: "-"}[ok]
        target = (
            ""
            if g.measure == "visits"
            else f"<= {g.target:g}x"
            if g.measure == "growth"
            else f"<= {g.target:g} B"
            if g.measure == "bytes"
            else f"<= {fmt_ns(g.target)}"
        )
        print(f"  {g.text:<46} {value:>34}  {target:>10}  {mark}")


def environment(reps: int, quick: bool) -> dict[str, Any]:
    import cffi

    cpu = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    cc = os.environ.get("CC", "cc")
    try:
        ccv = subprocess.run([cc, "--version"], capture_output=True, text=True).stdout
        ccv = ccv.splitlines()[0]
    except (OSError, IndexError):
        ccv = cc
    return {
        "loadavg": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "cffi": cffi.__version__,
        "cc": ccv,
        "cflags": " ".join(CFLAGS),
        "reps": reps,
        "quick": quick,
    }


def steal_jiffies() -> tuple[int, int]:
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
        values = [int(v) for v in fields]
        return (values[7] if len(values) > 7 else 0, sum(values))
    except (OSError, ValueError):
        return (0, 0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--quick", action="store_true", help="small sizes, short runs")
    ap.add_argument("--json", action="store_true", help="one JSON object per line")
    ap.add_argument("--reps", type=int, default=5, help="runs per cell (median; at least 5)")
    ap.add_argument("--only", default="", help="comma-separated impls to run (c,py,ref)")
    args = ap.parse_args(argv)
    reps = max(args.reps, 5)
    only = set(args.only.split(",")) if args.only else {"c", "py", "ref"}
    if hasattr(os, "sched_setaffinity"):
        try:
            os.sched_setaffinity(0, {max(os.sched_getaffinity(0))})
        except OSError:
            pass
    env = environment(reps, args.quick)
    res = Results(args.json)
    if args.json:  # stdout carries only result records
        print(json.dumps({"environment": env}), file=sys.stderr, flush=True)
    else:
        print("iommush IOVA benchmark: " + ", ".join(f"{k}={v}" for k, v in env.items()))
        print("running (stderr shows progress)...", flush=True)
    steal0 = steal_jiffies()
    q = args.quick
    with tempfile.TemporaryDirectory() as tmp:
        if "c" in only:
            drv = build_driver(Path(tmp))
            w1_sizes = [1_000, 100_000] if q else [1_000, 10_000, 100_000, 1_000_000]
            for n in w1_sizes:
                run_c(
                    res,
                    drv,
                    "W1",
                    n,
                    {1_000: 200_000, 10_000: 200_000}.get(n, 50_000) // (4 if q else 1),
                    reps,
                )
            for n in [1_000] if q else [1_000, 100_000, 1_000_000]:
                run_c(res, drv, "W1F", n, 200_000 if q else 1_000_000, reps)
            for wl in ("W2", "W5"):
                for n in [10_000, 100_000] if q else [10_000, 100_000, 1_000_000]:
                    run_c(res, drv, wl, n, 20_000 if q else 100_000, reps)
            run_c(res, drv, "W3", 100_000 if q else 4_000_000, 10_000 if q else 50_000, reps)
            run_c(res, drv, "W4", 0, 20_000 if q else 100_000, reps)
        if "py" in only:
            for n in [1_000, 100_000] if q else [1_000, 10_000, 100_000]:
                py_w1(res, n, 5_000 if q else 20_000, reps)
            for wl in ("W2", "W5"):
                for n in [10_000] if q else [10_000, 100_000]:
                    py_w2w5(res, wl, n, 2_000 if q else 10_000, reps)
            py_w4(res, 2_000 if q else 10_000, reps)
            py_w3(res, 100_000 if q else 1_000_000, reps)
        if "ref" in only:
            ref_w1(res, 1_000, 200 if q else 1_000, reps)
            for wl in ("W2", "W5"):
                ref_w2w5(res, wl, 10_000, 20 if q else 100, reps)
    steal1 = steal_jiffies()
    if steal1[1] > steal0[1]:
        steal = 100 * (steal1[0] - steal0[0]) / (steal1[1] - steal0[1])
        if args.json:
            print(json.dumps({"steal_pct": round(steal, 2)}), file=sys.stderr)
        elif steal > 5:
            print(f"warning: {steal:.1f}% CPU steal during the run: figures are noisy")
    if not args.json:
        print_table(res, q)
        if hasattr(os, "getloadavg") and os.getloadavg()[0] > 1.5:
            print(
                f"warning: load average {os.getloadavg()[0]:.2f}: other processes competed "
                "for the CPUs, figures are noisy"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
