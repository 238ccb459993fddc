"""The current record and its fields: ``$0``, ``$1``..``$NF``, split by ``FS`` when
first needed (with the ``FS`` in force when the record was read) and rebuilt with
``OFS`` when a field or ``NF`` is assigned."""

from __future__ import annotations

import re

from .errors import AwkRuntimeError
from .regex import compile_ere
from .values import UNINIT, Value, format_number, strnum

__all__ = ["Record", "split_text"]

_DEFAULT = re.compile(r"[^ \t\n]+")


def split_text(text: str, sep: str | re.Pattern[str], paragraph: bool = False) -> list[str]:
    """Split ``text`` the way awk splits a record with field separator ``sep`` (a string
    with FS's rules, or a compiled regex from ``split(s, a, /re/)``)."""
    if isinstance(sep, str):
        if sep == " ":
            return _DEFAULT.findall(text)
        if not text:
            return []
        if sep == "":
            return list(text)
        if len(sep) == 1 and sep != "\\" and not paragraph:
            return text.split(sep)
        if len(sep) == 1:
            pattern = re.escape(sep)
        else:
            try:
                pattern = compile_ere(sep).pattern
            except AwkRuntimeError:
                raise
        if paragraph:
            pattern = "(?:" + pattern + ")|\n"
        rx = re.compile(pattern, re.DOTALL)
    else:
        if not text:
            return []
        rx = sep
    out: list[str] = []
    pos = 0
    for m in rx.finditer(text):
        if m.end() == m.start():
            continue
        out.append(text[pos : m.start()])
        pos = m.end()
    out.append(text[pos:])
    return out


class Record:
    """``$0`` and its fields."""

    def __init__(self) -> None:
        self.text: Value = UNINIT
        self.fields: list[Value] | None = []
        self.fs = " "
        self.paragraph = False

    def set(self, text: str, fs: str, paragraph: bool) -> None:
        """A new ``$0`` (read or assigned); fields are split on first use."""
        self.text = strnum(text)
        self.fields = None
        self.fs = fs
        self.paragraph = paragraph

    def split(self) -> list[Value]:
        fields = self.fields
        if fields is None:
            text = self.text if isinstance(self.text, str) else str(self.text)
            fields = [strnum(f) for f in split_text(text, self.fs, self.paragraph)]
            self.fields = fields
        return fields

    @property
    def nf(self) -> int:
        return len(self.split())

    def get(self, i: int) -> Value:
        if i == 0:
            return self.text
        if i < 0:
            raise AwkRuntimeError(f"trying to access out of range field {i}")
        fields = self.split()
        return fields[i - 1] if i <= len(fields) else ""

    def assign(self, i: int, value: Value, ofs: str, convfmt: str) -> None:
        """``$i = value``: ``$0`` is rebuilt with OFS."""
        if i < 0:
            raise AwkRuntimeError(f"trying to access out of range field {i}")
        fields = self.split()
        if i > len(fields):
            fields.extend([UNINIT] * (i - len(fields)))
        fields[i - 1] = value
        self.rebuild(ofs, convfmt)

    def set_nf(self, n: int, ofs: str, convfmt: str) -> None:
        """``NF = n``: drop or add empty fields and rebuild ``$0``."""
        if n < 0:
            raise AwkRuntimeError("NF set to negative value")
        fields = self.split()
        if n < len(fields):
            del fields[n:]
        else:
            fields.extend([UNINIT] * (n - len(fields)))
        self.rebuild(ofs, convfmt)

    def rebuild(self, ofs: str, convfmt: str) -> None:
        fields = self.split()
        self.text = strnum(
            ofs.join(f if isinstance(f, str) else format_number(f, convfmt) for f in fields)
        )
