"""tracefs (``/sys/kernel/tracing``) with the iommu tracepoints of
``include/trace/events/iommu.h`` (``TRACE_SYSTEM iommu``), as Linux 6.3-6.12 show them.

Only the iommu event subsystem and the ``nop`` tracer are modelled. The files behave as
``kernel/trace/trace.c`` and ``trace_events.c`` make them behave:

* ``events/iommu/<event>/enable`` reads ``0``/``1`` and takes ``0``/``1`` (anything else:
  EINVAL); ``events/iommu/enable`` reads ``0``, ``1`` or ``X`` (mixed).
* ``set_event`` lists the enabled events as ``iommu:map``; a write enables each
  whitespace-separated token (``iommu:*``, ``iommu:map``, ``map``, ``iommu``, ``*:map``),
  ``!token`` disables; opening it with ``O_TRUNC`` (``>``, not ``>>``) first disables all.
* ``trace`` is the non-consuming view (``# tracer: nop`` header, then one line per entry);
  opening it for writing with ``O_TRUNC`` empties the buffer, writes are ignored.
* ``trace_pipe`` is the consuming view. The kernel blocks a reader while the buffer is
  empty; this single-threaded model returns end of file instead, so ``cat trace_pipe``
  prints what is buffered and ends.
* ``events/iommu/<event>/filter`` takes the filter language of ``trace_events_filter.c``:
  numeric comparisons (``==`` ``!=`` ``<`` ``<=`` ``>`` ``>=`` ``&``), string ``==``/``!=``
  and ``~`` (glob), combined with ``&&``, ``||``, ``!`` and parentheses; ``0`` clears.
  ``trigger`` takes the ``traceon``/``traceoff`` commands.
"""

from __future__ import annotations

import errno
import fnmatch
import os
import re
import stat
from collections.abc import Callable
from typing import NamedTuple

from iommush.vfs import Attribute, Device, DeviceOps, Dir, OpenFile, current_task, raise_errno

from .clock import VirtualClock

__all__ = [
    "EVENT_FORMATS",
    "TraceEntry",
    "TraceEventFormat",
    "TraceField",
    "Tracefs",
    "TracefsFile",
    "kstrtoul",
]

TRACE_MODE_WRITE = 0o640  # kernel/trace/trace.h (v5.17+)
TRACE_MODE_READ = 0o440
TRACE_DIR_MODE = 0o750
#: ``trace_buf_size`` default (``TRACE_BUF_SIZE_DEFAULT``, 1441792 bytes) in KiB.
TRACE_BUF_SIZE_KB = 1408
#: ``buffer_size_kb`` before the ring buffer is expanded on first use.
TRACE_BUF_MIN_KB = 7
#: Bytes of a ring-buffer page that hold events (4096 minus the page header).
_BUF_PAGE_DATA = 4080


class TraceField(NamedTuple):
    """One ``field:`` line of a ``format`` file (``struct ftrace_event_field``)."""

    type: str
    name: str
    offset: int
    size: int
    signed: bool

    def format_line(self) -> str:
        return (
            f"\tfield:{self.type} {self.name};\toffset:{self.offset};"
            f"\tsize:{self.size};\tsigned:{int(self.signed)};\n"
        )


#: ``trace_define_common_fields()``: the ``struct trace_entry`` header of every event.
COMMON_FIELDS = (
    TraceField("unsigned short", "common_type", 0, 2, False),
    TraceField("unsigned char", "common_flags", 2, 1, False),
    TraceField("unsigned char", "common_preempt_count", 3, 1, False),
    TraceField("int", "common_pid", 4, 4, True),
)


def _str(name: str, offset: int) -> TraceField:
    # __string(): a 4-byte __data_loc; char is unsigned since v6.2 (-funsigned-char).
    return TraceField("__data_loc char[]", name, offset, 4, False)


class TraceEventFormat(NamedTuple):
    """An iommu event: its ID, fields and the ``print fmt:`` text (``TP_printk`` with
    ``__entry`` spelled ``REC``, as ``__stringify`` leaves it)."""

    name: str
    id: int
    fields: tuple[TraceField, ...]
    print_fmt: str

    def format_file(self) -> str:
        """The ``format`` file (``f_show`` in ``trace_events.c``)."""
        return (
            f"name: {self.name}\nID: {self.id}\nformat:\n"
            + "".join(f.format_line() for f in COMMON_FIELDS)
            + "\n"
            + "".join(f.format_line() for f in self.fields)
            + f"\nprint fmt: {self.print_fmt}\n"
        )

    @property
    def payload(self) -> int:
        """Bytes of the fixed part of the entry (trace_entry + fields)."""
        last = self.fields[-1]
        return last.offset + last.size


