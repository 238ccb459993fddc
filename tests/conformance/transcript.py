"""Read a real-kernel transcript (the ``@@@ [N] $ COMMAND`` format of
``shared/conformance/README.md``) into steps."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Step", "Transcript", "parse_transcript"]

_STEP = re.compile(r"^@@@ \[(\d+)\] \$ (.*)$")
_DMESG = re.compile(r"^  dmesg\| \[\s*([0-9.]+)\] ?(.*)$")
_UNTERMINATED = re.compile(r"^(.*)  rc=(-?\d+)$")
_BOOT = re.compile(r"^  boot\| \[\s*[0-9.]+\] ?(.*)$")


@dataclass
class Step:
    """One command and what the real kernel's machine answered."""

    number: int
    command: str
    section: str
    out: list[str] = field(default_factory=list)
    err: list[str] = field(default_factory=list)
    rc: int | None = None
    type_now: str | None = None
    dmesg: list[str] = field(default_factory=list)
    #: The kernel's clock when it logged each ``dmesg`` line (seconds since boot).
    times: list[float] = field(default_factory=list)
    line: int = 0
    #: The last output line had no newline (it ran into the ``rc=`` line).
    unterminated: bool = False


@dataclass
class Transcript:
    """A whole transcript: who recorded it and its steps."""

    name: str
    release: str
    iommu: str
    variant: str
    cmdline: str
    boot: list[str]
    steps: list[Step]


def parse_transcript(path: Path) -> Transcript:
    """Parse one transcript file."""
    release = iommu = variant = cmdline = ""
    boot: list[str] = []
    steps: list[Step] = []
    section = ""
    current: Step | None = None
    for lineno, raw in enumerate(path.read_text(errors="replace").splitlines(), 1):
        if raw.startswith("# kernel package:"):
            m = re.search(r"uname -r (\S+)", raw)
            release = m.group(1) if m else ""
        elif raw.startswith("# iommu:"):
            m = re.match(r"# iommu: (\S+)\s+variant: (\S+)", raw)
            if m:
                iommu, variant = m.group(1), m.group(2)
        elif raw.startswith("#   qemu-system") and " -append " in raw:
            cmdline = raw.split(" -append ", 1)[1].strip()
        elif raw.startswith("===== SECTION "):
            section = raw[len("===== SECTION ") :]
            current = None
        elif m := _STEP.match(raw):
            current = Step(int(m.group(1)), m.group(2), section, line=lineno)
            steps.append(current)
        elif m := _BOOT.match(raw):
            boot.append(m.group(1))
        elif current is not None:
            if raw.startswith(("  out| ", "  err| ")) or raw in ("  out|", "  err|"):
                text = raw[7:]
                # output without a final newline runs into the "rc=" line
                if m := _UNTERMINATED.match(text):
                    text, current.rc = m.group(1), int(m.group(2))
                    current.unterminated = True
                (current.out if raw.startswith("  out|") else current.err).append(text)
            elif raw.startswith("  rc="):
                current.rc = int(raw[5:])
            elif raw.startswith("  type-now: "):
                current.type_now = raw[len("  type-now: ") :]
            elif m := _DMESG.match(raw):
                current.times.append(float(m.group(1)))
                current.dmesg.append(m.group(2))
            elif raw.startswith("----- ") or raw.startswith("====="):
                current = None
    return Transcript(path.stem, release, iommu, variant, cmdline, boot, steps)
