"""VFIO group/container ioctls, DMA ownership errnos and vfio-pci loading."""

from __future__ import annotations

import errno
import os

import pytest

from iommush.kernel.dma_owner import (
    iommu_device_claim_dma_owner,
    iommu_device_release_dma_owner,
    iommu_group_claim_dma_owner,
)
from iommush.kernel.errors import KernelError
from iommush.uapi import vfio as u

from .helpers import try_write, type_of, write
from .machines import boot_q35

V63, V612 = "6.1.0-56-amd64", "6.12.107+deb13-amd64"


def to_vfio(k, bdf: str) -> None:  # type: ignore[no-untyped-def]
    write(k, f"/sys/bus/pci/devices/{bdf}/driver_override", "vfio-pci\n")
    if k.fs.exists(f"/sys/bus/pci/devices/{bdf}/driver"):
        write(k, f"/sys/bus/pci/devices/{bdf}/driver/unbind", bdf)
    write(k, "/sys/bus/pci/drivers_probe", bdf)


def claim(k, gid: int):  # type: ignore[no-untyped-def]
    cont = k.fs.open("/dev/vfio/vfio", os.O_RDWR)
    grp = k.fs.open(f"/dev/vfio/{gid}", os.O_RDWR)
    st = u.VfioGroupStatus()
    grp.ioctl(u.VFIO_GROUP_GET_STATUS, st)
    return cont, grp, st


@pytest.mark.parametrize("kernel", [V63, "6.4", V612])
def test_claim_singleton(kernel: str) -> None:
    k = boot_q35(kernel=kernel)
    assert not k.fs.exists("/dev/vfio/1")
    to_vfio(k, "0000:00:02.0")
    assert k.fs.readlink("/sys/bus/pci/devices/0000:00:02.0/driver").endswith("vfio-pci")
    st = k.fs.stat("/dev/vfio/1")
    assert st.st_mode & 0o777 == 0o600
    cont, grp, status = claim(k, 1)
    assert status.flags == u.VFIO_GROUP_FLAGS_VIABLE
    with pytest.raises(OSError) as e:
        k.fs.open("/dev/vfio/1", os.O_RDWR)
    assert e.value.errno == errno.EBUSY
    assert cont.ioctl(u.VFIO_GET_API_VERSION) == u.VFIO_API_VERSION
    assert cont.ioctl(u.VFIO_CHECK_EXTENSION, u.VFIO_TYPE1v2_IOMMU) == 1
    assert grp.ioctl(u.VFIO_GROUP_SET_CONTAINER, cont) == 0
    assert cont.ioctl(u.VFIO_SET_IOMMU, u.VFIO_TYPE1v2_IOMMU) == 0
    g = k.iommu.groups[1]
    assert g.owner is not None and g.owner_cnt == 1 and g.domain is not g.default_domain
    info = u.VfioIommuInfo()
    cont.ioctl(u.VFIO_IOMMU_GET_INFO, info)
    assert info.iova_ranges == [(0, 0xFEDFFFFF), (0xFEF00000, (1 << 48) - 1)]
    assert cont.ioctl(u.VFIO_IOMMU_MAP_DMA, u.VfioDmaMap(0x10000000, 0, 1 << 20)) == 0
    with pytest.raises(OSError) as e:
        cont.ioctl(u.VFIO_IOMMU_MAP_DMA, u.VfioDmaMap(0x10000000, 0xFEE00000, 4096))
    assert e.value.errno == errno.EINVAL
    rc = try_write(k, "/sys/kernel/iommu_groups/1/type", "identity\n")
    assert rc == (errno.EBUSY if kernel == V63 else errno.EPERM)
    # a DMA-API driver may not bind into a user-owned group
    write(k, "/sys/bus/pci/devices/0000:00:02.0/driver_override", "\n")
    assert k.check_invariants() == []
    grp.close()
    cont.close()
    assert g.owner is None and g.owner_cnt == 0 and g.domain is g.default_domain
    assert k.check_invariants() == []


