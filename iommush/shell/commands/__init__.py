"""The utilities a sysfs script calls (coreutils, util-linux, pciutils, kmod, grep, sed,
find) and iommush's own ``vfio`` and conformance helpers.

Each is a ``fn(ctx: CommandContext) -> int``; :func:`utilities` returns a fresh
:class:`~iommush.shell.command.CommandTable` holding all of them. Importing this
package is cheap: no rich, no prompt_toolkit.
"""

from __future__ import annotations

from iommush.shell.command import CommandTable

from . import (  # noqa: F401  (each module registers its utilities on import)
    awk,
    binary,
    conformance,
    files,
    find,
    grep,
    ls,
    lspci,
    modules,
    paths,
    sed,
    sort,
    sysinfo,
    text,
    tr,
    users,
    vfio,
)
from ._base import REGISTRY, info_of

__all__ = ["utilities"]


def utilities() -> CommandTable:
    """A new table with every utility of this package."""
    table = CommandTable()
    for entry in REGISTRY:
        table.add(info_of(entry))
    return table
