"""Oils-style spec files: ``#### title``, the script, then ``## STDOUT:`` ... ``## END``,
``## STDERR:`` ... ``## END``, ``## status: N``, ``## stdout: one line``.

A file's ``## compare_shells: bash dash`` line says which real shells must agree on
stdout and status; ``## skip: dash`` on a case leaves that shell out for it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["SpecCase", "load_cases"]


@dataclass
class SpecCase:
    file: str
    title: str
    line: int
    script: str
    stdout: str | None = None
    stderr: str | None = None
    status: int = 0
    shells: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{Path(self.file).stem}:{self.line}:{self.title}"


def load_cases(path: Path) -> list[SpecCase]:
    text = path.read_text()
    shells: list[str] = []
    m = re.search(r"^## compare_shells: (.*)$", text, re.M)
    if m:
        shells = m.group(1).split()
    cases: list[SpecCase] = []
    cur: SpecCase | None = None
    block: str | None = None
    buf: list[str] = []
    for lineno, line in enumerate(text.splitlines(keepends=True), 1):
        if block is not None:
            if line.rstrip("\n") == "## END":
                assert cur is not None
                setattr(cur, block, "".join(buf))
                block, buf = None, []
            else:
                buf.append(line)
            continue
        if line.startswith("#### "):
            cur = SpecCase(str(path), line[5:].strip(), lineno, "", shells=list(shells))
            cases.append(cur)
            continue
        if cur is None:
            continue
        s = line.rstrip("\n")
        if s in ("## STDOUT:", "## STDERR:"):
            block = s[3:-1].lower()
        elif s.startswith("## stdout: "):
            cur.stdout = s[len("## stdout: ") :] + "\n"
        elif s.startswith("## status: "):
            cur.status = int(s[len("## status: ") :])
        elif s.startswith("## skip: "):
            for sh in s[len("## skip: ") :].split():
                if sh in cur.shells:
                    cur.shells.remove(sh)
        elif s.startswith("## "):
            continue
        else:
            cur.script += line
    return cases
