"""What a kernel path is made of in the lock lab: lock, unlock and act steps.

A :class:`KernelPath` is one task's walk through the kernel (a ``type`` write, a hot
removal, a driver bind...), broken at its lock and unlock points the way the kernel source
of the selected version takes them. Between lock points, :class:`Act` steps run the real
model operation (``iommu_change_dev_def_domain``, ``iommu_device_use_default_domain``,
``iommu_release_device``...) on the lab's own copy of the machine, so what the explorer
checks afterwards is the model's real state.

Acts see the kernel and a small set of *notes*: immutable facts the lab records next to
the kernel state (a path's result, "``ops->release_device`` already ran for this device",
a broken invariant seen while it happened). An act returns the notes it leaves behind and,
to model a ``goto``/early ``return``, the label the path continues at.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from iommush.kernel import Kernel

__all__ = [
    "Act",
    "ActFn",
    "KernelPath",
    "LockRef",
    "Notes",
    "PathBuilder",
    "Step",
    "note_add",
    "note_has",
    "note_values",
]

#: Facts recorded next to the kernel state: tuples of strings, e.g.
#: ``("released", "0000:06:0d.1")``, ``("result", "0", "EBUSY")``, ``("violation", text)``.
Notes = frozenset[tuple[str, ...]]


def note_add(notes: Notes, *fact: str) -> Notes:
    """``notes`` plus one fact."""
    return notes | {fact}


def note_has(notes: Notes, *fact: str) -> bool:
    """True if ``fact`` was recorded."""
    return fact in notes


def note_values(notes: Notes, *prefix: str) -> list[tuple[str, ...]]:
    """The remainders of the facts starting with ``prefix``, sorted."""
    n = len(prefix)
    return sorted(f[n:] for f in notes if f[:n] == prefix)


@dataclass(frozen=True)
class LockRef:
    """One lock instance: ``key`` identifies it in the lab, ``name`` and ``lock_class`` are
    what lockdep prints and groups by (``&group->mutex`` / ``group->mutex``); ``rw`` marks a
    ``struct rw_semaphore`` (readers share it; a queued writer blocks new readers)."""

    key: str
    name: str
    lock_class: str
    rw: bool = False
    #: What the learner sees in interleavings: ``group->mutex (group 26)``.
    label: str = ""

    def describe(self) -> str:
        return self.label or self.key


#: ``fn(kernel, notes, task_index) -> (label to continue at or None, notes after)``.
ActFn = Callable[["Kernel", Notes, int], tuple[str | None, Notes]]


@dataclass(frozen=True)
class Act:
    """A model operation run at this point of the path. ``mutates`` is False for acts that
    only read the kernel (they may still record notes)."""

    func: str
    fn: ActFn = field(compare=False)
    mutates: bool = True


@dataclass(frozen=True)
class Step:
    """``lock`` (mode ``x`` mutex, ``r``/``w`` rwsem), ``unlock``, ``act``, ``label`` (a
    jump target, no effect) or ``return`` (the path ends here)."""

    kind: str
    site: str = ""
    lock: LockRef | None = None
    mode: str = "x"
    act: Act | None = None
    label: str = ""

    def describe(self) -> str:
        """One line for an interleaving listing."""
        if self.kind == "lock":
            verb = {"x": "mutex_lock", "r": "down_read", "w": "down_write"}[self.mode]
            if self.lock is not None and self.lock.lock_class == "device_lock":
                verb = "device_lock"
            assert self.lock is not None
            return f"{verb}({self.lock.describe()})  [{self.site}]"
        if self.kind == "unlock":
            assert self.lock is not None
            verb = {"x": "mutex_unlock", "r": "up_read", "w": "up_write"}[self.mode]
            if self.lock.lock_class == "device_lock":
                verb = "device_unlock"
            return f"{verb}({self.lock.describe()})"
        if self.kind == "act":
            return f"{self.site}"
        if self.kind == "return":
            return "return"
        return f"{self.label}:"


@dataclass
class KernelPath:
    """A task's steps. ``command`` is what the learner typed, ``comm``/``pid`` the task
    lockdep names, ``source`` the kernel code it follows."""

    command: str
    comm: str
    pid: int
    steps: list[Step]
    source: str = ""
    labels: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.labels = {s.label: i for i, s in enumerate(self.steps) if s.kind == "label"}

    @property
    def lock_steps(self) -> int:
        """How many lock and unlock steps the path has."""
        return sum(1 for s in self.steps if s.kind in ("lock", "unlock"))


class PathBuilder:
    """Writes a path the way the C reads: ``lock``, ``act``, ``unlock``, ``label``."""

    def __init__(self) -> None:
        self.steps: list[Step] = []

    def lock(self, ref: LockRef, site: str, mode: str = "x") -> None:
        self.steps.append(Step("lock", site, ref, mode))

    def unlock(self, ref: LockRef, mode: str = "x") -> None:
        self.steps.append(Step("unlock", "", ref, mode))

    def act(self, site: str, fn: ActFn, *, mutates: bool = True, func: str = "") -> None:
        self.steps.append(Step("act", site, act=Act(func or site, fn, mutates)))

    def label(self, name: str) -> None:
        self.steps.append(Step("label", label=name))

    def ret(self) -> None:
        self.steps.append(Step("return"))

    def extend(self, steps: Iterable[Step]) -> None:
        self.steps.extend(steps)

    def build(self, command: str, comm: str, pid: int, source: str) -> KernelPath:
        return KernelPath(command, comm, pid, list(self.steps), source)
