"""The reviewed list: differences from the real kernel's transcripts that are not the
model's to reproduce, each with its reason. The goal is an empty list."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .runner import Mismatch

__all__ = ["REVIEWED", "Reviewed", "reviewed_reason"]


@dataclass(frozen=True)
class Reviewed:
    """Mismatches of ``what`` in steps whose command matches ``command`` (and, when
    given, whose two sides are exactly ``expected`` and ``actual``)."""

    command: str
    what: tuple[str, ...]
    reason: str
    transcripts: str = ".*"
    expected: object = None
    actual: object = None

    def covers(self, transcript: str, m: Mismatch) -> bool:
        if m.what not in self.what or not re.search(self.command, m.step.command):
            return False
        if not re.fullmatch(self.transcripts, transcript):
            return False
        if self.expected is not None and m.expected != self.expected:
            return False
        return self.actual is None or m.actual == self.actual


REVIEWED: tuple[Reviewed, ...] = (
    Reviewed(
        r"^printf\b.*> /sys/",
        ("stderr",),
        "busybox printf fails silently on a write error (status 1, no message) where "
        "bash's printf prints 'printf: write error: ...'; iommush keeps bash's wording. "
        "The status and the kernel's side (errno, type, log) are compared as usual.",
    ),
    Reviewed(
        r"^ls\b|; ls\b",
        ("status",),
        "an operand that does not exist: busybox ls exits 1, GNU ls exits 2 (its 'serious "
        "trouble' status); iommush follows coreutils.",
        expected=1,
        actual=2,
    ),
    Reviewed(
        r"^ls -l /sys/bus/pci/devices/0000:(00:02\.0|01:01\.0)/",
        ("stdout",),
        "a whole PCI device directory also shows what other subsystems hang there, which "
        "neither the snapshot nor the model carries: the ACPI companion (firmware_node -> "
        "LNXSYSTM:00/.../device:NN, numbered by QEMU's DSDT), the class directories the "
        "drivers make (net/, ptp/, msi_irqs/, virtioN/: the nlink of the bridge's children) "
        "and a resourceN file per BAR (sizes need BAR sizing). The PCI core's own files "
        "(aer_dev_*, link speed/width, link/, reset_subordinate) are modelled.",
    ),
    Reviewed(
        r"^runas \S+ \S+ id$",
        ("stdout",),
        "runas drops every supplementary group (setgroups(0, NULL)); busybox id then prints "
        "no 'groups=' part, coreutils id always lists the effective gid there.",
        expected=["uid=1000(user) gid=1000(user)"],
        actual=["uid=1000(user) gid=1000(user) groups=1000(user)"],
    ),
)


def reviewed_reason(transcript: str, m: Mismatch) -> str | None:
    """Why this mismatch is accepted, or None if it is not."""
    for r in REVIEWED:
        if r.covers(transcript, m):
            return r.reason
    return None
