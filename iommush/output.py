"""The one place where terminal output is styled: the rich Console factory.

Commands write plain bytes; only the interactive layer decides to style anything,
and it asks here. ``--no-color`` and the ``NO_COLOR`` convention (https://no-color.org:
set and not empty) both turn colour off; bold and underline stay, as they are not
colour.

>>> color_enabled(no_color=False, environ={"NO_COLOR": "1"})
False
>>> color_enabled(no_color=False, environ={"NO_COLOR": ""})
True
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from rich.console import Console

__all__ = ["color_enabled", "make_console", "terminal_width"]


def color_enabled(no_color: bool = False, environ: Mapping[str, str] | None = None) -> bool:
    """False when ``--no-color`` was given or ``NO_COLOR`` is set to a non-empty value."""
    env = os.environ if environ is None else environ
    return not no_color and not env.get("NO_COLOR")


def terminal_width(stream: TextIO | None = None, default: int = 80) -> int:
    """Columns of the terminal behind ``stream`` (stdout), else ``$COLUMNS``, else ``default``."""
    try:
        return os.get_terminal_size((stream or __import__("sys").stdout).fileno()).columns
    except (OSError, ValueError, AttributeError):
        pass
    columns = os.environ.get("COLUMNS", "")
    return int(columns) if columns.isdigit() and int(columns) > 0 else default


def make_console(
    *,
    no_color: bool = False,
    file: TextIO | None = None,
    width: int | None = None,
    force_terminal: bool | None = None,
    environ: Mapping[str, str] | None = None,
) -> Console:
    """A rich Console for the terminal (rich is imported only when one is made)."""
    from rich.console import Console

    colour = color_enabled(no_color, environ)
    return Console(
        file=file,
        width=width,
        force_terminal=force_terminal,
        no_color=not colour,
        color_system="auto" if colour else None,
        highlight=False,
        emoji=False,
        markup=False,
    )
