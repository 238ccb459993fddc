"""Per-command overhead of the shell language, and the cost of ``import iommush.shell``.

    python benchmarks/shell_overhead.py [--lines N] [--reps N]

Runs 10,000-line scripts of one kind of simple command against the small fake system
of tests/shell/fakesys.py (so the figures are the shell's own cost, not the kernel
model's) and prints the best CPU time per command; then the best cumulative import
time of ``iommush.shell`` over a few fresh interpreters (``-X importtime``).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "shell"))

KINDS = {
    "cat (same line)": "cat /sys/kernel/iommu_groups/{g}/type",
    "echo (every line new)": "echo foo {i}",
    "assignment (every line new)": "x={i}",
    "redirection (same line)": "echo DMA > /sys/kernel/iommu_groups/{g}/type",
    "expansion (every line new)": 'y="${{x:-{i}}}"; echo "$y" >/dev/null',
}


def per_command(template: str, lines: int, reps: int) -> float:
    from fakesys import make_shell

    src = "".join(template.format(i=i, g=("0", "1", "2", "10")[i % 4]) + "\n" for i in range(lines))
    best = float("inf")
    for _ in range(reps):
        sh, _out, err = make_shell()
        t0 = time.process_time()
        sh.run(src)
        best = min(best, time.process_time() - t0)
        if err.getvalue():
            raise SystemExit(err.getvalue().decode()[:200])
    return best / lines


def import_time(runs: int) -> int:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    best = 1 << 62
    for _ in range(runs):
        err = subprocess.run(
            [sys.executable, "-X", "importtime", "-c", "import iommush.shell"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
        ).stderr
        for line in err.splitlines():
            if line.rstrip().endswith("| iommush.shell"):
                best = min(best, int(line.split("|")[1]))
    return best


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--reps", type=int, default=7)
    args = parser.parse_args()
    for name, template in KINDS.items():
        cost = per_command(template, args.lines, args.reps)
        print(f"{name:30s} {cost * 1e6:7.2f} us/command")
    print(f"{'import iommush.shell':30s} {import_time(args.reps * 3) / 1000:7.2f} ms (best)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
