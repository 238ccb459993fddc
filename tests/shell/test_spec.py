"""Run the spec files under iommush, and the language-only ones under bash/dash too."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from fakesys import make_shell
from spec_runner import SpecCase, load_cases

SPEC_DIR = Path(__file__).parent / "spec"
CASES = [c for f in sorted(SPEC_DIR.glob("*.test.sh")) for c in load_cases(f)]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_iommush(case: SpecCase) -> None:
    sh, out, err = make_shell(cwd="/tmp")
    status = sh.run(case.script, filename="-c")
    sh.close()
    status = sh.exit_status if sh.exited else status
    if case.stdout is not None:
        assert out.getvalue().decode() == case.stdout
    if case.stderr is not None:
        assert err.getvalue().decode() == case.stderr
    assert status == case.status, err.getvalue().decode()


REAL = [(c, shell) for c in CASES for shell in c.shells if shutil.which(shell)]


@pytest.mark.parametrize("case,shell", REAL, ids=[f"{shell}-{c.id}" for c, shell in REAL])
def test_real_shell_agrees(case: SpecCase, shell: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": "/root", "LC_ALL": "C"}
        proc = subprocess.run(
            [shell, "-c", case.script], cwd=tmp, env=env, capture_output=True, timeout=10
        )
    if case.stdout is not None:
        assert proc.stdout.decode() == case.stdout
    assert proc.returncode == case.status, proc.stderr.decode()
