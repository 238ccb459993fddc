"""Turning an exploration into what the learner reads.

The lock cycle of a deadlock is written by the kernel's own validator: the interleaving
that reached it is replayed, lock by lock, through a fresh
:class:`~iommush.kernel.lockdep.Lockdep`, each path as its own task; when the blocked tasks
then try the locks they wait for, lockdep prints "possible circular locking dependency
detected" with the chain and the paths (call sites) that recorded each dependency. The same
replay over the schedules that ended normally shows what lockdep would have said about the
lock orders even when no interleaving of these paths deadlocks.
"""

from __future__ import annotations

import errno
import os

from iommush.kernel.lockdep import KernelLock, LockContended, Lockdep

from .acts import result_of
from .explore import Exploration, ScheduleEntry
from .model import KernelPath, LockRef

__all__ = ["lockdep_replay", "render_exploration", "render_schedule"]


class _Replayer:
    """One Lockdep, one KernelLock per lock (per task for an rwsem, whose readers share
    it: the model's locks have a single owner)."""

    def __init__(self, paths: list[KernelPath], release: str) -> None:
        self.paths = paths
        self.ld = Lockdep(None, release=release, version="#1")
        self.locks: dict[tuple[str, int], KernelLock] = {}

    def lock_of(self, ref: LockRef, task: int) -> KernelLock:
        key = (ref.key, task if ref.rw else -1)
        lk = self.locks.get(key)
        if lk is None:
            lk = self.locks[key] = KernelLock(self.ld, ref.name, ref.lock_class)
        return lk

    def task(self, task: int) -> None:
        p = self.paths[task]
        self.ld.set_current_task(p.comm, p.pid, cpu=task)

    def run(self, schedule: list[ScheduleEntry]) -> None:
        for task, idx in schedule:
            step = self.paths[task].steps[idx]
            if step.lock is None or step.kind not in ("lock", "unlock"):
                continue
            self.task(task)
            lk = self.lock_of(step.lock, task)
            if step.kind == "lock":
                self.attempt(lk, step.site)
            elif lk.owner is not None:
                lk.unlock()

    def attempt(self, lk: KernelLock, site: str) -> None:
        try:
            lk.lock(site)
        except (LockContended, RuntimeError):
            pass

    def release_all(self) -> None:
        for i in range(len(self.paths)):
            self.task(i)
            for held in reversed(self.ld.held_locks()):
                held.lock.unlock()


def lockdep_replay(ex: Exploration, release: str) -> tuple[list[str], list[str]]:
    """(reports for the first deadlock, reports over every distinct normal ending)."""
    dead: list[str] = []
    if ex.deadlocks:
        d = ex.deadlocks[0]
        r = _Replayer(ex.paths, release)
        r.run(d.schedule)
        for b in d.blocked:
            r.task(b.task)
            r.attempt(r.lock_of(b.lock, b.task), ex.paths[b.task].steps[b.step].site)
        # the cycle first, then what else lockdep noticed on the way
        dead = sorted(r.ld.reports(), key=lambda t: "circular" not in t)
    r = _Replayer(ex.paths, release)
    for o in ex.outcomes:
        r.run(o.schedule)
        r.release_all()
    return dead, r.ld.reports()


def _who(p: KernelPath) -> str:
    return f"{p.comm}/{p.pid}"


def render_schedule(paths: list[KernelPath], schedule: list[ScheduleEntry]) -> list[str]:
    """The interleaving, one numbered step a line."""
    width = max(len(_who(p)) for p in paths)
    return [
        f"  {n:3d}  {_who(paths[t]):<{width}}  {paths[t].steps[i].describe()}"
        for n, (t, i) in enumerate(schedule, 1)
    ]


def _result(code: str) -> str:
    if code == "0":
        return "ok"
    num = getattr(errno, code, None)
    return f"write error: {os.strerror(num)}" if isinstance(num, int) else code


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def render_exploration(ex: Exploration, header: list[str], release: str) -> tuple[str, int]:
    """The report and the exit status (0: no deadlock, invariants hold, lockdep silent)."""
    out = list(header)
    for i, p in enumerate(ex.paths):
        out.append(
            f"  [{i + 1}] {_who(p)}: {p.command}  ({p.source}: {len(p.steps)} steps, "
            f"{p.lock_steps} lock/unlock)"
        )
    out.append(
        f"explored {_count(ex.interleavings, 'interleaving')} "
        f"({_count(ex.states, 'distinct state')})"
    )
    dead_reports, run_reports = lockdep_replay(ex, release)
    status = 0
    if ex.deadlocks:
        status = 1
        d = ex.deadlocks[0]
        out.append(
            f"DEADLOCK: {_count(ex.deadlocked_interleavings, 'interleaving')} of "
            f"{ex.interleavings} end with every unfinished task waiting. The first found:"
        )
        out += render_schedule(ex.paths, d.schedule)
        for b in d.blocked:
            holders = ", ".join(_who(ex.paths[h]) for h in b.holders) or "nobody"
            verb = {"x": "waits for", "r": "waits to read", "w": "waits to write"}[b.mode]
            behind = "".join(f", behind the queued writer {_who(ex.paths[q])}" for q in b.queued)
            out.append(
                f"  {_who(ex.paths[b.task])} {verb} {b.lock.describe()}, held by {holders}{behind}"
            )
        out += [line for rep in dead_reports for line in rep.split("\n")]
    else:
        out.append(f"no deadlock: none of the {ex.interleavings} interleavings deadlocks")
    out.append(f"{_count(len(ex.outcomes), 'distinct end state')}:")
    for n, o in enumerate(ex.outcomes, 1):
        results = "; ".join(
            f"{_who(p)}: {_result(result_of(o.notes, i))}" for i, p in enumerate(ex.paths)
        )
        verdict = "invariants hold" if not o.broken else "INVARIANT BROKEN"
        out.append(f"  end state {n}: {results} -- {verdict}")
        if o.broken:
            status = 1
            out += [f"    broken: {b}" for b in o.broken]
            out.append("    reached by:")
            out += ["  " + line for line in render_schedule(ex.paths, o.schedule)]
    if not ex.deadlocks and run_reports:
        status = 1
        out.append("no interleaving of these paths deadlocks, but lockdep sees the lock orders:")
        out += [line for rep in run_reports for line in rep.split("\n")]
    if status == 0:
        out.append("all is well: no deadlock, every end state keeps the invariants")
    return "\n".join(out) + "\n", status
