"""Boot the machine of a transcript in iommush and replay its steps in one session."""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

from iommush.cli import build_session
from iommush.vfs import File, as_cred

from .normalize import normalize_err, normalize_out, relevant_dmesg
from .transcript import Step, Transcript, parse_transcript

__all__ = ["CONFORMANCE", "Mismatch", "Result", "replay", "transcripts"]

CONFORMANCE = Path(__file__).resolve().parents[3] / "shared" / "conformance"
_TYPE_PATH = re.compile(r"(/sys/kernel/iommu_groups/\d+)/type")


class _Capture:
    """A byte sink standing in for a pipe the runner reads after each step."""

    def __init__(self) -> None:
        self.data = bytearray()

    def write(self, data: bytes) -> int:
        self.data += data
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> str:
        text = self.data.decode("utf-8", "replace")
        self.data.clear()
        return text


class _NoInput:
    def read(self, size: int = -1) -> bytes:
        return b""

    def readline(self) -> bytes:
        return b""


@dataclass
class Mismatch:
    """One difference in one step: what, the real kernel's side, iommush's side."""

    step: Step
    what: str
    expected: object
    actual: object


@dataclass
class Result:
    """A transcript's replay: steps matched, and the mismatches."""

    transcript: Transcript
    mode: str
    matched: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)
    error: str | None = None

    @property
    def total(self) -> int:
        return len(self.transcript.steps)


def transcripts() -> list[Path]:
    """The transcript files, sorted."""
    return sorted((CONFORMANCE / "transcripts").glob("*.txt"))


def _lines(text: str) -> tuple[list[str], bool]:
    if not text:
        return [], False
    unterminated = not text.endswith("\n")
    return text.rstrip("\n").split("\n") if text != "\n" else [""], unterminated


def _boot(t: Transcript, mode: str) -> tuple[object, _Capture, _Capture]:
    out, err = _Capture(), _Capture()
    kwargs: dict[str, object] = {}
    if mode == "snapshot":
        kwargs["from_sysfs"] = str(CONFORMANCE / "snapshots" / f"{t.name}.tar.gz")
    else:
        kwargs["machine"] = {"intel": "q35", "amd": "q35-amd", "virtio": "q35-virtio"}[t.iommu]
    session = build_session(
        kernel=t.release,
        cmdline=t.cmdline,
        stdin=_NoInput(),
        stdout=out,
        stderr=err,
        argv0="sh",
        **kwargs,  # type: ignore[arg-type]
    )
    # the transcripts' shell-script helpers run as they are, from /tmp on PATH
    tmp = session.kernel.fs.resolve("/tmp")
    for name in ("try-type", "pci-caps"):
        script = (CONFORMANCE / "tools" / name).read_bytes()
        tmp.add(File(name, 0o755, script))  # type: ignore[attr-defined]
    session.shell.run("export PATH=/tmp:$PATH")
    out.take()
    err.take()
    session.kernel.syslog_clear()
    return session, out, err


def replay(path: Path, mode: str = "snapshot") -> Result:
    """Replay every step of one transcript and compare."""
    t = parse_transcript(path)
    result = Result(t, mode)
    try:
        session, out, err = _boot(t, mode)
    except Exception as exc:  # reported, not raised: the report shows every transcript
        result.error = f"boot failed: {exc!r}"
        return result
    shell = session.shell  # type: ignore[attr-defined]
    kernel = session.kernel  # type: ignore[attr-defined]
    clock = kernel.clock
    # Time passes as it did on the recording machine: before a step whose log lines carry
    # timestamps, the virtual clock moves to the first of them (shifted so that it never
    # runs backwards). Rate limits (``pr_err_ratelimited``: 10 per 5 s) depend on it.
    stamps = [s.times[0] for s in t.steps if s.times]
    offset = max(0.0, clock.now() - min(stamps)) if stamps else 0.0
    with as_cred(session.cred):  # type: ignore[attr-defined]
        for step in t.steps:
            if step.times and step.times[0] + offset > clock.now():
                clock.advance(step.times[0] + offset - clock.now())
            status = shell.run("sh -c " + shlex.quote(step.command))
            got_out, _ = _lines(out.take())
            got_err, _ = _lines(err.take())
            records = kernel.syslog_read_all()
            kernel.syslog_clear()
            got_dmesg = [r.text for r in records]
            type_now = None
            if step.type_now is not None:
                m = _TYPE_PATH.search(step.command)
                if m:
                    shell.run(f"cat {m.group(1)}/type 2>&1")
                    lines, _ = _lines(out.take())
                    err.take()
                    type_now = lines[0] if lines else ""
            before = len(result.mismatches)
            _compare(result, step, "stdout", normalize_out(step.out), normalize_out(got_out))
            _compare(result, step, "stderr", normalize_err(step.err), normalize_err(got_err))
            _compare(result, step, "status", step.rc, status)
            if step.type_now is not None:
                _compare(result, step, "type-now", step.type_now, type_now)
            _compare(result, step, "dmesg", relevant_dmesg(step.dmesg), relevant_dmesg(got_dmesg))
            if len(result.mismatches) == before:
                result.matched += 1
        shell.close()
    return result


def _compare(result: Result, step: Step, what: str, expected: object, actual: object) -> None:
    if expected != actual:
        result.mismatches.append(Mismatch(step, what, expected, actual))
