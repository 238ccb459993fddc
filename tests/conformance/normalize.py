"""What is compared between a real-kernel step and iommush's, and the few normalisations.

Compared exactly: stdout, the errno text that ends each error line, the exit status,
``type-now`` and the kernel log lines that come from the IOMMU core, the IOMMU drivers,
VFIO and the driver core. Normalised only where busybox (which recorded the
transcripts) and bash/coreutils (which iommush follows) differ, and where the log
is the chatter of network, storage and hotplug drivers about themselves or of PCI
resource assignment, which the model does not invent.
"""

from __future__ import annotations

import re

__all__ = ["normalize_out", "normalize_err", "relevant_dmesg"]

# busybox `ls -l`: "lrwxrwxrwx    1 root     root             0 Nov 22 01:18 name -> x"
_LS_LONG = re.compile(
    r"^([-dlcbps][-rwxsStT]{9})[.+@]?\s+(\d+)\s+(\S+)\s+(\S+)\s+(\d+(?:,\s*\d+)?)\s+"
    r"(?:\w{3}\s+\d+\s+(?:\d\d:\d\d|\d{4}))\s(.*)$"
)
# an error message captured inside stdout (try-type prints "[sh: write error: X]")
_BRACKETED_ERROR = re.compile(r"\[[^\[\]]*: ([^:\[\]]+)\]")


def _ls_line(line: str) -> str:
    m = _LS_LONG.match(line)
    if not m:
        return line
    mode, nlink, user, group, size, name = m.groups()
    size = re.sub(r",\s*", ",", size)
    return f"{mode} {nlink} {user} {group} {size} {name}"


# strerror texts an error line captured into stdout (``2>&1``) may end with
_STRERRORS = (
    "No such file or directory|Permission denied|Operation not permitted|Invalid argument|"
    "Device or resource busy|No such device|Not a directory|Is a directory|"
    "Input/output error|No such device or address|Resource temporarily unavailable"
)
# "ls: /x: No such file or directory" (busybox) / "ls: cannot access '/x': No such ..." (GNU)
_ERROR_LINE = re.compile(rf"^[\w.-]+: .*: ({_STRERRORS})$")


def normalize_out(lines: list[str]) -> list[str]:
    """stdout lines with ``ls -l`` columns and dates, and captured error wording, normalised."""
    out = []
    for line in lines:
        line = _BRACKETED_ERROR.sub(r"[error: \1]", _ls_line(line))
        out.append(_ERROR_LINE.sub(r"<error: \1>", line))
    return out


def normalize_err(lines: list[str]) -> list[str]:
    """Each error line reduced to the errno text that ends it."""
    out = []
    for line in lines:
        if not line.strip():
            continue
        out.append(line.rsplit(": ", 1)[-1].strip())
    return out


# Lines the model is responsible for: the IOMMU core and drivers, VFIO, the driver
# core's probe errors, and the PCI core's device add/remove as the IOMMU sees it.
_RELEVANT = re.compile(
    r"iommu|IOMMU|DMAR|AMD-Vi|[Vv]fio|VFIO|default domain|still bound|Group not assigned|"
    r"claimed by stub|DMA addresses|probe with driver|probe of .* failed|Cannot change|"
    r"Firmware has requested|Passthrough|Translated|lazy mode|strict mode|"
    r"requesting conflicting|cannot be in|needs domain type"
)


def relevant_dmesg(lines: list[str]) -> list[str]:
    """The log lines that are compared, in order."""
    return [line.rstrip() for line in lines if _RELEVANT.search(line)]
