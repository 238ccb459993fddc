"""``man PAGE``: the iommush manual pages rendered inside the shell.

The pages are the package's copies of ``man/iommush.1`` and ``man/iommush-sysfs.7``
(kept identical by a test) and are laid out by :mod:`iommush.teach.roff`; no external
program runs. ``man COMMAND`` falls back to the command's help, ``man -k WORD``
searches page names and command summaries.
"""

from __future__ import annotations

from importlib import resources

from iommush.shell.command import CommandContext

from .help import command_help_text, shell_table
from .roff import render, to_ansi, to_plain

__all__ = ["PAGES", "cmd_man", "page_source", "render_page"]

#: Page name -> (section, file in the package).
PAGES: dict[str, tuple[str, str]] = {
    "iommush": ("1", "iommush.1"),
    "iommush-sysfs": ("7", "iommush-sysfs.7"),
}
USAGE = "usage: man [SECTION] PAGE...\n       man -k WORD\n"


def page_source(name: str) -> str:
    """The roff source of page ``name`` (``iommush``, ``iommush.1``, ``iommush-sysfs``)."""
    base = name.rsplit(".", 1)[0] if name.rsplit(".", 1)[-1] in ("1", "7") else name
    _section, filename = PAGES[base]
    return resources.files("iommush.teach").joinpath("man", filename).read_text("utf-8")


def render_page(name: str, width: int = 80, *, ansi: bool = False) -> str:
    """Page ``name`` laid out for a terminal ``width`` columns wide."""
    lines = render(page_source(name), width)
    return to_ansi(lines) if ansi else to_plain(lines)


def _width(ctx: CommandContext) -> int:
    for var in ("MANWIDTH", "COLUMNS"):
        value = ctx.env.get(var, "")
        if value.isdigit() and int(value) >= 40:
            return min(int(value), 200)
    return 80


def _apropos(ctx: CommandContext, word: str) -> int:
    found: list[str] = []
    needle = word.lower()
    for name, (section, _f) in PAGES.items():
        if needle in name:
            found.append(f"{name} ({section})")
    table = shell_table(ctx)
    for info in table or ():
        if needle in info.name.lower() or needle in info.summary.lower():
            found.append(f"{info.name} (builtin) - {info.summary}")
    if not found:
        ctx.err(f"{word}: nothing appropriate.\n")
        return 16
    ctx.out("".join(line + "\n" for line in found))
    return 0


def cmd_man(ctx: CommandContext) -> int:
    """Show a manual page: iommush(1), the shell, or iommush-sysfs(7), every emulated
    file and how it behaves on 6.3, 6.4 and 6.12. 'man COMMAND' shows the command's
    help; 'man -k WORD' searches page names and command summaries."""
    args = ctx.argv[1:]
    if args[:1] == ["-k"]:
        if len(args) != 2:
            ctx.err(USAGE)
            return 2
        return _apropos(ctx, args[1])
    if args and args[0].startswith("-"):
        ctx.error(f"invalid option -- '{args[0].lstrip('-')}'")
        ctx.err(USAGE)
        return 2
    if args and args[0] in ("1", "7"):
        args = args[1:]
    if not args:
        ctx.err("What manual page do you want?\nFor example, try 'man iommush'.\n")
        return 1
    status = 0
    width = _width(ctx)
    table = shell_table(ctx)
    for name in args:
        try:
            ctx.out(render_page(name, width, ansi=ctx.interactive))
            continue
        except KeyError:
            pass
        info = table.get(name) if table is not None else None
        if info is None:
            ctx.err(f"No manual entry for {name}\n")
            status = 16
            continue
        ctx.out(command_help_text(info, width))
    return status
