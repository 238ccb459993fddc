"""iommush.kernel imports nothing from the shell, the REPL, the machines package or the CLI."""

from __future__ import annotations

import ast
import pathlib

import iommush.kernel

FORBIDDEN = ("iommush.shell", "iommush.repl", "iommush.machine", "iommush.cli")


def test_kernel_imports_no_upper_layer() -> None:
    root = pathlib.Path(iommush.kernel.__file__).parent
    for path in root.rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            for n in names:
                assert not n.startswith(FORBIDDEN), f"{path.name} imports {n}"
