"""``pci_device_group`` on the vfio.rst topology and on switches with and without ACS."""

from __future__ import annotations

from iommush.kernel import boot

from .helpers import groups
from .machines import acs_switch, vfio_rst


def test_vfio_rst_group_26() -> None:
    k = boot(vfio_rst())
    g = groups(k)
    assert g[26] == ["0000:00:1e.0", "0000:06:0d.0", "0000:06:0d.1"]
    assert k.fs.readlink("/sys/bus/pci/devices/0000:06:0d.0/iommu_group") == (
        "../../../../kernel/iommu_groups/26"
    )
    assert k.fs.readlink("/sys/kernel/iommu_groups/26/devices/0000:06:0d.1") == (
        "../../../../devices/pci0000:00/0000:00:1e.0/0000:06:0d.1"
    )
    # the USB controller in an RMRR scope: direct-relaxable
    usb = k.pci.find("0000:00:1a.0")
    assert usb is not None and usb.iommu_group is not None
    assert k.fs.read_bytes(f"/sys/kernel/iommu_groups/{usb.iommu_group.id}/reserved_regions") == (
        b"0x000000007b800000 0x000000007f7fffff direct-relaxable\n"
        b"0x00000000fee00000 0x00000000feefffff msi\n"
    )
    assert k.check_invariants() == []


def test_switch_with_acs_isolates_endpoints() -> None:
    g = groups(boot(acs_switch(True)))
    ep3 = next(gid for gid, d in g.items() if "0000:03:00.0" in d)
    ep4 = next(gid for gid, d in g.items() if "0000:04:00.0" in d)
    assert ep3 != ep4
    assert g[ep3] == ["0000:03:00.0"] and g[ep4] == ["0000:04:00.0"]


def test_switch_without_acs_joins_downstream_port() -> None:
    g = groups(boot(acs_switch(False)))
    ep3 = next(gid for gid, d in g.items() if "0000:03:00.0" in d)
    assert g[ep3] == ["0000:02:08.0", "0000:03:00.0"]
