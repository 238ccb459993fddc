"""Path walk, permissions at open, one store per write, tmpfs operations."""

import errno
import os

import pytest

from iommush.vfs import (
    CAP_SYS_ADMIN,
    Attribute,
    Cred,
    Device,
    DeviceOps,
    Dir,
    File,
    Link,
    OpenFile,
    VfsError,
    VirtualFS,
    as_cred,
    capable,
)

USER = Cred(uid=1000, gid=1000, caps=frozenset())


class _Store:
    def __init__(self) -> None:
        self.calls: list[bytes] = []

    def __call__(self, buf: bytes) -> int:
        if not capable(CAP_SYS_ADMIN):
            raise OSError(errno.EACCES, os.strerror(errno.EACCES))
        self.calls.append(buf)
        if buf.split(b"\0")[0].rstrip(b"\n") not in (b"DMA", b"identity"):
            raise OSError(errno.EINVAL, os.strerror(errno.EINVAL))
        return len(buf)


def _fs() -> tuple[VirtualFS, _Store]:
    fs = VirtualFS()
    fs.root.add(Dir("tmp", 0o1777, creatable=True))
    grp = fs.root.add(Dir("sys")).add(Dir("kernel")).add(Dir("iommu_groups")).add(Dir("1"))
    store = _Store()
    grp.add(Attribute("type", 0o644, show=lambda: "DMA\n", store=store))
    grp.add(Attribute("reserved_regions", 0o444, show=lambda: "0x1 0x2 msi\n"))
    grp.add(Attribute("remove", 0o200, store=lambda b: None))
    dev = fs.root.children["sys"].add(Dir("devices")).add(Dir("0000:00:02.0"))  # type: ignore[union-attr]
    dev.add(Link("iommu_group", grp))
    return fs, store


def _errno(fn: object, *args: object, **kw: object) -> int:
    with pytest.raises(OSError) as exc:
        fn(*args, **kw)  # type: ignore[operator]
    assert exc.value.errno is not None
    return exc.value.errno


def test_walk_follows_links_and_dotdot() -> None:
    fs, _ = _fs()
    node = fs.resolve("/sys/devices/0000:00:02.0/iommu_group/type")
    assert node.abspath() == "/sys/kernel/iommu_groups/1/type"
    assert fs.realpath("/sys/devices/../kernel/./iommu_groups/1") == "/sys/kernel/iommu_groups/1"
    assert fs.readlink("/sys/devices/0000:00:02.0/iommu_group") == "../../kernel/iommu_groups/1"
    assert fs.resolve("/..").abspath() == "/"


def test_walk_errors() -> None:
    fs, _ = _fs()
    assert _errno(fs.resolve, "/sys/nope") == errno.ENOENT
    assert _errno(fs.resolve, "/sys/kernel/iommu_groups/1/type/x") == errno.ENOTDIR
    assert _errno(fs.resolve, "/sys/kernel/iommu_groups/1/type/") == errno.ENOTDIR
    assert _errno(fs.readlink, "/sys/kernel") == errno.EINVAL


def test_symlink_loop_is_eloop() -> None:
    fs, _ = _fs()
    fs.symlink("b", "/tmp/a")
    fs.symlink("a", "/tmp/b")
    assert _errno(fs.resolve, "/tmp/a") == errno.ELOOP


def test_one_store_per_write_and_results() -> None:
    fs, store = _fs()
    with fs.open("/sys/kernel/iommu_groups/1/type", os.O_WRONLY) as of:
        assert of.write(b"DMA\n") == 4
        assert of.write(b"") == 0  # never reaches store
        assert of.write(b"DMA\0junk") == 8
        assert _errno(of.write, b"foo\n") == errno.EINVAL
        assert _errno(of.write, b"A" * 5000) == errno.EINVAL
    assert store.calls == [b"DMA\n", b"DMA\0junk", b"foo\n", b"A" * 4096]


def test_open_checks_store_and_show_even_for_root() -> None:
    fs, _ = _fs()
    assert (
        _errno(fs.open, "/sys/kernel/iommu_groups/1/reserved_regions", os.O_WRONLY) == errno.EACCES
    )
    assert _errno(fs.open, "/sys/kernel/iommu_groups/1/remove", os.O_RDONLY) == errno.EACCES
    assert _errno(fs.open, "/sys/kernel/iommu_groups/1", os.O_WRONLY) == errno.EISDIR
    # sysfs has no create: a new name is EACCES, not a new file
    assert _errno(fs.open, "/sys/kernel/foo", os.O_WRONLY | os.O_CREAT) == errno.EACCES
    assert fs.read_bytes("/sys/kernel/iommu_groups/1/reserved_regions") == b"0x1 0x2 msi\n"


