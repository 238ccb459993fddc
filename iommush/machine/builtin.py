"""The built-in machines (``fixtures/*.toml`` in this package) and machine lookup."""

from __future__ import annotations

import os
import tomllib

from iommush.kernel.spec import MachineSpec
from iommush.machine.errors import MachineError
from iommush.machine.toml_format import load_toml_file, loads_machine

__all__ = ["DEFAULT_MACHINE", "builtin_names", "list_machines", "load_machine"]

#: The machine booted when none is named.
DEFAULT_MACHINE = "desktop"


#: Where the built-in machines are: the package's own ``fixtures`` directory.
FIXTURES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures")


def _fixtures() -> dict[str, str]:
    """Built-in machine name -> path of its TOML file, sorted by name."""
    return {
        entry[: -len(".toml")]: os.path.join(FIXTURES_DIR, entry)
        for entry in sorted(os.listdir(FIXTURES_DIR))
        if entry.endswith(".toml")
    }


def _read(path: str) -> str:
    with open(path, encoding="utf-8") as f:
        return f.read()


def builtin_names() -> list[str]:
    """Names of the built-in machines, sorted."""
    return list(_fixtures())


def list_machines() -> list[tuple[str, str]]:
    """``(name, one-line description)`` of every built-in machine, sorted by name."""
    out: list[tuple[str, str]] = []
    for name, path in _fixtures().items():
        try:
            doc = tomllib.loads(_read(path))
            desc = str(doc.get("machine", {}).get("description", ""))
        except (OSError, tomllib.TOMLDecodeError):
            desc = "(unreadable)"
        out.append((name, desc))
    return out


def load_machine(name_or_path: str) -> MachineSpec:
    """A built-in machine by name, or a ``.toml`` machine file by path.

    Raises MachineError (with file and line) if the file is invalid or the name unknown.
    """
    fixtures = _fixtures()
    if name_or_path in fixtures:
        path = fixtures[name_or_path]
        spec = loads_machine(_read(path), os.path.basename(path))
        spec.source = f"built-in machine {name_or_path}"
        return spec
    if "/" in name_or_path or name_or_path.endswith(".toml") or os.path.exists(name_or_path):
        return load_toml_file(name_or_path)
    raise MachineError(
        f"unknown machine '{name_or_path}' (built-in: {', '.join(fixtures)}; "
        "or give a path to a .toml file)"
    )
