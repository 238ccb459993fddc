"""The ``iommush`` entry point: modes, options, exit statuses, byte-exact output."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(
    *args: str, stdin: bytes = b"", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    """The real entry point, as a user runs it (no terminal)."""
    return subprocess.run(
        [sys.executable, "-m", "iommush", *args],
        input=stdin,
        capture_output=True,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        timeout=60,
    )


def test_dash_c_prints_the_model_and_returns_the_last_status() -> None:
    r = run("-c", "cat /sys/kernel/iommu_groups/11/type; false")
    assert r.stdout == b"DMA-FQ\n" and r.stderr == b"" and r.returncode == 1


def test_refused_write_is_reported_like_bash_and_changes_nothing() -> None:
    r = run(
        "-c",
        "echo identity > /sys/kernel/iommu_groups/11/type; cat /sys/kernel/iommu_groups/11/type",
    )
    assert r.stderr == b"iommush: echo: write error: Operation not permitted\n"
    assert r.stdout == b"DMA-FQ\n" and r.returncode == 0


def test_explain_adds_a_hint_naming_the_drivers_in_the_way() -> None:
    r = run("--explain", "-c", "echo identity > /sys/kernel/iommu_groups/11/type")
    lines = r.stderr.decode().splitlines()
    assert lines[0] == "iommush: echo: write error: Operation not permitted"
    assert lines[1].startswith("hint: group 11: 0000:01:00.0 is bound to nouveau")
    assert "unbind" in lines[1] and r.returncode == 1


def test_kernel_63_refuses_a_multi_device_group() -> None:
    script = (
        "echo 0000:01:00.0 > /sys/bus/pci/devices/0000:01:00.0/driver/unbind\n"
        "echo 0000:01:00.1 > /sys/bus/pci/devices/0000:01:00.1/driver/unbind\n"
        "echo identity > /sys/kernel/iommu_groups/11/type\n"
        "dmesg | tail -1\n"
        "uname -r\n"
    )
    r = run("--kernel", "6.3", "-c", script)
    assert r.stderr == b"iommush: echo: write error: Invalid argument\n"
    out = r.stdout.decode().splitlines()
    assert out[0].endswith("] iommu: Cannot change default domain: Group has more than one device")
    assert out[1].startswith("6.3")


def test_piped_stdin_runs_line_by_line_and_empty_lines_are_empty_commands() -> None:
    r = run(
        stdin=b"echo one\n\nfor x in a b; do\n  echo $x\ndone\n\necho two\nexit 3\necho never\n"
    )
    assert r.stdout == b"one\na\nb\ntwo\n" and r.returncode == 3


def test_unfinished_input_is_a_syntax_error() -> None:
    r = run(stdin=b"if true; then\necho x\n")
    assert r.returncode == 2 and b"syntax error" in r.stderr


def test_script_file_with_arguments_and_shebang(tmp_path: Path) -> None:
    script = tmp_path / "groups.sh"
    script.write_text('#!/usr/bin/env iommush\necho "$0 $# $1"\nfoo\n')
    r = run(str(script), "a1", "a2")
    assert r.stdout == f"{script} 2 a1\n".encode()
    assert r.stderr == f"{script}: line 3: foo: command not found\n".encode()
    assert r.returncode == 127


def test_missing_script_and_bad_option() -> None:
    r = run("/nonexistent/script.sh")
    assert r.returncode == 127 and b"No such file or directory" in r.stderr
    r = run("--bogus")
    assert r.returncode == 2 and b"No such option" in r.stderr


def test_unknown_machine_and_kernel_are_clear_errors() -> None:
    r = run("--machine", "nosuch", "-c", "true")
    assert r.returncode != 0 and b"unknown machine 'nosuch'" in r.stderr
    assert b"Traceback" not in r.stderr
    r = run("--kernel", "4.19", "-c", "true")
    assert r.returncode == 2 and b"Traceback" not in r.stderr


def test_list_machines_and_version() -> None:
    r = run("--list-machines")
    names = [line.split()[0] for line in r.stdout.decode().splitlines()]
    assert {
        "desktop",
        "ryzen",
        "threadripper",
        "xeon",
        "laptop",
        "arm64",
        "vfio-rst",
        "q35",
    } <= set(names)
    assert run("--version").stdout.startswith(b"iommush, version ")


def test_non_root_user_gets_eacces_where_the_kernel_denies() -> None:
    r = run(
        "--user",
        "user",
        "-c",
        "id -u; echo DMA > /sys/kernel/iommu_groups/1/type; cat /sys/kernel/iommu_groups/1/type",
    )
    assert r.stdout == b"1000\nDMA-FQ\n"
    assert r.stderr == b"iommush: /sys/kernel/iommu_groups/1/type: Permission denied\n"


def test_non_interactive_path_does_not_import_the_repl() -> None:
    code = (
        "import sys; from iommush.cli import main\n"
        "sys.argv=['iommush','-c','true']\n"
        "try:\n main()\nexcept SystemExit: pass\n"
        "bad=[m for m in sys.modules if m.startswith(('prompt_toolkit','rich'))]\n"
        "print(bad)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=ROOT, timeout=60)
    assert r.stdout.strip().endswith(b"[]"), r.stdout + r.stderr


def test_one_command_loads_only_what_it_uses() -> None:
    """``iommush -c 'cat FILE'`` imports the ``cat`` utility, not the other utilities, the
    teaching and lock-lab commands, the machine importers or VFIO (they load on first
    use; the cold start is measured by benchmarks/shell.py)."""
    code = (
        "import sys; from iommush.cli import main\n"
        "sys.argv=['iommush','-c','cat /sys/kernel/iommu_groups/0/type']\n"
        "try:\n main()\nexcept SystemExit: pass\n"
        "print(' '.join(sorted(m for m in sys.modules if m.startswith('iommush.'))))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, cwd=ROOT, timeout=60)
    loaded = set(r.stdout.decode().split())
    assert "iommush.shell.commands.files" in loaded, r.stderr
    unwanted = {
        "iommush.shell.commands.ls",
        "iommush.shell.commands.lspci",
        "iommush.shell.commands.awk.main",
        "iommush.teach.help",
        "iommush.teach.explain",
        "iommush.teach.hints",
        "iommush.locklab.commands",
        "iommush.locklab.explore",
        "iommush.dma.command",
        "iommush.machine.sysfs_import",
        "iommush.machine.listing",
        "iommush.machine.host_snapshot",
        "iommush.kernel.vfio",
    }
    assert not loaded & unwanted, sorted(loaded & unwanted)


@pytest.mark.parametrize("machine", ["desktop", "vfio-rst", "q35"])
def test_group_listing_loop_runs_verbatim(machine: str) -> None:
    loop = (
        "shopt -s nullglob; for g in $(find /sys/kernel/iommu_groups/* -maxdepth 0 -type d | sort -V); "
        'do echo "IOMMU Group ${g##*/}:"; for d in $g/devices/*; do echo -e "\\t$(lspci -nns ${d##*/})"; done; done;'
    )
    r = run("-m", machine, "-c", loop)
    assert r.returncode == 0 and r.stderr == b""
    text = r.stdout.decode()
    assert text.startswith("IOMMU Group 0:\n\t")
    if machine == "vfio-rst":
        block = text.split("IOMMU Group 26:\n", 1)[1].split("IOMMU Group", 1)[0]
        assert [line.split()[0] for line in block.splitlines()] == ["00:1e.0", "06:0d.0", "06:0d.1"]
