"""``lesson``: guided exercises that check what the learner did.

A lesson is a TOML file in ``iommush/teach/lessons/``: a ``[lesson]`` table (name,
title, the machine it needs), an optional ``[groups]`` table naming the IOMMU group of a
device (``gpu = "0000:01:00.0"`` makes ``{gpu}`` the group's number in every text and
path), and ``[[step]]`` tables: ``say`` (what to do and why), ``try`` (what to type),
``optional``, and ``check``, a list of predicates that must all hold:

- ``{command = REGEX, status = "ok"|"fail"|N}``: the last command line and its status;
- ``{read = PATH, equals|contains|not_equals = TEXT}``: a file's content (stripped);
- ``{exists = PATH}``, ``{missing = PATH}``;
- ``{link = PATH, name = NAME}``: the last component of a link's target;
- ``{viable = GROUP}``: no member of the group is bound to a DMA-API driver;
- ``{dmesg = REGEX}``: a kernel log line; ``{release = "6.3"|"6.4"|"6.12"}``: the rules
  the running kernel follows.

Files are read through the shell's filesystem, as the learner would read them. The
``command`` predicate judges the learner's last action: the last command line that was
not itself a ``lesson`` command, typed since the lesson started.
"""

from __future__ import annotations

import posixpath
import re
import tomllib
import weakref
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

from iommush.shell.command import CommandContext

from .explain import rules_version
from .overview import MANAGED
from .session import Entry, LessonProgress, SessionState, session_for

__all__ = ["Lesson", "Step", "check_step", "cmd_lesson", "last_action", "load_lessons"]


@dataclass
class Step:
    """One exercise."""

    say: str
    try_: str
    check: list[dict[str, Any]]
    optional: bool = False


@dataclass
class Lesson:
    """A lesson as its file describes it."""

    name: str
    title: str
    machine: str
    intro: str
    steps: list[Step]
    groups: dict[str, str] = field(default_factory=dict)
    outro: str = ""


_KEYS = {"command", "read", "exists", "missing", "link", "viable", "dmesg", "release"}


def _parse(text: str, origin: str) -> Lesson:
    data = tomllib.loads(text)
    head = data["lesson"]
    steps = []
    for i, s in enumerate(data.get("step", []), 1):
        checks = s.get("check", [])
        if not checks or not all(isinstance(c, dict) and _KEYS & set(c) for c in checks):
            raise ValueError(f"{origin}: step {i} has no valid check")
        steps.append(Step(s["say"].strip(), s.get("try", ""), checks, s.get("optional", False)))
    if not steps:
        raise ValueError(f"{origin}: no steps")
    return Lesson(
        head["name"],
        head["title"],
        head.get("machine", ""),
        head.get("intro", "").strip(),
        steps,
        dict(data.get("groups", {})),
        head.get("outro", "").strip(),
    )


def load_lessons() -> dict[str, Lesson]:
    """Every packaged lesson by name, in file-name order."""
    out: dict[str, Lesson] = {}
    folder = resources.files("iommush.teach").joinpath("lessons")
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            lesson = _parse(entry.read_text("utf-8"), entry.name)
            out[lesson.name] = lesson
    return out


# -- checks ------------------------------------------------------------------------------
def _vars(ctx: CommandContext, lesson: Lesson) -> dict[str, str]:
    out = {}
    for var, bdf in lesson.groups.items():
        try:
            target = ctx.fs.readlink(f"/sys/bus/pci/devices/{bdf}/iommu_group", "/")
            out[var] = posixpath.basename(target)
        except OSError:
            out[var] = "?"
    return out


def _fill(text: str, values: dict[str, str]) -> str:
    for k, v in values.items():
        text = text.replace("{" + k + "}", v)
    return text


def _read(ctx: CommandContext, path: str) -> str | None:
    try:
        return ctx.fs.read_bytes(path, "/").decode("utf-8", "replace").strip()
    except OSError:
        return None


def _exists(ctx: CommandContext, path: str) -> bool:
    try:
        ctx.fs.stat(path, "/", follow=False)
    except OSError:
        return False
    return True


#: The learner's last action per session: ``lesson show`` or a failed ``lesson check``
#: between typing a command and checking it must not hide the command.
_ACTIONS: weakref.WeakKeyDictionary[SessionState, Entry | None] = weakref.WeakKeyDictionary()
_LESSON_LINE = re.compile(r"^\s*lesson(\s|$)")


