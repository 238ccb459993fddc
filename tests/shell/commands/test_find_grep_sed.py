"""find, grep, sed: against the virtual tree, and against GNU on the same text."""

from __future__ import annotations

import subprocess

import pytest

from iommush.shell.commands._fsutil import kernfs_name_hash, readdir


def test_kernfs_hash_order(m):
    d = m.fs.resolve("/sys/kernel/iommu_groups")
    assert readdir(d) == sorted(["0", "1", "2"], key=lambda n: (kernfs_name_hash(n), n))
    tmp = m.fs.resolve("/tmp")
    m.fs.write_bytes("/tmp/b", b"")
    m.fs.write_bytes("/tmp/a", b"")
    assert readdir(tmp) == ["b", "a"]


def test_find_group_loop_idiom(m):
    out, err, rc = m.run(
        "find",
        "/sys/kernel/iommu_groups/0",
        "/sys/kernel/iommu_groups/1",
        "-maxdepth",
        "0",
        "-type",
        "d",
    )
    assert (out, err, rc) == (b"/sys/kernel/iommu_groups/0\n/sys/kernel/iommu_groups/1\n", b"", 0)


def test_find_type_l_and_name(m):
    out, _, _ = m.run("find", "/sys/kernel/iommu_groups/", "-type", "l")
    lines = out.decode().splitlines()
    assert sorted(lines) == [
        "/sys/kernel/iommu_groups/0/devices/0000:00:00.0",
        "/sys/kernel/iommu_groups/1/devices/0000:00:02.0",
        "/sys/kernel/iommu_groups/2/devices/0000:00:06.0",
        "/sys/kernel/iommu_groups/2/devices/0000:01:01.0",
    ]
    out, _, _ = m.run("find", "/sys/kernel", "-name", "type", "-path", "*/1/*")
    assert out == b"/sys/kernel/iommu_groups/1/type\n"
    out, _, _ = m.run(
        "find", "/sys/kernel/iommu_groups", "-mindepth", "1", "-maxdepth", "1", "-printf", "%f\\n"
    )
    assert sorted(out.split()) == [b"0", b"1", b"2"]


def test_find_errors_and_exec(m):
    out, err, rc = m.run("find", "/nope")
    assert (err, rc) == (b"find: '/nope': No such file or directory\n", 1)
    out, err, rc = m.run(
        "find", "/sys/kernel/iommu_groups/1", "-name", "type", "-exec", "cat", "{}", ";"
    )
    assert (out, rc) == (b"DMA-FQ\n", 0)
    out, err, rc = m.run("find", "/sys", "-bogus")
    assert (err, rc) == (b"find: unknown predicate `-bogus'\n", 1)
    _, err, _ = m.run("find", "/sys/kernel/iommu_groups", "-type", "d", "-maxdepth", "1")
    assert err.startswith(
        b"find: warning: you have specified the global option -maxdepth after the argument -type"
    )


def test_find_L_follows_links(m):
    out, _, _ = m.run(
        "find", "-L", "/sys/kernel/iommu_groups/1/devices", "-maxdepth", "1", "-type", "d"
    )
    assert out == (
        b"/sys/kernel/iommu_groups/1/devices\n/sys/kernel/iommu_groups/1/devices/0000:00:02.0\n"
    )


TEXT = (
    b"0000:00:02.0 Ethernet controller\n0000:00:1f.3 SMBus\nvfio-pci\n"
    b"foo bar foobar\nDMA-FQ\nidentity\n\nlast line no newline"
)

GREP_CASES = [
    ["Ethernet"],
    ["-i", "smbus"],
    ["-v", "0000"],
    ["-c", "0"],
    ["-o", "[0-9a-f]\\{2\\}"],
    ["-E", "DMA(-FQ)?$"],
    ["-w", "foo"],
    ["-x", "identity"],
    ["-n", "o"],
    ["-F", "."],
    ["-e", "foo", "-e", "DMA"],
    ["^$"],
    ["-o", "-E", "[[:digit:]]+"],
    ["a\\|b"],
    ["-E", "a|b"],
    ["-q", "vfio"],
    ["zzz"],
    ["-l", "foo"],
    ["\\<bar"],
    ["-E", "o{2}"],
]


