"""Teaching commands: ``help``, ``man``, ``explain``, ``why``, ``groups``, ``tree``,
``plan``, ``lesson``, and the session commands ``reset``, ``undo``, ``save``, ``load``.

:func:`teach_commands` returns them as a command table the shell merges with its
built-ins and utilities. The shell's hooks live in :mod:`.hints`
(:func:`~iommush.teach.hints.hint_for_write`) and :mod:`.session`
(:func:`~iommush.teach.session.attach`).
"""

from __future__ import annotations

from iommush.shell.command import CommandFn, CommandTable

from .explain import cmd_explain
from .help import cmd_help
from .lesson import cmd_lesson
from .man import cmd_man
from .overview import cmd_groups, cmd_tree
from .plan import cmd_plan
from .session_cmds import cmd_load, cmd_reset, cmd_save, cmd_undo
from .why import cmd_why

__all__ = ["teach_commands"]


def teach_commands() -> CommandTable:
    """A fresh table holding every teaching command."""
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
    _more(table)
    return table


def _more(table: CommandTable) -> None:
    def reg(name: str, synopsis: str, summary: str, fn: CommandFn, *options: str) -> None:
        table.command(
            name, synopsis=synopsis, summary=summary, help=fn.__doc__ or "", options=options
        )(fn)

    reg("why", "why BDF [BDF]", "the rule that put a device in its IOMMU group", cmd_why)
    reg(
        "groups",
        "groups [-i|--iommu]  |  groups [USER]...",
        "the IOMMU groups as a table (on a terminal), or a user's groups",
        cmd_groups,
        "-i",
        "--iommu",
    )
    reg(
        "tree",
        "tree [-dl] [-L LEVEL] [PATH...]",
        "list a directory as a tree",
        cmd_tree,
        "-L",
        "-d",
        "-l",
    )
    reg(
        "plan",
        "plan BDF [--apply]",
        "plan (and run) the passthrough of a device to a VM",
        cmd_plan,
        "--apply",
    )
    reg(
        "lesson",
        "lesson [NAME|check|show|next|quit]",
        "guided exercises that check what you do",
        cmd_lesson,
    )
    reg(
        "reset",
        "reset [--kernel VERSION]",
        "reboot the machine to its boot state",
        cmd_reset,
        "--kernel",
    )
    reg("undo", "undo", "undo the last command that changed the machine", cmd_undo)
    reg("save", "save FILE", "save the session (machine and commands) to a host file", cmd_save)
    reg("load", "load FILE", "load a session saved with save", cmd_load)
