"""The printk ring buffer (``kernel/printk/printk.c``) and ``printk_ratelimited``
(``lib/ratelimit.c``), on the virtual clock.

Each record holds the time it was logged, its level and one line of text, as the records
``dmesg`` reads with ``syslog(SYSLOG_ACTION_READ_ALL)``. The ring has a fixed size, as the
kernel's ``log_buf`` does (``CONFIG_LOG_BUF_SHIFT=17`` on Debian: 128 KiB): when it is
full the oldest records are overwritten.

>>> from iommush.kernel.clock import VirtualClock
>>> clock = VirtualClock(start=2.5)
>>> ring = PrintkRing(clock)
>>> ring.printk("iommu: Default domain type: Translated")
>>> format_record(ring.records()[0])
'[    2.500000] iommu: Default domain type: Translated'
"""

from __future__ import annotations

from collections import deque
from functools import partial
from typing import NamedTuple

from .clock import NSEC_PER_SEC, VirtualClock, seconds_to_ns

__all__ = [
    "DEFAULT_RATELIMIT_BURST",
    "DEFAULT_RATELIMIT_INTERVAL",
    "HZ",
    "KERN_ALERT",
    "KERN_CRIT",
    "KERN_DEBUG",
    "KERN_EMERG",
    "KERN_ERR",
    "KERN_INFO",
    "KERN_NOTICE",
    "KERN_WARNING",
    "LOG_BUF_LEN",
    "PrintkRecord",
    "PrintkRing",
    "RatelimitState",
    "format_record",
    "format_timestamp",
]

KERN_EMERG = 0
KERN_ALERT = 1
KERN_CRIT = 2
KERN_ERR = 3
KERN_WARNING = 4
KERN_NOTICE = 5
KERN_INFO = 6
KERN_DEBUG = 7

#: ``CONFIG_HZ`` of the Debian amd64 kernels the transcripts were recorded on.
HZ = 250
#: ``include/linux/ratelimit_types.h``: ``DEFAULT_RATELIMIT_INTERVAL (5 * HZ)``, in jiffies.
DEFAULT_RATELIMIT_INTERVAL = 5 * HZ
#: ``DEFAULT_RATELIMIT_BURST``: messages allowed per interval.
DEFAULT_RATELIMIT_BURST = 10
#: ``1 << CONFIG_LOG_BUF_SHIFT`` bytes of text the ring keeps.
LOG_BUF_LEN = 1 << 17
#: Bytes of bookkeeping a record costs besides its text (``struct printk_info`` is larger,
#: but lives in a separate descriptor ring; this keeps tiny records from being free).
_RECORD_OVERHEAD = 16


class PrintkRecord(NamedTuple):
    """One printk record: seconds since boot, level (0-7), one line of text.

    Field for field the same as ``iommush.shell.system.LogRecord``.
    """

    time: float
    level: int
    text: str


#: ``PrintkRecord(time, level, text)`` without the Python-level ``__new__``.
_new_record = partial(tuple.__new__, PrintkRecord)


def format_timestamp(seconds: float) -> str:
    """``[%5lu.%06lu]``, the timestamp prefix of ``print_time()`` and of ``dmesg``.

    The microseconds are truncated from the nanosecond clock, as ``do_div`` does.
    """
    ns = seconds_to_ns(seconds)
    sec, rem = divmod(ns, NSEC_PER_SEC)
    return f"[{sec:5d}.{rem // 1000:06d}]"


def format_record(rec: PrintkRecord) -> str:
    """A record as ``dmesg`` prints it: ``[    0.000000] text``."""
    return f"{format_timestamp(rec.time)} {rec.text}"


class RatelimitState:
    """``struct ratelimit_state`` and ``___ratelimit()`` of ``lib/ratelimit.c`` (v6.1-v6.12).

    At most ``burst`` messages pass per ``interval`` jiffies. The window starts with the first
    call; the first call more than ``interval`` jiffies after the window began
    (``time_is_before_jiffies(begin + interval)``) opens a new window, and if messages were
    suppressed in the old one it first logs ``"<func>: <n> callbacks suppressed"`` at
    KERN_WARNING.
    """

    __slots__ = ("interval", "burst", "begin", "printed", "missed")

    def __init__(
        self, interval: int = DEFAULT_RATELIMIT_INTERVAL, burst: int = DEFAULT_RATELIMIT_BURST
    ) -> None:
        self.interval = interval
        self.burst = burst
        self.begin: int | None = None
        self.printed = 0
        self.missed = 0

    def ratelimit(self, jiffies: int, func: str, ring: PrintkRing | None) -> bool:
        """``___ratelimit(rs, func)``: True if the caller may print now."""
        if not self.interval:
            return True
        if self.begin is None:
            self.begin = jiffies
        if jiffies > self.begin + self.interval:
            if self.missed:
                if ring is not None:
                    ring.printk(f"{func}: {self.missed} callbacks suppressed", KERN_WARNING)
                self.missed = 0
            self.begin = jiffies
            self.printed = 0
        if self.burst and self.burst > self.printed:
            self.printed += 1
            return True
        self.missed += 1
        return False


