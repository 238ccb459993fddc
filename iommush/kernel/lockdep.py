"""Lock objects that record the order they are taken in, and a dependency validator that
reports inversions the way lockdep does (``kernel/locking/lockdep.c``, v6.1-v6.12).

Each lock belongs to a class (every ``struct mutex`` initialised at one place shares one
class, so all groups' ``group->mutex`` are one class). Taking lock ``B`` while the task
already holds ``A`` records the dependency ``A -> B`` (``check_prevs_add``: the edge goes
from the most recently taken held lock). If ``B`` already reaches ``A`` through recorded
dependencies, the new edge closes a cycle: two tasks taking the locks in the two orders can
deadlock, and the validator prints "possible circular locking dependency detected" with
the chain of dependencies and the two-CPU scenario (``print_circular_bug``). Taking a second
lock of a class already held prints "possible recursive locking detected"
(``print_deadlock_bug``).

The model is single-threaded and never blocks: taking a lock the current task already holds
raises :class:`RuntimeError` (it would hang forever); taking one another task holds raises
:class:`LockContended`, after the dependency checks ran, as lockdep runs them before the
task sleeps on the mutex.

Nothing here knows about IOMMUs; lock classes and call sites are plain strings.
"""

from __future__ import annotations

import zlib
from collections import deque
from functools import partial
from typing import NamedTuple

from .printk import KERN_WARNING, PrintkRing

__all__ = [
    "HeldLock",
    "KernelLock",
    "LockChain",
    "LockContended",
    "LockEdge",
    "LockSite",
    "Lockdep",
]

#: ``{+.+.}``: a sleeping lock taken in process context with interrupts enabled.
_USAGE = "+.+."
#: ``-{3:3}``: ``LD_WAIT_SLEEP`` (3 while ``CONFIG_PROVE_RAW_LOCK_NESTING`` is off).
_WAIT_TYPE = "{3:3}"
_SCENARIO_INDENT = " " * 31


class LockContended(RuntimeError):
    """The lock is held by another task: a real kernel would sleep here."""

    def __init__(self, lock: KernelLock, owner: tuple[str, int]) -> None:
        super().__init__(f"{lock.name} is held by {owner[0]}/{owner[1]}")
        self.lock = lock
        self.owner = owner


class LockSite(NamedTuple):
    """Where a dependency was seen: the call site holding the first lock and the one taking
    the second, and the task (``comm/pid``)."""

    held_at: str
    taken_at: str
    task: str


class LockEdge(NamedTuple):
    """A recorded dependency ``from_class -> to_class`` (``struct lock_list``)."""

    from_class: str
    to_class: str
    sites: tuple[LockSite, ...]


class LockChain(NamedTuple):
    """A sequence of lock classes held together, outermost first (``struct lock_chain``)."""

    classes: tuple[str, ...]


class HeldLock(NamedTuple):
    """An entry of a task's held-lock stack (``struct held_lock``)."""

    lock: KernelLock
    site: str


#: ``HeldLock((lock, site))`` without the Python-level ``__new__``: taken on every lock.
_new_held_lock = partial(tuple.__new__, HeldLock)


class KernelLock:
    """A sleeping lock (``struct mutex``) known to lockdep.

    ``name`` is what reports print (``&group->mutex``); ``lock_class`` groups the
    instances that share one ``lock_class_key`` (``group->mutex``, ``device_lock``).
    """

    __slots__ = ("lockdep", "name", "lock_class", "owner", "instance")

    def __init__(self, lockdep: Lockdep, name: str, lock_class: str) -> None:
        self.lockdep = lockdep
        self.name = name
        self.lock_class = lock_class
        self.owner: tuple[str, int] | None = None
        # the address reports print: one ``struct mutex`` after another
        lockdep._instances += 1
        self.instance = 0xFFFF888100000000 + lockdep._instances * 0x2A8 + 0xA8
        if lock_class not in lockdep._class_names:
            lockdep._register_class(lock_class, name)

    @property
    def is_locked(self) -> bool:
        """``mutex_is_locked``."""
        return self.owner is not None

    def lock(self, site: str) -> None:
        """``mutex_lock`` called from ``site`` by the current task."""
        self.lockdep.lock_acquire(self, site)

    def unlock(self) -> None:
        """``mutex_unlock`` by the current task."""
        self.lockdep.lock_release(self)

    def held(self, site: str) -> _Guard:
        """Hold the lock for the ``with`` block (``guard(mutex)``)."""
        return _new_guard((self, site))

    def __repr__(self) -> str:
        state = f"held by {self.owner[0]}/{self.owner[1]}" if self.owner else "free"
        return f"<KernelLock {self.name} ({self.lock_class}) {state}>"


