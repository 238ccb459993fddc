"""Boot of the transcripts' q35 machine: groups, links, boot log lines, AMD and virtio."""

from __future__ import annotations

import pytest

from iommush.kernel import boot

from .helpers import groups, type_of
from .machines import boot_q35, q35

Q35_GROUPS = {
    0: ["0000:00:00.0"],
    1: ["0000:00:02.0"],
    2: ["0000:00:03.0"],
    3: ["0000:00:04.0"],
    4: ["0000:00:05.0", "0000:00:05.1"],
    5: ["0000:00:06.0", "0000:01:01.0", "0000:01:02.0", "0000:01:03.0"],
    6: ["0000:00:07.0"],
    7: ["0000:00:1f.0", "0000:00:1f.2", "0000:00:1f.3"],
    8: ["0000:02:00.0"],
}


@pytest.mark.parametrize("kernel", ["6.12.107+deb13-amd64", "6.1.0-56-amd64", "6.4"])
def test_q35_intel_groups_and_types(kernel: str) -> None:
    k = boot_q35(kernel=kernel)
    assert groups(k) == Q35_GROUPS
    assert {type_of(k, g) for g in Q35_GROUPS} == {"DMA-FQ"}
    assert k.check_invariants() == []


def test_q35_links_and_files() -> None:
    k = boot_q35()
    fs = k.fs
    assert fs.readlink("/sys/bus/pci/devices/0000:00:02.0/iommu_group") == (
        "../../../kernel/iommu_groups/1"
    )
    assert fs.readlink("/sys/bus/pci/devices/0000:01:03.0/iommu_group") == (
        "../../../../kernel/iommu_groups/5"
    )
    assert fs.readlink("/sys/kernel/iommu_groups/8/devices/0000:02:00.0") == (
        "../../../../devices/pci0000:00/0000:00:07.0/0000:02:00.0"
    )
    assert fs.readlink("/sys/bus/pci/devices/0000:00:02.0/iommu") == "../../virtual/iommu/dmar0"
    assert fs.readlink("/sys/class/iommu/dmar0") == "../../devices/virtual/iommu/dmar0"
    assert fs.readlink("/sys/class/iommu/dmar0/devices/0000:01:01.0") == (
        "../../../../pci0000:00/0000:00:06.0/0000:01:01.0"
    )
    assert fs.readlink("/sys/bus/pci/devices/0000:00:02.0/driver") == (
        "../../../bus/pci/drivers/e1000e"
    )
    assert fs.read_bytes("/sys/class/iommu/dmar0/intel-iommu/cap") == b"d2008c22260206\n"
    assert fs.read_bytes("/sys/class/iommu/dmar0/intel-iommu/domains_used") == b"11\n"
    assert fs.read_bytes("/sys/kernel/iommu_groups/7/reserved_regions") == (
        b"0x0000000000000000 0x0000000000ffffff direct-relaxable\n"
        b"0x00000000fee00000 0x00000000feefffff msi\n"
    )
    assert fs.read_bytes("/sys/kernel/iommu_groups/1/reserved_regions") == (
        b"0x00000000fee00000 0x00000000feefffff msi\n"
    )
    assert fs.read_bytes("/sys/bus/pci/devices/0000:00:02.0/driver_override") == b"(null)\n"
    assert fs.read_bytes("/sys/bus/pci/devices/0000:00:1f.2/class") == b"0x010601\n"
    assert fs.stat("/sys/kernel/iommu_groups/1/type").st_mode & 0o777 == 0o644
    assert fs.stat("/sys/bus/pci/devices/0000:00:02.0/remove").st_mode & 0o777 == 0o220
    assert fs.stat("/sys/bus/pci/devices/0000:00:02.0/config").st_size == 4096
    assert fs.stat("/sys/bus/pci/devices/0000:01:01.0/config").st_size == 256
    assert fs.read_bytes("/proc/sys/kernel/osrelease") == b"6.12.107+deb13-amd64\n"
    assert "vfio-pci" in fs.listdir("/sys/bus/pci/drivers")
    assert fs.readlink("/sys/bus/pci/drivers/vfio-pci/module") == "../../../../module/vfio_pci"
    assert not fs.exists("/sys/module/iommu/parameters")


