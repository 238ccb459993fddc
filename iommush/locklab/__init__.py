"""The lock lab: why Linux 6.3 refused to change the type of multi-device IOMMU groups,
and how 6.4 made it safe.

Kernel paths (a ``type`` write, a hot removal, a driver bind...) are written as the selected
kernel version runs them, broken at their lock and unlock points (:mod:`.paths`); the
explorer runs two or three of them over every interleaving on copies of the machine
(:mod:`.explore`) and reports deadlocks the way lockdep does (:mod:`.report`). The shell
commands are ``race`` and ``lockdep`` (:func:`locklab_commands`).
"""

from .commands import locklab_commands
from .explore import Exploration, Explorer
from .machine import LabMachine
from .parse import LabSyntaxError, PathRequest, parse_request
from .paths import MODES, WHAT_IF, build_path

__all__ = [
    "MODES",
    "WHAT_IF",
    "Exploration",
    "Explorer",
    "LabMachine",
    "LabSyntaxError",
    "PathRequest",
    "build_path",
    "locklab_commands",
    "parse_request",
]
