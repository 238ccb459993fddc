"""The lock lab: why Linux 6.3 refused to change the type of multi-device IOMMU groups,
and how 6.4 made it safe.

Kernel paths (a ``type`` write, a hot removal, a driver bind...) are written as the selected
kernel version runs them, broken at their lock and unlock points (:mod:`.paths`); the
explorer runs two or three of them over every interleaving on copies of the machine
(:mod:`.explore`) and reports deadlocks the way lockdep does (:mod:`.report`). The shell
commands are ``race`` and ``lockdep`` (:func:`locklab_commands`, loaded on first use:
importing this package costs nothing until then).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from iommush.shell.command import CommandTable

if TYPE_CHECKING:
    from .explore import Exploration, Explorer
    from .machine import LabMachine
    from .parse import LabSyntaxError, PathRequest, parse_request
    from .paths import MODES, WHAT_IF, build_path

__all__ = [
    "MODES",
    "WHAT_IF",
    "WHAT_IF_NAMES",
    "Exploration",
    "Explorer",
    "LabMachine",
    "LabSyntaxError",
    "PathRequest",
    "build_path",
    "locklab_commands",
    "parse_request",
]

#: The what-if modes of :data:`.paths.WHAT_IF`, for completion without loading the lab.
WHAT_IF_NAMES = ("lift-singleton", "ops-rwsem", "locked-sweep")

_EXPORTS = {
    "MODES": "paths",
    "WHAT_IF": "paths",
    "build_path": "paths",
    "Exploration": "explore",
    "Explorer": "explore",
    "LabMachine": "machine",
    "LabSyntaxError": "parse",
    "PathRequest": "parse",
    "parse_request": "parse",
}


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def locklab_commands() -> CommandTable:
    """The lock lab's commands, for the CLI to add to the shell's table."""
    table = CommandTable()
    table.lazy_function(
        "race",
        "iommush.locklab.commands:race",
        synopsis="race [--what-if NAME] [--kernel VERSION] 'CMD1' 'CMD2' ['CMD3']",
        summary="run kernel paths concurrently over every interleaving of their locks",
        help_from="iommush.locklab.commands:RACE_HELP",
        options=("--what-if", "--kernel", *[f"--what-if={m}" for m in WHAT_IF_NAMES]),
    )
    table.lazy_function(
        "lockdep",
        "iommush.locklab.commands:lockdep_cmd",
        synopsis="lockdep [--classes]",
        summary="the lock orders the kernel recorded, and lockdep's warnings",
        options=("--classes",),
    )
    return table
