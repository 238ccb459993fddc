"""The virtual clock: seconds since boot, and timers that fire as it advances.

Nothing in the model reads the host's clock. Time moves only when something advances it
(a ``sleep`` in the shell, a modelled delay at boot), so every timestamp in the kernel log
and the trace buffer is reproducible. Timers stand in for ``struct timer_list``
(``kernel/time/timer.c``): the DMA flush queue arms one for ``IOVA_FQ_TIMEOUT`` (10 ms).

Time is kept as an integer count of nanoseconds (``local_clock()``/``ktime_get()`` are
nanosecond counters too), so adding many small steps never drifts.

>>> clock = VirtualClock(start=1.5)
>>> fired = []
>>> _ = clock.add_timer(0.010, lambda: fired.append(clock.now()))
>>> clock.advance(0.005); fired
[]
>>> clock.advance(0.005); fired
[1.51]
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable

__all__ = ["NSEC_PER_SEC", "Timer", "VirtualClock", "seconds_to_ns"]

NSEC_PER_SEC = 1_000_000_000


def seconds_to_ns(seconds: float) -> int:
    """``seconds`` as a whole number of nanoseconds (rounded to the nearest one)."""
    return round(seconds * NSEC_PER_SEC)


class Timer:
    """A pending one-shot timer (``struct timer_list``); create it with
    :meth:`VirtualClock.add_timer`."""

    __slots__ = ("expires_ns", "callback", "_pending", "_seq")

    def __init__(self, expires_ns: int, callback: Callable[[], None], seq: int) -> None:
        self.expires_ns = expires_ns
        self.callback = callback
        self._pending = True
        self._seq = seq

    @property
    def expires(self) -> float:
        """When the timer fires, in seconds since boot."""
        return self.expires_ns / NSEC_PER_SEC

    @property
    def pending(self) -> bool:
        """True until the timer has fired or been cancelled (``timer_pending``)."""
        return self._pending

    def cancel(self) -> bool:
        """Stop the timer (``del_timer``): True if it was still pending."""
        was = self._pending
        self._pending = False
        return was

    def __lt__(self, other: Timer) -> bool:
        return (self.expires_ns, self._seq) < (other.expires_ns, other._seq)

    def __repr__(self) -> str:
        state = "pending" if self._pending else "inactive"
        return f"<Timer at {self.expires:.6f} {state}>"


class VirtualClock:
    """Seconds since boot on a clock that moves only when :meth:`advance` is called."""

    def __init__(self, start: float = 0.0) -> None:
        if start < 0:
            raise ValueError("boot time cannot be negative")
        self._ns = seconds_to_ns(start)
        self._timers: list[Timer] = []
        self._seq = itertools.count()

    def now(self) -> float:
        """Seconds since boot (``local_clock() / NSEC_PER_SEC``)."""
        return self._ns / NSEC_PER_SEC

    def now_ns(self) -> int:
        """Nanoseconds since boot (``local_clock()``)."""
        return self._ns

    def jiffies(self, hz: int) -> int:
        """The tick count at ``hz`` ticks per second, counted from boot."""
        return self._ns * hz // NSEC_PER_SEC

    def add_timer(self, delay: float, callback: Callable[[], None]) -> Timer:
        """Arm a one-shot timer ``delay`` seconds from now (``mod_timer``).

        A timer armed with no delay fires on the next :meth:`advance`, even ``advance(0)``.
        """
        if delay < 0:
            raise ValueError("timer delay cannot be negative")
        timer = Timer(self._ns + seconds_to_ns(delay), callback, next(self._seq))
        heapq.heappush(self._timers, timer)
        return timer

    def pending_timers(self) -> list[Timer]:
        """Timers still waiting, earliest first."""
        return sorted(t for t in self._timers if t.pending)

    def advance(self, seconds: float) -> None:
        """Move time forward by ``seconds``, firing every timer that falls due.

        Timers fire in expiry order (ties: the one armed first); while a callback runs,
        :meth:`now` reads its expiry time, so what it logs carries that timestamp. A timer
        armed by a callback fires in the same call if it falls due before the end.
        """
        if seconds < 0:
            raise ValueError("time cannot go backwards")
        end = self._ns + seconds_to_ns(seconds)
        while self._timers and self._timers[0].expires_ns <= end:
            timer = heapq.heappop(self._timers)
            if not timer.pending:
                continue
            timer._pending = False
            self._ns = max(self._ns, timer.expires_ns)
            timer.callback()
        self._ns = end

    def run_timers(self) -> None:
        """Fire the timers already due without moving time (``advance(0)``)."""
        self.advance(0.0)