def _log(k) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.text for r in k.printk.records()]


def test_boot_log_6_12() -> None:
    log = _log(boot_q35())
    assert "iommu: Default domain type: Translated" in log
    assert "iommu: DMA domain TLB invalidation policy: lazy mode" in log
    assert (
        "pci 0000:00:02.0: [8086:10d3] type 00 class 0x020000 PCIe Root Complex "
        "Integrated Endpoint" in log
    )
    adding = [x for x in log if "Adding to iommu group" in x]
    assert adding[:3] == [
        "pci 0000:00:00.0: Adding to iommu group 0",
        "pci 0000:00:02.0: Adding to iommu group 1",
        "pci 0000:00:03.0: Adding to iommu group 2",
    ]
    assert adding[-1] == "pci 0000:02:00.0: Adding to iommu group 8"
    assert log.index("DMAR: dmar0: Using Queued invalidation") < log.index(adding[0])
    assert "8139cp 0000:01:03.0 eth4: RTL-8139C+" in " ".join(log)
    assert "virtio_blk virtio1: 2/0/0 default/read/poll queues" in log


def test_boot_log_6_1_trailing_space() -> None:
    log = _log(boot_q35(kernel="6.1.0-56-amd64"))
    assert "iommu: Default domain type: Translated " in log
    assert "iommu: DMA domain TLB invalidation policy: lazy mode " in log
    assert "pci 0000:00:02.0: [8086:10d3] type 00 class 0x020000" in log


def test_amd_q35() -> None:
    k = boot_q35("amd", kernel="6.1.0-56-amd64", cmdline="console=ttyS0")
    g = groups(k)
    assert g == Q35_GROUPS
    assert {type_of(k, x) for x in g} == {"DMA"}
    fs = k.fs
    assert not fs.exists("/sys/bus/pci/devices/0000:00:01.0/iommu_group")
    assert fs.readlink("/sys/bus/pci/devices/0000:00:02.0/iommu") == "../0000:00:01.0/iommu/ivhd0"
    assert fs.readlink("/sys/class/iommu/ivhd0") == (
        "../../devices/pci0000:00/0000:00:01.0/iommu/ivhd0"
    )
    assert fs.read_bytes("/sys/kernel/iommu_groups/0/reserved_regions") == (
        b"0x00000000fee00000 0x00000000feefffff msi\n"
        b"0x000000fd00000000 0x000000ffffffffff reserved\n"
    )
    log = _log(k)
    assert "AMD-Vi: Using strict mode due to virtualization" in log
    assert "pci 0000:00:01.0: AMD-Vi: Found IOMMU cap 0x40" in log
    assert k.check_invariants() == []


def test_virtio_q35_late_probe() -> None:
    k = boot_q35("virtio", cmdline="console=ttyS0")
    assert groups(k) == {
        0: ["0000:00:06.0"],
        1: ["0000:00:07.0"],
        2: ["0000:00:03.0"],
        3: ["0000:00:04.0"],
        4: ["0000:02:00.0"],
        5: ["0000:00:00.0"],
        6: ["0000:00:02.0"],
        7: ["0000:00:05.0", "0000:00:05.1"],
    }
    log = _log(k)
    assert "pcieport 0000:00:06.0: Adding to iommu group 0" in log
    assert "agpgart-intel 0000:00:00.0: Adding to iommu group 5" in log
    assert "virtio_blk virtio2: 2/0/0 default/read/poll queues" in log
    for bdf in ("0000:01:01.0", "0000:01:02.0", "0000:01:03.0", "0000:00:1f.0"):
        assert not k.fs.exists(f"/sys/bus/pci/devices/{bdf}/iommu_group")
    assert k.fs.readlink("/sys/bus/pci/devices/0000:00:02.0/iommu") == (
        "../0000:00:01.0/virtio0/iommu/0000:00:01.0"
    )
    assert k.check_invariants() == []


