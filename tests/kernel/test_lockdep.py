"""Lock-order recording and lockdep-style reports."""

from __future__ import annotations

import pytest

from iommush.kernel.clock import VirtualClock
from iommush.kernel.lockdep import KernelLock, LockContended, Lockdep, LockEdge, LockSite
from iommush.kernel.printk import KERN_WARNING, PrintkRing


@pytest.fixture
def env() -> tuple[PrintkRing, Lockdep]:
    ring = PrintkRing(VirtualClock(start=30.0))
    ld = Lockdep(ring, release="6.3.0", version="#1")
    ld.set_current_task("bash", 412)
    return ring, ld


def store_type_then_release(ld: Lockdep) -> tuple[KernelLock, KernelLock]:
    group = KernelLock(ld, "&group->mutex", "group->mutex")
    dev = KernelLock(ld, "&dev->mutex", "device_lock")
    with dev.held("iommu_group_store_type"), group.held("iommu_change_dev_def_domain"):
        pass
    with group.held("iommu_release_device"), dev.held("device_release_driver_internal"):
        pass
    return group, dev


EXPECTED_CIRCULAR = """
======================================================
WARNING: possible circular locking dependency detected
6.3.0 #1 Not tainted
------------------------------------------------------
bash/412 is trying to acquire lock:
{dev:016x} (&dev->mutex){{+.+.}}-{{3:3}}, at: device_release_driver_internal

but task is already holding lock:
{group:016x} (&group->mutex){{+.+.}}-{{3:3}}, at: iommu_release_device

which lock already depends on the new lock.


the existing dependency chain (in reverse order) is:

-> #1 (&group->mutex){{+.+.}}-{{3:3}}:
       iommu_change_dev_def_domain

-> #0 (&dev->mutex){{+.+.}}-{{3:3}}:
       device_release_driver_internal

other info that might help us debug this:

 Possible unsafe locking scenario:

       CPU0                    CPU1
       ----                    ----
  lock(&group->mutex);
                               lock(&dev->mutex);
                               lock(&group->mutex);
  lock(&dev->mutex);

 *** DEADLOCK ***

1 lock held by bash/412:
 #0: {group:016x} (&group->mutex){{+.+.}}-{{3:3}}, at: iommu_release_device

stack backtrace:
CPU: 0 PID: 412 Comm: bash Not tainted 6.3.0 #1
Call Trace:
 <TASK>
 device_release_driver_internal
 iommu_release_device
 </TASK>"""


def test_inversion_prints_circular_dependency_report(env: tuple[PrintkRing, Lockdep]) -> None:
    ring, ld = env
    group, dev = store_type_then_release(ld)
    expected = EXPECTED_CIRCULAR.format(dev=dev.instance, group=group.instance)
    assert ld.reports() == [expected]
    recs = ring.records()
    assert [r.text for r in recs] == expected.split("\n")
    assert {r.level for r in recs} == {KERN_WARNING}


def test_report_is_printed_once_per_pair(env: tuple[PrintkRing, Lockdep]) -> None:
    ring, ld = env
    group, dev = store_type_then_release(ld)
    n = len(ring.records())
    with group.held("iommu_release_device"), dev.held("device_release_driver_internal"):
        pass
    assert len(ring.records()) == n
    assert len(ld.reports()) == 1


def test_consistent_order_is_silent_and_recorded_with_sites(
    env: tuple[PrintkRing, Lockdep],
) -> None:
    ring, ld = env
    group = KernelLock(ld, "&group->mutex", "group->mutex")
    dev = KernelLock(ld, "&dev->mutex", "device_lock")
    for site in ("a", "b", "a"):
        with group.held("iommu_group_store_type"), dev.held(site):
            pass
    assert ring.records() == []
    assert ld.edges() == [
        LockEdge(
            "group->mutex",
            "device_lock",
            (
                LockSite("iommu_group_store_type", "a", "bash/412"),
                LockSite("iommu_group_store_type", "b", "bash/412"),
            ),
        )
    ]
    assert ld.find_cycle() is None


