"""The utilities a sysfs script calls (coreutils, util-linux, pciutils, kmod, grep, sed,
find) and iommush's own ``vfio`` and conformance helpers.

Each is a ``fn(ctx: CommandContext) -> int``; :func:`utilities` returns a fresh
:class:`~iommush.shell.command.CommandTable` holding all of them. Importing this
package is cheap: no rich, no prompt_toolkit.
"""

from __future__ import annotations

from iommush.shell.command import CommandContext, CommandTable

from . import (  # noqa: F401  (each module registers its utilities on import)
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
from ._base import REGISTRY, info_of, utility

__all__ = ["utilities"]

#: Where the lazily loaded ``awk`` registration sits in :data:`REGISTRY`; loading the
#: interpreter appends its own entry, which :func:`utilities` leaves out.
_AWK_AT = len(REGISTRY)


@utility(
    "awk",
    "awk [-F fs] [-v var=value] ['program' | -f progfile] [file ...]",
    "pattern scanning and text processing language",
    options=("-F", "-v", "-f"),
    buffered=False,
)
def _awk(ctx: CommandContext) -> int:
    """Run an awk program (POSIX awk) over the FILEs, or standard input."""
    from .awk.main import awk

    return awk(ctx)


REGISTRY.insert(0, REGISTRY.pop(_AWK_AT))


def utilities() -> CommandTable:
    """A new table with every utility of this package."""
    table = CommandTable()
    seen: set[str] = set()
    for entry in REGISTRY:
        if entry[0] not in seen:
            seen.add(entry[0])
            table.add(info_of(entry))
    return table
