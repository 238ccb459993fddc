"""ABI spec files: parse, run through the real session, and render back.

A file holds cases in the Oils spec format::

    ## machine: q35            (file default; a case may override it)
    #### title
    ## kernel: 6.3             (optional: machine, kernel, user, cmdline)
    ## BUG: one-line reason    (iommush is known to differ from the kernel here)
    script lines...
    ## STDOUT:
    ...
    ## END
    ## STDERR:
    ...
    ## END
    ## status: 1

An absent STDOUT or STDERR block means the stream must be empty; an absent status means 0.
Every case boots its own machine, so cases never see each other's changes.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["HEADERS", "Outcome", "SpecCase", "load_cases", "render_file", "run_case"]

#: Header keys a case (or the file, before its first case) may set.
HEADERS = ("machine", "kernel", "user", "cmdline")

_HEADER = re.compile(r"^## (machine|kernel|user|cmdline|BUG): ?(.*)$")


@dataclass
class Outcome:
    """What one run printed and returned."""

    stdout: str
    stderr: str
    status: int


@dataclass
class SpecCase:
    """One ``####`` case of a spec file."""

    file: str
    title: str
    line: int
    settings: dict[str, str] = field(default_factory=dict)
    bug: str | None = None
    script: str = ""
    stdout: str = ""
    stderr: str = ""
    status: int = 0
    #: The header lines as written (kept verbatim when the file is rewritten).
    header_lines: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{Path(self.file).stem}:{self.line}:{self.title}"

    @property
    def expected(self) -> Outcome:
        return Outcome(self.stdout, self.stderr, self.status)


def load_cases(path: Path) -> tuple[str, list[SpecCase]]:
    """The file's preamble (text before the first case) and its cases."""
    text = path.read_text()
    defaults: dict[str, str] = {}
    preamble: list[str] = []
    cases: list[SpecCase] = []
    cur: SpecCase | None = None
    block: str | None = None
    buf: list[str] = []
    in_expect = False
    for lineno, line in enumerate(text.splitlines(keepends=True), 1):
        s = line.rstrip("\n")
        if block is not None:
            if s == "## END":
                assert cur is not None
                setattr(cur, block, "".join(buf))
                block, buf = None, []
            else:
                buf.append(line)
            continue
        if s.startswith("#### "):
            cur = SpecCase(str(path), s[5:].strip(), lineno, settings=dict(defaults))
            cases.append(cur)
            in_expect = False
            continue
        m = _HEADER.match(s)
        if cur is None:
            preamble.append(line)
            if m and m.group(1) != "BUG":
                defaults[m.group(1)] = m.group(2).strip()
            continue
        if m and not in_expect:
            key, value = m.group(1), m.group(2).strip()
            if key == "BUG":
                cur.bug = value
            else:
                cur.settings[key] = value
            cur.header_lines.append(line)
        elif s in ("## STDOUT:", "## STDERR:"):
            block, in_expect = s[3:-1].lower(), True
        elif s.startswith("## stdout: "):
            cur.stdout, in_expect = s[len("## stdout: ") :] + "\n", True
        elif s.startswith("## status: "):
            cur.status, in_expect = int(s[len("## status: ") :]), True
        elif s.startswith("## "):
            raise ValueError(f"{path}:{lineno}: unknown spec line {s!r}")
        elif not in_expect:
            cur.script += line
        elif s.strip():
            raise ValueError(f"{path}:{lineno}: script text after the expected output")
    if block is not None:
        raise ValueError(f"{path}: unterminated ## {block.upper()} block")
    return "".join(preamble), cases


def run_case(case: SpecCase) -> Outcome:
    """Boot the case's machine, run its script as ``iommush -c`` would, capture everything."""
    from iommush.cli import build_session
    from iommush.vfs import as_cred

    out, err = io.BytesIO(), io.BytesIO()
    opts = case.settings
    session = build_session(
        machine=opts.get("machine"),
        kernel=opts.get("kernel"),
        cmdline=opts.get("cmdline"),
        user=opts.get("user", "root"),
        stdin=io.BytesIO(),
        stdout=out,
        stderr=err,
    )
    shell = session.shell
    with as_cred(session.cred):
        try:
            status = shell.run(case.script)
        finally:
            shell.close()
    if shell.exited:
        status = shell.exit_status
    return Outcome(
        out.getvalue().decode("utf-8", "backslashreplace"),
        err.getvalue().decode("utf-8", "backslashreplace"),
        status,
    )


def _block(name: str, text: str) -> str:
    if not text:
        return ""
    if not text.endswith("\n"):
        raise ValueError(f"{name} does not end with a newline; end the script's output with one")
    return f"## {name}:\n{text}## END\n"


def render_case(case: SpecCase, got: Outcome | None) -> str:
    """The case's text; with ``got``, its expected blocks replaced by that outcome."""
    want = got if got is not None else case.expected
    parts = [f"#### {case.title}\n", *case.header_lines, case.script.rstrip("\n") + "\n"]
    parts.append(_block("STDOUT", want.stdout))
    parts.append(_block("STDERR", want.stderr))
    if want.status:
        parts.append(f"## status: {want.status}\n")
    return "".join(parts)


def render_file(preamble: str, cases: list[SpecCase], outcomes: list[Outcome | None]) -> str:
    """The whole file back, with each case's blocks from ``outcomes`` (None: unchanged)."""
    body = "\n".join(render_case(c, o) for c, o in zip(cases, outcomes, strict=True))
    head = preamble.rstrip("\n") + "\n\n" if preamble.strip() else ""
    return head + body
