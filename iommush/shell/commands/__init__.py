"""The utilities a sysfs script calls (coreutils, util-linux, pciutils, kmod, grep, sed,
find, awk) and iommush's own ``vfio`` and conformance helpers.

Each is a ``fn(ctx: CommandContext) -> int`` registered with
:func:`~iommush.shell.commands._base.utility` in the module that implements it.
:func:`utilities` returns a fresh :class:`~iommush.shell.command.CommandTable` of them
built from :data:`._index.UTILITIES`, so that importing this package costs nothing: a
utility's module is imported the first time the utility runs (or its help is shown).
:func:`loaded_utilities` imports every module and builds the table from what they
register; a test keeps the index equal to it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from iommush.shell.command import CommandInfo, CommandTable

from ._index import MODULES, UTILITIES

__all__ = ["MODULES", "loaded_utilities", "utilities"]


def _registered(name: str) -> CommandInfo:
    from ._base import REGISTRY, info_of

    for entry in REGISTRY:
        if entry[0] == name:
            return info_of(entry)
    raise LookupError(f"utility {name!r} is in the index but no module registers it")


def _loader(module: str, name: str) -> Callable[[], CommandInfo]:
    def load() -> CommandInfo:
        importlib.import_module(module)
        return _registered(name)

    return load


def utilities() -> CommandTable:
    """A new table with every utility of this package (each module loaded on first use)."""
    table = CommandTable()
    for name, module, synopsis, summary, options, aliases in UTILITIES:
        table.lazy(
            name,
            _loader(module, name),
            synopsis=synopsis,
            summary=summary,
            options=options,
            aliases=aliases,
        )
    return table


def loaded_utilities() -> CommandTable:
    """Every utility module imported, and the table of what they register."""
    from ._base import REGISTRY, info_of

    for module in MODULES:
        importlib.import_module(module)
    table = CommandTable()
    seen: set[str] = set()
    for entry in REGISTRY:
        if entry[0] not in seen:
            seen.add(entry[0])
            table.add(info_of(entry))
    return table
