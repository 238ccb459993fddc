"""ls: GNU layout, errors and statuses."""

from __future__ import annotations

import re


def test_ls_plain_one_per_line(m):
    out, err, rc = m.run("ls", "/sys/kernel/iommu_groups/1")
    assert (out, err, rc) == (b"devices\nreserved_regions\ntype\n", b"", 0)


def test_ls_missing_is_status_2(m):
    out, err, rc = m.run("ls", "/sys/x")
    assert (out, rc) == (b"", 2)
    assert err == b"ls: cannot access '/sys/x': No such file or directory\n"


def test_ls_long_group_dir(m):
    out, _, rc = m.run("ls", "-l", "/sys/kernel/iommu_groups/1")
    lines = out.decode().splitlines()
    assert rc == 0 and lines[0] == "total 0"
    pat = r"^(\S+) (\d+) (\S+) (\S+) +(\d+) \w{3} [ \d]\d (?:\d\d:\d\d| \d{4}) (.*)$"
    parsed = [re.match(pat, line).groups() for line in lines[1:]]  # type: ignore[union-attr]
    assert [(p[0], p[1], p[2], p[3], p[4], p[5]) for p in parsed] == [
        ("drwxr-xr-x", "2", "root", "root", "0", "devices"),
        ("-r--r--r--", "1", "root", "root", "4096", "reserved_regions"),
        ("-rw-r--r--", "1", "root", "root", "4096", "type"),
    ]


def test_ls_long_links_show_target(m):
    out, _, _ = m.run("ls", "-l", "/sys/kernel/iommu_groups/1/devices")
    assert (
        out.decode()
        .splitlines()[1]
        .endswith("0000:00:02.0 -> ../../../../devices/pci0000:00/0000:00:02.0")
    )
    assert out.decode().splitlines()[1].startswith("lrwxrwxrwx 1 root root 0 ")


def test_ls_device_major_minor(m):
    out, _, _ = m.run("ls", "-l", "/dev/vfio")
    lines = out.decode().splitlines()
    assert lines[1].startswith("crw------- 1 root root 243,   0 ")
    assert lines[2].startswith("crw-rw-rw- 1 root root  10, 196 ")


def test_ls_several_dirs_headers_and_files_first(m):
    out, _, rc = m.run(
        "ls",
        "/sys/kernel/iommu_groups/1",
        "/sys/kernel/iommu_groups/0/type",
        "/sys/kernel/iommu_groups/2/devices",
    )
    assert out == (
        b"/sys/kernel/iommu_groups/0/type\n\n/sys/kernel/iommu_groups/1:\n"
        b"devices\nreserved_regions\ntype\n\n"
        b"/sys/kernel/iommu_groups/2/devices:\n0000:00:06.0\n0000:01:01.0\n"
    )


def test_ls_d_F_and_numeric_owner(m):
    m.fs.write_bytes("/tmp/f", b"abc")
    m.fs.chown("/tmp/f", 1000, 1000)
    out, _, _ = m.run("ls", "-dF", "/tmp", "/sys/bus/pci/devices/0000:00:02.0")
    assert out == b"/sys/bus/pci/devices/0000:00:02.0@\n/tmp/\n"
    out, _, _ = m.run("ls", "-ln", "/tmp")
    assert out.decode().splitlines()[1].startswith("-rw-r--r-- 1 1000 1000 3 ")
    out, _, _ = m.run("ls", "-l", "/tmp")
    assert out.decode().splitlines()[0] == "total 4"
    assert out.decode().splitlines()[1].startswith("-rw-r--r-- 1 user user 3 ")


def test_ls_recursive(m):
    out, _, _ = m.run("ls", "-R", "/sys/kernel/iommu_groups/0")
    assert out == (
        b"/sys/kernel/iommu_groups/0:\ndevices\nreserved_regions\ntype\n\n"
        b"/sys/kernel/iommu_groups/0/devices:\n0000:00:00.0\n"
    )


def test_ls_all_and_reverse(m):
    m.fs.write_bytes("/tmp/.hidden", b"")
    m.fs.write_bytes("/tmp/b", b"")
    out, _, _ = m.run("ls", "-a", "/tmp")
    assert out == b".\n..\n.hidden\nb\n"
    out, _, _ = m.run("ls", "-Ar", "/tmp")
    assert out == b"b\n.hidden\n"


def test_ls_bad_option(m):
    out, err, rc = m.run("ls", "-z")
    assert rc == 2
    assert err == b"ls: invalid option -- 'z'\nTry 'ls --help' for more information.\n"


def test_ls_columns_when_interactive(m):
    out, _, _ = m.run("ls", "/sys/kernel/iommu_groups/1", interactive=True)
    assert out == b"devices  reserved_regions  type\n"


def test_ls_permission_denied_dir(m):
    out, err, rc = m.run("runas", "1000", "-", "ls", "/root")
    assert rc == 2
    assert err == b"ls: cannot open directory '/root': Permission denied\n"
