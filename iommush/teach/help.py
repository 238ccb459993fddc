"""``help``: the commands of the shell, from its command table (the one source that
also feeds completion and the manual's command list)."""

from __future__ import annotations

import textwrap

from iommush.shell.command import CommandContext, CommandInfo, CommandTable

__all__ = ["cmd_help", "command_help_text", "command_list_text", "shell_table"]


def shell_table(ctx: CommandContext, fallback: CommandTable | None = None) -> CommandTable | None:
    """The running shell's command table, or ``fallback`` if the shell has none."""
    table = getattr(ctx.shell, "table", None)
    return table if isinstance(table, CommandTable) else fallback


def command_list_text(table: CommandTable, width: int = 80) -> str:
    """Every command with its summary, aligned, one per line."""
    infos = list(table)
    if not infos:
        return ""
    col = min(max(len(i.name) for i in infos) + 2, 18)
    lines = []
    for info in infos:
        name = info.name if len(info.name) < col else info.name + "\n" + " " * col
        summary = textwrap.shorten(info.summary, width=max(width - col - 1, 20), placeholder="...")
        lines.append(f"{name:<{col}}{summary}".rstrip() + "\n")
    return "".join(lines)


def command_help_text(info: CommandInfo, width: int = 80) -> str:
    """Synopsis, summary, help text, options and aliases of one command."""
    info = info.resolve()
    out = [f"{info.synopsis}\n", f"    {info.summary}\n"]
    if info.help.strip():
        body = textwrap.dedent(info.help).strip("\n")
        if body.splitlines()[0].strip() == info.summary.strip():
            body = "\n".join(body.splitlines()[1:]).strip("\n")
        for para in body.split("\n\n"):
            if para.strip():
                text = " ".join(para.split())
                out.append(
                    "\n"
                    + textwrap.fill(
                        text, width - 4, initial_indent="    ", subsequent_indent="    "
                    )
                    + "\n"
                )
    if info.options:
        out.append("\n    Options: " + " ".join(info.options) + "\n")
    if info.aliases:
        out.append("    Also called: " + " ".join(info.aliases) + "\n")
    if info.special:
        out.append("    A special built-in: it runs in the shell itself.\n")
    return "".join(out)


def cmd_help(ctx: CommandContext) -> int:
    """Without an argument, list every command with a one-line summary; with names,
    show each command's synopsis and description. -s shows the synopsis only."""
    args = ctx.argv[1:]
    short = False
    if args[:1] == ["-s"]:
        short, args = True, args[1:]
    elif args[:1] == ["--"]:
        args = args[1:]
    elif args and args[0].startswith("-") and args[0] != "-":
        ctx.error(f"{args[0]}: invalid option")
        ctx.err("help: usage: help [-s] [COMMAND ...]\n")
        return 2
    table = shell_table(ctx)
    if table is None:
        from . import teach_commands

        table = teach_commands()
    width = int(ctx.env["COLUMNS"]) if ctx.env.get("COLUMNS", "").isdigit() else 80
    if not args:
        ctx.out(
            "iommush commands. 'help NAME' explains one, 'man iommush' is the manual,\n"
            "'explain PATH' tells what a file of /sys does.\n\n" + command_list_text(table, width)
        )
        return 0
    status = 0
    for i, name in enumerate(args):
        info = table.get(name)
        if info is None:
            ctx.error(f"no help topics match '{name}'.  Try 'help' or 'man iommush'.")
            status = 1
            continue
        if i and not short:
            ctx.out("\n")
        ctx.out(f"{name}: {info.synopsis}\n" if short else command_help_text(info, width))
    return status
