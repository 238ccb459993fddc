"""The explorer on hand-written paths: exact interleaving counts, AB-BA deadlocks, rwsem
writer queueing, acts that branch."""

from __future__ import annotations

from math import comb

import pytest

from iommush.locklab import Explorer, LabMachine
from iommush.locklab.acts import act_nothing
from iommush.locklab.model import KernelPath, LockRef, PathBuilder, note_add

from .conftest import machine

A = LockRef("A", "&a->mutex", "a->mutex")
B = LockRef("B", "&b->mutex", "b->mutex")
RW = LockRef("R", "&r->sem", "r->sem", rw=True)


@pytest.fixture(scope="module")
def lab() -> LabMachine:
    return LabMachine(machine("6.12"))


def path(b: PathBuilder, i: int) -> KernelPath:
    return b.build(f"path {i}", "bash", 4101 + i, "test")


def locks(*refs: LockRef, acts: int = 0) -> PathBuilder:
    b = PathBuilder()
    for r in refs:
        b.lock(r, f"take_{r.key}")
    for _ in range(acts):
        b.act("nothing", act_nothing, mutates=False)
    for r in reversed(refs):
        b.unlock(r)
    return b


@pytest.mark.parametrize(("n", "m"), [(1, 1), (2, 3), (4, 4)])
def test_independent_paths_count_every_interleaving(lab: LabMachine, n: int, m: int) -> None:
    p0 = PathBuilder()
    for _ in range(n):
        p0.act("x", act_nothing, mutates=False)
    p1 = PathBuilder()
    for _ in range(m):
        p1.act("y", act_nothing, mutates=False)
    ex = Explorer(lab, [path(p0, 0), path(p1, 1)]).run()
    assert ex.interleavings == comb(n + m, n)
    assert not ex.deadlocks
    assert len(ex.outcomes) == 1 and not ex.outcomes[0].broken


def test_same_lock_serialises(lab: LabMachine) -> None:
    ex = Explorer(lab, [path(locks(A), 0), path(locks(A), 1)]).run()
    # lock,unlock | lock,unlock: only the two orders of the critical sections
    assert ex.interleavings == 2
    assert not ex.deadlocks


def test_ab_ba_deadlock_found_with_witness(lab: LabMachine) -> None:
    ex = Explorer(lab, [path(locks(A, B), 0), path(locks(B, A), 1)]).run()
    assert ex.deadlocked_interleavings == 2
    d = ex.deadlocks[0]
    waits = {(b.task, b.lock.key, b.holders) for b in d.blocked}
    assert waits == {(0, "B", (1,)), (1, "A", (0,))}
    # the witness takes A in task 0 and B in task 1 before both block
    taken = [(t, ex.paths[t].steps[i].lock.key) for t, i in d.schedule]  # type: ignore[union-attr]
    assert sorted(taken) == [(0, "A"), (1, "B")]


def test_queued_writer_blocks_new_readers(lab: LabMachine) -> None:
    reader = PathBuilder()
    reader.lock(RW, "r1", "r")
    reader.lock(A, "a")
    reader.unlock(A)
    reader.unlock(RW, "r")
    writer = PathBuilder()
    writer.lock(RW, "w", "w")
    writer.unlock(RW, "w")
    second = PathBuilder()
    second.lock(A, "a2")
    second.lock(RW, "r2", "r")
    second.unlock(RW, "r")
    second.unlock(A)
    ex = Explorer(lab, [path(reader, 0), path(writer, 1), path(second, 2)]).run()
    # reader holds R and wants A; second holds A and waits behind the queued writer
    assert ex.deadlocks
    blocked = {b.task: b for b in ex.deadlocks[0].blocked}
    assert set(blocked) == {0, 1, 2}
    assert blocked[2].holders == (0,) and blocked[2].queued == (1,)
    # without the writer, readers share the semaphore and nothing deadlocks
    ex2 = Explorer(lab, [path(reader, 0), path(second, 2)]).run()
    assert not ex2.deadlocks


def test_act_jumps_and_notes_split_end_states(lab: LabMachine) -> None:
    def first(k, notes, task):  # type: ignore[no-untyped-def]
        return None, note_add(notes, "first", str(task))

    def check(k, notes, task):  # type: ignore[no-untyped-def]
        if ("first", "1") in notes:
            return "late", notes
        return None, note_add(notes, "won", str(task))

    p0 = PathBuilder()
    p0.act("check", check, mutates=False)
    p0.ret()
    p0.label("late")
    p1 = PathBuilder()
    p1.act("first", first, mutates=False)
    ex = Explorer(lab, [path(p0, 0), path(p1, 1)]).run()
    # check, return | first: first may run before check, between check and return, or last
    assert ex.interleavings == 3
    ends = sorted(sorted(o.notes) for o in ex.outcomes)
    assert ends == [[("first", "1")], [("first", "1"), ("won", "0")]]