_GROUP_FIELDS = (TraceField("int", "gid", 8, 4, True), _str("device", 12))
_GROUP_FMT = '"IOMMU: groupID=%d device=%s", REC->gid, __get_str(device)'
_DEVICE_FMT = '"IOMMU: device=%s", __get_str(device)'

#: The events in ``include/trace/events/iommu.h`` order; IDs are this model's own.
EVENT_FORMATS: tuple[TraceEventFormat, ...] = (
    TraceEventFormat("add_device_to_group", 1350, _GROUP_FIELDS, _GROUP_FMT),
    TraceEventFormat("remove_device_from_group", 1351, _GROUP_FIELDS, _GROUP_FMT),
    TraceEventFormat("attach_device_to_domain", 1352, (_str("device", 8),), _DEVICE_FMT),
    TraceEventFormat("detach_device_from_domain", 1353, (_str("device", 8),), _DEVICE_FMT),
    TraceEventFormat(
        "map",
        1354,
        (
            TraceField("u64", "iova", 8, 8, False),
            TraceField("u64", "paddr", 16, 8, False),
            TraceField("size_t", "size", 24, 8, False),
        ),
        '"IOMMU: iova=0x%016llx - 0x%016llx paddr=0x%016llx size=%zu", '
        "REC->iova, REC->iova + REC->size, REC->paddr, REC->size",
    ),
    TraceEventFormat(
        "unmap",
        1355,
        (
            TraceField("u64", "iova", 8, 8, False),
            TraceField("size_t", "size", 16, 8, False),
            TraceField("size_t", "unmapped_size", 24, 8, False),
        ),
        '"IOMMU: iova=0x%016llx - 0x%016llx size=%zu unmapped_size=%zu", '
        "REC->iova, REC->iova + REC->size, REC->size, REC->unmapped_size",
    ),
    TraceEventFormat(
        "io_page_fault",
        1356,
        (
            _str("device", 8),
            _str("driver", 12),
            TraceField("u64", "iova", 16, 8, False),
            TraceField("int", "flags", 24, 4, True),
        ),
        '"IOMMU:%s %s iova=0x%016llx flags=0x%04x", '
        "__get_str(driver), __get_str(device), REC->iova, REC->flags",
    ),
)

_U64 = (1 << 64) - 1


# -- event filters (kernel/trace/trace_events_filter.c) ----------------------------------
_FILTER_OPS = ("==", "!=", "<=", ">=", "<", ">", "&", "~")
#: The tokens of a filter (compiled by ``re`` when the first filter is parsed).
_TOKEN_RE = r"""\s*(&&|\|\||==|!=|<=|>=|[<>&~()!]|"[^"]*"|'[^']*'|[^\s&|=!<>~()]+)"""

FilterValues = dict[str, "int | str"]
Predicate = Callable[[FilterValues], bool]


class EventFilter(NamedTuple):
    """A compiled event filter and the text it was written as."""

    text: str
    match: Predicate


