"""Imports point one way: cli/repl -> shell -> vfs <- kernel -> iova."""

import ast
import pathlib

import pytest

PKG = pathlib.Path(__file__).resolve().parent.parent / "iommush"

#: package -> project packages it must never import
FORBIDDEN = {
    "vfs": {"kernel", "shell", "repl", "machine", "cli", "teach", "iova", "uapi", "userland"},
    "uapi": {"kernel", "shell", "repl", "machine", "cli", "teach", "iova", "vfs", "userland"},
    "iova": {"kernel", "shell", "repl", "machine", "cli", "teach", "vfs", "userland"},
    "kernel": {"shell", "repl", "machine", "cli", "teach", "userland"},
    "shell": {"kernel", "repl", "machine", "cli", "iova", "userland"},
    "machine": {"shell", "repl", "cli", "teach"},
    "teach": {"repl", "cli"},
}


def _imports(path: pathlib.Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "iommush" and len(parts) > 1:
                found.add(parts[1])
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_point_one_way(package: str) -> None:
    bad = []
    for path in (PKG / package).rglob("*.py"):
        for target in _imports(path) & FORBIDDEN[package]:
            bad.append(f"{path.relative_to(PKG)} imports iommush.{target}")
    assert not bad, "\n".join(bad)


def test_non_interactive_modules_do_not_import_prompt_toolkit_or_rich() -> None:
    bad = []
    for package in ("shell", "kernel", "vfs", "machine", "iova"):
        for path in (PKG / package).rglob("*.py"):
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                if isinstance(node, ast.Import | ast.ImportFrom) and node.col_offset == 0:
                    mods = (
                        [a.name for a in node.names]
                        if isinstance(node, ast.Import)
                        else [node.module or ""]
                    )
                    if any(m.split(".")[0] in ("prompt_toolkit", "rich") for m in mods):
                        bad.append(str(path.relative_to(PKG)))
    assert not bad
