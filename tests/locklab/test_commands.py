"""``race`` and ``lockdep`` as the shell runs them: output, exit status, clean errors."""

from __future__ import annotations

import pytest

from iommush.locklab import locklab_commands
from iommush.locklab.commands import lockdep_cmd, race

from .conftest import REMOVE_GP, TYPE26, UNBIND_GP, machine, run


@pytest.fixture(scope="module")
def k612():  # type: ignore[no-untyped-def]
    return machine("6.12")


def test_table_offers_race_and_lockdep() -> None:
    table = locklab_commands()
    assert {"race", "lockdep"} <= set(table.names())
    info = table.get("race")
    assert info is not None and "--what-if" in info.options
    assert info.resolve().fn is race
    assert "What-if modes" in info.resolve().help


def test_completion_knows_every_what_if_mode() -> None:
    from iommush.locklab import WHAT_IF, WHAT_IF_NAMES

    assert tuple(WHAT_IF) == WHAT_IF_NAMES


def test_what_if_lift_singleton_reports_the_deadlock(k612) -> None:  # type: ignore[no-untyped-def]
    r = run(race, k612, "race", "--what-if", "lift-singleton", TYPE26, REMOVE_GP)
    assert r.status == 1, r.err
    assert r.err == ""
    lines = r.out.splitlines()
    assert lines[0].startswith("race: 2 paths, what if: lift-singleton")
    assert any(line.startswith("DEADLOCK: ") for line in lines)
    assert "WARNING: possible circular locking dependency detected" in r.out
    assert "bash/4101 waits for 0000:06:0d.1, held by bash/4102" in r.out
    assert "bash/4102 waits for group 26->mutex, held by bash/4101" in r.out
    # the circular report comes right after the waits
    i = r.out.index("waits for group 26->mutex")
    assert r.out.index("circular locking dependency") < r.out.index("recursive locking")
    assert r.out.index("circular locking dependency") > i


@pytest.mark.parametrize("version", ["6.4", "6.12"])
def test_same_race_is_clean_under_6_4_and_6_12(version: str) -> None:
    k = machine(version)
    r = run(race, k, "race", TYPE26, UNBIND_GP)
    assert r.status == 0, r.out + r.err
    assert "no deadlock: none of the 14 interleavings deadlocks" in r.out
    assert "all is well" in r.out
    assert "write error: Operation not permitted" in r.out  # the ordering where unbind is late


def test_kernel_option_runs_another_version(k612) -> None:  # type: ignore[no-untyped-def]
    r = run(race, k612, "race", "--kernel", "6.4", TYPE26, UNBIND_GP)
    assert r.status == 0
    assert "(6.4 locking)" in r.out.splitlines()[0]


def test_broken_invariant_exits_1_with_the_interleaving(k612) -> None:  # type: ignore[no-untyped-def]
    r = run(race, k612, "race", "iommu_domain_alloc pci", REMOVE_GP)
    assert r.status == 1
    assert "no deadlock" in r.out
    assert "INVARIANT BROKEN" in r.out and "reached by:" in r.out


def test_ops_rwsem_deadlocks(k612) -> None:  # type: ignore[no-untyped-def]
    r = run(race, k612, "race", "--what-if=ops-rwsem", TYPE26, REMOVE_GP)
    assert r.status == 1
    assert "waits to read 0000:06:0d.1 ops_rwsem, held by bash/4102" in r.out


@pytest.mark.parametrize(
    ("argv", "msg"),
    [
        (["race", TYPE26], "usage: race"),
        (["race", TYPE26, "ls /sys"], "not a kernel path the lab knows"),
        (["race", "echo bogus > /sys/kernel/iommu_groups/26/type", REMOVE_GP], "not a group type"),
        (
            ["race", "echo identity > /sys/kernel/iommu_groups/99/type", REMOVE_GP],
            "no IOMMU group 99",
        ),
        (["race", "--what-if", "nope", TYPE26, REMOVE_GP], "unknown what-if mode 'nope'"),
        (["race", "--kernel", "5.0", TYPE26, REMOVE_GP], "unknown kernel version '5.0'"),
        (
            ["race", "--what-if", "lift-singleton", "--kernel", "6.4", TYPE26, REMOVE_GP],
            "runs on 6.3",
        ),
        (["race", "echo 1 > /sys/bus/pci/devices/0000:00:1e.0/remove", TYPE26], "endpoint"),
        (["race", "echo 0000:06:0d.1 > /sys/bus/pci/drivers/nodrv/bind", TYPE26], "no driver"),
    ],
)
def test_bad_input_is_a_clean_usage_error(k612, argv: list[str], msg: str) -> None:  # type: ignore[no-untyped-def]
    before = [d.name for d in k612.pci.devices]
    r = run(race, k612, *argv)
    assert r.status == 2
    assert r.out == ""
    assert r.err.startswith("race: ") and msg in r.err
    assert [d.name for d in k612.pci.devices] == before


def test_without_the_kernel_model_fails_cleanly() -> None:
    class NotAKernel:
        fs = None

    r = run(race, NotAKernel(), "race", TYPE26, REMOVE_GP)
    assert r.status == 1 and "needs the modelled kernel" in r.err
    r = run(lockdep_cmd, NotAKernel(), "lockdep")
    assert r.status == 1


def test_lockdep_shows_chains_and_warnings() -> None:
    k = machine("6.12")
    r = run(lockdep_cmd, k, "lockdep")
    assert r.status == 0
    assert r.out.startswith("all lock chains:\n")
    assert "&dev->mutex\n" in r.out and "&group->mutex\n" in r.out
    assert "warning" not in r.out
    # an inverted order recorded by the running kernel shows up as lockdep's warning
    g = k.iommu.groups[26]
    dev = k.pci.find("0000:06:0d.1")
    with g.mutex.held("test_inversion"), dev.mutex.held("test_inversion"):
        pass
    r = run(lockdep_cmd, k, "lockdep")
    assert "lockdep printed 1 warning(s):" in r.out
    assert "WARNING: possible circular locking dependency detected" in r.out
    r = run(lockdep_cmd, k, "lockdep", "--classes")
    assert r.out.startswith("all lock classes:\n")
    assert run(lockdep_cmd, k, "lockdep", "-x").status == 2