def _tokenize(text: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = re.compile(_TOKEN_RE).match(text, pos)
        if m is None:
            raise ValueError(f"bad filter near {text[pos:]!r}")
        tokens.append(m.group(1))
        pos = m.end()
    return tokens


def _parse_number(tok: str) -> int:
    """``kstrtoull``/``kstrtoll`` with base 0: decimal, ``0x`` hex, ``0`` octal."""
    neg = tok.startswith("-")
    body = tok[1:] if neg else tok
    try:
        if body.lower().startswith("0x"):
            val = int(body[2:], 16)
        elif len(body) > 1 and body.startswith("0"):
            val = int(body[1:], 8)
        else:
            val = int(body, 10)
    except ValueError:
        raise ValueError(f"bad number {tok!r}") from None
    return -val if neg else val


def parse_filter(text: str, fields: set[str], string_fields: set[str]) -> EventFilter:
    """Compile ``text``; ValueError if it is malformed or names a field the event lacks."""
    tokens = _tokenize(text)
    pos = 0

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def take() -> str:
        nonlocal pos
        if pos >= len(tokens):
            raise ValueError("unexpected end of filter")
        pos += 1
        return tokens[pos - 1]

    def predicate() -> Predicate:
        tok = take()
        if tok == "!":
            inner = predicate()
            return lambda v: not inner(v)
        if tok == "(":
            inner = disjunction()
            if take() != ")":
                raise ValueError("missing )")
            return inner
        field, op, raw = tok, take(), take()
        if field not in fields or op not in _FILTER_OPS:
            raise ValueError(f"bad predicate {field} {op}")
        if field in string_fields:
            if op not in ("==", "!=", "~"):
                raise ValueError("bad string operator")
            want = raw[1:-1] if raw[:1] in "\"'" and len(raw) > 1 else raw
            if op == "~":
                return lambda v: fnmatch.fnmatchcase(str(v[field]), want)
            if op == "==":
                return lambda v: v[field] == want
            return lambda v: v[field] != want
        if op == "~":
            raise ValueError("glob on a numeric field")
        num = _parse_number(raw)
        cmp: dict[str, Callable[[int, int], bool]] = {
            "==": lambda a, b: a == b,
            "!=": lambda a, b: a != b,
            "<": lambda a, b: a < b,
            "<=": lambda a, b: a <= b,
            ">": lambda a, b: a > b,
            ">=": lambda a, b: a >= b,
            "&": lambda a, b: bool(a & b),
        }
        fn = cmp[op]
        return lambda v: fn(int(v[field]), num)

    def conjunction() -> Predicate:
        left = predicate()
        while peek() == "&&":
            take()
            right = predicate()
            left = (lambda a, b: lambda v: a(v) and b(v))(left, right)
        return left

    def disjunction() -> Predicate:
        left = conjunction()
        while peek() == "||":
            take()
            right = conjunction()
            left = (lambda a, b: lambda v: a(v) or b(v))(left, right)
        return left

    if not tokens:
        raise ValueError("empty filter")
    pred = disjunction()
    if pos != len(tokens):
        raise ValueError(f"unexpected {tokens[pos]!r}")
    return EventFilter(text, pred)


class TraceEntry(NamedTuple):
    """One event in the ring buffer."""

    ts_ns: int
    cpu: int
    comm: str
    pid: int
    event: str
    text: str
    size: int

    def format_line(self) -> str:
        """``trace_print_context`` + the event output: ``%16s-%-7d [%03d] ..... %5lu.%06lu:
        <event>: <text>`` (microseconds rounded, as ``ns2usecs`` does)."""
        usecs = (self.ts_ns + 500) // 1000
        sec, usec = divmod(usecs, 1_000_000)
        return (
            f"{self.comm:>16}-{self.pid:<7d} [{self.cpu:03d}] ..... {sec:5d}.{usec:06d}: "
            f"{self.event}: {self.text}\n"
        )


def kstrtoul(buf: bytes) -> int:
    """``kstrtoul_from_user(buf, count, 10, &val)``: decimal, optional ``+``, one optional
    trailing newline; EINVAL otherwise, ERANGE past 64 bits (input cut at 23 bytes)."""
    s = buf[:23].decode("latin-1")
    if s.startswith("+"):
        s = s[1:]
    if s.endswith("\n"):
        s = s[:-1]
    if not s or not all("0" <= c <= "9" for c in s):
        raise_errno(errno.EINVAL)
    val = int(s)
    if val > _U64:
        raise_errno(errno.ERANGE)
    return val


class TracefsFile(Device):
    """A tracefs file with its own ``file_operations`` (``trace``, ``trace_pipe``,
    ``set_event``): a regular file to ``stat``, but open/read/write go to ``ops``."""

    file_type = stat.S_IFREG


class _SeqOps(DeviceOps):
    """A ``seq_file`` view: the text is produced at the first read and then paged."""

    def __init__(
        self,
        show: Callable[[], str],
        write: Callable[[bytes], int] | None = None,
        on_trunc: Callable[[], None] | None = None,
    ) -> None:
        self.show = show
        self.store = write
        self.on_trunc = on_trunc

    def open(self, of: OpenFile) -> None:
        if of.writable and of.flags & os.O_TRUNC and self.on_trunc is not None:
            self.on_trunc()

    def read(self, of: OpenFile, size: int) -> bytes:
        if of.private is None or of.pos == 0:
            of.private = self.show().encode()
        data = of.private
        assert isinstance(data, bytes)
        end = len(data) if size < 0 else min(len(data), of.pos + size)
        chunk = data[of.pos : end]
        of.pos = max(of.pos, end)
        return chunk

    def write(self, of: OpenFile, data: bytes) -> int:
        if self.store is None:
            raise_errno(errno.EINVAL)
        return self.store(data)


class _PipeOps(DeviceOps):
    """``tracing_read_pipe``: each read removes whole entries from the buffer."""

    def __init__(self, tracefs: Tracefs) -> None:
        self.tracefs = tracefs

    def read(self, of: OpenFile, size: int) -> bytes:
        pending = of.private if isinstance(of.private, bytes) else b""
        out = bytearray(pending)
        while size < 0 or len(out) < size:
            entry = self.tracefs._consume()
            if entry is None:
                break
            out += entry.format_line().encode()
        if size < 0 or len(out) <= size:
            of.private = b""
            return bytes(out)
        of.private = bytes(out[size:])
        return bytes(out[:size])


class Tracefs:
    """The tracing instance: event switches, filters, ring buffer and the tracefs tree.

    ``has_detach_event``: ``detach_device_from_domain`` exists only before v6.3.
    """

    def __init__(self, clock: VirtualClock, *, has_detach_event: bool, nr_cpus: int = 1) -> None:
        self.clock = clock
        self.nr_cpus = max(1, nr_cpus)
        self.events = {
            e.name: e
            for e in EVENT_FORMATS
            if has_detach_event or e.name != "detach_device_from_domain"
        }
        self.enabled: dict[str, bool] = {name: False for name in self.events}
        self.filters: dict[str, EventFilter | None] = {name: None for name in self.events}
        self.triggers: dict[str, list[str]] = {name: [] for name in self.events}
        self.subsystem_filter: str | None = None
        self.tracing_on = True
        self.buffer_size_kb = TRACE_BUF_SIZE_KB
        self.expanded = False
        self.buffer: list[TraceEntry] = []
        self.overrun = [0] * self.nr_cpus
        self._task = ("<idle>", 0, 0)

    # -- state ---------------------------------------------------------------------
    def set_current_task(self, comm: str, pid: int, cpu: int = 0) -> None:
        """The task the next events are recorded for (``current``; comm cut to 15 chars)."""
        self._task = (comm[:15], pid, cpu % self.nr_cpus)

    def enable_event(self, name: str, on: bool) -> None:
        """``ftrace_event_enable_disable``."""
        if name not in self.events:
            raise KeyError(name)
        self.enabled[name] = on
        if on:
            self.expanded = True

    def disable_all_events(self) -> None:
        """``ftrace_clear_events``: what opening ``set_event`` with ``O_TRUNC`` does."""
        for name in self.events:
            self.enable_event(name, False)

    def clear(self) -> None:
        """``tracing_reset_online_cpus``: empty the buffer and its counters."""
        self.buffer.clear()
        self.overrun = [0] * self.nr_cpus

    def entries(self) -> list[TraceEntry]:
        """The buffered entries, oldest first."""
        return list(self.buffer)

    def _consume(self) -> TraceEntry | None:
        return self.buffer.pop(0) if self.buffer else None

    def _cpu_capacity(self) -> int:
        kb = self.buffer_size_kb if self.expanded else TRACE_BUF_MIN_KB
        return kb * 1024 // 4096 * _BUF_PAGE_DATA

    def _record(self, name: str, text: str, values: dict[str, int | str], extra: int) -> None:
        """``trace_event_buffer_commit`` if the event is on and tracing is on."""
        if name not in self.events or not self.enabled[name] or not self.tracing_on:
            return
        fmt = self.events[name]
        comm, pid, cpu = self._task
        task = current_task()
        if task[1]:  # a user task is running: events come from its context
            comm, pid = task
        values = {
            "common_pid": pid,
            "common_type": fmt.id,
            "common_flags": 0,
            "common_preempt_count": 0,
            **values,
        }
        flt = self.filters[name]
        if flt is not None and not flt.match(values):
            return
        size = (4 + fmt.payload + extra + 3) // 4 * 4
        self.buffer.append(TraceEntry(self.clock.now_ns(), cpu, comm, pid, name, text, size))
        cap = self._cpu_capacity()
        while sum(e.size for e in self.buffer if e.cpu == cpu) > cap:
            oldest = next(i for i, e in enumerate(self.buffer) if e.cpu == cpu)
            del self.buffer[oldest]
            self.overrun[cpu] += 1
        for trig in self.triggers[name]:
            self.tracing_on = trig == "traceon"

    # -- tracepoints ---------------------------------------------------------------
    def add_device_to_group(self, gid: int, device: str) -> None:
        """``trace_add_device_to_group(group_id, dev)``."""
        if not self.enabled.get("add_device_to_group"):
            return
        text = f"IOMMU: groupID={gid} device={device}"
        self._record("add_device_to_group", text, {"gid": gid, "device": device}, len(device) + 1)

    def remove_device_from_group(self, gid: int, device: str) -> None:
        """``trace_remove_device_from_group(group_id, dev)``."""
        if not self.enabled.get("remove_device_from_group"):
            return
        text = f"IOMMU: groupID={gid} device={device}"
        self._record(
            "remove_device_from_group", text, {"gid": gid, "device": device}, len(device) + 1
        )

    def attach_device_to_domain(self, device: str) -> None:
        """``trace_attach_device_to_domain(dev)``."""
        if not self.enabled.get("attach_device_to_domain"):
            return
        self._record(
            "attach_device_to_domain",
            f"IOMMU: device={device}",
            {"device": device},
            len(device) + 1,
        )

    def detach_device_from_domain(self, device: str) -> None:
        """``trace_detach_device_from_domain(dev)`` (kernels before v6.3 only)."""
        self._record(
            "detach_device_from_domain",
            f"IOMMU: device={device}",
            {"device": device},
            len(device) + 1,
        )

    def map(self, iova: int, paddr: int, size: int) -> None:
        """``trace_map(iova, paddr, size)``: once per ``iommu_map()`` call."""
        if not self.enabled.get("map"):
            return
        iova, paddr, size = iova & _U64, paddr & _U64, size & _U64
        text = (
            f"IOMMU: iova=0x{iova:016x} - 0x{(iova + size) & _U64:016x} "
            f"paddr=0x{paddr:016x} size={size}"
        )
        self._record("map", text, {"iova": iova, "paddr": paddr, "size": size}, 0)

    def unmap(self, iova: int, size: int, unmapped_size: int) -> None:
        """``trace_unmap(iova, size, unmapped_size)``."""
        iova, size, unmapped_size = iova & _U64, size & _U64, unmapped_size & _U64
        text = (
            f"IOMMU: iova=0x{iova:016x} - 0x{(iova + size) & _U64:016x} "
            f"size={size} unmapped_size={unmapped_size}"
        )
        values: dict[str, int | str] = {"iova": iova, "size": size, "unmapped_size": unmapped_size}
        self._record("unmap", text, values, 0)

    def io_page_fault(self, device: str, driver: str, iova: int, flags: int) -> None:
        """``trace_io_page_fault(dev, iova, flags)`` from ``report_iommu_fault``;
        ``driver`` is ``dev_driver_string(dev)`` (the bus name when unbound)."""
        iova = iova & _U64
        flags32 = flags & 0xFFFFFFFF
        text = f"IOMMU:{driver} {device} iova=0x{iova:016x} flags=0x{flags32:04x}"
        signed = flags32 - (1 << 32) if flags32 & 0x80000000 else flags32
        values: dict[str, int | str] = {
            "device": device,
            "driver": driver,
            "iova": iova,
            "flags": signed,
        }
        self._record("io_page_fault", text, values, len(device) + len(driver) + 2)

    # -- file contents -------------------------------------------------------------
    def render_trace(self) -> str:
        """The ``trace`` file: ``s_show`` header for the nop tracer, then the entries."""
        written = len(self.buffer) + sum(self.overrun)
        sp = "  "
        head = [
            "# tracer: nop\n",
            "#\n",
            f"# entries-in-buffer/entries-written: {len(self.buffer)}/{written}"
            f"   #P:{self.nr_cpus}\n",
            "#\n",
            f"#                            {sp}  _-----=> irqs-off/BH-disabled\n",
            f"#                            {sp} / _----=> need-resched\n",
            f"#                            {sp}| / _---=> hardirq/softirq\n",
            f"#                            {sp}|| / _--=> preempt-depth\n",
            f"#                            {sp}||| / _-=> migrate-disable\n",
            f"#                            {sp}|||| /     delay\n",
            f"#           TASK-PID  {sp} CPU#  |||||  TIMESTAMP  FUNCTION\n",
            f"#              | |    {sp}   |   |||||     |         |\n",
        ]
        return "".join(head) + "".join(e.format_line() for e in self.buffer)

    def render_set_event(self) -> str:
        """``set_event`` (``t_show``): ``system:event`` per enabled event."""
        return "".join(f"iommu:{n}\n" for n in self.events if self.enabled[n])

    def write_set_event(self, data: bytes) -> int:
        """``ftrace_event_write``: each token enables (``!`` disables) matching events."""
        for token in data.decode("latin-1").split():
            on = not token.startswith("!")
            self._set_clr_event(token if on else token[1:], on)
        return len(data)

    def _set_clr_event(self, token: str, on: bool) -> None:
        """``ftrace_set_clr_event``: ``sub:event``, ``sub:``, ``:event``, ``*``, or a bare
        name matching an event or a system; EINVAL when nothing matches."""
        match: str | None = token
        sub: str | None = None
        event: str | None = None
        if ":" in token:
            sub, event = token.split(":", 1)
            match = None
            sub = None if sub in ("", "*") else sub
            event = None if event in ("", "*") else event
        hits = [
            name
            for name in self.events
            if (match is None or match in (name, "iommu"))
            and (sub is None or sub == "iommu")
            and (event is None or event == name)
        ]
        if not hits:
            raise_errno(errno.EINVAL)
        for name in hits:
            self.enable_event(name, on)

    def _system_enable(self) -> str:
        states = {self.enabled[n] for n in self.events}
        return "X\n" if len(states) > 1 else ("1\n" if True in states else "0\n")

    def _store_system_enable(self, data: bytes) -> None:
        val = kstrtoul(data)
        if val not in (0, 1):
            raise_errno(errno.EINVAL)
        for name in self.events:
            self.enable_event(name, bool(val))

    def _store_event_enable(self, name: str, data: bytes) -> None:
        val = kstrtoul(data)
        if val not in (0, 1):
            raise_errno(errno.EINVAL)
        self.enable_event(name, bool(val))

    def _store_filter(self, names: list[str], data: bytes) -> None:
        """``apply_event_filter``/``apply_subsystem_event_filter``: ``0`` clears."""
        text = data.decode("latin-1").strip()
        if text == "0":
            for n in names:
                self.filters[n] = None
            if len(names) > 1:
                self.subsystem_filter = None
            return
        fitting = {}
        for n in names:
            fields = {f.name for f in COMMON_FIELDS + self.events[n].fields}
            try:
                fitting[n] = parse_filter(text, fields, self._string_fields(n))
            except ValueError:
                continue
        if not fitting:
            raise_errno(errno.EINVAL)
        self.filters.update(fitting)
        if len(names) > 1:
            self.subsystem_filter = text

    def _string_fields(self, name: str) -> set[str]:
        return {f.name for f in self.events[name].fields if f.type.startswith("__data_loc")}

    def _show_filter(self, name: str) -> str:
        flt = self.filters[name]
        return "none\n" if flt is None else flt.text + "\n"

    def _store_trigger(self, name: str, data: bytes) -> None:
        """``event_trigger_write`` for the ``traceon``/``traceoff`` commands."""
        cmd = data.decode("latin-1").strip()
        if not cmd:
            return
        remove = cmd.startswith("!")
        cmd = cmd.lstrip("!")
        if cmd not in ("traceon", "traceoff"):
            raise_errno(errno.EINVAL)
        trig = self.triggers[name]
        if remove:
            if cmd not in trig:
                raise_errno(errno.ENOENT)
            trig.remove(cmd)
        elif cmd in trig:
            raise_errno(errno.EEXIST)
        else:
            trig.append(cmd)

    def _show_trigger(self, name: str) -> str:
        if self.triggers[name]:
            return "".join(f"{t}:unlimited\n" for t in self.triggers[name])
        return (
            "# Available triggers:\n# traceon traceoff snapshot stacktrace enable_event"
            " disable_event enable_hist disable_hist hist\n"
        )

    def _store_tracing_on(self, data: bytes) -> None:
        self.tracing_on = kstrtoul(data) != 0

    def _store_buffer_size(self, data: bytes) -> None:
        val = kstrtoul(data)
        if val == 0:
            raise_errno(errno.EINVAL)
        self.buffer_size_kb = val
        self.expanded = True

    def _show_buffer_size(self) -> str:
        if self.expanded:
            return f"{self.buffer_size_kb}\n"
        return f"{TRACE_BUF_MIN_KB} (expanded: {self.buffer_size_kb})\n"

    @staticmethod
    def _store_current_tracer(data: bytes) -> None:
        if data.decode("latin-1").strip() != "nop":
            raise_errno(errno.EINVAL)

    # -- tree ----------------------------------------------------------------------
    def register(self, sys_kernel: Dir) -> Dir:
        """Create ``/sys/kernel/tracing`` under ``sys_kernel`` and return it."""
        root: Dir = sys_kernel.add(Dir("tracing", 0o700))

        def attr(
            parent: Dir,
            name: str,
            show: Callable[[], str],
            store: Callable[[bytes], None] | None = None,
        ) -> None:
            mode = TRACE_MODE_WRITE if store else TRACE_MODE_READ
            parent.add(Attribute(name, mode, show=show, store=store))

        attr(root, "available_events", lambda: "".join(f"iommu:{n}\n" for n in self.events))
        attr(root, "available_tracers", lambda: "nop\n")
        attr(root, "current_tracer", lambda: "nop\n", self._store_current_tracer)
        attr(root, "tracing_on", lambda: f"{int(self.tracing_on)}\n", self._store_tracing_on)
        attr(root, "buffer_size_kb", self._show_buffer_size, self._store_buffer_size)
        root.add(
            TracefsFile("trace", _SeqOps(self.render_trace, len, self.clear), TRACE_MODE_WRITE)
        )
        root.add(TracefsFile("trace_pipe", _PipeOps(self), TRACE_MODE_READ))
        root.add(
            TracefsFile(
                "set_event",
                _SeqOps(
                    self.render_set_event,
                    self.write_set_event,
                    self.disable_all_events,
                ),
                TRACE_MODE_WRITE,
            )
        )
        events = root.add(Dir("events", TRACE_DIR_MODE))
        attr(events, "enable", self._system_enable, self._store_system_enable)
        system = events.add(Dir("iommu", TRACE_DIR_MODE))
        names = list(self.events)
        attr(system, "enable", self._system_enable, self._store_system_enable)
        attr(
            system,
            "filter",
            lambda: f"{self.subsystem_filter or 'none'}\n",
            lambda b: self._store_filter(names, b),
        )
        for name, fmt in self.events.items():
            self._register_event(system.add(Dir(name, TRACE_DIR_MODE)), name, fmt)
        return root

    def _register_event(self, d: Dir, name: str, fmt: TraceEventFormat) -> None:
        """``event_create_dir``: the files of ``events/iommu/<name>/``."""

        def show_enable() -> str:
            return f"{int(self.enabled[name])}\n"

        def store_enable(b: bytes) -> None:
            self._store_event_enable(name, b)

        def show_filter() -> str:
            return self._show_filter(name)

        def store_filter(b: bytes) -> None:
            self._store_filter([name], b)

        def show_id() -> str:
            return f"{fmt.id}\n"

        def show_trigger() -> str:
            return self._show_trigger(name)

        def store_trigger(b: bytes) -> None:
            self._store_trigger(name, b)

        d.add(Attribute("enable", TRACE_MODE_WRITE, show=show_enable, store=store_enable))
        d.add(Attribute("filter", TRACE_MODE_WRITE, show=show_filter, store=store_filter))
        d.add(Attribute("format", TRACE_MODE_READ, show=fmt.format_file))
        d.add(Attribute("id", TRACE_MODE_READ, show=show_id))
        d.add(Attribute("trigger", TRACE_MODE_WRITE, show=show_trigger, store=store_trigger))
