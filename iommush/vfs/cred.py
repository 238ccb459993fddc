"""Credentials of the task doing a filesystem call, and ``capable()``.

The kernel reads ``current->cred``; here a context variable holds the credentials of
whoever is calling into the tree, so an attribute's ``store`` callback can ask
``capable(CAP_SYS_ADMIN)`` exactly where ``iommu_group_store_type`` does.

>>> capable(CAP_SYS_ADMIN)
True
>>> with as_cred(Cred(uid=1000, gid=1000, caps=frozenset())):
...     capable(CAP_SYS_ADMIN)
False
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import NamedTuple

__all__ = [
    "ALL_CAPS",
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_SYS_ADMIN",
    "CAP_SYS_RAWIO",
    "Cred",
    "ROOT",
    "as_cred",
    "as_task",
    "capable",
    "current_cred",
    "current_task",
]

CAP_CHOWN = 0
CAP_DAC_OVERRIDE = 1
CAP_DAC_READ_SEARCH = 2
CAP_FOWNER = 3
CAP_SYS_RAWIO = 17
CAP_SYS_ADMIN = 21
#: CAP_LAST_CAP of Linux 6.x is 40 (CAP_CHECKPOINT_RESTORE).
ALL_CAPS: frozenset[int] = frozenset(range(41))


class Cred(NamedTuple):
    """``struct cred`` reduced to what sysfs checks: ids, supplementary groups, capabilities."""

    uid: int = 0
    gid: int = 0
    groups: frozenset[int] = frozenset()
    caps: frozenset[int] = ALL_CAPS

    def without(self, *caps: int) -> Cred:
        """These credentials with ``caps`` dropped (``capset``)."""
        return self._replace(caps=self.caps - frozenset(caps))

    def has(self, cap: int) -> bool:
        """True if ``cap`` is in the effective set."""
        return cap in self.caps


ROOT = Cred()
_current: ContextVar[Cred] = ContextVar("iommush_current_cred", default=ROOT)


def current_cred() -> Cred:
    """The credentials of the calling task (``current_cred()``)."""
    return _current.get()


def capable(cap: int) -> bool:
    """``capable(cap)``: does the calling task have ``cap`` in its effective set."""
    return _current.get().has(cap)


@contextmanager
def as_cred(cred: Cred) -> Iterator[Cred]:
    """Run the body with ``cred`` as the current credentials."""
    token = _current.set(cred)
    try:
        yield cred
    finally:
        _current.reset(token)


#: The running task's ``comm`` and pid (``current->comm``, ``task_pid_nr(current)``);
#: the idle task when nothing has said otherwise.
_task: ContextVar[tuple[str, int]] = ContextVar("iommush_current_task", default=("<idle>", 0))


def current_task() -> tuple[str, int]:
    """``(comm, pid)`` of the task making the current call (trace lines show it)."""
    return _task.get()


class as_task:  # noqa: N801 - used as ``with as_task(comm, pid):``, like as_cred
    """Run the body as task ``comm``/``pid`` (``comm`` is cut to 15 bytes, as
    ``TASK_COMM_LEN`` does). A class rather than a generator: every command the shell
    runs enters one."""

    __slots__ = ("task", "_token")

    def __init__(self, comm: str, pid: int) -> None:
        self.task = (comm[:15], pid)

    def __enter__(self) -> tuple[str, int]:
        self._token = _task.set(self.task)
        return self.task

    def __exit__(self, *exc: object) -> None:
        _task.reset(self._token)
