"""The issue's scenarios under each version: the deadlock 6.3's singleton rule prevented,
the locks-in-a-loop design deadlocking, 6.4 and 6.12 free of both."""

from __future__ import annotations

import pytest

from iommush.locklab.acts import result_of
from iommush.locklab.report import lockdep_replay

from .conftest import BIND_GP, DMA26, REMOVE_GP, TYPE26, UNBIND_GP, explore, machine


def _cycle_classes(ex) -> set[str]:  # type: ignore[no-untyped-def]
    return {b.lock.lock_class for b in ex.deadlocks[0].blocked}


@pytest.mark.parametrize("other", [REMOVE_GP, UNBIND_GP])
def test_lifting_the_singleton_rule_deadlocks_device_lock_vs_group_mutex(other: str) -> None:
    ex = explore("lift-singleton", TYPE26, other)
    assert ex.deadlocks, "the what-if must reach a deadlock"
    d = ex.deadlocks[0]
    waits = {(b.task, b.lock.lock_class) for b in d.blocked}
    # the type store holds group->mutex and waits for the device; the other path holds the
    # device lock and waits for group->mutex
    assert waits == {(0, "device_lock"), (1, "group->mutex")}
    assert {b.holders for b in d.blocked} == {(0,), (1,)}
    dead_reports, _ = lockdep_replay(ex, "6.3.0")
    circular = [r for r in dead_reports if "circular locking dependency" in r]
    assert len(circular) == 1
    text = circular[0]
    assert "(&group->mutex)" in text and "(&dev->mutex)" in text
    assert "bash/4102 is trying to acquire lock:" in text
    assert "iommu_device_unuse_default_domain" in text  # where the remove path takes it
    assert "iommu_group_store_type" in text  # the dependency the store recorded
    assert " *** DEADLOCK ***" in text


def test_real_6_3_refuses_the_multi_device_group_instead() -> None:
    ex = explore("6.3", TYPE26, REMOVE_GP)
    assert not ex.deadlocks
    assert {result_of(o.notes, 0) for o in ex.outcomes} == {"EINVAL"}
    assert not any(o.broken for o in ex.outcomes)


def test_ops_rwsem_loop_deadlocks_against_removal() -> None:
    ex = explore("ops-rwsem", TYPE26, REMOVE_GP)
    assert ex.deadlocks
    blocked = {b.task: b for b in ex.deadlocks[0].blocked}
    assert blocked[0].lock.lock_class == "ops_rwsem" and blocked[0].mode == "r"
    assert blocked[1].lock.lock_class == "group->mutex"
    assert _cycle_classes(ex) == {"ops_rwsem", "group->mutex"}
    dead_reports, _ = lockdep_replay(ex, "6.3.0")
    assert any("possible recursive locking detected" in r for r in dead_reports)
    assert any("circular locking dependency" in r for r in dead_reports)


@pytest.mark.parametrize("version", ["6.4", "6.12"])
@pytest.mark.parametrize(
    "cmds",
    [(TYPE26, REMOVE_GP), (TYPE26, UNBIND_GP), (TYPE26, DMA26, REMOVE_GP)],
    ids=["type-remove", "type-unbind", "type-type-remove"],
)
def test_6_4_and_6_12_never_deadlock(version: str, cmds: tuple[str, ...]) -> None:
    ex = explore(version, *cmds)
    assert ex.interleavings > 1
    assert not ex.deadlocks and ex.deadlocked_interleavings == 0
    assert not any(o.broken for o in ex.outcomes)
    _, run_reports = lockdep_replay(ex, version)
    assert run_reports == []


@pytest.mark.parametrize("version", ["6.4", "6.12"])
def test_6_4_type_change_succeeds_once_the_group_is_free(version: str) -> None:
    ex = explore(version, TYPE26, UNBIND_GP)
    results = {result_of(o.notes, 0) for o in ex.outcomes}
    # before the unbind owner_cnt refuses the change (EPERM); after it, it succeeds
    assert results == {"EPERM", "0"}
    changed = [o for o in ex.outcomes if result_of(o.notes, 0) == "0"]
    assert all(o.kernel.iommu.groups[26].default_domain.type == 0x4 for o in changed)  # type: ignore[union-attr]


def test_6_3_release_outside_the_mutex_breaks_an_invariant() -> None:
    """v6.3 calls ops->release_device before the device leaves the group list; a singleton
    type change in that window attaches a released device."""
    k = machine("6.3")
    ex = explore(
        "6.3",
        "echo identity > /sys/kernel/iommu_groups/1/type",
        "echo 1 > /sys/bus/pci/devices/0000:00:1a.0/remove",
        kernel=k,
    )
    broken = [b for o in ex.outcomes for b in o.broken]
    assert any("after ops->release_device" in b for b in broken)
    ex4 = explore(
        "6.4",
        "echo identity > /sys/kernel/iommu_groups/1/type",
        "echo 1 > /sys/bus/pci/devices/0000:00:1a.0/remove",
    )
    assert not any(o.broken for o in ex4.outcomes)


def test_domain_alloc_sweep_races_release_in_6_12_not_when_locked() -> None:
    ex = explore("6.12", "iommu_domain_alloc pci", REMOVE_GP)
    assert not ex.deadlocks
    assert any("dev->iommu after iommu_release_device" in b for o in ex.outcomes for b in o.broken)
    fixed = explore("locked-sweep", "iommu_domain_alloc pci", REMOVE_GP)
    assert not fixed.deadlocks
    assert not any(o.broken for o in fixed.outcomes)


def test_bind_and_vfio_claim_race_cleanly_in_6_12() -> None:
    k = machine("6.12")
    k.fs.write_bytes("/sys/bus/pci/drivers/emu10k1_gp/unbind", b"0000:06:0d.1\n")
    ex = explore("6.12", BIND_GP, "vfio-claim 26", kernel=k)
    assert not ex.deadlocks
    assert not any(o.broken for o in ex.outcomes)
    pairs = {(result_of(o.notes, 0), result_of(o.notes, 1)) for o in ex.outcomes}
    # whichever takes group->mutex first wins; the other is refused
    assert pairs == {("0", "EPERM"), ("EBUSY", "0")}


def test_the_running_kernel_is_not_touched() -> None:
    k = machine("6.12")
    before = (k.iommu.groups[26].owner_cnt, [d.name for d in k.pci.devices])
    explore("6.12", TYPE26, REMOVE_GP, kernel=k)
    assert (k.iommu.groups[26].owner_cnt, [d.name for d in k.pci.devices]) == before
    assert k.check_invariants() == []
