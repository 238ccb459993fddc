"""Teaching commands: ``help``, ``man`` and ``explain``.

They read the shell's command table, the packaged manual pages and the virtual tree;
they never change anything. :func:`teach_commands` returns them as a command table
the shell merges with its built-ins and utilities.
"""

from __future__ import annotations

from iommush.shell.command import CommandTable

from .explain import cmd_explain
from .help import cmd_help
from .man import cmd_man

__all__ = ["teach_commands"]


def teach_commands() -> CommandTable:
    """A fresh table holding ``help``, ``man`` and ``explain``."""
    table = CommandTable()
    table.command(
        "help",
        synopsis="help [-s] [COMMAND...]",
        summary="list the commands, or explain one",
        help=cmd_help.__doc__ or "",
        options=("-s",),
    )(cmd_help)
    table.command(
        "man",
        synopsis="man [SECTION] PAGE...  |  man -k WORD",
        summary="show a manual page (iommush, iommush-sysfs) or a command's help",
        help=cmd_man.__doc__ or "",
        options=("-k",),
    )(cmd_man)
    table.command(
        "explain",
        synopsis="explain [-k VERSION] PATH...  |  explain -l",
        summary="what a file of /sys is, and the kernel rules behind it",
        help=cmd_explain.__doc__ or "",
        options=("-k", "--kernel", "-l"),
    )(cmd_explain)
    return table
