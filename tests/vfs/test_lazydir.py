"""LazyDir: deferred entries appear on first use, exactly as if they had been made at once."""

from __future__ import annotations

import errno

import pytest

from iommush.vfs import Attribute, Dir, Link, VirtualFS
from iommush.vfs.node import LazyDir

NAMES = frozenset({"vendor", "device", "power", "subsystem"})


def _fill_calls() -> tuple[list[int], object]:
    calls: list[int] = []

    def fill(d: Dir) -> None:
        calls.append(1)
        d.add(Attribute("vendor", show=lambda: "0x8086\n"))
        d.add(Attribute("device", show=lambda: "0x1234\n"))
        d.add(Dir("power"))

    return calls, fill


def _tree() -> tuple[VirtualFS, LazyDir, list[int]]:
    fs = VirtualFS()
    devices = fs.root.ensure_dir("sys").ensure_dir("devices")
    dev = devices.add(LazyDir("0000:00:02.0"))
    calls, fill = _fill_calls()
    dev.defer(fill, NAMES, subdirs=1)  # type: ignore[arg-type]
    return fs, dev, calls


def test_other_names_do_not_fill() -> None:
    fs, dev, calls = _tree()
    group = fs.root.ensure_dir("sys").ensure_dir("kernel").ensure_dir("iommu_groups").add(Dir("3"))
    dev.add(Link("iommu_group", group))
    assert dev.get("iommu_group") is not None and dev.get("driver") is None
    assert fs.readlink("/sys/devices/0000:00:02.0/iommu_group") == "../../kernel/iommu_groups/3"
    assert fs.resolve("/sys/devices/0000:00:02.0/iommu_group") is group
    assert calls == [] and not dev.filled
    assert fs.stat("/sys/devices/0000:00:02.0").st_nlink == 3 and calls == []
    dev.add(Dir("msi_irqs"))
    assert dev.nlink() == 4 and calls == []
    assert len(dev.children) == 5 and dev.nlink() == 4 and calls == [1]


def test_listing_fills_with_deferred_entries_first() -> None:
    fs, dev, calls = _tree()
    dev.add(Link("iommu_group", fs.root))
    mtime = dev.mtime
    assert fs.listdir("/sys/devices/0000:00:02.0") == ["vendor", "device", "power", "iommu_group"]
    assert calls == [1] and dev.filled and dev.mtime == mtime
    assert fs.listdir("/sys/devices/0000:00:02.0") == ["vendor", "device", "power", "iommu_group"]
    assert calls == [1]


def test_a_deferred_name_fills() -> None:
    fs, dev, calls = _tree()
    assert fs.read_bytes("/sys/devices/0000:00:02.0/vendor") == b"0x8086\n"
    assert calls == [1]
    assert dev.get("device") is not None


def test_add_remove_and_clash_keep_dir_semantics() -> None:
    _, dev, calls = _tree()
    dev.add(Link("driver", dev))
    with pytest.raises(OSError) as e:
        dev.add(Link("driver", dev))
    assert e.value.errno == errno.EEXIST
    dev.remove("driver")
    with pytest.raises(OSError) as e:
        dev.remove("driver")
    assert e.value.errno == errno.ENOENT
    assert calls == []
    with pytest.raises(OSError) as e:
        dev.add(Dir("power"))  # a deferred name: fills first, then clashes as it would have
    assert e.value.errno == errno.EEXIST and calls == [1]
    assert dev.ensure_dir("power") is dev.get("power")


def test_removing_the_dir_marks_deferred_entries() -> None:
    fs, dev, _ = _tree()
    parent = dev.parent
    assert parent is not None
    dev.add(Link("driver", dev))
    parent.remove(dev.name)
    assert dev.removed and not dev.filled and dev.get("driver").removed  # type: ignore[union-attr]
    assert all(c.removed for c in dev.children.values())
    assert list(dev.children) == ["vendor", "device", "power", "driver"]


def test_without_defer_it_is_a_plain_dir() -> None:
    d = LazyDir("x")
    assert d.filled and d.children == {} and d.nlink() == 2
    d.add(Dir("a"))
    assert list(d.children) == ["a"] and d.nlink() == 3


def test_a_deep_copy_is_of_the_filled_directory() -> None:
    import copy

    fs, dev, calls = _tree()
    dup = copy.deepcopy(fs)
    assert calls == [1] and dev.filled
    copied = dup.resolve("/sys/devices/0000:00:02.0")
    assert isinstance(copied, LazyDir) and copied.filled and copied is not dev
    assert list(copied.children) == ["vendor", "device", "power"]
    assert dup.read_bytes("/sys/devices/0000:00:02.0/vendor") == b"0x8086\n" and calls == [1]
