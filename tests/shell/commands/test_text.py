"""sort, uniq, head, tail, wc, cut, tr, seq, od, hexdump: byte-for-byte against GNU."""

from __future__ import annotations

import subprocess

import pytest

LINES = (
    b"/sys/kernel/iommu_groups/10\n/sys/kernel/iommu_groups/2\n"
    b"/sys/kernel/iommu_groups/1\nb 3 x\na 10 y\na 2 z\n1.5K\n2M\n-3\n"
    b"a 2 z\nvfio-pci\n\n"
)

CASES = [
    ("sort", []),
    ("sort", ["-V"]),
    ("sort", ["-n"]),
    ("sort", ["-u"]),
    ("sort", ["-r"]),
    ("sort", ["-k2,2n"]),
    ("sort", ["-t", "/", "-k5"]),
    ("sort", ["-h"]),
    ("sort", ["-k1,1", "-k2,2nr"]),
    ("sort", ["-rn"]),
    ("uniq", []),
    ("uniq", ["-c"]),
    ("uniq", ["-d"]),
    ("uniq", ["-u"]),
    ("head", ["-n", "3"]),
    ("head", ["-2"]),
    ("head", ["-c", "10"]),
    ("head", ["-n", "-3"]),
    ("tail", ["-n", "2"]),
    ("tail", ["-n", "+11"]),
    ("tail", ["-c", "7"]),
    ("tail", ["-3"]),
    ("wc", []),
    ("wc", ["-l"]),
    ("wc", ["-w"]),
    ("wc", ["-c"]),
    ("wc", ["-lc"]),
    ("cut", ["-d", "/", "-f", "5"]),
    ("cut", ["-d", " ", "-f", "1,3"]),
    ("cut", ["-c", "2-5"]),
    ("cut", ["-d", " ", "-f", "2-", "-s"]),
    ("tr", ["a-z", "A-Z"]),
    ("tr", ["-d", "0-9"]),
    ("tr", ["-s", "\\n"]),
    ("tr", ["[:lower:]", "[:upper:]"]),
    ("tr", ["/", "\\n"]),
    ("tr", ["-cd", "a-z\\n"]),
    ("tr", ["abc", "x"]),
    ("od", ["-A", "x", "-t", "x1", "-v"]),
    ("od", ["-An", "-v", "-tu1"]),
    ("od", []),
    ("od", ["-c"]),
    ("od", ["-t", "x4"]),
    ("od", ["-t", "x1", "-t", "c"]),
    ("hexdump", ["-C"]),
    ("hexdump", []),
]


@pytest.mark.parametrize(("cmd", "args"), CASES)
def test_like_gnu(m, cmd, args):
    real = subprocess.run([cmd, *args], input=LINES, capture_output=True, env={"LC_ALL": "C"})
    out, err, rc = m.run(cmd, *args, stdin=LINES)
    assert (out, rc) == (real.stdout, real.returncode), err


@pytest.mark.parametrize(
    "args",
    [
        ["3"],
        ["2", "5"],
        ["1", "2", "9"],
        ["-w", "8", "11"],
        ["-s", ",", "4"],
        ["0.5", "0.25", "1.5"],
        ["5", "-1", "2"],
    ],
)
def test_seq_like_gnu(m, args):
    real = subprocess.run(["seq", *args], capture_output=True)
    assert m.run("seq", *args)[0] == real.stdout


def test_wc_files_widths(m, tmp_path):
    m.fs.write_bytes("/tmp/a", b"a b\nc\n")
    m.fs.write_bytes("/tmp/b", b"xyz\n")
    (tmp_path / "a").write_bytes(b"a b\nc\n")
    (tmp_path / "b").write_bytes(b"xyz\n")
    for args in (["a"], ["-l", "a", "b"], ["a", "b"]):
        real = subprocess.run(["wc", *args], capture_output=True, cwd=tmp_path)
        m.cwd = "/tmp"
        assert m.run("wc", *args)[0] == real.stdout
    out, _, _ = m.run("wc", "/sys/kernel/iommu_groups/1/type")
    assert out == b"   1    1    7 /sys/kernel/iommu_groups/1/type\n"


def test_head_tail_errors_and_headers(m):
    out, err, rc = m.run("head", "-n", "1", "/sys/kernel/iommu_groups/1/type", "/nope")
    assert out == b"==> /sys/kernel/iommu_groups/1/type <==\nDMA-FQ\n"
    assert (err, rc) == (b"head: cannot open '/nope' for reading: No such file or directory\n", 1)
    _, err, rc = m.run("head", "-n", "x")
    assert (err, rc) == (b"head: invalid number of lines: 'x'\n", 1)


def test_cut_usage(m):
    _, err, rc = m.run("cut", stdin=b"")
    assert rc == 1
    assert err == (
        b"cut: you must specify a list of bytes, characters, or fields\n"
        b"Try 'cut --help' for more information.\n"
    )


def test_od_config_space(m):
    out, _, _ = m.run(
        "od", "-A", "x", "-t", "x1", "-N", "16", "/sys/bus/pci/devices/0000:00:02.0/config"
    )
    assert out == (b"000000 86 80 d3 10 00 00 00 00 00 00 00 02 00 00 00 00\n000010\n")
