"""The ways an awk program fails: at parse time (mawk's ``line N: syntax error at or near
X``) and at run time (a fatal error, exit status 2)."""

from __future__ import annotations

__all__ = ["AwkError", "AwkRuntimeError", "AwkSyntaxError"]


class AwkError(Exception):
    """Any failure that ends the program with status 2 and one message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class AwkSyntaxError(AwkError):
    """A program that does not parse: ``line N: syntax error at or near X``."""

    def __init__(self, line: int, near: str, message: str | None = None) -> None:
        text = message if message is not None else f"syntax error at or near {near}"
        super().__init__(f"line {line}: {text}")
        self.line = line


class AwkRuntimeError(AwkError):
    """A fatal error while the program runs (``division by zero``, a bad ``printf``)."""
