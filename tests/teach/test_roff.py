"""The roff renderer and the packaged manual pages."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from iommush.teach.man import PAGES, page_source
from iommush.teach.roff import inline, render, to_ansi, to_plain

ROOT = Path(__file__).resolve().parents[2]
MAN_FILES = [ROOT / "man" / f for _s, f in PAGES.values()]


def plain(src: str, width: int = 60) -> list[str]:
    return to_plain(render(src, width)).splitlines()


def test_escapes_and_fonts() -> None:
    assert inline(r"\fBbold\fR and \fIital\fP x\-y \(em \(dqq\(dq \e \&.") == [
        ("B", "bold"),
        ("R", " and "),
        ("I", "ital"),
        ("R", ' x-y -- "q" \\ .'),
    ]


def test_header_sections_and_body_indent() -> None:
    lines = plain('.TH DEMO 1 2026-01-01 "demo 1.0" "User Commands"\n.SH NAME\ndemo \\- test\n')
    assert lines[0].startswith("DEMO(1)") and lines[0].endswith("DEMO(1)")
    assert "User Commands" in lines[0] and len(lines[0]) == 60
    assert lines[2:4] == ["NAME", "       demo - test"]
    assert lines[-1].startswith("demo 1.0") and "2026-01-01" in lines[-1]


def test_fill_wraps_at_the_width() -> None:
    lines = plain(".SH X\n" + "word " * 40 + "\n", width=40)
    body = lines[1:]
    assert all(len(line) <= 40 for line in body) and len(body) > 3
    assert all(line.startswith("       word") for line in body)


def test_tagged_paragraphs_short_and_long_tags() -> None:
    lines = plain(".SH OPTIONS\n.TP\n.B \\-e\nExit early.\n.TP\n.B \\-\\-machine\nBoot it.\n")
    assert lines[1] == "       -e     Exit early."
    assert lines[3:5] == ["       --machine", "              Boot it."]


def test_ip_rs_re_and_no_fill() -> None:
    src = ".SH S\n.IP \\(bu 3\nitem\n.RS\n.nf\na  b\n  c\n.fi\n.RE\nafter\n"
    lines = plain(src)
    assert lines[1] == "       *  item"
    assert "a  b" in lines[2] and lines[3].endswith("  c")
    assert lines[2].index("a") > 7
    assert lines[4] == "          after"


def test_alternating_font_macros() -> None:
    spans = render(".SH S\n.BR ls (1),\n.IR path / name\n", 60)
    flat = [s for line in spans for s in line if s[1].strip()]
    assert ("B", "ls") in flat and ("R", "(1),") in flat
    assert ("I", "path") in flat and ("R", "/") in flat


def test_ansi_output_marks_bold() -> None:
    out = to_ansi(render(".SH NAME\nx\n", 60))
    assert "\x1b[1mNAME\x1b[0m" in out


@pytest.mark.parametrize("name", list(PAGES))
def test_packaged_pages_render_cleanly(name: str) -> None:
    for width in (80, 132):
        text = to_plain(render(page_source(name), width))
        assert "NAME" in text and "SEE ALSO" in text
        assert "\\f" not in text and "\\-" not in text and "\\(" not in text
        assert not any(line.startswith(".") for line in text.splitlines())
        assert max(len(line) for line in text.splitlines()) <= width


@pytest.mark.parametrize("path", MAN_FILES, ids=lambda p: p.name)
def test_packaged_copy_is_identical_to_the_canonical_page(path: Path) -> None:
    packaged = ROOT / "iommush" / "teach" / "man" / path.name
    assert packaged.read_bytes() == path.read_bytes(), f"copy {path} to {packaged}"


@pytest.mark.skipif(shutil.which("groff") is None, reason="groff is not installed")
@pytest.mark.parametrize("path", MAN_FILES, ids=lambda p: p.name)
def test_groff_lints_clean(path: Path) -> None:
    res = subprocess.run(
        ["groff", "-man", "-ww", "-z", str(path)], capture_output=True, text=True, timeout=30
    )
    assert res.returncode == 0 and res.stderr == ""


@pytest.mark.skipif(shutil.which("mandoc") is None, reason="mandoc is not installed")
@pytest.mark.parametrize("path", MAN_FILES, ids=lambda p: p.name)
def test_mandoc_lints_clean(path: Path) -> None:
    res = subprocess.run(
        ["mandoc", "-T", "lint", "-W", "style", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert res.stdout == "" and res.stderr == ""


def _real_command_names() -> list[str]:
    try:
        from iommush.shell.builtins import builtins
        from iommush.shell.commands import utilities
    except ImportError:
        pytest.skip("the shell's command tables are not available")
    from iommush.teach import teach_commands

    names = {i.name for i in utilities()} | {i.name for i in builtins()}
    return sorted(names | {i.name for i in teach_commands()})


def test_the_manual_lists_every_command_of_the_shell() -> None:
    text = to_plain(render(page_source("iommush"), 200))
    section = text.split("\nCOMMANDS\n", 1)[1].split("\nENVIRONMENT\n", 1)[0]
    listed = {w.strip(".,") for w in section.split()}
    missing = [n for n in _real_command_names() if n not in listed]
    assert not missing, f"add to man/iommush.1 COMMANDS: {missing}"
