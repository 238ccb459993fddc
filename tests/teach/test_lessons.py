"""Every lesson can be completed by a scripted learner typing what each step says."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from iommush.teach.lesson import Lesson, _fill, _vars, load_lessons

from .conftest import Harness, Learner

LESSONS = load_lessons()


def _machine(lesson: Lesson) -> str:
    return lesson.machine or "desktop"


@pytest.mark.parametrize("name", sorted(LESSONS))
def test_a_scripted_learner_completes_the_lesson(
    name: str, learner: Callable[..., Learner]
) -> None:
    lesson = LESSONS[name]
    sh = learner(_machine(lesson))
    start = sh(f"lesson {name}")
    assert start.status == 0, start.err
    assert "Step 1 of" in start.out
    for i, step in enumerate(lesson.steps):
        premature = sh("lesson check") if i == 0 and step.check[0].get("command") else None
        if premature is not None:
            assert premature.status == 1 and "Not yet" in premature.out
        if name == "domains" and step.optional:
            skipped = sh("lesson next")
            assert "Skipped step" in skipped.out
            continue
        # the learner types what the step says
        values = _lesson_vars(sh, lesson)
        for line in step.try_.strip().splitlines():
            typed = sh(_fill(line, values))
            assert "Traceback" not in typed.err
        done = sh("lesson check")
        assert done.status == 0, f"step {i + 1}: {done.out}{done.err}"
        assert f"Step {i + 1} done." in done.out
    assert sh.state.lesson is None
    assert sh.state.last is not None and sh.state.last.source.startswith("lesson")


def _lesson_vars(sh: Learner, lesson: Lesson) -> dict[str, str]:
    import io

    from iommush.shell.command import CommandContext

    ctx = CommandContext(
        ["lesson"],
        io.BytesIO(),
        io.BytesIO(),
        io.BytesIO(),
        sh.kernel.fs,
        sh.kernel,
        sh.session.shell.interp,
        "/",
        {},
    )
    return _vars(ctx, lesson)


def test_lesson_list_show_next_quit(learner: Callable[..., Learner]) -> None:
    sh = learner("desktop")
    listing = sh("lesson")
    for name in LESSONS:
        assert name in listing.out
    assert sh("lesson check").status == 1
    assert sh("lesson vfio-rst").status == 1  # needs another machine
    assert "iommush --machine vfio-rst" in sh("lesson vfio-rst").err
    assert sh("lesson nosuch").status == 1
    assert sh("lesson tour").status == 0
    assert "<- step 1 of" in sh("lesson").out
    assert "Step 1 of" in sh("lesson show").out
    assert "Step 2 of" in sh("lesson next").out
    assert sh("lesson quit").status == 0
    assert sh.state.lesson is None


def test_check_reports_what_is_missing(learner: Callable[..., Learner]) -> None:
    sh = learner("desktop")
    sh("lesson gpu-passthrough")
    sh("lesson next")
    sh("lesson next")
    res = sh("lesson check")
    assert res.status == 1
    assert "/sys/bus/pci/drivers/vfio-pci does not exist" in res.out


def test_lessons_need_a_machine(sh: Harness) -> None:
    sh.table.update(__import__("iommush.teach", fromlist=["x"]).teach_commands())
    res = sh("lesson")
    assert res.status == 1 and "iommush machine" in res.err
