"""Errors of machine descriptions: where (file, line) and what was expected."""

from __future__ import annotations

__all__ = ["MachineError"]


class MachineError(Exception):
    """A machine description that cannot be used.

    ``problems`` holds one line per problem, each already prefixed with its location
    (``desktop.toml:42: device 0000:01:00.1: unknown driver 'snd_hda'``); ``str()`` joins
    them. Nothing was booted or changed when this is raised.
    """

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))