def _note_action(state: SessionState) -> None:
    """Called as a ``lesson`` command starts: remember the line before it, unless that
    line was a ``lesson`` command too."""
    last = state.last
    if last is not None and not _LESSON_LINE.match(last.source):
        _ACTIONS[state] = last


def last_action(state: SessionState) -> Entry | None:
    """The last command line the learner typed since the lesson started that was not a
    ``lesson`` command (None: nothing yet)."""
    return _ACTIONS.get(state)


def _one(
    ctx: CommandContext, state: SessionState, c: dict[str, Any], v: dict[str, str]
) -> str | None:
    """None if the predicate holds, else what is missing."""
    if "command" in c:
        last = last_action(state)
        if last is None:
            return "no command was recorded yet"
        if not re.search(_fill(c["command"], v), last.source):
            return f"the last command was `{last.source}`"
        want = c.get("status")
        if want == "ok" and last.status != 0 or want == "fail" and last.status == 0:
            return f"`{last.source}` exited {last.status}"
        if isinstance(want, int) and last.status != want:
            return f"`{last.source}` exited {last.status}, not {want}"
        return None
    if "read" in c:
        path = _fill(c["read"], v)
        got = _read(ctx, path)
        if got is None:
            return f"{path} cannot be read"
        if "equals" in c and got != _fill(c["equals"], v):
            return f"{path} reads {got!r}"
        if "not_equals" in c and got == _fill(c["not_equals"], v):
            return f"{path} still reads {got!r}"
        if "contains" in c and _fill(c["contains"], v) not in got:
            return f"{path} does not contain {c['contains']!r}"
        return None
    if "exists" in c:
        path = _fill(c["exists"], v)
        return None if _exists(ctx, path) else f"{path} does not exist"
    if "missing" in c:
        path = _fill(c["missing"], v)
        return f"{path} still exists" if _exists(ctx, path) else None
    if "link" in c:
        path = _fill(c["link"], v)
        try:
            name = posixpath.basename(ctx.fs.readlink(path, "/"))
        except OSError:
            return f"{path} is not a link"
        return None if name == c["name"] else f"{path} points to {name}"
    if "viable" in c:
        gid = _fill(str(c["viable"]), v)
        base = f"/sys/kernel/iommu_groups/{gid}/devices"
        try:
            devs = ctx.fs.listdir(base, "/")
        except OSError:
            return f"group {gid} does not exist"
        for d in devs:
            try:
                drv = posixpath.basename(ctx.fs.readlink(f"{base}/{d}/driver", "/"))
            except OSError:
                continue
            if drv not in MANAGED:
                return f"{d} in group {gid} is bound to {drv}, a driver that uses the DMA API"
        return None
    if "dmesg" in c:
        pattern = re.compile(_fill(c["dmesg"], v))
        try:
            records = ctx.system.syslog_read_all()
        except Exception:  # noqa: BLE001 - a system without a log
            return "the kernel log cannot be read"
        return None if any(pattern.search(r.text) for r in records) else "no such kernel message"
    if "release" in c:
        try:
            release = ctx.system.uname().release
        except Exception:  # noqa: BLE001
            return "the kernel release is unknown"
        got = rules_version(release)
        return None if got == c["release"] else f"the running kernel is {release}"
    return "unknown check"


def check_step(ctx: CommandContext, state: SessionState, lesson: Lesson, step: Step) -> list[str]:
    """What is still missing for ``step`` (empty: done)."""
    v = _vars(ctx, lesson)
    return [m for m in (_one(ctx, state, c, v) for c in step.check) if m is not None]


# -- the command ---------------------------------------------------------------------------
def _show_step(ctx: CommandContext, lesson: Lesson, index: int) -> None:
    step = lesson.steps[index]
    v = _vars(ctx, lesson)
    tag = " (optional)" if step.optional else ""
    text = [f"\nStep {index + 1} of {len(lesson.steps)}{tag}:\n"]
    text += [f"  {line}\n" if line else "\n" for line in _fill(step.say, v).splitlines()]
    if step.try_:
        text.append("  Type:\n" + "".join(f"    {t}\n" for t in _fill(step.try_, v).splitlines()))
    text.append("  Then: lesson check   (lesson next skips, lesson quit stops)\n")
    ctx.out("".join(text))


