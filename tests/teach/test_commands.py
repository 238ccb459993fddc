"""help, man and explain as the shell runs them."""

from __future__ import annotations

import pytest

from iommush.teach import teach_commands
from iommush.teach.explain import rules_version
from iommush.teach.notes import NOTES

from .conftest import Harness


def test_teach_commands_table() -> None:
    table = teach_commands()
    assert [i.name for i in table] == [
        "explain",
        "groups",
        "help",
        "lesson",
        "load",
        "man",
        "plan",
        "reset",
        "save",
        "tree",
        "undo",
        "why",
    ]
    assert all(i.synopsis and i.summary and i.resolve().help for i in table)


def test_help_lists_every_command_of_the_shell(sh: Harness) -> None:
    r = sh("help")
    assert r.status == 0
    lines = [line for line in r.out.splitlines() if line]
    assert any(line.startswith("ls") and "list directory contents" in line for line in lines)
    for name in ("explain", "help", "man", "ls"):
        assert any(line.split()[0] == name for line in lines[2:]), name


def test_help_command_shows_synopsis_help_and_options(sh: Harness) -> None:
    r = sh("help", "ls")
    assert r.status == 0
    assert r.out.splitlines()[0] == "ls [-l] [FILE...]"
    assert "List information about the FILEs." in r.out and "Options: -l" in r.out
    assert sh("help", "-s", "ls").out == "ls: ls [-l] [FILE...]\n"


def test_help_unknown_topic(sh: Harness) -> None:
    r = sh("help", "nosuch")
    assert r.status == 1 and r.out == ""
    assert "help: no help topics match 'nosuch'" in r.err
    assert sh("help", "-x").status == 2


def test_help_without_a_shell_table_falls_back() -> None:
    h = Harness(with_table=False)
    r = h("help")
    assert r.status == 0 and "\nexplain " in r.out and "\nls " not in r.out


def test_man_renders_the_pages(sh: Harness) -> None:
    r = sh("man", "iommush")
    assert r.status == 0
    assert r.out.startswith("IOMMUSH(1)") and "SYNOPSIS" in r.out and "EXIT STATUS" in r.out
    assert sh("man", "7", "iommush-sysfs").out.startswith("IOMMUSH-SYSFS(7)")
    assert sh("man", "iommush-sysfs.7").status == 0


def test_man_width_and_terminal_styling(sh: Harness) -> None:
    sh.env["MANWIDTH"] = "100"
    wide = sh("man", "iommush").out
    assert len(wide.splitlines()[0]) == 100
    assert "\x1b[" not in wide
    sh.interactive = True
    assert "\x1b[1mNAME\x1b[0m" in sh("man", "iommush").out


def test_man_command_falls_back_to_help_and_unknown_pages(sh: Harness) -> None:
    assert sh("man", "ls").out.startswith("ls [-l] [FILE...]")
    r = sh("man", "nosuch")
    assert r.status == 16 and r.err == "No manual entry for nosuch\n"
    assert sh("man").status == 1
    assert "iommush-sysfs (7)" in sh("man", "-k", "sysfs").out


@pytest.mark.parametrize(
    ("release", "version"),
    [
        ("5.15.0", "6.3"),
        ("6.1.0-56-amd64", "6.3"),
        ("6.3", "6.3"),
        ("6.4.0", "6.4"),
        ("6.5", "6.12"),
        ("6.12.107+deb13-amd64", "6.12"),
        ("7.1", "6.12"),
    ],
)
def test_rules_version(release: str, version: str) -> None:
    assert rules_version(release) == version


def test_explain_type_follows_the_running_kernel() -> None:
    texts = {}
    for release in ("6.3.0", "6.4.0", "6.12.0"):
        r = Harness(release=release)("explain", "/sys/kernel/iommu_groups/7/type")
        assert r.status == 0
        texts[release] = r.out
    assert "exactly one device" in texts["6.3.0"] and "device_lock" in texts["6.3.0"]
    assert "EPERM" in texts["6.4.0"] and "iommu_change_dev_def_domain" in texts["6.4.0"]
    assert "iommu_setup_default_domain" in texts["6.12.0"]
    assert "exactly one device" not in texts["6.12.0"]
    assert "Rules on Linux 6.4 (running 6.4.0)" in texts["6.4.0"]


def test_explain_kernel_option_and_current_value(sh: Harness) -> None:
    r = sh("explain", "-k", "6.3", "/sys/kernel/iommu_groups/7/type")
    assert "Rules on Linux 6.3" in r.out and "device_lock" in r.out
    assert "Now\n    DMA-FQ" in r.out
    assert "sysfs attribute (-rw-r--r--, readable and writable)" in r.out


def test_explain_through_links_and_relative_paths(sh: Harness) -> None:
    r = sh("explain", "/sys/bus/pci/devices/0000:01:00.0/driver_override")
    assert "only driver allowed to bind" in r.out and "(null)" in r.out
    r = sh("explain", "/sys/bus/pci/devices/0000:01:00.0/driver/unbind")
    assert "Unbind a device from this driver" in r.out
    sh.cwd = "/sys/kernel/iommu_groups/7"
    r = sh("explain", "reserved_regions")
    assert r.out.startswith("/sys/kernel/iommu_groups/7/reserved_regions\n")
    assert "iommu_insert_resv_region()" in r.out and "0x00000000fee00000" in r.out
    r = sh("explain", "devices/0000:01:00.0")
    assert "symbolic link -> ../../../../devices/pci0000:00/0000:01:00.0" in r.out


def test_explain_a_file_without_notes_and_missing_paths(sh: Harness) -> None:
    r = sh("explain", "/tmp/notes")
    assert r.status == 0 and "regular file" in r.out
    r = sh("explain", "/nonexistent")
    assert r.status == 1 and r.err == "explain: /nonexistent: No such file or directory\n"
    r = sh("explain", "/sys/kernel/iommu_groups/9/type")
    assert r.status == 1 and "Not present on this machine now" in r.out


def test_explain_usage(sh: Harness) -> None:
    assert sh("explain").status == 2
    assert sh("explain", "-z", "x").status == 2
    assert sh("explain", "-k").status == 2
    listing = sh("explain", "-l").out.splitlines()
    assert len(listing) == len(NOTES) and "/sys/kernel/iommu_groups/{n}/type" in listing


def test_every_note_pattern_compiles_and_has_text() -> None:
    for note in NOTES:
        assert note.regex.pattern.startswith("^")
        assert note.what.endswith(".") or note.what.endswith(")")
