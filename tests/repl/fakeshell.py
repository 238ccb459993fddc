"""A stand-in for iommush.shell.Shell with the attributes the REPL uses."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from iommush.shell.command import CommandTable
from iommush.vfs import VirtualFS


@dataclass
class FakeSystem:
    fs: VirtualFS

    def available_modules(self) -> list[str]:
        return ["vfio-pci", "e1000e"]


@dataclass
class FakeShell:
    """Records what it is asked to run; understands ``cd``, ``exit``, ``false``, ``boom``."""

    system: FakeSystem
    table: CommandTable
    cwd: str = "/"
    vars: dict[str, str] = field(default_factory=lambda: {"HOME": "/root", "USER": "root"})
    last_status: int = 0
    exited: bool = False
    exit_status: int = 0
    ran: list[str] = field(default_factory=list)

    @staticmethod
    def is_complete(source: str) -> bool:
        words = source.replace(";", " ").split()

        def count(names: Iterable[str]) -> int:
            return sum(words.count(n) for n in names)

        if source.endswith("\\\n") or source.count("'") % 2 or source.count('"') % 2:
            return False
        return count(["if"]) <= count(["fi"]) and count(["for", "while"]) <= count(["done"])

    def run(self, source: str, *, filename: str | None = None) -> int:
        self.ran.append(source)
        words = source.split()
        if words[:1] == ["boom"]:
            raise RuntimeError("kaboom")
        if words[:1] == ["cd"]:
            self.cwd = words[1]
        if words[:1] == ["exit"]:
            self.exited = True
            self.exit_status = int(words[1]) if len(words) > 1 else self.last_status
        self.last_status = 1 if words[:1] == ["false"] else 0
        return self.last_status
