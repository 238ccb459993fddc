"""Every interleaving of two or three kernel paths, explored on copies of the machine.

A state is (each task's position, who holds which lock, the kernel state's fingerprint,
the lab's notes). From a state every task whose next step can run is tried: a lock is
taken only when free (an rwsem read also waits behind a queued writer, as
``rwsem_down_read_slowpath`` makes readers do), unlocks and acts always run. States are
memoised, so the number of schedules is counted exactly (it grows like a binomial
coefficient) while the work grows only with the number of distinct states.

A state in which some task has not finished and none can move is a deadlock; the explorer
keeps the first schedule reaching each distinct one. Finished states are grouped by their
kernel state and notes, each with the first schedule that reached it, and checked for broken
invariants once.
"""

from __future__ import annotations

import sys
from collections.abc import Hashable
from dataclasses import dataclass, field

from iommush.kernel import Kernel

from .machine import LabMachine, fingerprint, lab_invariants
from .model import KernelPath, LockRef, Notes, Step

__all__ = ["Blocked", "Deadlock", "Exploration", "Explorer", "Outcome", "ScheduleEntry"]

#: (task index, step index) in the order the steps ran.
ScheduleEntry = tuple[int, int]
#: lock key -> (writer or mutex owner task, or -1; reader tasks)
LockState = tuple[tuple[str, int, frozenset[int]], ...]


@dataclass(frozen=True)
class Blocked:
    """A task waiting for ``lock``, held by ``holders`` (a reader also waits behind the
    writers ``queued`` on it)."""

    task: int
    step: int
    lock: LockRef
    mode: str
    holders: tuple[int, ...]
    queued: tuple[int, ...] = ()


@dataclass
class Deadlock:
    """A reachable state where every unfinished task waits."""

    schedule: list[ScheduleEntry]
    blocked: list[Blocked]


@dataclass
class Outcome:
    """A distinct final state: its notes, broken invariants and a schedule reaching it."""

    schedule: list[ScheduleEntry]
    notes: Notes
    broken: list[str]
    kernel: Kernel


@dataclass
class Exploration:
    """What :meth:`Explorer.run` found."""

    paths: list[KernelPath]
    interleavings: int = 0
    deadlocked_interleavings: int = 0
    states: int = 0
    deadlocks: list[Deadlock] = field(default_factory=list)
    outcomes: list[Outcome] = field(default_factory=list)
    copies: int = 0

    @property
    def broken(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.broken]


_Key = tuple[tuple[int, ...], LockState, Hashable, Notes]


