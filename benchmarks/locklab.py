"""Lock lab exploration time: two kernel paths of up to 20 lock steps each (goal < 5 s).

Run: ``python benchmarks/locklab.py`` from the repository root.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from iommush.kernel import boot  # noqa: E402
from iommush.locklab import Explorer, LabMachine, build_path, parse_request  # noqa: E402
from iommush.locklab.acts import act_nothing  # noqa: E402
from iommush.locklab.model import LockRef, PathBuilder  # noqa: E402
from tests.kernel.machines import vfio_rst  # noqa: E402

GOAL = 5.0


def synthetic(lab: LabMachine, n: int) -> tuple[float, int, int]:
    """Two paths of 2n lock steps each: n critical sections (lock, act, unlock) over n
    locks both paths share, the second path visiting them in reverse order -- every
    interleaving of 3n + 3n steps the locks allow, deadlocks included."""
    refs = [LockRef(f"L{i}", f"&l{i}", f"l{i}") for i in range(n)]
    paths = []
    for t in range(2):
        b = PathBuilder()
        for r in refs if t == 0 else reversed(refs):
            b.lock(r, "take")
            b.act("work", act_nothing, mutates=False)
            b.unlock(r)
        if t == 0:
            b.lock(refs[0], "outer")
            b.lock(refs[-1], "inner")
            b.unlock(refs[-1])
            b.unlock(refs[0])
        else:
            b.lock(refs[-1], "outer")
            b.lock(refs[0], "inner")
            b.unlock(refs[0])
            b.unlock(refs[-1])
        paths.append(b.build(f"path {t}", "bash", 4101 + t, "benchmark"))
    t0 = time.perf_counter()
    ex = Explorer(lab, paths).run()
    return time.perf_counter() - t0, ex.interleavings, ex.states


def scenario(mode: str, cmds: list[str]) -> tuple[float, int, int, list[int]]:
    k = boot(vfio_rst("6.3" if mode in ("6.3", "ops-rwsem", "lift-singleton") else mode))
    k.fs.write_bytes("/sys/bus/pci/drivers/snd_emu10k1/unbind", b"0000:06:0d.0\n")
    lab = LabMachine(k)
    plan = lab.copy()
    paths = [build_path(parse_request(c), plan, mode, i) for i, c in enumerate(cmds)]
    t0 = time.perf_counter()
    ex = Explorer(lab, paths).run()
    return time.perf_counter() - t0, ex.interleavings, ex.states, [p.lock_steps for p in paths]


def main() -> int:
    lab = LabMachine(boot(vfio_rst("6.12")))
    worst = 0.0
    for n in (4, 8):
        dt, count, states = synthetic(lab, n)
        worst = max(worst, dt)
        print(
            f"synthetic 2 x {2 * n + 4:2d} lock steps: {dt:6.3f} s  "
            f"{count} interleavings, {states} states"
        )
    type26 = "echo identity > /sys/kernel/iommu_groups/26/type"
    remove = "echo 1 > /sys/bus/pci/devices/0000:06:0d.1/remove"
    for mode in ("lift-singleton", "ops-rwsem", "6.4", "6.12"):
        dt, count, states, steps = scenario(mode, [type26, remove])
        worst = max(worst, dt)
        print(
            f"{mode:15s} type vs remove, lock steps {steps}: {dt:6.3f} s  "
            f"{count} interleavings, {states} states"
        )
    print(f"slowest: {worst:.3f} s (goal < {GOAL} s): {'ok' if worst < GOAL else 'TOO SLOW'}")
    return 0 if worst < GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
