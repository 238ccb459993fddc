"""The lock-lab lesson through the real shell, the checks refusing wrong actions, and the
lesson runner's handling of the learner's last action and of the outro."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from iommush.teach.lesson import load_lessons

from .conftest import Learner

LESSON = load_lessons()["locklab"]
TYPE26 = "echo identity > /sys/kernel/iommu_groups/26/type"
REMOVE = "echo 1 > /sys/bus/pci/devices/0000:06:0d.1/remove"


def _race(mode: str, a: str = TYPE26, b: str = REMOVE) -> str:
    return f"race {mode} '{a}' '{b}'"


def _start(learner: Callable[..., Learner]) -> Learner:
    sh = learner("vfio-rst")
    start = sh("lesson locklab")
    assert start.status == 0, start.err
    assert "Group 26 holds" in start.out and "Step 1 of 10" in start.out
    return sh


def _done(sh: Learner, step: int) -> None:
    res = sh("lesson check")
    assert res.status == 0, res.out + res.err
    assert f"Step {step} done." in res.out


def _refused(sh: Learner, step: int) -> str:
    res = sh("lesson check")
    assert res.status == 1, res.out
    assert f"Not yet (step {step})" in res.out
    return res.out


def test_the_learner_sees_each_verdict_and_completes_the_lesson(
    learner: Callable[..., Learner],
) -> None:
    sh = _start(learner)
    assert sh("echo 0000:06:0d.0 > /sys/bus/pci/drivers/snd_emu10k1/unbind").status == 0
    _done(sh, 1)
    # the what-if mode: the deadlock 6.3's restriction prevented
    res = sh(_race("--what-if lift-singleton"))
    assert res.status == 1
    assert "DEADLOCK:" in res.out
    assert "possible circular locking dependency detected" in res.out
    assert "&group->mutex" in res.out and "&dev->mutex" in res.out
    _done(sh, 2)
    unbind = "echo 0000:06:0d.1 > /sys/bus/pci/drivers/Emu10k1_gameport/unbind"
    res = sh(_race("--what-if=lift-singleton", b=unbind))
    assert res.status == 1 and "DEADLOCK:" in res.out
    _done(sh, 3)
    # the real 6.3: refused, never a deadlock
    res = sh(_race("--kernel 6.3"))
    assert res.status == 0
    assert "no deadlock" in res.out and "write error: Invalid argument" in res.out
    assert "Operation not permitted" not in res.out
    _done(sh, 4)
    # 6.4 and 6.12: both orders, no deadlock
    for step, version in ((5, "6.4"), (6, "6.12")):
        res = sh(_race(f"--kernel {version}"))
        assert res.status == 0, res.out + res.err
        assert "2 distinct end states" in res.out
        assert "Operation not permitted" in res.out and "DEADLOCK" not in res.out
        _done(sh, step)
    # the rejected per-device rwsem
    res = sh(_race("--what-if ops-rwsem"))
    assert res.status == 1
    assert "DEADLOCK:" in res.out and "possible recursive locking detected" in res.out
    _done(sh, 7)
    # the release window 6.4 closed, on the singleton group of 00:13.0
    lone = "echo identity > /sys/kernel/iommu_groups/8/type"
    gone = "echo 1 > /sys/bus/pci/devices/0000:00:13.0/remove"
    res = sh(_race("--kernel 6.3", lone, gone))
    assert res.status == 1 and "INVARIANT BROKEN" in res.out and "DEADLOCK" not in res.out
    _done(sh, 8)
    res = sh(_race("--kernel 6.4", lone, gone))
    assert res.status == 0 and "INVARIANT BROKEN" not in res.out
    _done(sh, 9)
    # the running kernel: the recorded order, no warning from the lab's copies
    res = sh("lockdep")
    assert res.status == 0
    assert "&dev->mutex\n[" in res.out and "warning" not in res.out
    end = sh("lesson check")
    assert "Step 10 done." in end.out
    assert "Lesson 'locklab' complete (10 of 10 steps checked)." in end.out
    assert "'vfio-claim 26'" in end.out and "{" not in end.out
    assert sh.state.lesson is None
    # the machine itself never changed: every member of group 26 is still there
    assert sh("ls /sys/kernel/iommu_groups/26/devices").out.split() == [
        "0000:00:1e.0",
        "0000:06:0d.0",
        "0000:06:0d.1",
    ]


@pytest.mark.parametrize(
    "wrong",
    [
        _race("--kernel 6.3"),  # the real 6.3, not the what-if mode
        _race("--what-if ops-rwsem"),  # another what-if mode
        _race("--what-if lift-singleton", b="echo 1 > /sys/bus/pci/devices/0000:06:0d.0/remove"),
        _race("--what-if lift-singleton", b="echo 1 > /sys/bus/pci/devices/0000:06:0d.1/rmove"),
        "echo race --what-if lift-singleton " + TYPE26,
    ],
)
def test_a_wrong_race_does_not_pass_the_deadlock_step(
    wrong: str, learner: Callable[..., Learner]
) -> None:
    sh = _start(learner)
    sh("echo 0000:06:0d.0 > /sys/bus/pci/drivers/snd_emu10k1/unbind")
    _done(sh, 1)
    sh(wrong)
    _refused(sh, 2)
    assert sh.state.lesson is not None and sh.state.lesson.step == 1


def test_the_wrong_setup_and_a_failing_race_are_refused(
    learner: Callable[..., Learner],
) -> None:
    sh = _start(learner)
    # unbinding the game port instead of the sound function
    sh("echo 0000:06:0d.1 > /sys/bus/pci/drivers/Emu10k1_gameport/unbind")
    out = _refused(sh, 1)
    assert "0000:06:0d.0/driver still exists" in out
    assert "0000:06:0d.1/driver is not a link" in out
    sh("echo 0000:06:0d.1 > /sys/bus/pci/drivers/Emu10k1_gameport/bind")
    sh("echo 0000:06:0d.0 > /sys/bus/pci/drivers/snd_emu10k1/unbind")
    _done(sh, 1)
    sh("lesson next")  # step 2
    sh("lesson next")  # step 3 (optional)
    # a usage error (exit 2) does not show the real 6.3 refusing anything
    assert sh(_race("--kernel 6.3 --what-if locked-sweep")).status == 2
    out = _refused(sh, 4)
    assert "exited 2" in out


def test_lesson_commands_between_the_action_and_the_check_do_not_count(
    learner: Callable[..., Learner],
) -> None:
    sh = learner("vfio-rst")
    # typed before the lesson started: does not count
    sh(_race("--what-if lift-singleton"))
    sh("lesson locklab")
    sh("echo 0000:06:0d.0 > /sys/bus/pci/drivers/snd_emu10k1/unbind")
    _done(sh, 1)
    out = _refused(sh, 2)
    assert "the last command was `echo 0000:06:0d.0" in out
    sh(_race("--what-if lift-singleton"))
    sh("lesson show")
    sh("lesson")
    _done(sh, 2)


def test_lesson_text_fits_a_terminal() -> None:
    """Every line the runner prints from a lesson (two columns of indent) fits in 78."""
    for name, lesson in load_lessons().items():
        texts = [lesson.title, lesson.intro, lesson.outro] + [s.say for s in lesson.steps]
        for text in texts:
            for line in text.splitlines():
                assert len(line) <= 76, f"{name}: {line!r}"
