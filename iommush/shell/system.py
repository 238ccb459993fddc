"""The kernel services a shell reaches without a file: the system calls behind
``uname``, ``dmesg``, ``modprobe`` and ``sleep``.

Everything else goes through the virtual filesystem (``open``/``read``/``write``/
``ioctl``), exactly as a process on Linux does. The kernel model implements this
protocol; the shell only ever sees the protocol, so it never imports the kernel.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple, Protocol

from iommush.vfs import VirtualFS

__all__ = ["LogEntry", "LogRecord", "System", "Uts", "UtsName"]


class UtsName(NamedTuple):
    """``struct utsname``."""

    sysname: str
    nodename: str
    release: str
    version: str
    machine: str


class LogRecord(NamedTuple):
    """One printk record: seconds since boot, level (0-7), facility, message text."""

    time: float
    level: int
    text: str


class Uts(Protocol):
    """What ``uname(2)`` reports (:class:`UtsName` and the kernel's own)."""

    @property
    def sysname(self) -> str: ...

    @property
    def nodename(self) -> str: ...

    @property
    def release(self) -> str: ...

    @property
    def version(self) -> str: ...

    @property
    def machine(self) -> str: ...


class LogEntry(Protocol):
    """What a printk record offers (:class:`LogRecord` and the kernel's own records)."""

    @property
    def time(self) -> float: ...

    @property
    def level(self) -> int: ...

    @property
    def text(self) -> str: ...


class System(Protocol):
    """Kernel services used by the shell's commands."""

    @property
    def fs(self) -> VirtualFS:
        """The virtual filesystem (``/sys``, ``/proc``, ``/dev``, ``/tmp``...)."""
        ...

    def uname(self) -> Uts:
        """``uname(2)``."""
        ...

    def syslog_read_all(self) -> Sequence[LogEntry]:
        """``syslog(SYSLOG_ACTION_READ_ALL)``: the whole printk ring, oldest first."""
        ...

    def syslog_clear(self) -> None:
        """``syslog(SYSLOG_ACTION_CLEAR)``: ``dmesg -C``."""
        ...

    def init_module(self, name: str) -> bool:
        """Load module ``name`` (``modprobe``): True if it was loaded now, False if it
        already was; OSError(ENOENT) for an unknown module."""
        ...

    def delete_module(self, name: str) -> None:
        """Unload module ``name`` (``modprobe -r``/``rmmod``): OSError(EBUSY) while in
        use, OSError(ENOENT) if not loaded."""
        ...

    def loaded_modules(self) -> list[str]:
        """Names of loaded modules (``lsmod``)."""
        ...

    def available_modules(self) -> list[str]:
        """Names ``modprobe`` can load."""
        ...

    def uptime(self) -> float:
        """Seconds since boot on the virtual clock."""
        ...

    def sleep(self, seconds: float) -> None:
        """Advance the virtual clock (timers such as the DMA flush queue fire)."""
        ...
