"""The lazy command index agrees with what the utility modules register.

``iommush.shell.commands._index`` is generated: after adding or changing a utility's
registration, rewrite it with ``python tests/shell/commands/test_index.py --write``.
"""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import iommush.shell.commands as package
from iommush.shell.command import LazyCommand
from iommush.shell.commands import loaded_utilities, utilities

INDEX = Path(package.__file__).with_name("_index.py")

HEADER = '''"""Generated: the utilities of :mod:`iommush.shell.commands` and the modules that
register them, so a shell can list and complete every utility without importing any.

Do not edit by hand: ``python tests/shell/commands/test_index.py --write`` rewrites it
(a test checks it against the modules' own registrations).
"""

from __future__ import annotations

'''


def render_index() -> str:
    """The text ``_index.py`` should have, from the modules' registrations."""
    from iommush.shell.commands._base import REGISTRY

    for mod in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if not mod.name.endswith("._index"):
            importlib.import_module(mod.name)
    entries = sorted(REGISTRY, key=lambda e: e[0])
    names = [e[0] for e in entries]
    assert len(set(names)) == len(names), "two modules register the same utility"
    modules = sorted({e[6] for e in entries})
    rows = [
        f"    ({name!r}, {module!r}, {synopsis!r}, {summary!r}, {options!r}, {aliases!r}),"
        for name, _fn, synopsis, summary, options, aliases, module in entries
    ]
    return (
        HEADER
        + "#: Every module that registers a utility.\n"
        + "MODULES: tuple[str, ...] = (\n"
        + "".join(f"    {m!r},\n" for m in modules)
        + ")\n\n"
        + "#: (name, module, synopsis, summary, options, aliases) of every utility, by name.\n"
        + "UTILITIES: tuple[tuple[str, str, str, str, tuple[str, ...], tuple[str, ...]], ...] = (\n"
        + "\n".join(rows)
        + "\n)\n"
    )


def _formatted(text: str) -> str:
    """``text`` as ruff formats it (the index is checked by ruff like any module)."""
    done = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--stdin-filename", str(INDEX), "-"],
        input=text,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def test_index_is_current() -> None:
    assert INDEX.read_text() == _formatted(render_index()), (
        "the utility index is stale: run python tests/shell/commands/test_index.py --write"
    )


def test_lazy_table_matches_the_loaded_one() -> None:
    lazy, loaded = utilities(), loaded_utilities()
    assert lazy.names() == loaded.names()
    for info in loaded:
        entry = lazy.get(info.name)
        assert entry is not None
        assert (entry.synopsis, entry.summary, entry.options, entry.aliases) == (
            info.synopsis,
            info.summary,
            info.options,
            info.aliases,
        )
        assert isinstance(entry.fn, LazyCommand)
        assert entry.resolve().fn is info.fn
        assert entry.resolve().help == info.help


def test_importing_the_table_loads_no_utility() -> None:
    code = (
        "import sys; from iommush.shell.commands import utilities; t = utilities(); "
        "t.get('ls'); print(sorted(m for m in sys.modules if m.startswith('iommush.shell.commands.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['iommush.shell.commands._index']"


if __name__ == "__main__":
    if sys.argv[1:] == ["--write"]:
        INDEX.write_text(_formatted(render_index()))
    else:
        sys.stdout.write(_formatted(render_index()))