def test_three_lock_chain_reports_chain_exists(env: tuple[PrintkRing, Lockdep]) -> None:
    _, ld = env
    a = KernelLock(ld, "&a->lock", "A")
    b = KernelLock(ld, "&b->lock", "B")
    c = KernelLock(ld, "&c->lock", "C")
    with a.held("fa"), b.held("fb"):
        pass
    with b.held("gb"), c.held("gc"):
        pass
    assert ld.reports() == []
    with c.held("hc"), a.held("ha"):
        pass
    (report,) = ld.reports()
    assert "-> #2 (&c->lock){+.+.}-{3:3}:\n       gc\n" in report
    assert "-> #1 (&b->lock){+.+.}-{3:3}:\n       fb\n" in report
    assert "-> #0 (&a->lock){+.+.}-{3:3}:\n       ha\n" in report
    assert "Chain exists of:\n  &a->lock --> &b->lock --> &c->lock\n" in report
    assert (
        "  lock(&c->lock);\n"
        "                               lock(&b->lock);\n"
        "                               lock(&c->lock);\n"
        "  lock(&a->lock);\n"
    ) in report
    cycle = ld.find_cycle()
    assert cycle is not None
    assert [(e.from_class, e.to_class) for e in cycle] == [("A", "B"), ("B", "C"), ("C", "A")]


def test_edge_goes_from_most_recent_held_lock_only(env: tuple[PrintkRing, Lockdep]) -> None:
    _, ld = env
    a, b, c = (KernelLock(ld, f"&{n}", n) for n in "abc")
    with a.held("1"), b.held("2"), c.held("3"):
        pass
    assert [(e.from_class, e.to_class) for e in ld.edges()] == [("a", "b"), ("b", "c")]
    assert [ch.classes for ch in ld.chains()] == [("a",), ("a", "b"), ("a", "b", "c")]


def test_same_class_nesting_reports_recursive_locking(env: tuple[PrintkRing, Lockdep]) -> None:
    _, ld = env
    d1 = KernelLock(ld, "&dev->mutex", "device_lock")
    d2 = KernelLock(ld, "&dev->mutex", "device_lock")
    with d1.held("loop_lock_devices"), d2.held("loop_lock_devices"):
        pass
    (report,) = ld.reports()
    lines = report.split("\n")
    assert lines[1:6] == [
        "============================================",
        "WARNING: possible recursive locking detected",
        "6.3.0 #1 Not tainted",
        "--------------------------------------------",
        "bash/412 is trying to acquire lock:",
    ]
    assert "       CPU0\n       ----\n  lock(&dev->mutex);\n  lock(&dev->mutex);\n" in report
    assert " May be due to missing lock nesting notation" in lines
    assert ld.edges() == []


def test_taking_a_held_lock_again_raises(env: tuple[PrintkRing, Lockdep]) -> None:
    _, ld = env
    lock = KernelLock(ld, "&group->mutex", "group->mutex")
    lock.lock("x")
    with pytest.raises(RuntimeError):
        lock.lock("y")
    assert [h.site for h in ld.held_locks()] == ["x"]
    lock.unlock()
    with pytest.raises(RuntimeError):
        lock.unlock()


def test_other_tasks_lock_is_contended_after_recording(env: tuple[PrintkRing, Lockdep]) -> None:
    _, ld = env
    group = KernelLock(ld, "&group->mutex", "group->mutex")
    dev = KernelLock(ld, "&dev->mutex", "device_lock")
    dev.lock("iommu_group_store_type")
    ld.set_current_task("kworker/0:1", 7)
    group.lock("iommu_release_device")
    with pytest.raises(LockContended) as exc:
        dev.lock("device_release_driver_internal")
    assert exc.value.owner == ("bash", 412)
    assert [(e.from_class, e.to_class) for e in ld.edges()] == [("group->mutex", "device_lock")]
    assert [h.site for h in ld.held_locks()] == ["iommu_release_device"]
    assert len(ld.held_locks(("bash", 412))) == 1


def test_one_shot_stops_after_first_report() -> None:
    ld = Lockdep(None, one_shot=True)
    a, b, c = (KernelLock(ld, f"&{n}", n) for n in "abc")
    for x, y in ((a, b), (b, a), (b, c), (c, b)):
        with x.held("s"), y.held("t"):
            pass
    assert len(ld.reports()) == 1
    assert not ld.debug_locks


def test_render_chains_and_classes(env: tuple[PrintkRing, Lockdep]) -> None:
    _, ld = env
    store_type_then_release(ld)
    chains = ld.render_chains()
    assert chains.startswith("all lock chains:\nirq_context: 0\n[")
    names = [
        [line.split("] ", 1)[1] for line in b.splitlines() if line.startswith("[")]
        for b in chains.removeprefix("all lock chains:\n").split("\n\n")
        if b
    ]
    assert names == [
        ["&dev->mutex"],
        ["&dev->mutex", "&group->mutex"],
        ["&group->mutex"],
        ["&group->mutex", "&dev->mutex"],
    ]
    classes = ld.render_classes()
    assert "FD:    2 BD:    2 +.+.: &group->mutex\n -> [" in classes