@pytest.mark.parametrize("kernel", [V63, V612])
def test_not_viable_bridge_group(kernel: str) -> None:
    k = boot_q35(kernel=kernel)
    to_vfio(k, "0000:01:01.0")
    cont, grp, status = claim(k, 5)
    assert status.flags == 0
    with pytest.raises(OSError) as e:
        grp.ioctl(u.VFIO_GROUP_SET_CONTAINER, cont)
    assert e.value.errno == errno.EPERM
    grp.close()
    to_vfio(k, "0000:01:02.0")
    to_vfio(k, "0000:01:03.0")
    cont2, grp2, status = claim(k, 5)
    assert status.flags == u.VFIO_GROUP_FLAGS_VIABLE
    grp2.ioctl(u.VFIO_GROUP_SET_CONTAINER, cont2)
    # binding a DMA-API driver to the bridge (a member) now fails with EBUSY
    write(k, "/sys/bus/pci/devices/0000:01:03.0/driver_override", "\n")
    write(k, "/sys/bus/pci/devices/0000:01:03.0/driver/unbind", "0000:01:03.0")
    assert try_write(k, "/sys/bus/pci/drivers/8139cp/bind", "0000:01:03.0") == errno.EBUSY
    assert k.check_invariants() == []
    grp2.close()
    assert try_write(k, "/sys/bus/pci/drivers/8139cp/bind", "0000:01:03.0") == 0


def test_6_1_claimed_dma_fq_group_not_default() -> None:
    k = boot_q35(kernel=V63)
    write(k, "/sys/bus/pci/devices/0000:00:02.0/driver/unbind", "0000:00:02.0")
    write(k, "/sys/kernel/iommu_groups/1/type", "DMA\n")
    to_vfio(k, "0000:00:02.0")
    cont, grp, _ = claim(k, 1)
    grp.ioctl(u.VFIO_GROUP_SET_CONTAINER, cont)
    cont.ioctl(u.VFIO_SET_IOMMU, u.VFIO_TYPE1v2_IOMMU)
    mark = k.printk.mark()
    assert try_write(k, "/sys/kernel/iommu_groups/1/type", "DMA-FQ\n") == errno.EBUSY
    assert [r.text for r in k.printk.lines_since(mark)] == [
        "vfio-pci 0000:00:02.0: Group not assigned to default domain"
    ]
    grp.close()
    cont.close()
    assert type_of(k, 1) == "DMA"


def test_6_12_claimed_dma_to_fq_in_place() -> None:
    k = boot_q35(kernel=V612)
    write(k, "/sys/bus/pci/devices/0000:00:02.0/driver/unbind", "0000:00:02.0")
    write(k, "/sys/kernel/iommu_groups/1/type", "DMA\n")
    to_vfio(k, "0000:00:02.0")
    cont, grp, _ = claim(k, 1)
    grp.ioctl(u.VFIO_GROUP_SET_CONTAINER, cont)
    assert try_write(k, "/sys/kernel/iommu_groups/1/type", "DMA-FQ\n") == 0
    assert try_write(k, "/sys/kernel/iommu_groups/1/type", "DMA\n") == errno.EPERM
    grp.close()
    cont.close()
    # group node held open without a container: writes work (vfio-pci is driver_managed_dma)
    grp = k.fs.open("/dev/vfio/1", os.O_RDWR)
    assert try_write(k, "/sys/kernel/iommu_groups/1/type", "identity\n") == 0
    grp.close()