def test_non_root_gets_eacces_from_mode_and_store_sees_caps() -> None:
    fs, store = _fs()
    with as_cred(USER):
        assert _errno(fs.open, "/sys/kernel/iommu_groups/1/type", os.O_WRONLY) == errno.EACCES
        assert fs.read_bytes("/sys/kernel/iommu_groups/1/type") == b"DMA\n"
    with as_cred(Cred(caps=frozenset({1}))):  # root without CAP_SYS_ADMIN
        assert _errno(fs.write_bytes, "/sys/kernel/iommu_groups/1/type", b"DMA\n") == errno.EACCES
    assert store.calls == []


def test_removed_node_gives_enodev_on_open_file() -> None:
    fs, _ = _fs()
    of = fs.open("/sys/kernel/iommu_groups/1/type")
    groups = fs.resolve("/sys/kernel/iommu_groups")
    assert isinstance(groups, Dir)
    groups.remove("1")
    assert _errno(of.read) == errno.ENODEV
    assert _errno(fs.resolve, "/sys/devices/0000:00:02.0/iommu_group") == errno.ENOENT


def test_tmpfs_files() -> None:
    fs, _ = _fs()
    assert fs.write_bytes("/tmp/f", b"one\n") == 4
    fs.write_bytes("/tmp/f", b"two\n", append=True)
    assert fs.read_bytes("/tmp/f") == b"one\ntwo\n"
    fs.mkdir("/tmp/d")
    fs.rename("/tmp/f", "/tmp/d")
    assert fs.listdir("/tmp/d") == ["f"]
    assert _errno(fs.rmdir, "/tmp/d") == errno.ENOTEMPTY
    fs.unlink("/tmp/d/f")
    fs.rmdir("/tmp/d")
    assert fs.listdir("/tmp") == []
    assert _errno(fs.mkdir, "/sys/kernel/x") == errno.EPERM
    assert _errno(fs.unlink, "/sys/kernel/iommu_groups/1/type") == errno.EPERM


def test_sticky_tmp_protects_other_users_files() -> None:
    fs, _ = _fs()
    fs.write_bytes("/tmp/rootfile", b"x")
    with as_cred(USER):
        assert _errno(fs.unlink, "/tmp/rootfile") == errno.EPERM
        assert _errno(fs.write_bytes, "/tmp/rootfile", b"y") == errno.EACCES
        fs.write_bytes("/tmp/mine", b"y")
        node = fs.resolve("/tmp/mine")
        assert isinstance(node, File) and node.uid == 1000 and node.mode == 0o644


def test_chmod_on_sysfs_keeps_mode() -> None:
    fs, _ = _fs()
    fs.chmod("/sys/kernel/iommu_groups/1/type", 0o444)
    assert fs.stat("/sys/kernel/iommu_groups/1/type").st_mode & 0o777 == 0o444
    with as_cred(USER):
        assert _errno(fs.chmod, "/sys/kernel/iommu_groups/1/type", 0o644) == errno.EPERM


def test_stat_sizes_like_sysfs() -> None:
    fs, _ = _fs()
    assert fs.stat("/sys/kernel/iommu_groups/1/type").st_size == 4096
    st = fs.stat("/sys/devices/0000:00:02.0/iommu_group", follow=False)
    assert st.is_link and st.st_size == 0
    assert fs.stat("/sys/kernel/iommu_groups").is_dir


class _Ops(DeviceOps):
    def __init__(self) -> None:
        self.opened = 0

    def open(self, of: OpenFile) -> None:
        if self.opened:
            raise VfsError(errno.EBUSY, os.strerror(errno.EBUSY))
        self.opened += 1

    def ioctl(self, of: OpenFile, cmd: int, arg: object = None) -> int:
        return cmd * 2

    def release(self, of: OpenFile) -> None:
        self.opened -= 1


def test_device_open_ioctl_release() -> None:
    fs, _ = _fs()
    ops = _Ops()
    fs.root.add(Dir("dev")).add(Device("26", ops, 0o600, major=511))
    of = fs.open("/dev/26", os.O_RDWR)
    assert of.ioctl(21) == 42
    assert _errno(fs.open, "/dev/26", os.O_RDWR) == errno.EBUSY
    of.close()
    of.close()  # release runs once
    assert ops.opened == 0
    with fs.open("/sys/kernel/iommu_groups/1/type") as f:
        assert _errno(f.ioctl, 1) == errno.ENOTTY