class _Guard(NamedTuple):
    """The ``with`` block of :meth:`KernelLock.held`: lock on entry, unlock on exit (also
    when the block raises). A tuple made without a Python-level ``__new__``
    (:data:`_new_guard`): every probe of a big machine takes a few."""

    lock: KernelLock
    site: str

    def __enter__(self) -> KernelLock:
        lock = self.lock
        lock.lockdep.lock_acquire(lock, self.site)
        return lock

    def __exit__(self, *exc: object) -> None:
        lock = self.lock
        lock.lockdep.lock_release(lock)


_new_guard = partial(tuple.__new__, _Guard)


class Lockdep:
    """The lock dependency graph and validator (``kernel/locking/lockdep.c``).

    Reports go to ``printk`` at KERN_WARNING; each circular pair (and each recursive class)
    is reported once. ``one_shot=True`` instead stops validating after the first report,
    as the kernel does (``debug_locks_off``).
    """

    def __init__(
        self,
        printk: PrintkRing | None,
        *,
        release: str = "6.12.0",
        version: str = "#1",
        one_shot: bool = False,
    ) -> None:
        self.printk = printk
        self.release = release
        self.version = version
        self.one_shot = one_shot
        self.debug_locks = True
        self._task: tuple[str, int] = ("swapper/0", 1)
        self._cpu = 0
        self._held: dict[tuple[str, int], list[HeldLock]] = {}
        #: ``self._held[self._task]``: the current task's stack.
        self._cur_held = self._held.setdefault(self._task, [])
        #: Classes whose one-lock chain ``(class,)`` is recorded.
        self._alone: set[str] = set()
        self._class_names: dict[str, str] = {}
        self._after: dict[str, dict[str, list[LockSite]]] = {}
        self._chains: dict[tuple[str, ...], None] = {}
        #: Acquisitions already validated, as (chain, held lock's site, site, task):
        #: validating the same one again records and reports nothing new.
        self._validated: set[tuple[tuple[str, ...], str, str, tuple[str, int]]] = set()
        self._reported: set[tuple[str, str]] = set()
        self._reports: list[str] = []
        self._instances = 0

    # -- context -------------------------------------------------------------------
    def set_kernel_ident(self, release: str, version: str) -> None:
        """The ``uname -r`` release and the first word of ``uname -v`` (``#1``)."""
        self.release = release
        self.version = version.split(" ", 1)[0]

    def set_current_task(self, comm: str, pid: int, cpu: int = 0) -> None:
        """The task (``current``) whose lock calls follow."""
        self._task = (comm[:15], pid)
        self._cpu = cpu
        self._cur_held = self._held.setdefault(self._task, [])

    @property
    def current_task(self) -> tuple[str, int]:
        """``(comm, pid)`` of the current task."""
        return self._task

    def held_locks(self, task: tuple[str, int] | None = None) -> list[HeldLock]:
        """The held-lock stack of ``task`` (default: the current one), outermost first."""
        return list(self._held.get(task or self._task, []))

    def _register_class(self, lock_class: str, name: str) -> None:
        self._class_names.setdefault(lock_class, name)
        self._after.setdefault(lock_class, {})

    def class_name(self, lock_class: str) -> str:
        """The name reports print for ``lock_class``."""
        return self._class_names.get(lock_class, lock_class)

    # -- acquire / release ---------------------------------------------------------
    def lock_acquire(self, lock: KernelLock, site: str) -> None:
        """``lock_acquire`` + ``__mutex_lock``: validate, then take ``lock`` or refuse."""
        task = self._task
        held = self._cur_held
        if self.debug_locks:
            if not held:
                # nothing held: the chain is the lock alone, there is no dependency
                if lock.lock_class not in self._alone:
                    self._alone.add(lock.lock_class)
                    self._chains.setdefault((lock.lock_class,), None)
            else:
                # the lookup of lockdep's chain hash: a known acquisition adds nothing
                chain: tuple[str, ...]
                if len(held) == 1:
                    chain = (held[0].lock.lock_class, lock.lock_class)
                else:
                    chain = (*[h.lock.lock_class for h in held], lock.lock_class)
                key = (chain, held[-1].site, site, task)
                if key not in self._validated:
                    self._validate(lock, site, held)
                    self._validated.add(key)
        owner = lock.owner
        if owner is not None:
            if owner == task:
                raise RuntimeError(f"{task[0]}/{task[1]} takes {lock.name} again at {site}")
            raise LockContended(lock, owner)
        lock.owner = task
        held.append(_new_held_lock((lock, site)))

    def lock_release(self, lock: KernelLock) -> None:
        """``lock_release``: drop ``lock`` from the current task's held stack."""
        held = self._cur_held
        if held and held[-1].lock is lock:
            held.pop()
            lock.owner = None
            return
        for i in range(len(held) - 1, -1, -1):
            if held[i].lock is lock:
                del held[i]
                lock.owner = None
                return
        comm, pid = self._task
        raise RuntimeError(f"{comm}/{pid} releases {lock.name}, which it does not hold")

    def _validate(self, lock: KernelLock, site: str, held: list[HeldLock]) -> None:
        """``validate_chain``: record the chain, check recursion, add the new dependency."""
        chain = tuple(h.lock.lock_class for h in held) + (lock.lock_class,)
        self._chains.setdefault(chain, None)
        for h in held:
            if h.lock.lock_class == lock.lock_class:
                self._report_recursive(lock, site, h, held)
                return
        if not held:
            return
        prev = held[-1]
        nxt = lock.lock_class
        sites = self._after.setdefault(prev.lock.lock_class, {})
        taken = LockSite(prev.site, site, f"{self._task[0]}/{self._task[1]}")
        if nxt in sites:
            if taken not in sites[nxt]:
                sites[nxt].append(taken)
            return
        path = self._bfs_path(nxt, prev.lock.lock_class)
        sites[nxt] = [taken]
        if path is not None:
            self._report_circular(lock, site, prev, held, path)

    # -- graph ---------------------------------------------------------------------
    def _bfs_path(self, src: str, target: str) -> list[str] | None:
        """``check_noncircular``: breadth-first from ``src`` along recorded dependencies;
        the class path ``[src, ..., target]`` or None."""
        parent: dict[str, str | None] = {src: None}
        queue = deque([src])
        while queue:
            cls = queue.popleft()
            if cls == target:
                path = [cls]
                while (p := parent[path[-1]]) is not None:
                    path.append(p)
                return list(reversed(path))
            for nxt in self._after.get(cls, {}):
                if nxt not in parent:
                    parent[nxt] = cls
                    queue.append(nxt)
        return None

    def edges(self) -> list[LockEdge]:
        """Every recorded dependency, in the order first seen per class."""
        return [
            LockEdge(a, b, tuple(sites))
            for a, after in self._after.items()
            for b, sites in after.items()
        ]

    def chains(self) -> list[LockChain]:
        """Every distinct sequence of classes held together, in the order first seen."""
        return [LockChain(c) for c in self._chains]

    def find_cycle(self) -> list[LockEdge] | None:
        """A cycle of recorded dependencies (edges, each ending where the next starts), or
        None if the graph is acyclic. Deterministic: the first cycle a depth-first walk in
        recording order meets."""
        edges = {(e.from_class, e.to_class): e for e in self.edges()}
        state: dict[str, int] = {}
        stack: list[str] = []

        def visit(cls: str) -> list[str] | None:
            state[cls] = 1
            stack.append(cls)
            for nxt in self._after.get(cls, {}):
                if state.get(nxt) == 1:
                    return stack[stack.index(nxt) :] + [nxt]
                if nxt not in state:
                    found = visit(nxt)
                    if found:
                        return found
            stack.pop()
            state[cls] = 2
            return None

        for cls in list(self._after):
            if cls not in state:
                cycle = visit(cls)
                if cycle:
                    return [edges[(a, b)] for a, b in zip(cycle, cycle[1:], strict=False)]
        return None

    def reports(self) -> list[str]:
        """The text of every report printed so far."""
        return list(self._reports)

    # -- /proc views ---------------------------------------------------------------
    @staticmethod
    def _key(lock_class: str) -> str:
        """The hashed ``%p`` of a class key: stable per class name."""
        return f"{zlib.crc32(lock_class.encode()):016x}"

    def render_chains(self) -> str:
        """``/proc/lockdep_chains`` (``lc_show``)."""
        out = ["all lock chains:\n"]
        for chain in self._chains:
            out.append("irq_context: 0\n")
            out.extend(f"[{self._key(c)}] {self.class_name(c)}\n" for c in chain)
            out.append("\n")
        return "".join(out)

    def render_classes(self) -> str:
        """``/proc/lockdep`` (``l_show``): each class with its forward/backward dependency
        counts and the classes taken directly under it."""
        out = ["all lock classes:\n"]
        for cls, after in self._after.items():
            fd = self._count(cls, forward=True)
            bd = self._count(cls, forward=False)
            out.append(f"{self._key(cls)} FD:{fd:5d} BD:{bd:5d} {_USAGE}: {self.class_name(cls)}\n")
            out.extend(f" -> [{self._key(b)}] {self.class_name(b)}\n" for b in after)
            out.append("\n")
        return "".join(out)

    def _count(self, cls: str, *, forward: bool) -> int:
        """``lockdep_count_forward_deps``/``backward``: classes reachable, itself included."""
        seen = {cls}
        queue = deque([cls])
        while queue:
            c = queue.popleft()
            if forward:
                nexts = list(self._after.get(c, {}))
            else:
                nexts = [a for a, after in self._after.items() if c in after]
            for n in nexts:
                if n not in seen:
                    seen.add(n)
                    queue.append(n)
        return len(seen)

    # -- reports -------------------------------------------------------------------
    def _lock_name(self, lock_class: str) -> str:
        """``print_lock_name``: `` (name){usage}-{wait}``."""
        return f" ({self.class_name(lock_class)}){{{_USAGE}}}-{_WAIT_TYPE}"

    def _print_lock(self, lock: KernelLock, site: str) -> str:
        """``print_lock``: instance address, name, and the call site."""
        return f"{lock.instance:016x}{self._lock_name(lock.lock_class)}, at: {site}"

    def _ident(self) -> str:
        return f"{self.release} {self.version} Not tainted"

    def _held_lines(self, held: list[HeldLock]) -> list[str]:
        """``lockdep_print_held_locks``."""
        comm, pid = self._task
        if not held:
            return [f"no locks held by {comm}/{pid}."]
        s = "s" if len(held) > 1 else ""
        lines = [f"{len(held)} lock{s} held by {comm}/{pid}:"]
        lines += [f" #{i}: {self._print_lock(h.lock, h.site)}" for i, h in enumerate(held)]
        return lines

    def _backtrace(self, site: str, held: list[HeldLock]) -> list[str]:
        """``dump_stack``: the call sites stand in for the stack, innermost first."""
        comm, pid = self._task
        calls = [site] + [h.site for h in reversed(held)]
        return [
            "",
            "stack backtrace:",
            f"CPU: {self._cpu} PID: {pid} Comm: {comm[:20]} Not tainted {self.release} {self.version}",
            "Call Trace:",
            " <TASK>",
            *(f" {c}" for c in calls),
            " </TASK>",
        ]

    def _emit(self, lines: list[str]) -> None:
        text = "\n".join(lines)
        self._reports.append(text)
        if self.printk is not None:
            self.printk.printk(text, KERN_WARNING)
        if self.one_shot:
            self.debug_locks = False

    def _report_circular(
        self, lock: KernelLock, site: str, prev: HeldLock, held: list[HeldLock], path: list[str]
    ) -> None:
        """``print_circular_bug``: ``path`` runs from the new lock's class to ``prev``'s."""
        pair = (prev.lock.lock_class, lock.lock_class)
        if pair in self._reported:
            return
        self._reported.add(pair)
        comm, pid = self._task
        lines = [
            "",
            "======================================================",
            "WARNING: possible circular locking dependency detected",
            self._ident(),
            "------------------------------------------------------",
            f"{comm}/{pid} is trying to acquire lock:",
            self._print_lock(lock, site),
            "",
            "but task is already holding lock:",
            self._print_lock(prev.lock, prev.site),
            "",
            "which lock already depends on the new lock.",
            "",
            "",
            "the existing dependency chain (in reverse order) is:",
        ]
        # Entries from the held lock's class back to the new lock's class, each with the
        # site that recorded the dependency leading to it; #0 is the current acquisition.
        depth = len(path) - 1
        for i in range(depth, -1, -1):
            cls = path[i]
            if i == 0:
                trace = [site]
            else:
                trace = [s.taken_at for s in self._after[path[i - 1]][cls]]
            lines += ["", f"-> #{i}{self._lock_name(cls)}:"]
            lines += [f"       {t}" for t in trace]
        source = self.class_name(lock.lock_class)
        target = self.class_name(prev.lock.lock_class)
        parent = self.class_name(path[depth - 1])
        lines += ["", "other info that might help us debug this:", ""]
        if depth > 1:
            lines += ["Chain exists of:", f"  {source} --> {parent} --> {target}", ""]
        lines += [
            " Possible unsafe locking scenario:",
            "",
            "       CPU0                    CPU1",
            "       ----                    ----",
            f"  lock({target});",
            f"{_SCENARIO_INDENT}lock({parent});",
            f"{_SCENARIO_INDENT}lock({target});",
            f"  lock({source});",
            "",
            " *** DEADLOCK ***",
            "",
        ]
        lines += self._held_lines(held)
        lines += self._backtrace(site, held)
        self._emit(lines)

    def _report_recursive(
        self, lock: KernelLock, site: str, prev: HeldLock, held: list[HeldLock]
    ) -> None:
        """``print_deadlock_bug``: a lock of a class the task already holds."""
        pair = (lock.lock_class, lock.lock_class)
        if pair in self._reported:
            return
        self._reported.add(pair)
        comm, pid = self._task
        name = self.class_name(lock.lock_class)
        lines = [
            "",
            "============================================",
            "WARNING: possible recursive locking detected",
            self._ident(),
            "--------------------------------------------",
            f"{comm}/{pid} is trying to acquire lock:",
            self._print_lock(lock, site),
            "",
            "but task is already holding lock:",
            self._print_lock(prev.lock, prev.site),
            "",
            "other info that might help us debug this:",
            " Possible unsafe locking scenario:",
            "",
            "       CPU0",
            "       ----",
            f"  lock({name});",
            f"  lock({name});",
            "",
            " *** DEADLOCK ***",
            "",
            " May be due to missing lock nesting notation",
            "",
        ]
        lines += self._held_lines(held)
        lines += self._backtrace(site, held)
        self._emit(lines)