def test_pinned_groups_and_to_spec() -> None:
    from iommush.kernel import boot

    from .machines import vfio_rst

    k = boot(vfio_rst())
    assert 26 in groups(k)
    write_unbind = "/sys/bus/pci/devices/0000:06:0d.0/driver/unbind"
    k.fs.write_bytes(write_unbind, b"0000:06:0d.0")
    spec = k.to_spec()
    f = next(f for f in spec.pci if f.bdf == "0000:06:0d.0")
    assert f.driver is None
    assert next(g for g in spec.groups if g.id == 26).devices == [
        "0000:00:1e.0",
        "0000:06:0d.0",
        "0000:06:0d.1",
    ]
    k2 = boot(spec)
    assert k2.pci.find("0000:06:0d.0").driver is None  # type: ignore[union-attr]
    assert k2.check_invariants() == []


def test_system_protocol() -> None:
    k = boot_q35()
    assert k.uname().release == "6.12.107+deb13-amd64"
    assert "vfio_pci" in k.loaded_modules()
    assert "e1000e" in k.available_modules()
    t = k.uptime()
    k.sleep(1.5)
    assert k.uptime() == t + 1.5
    k.syslog_clear()
    assert k.syslog_read_all() == []


def test_virtio_iommu_driver_is_loaded_for_its_device() -> None:
    """A machine with a virtio-iommu need not list the module: udev loads it for the
    virtio device that virtio-pci finds on the IOMMU's function, and the deferred probes
    then put the devices drivers bind into groups, in probe order."""
    spec = q35("virtio")
    spec.modules = [m for m in spec.modules if m != "virtio_iommu"]
    k = boot(spec)
    assert k.loaded_modules()[0] == "virtio_iommu"
    assert groups(k) == {
        0: ["0000:00:06.0"],
        1: ["0000:00:07.0"],
        2: ["0000:00:03.0"],
        3: ["0000:00:04.0"],
        4: ["0000:02:00.0"],
        5: ["0000:00:00.0"],
        6: ["0000:00:02.0"],
        7: ["0000:00:05.0", "0000:00:05.1"],
    }
    unit = "/sys/devices/pci0000:00/0000:00:01.0/virtio0/iommu/0000:00:01.0"
    assert k.fs.readlink(f"{unit}/device") == "../../../virtio0"


def test_amd_unit_links_up_to_its_own_function() -> None:
    """kernfs makes a link to an ancestor of its directory by going past it and back."""
    k = boot(q35("amd", "6.1.0-56-amd64"))
    unit = "/sys/devices/pci0000:00/0000:00:01.0/iommu/ivhd0"
    assert k.fs.readlink(f"{unit}/device") == "../../../0000:00:01.0"
    assert k.fs.read_bytes(f"{unit}/amd-iommu/features") == b"0:29d3\n"


@pytest.mark.parametrize(
    ("kernel", "cmdline", "used"),
    [
        ("6.1.0-56-amd64", "", 11),
        ("6.1.0-56-amd64", "iommu.passthrough=1", 3),
        ("6.12.107+deb13-amd64", "", 11),
        ("6.12.107+deb13-amd64", "iommu.passthrough=1", 2),
    ],
)
def test_intel_domains_used(kernel: str, cmdline: str, used: int) -> None:
    spec = q35("intel", kernel)
    k = boot(spec, cmdline=f"{spec.cmdline} {cmdline}".strip())
    got = k.fs.read_bytes("/sys/class/iommu/dmar0/intel-iommu/domains_used")
    assert got == f"{used}\n".encode()
