"""POSIX ``awk``: lexer, parser and interpreter, registered as the ``awk`` utility."""

from __future__ import annotations

from .main import awk

__all__ = ["awk"]
