"""Exceptions of the shell language: syntax errors, incomplete input, control flow.

Control flow (``break``, ``continue``, ``return``, ``exit``) unwinds the interpreter
with exceptions, the way Oils' ``cmd_eval`` does; none of them ever reaches a caller
of :class:`iommush.shell.Shell`.
"""

from __future__ import annotations

__all__ = [
    "BreakLoop",
    "ContinueLoop",
    "ExitShell",
    "ExpansionError",
    "Incomplete",
    "ReturnFunction",
    "ShellSyntaxError",
]


class ShellSyntaxError(Exception):
    """A syntax error: ``message`` is bash's wording, ``line`` the 1-based line."""

    def __init__(self, message: str, line: int, source_line: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.source_line = source_line


class Incomplete(ShellSyntaxError):
    """The input ends inside a construct (``if`` without ``fi``, an open quote,
    a pending here-document): more lines are needed."""

    def __init__(self, message: str = "syntax error: unexpected end of file", line: int = 0):
        super().__init__(message, line)


class ExpansionError(Exception):
    """A word expansion failed (``${x:?}``, bad substitution, arithmetic error).

    ``fatal`` says whether a non-interactive shell exits (as bash does for ``${x:?}``
    and ``set -u``)."""

    def __init__(self, message: str, status: int = 1, fatal: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.fatal = fatal


class BreakLoop(Exception):
    """``break N``."""

    def __init__(self, levels: int) -> None:
        super().__init__(levels)
        self.levels = levels


class ContinueLoop(Exception):
    """``continue N``."""

    def __init__(self, levels: int) -> None:
        super().__init__(levels)
        self.levels = levels


class ReturnFunction(Exception):
    """``return N`` (from a function or a sourced file)."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status


class ExitShell(Exception):
    """``exit N``, ``set -e`` and fatal errors: leave the (sub)shell with ``status``."""

    def __init__(self, status: int) -> None:
        super().__init__(status)
        self.status = status
