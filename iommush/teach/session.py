"""The session's state: the machine a shell started on and the command lines that
changed it since boot.

The model is deterministic, so the machine's state *is* its :class:`MachineSpec`, the
kernel release and command line it booted with, and the sequence of state-changing
command lines run since: ``reset`` boots the spec again, ``undo`` replays the log
without its last machine-changing line, ``load`` replays a saved log. A replay runs
the lines in a child shell (``ShellServices.run_script_text``) on the fresh machine,
with their output discarded, and compares each line's status with the recorded one.

The shell reports every top-level command line it ran to :meth:`SessionState.record`
(see :func:`attach`). The fresh machine takes the running one's place in
:func:`adopt_machine`, so every holder of the kernel and its filesystem (the shell, the
REPL's completion) sees it without being told.
"""

from __future__ import annotations

import copy
import os
import weakref
from dataclasses import dataclass, field
from typing import Any

from iommush.kernel import Kernel, boot
from iommush.kernel.spec import MachineSpec

__all__ = [
    "Entry",
    "SessionError",
    "SessionState",
    "adopt_machine",
    "attach",
    "session_for",
]

FORMAT = "iommush-session"
VERSION = 1


class SessionError(Exception):
    """A session file or request that cannot be honoured; nothing was changed."""


@dataclass
class Entry:
    """One recorded top-level command line."""

    source: str
    status: int
    #: ``shell`` (directory, variables) or ``machine`` (see :mod:`.cmdclass`).
    kind: str


@dataclass
class LessonProgress:
    """Where the learner is in a lesson (kept by :mod:`.lesson`)."""

    name: str
    step: int = 0
    done: list[int] = field(default_factory=list)


def _spec_digest(spec: MachineSpec) -> str:
    import hashlib

    from iommush.machine import to_toml

    return hashlib.sha256(to_toml(spec).encode()).hexdigest()


def _adoptable(obj: object) -> bool:
    return hasattr(obj, "__dict__") and not hasattr(type(obj), "__slots__")


def _share(live: object, fresh: object) -> dict[str, Any]:
    """Give ``live``'s own attribute dictionary the contents of ``fresh``'s and make
    ``fresh`` use it: from now on the two objects are one. Returns the old contents."""
    mine = live.__dict__
    saved = dict(mine)
    if fresh is not live:
        contents = dict(fresh.__dict__)
        mine.clear()
        mine.update(contents)
        fresh.__dict__ = mine
    return saved


def adopt_machine(live: Kernel, fresh: Kernel) -> tuple[object, dict[str, Any], dict[str, Any]]:
    """Make ``live`` (and its filesystem object) *be* ``fresh``: ``live`` keeps its own
    attribute dictionaries, which now hold the fresh machine's state and are shared with
    the fresh objects, so the shell, which holds ``live`` and ``live.fs``, runs on the
    fresh machine. Returns what :func:`restore_machine` needs. Files the shell holds
    open keep the old nodes."""
    live_fs = live.fs
    if not all(_adoptable(o) for o in (live, live_fs, fresh, fresh.fs)):
        raise SessionError("this machine cannot be replaced in place")
    saved_fs = _share(live_fs, fresh.fs)
    saved = _share(live, fresh)
    live.__dict__["fs"] = live_fs
    return live_fs, saved, saved_fs


def restore_machine(live: Kernel, saved: tuple[object, dict[str, Any], dict[str, Any]]) -> None:
    """Undo :func:`adopt_machine`: the running machine gets its old state back."""
    live_fs, state, fs_state = saved
    live.__dict__.clear()
    live.__dict__.update(state)
    live_fs.__dict__.clear()
    live_fs.__dict__.update(fs_state)


