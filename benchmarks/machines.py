"""Boot time, peak memory and group-listing time of generated SR-IOV hosts.

Run: ``python benchmarks/machines.py`` (from the repository root). Goals: 16k devices boot
in under 2 s and 500 MB; ``ls /sys/kernel/iommu_groups | wc -l`` answers in under 0.3 s.

The listing is timed twice: the pipeline run by the shell on the booted machine (the goal),
and the bare ``listdir`` of the filesystem under it. ``--one PFS VFS`` measures one size
in this process and prints the raw figures.
"""

from __future__ import annotations

import gc
import io
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from iommush.machine import generate_sriov_host  # noqa: E402

#: (PFs, VFs per PF): about 1k, 4k and 16k functions.
SIZES = [(4, 255), (16, 255), (64, 255)]
BOOT_GOAL_S = 2.0
MEMORY_GOAL_MB = 500.0
LIST_GOAL_S = 0.3


class _Sink(io.BytesIO):
    """A shell stdout/stderr that keeps what was written."""

    def flush(self) -> None:
        pass


def shell_listing(kernel: object, command: str) -> tuple[float, str]:
    """Run ``command`` with the shell on ``kernel`` as root: (seconds, its stdout)."""
    from iommush.shell import Shell
    from iommush.shell.commands import utilities
    from iommush.vfs import ALL_CAPS, Cred, as_cred

    out, err = _Sink(), _Sink()
    shell = Shell(kernel, commands=utilities(), stdout=out, stderr=err, cwd="/")  # type: ignore[arg-type]
    with as_cred(Cred(0, 0, caps=ALL_CAPS)):
        t0 = time.perf_counter()
        status = shell.run(command)
        elapsed = time.perf_counter() - t0
    if status != 0:
        raise RuntimeError(f"{command!r} failed: {err.getvalue().decode(errors='replace')}")
    return elapsed, out.getvalue().decode()


def measure_here(pfs: int, vfs: int) -> tuple[int, float, float, float, int, float]:
    """In this process: (functions, boot s, peak RSS growth MB during boot, shell ls s,
    groups the shell counted, listdir s)."""
    from iommush.kernel import boot

    spec = generate_sriov_host(pfs, vfs)
    gc.collect()
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    kernel = boot(spec)
    boot_s = time.perf_counter() - t0
    rss1 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    kernel.fs.listdir("/sys/kernel/iommu_groups")
    listdir_s = time.perf_counter() - t0
    ls_s, counted = shell_listing(kernel, "ls /sys/kernel/iommu_groups | wc -l")
    return len(spec.pci), boot_s, (rss1 - rss0) / 1024, ls_s, int(counted), listdir_s


def measure(pfs: int, vfs: int) -> tuple[int, float, float, float, int, float]:
    """Each size in a fresh interpreter, so peak RSS is that boot's own."""
    out = subprocess.run(
        [sys.executable, __file__, "--one", str(pfs), str(vfs)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    return int(out[0]), float(out[1]), float(out[2]), float(out[3]), int(out[4]), float(out[5])


def main() -> int:
    try:
        from iommush.kernel import boot  # noqa: F401
    except ImportError:
        print("iommush.kernel.boot is not available: nothing to measure")
        return 1
    print(
        f"{'functions':>9} {'groups':>7} {'boot s':>8} {'peak MB':>8} {'ls|wc s':>8} "
        f"{'listdir s':>9}"
    )
    rows = []
    for pfs, vfs in SIZES:
        n, boot_s, peak_mb, list_s, groups, listdir_s = measure(pfs, vfs)
        rows.append((n, boot_s, peak_mb, list_s))
        print(f"{n:>9} {groups:>7} {boot_s:>8.3f} {peak_mb:>8.1f} {list_s:>8.4f} {listdir_s:>9.4f}")
    n, boot_s, peak_mb, list_s = rows[-1]
    print()
    print(
        f"16k boot:    {boot_s:.3f} s  (goal < {BOOT_GOAL_S} s, ratio {boot_s / BOOT_GOAL_S:.2f})"
    )
    print(
        f"16k memory:  {peak_mb:.1f} MB (goal < {MEMORY_GOAL_MB} MB, "
        f"ratio {peak_mb / MEMORY_GOAL_MB:.2f})"
    )
    print(f"16k ls | wc: {list_s:.4f} s (goal < {LIST_GOAL_S} s, ratio {list_s / LIST_GOAL_S:.2f})")
    small, big = rows[0], rows[-1]
    print(
        f"scaling 1k -> 16k: boot x{big[1] / small[1]:.1f} for x{big[0] / small[0]:.1f} functions"
    )
    ok = boot_s < BOOT_GOAL_S and peak_mb < MEMORY_GOAL_MB and list_s < LIST_GOAL_S
    print("goals met" if ok else "goals NOT met")
    return 0 if ok else 2


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--one":
        print(*measure_here(int(sys.argv[2]), int(sys.argv[3])))
        raise SystemExit(0)
    raise SystemExit(main())
