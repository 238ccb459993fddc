"""The virtual clock and its timers."""

from __future__ import annotations

import pytest

from iommush.kernel.clock import VirtualClock


def test_starts_at_boot_uptime_and_advances() -> None:
    clock = VirtualClock(start=1.25)
    assert clock.now() == 1.25
    clock.advance(0.5)
    assert clock.now() == 1.75
    assert clock.now_ns() == 1_750_000_000


def test_many_small_steps_do_not_drift() -> None:
    clock = VirtualClock()
    for _ in range(1000):
        clock.advance(0.001)
    assert clock.now_ns() == 1_000_000_000


def test_timer_fires_at_its_expiry_time() -> None:
    clock = VirtualClock(start=2.0)
    seen: list[float] = []
    timer = clock.add_timer(0.010, lambda: seen.append(clock.now()))
    clock.advance(0.009)
    assert seen == [] and timer.pending
    clock.advance(0.005)
    assert seen == [2.010]
    assert not timer.pending
    assert clock.now() == pytest.approx(2.014)


def test_timers_fire_in_expiry_order_then_arming_order() -> None:
    clock = VirtualClock()
    order: list[str] = []
    clock.add_timer(0.3, lambda: order.append("c"))
    clock.add_timer(0.1, lambda: order.append("a"))
    clock.add_timer(0.1, lambda: order.append("b"))
    clock.advance(1)
    assert order == ["a", "b", "c"]


def test_cancelled_timer_never_fires() -> None:
    clock = VirtualClock()
    fired: list[int] = []
    timer = clock.add_timer(0.01, lambda: fired.append(1))
    assert timer.cancel() is True
    assert timer.cancel() is False
    clock.advance(1)
    assert fired == []


def test_timer_armed_by_a_callback_fires_within_the_same_advance() -> None:
    clock = VirtualClock()
    fired: list[float] = []

    def rearm() -> None:
        fired.append(clock.now())
        if len(fired) < 3:
            clock.add_timer(0.010, rearm)

    clock.add_timer(0.010, rearm)
    clock.advance(0.1)
    assert fired == [0.01, 0.02, 0.03]
    assert clock.pending_timers() == []


def test_zero_delay_timer_fires_on_run_timers() -> None:
    clock = VirtualClock()
    fired: list[int] = []
    clock.add_timer(0, lambda: fired.append(1))
    clock.run_timers()
    assert fired == [1]


def test_bad_values_are_refused() -> None:
    with pytest.raises(ValueError):
        VirtualClock(start=-1)
    clock = VirtualClock()
    with pytest.raises(ValueError):
        clock.advance(-0.1)
    with pytest.raises(ValueError):
        clock.add_timer(-1, lambda: None)


def test_jiffies() -> None:
    clock = VirtualClock(start=5.0)
    assert clock.jiffies(250) == 1250
    clock.advance(0.003)
    assert clock.jiffies(250) == 1250
    clock.advance(0.001)
    assert clock.jiffies(250) == 1251