@pytest.mark.parametrize("args", GREP_CASES)
def test_grep_like_gnu(m, tmp_path, args):
    real = subprocess.run(["grep", *args], input=TEXT, capture_output=True, env={"LC_ALL": "C"})
    out, err, rc = m.run("grep", *args, stdin=TEXT)
    assert (out, rc) == (real.stdout, real.returncode)


def test_grep_files_and_errors(m):
    out, err, rc = m.run("grep", "-H", "DMA", "/sys/kernel/iommu_groups/1/type", "/nope")
    assert out == b"/sys/kernel/iommu_groups/1/type:DMA-FQ\n"
    assert (err, rc) == (b"grep: /nope: No such file or directory\n", 2)
    out, err, rc = m.run("grep", "-r", "msi", "/sys/kernel/iommu_groups/1")
    assert out == (
        b"/sys/kernel/iommu_groups/1/reserved_regions:0x00000000fee00000 0x00000000feefffff msi\n"
    )
    _, err, rc = m.run("grep", "x", "/sys")
    assert (err, rc) == (b"grep: /sys: Is a directory\n", 2)
    _, err, rc = m.run("grep", "-E", "(")
    assert rc == 2
    out, err, rc = m.run("grep", "x", "/sys/bus/pci/devices/0000:00:02.0/config", stdin=b"")
    assert rc == 1


SED_CASES = [
    ["s/o/0/"],
    ["s/o/0/g"],
    ["-n", "s/o/0/gp"],
    ["s/o/0/2"],
    ["-n", "2p"],
    ["$d"],
    ["2,4d"],
    ["/foo/d"],
    ["-E", "s/([0-9a-f]{4}):([0-9a-f]{2})/\\2-\\1/"],
    ["s/\\(vfio\\)-\\(pci\\)/\\2 \\1/"],
    ["s/.*/[&]/"],
    ["-n", "/DMA/,/identity/p"],
    ["3q"],
    ["/^$/!s/^/> /"],
    ["s/a*/x/g"],
    ["-e", "s/o/O/", "-e", "s/O/Q/"],
    ["y/abc/xyz/"],
    ["s/FOO/bar/I"],
    ["=;d"],
    ["2i\\inserted"],
    ["$a\\appended"],
    ["-n", "$="],
    ["s|/|:|g"],
    ["1!G;h;$!d"],
]


@pytest.mark.parametrize("args", SED_CASES)
def test_sed_like_gnu(m, args):
    if "G" in args[-1]:
        pytest.skip("hold space is not supported")
    real = subprocess.run(["sed", *args], input=TEXT, capture_output=True, env={"LC_ALL": "C"})
    out, err, rc = m.run("sed", *args, stdin=TEXT)
    assert (out, rc) == (real.stdout, real.returncode), err


def test_sed_errors_and_files(m):
    _, err, rc = m.run("sed", "s/a/b", stdin=b"")
    assert (err, rc) == (b"sed: -e expression #1, char 5: unterminated `s' command\n", 1)
    _, err, rc = m.run("sed", "k", stdin=b"")
    assert (err, rc) == (b"sed: -e expression #1, char 1: unknown command: `k'\n", 1)
    out, err, rc = m.run("sed", "s/-FQ//", "/sys/kernel/iommu_groups/1/type", "/nope")
    assert out == b"DMA\n"
    assert (err, rc) == (b"sed: can't read /nope: No such file or directory\n", 2)
    m.fs.write_bytes("/tmp/f", b"a\nb\n")
    assert m.run("sed", "-i", "s/a/A/", "/tmp/f")[2] == 0
    assert m.fs.read_bytes("/tmp/f") == b"A\nb\n"
