"""The commands ``race`` accepts, parsed into what kernel path each one starts.

Each argument is one shell-like command line::

    echo identity > /sys/kernel/iommu_groups/26/type
    echo 1 > /sys/bus/pci/devices/0000:06:0d.1/remove
    echo 0000:06:0d.1 > /sys/bus/pci/drivers/emu10k1_gp/bind      (or .../unbind)
    vfio-claim 26
    iommu_domain_alloc pci
    iommu_group_remove_device 0000:06:0d.1

Anything else is a :class:`LabSyntaxError` with a message saying what the lab knows.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass

__all__ = ["KNOWN_FORMS", "LabSyntaxError", "PathRequest", "parse_request"]

KNOWN_FORMS = (
    "echo TYPE > /sys/kernel/iommu_groups/N/type",
    "echo 1 > /sys/bus/pci/devices/BDF/remove",
    "echo BDF > /sys/bus/pci/drivers/DRIVER/bind",
    "echo BDF > /sys/bus/pci/drivers/DRIVER/unbind",
    "vfio-claim N",
    "iommu_domain_alloc pci",
    "iommu_group_remove_device BDF",
)

_TYPES = ("identity", "DMA", "DMA-FQ", "auto")
_BDF = r"[0-9a-fA-F]{4}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]"
_SYS_TYPE = re.compile(r"^/sys/kernel/iommu_groups/(\d+)/type$")
_SYS_REMOVE = re.compile(rf"^/sys/bus/pci/devices/({_BDF})/remove$")
_SYS_DRV = re.compile(r"^/sys/bus/pci/drivers/([^/]+)/(bind|unbind)$")


class LabSyntaxError(ValueError):
    """A command the lab cannot turn into a kernel path."""


@dataclass(frozen=True)
class PathRequest:
    """``kind`` is one of store_type, remove, bind, unbind, vfio_claim, domain_alloc,
    group_remove_device."""

    kind: str
    text: str
    group: int | None = None
    device: str | None = None
    driver: str | None = None
    value: str = ""


def _unknown(text: str) -> LabSyntaxError:
    forms = "; ".join(KNOWN_FORMS)
    return LabSyntaxError(f"{text!r}: not a kernel path the lab knows (one of: {forms})")


def _parse_echo(text: str, words: list[str]) -> PathRequest:
    # echo WORD > PATH, also echo WORD >PATH
    rest = words[1:]
    if len(rest) == 2 and rest[1].startswith(">") and rest[1] != ">":
        rest = [rest[0], ">", rest[1][1:]]
    if len(rest) != 3 or rest[1] != ">":
        raise _unknown(text)
    value, path = rest[0], rest[2]
    m = _SYS_TYPE.match(path)
    if m:
        if value not in _TYPES:
            raise LabSyntaxError(
                f"{text!r}: {value!r} is not a group type (identity, DMA, DMA-FQ or auto)"
            )
        return PathRequest("store_type", text, group=int(m.group(1)), value=value)
    m = _SYS_REMOVE.match(path)
    if m:
        if value != "1":
            raise LabSyntaxError(f"{text!r}: the lab races a removal: echo 1 > .../remove")
        return PathRequest("remove", text, device=m.group(1).lower())
    m = _SYS_DRV.match(path)
    if m:
        if not re.fullmatch(_BDF, value):
            raise LabSyntaxError(f"{text!r}: {value!r} is not a PCI device name (0000:00:00.0)")
        return PathRequest(m.group(2), text, device=value.lower(), driver=m.group(1))
    raise _unknown(text)


def parse_request(text: str) -> PathRequest:
    """One command line -> the path it starts."""
    try:
        words = shlex.split(text)
    except ValueError as e:
        raise LabSyntaxError(f"{text!r}: {e}") from None
    if not words:
        raise LabSyntaxError("empty command")
    head = words[0]
    if head == "echo":
        return _parse_echo(text, words)
    if head == "vfio-claim":
        if len(words) != 2 or not words[1].isdigit():
            raise LabSyntaxError(f"{text!r}: usage: vfio-claim GROUP")
        return PathRequest("vfio_claim", text, group=int(words[1]))
    if head == "iommu_domain_alloc":
        if words[1:] != ["pci"]:
            raise LabSyntaxError(f"{text!r}: usage: iommu_domain_alloc pci")
        return PathRequest("domain_alloc", text, value="pci")
    if head == "iommu_group_remove_device":
        if len(words) != 2 or not re.fullmatch(_BDF, words[1]):
            raise LabSyntaxError(f"{text!r}: usage: iommu_group_remove_device BDF")
        return PathRequest("group_remove_device", text, device=words[1].lower())
    raise _unknown(text)