def test_ownership_errnos() -> None:
    k = boot_q35()
    g = k.iommu.groups[1]  # e1000e bound: owner_cnt 1
    with pytest.raises(KernelError) as e:
        iommu_group_claim_dma_owner(g, object())
    assert e.value.errno == errno.EPERM
    with pytest.raises(KernelError) as e:
        iommu_group_claim_dma_owner(g, None)
    assert e.value.errno == errno.EINVAL
    dev = k.pci.find("0000:00:00.0")
    assert dev is not None
    owner = object()
    iommu_device_claim_dma_owner(dev, owner)
    iommu_device_claim_dma_owner(dev, owner)
    assert dev.iommu_group is not None and dev.iommu_group.owner_cnt == 2
    with pytest.raises(KernelError) as e:
        iommu_device_claim_dma_owner(dev, object())
    assert e.value.errno == errno.EPERM
    iommu_device_release_dma_owner(dev)
    iommu_device_release_dma_owner(dev)
    assert dev.iommu_group.owner_cnt == 0 and dev.iommu_group.owner is None
    amd = k.pci.find("0000:00:1f.0")
    assert amd is not None
    k.iommu.iommu_release_device(amd)
    with pytest.raises(KernelError) as e:
        iommu_device_claim_dma_owner(amd, owner)
    assert e.value.errno == errno.ENODEV


def test_vfio_pci_module_load_unload() -> None:
    from iommush.kernel import boot

    from .machines import q35

    spec = q35()
    spec.modules = [m for m in spec.modules if not m.startswith("vfio")]
    k = boot(spec)
    assert not k.fs.exists("/sys/bus/pci/drivers/vfio-pci")
    assert not k.fs.exists("/dev/vfio/vfio")
    assert k.init_module("vfio-pci") is True
    assert k.fs.exists("/sys/bus/pci/drivers/vfio-pci")
    assert k.fs.stat("/dev/vfio/vfio").st_mode & 0o777 == 0o666
    assert k.init_module("vfio_pci") is False
    to_vfio(k, "0000:00:00.0")
    with pytest.raises(OSError) as e:
        k.delete_module("vfio_pci")
    assert e.value.errno == errno.EBUSY
    write(k, "/sys/bus/pci/devices/0000:00:00.0/driver/unbind", "0000:00:00.0")
    k.delete_module("vfio_pci")
    assert not k.fs.exists("/sys/bus/pci/drivers/vfio-pci")
    with pytest.raises(OSError) as e:
        k.delete_module("vfio_pci")
    assert e.value.errno == errno.ENOENT


@pytest.mark.parametrize(("kernel", "major"), [(V63, 246), (V612, 245)])
def test_group_node_major_is_the_first_free_dynamic_one(kernel: str, major: int) -> None:
    k = boot_q35(kernel=kernel)
    to_vfio(k, "0000:00:02.0")
    st = k.fs.stat("/dev/vfio/1")
    assert os.major(st.st_rdev) == major and os.minor(st.st_rdev) == 0


def test_virtio_iommu_has_no_interrupt_remapping() -> None:
    """vfio_iommu_type1_attach_group refuses a group without isolated MSIs (x86 virtio)."""
    k = boot_q35("virtio")
    to_vfio(k, "0000:00:02.0")
    gid = int(k.fs.readlink("/sys/bus/pci/devices/0000:00:02.0/iommu_group").split("/")[-1])
    cont, grp, status = claim(k, gid)
    assert grp.ioctl(u.VFIO_GROUP_SET_CONTAINER, cont) == 0
    mark = k.printk.mark()
    with pytest.raises(OSError) as e:
        cont.ioctl(u.VFIO_SET_IOMMU, u.VFIO_TYPE1v2_IOMMU)
    assert e.value.errno == errno.EPERM
    assert [r.text for r in k.printk.lines_since(mark)] == [
        "vfio_iommu_type1_attach_group: No interrupt remapping support.  Use the module param "
        '"allow_unsafe_interrupts" to enable VFIO IOMMU support on this platform'
    ]
    g = k.iommu.groups[gid]
    assert g.domain is not None and g.domain.purpose != "user"
    # the group stays claimed: type changes are refused until it is released
    assert try_write(k, f"/sys/kernel/iommu_groups/{gid}/type", "identity\n") == errno.EPERM
    grp.close()
    cont.close()
    assert g.owner is None and g.domain is g.default_domain
    assert k.check_invariants() == []