class PrintkRing:
    """The kernel log: a ring of :class:`PrintkRecord` with sequence numbers.

    Every record gets the next sequence number (``prb`` sequence). ``clear()`` is
    ``SYSLOG_ACTION_CLEAR``: it moves ``clear_seq`` so that :meth:`records` (what
    ``dmesg`` reads) starts after it, while :meth:`lines_since` still sees every record
    that is in the ring.
    """

    def __init__(self, clock: VirtualClock, *, log_buf_len: int = LOG_BUF_LEN) -> None:
        self.clock = clock
        self.log_buf_len = log_buf_len
        #: (sequence number, record, bytes it takes in the ring), oldest first.
        self._ring: deque[tuple[int, PrintkRecord, int]] = deque()
        self._bytes = 0
        self._next_seq = 0
        self._clear_seq = 0
        self._ratelimits: dict[str, RatelimitState] = {}

    # -- writing -------------------------------------------------------------------
    def printk(self, text: str, level: int = KERN_INFO) -> None:
        """Log ``text`` at ``level``; each line of a multi-line text is its own record.

        A trailing newline is dropped, as ``vprintk_store`` drops it.
        """
        if not 0 <= level <= 7:
            raise ValueError(f"bad log level {level}")
        if text.endswith("\n"):
            text = text[:-1]
        now = self.clock.now()
        if "\n" in text:
            for line in text.split("\n"):
                self._store(PrintkRecord(now, level, line))
            return
        # one line (nearly every call): _store, inlined
        size = (len(text) if text.isascii() else len(text.encode())) + _RECORD_OVERHEAD
        ring = self._ring
        ring.append((self._next_seq, _new_record((now, level, text)), size))
        self._next_seq += 1
        self._bytes += size
        while self._bytes > self.log_buf_len and len(ring) > 1:
            self._bytes -= ring.popleft()[2]

    def _store(self, rec: PrintkRecord) -> None:
        text = rec.text
        size = (len(text) if text.isascii() else len(text.encode())) + _RECORD_OVERHEAD
        ring = self._ring
        ring.append((self._next_seq, rec, size))
        self._next_seq += 1
        self._bytes += size
        while self._bytes > self.log_buf_len and len(ring) > 1:
            self._bytes -= ring.popleft()[2]

    def printk_ratelimited(self, key: str, text: str, level: int = KERN_INFO) -> bool:
        """``printk_ratelimited()``: one ratelimit state per call site ``key``.

        The kernel names the call site by the function that holds the static state
        (``__func__``), and that name starts the "callbacks suppressed" line, e.g.
        ``iommu_group_store_type: 4 callbacks suppressed``. Returns True if printed.
        """
        state = self._ratelimits.get(key)
        if state is None:
            state = self._ratelimits[key] = RatelimitState()
        if state.ratelimit(self.clock.jiffies(HZ), key, self):
            self.printk(text, level)
            return True
        return False

    # -- reading -------------------------------------------------------------------
    def records(self) -> list[PrintkRecord]:
        """What ``dmesg`` shows: the records since the last :meth:`clear`, oldest first."""
        clear = self._clear_seq
        return [rec for seq, rec, _ in self._ring if seq >= clear]

    def clear(self) -> None:
        """``dmesg -C`` (``SYSLOG_ACTION_CLEAR``)."""
        self._clear_seq = self._next_seq

    def mark(self) -> int:
        """The sequence number the next record will get."""
        return self._next_seq

    def lines_since(self, mark: int) -> list[PrintkRecord]:
        """The records logged since :meth:`mark` returned ``mark`` (still in the ring)."""
        return [rec for seq, rec, _ in self._ring if seq >= mark]

    def format(self, records: list[PrintkRecord] | None = None) -> str:
        """``dmesg`` output for ``records`` (default: :meth:`records`), one line each."""
        recs = self.records() if records is None else records
        return "".join(format_record(r) + "\n" for r in recs)
