"""One test per case of ``tests/abi/*.test.sh``: exact stdout, stderr and status.

A case marked ``## BUG:`` holds the kernel's behaviour where iommush is known to differ:
it is expected to fail (strict xfail), so a fix shows up as an unexpected pass.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .spec import SpecCase, load_cases, run_case

SPEC_DIR = Path(__file__).parent
CASES = [c for f in sorted(SPEC_DIR.glob("*.test.sh")) for c in load_cases(f)[1]]


def _param(case: SpecCase) -> object:
    marks = [pytest.mark.xfail(reason=case.bug, strict=True)] if case.bug else []
    return pytest.param(case, id=case.id, marks=marks)


@pytest.mark.parametrize("case", [_param(c) for c in CASES])
def test_abi(case: SpecCase) -> None:
    got = run_case(case)
    assert got.stdout == case.stdout, "stdout differs"
    assert got.stderr == case.stderr, "stderr differs"
    assert got.status == case.status, "status differs"


def test_every_file_has_cases() -> None:
    files = sorted(SPEC_DIR.glob("*.test.sh"))
    assert files
    for path in files:
        assert load_cases(path)[1], f"{path.name} has no cases"
