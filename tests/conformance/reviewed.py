"""The reviewed list: differences from the real kernel's transcripts that are not the
model's to reproduce, each with its reason. The goal is an empty list."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .runner import Mismatch

__all__ = ["REVIEWED", "Reviewed", "reviewed_reason"]


@dataclass(frozen=True)
class Reviewed:
    """Mismatches of ``what`` in steps whose command matches ``command``."""

    command: str
    what: tuple[str, ...]
    reason: str
    transcripts: str = ".*"


REVIEWED: tuple[Reviewed, ...] = (
    Reviewed(
        r"^pci-caps\b",
        ("stdout", "stderr", "status"),
        "pci-caps is a busybox sh + od + awk script decoding raw config space; iommush has "
        "no awk. The header type, multifunction bit and ACS it prints are modelled "
        "(they decide the groups) and checked by the kernel tests instead.",
    ),
)


def reviewed_reason(transcript: str, m: Mismatch) -> str | None:
    """Why this mismatch is accepted, or None if it is not."""
    for r in REVIEWED:
        if (
            m.what in r.what
            and re.search(r.command, m.step.command)
            and re.fullmatch(r.transcripts, transcript)
        ):
            return r.reason
    return None