class Explorer:
    """Runs ``paths`` concurrently over every interleaving on copies of ``machine``."""

    def __init__(self, machine: LabMachine, paths: list[KernelPath]) -> None:
        if not 1 <= len(paths) <= 3:
            raise ValueError("the lab races one to three paths")
        self.machine = machine
        self.paths = paths
        self._memo: dict[_Key, tuple[int, int]] = {}
        self._kernels: dict[Hashable, Kernel] = {}
        self._acts: dict[tuple[Hashable, Notes, int, int], tuple[str | None, Hashable, Notes]] = {}
        self._stack: list[ScheduleEntry] = []
        self._deadlocks: dict[tuple[tuple[int, ...], LockState], Deadlock] = {}
        self._outcomes: dict[tuple[Hashable, Notes], Outcome] = {}

    # -- public ----------------------------------------------------------------------
    def run(self) -> Exploration:
        k = self.machine.copy()
        fp = fingerprint(k)
        self._kernels[fp] = k
        start = tuple(self._skip_labels(i, 0) for i in range(len(self.paths)))
        limit = sys.getrecursionlimit()
        depth = sum(len(p.steps) for p in self.paths) * 3 + 200
        sys.setrecursionlimit(max(limit, depth))
        try:
            total, dead = self._visit(start, (), fp, frozenset())
        finally:
            sys.setrecursionlimit(limit)
        return Exploration(
            self.paths,
            interleavings=total,
            deadlocked_interleavings=dead,
            states=len(self._memo),
            deadlocks=list(self._deadlocks.values()),
            outcomes=list(self._outcomes.values()),
            copies=self.machine.copies,
        )

    # -- the search ------------------------------------------------------------------
    def _skip_labels(self, task: int, pos: int) -> int:
        steps = self.paths[task].steps
        while pos < len(steps) and steps[pos].kind == "label":
            pos += 1
        return pos

    def _visit(
        self, pos: tuple[int, ...], locks: LockState, fp: Hashable, notes: Notes
    ) -> tuple[int, int]:
        key = (pos, locks, fp, notes)
        hit = self._memo.get(key)
        if hit is not None:
            return hit
        total = dead = 0
        moved = False
        for task, p in enumerate(pos):
            steps = self.paths[task].steps
            if p >= len(steps):
                continue
            nxt = self._step(task, p, steps[p], pos, locks, fp, notes)
            if nxt is None:
                continue
            moved = True
            self._stack.append((task, p))
            t, d = self._visit(*nxt)
            self._stack.pop()
            total += t
            dead += d
        if not moved:
            total = 1
            if all(p >= len(self.paths[i].steps) for i, p in enumerate(pos)):
                self._finish(fp, notes)
            else:
                dead = 1
                self._deadlock(pos, locks)
        self._memo[key] = (total, dead)
        return total, dead

    def _step(
        self,
        task: int,
        p: int,
        step: Step,
        pos: tuple[int, ...],
        locks: LockState,
        fp: Hashable,
        notes: Notes,
    ) -> tuple[tuple[int, ...], LockState, Hashable, Notes] | None:
        new_p = p + 1
        if step.kind == "lock":
            assert step.lock is not None
            if not self._grantable(task, step, pos, locks):
                return None
            locks = self._acquire(locks, step.lock.key, task, step.mode)
        elif step.kind == "unlock":
            assert step.lock is not None
            locks = self._release(locks, step.lock.key, task)
        elif step.kind == "act":
            jump, fp, notes = self._run_act(task, p, step, fp, notes)
            if jump is not None:
                new_p = self.paths[task].labels[jump]
        elif step.kind == "return":
            new_p = len(self.paths[task].steps)
        new_pos = pos[:task] + (self._skip_labels(task, new_p),) + pos[task + 1 :]
        return new_pos, locks, fp, notes

    # -- locks -----------------------------------------------------------------------
    @staticmethod
    def _holders(locks: LockState, key: str) -> tuple[int, frozenset[int]]:
        for k, w, r in locks:
            if k == key:
                return w, r
        return -1, frozenset()

    def _grantable(self, task: int, step: Step, pos: tuple[int, ...], locks: LockState) -> bool:
        assert step.lock is not None
        w, readers = self._holders(locks, step.lock.key)
        if w == task or task in readers:
            return False  # taking a lock the task already holds: it waits for itself
        if w != -1:
            return False
        if step.mode != "r":
            return not readers
        if not readers:
            return True
        # readers hold it: a writer already queued on it makes new readers queue too
        for other, q in enumerate(pos):
            if other == task or q >= len(self.paths[other].steps):
                continue
            s = self.paths[other].steps[q]
            if s.kind == "lock" and s.mode == "w" and s.lock is not None:
                if s.lock.key == step.lock.key:
                    return False
        return True

    @staticmethod
    def _acquire(locks: LockState, key: str, task: int, mode: str) -> LockState:
        out = [e for e in locks if e[0] != key]
        old = [e for e in locks if e[0] == key]
        readers = old[0][2] if old else frozenset()
        if mode == "r":
            out.append((key, -1, readers | {task}))
        else:
            out.append((key, task, frozenset()))
        return tuple(sorted(out, key=lambda e: e[0]))

    @staticmethod
    def _release(locks: LockState, key: str, task: int) -> LockState:
        out: list[tuple[str, int, frozenset[int]]] = []
        for k, w, r in locks:
            if k != key:
                out.append((k, w, r))
                continue
            if w == task:
                continue
            if task not in r:
                raise RuntimeError(f"task {task} releases {key}, which it does not hold")
            if r - {task}:
                out.append((k, -1, r - {task}))
        return tuple(out)

    # -- acts ------------------------------------------------------------------------
    def _run_act(
        self, task: int, p: int, step: Step, fp: Hashable, notes: Notes
    ) -> tuple[str | None, Hashable, Notes]:
        ck = (fp, notes, task, p)
        hit = self._acts.get(ck)
        if hit is not None:
            return hit
        act = step.act
        assert act is not None
        kern = self._kernels[fp]
        if act.mutates:
            kern = self.machine.copy(kern)
        jump, new_notes = act.fn(kern, notes, task)
        new_fp = fingerprint(kern)
        if not act.mutates and new_fp != fp:
            raise RuntimeError(f"{act.func}: a read-only act changed the kernel")
        if new_fp not in self._kernels:
            self._kernels[new_fp] = kern
        if jump is not None and jump not in self.paths[task].labels:
            raise RuntimeError(f"{act.func}: jump to unknown label {jump}")
        result = (jump, new_fp, new_notes)
        self._acts[ck] = result
        return result

    # -- results ---------------------------------------------------------------------
    def _finish(self, fp: Hashable, notes: Notes) -> None:
        key = (fp, notes)
        if key in self._outcomes:
            return
        kern = self._kernels[fp]
        self._outcomes[key] = Outcome(list(self._stack), notes, lab_invariants(kern, notes), kern)

    def _deadlock(self, pos: tuple[int, ...], locks: LockState) -> None:
        key = (pos, locks)
        if key in self._deadlocks:
            return
        blocked: list[Blocked] = []
        for task, p in enumerate(pos):
            steps = self.paths[task].steps
            if p >= len(steps):
                continue
            s = steps[p]
            assert s.lock is not None
            w, r = self._holders(locks, s.lock.key)
            holders = tuple(sorted(({w} if w != -1 else set()) | set(r)))
            queued: tuple[int, ...] = ()
            if s.mode == "r" and w == -1:
                queued = tuple(
                    o
                    for o, q in enumerate(pos)
                    if o != task
                    and q < len(self.paths[o].steps)
                    and self.paths[o].steps[q].kind == "lock"
                    and self.paths[o].steps[q].mode == "w"
                    and self.paths[o].steps[q].lock == s.lock
                )
            blocked.append(Blocked(task, p, s.lock, s.mode, holders, queued))
        self._deadlocks[key] = Deadlock(list(self._stack), blocked)