def _list(ctx: CommandContext, lessons: dict[str, Lesson], state: SessionState) -> int:
    width = max(len(n) for n in lessons)
    out = []
    for name, lesson in lessons.items():
        where = f" [machine {lesson.machine}]" if lesson.machine else ""
        active = ""
        if state.lesson is not None and state.lesson.name == name:
            active = f"  <- step {state.lesson.step + 1} of {len(lesson.steps)}"
        out.append(f"{name:<{width}}  {lesson.title}{where}{active}\n")
    out.append("\nStart one with: lesson NAME\n")
    ctx.out("".join(out))
    return 0


def _start(ctx: CommandContext, state: SessionState, lesson: Lesson) -> int:
    machine = getattr(getattr(ctx.system, "spec", None), "name", "")
    if lesson.machine and machine != lesson.machine:
        ctx.error(
            f"{lesson.name}: this lesson runs on machine {lesson.machine!r} (this is "
            f"{machine!r}): start it with iommush --machine {lesson.machine}"
        )
        return 1
    state.lesson = LessonProgress(lesson.name)
    _ACTIONS[state] = None  # what was typed before the lesson does not count
    ctx.out(f"Lesson: {lesson.title}\n")
    if lesson.intro:
        ctx.out(
            "".join(
                f"  {line}\n" if line else "\n"
                for line in _fill(lesson.intro, _vars(ctx, lesson)).splitlines()
            )
        )
    _show_step(ctx, lesson, 0)
    return 0


def _advance(ctx: CommandContext, state: SessionState, lesson: Lesson) -> None:
    progress = state.lesson
    assert progress is not None
    progress.step += 1
    if progress.step >= len(lesson.steps):
        n = len(progress.done)
        ctx.out(f"\nLesson '{lesson.name}' complete ({n} of {len(lesson.steps)} steps checked).\n")
        if lesson.outro:
            outro = _fill(lesson.outro, _vars(ctx, lesson))
            ctx.out("".join(f"  {line}\n" if line else "\n" for line in outro.splitlines()))
        state.lesson = None
        return
    _show_step(ctx, lesson, progress.step)


def cmd_lesson(ctx: CommandContext) -> int:
    """Guided exercises on the running machine. 'lesson' lists them, 'lesson NAME'
    starts one and shows its first step; 'lesson check' checks the current step (and
    moves on when it is done), 'lesson show' shows it again, 'lesson next' skips it,
    'lesson quit' stops."""
    args = ctx.argv[1:]
    state = session_for(ctx.system, home=ctx.env.get("HOME", "/root"))
    if state is None:
        ctx.error("lessons need an iommush machine")
        return 1
    _note_action(state)
    try:
        lessons = load_lessons()
    except (OSError, ValueError, KeyError, tomllib.TOMLDecodeError) as exc:
        ctx.error(f"the lessons cannot be read: {exc}")
        return 1
    if not args:
        return _list(ctx, lessons, state)
    if len(args) > 1:
        ctx.err("usage: lesson [NAME|check|show|next|quit]\n")
        return 2
    word = args[0]
    if word in ("check", "show", "next", "quit"):
        if state.lesson is None or state.lesson.name not in lessons:
            ctx.error("no lesson is running: 'lesson' lists them")
            return 1
        lesson = lessons[state.lesson.name]
        index = state.lesson.step
        if word == "quit":
            state.lesson = None
            ctx.out(f"Stopped lesson '{lesson.name}'.\n")
            return 0
        if word == "show":
            _show_step(ctx, lesson, index)
            return 0
        if word == "next":
            ctx.out(f"Skipped step {index + 1}.\n")
            _advance(ctx, state, lesson)
            return 0
        missing = check_step(ctx, state, lesson, lesson.steps[index])
        if missing:
            ctx.out(f"Not yet (step {index + 1}): " + "; ".join(missing) + ".\n")
            return 1
        ctx.out(f"Step {index + 1} done.\n")
        state.lesson.done.append(index)
        _advance(ctx, state, lesson)
        return 0
    if word not in lessons:
        ctx.error(f"{word}: no such lesson ('lesson' lists them)")
        return 1
    return _start(ctx, state, lessons[word])
