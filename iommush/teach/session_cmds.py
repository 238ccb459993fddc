"""``reset``, ``undo``, ``save FILE`` and ``load FILE``: the machine as a replayable
log (:mod:`.session`)."""

from __future__ import annotations

import io

from iommush.shell.command import CommandContext

from .session import (
    Entry,
    SessionError,
    SessionState,
    adopt_machine,
    restore_machine,
    session_for,
)

__all__ = ["cmd_load", "cmd_reset", "cmd_save", "cmd_undo", "rebuild"]

NOT_RECORDING = (
    "this shell does not record its command lines, so there is no log to {what} "
    "('reset' still reboots the machine)"
)


def _state(ctx: CommandContext) -> SessionState | None:
    state = session_for(ctx.system, home=ctx.env.get("HOME", "/root"))
    if state is None:
        ctx.error("this system is not an iommush machine: nothing to reboot or replay")
    return state


def rebuild(
    ctx: CommandContext, state: SessionState, entries: list[Entry], release: str | None = None
) -> list[str]:
    """Boot a fresh machine, make it the running one, replay ``entries`` on it. Returns
    notes on lines whose status differs from the recorded one. On an error the running
    machine is put back and SessionError is raised."""
    live = ctx.system
    fresh = state.boot_fresh(release)
    saved = adopt_machine(live, fresh)  # type: ignore[arg-type]
    if not entries:
        return []
    runner = getattr(ctx.shell, "run_script_text", None)
    if runner is None:
        restore_machine(live, saved)  # type: ignore[arg-type]
        raise SessionError("replaying commands needs the shell")
    out, err = io.BytesIO(), io.BytesIO()
    rctx = CommandContext(
        ["replay"], io.BytesIO(), out, err, ctx.fs, ctx.system, ctx.shell, state.home, dict(ctx.env)
    )
    try:
        runner(rctx, state.replay_script(entries), ["iommush"])
    except Exception as exc:  # noqa: BLE001 - the old machine is put back
        restore_machine(live, saved)  # type: ignore[arg-type]
        raise SessionError(f"replay failed: {exc}") from None
    statuses = [int(x) for x in out.getvalue().split() if x.isdigit()]
    notes = []
    for e, now in zip(entries, statuses, strict=False):
        if now != e.status:
            notes.append(f"`{e.source}` now exits {now} (it exited {e.status})")
            e.status = now
    if len(statuses) < len(entries):
        notes.append(f"the replay stopped after {len(statuses)} of {len(entries)} lines")
    return notes


def _print_notes(ctx: CommandContext, notes: list[str]) -> None:
    for note in notes:
        ctx.out(f"  note: {note}\n")


def cmd_reset(ctx: CommandContext) -> int:
    """Reboot the machine: every device, driver, group and file goes back to its boot
    state, and the log of commands starts again. --kernel VERSION boots another kernel
    release on the same machine (as choosing another entry in the boot loader)."""
    args = ctx.argv[1:]
    release: str | None = None
    while args:
        arg = args.pop(0)
        if arg in ("-k", "--kernel") and args:
            release = args.pop(0)
        elif arg.startswith("--kernel="):
            release = arg.split("=", 1)[1]
        else:
            ctx.error(f"invalid argument '{arg}'")
            ctx.err("usage: reset [--kernel VERSION]\n")
            return 2
    state = _state(ctx)
    if state is None:
        return 1
    try:
        rebuild(ctx, state, [], release)
    except SessionError as exc:
        ctx.error(str(exc))
        return 1
    if release is not None:
        state.release = ctx.system.uname().release
    state.entries = []
    ctx.out(f"reset: rebooted {state.spec.name} with Linux {state.release}\n")
    return 0


def cmd_undo(ctx: CommandContext) -> int:
    """Undo the last command line that changed the machine: boot the machine again and
    replay every recorded line but that one (output discarded). Lines whose status
    changes because of it are reported."""
    if len(ctx.argv) > 1:
        ctx.err("usage: undo\n")
        return 2
    state = _state(ctx)
    if state is None:
        return 1
    if not state.recording:
        ctx.error(NOT_RECORDING.format(what="undo"))
        return 1
    idx = next(
        (i for i in range(len(state.entries) - 1, -1, -1) if state.entries[i].kind == "machine"),
        None,
    )
    if idx is None:
        ctx.error("nothing to undo since boot")
        return 1
    undone = state.entries[idx]
    keep = state.entries[:idx] + state.entries[idx + 1 :]
    try:
        notes = rebuild(ctx, state, keep)
    except SessionError as exc:
        ctx.error(str(exc))
        return 1
    state.entries = keep
    n = sum(1 for e in keep if e.kind == "machine")
    ctx.out(
        f"undo: undid `{undone.source}` (rebooted and replayed {n} command"
        f"{'' if n == 1 else 's'})\n"
    )
    _print_notes(ctx, notes)
    return 0


def cmd_save(ctx: CommandContext) -> int:
    """Save the session (the machine and every command that changed it since boot) to
    FILE on the host, atomically. 'load FILE' in a shell on the same machine brings it
    back."""
    args = ctx.argv[1:]
    if len(args) != 1 or args[0].startswith("-") and args[0] != "-":
        ctx.err("usage: save FILE\n")
        return 2
    state = _state(ctx)
    if state is None:
        return 1
    if not state.recording:
        ctx.error(NOT_RECORDING.format(what="save"))
        return 1
    try:
        state.save(args[0])
    except OSError as exc:
        ctx.error(f"{args[0]}: {exc.strerror or exc}")
        return 1
    n = len(state.machine_entries())
    ctx.out(
        f"save: wrote {args[0]} ({state.spec.name}, Linux {state.release}, "
        f"{n} command{'' if n == 1 else 's'})\n"
    )
    return 0


def cmd_load(ctx: CommandContext) -> int:
    """Load a session saved with 'save FILE': reboot the machine and replay its
    commands. A file that is corrupt, not a session, or from another machine is
    refused and nothing changes."""
    args = ctx.argv[1:]
    if len(args) != 1:
        ctx.err("usage: load FILE\n")
        return 2
    state = _state(ctx)
    if state is None:
        return 1
    try:
        data = state.check_file(args[0])
        entries = [Entry(c["source"], c["status"], c["kind"]) for c in data["commands"]]
        home = state.home
        state.home = data["home"]
        try:
            notes = rebuild(ctx, state, entries, data["kernel"])
        except SessionError:
            state.home = home
            raise
    except SessionError as exc:
        ctx.error(str(exc))
        return 1
    state.release = data["kernel"]
    state.entries = entries
    n = sum(1 for e in entries if e.kind == "machine")
    ctx.out(
        f"load: {state.spec.name} with Linux {state.release}, replayed {n} "
        f"command{'' if n == 1 else 's'} from {args[0]}\n"
    )
    _print_notes(ctx, notes)
    return 0