class SessionState:
    """The machine's recipe (spec, release, command line) and the log since boot."""

    def __init__(
        self, spec: MachineSpec, release: str, cmdline: str, *, home: str = "/root"
    ) -> None:
        self.spec = copy.deepcopy(spec)
        self.release = release
        self.cmdline = cmdline
        #: The directory the shell started in (replays start there).
        self.home = home
        self._entries: list[Entry] = []
        #: Lines recorded but not yet classified: classifying is only needed when the
        #: log is read (undo, save, lessons), so a long script pays nothing for it.
        self._pending: list[tuple[str, int]] = []
        self._last: tuple[str, int] | None = None
        #: True once the shell reports its command lines (:func:`attach`).
        self.recording = False
        self.lesson: LessonProgress | None = None

    # -- the log ---------------------------------------------------------------------
    def record(self, source: str, status: int) -> None:
        """Called by the shell after each top-level command line."""
        text = source.rstrip("\n")
        if not text.strip():
            return
        self._last = (text, status)
        self._pending.append(self._last)

    @property
    def entries(self) -> list[Entry]:
        """The state-changing lines since boot (shell and machine kinds), in order."""
        from .cmdclass import classify_line

        for text, status in self._pending:
            kind = classify_line(text)
            if kind in ("shell", "machine"):
                self._entries.append(Entry(text, status, kind))
        self._pending.clear()
        return self._entries

    @entries.setter
    def entries(self, entries: list[Entry]) -> None:
        self._pending.clear()
        self._entries = entries

    @property
    def last(self) -> Entry | None:
        """The last top-level line and its status, whatever it did (lessons check it)."""
        if self._last is None:
            return None
        from .cmdclass import classify_line

        text, status = self._last
        return Entry(text, status, classify_line(text))

    def machine_entries(self) -> list[Entry]:
        return [e for e in self.entries if e.kind == "machine"]

    # -- machines ----------------------------------------------------------------------
    def boot_fresh(self, release: str | None = None) -> Kernel:
        """The machine as it is at boot, with the user-space files a session has."""
        from iommush.userland import populate

        try:
            k = boot(self.spec, kernel=release or self.release, cmdline=self.cmdline)
        except ValueError as exc:
            raise SessionError(str(exc)) from None
        names = [(f.vendor, f.vendor_name, f.device, f.device_name) for f in self.spec.pci]
        populate(k.fs, hostname=self.spec.hostname, devices=names)
        return k

    def replay_script(self, entries: list[Entry]) -> str:
        """Shell source that runs ``entries`` from the home directory, output discarded,
        printing each line's status."""
        lines = [f"cd -- {_quote(self.home)} 2>/dev/null"]
        for e in entries:
            lines.append("{ eval " + _quote(e.source) + "\n} </dev/null >/dev/null 2>&1")
            lines.append('echo "$?"')
        return "\n".join(lines) + "\n"

    # -- files -------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        """The session as plain data (what ``save`` writes)."""
        from iommush.machine import to_toml

        body = {
            "format": FORMAT,
            "version": VERSION,
            "machine": self.spec.name,
            "kernel": self.release,
            "cmdline": self.cmdline,
            "spec_sha256": _spec_digest(self.spec),
            "spec": to_toml(self.spec),
            "home": self.home,
            "commands": [
                {"source": e.source, "status": e.status, "kind": e.kind} for e in self.entries
            ],
        }
        body["sha256"] = _checksum(body)
        return body

    def save(self, path: str) -> None:
        """Write :meth:`snapshot` to ``path`` on the host atomically (temporary file in
        the same directory, fsync, rename)."""
        import json
        import tempfile

        data = json.dumps(self.snapshot(), indent=1, sort_keys=True) + "\n"
        directory = os.path.dirname(os.path.abspath(path))
        fd, tmp = tempfile.mkstemp(prefix=".iommush-save-", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    def check_file(self, path: str) -> dict[str, Any]:
        """Read and validate a saved session for this machine; SessionError explains
        what is wrong with it."""
        import json

        try:
            with open(path, "rb") as f:
                raw = f.read(16 << 20)
        except OSError as exc:
            raise SessionError(f"{path}: {exc.strerror}") from None
        try:
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise SessionError(f"{path}: not an iommush session file (not JSON)") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise SessionError(f"{path}: not an iommush session file")
        if data.get("version") != VERSION:
            raise SessionError(
                f"{path}: session format version {data.get('version')!r} "
                f"is not supported (this iommush reads version {VERSION})"
            )
        if data.get("sha256") != _checksum({k: v for k, v in data.items() if k != "sha256"}):
            raise SessionError(f"{path}: the file is corrupt (checksum mismatch)")
        cmds = data.get("commands")
        if not isinstance(cmds, list) or not all(
            isinstance(c, dict)
            and isinstance(c.get("source"), str)
            and isinstance(c.get("status"), int)
            and c.get("kind") in ("shell", "machine")
            for c in cmds
        ):
            raise SessionError(f"{path}: the file is corrupt (bad command list)")
        if not isinstance(data.get("kernel"), str) or not isinstance(data.get("home"), str):
            raise SessionError(f"{path}: the file is corrupt (bad kernel or home)")
        if data.get("spec_sha256") != _spec_digest(self.spec):
            raise SessionError(
                f"{path}: saved on another machine ({data.get('machine')!r}); this shell "
                f"runs {self.spec.name!r}: start iommush with that machine to load it"
            )
        return data


def _quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def _checksum(body: dict[str, Any]) -> str:
    import hashlib
    import json

    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


_STATES: weakref.WeakKeyDictionary[object, SessionState] = weakref.WeakKeyDictionary()


def attach(kernel: Kernel, *, home: str = "/root") -> SessionState:
    """The session state of the shell running on ``kernel``, marked as recording: the
    caller reports every top-level command line to its :meth:`~SessionState.record`."""
    state = session_for(kernel, home=home)
    assert state is not None
    state.home = home
    state.recording = True
    return state


def session_for(system: object, *, home: str = "/root") -> SessionState | None:
    """The session state for ``system`` (created on first use), or None if ``system``
    is not a booted iommush kernel."""
    if not isinstance(system, Kernel):
        return None
    state = _STATES.get(system)
    if state is None:
        state = SessionState(system.spec, system.version.release, system.cmdline, home=home)
        _STATES[system] = state
    return state
