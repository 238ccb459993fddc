"""Teaching commands: ``help``, ``man``, ``explain``, ``why``, ``groups``, ``tree``,
``plan``, ``lesson``, and the session commands ``reset``, ``undo``, ``save``, ``load``.

:func:`teach_commands` returns them as a command table the shell merges with its
built-ins and utilities; each command's module is imported when it first runs. The
shell's hooks live in :mod:`.hints` (:func:`~iommush.teach.hints.hint_for_write`) and
:mod:`.session` (:func:`~iommush.teach.session.attach`).
"""

from __future__ import annotations

from iommush.shell.command import CommandTable

__all__ = ["teach_commands"]


def teach_commands() -> CommandTable:
    """A fresh table holding every teaching command."""
    table = CommandTable()

    def reg(name: str, synopsis: str, summary: str, target: str, *options: str) -> None:
        table.lazy_function(
            name, f"iommush.teach.{target}", synopsis=synopsis, summary=summary, options=options
        )

    reg(
        "help", "help [-s] [COMMAND...]", "list the commands, or explain one", "help:cmd_help", "-s"
    )
    reg(
        "man",
        "man [SECTION] PAGE...  |  man -k WORD",
        "show a manual page (iommush, iommush-sysfs) or a command's help",
        "man:cmd_man",
        "-k",
    )
    reg(
        "explain",
        "explain [-k VERSION] PATH...  |  explain -l",
        "what a file of /sys is, and the kernel rules behind it",
        "explain:cmd_explain",
        "-k",
        "--kernel",
        "-l",
    )
    reg("why", "why BDF [BDF]", "the rule that put a device in its IOMMU group", "why:cmd_why")
    reg(
        "groups",
        "groups [-i|--iommu]  |  groups [USER]...",
        "the IOMMU groups as a table (on a terminal), or a user's groups",
        "overview:cmd_groups",
        "-i",
        "--iommu",
    )
    reg(
        "tree",
        "tree [-dl] [-L LEVEL] [PATH...]",
        "list a directory as a tree",
        "overview:cmd_tree",
        "-L",
        "-d",
        "-l",
    )
    reg(
        "plan",
        "plan BDF [--apply]",
        "plan (and run) the passthrough of a device to a VM",
        "plan:cmd_plan",
        "--apply",
    )
    reg(
        "lesson",
        "lesson [NAME|check|show|next|quit]",
        "guided exercises that check what you do",
        "lesson:cmd_lesson",
    )
    reg(
        "reset",
        "reset [--kernel VERSION]",
        "reboot the machine to its boot state",
        "session_cmds:cmd_reset",
        "--kernel",
    )
    reg("undo", "undo", "undo the last command that changed the machine", "session_cmds:cmd_undo")
    reg(
        "save",
        "save FILE",
        "save the session (machine and commands) to a host file",
        "session_cmds:cmd_save",
    )
    reg("load", "load FILE", "load a session saved with save", "session_cmds:cmd_load")
    return table
