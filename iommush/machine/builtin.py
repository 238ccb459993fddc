"""The built-in machines (``fixtures/*.toml`` in this package) and machine lookup."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from iommush.kernel.spec import MachineSpec
from iommush.machine.errors import MachineError
from iommush.machine.toml_format import load_toml_file, loads_machine

__all__ = ["DEFAULT_MACHINE", "builtin_names", "list_machines", "load_machine"]

#: The machine booted when none is named.
DEFAULT_MACHINE = "desktop"


def _fixtures() -> dict[str, Path]:
    root = resources.files("iommush.machine") / "fixtures"
    out: dict[str, Path] = {}
    for entry in root.iterdir():
        if entry.name.endswith(".toml"):
            out[entry.name[: -len(".toml")]] = Path(str(entry))
    return dict(sorted(out.items()))


def builtin_names() -> list[str]:
    """Names of the built-in machines, sorted."""
    return list(_fixtures())


def list_machines() -> list[tuple[str, str]]:
    """``(name, one-line description)`` of every built-in machine, sorted by name."""
    out: list[tuple[str, str]] = []
    for name, path in _fixtures().items():
        try:
            doc = tomllib.loads(path.read_text(encoding="utf-8"))
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
        spec = loads_machine(path.read_text(encoding="utf-8"), path.name)
        spec.source = f"built-in machine {name_or_path}"
        return spec
    if "/" in name_or_path or name_or_path.endswith(".toml") or Path(name_or_path).exists():
        return load_toml_file(name_or_path)
    raise MachineError(
        f"unknown machine '{name_or_path}' (built-in: {', '.join(fixtures)}; "
        "or give a path to a .toml file)"
    )
