"""Line numbers of tables and keys in a TOML source, for error messages.

``tomllib`` gives values without positions, so the loader asks this index where the
n-th ``[[pci]]`` entry (or one of its keys) was written.
"""

from __future__ import annotations

import re

__all__ = ["TomlLineIndex"]

_ARRAY_HEADER = re.compile(r"^\s*\[\[\s*([A-Za-z0-9_.\-]+)\s*\]\]")
_TABLE_HEADER = re.compile(r"^\s*\[\s*([A-Za-z0-9_.\-]+)\s*\]")
_KEY = re.compile(r"^\s*([A-Za-z0-9_\-]+)\s*=")


class TomlLineIndex:
    """Where each table, array-of-tables entry and key starts (1-based lines). The source
    is scanned when a line is first asked for: a valid file never needs one."""

    def __init__(self, text: str) -> None:
        self._text: str | None = text
        #: (table name, entry index) -> header line; plain tables use index 0.
        self._headers: dict[tuple[str, int], int] = {}
        #: (table name, entry index, key) -> line of ``key =``.
        self._keys: dict[tuple[str, int, str], int] = {}

    def _scan(self) -> None:
        text, self._text = self._text, None
        if text is None:
            return
        counts: dict[str, int] = {}
        current: tuple[str, int] = ("", 0)
        in_multiline = False
        for lineno, line in enumerate(text.splitlines(), start=1):
            if in_multiline:
                if line.count('"""') % 2 == 1 or line.count("'''") % 2 == 1:
                    in_multiline = False
                continue
            m = _ARRAY_HEADER.match(line)
            if m:
                name = m.group(1)
                index = counts.get(name, 0)
                counts[name] = index + 1
                current = (name, index)
                self._headers[current] = lineno
                continue
            m = _TABLE_HEADER.match(line)
            if m:
                current = (m.group(1), 0)
                self._headers.setdefault(current, lineno)
                continue
            m = _KEY.match(line)
            if m:
                self._keys.setdefault((current[0], current[1], m.group(1)), lineno)
                if line.count('"""') % 2 == 1 or line.count("'''") % 2 == 1:
                    in_multiline = True

    def table(self, name: str, index: int = 0) -> int:
        """Line of the ``[name]``/``[[name]]`` header (its ``index``-th entry); 0 if absent."""
        self._scan()
        return self._headers.get((name, index), 0)

    def key(self, name: str, index: int, key: str) -> int:
        """Line of ``key = ...`` in that entry, else the entry's header line."""
        self._scan()
        return self._keys.get((name, index, key), self.table(name, index))
