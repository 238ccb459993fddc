"""The classic failure: a VFIO user (QEMU) mapping an IOVA range that overlaps a
reserved region of the group gets EINVAL from VFIO_IOMMU_MAP_DMA -- through the real
ioctl path, with the shell's ``vfio`` command."""

from __future__ import annotations

import pytest

from iommush.shell.commands import utilities

from .machines import boot_amd, boot_intel, run, write

VFIO = utilities().get("vfio")
assert VFIO is not None
EINVAL = "vfio: VFIO_MAP_DMA failed: Invalid argument\n"


def vfio(k, *argv):
    return run(k, k.fs, VFIO.fn, "vfio", *argv)


def to_vfio(k, bdf):
    assert write(k, f"/sys/bus/pci/devices/{bdf}/driver_override", "vfio-pci") == 0
    assert write(k, "/sys/bus/pci/drivers_probe", bdf) == 0
    assert vfio(k, "attach", bdf).rc == 0


def test_amd_hypertransport_hole():
    k = boot_amd("6.12")
    to_vfio(k, "0000:00:03.0")
    r = vfio(k, "map", "00:03.0", "0xfc00000000", "0x200000000")  # 1 GiB guest RAM at 1008G
    assert (r.err, r.rc) == (EINVAL, 1)
    assert vfio(k, "map", "00:03.0", "0xfee00000", "0x1000").err == EINVAL  # MSI window
    assert vfio(k, "map", "00:03.0", "0x10000000000", "0x100000").rc == 0  # above 1 TiB
    assert vfio(k, "map", "00:03.0", "0x0", "0x100000").rc == 0


@pytest.mark.parametrize("kernel", ["6.3", "6.4"])
def test_intel_rmrr_and_msi(kernel):
    k = boot_intel(kernel)
    to_vfio(k, "0000:00:04.0")
    assert vfio(k, "map", "00:04.0", "0x7b800000", "0x1000").err == EINVAL  # RMRR (direct)
    assert vfio(k, "map", "00:04.0", "0x7b700000", "0x200000").err == EINVAL  # overlaps it
    assert vfio(k, "map", "00:04.0", "0x7b700000", "0x100000").rc == 0  # just below
    assert vfio(k, "map", "00:04.0", "0xfee00000", "0x1000").err == EINVAL


def test_isa_bridge_region_is_relaxable():
    """The ISA bridge's 0-16 MiB region is ``direct-relaxable``: vfio_iommu_resv_exclude
    skips it, so a guest may put RAM there (only non-relaxable regions refuse)."""
    k = boot_intel("6.12")
    to_vfio(k, "0000:00:1f.0")
    regions = k.fs.read_bytes(
        f"/sys/kernel/iommu_groups/{k.pci.find('0000:00:1f.0').iommu_group.id}/reserved_regions"
    ).decode()
    assert "0x0000000000000000 0x0000000000ffffff direct-relaxable\n" in regions
    assert vfio(k, "map", "00:1f.0", "0x0", "0x100000").rc == 0
