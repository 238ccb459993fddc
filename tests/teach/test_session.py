"""reset, undo, save and load: the machine as a replayable log."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from iommush.teach.cmdclass import classify_line

from .conftest import Harness, Learner

TYPE = "/sys/kernel/iommu_groups/14/type"
DRIVER = "/sys/bus/pci/devices/0000:04:00.0/driver"


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("ls /sys/kernel/iommu_groups", "read"),
        ("cat a 2>&1 | grep b >/dev/null", "read"),
        ("echo DMA > /sys/kernel/iommu_groups/1/type", "machine"),
        ("cd /sys", "shell"),
        ("x=1", "shell"),
        ("modprobe vfio-pci", "machine"),
        ("for g in a b; do cat $g; done", "read"),
        ("dmesg -C", "machine"),
        ("plan 01:00.0", "read"),
        ("plan 01:00.0 --apply", "machine"),
        ("undo", "session"),
        ("echo 'a > b'", "read"),
        ("f() { echo 1 > x; }", "shell"),
        ("echo 'unbalanced", "machine"),
    ],
)
def test_classify_line(line: str, kind: str) -> None:
    assert classify_line(line) == kind


def test_undo_replays_all_but_the_last_machine_change(learner: Callable[..., Learner]) -> None:
    sh = learner("desktop")
    sh("cd /sys/bus/pci/devices/0000:04:00.0")
    assert sh("echo 0000:04:00.0 > driver/unbind").status == 0
    sh("ls")
    assert sh(f"echo DMA > {TYPE}").status == 0
    sh(f"cat {TYPE}")
    res = sh("undo")
    assert res.status == 0 and f"undid `echo DMA > {TYPE}`" in res.out
    assert sh(f"cat {TYPE}").out == "DMA-FQ\n"
    assert sh(f"readlink {DRIVER}").status == 1  # the unbind was replayed (relative to cd)
    assert sh("undo").status == 0
    assert sh(f"readlink {DRIVER}").out.endswith("/r8169\n")
    res = sh("undo")
    assert res.status == 1 and "nothing to undo" in res.err


def test_undo_notes_lines_whose_outcome_changes(learner: Callable[..., Learner]) -> None:
    sh = learner("desktop")
    sh("modprobe vfio-pci")
    assert sh("cd /sys/bus/pci/drivers/vfio-pci").status == 0
    res = sh("undo")
    assert res.status == 0 and "undid `modprobe vfio-pci`" in res.out
    assert "note: `cd /sys/bus/pci/drivers/vfio-pci` now exits 1 (it exited 0)" in res.out
    assert sh("ls /sys/bus/pci/drivers/vfio-pci").status != 0


def test_reset_and_reset_kernel(learner: Callable[..., Learner]) -> None:
    sh = learner("desktop")
    sh("echo 0000:04:00.0 > /sys/bus/pci/drivers/r8169/unbind")
    sh("echo hello > /root/note")
    res = sh("reset")
    assert res.status == 0 and "rebooted desktop" in res.out
    assert sh(f"readlink {DRIVER}").status == 0
    assert sh("cat /root/note").status == 1
    assert sh.state.entries == []
    res = sh("reset --kernel 6.3")
    assert sh("uname -r").out.startswith("6.3")
    res = sh("reset --kernel 1.0")
    assert res.status == 1 and sh("uname -r").out.startswith("6.3")
    assert sh("reset --bogus").status == 2


def test_save_and_load_round_trip(learner: Callable[..., Learner], tmp_path: Path) -> None:
    sh = learner("desktop")
    sh("echo 0000:04:00.0 > /sys/bus/pci/drivers/r8169/unbind")
    sh(f"echo identity > {TYPE}")
    path = tmp_path / "s.json"
    res = sh(f"save {path}")
    assert res.status == 0 and "2 commands" in res.out
    assert [p.name for p in tmp_path.iterdir()] == ["s.json"]  # no temporary left
    sh("reset")
    assert sh(f"cat {TYPE}").out == "DMA-FQ\n"
    res = sh(f"load {path}")
    assert res.status == 0, res.err
    assert sh(f"cat {TYPE}").out == "identity\n"
    other = learner("desktop")
    assert other(f"load {path}").status == 0
    assert other(f"cat {TYPE}").out == "identity\n"


def test_load_refuses_bad_files_and_changes_nothing(
    learner: Callable[..., Learner], tmp_path: Path
) -> None:
    sh = learner("desktop")
    good = tmp_path / "good.json"
    sh("echo 0000:04:00.0 > /sys/bus/pci/drivers/r8169/unbind")
    sh(f"save {good}")
    sh(f"echo DMA > {TYPE}")
    data = json.loads(good.read_text())
    cases = {
        "garbage": b"\x00\x01not json",
        "foreign": json.dumps({"format": "something-else"}).encode(),
        "version": json.dumps({**data, "version": 99}).encode(),
        "corrupt": json.dumps(
            {**data, "commands": [{"source": "reboot", "status": 0, "kind": "machine"}]}
        ).encode(),
    }
    for name, raw in cases.items():
        p = tmp_path / name
        p.write_bytes(raw)
        res = sh(f"load {p}")
        assert res.status == 1, name
        assert sh(f"cat {TYPE}").out == "DMA\n", name
    assert "not an iommush session file" in sh(f"load {tmp_path / 'garbage'}").err
    assert "checksum" in sh(f"load {tmp_path / 'corrupt'}").err
    assert "version 99" in sh(f"load {tmp_path / 'version'}").err
    elsewhere = learner("q35")
    res = elsewhere(f"load {good}")
    assert res.status == 1 and "saved on another machine ('desktop')" in res.err
    assert sh(f"load {tmp_path / 'missing'}").status == 1


def test_save_errors_and_not_recording(
    learner: Callable[..., Learner], tmp_path: Path, sh: Harness
) -> None:
    ln = learner("desktop")
    res = ln(f"save {tmp_path}/no/such/dir/file")
    assert res.status == 1 and "No such file or directory" in res.err
    ln.state.recording = False
    assert "does not record" in ln("undo").err
    assert "does not record" in ln(f"save {tmp_path}/x").err
    assert not os.path.exists(tmp_path / "x")
    assert ln("reset").status == 0
    res = sh("reset")
    assert res.status == 1 and "not an iommush machine" in res.err
