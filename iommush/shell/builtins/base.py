"""Helpers shared by the builtins: reaching the interpreter, bash-style messages."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from ..command import CommandContext

if TYPE_CHECKING:
    from ..interp import Interp

__all__ = ["err", "interp_of", "usage"]


def interp_of(ctx: CommandContext) -> Interp:
    """The interpreter running this builtin."""
    return cast("Interp", ctx.shell)


def err(ctx: CommandContext, message: str) -> None:
    """``iommush: NAME: message`` (``FILE: line N: NAME: message`` in a script)."""
    ctx.err(f"{interp_of(ctx).prefix()}{ctx.argv[0]}: {message}\n")


def usage(ctx: CommandContext, option: str, synopsis: str) -> int:
    """``NAME: -X: invalid option`` and the usage line; status 2."""
    err(ctx, f"{option}: invalid option")
    ctx.err(f"{ctx.argv[0]}: usage: {synopsis}\n")
    return 2
