"""Nodes: link text computed from the target's place, removal marks, nlink."""

import errno

import pytest

from iommush.vfs import Attribute, Dir, Link, VfsError


def _tree() -> tuple[Dir, Dir, Dir]:
    root = Dir("")
    sysd = root.add(Dir("sys"))
    group = sysd.add(Dir("kernel")).add(Dir("iommu_groups")).add(Dir("26"))
    bridge = sysd.add(Dir("devices")).add(Dir("pci0000:00")).add(Dir("0000:00:1e.0"))
    dev = bridge.add(Dir("0000:06:0d.0"))
    return root, group, dev


def test_link_text_is_relative_like_kernfs() -> None:
    _, group, dev = _tree()
    link = dev.add(Link("iommu_group", group))
    # vfio.rst: readlink /sys/bus/pci/devices/0000:06:0d.0/iommu_group
    assert link.readlink() == "../../../../kernel/iommu_groups/26"
    back = group.add(Dir("devices")).add(Link("0000:06:0d.0", dev))
    assert back.readlink() == "../../../../devices/pci0000:00/0000:00:1e.0/0000:06:0d.0"


def test_link_follows_a_moved_target() -> None:
    root, group, dev = _tree()
    link = dev.add(Link("iommu_group", group))
    parent = group.parent
    assert parent is not None
    parent.children.pop("26")
    group.name = "7"
    parent.add(group)
    assert link.readlink() == "../../../../kernel/iommu_groups/7"


def test_add_existing_name_is_eexist() -> None:
    root = Dir("")
    root.add(Dir("a"))
    with pytest.raises(VfsError) as exc:
        root.add(Dir("a"))
    assert exc.value.errno == errno.EEXIST


def test_remove_marks_subtree_removed() -> None:
    root, group, dev = _tree()
    attr = group.add(Attribute("type", 0o644, show=lambda: "DMA\n"))
    parent = group.parent
    assert parent is not None
    parent.remove("26")
    assert group.removed and attr.removed
    with pytest.raises(VfsError) as exc:
        parent.remove("26")
    assert exc.value.errno == errno.ENOENT


def test_nlink_counts_subdirectories() -> None:
    d = Dir("x")
    d.add(Dir("devices"))
    d.add(Attribute("type"))
    assert d.nlink() == 3


def test_bad_names_are_refused() -> None:
    for bad in ("a/b", ".", ".."):
        with pytest.raises(ValueError):
            Dir(bad)
