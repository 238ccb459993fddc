"""The shell's own builtins (``cd``, ``echo``, ``read``, ``declare``...), registered in
a :class:`~iommush.shell.command.CommandTable` like every utility. ``special=True``
marks those that change the shell's state and so run in the shell itself.
"""

from __future__ import annotations

from ..command import CommandTable
from . import core, dirs, printf, vars

__all__ = ["BUILTIN_NAMES", "builtins"]


def builtins() -> CommandTable:
    """A fresh table with every shell builtin."""
    table = CommandTable()
    for module in (core, vars, printf, dirs):
        module.register(table)
    return table


BUILTIN_NAMES = frozenset(builtins().names())
