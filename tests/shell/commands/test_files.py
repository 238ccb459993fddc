"""cat, tee, touch, mkdir, rm, rmdir, cp, mv, ln, readlink, realpath, basename, dirname,
chmod, chown, stat."""

from __future__ import annotations

import os
import subprocess

from .conftest import Sink


def test_cat_and_missing(m):
    assert m.run("cat", "/sys/kernel/iommu_groups/1/type") == (b"DMA-FQ\n", b"", 0)
    out, err, rc = m.run("cat", "/sys/x", "/sys/kernel/iommu_groups/1/type")
    assert (out, err, rc) == (b"DMA-FQ\n", b"cat: /sys/x: No such file or directory\n", 1)


def test_cat_directory_and_stdin(m):
    assert m.run("cat", "/sys")[1:] == (b"cat: /sys: Is a directory\n", 1)
    assert m.run("cat", "-", stdin=b"abc") == (b"abc", b"", 0)


def test_cat_one_write_per_file_and_write_error(m):
    m.fs.write_bytes("/tmp/t", b"identity\n")
    of = m.fs.open("/sys/kernel/iommu_groups/1/type", os.O_WRONLY)
    out, err, rc = m.run("cat", "/tmp/t", stdout=of)
    assert (err, rc) == (b"", 0)
    assert m.group1.type == "identity"
    m.fs.write_bytes("/tmp/bad", b"bogus\n")
    out, err, rc = m.run("cat", "/tmp/bad", stdout=of)
    assert (err, rc) == (b"cat: write error: Invalid argument\n", 1)


def test_cat_number(m):
    assert m.run("cat", "-n", stdin=b"a\nb\n")[0] == b"     1\ta\n     2\tb\n"
    assert m.run("cat", "-A", stdin=b"a\tb\x01\n")[0] == b"a^Ib^A$\n"


def test_tee(m):
    out, err, rc = m.run("tee", "/tmp/a", "/sys/nope/x", stdin=b"hello\n")
    assert out == b"hello\n" and rc == 1
    assert err == b"tee: /sys/nope/x: No such file or directory\n"
    assert m.fs.read_bytes("/tmp/a") == b"hello\n"
    m.run("tee", "-a", "/tmp/a", stdin=b"more\n")
    assert m.fs.read_bytes("/tmp/a") == b"hello\nmore\n"


def test_tee_sysfs_error(m):
    out, err, rc = m.run("tee", "/sys/kernel/iommu_groups/1/type", stdin=b"bogus\n")
    assert rc == 1 and err == b"tee: /sys/kernel/iommu_groups/1/type: Invalid argument\n"


def test_touch_mkdir_rm(m):
    assert m.run("touch", "/tmp/x")[2] == 0
    assert m.fs.exists("/tmp/x")
    assert m.run("touch", "/sys/x")[1] == b"touch: cannot touch '/sys/x': Permission denied\n"
    assert m.run("mkdir", "/tmp/d")[2] == 0
    assert m.run("mkdir", "/tmp/d")[1] == b"mkdir: cannot create directory '/tmp/d': File exists\n"
    assert m.run("mkdir", "-p", "/tmp/d/e/f")[2] == 0
    assert m.run("rm", "/tmp/d")[1] == b"rm: cannot remove '/tmp/d': Is a directory\n"
    assert m.run("rmdir", "/tmp/d")[1] == (
        b"rmdir: failed to remove '/tmp/d': Directory not empty\n"
    )
    assert m.run("rm", "-r", "/tmp/d")[2] == 0
    assert not m.fs.exists("/tmp/d")
    assert m.run("rm", "/tmp/nope")[1] == (
        b"rm: cannot remove '/tmp/nope': No such file or directory\n"
    )
    assert m.run("rm", "-f", "/tmp/nope")[2] == 0
    assert m.run("rm", "/sys/kernel/iommu_groups/1/type")[1] == (
        b"rm: cannot remove '/sys/kernel/iommu_groups/1/type': Operation not permitted\n"
    )


def test_cp_mv_ln(m):
    m.fs.write_bytes("/tmp/a", b"DMA\n")
    assert m.run("cp", "/tmp/a", "/tmp/b")[2] == 0
    assert m.fs.read_bytes("/tmp/b") == b"DMA\n"
    assert m.run("cp", "/tmp/a", "/sys/kernel/iommu_groups/1/type")[2] == 0
    assert m.group1.type == "DMA"
    assert m.run("cp", "/tmp/zz", "/tmp/c")[1] == (
        b"cp: cannot stat '/tmp/zz': No such file or directory\n"
    )
    assert m.run("mv", "/tmp/b", "/tmp/c")[2] == 0
    assert m.fs.exists("/tmp/c") and not m.fs.exists("/tmp/b")
    assert m.run("ln", "-s", "/sys/kernel/iommu_groups/1", "/tmp/g1")[2] == 0
    assert m.run("cat", "/tmp/g1/type")[0] == b"DMA\n"
    assert m.run("ln", "-s", "x", "/tmp/c")[1] == (
        b"ln: failed to create symbolic link '/tmp/c': File exists\n"
    )
    assert m.run("ln", "-s", "x", "/tmp/g1")[1] == (
        b"ln: failed to create symbolic link '/tmp/g1/x': Operation not permitted\n"
    )


