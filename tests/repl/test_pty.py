"""End to end on a real pseudo-terminal: type, complete with Tab, read, exit with Ctrl-D."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pexpect = pytest.importorskip("pexpect", reason="pexpect is not installed")
pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("iommush.cli") is None,
    reason="iommush.cli (the entry point that starts the REPL on a terminal) is missing",
)

PROMPT = "pty-test# "


def spawn(tmp_path: Path) -> pexpect.spawn:
    config = tmp_path / "config" / "iommush" / "config.toml"
    config.parent.mkdir(parents=True)
    config.write_text(
        f'[prompt]\nformat = "{PROMPT}"\n[toolbar]\nenabled = false\n'
        "[editing]\nhighlight = false\nauto_suggest = false\n"
    )
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "TERM": "xterm",
        "NO_COLOR": "1",
        "PROMPT_TOOLKIT_NO_CPR": "1",
        "PYTHONPATH": str(ROOT),
    }
    return pexpect.spawn(
        sys.executable,
        ["-m", "iommush"],
        env=env,
        cwd=str(tmp_path),
        encoding="utf-8",
        timeout=20,
        dimensions=(40, 120),
    )


def test_type_complete_read_and_exit(tmp_path: Path) -> None:
    child = spawn(tmp_path)
    try:
        child.expect_exact(PROMPT.strip())
        child.send("echo $((6 * 7))-pty\r")
        child.expect_exact("42-pty\r\n")
        child.expect_exact(PROMPT.strip())
        child.send("cat /sys/kernel/iommu_groups/0/ty\t")
        child.expect_exact("pe")  # the completion inserts the rest of "type"
        child.send("\r")
        child.expect(r"(DMA-FQ|DMA|identity|unknown)\r\n")
        child.expect_exact(PROMPT.strip())
        child.sendcontrol("d")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0
    assert (
        "cat /sys/kernel/iommu_groups/0/type"
        in (tmp_path / "state" / "iommush" / "history").read_text()
    )
