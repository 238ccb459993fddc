"""Every real-kernel transcript replays through iommush with no unreviewed difference."""

from __future__ import annotations

import pytest

from .reviewed import reviewed_reason
from .runner import CONFORMANCE, replay, transcripts

pytestmark = pytest.mark.skipif(
    not (CONFORMANCE / "transcripts").is_dir(), reason="shared/conformance is not beside the clone"
)


def _check(name: str, mode: str) -> None:
    path = next(p for p in transcripts() if p.stem == name)
    result = replay(path, mode)
    assert result.error is None, result.error
    open_ = [m for m in result.mismatches if reviewed_reason(name, m) is None]
    detail = "\n".join(
        f"step {m.step.number} {m.what}: $ {m.step.command}\n  kernel:  {m.expected!r}\n"
        f"  iommush: {m.actual!r}"
        for m in open_[:10]
    )
    assert not open_, f"{len(open_)} differences, first ones:\n{detail}"


@pytest.mark.parametrize("name", [p.stem for p in transcripts()])
def test_snapshot_replay(name: str) -> None:
    _check(name, "snapshot")


@pytest.mark.parametrize("name", [p.stem for p in transcripts()])
def test_builtin_q35_replay(name: str) -> None:
    _check(name, "builtin")