def test_readlink_realpath(m):
    p = "/sys/bus/pci/devices/0000:00:02.0/iommu_group"
    assert m.run("readlink", p)[0] == b"../../../kernel/iommu_groups/1\n"
    assert m.run("readlink", "-f", p)[0] == b"/sys/kernel/iommu_groups/1\n"
    assert m.run("readlink", "-f", "/sys/bus/pci/devices/0000:00:02.0")[0] == (
        b"/sys/devices/pci0000:00/0000:00:02.0\n"
    )
    assert m.run("readlink", "/sys/kernel") == (b"", b"", 1)
    assert m.run("readlink", "-f", "/sys/nope")[0] == b"/sys/nope\n"
    assert m.run("readlink", "-e", "/sys/nope") == (b"", b"", 1)
    assert m.run("readlink", "-m", "/sys/nope/a/../b")[0] == b"/sys/nope/b\n"
    assert m.run("readlink", "-n", p)[0] == b"../../../kernel/iommu_groups/1"
    assert m.run("realpath", "/sys/nope/x")[1:] == (
        b"realpath: /sys/nope/x: No such file or directory\n",
        1,
    )
    assert m.run("realpath", p)[0] == b"/sys/kernel/iommu_groups/1\n"


def test_basename_dirname(m):
    cases = [
        ["/sys/kernel/iommu_groups/26"],
        ["/a/b/"],
        ["/"],
        ["a"],
        ["x.ko", ".ko"],
        ["-a", "/x/y", "/z"],
        ["-s", ".c", "a.c", "b.c"],
    ]
    for args in cases:
        real = subprocess.run(["basename", *args], capture_output=True)
        assert m.run("basename", *args)[0] == real.stdout, args
    for args in (["/a/b"], ["a"], ["/"], ["//a//b//"], ["a/b", "/c"], ["/a"]):
        real = subprocess.run(["dirname", *args], capture_output=True)
        assert m.run("dirname", *args)[0] == real.stdout, args


def test_chmod_chown(m):
    assert m.run("chmod", "0666", "/sys/kernel/iommu_groups/1/type")[2] == 0
    assert m.fs.stat("/sys/kernel/iommu_groups/1/type").st_mode & 0o777 == 0o666
    assert m.run("chmod", "go-w", "/sys/kernel/iommu_groups/1/type")[2] == 0
    assert m.fs.stat("/sys/kernel/iommu_groups/1/type").st_mode & 0o777 == 0o644
    assert m.run("chmod", "u+x,g=r", "/sys/kernel/iommu_groups/1/type")[2] == 0
    assert m.fs.stat("/sys/kernel/iommu_groups/1/type").st_mode & 0o777 == 0o744
    assert m.run("chmod", "bad", "/tmp")[1].startswith(b"chmod: invalid mode: 'bad'\n")
    assert m.run("chmod", "644", "/nope")[1] == (
        b"chmod: cannot access '/nope': No such file or directory\n"
    )
    assert m.run("runas", "1000", "-", "chmod", "0666", "/sys/kernel/iommu_groups/1/type")[1] == (
        b"chmod: changing permissions of '/sys/kernel/iommu_groups/1/type': "
        b"Operation not permitted\n"
    )
    assert m.run("chown", "user:vfio", "/dev/vfio/1")[2] == 0
    st = m.fs.stat("/dev/vfio/1")
    assert (st.st_uid, st.st_gid) == (1000, 27)
    assert m.run("chown", "nobody", "/dev/vfio/1")[1] == b"chown: invalid user: 'nobody'\n"


def test_stat_format(m):
    out, _, rc = m.run("stat", "-c", "%a %n %s %F %U", "/sys/kernel/iommu_groups/1/type")
    assert out == b"644 /sys/kernel/iommu_groups/1/type 4096 regular file root\n"
    out, _, _ = m.run("stat", "-c", "%N", "/sys/bus/pci/devices/0000:00:02.0")
    assert out == (
        b"'/sys/bus/pci/devices/0000:00:02.0' -> '../../../devices/pci0000:00/0000:00:02.0'\n"
    )


def test_write_error_on_stdout_from_ls(m):
    out = Sink(fail=22)
    _, err, rc = m.run("ls", "/sys", stdout=out)
    assert (err, rc) == (b"ls: write error: Invalid argument\n", 1)
