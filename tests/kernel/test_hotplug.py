"""remove/rescan: group release, IDA numbering, per-version log lines."""

from __future__ import annotations

from .helpers import dmesg_since, groups, type_of, write
from .machines import boot_q35


def test_remove_rescan_ida_6_12() -> None:
    k = boot_q35()
    write(k, "/sys/bus/pci/devices/0000:00:04.0/remove", "1")
    write(k, "/sys/bus/pci/devices/0000:00:03.0/remove", "1")
    assert sorted(groups(k)) == [0, 1, 4, 5, 6, 7, 8]
    write(k, "/sys/bus/pci/rescan", "1")
    g = groups(k)
    assert g[2] == ["0000:00:03.0"] and g[3] == ["0000:00:04.0"]
    write(k, "/sys/bus/pci/devices/0000:00:02.0/remove", "1")
    write(k, "/sys/bus/pci/devices/0000:02:00.0/remove", "1")
    write(k, "/sys/class/pci_bus/0000:02/rescan", "1")
    assert groups(k)[1] == ["0000:02:00.0"]
    mark = k.printk.mark()
    write(k, "/sys/bus/pci/rescan", "1")
    log = dmesg_since(k, mark)
    assert "pci 0000:00:02.0: Adding to iommu group 8" in log
    assert "e1000e 0000:00:02.0 eth7: Intel(R) PRO/1000 Network Connection" in log
    assert k.check_invariants() == []


def test_type_does_not_survive_remove() -> None:
    k = boot_q35()
    write(k, "/sys/bus/pci/devices/0000:00:02.0/driver/unbind", "0000:00:02.0")
    write(k, "/sys/kernel/iommu_groups/1/type", "identity")
    mark = k.printk.mark()
    write(k, "/sys/bus/pci/devices/0000:00:02.0/remove", "1")
    assert dmesg_since(k, mark) == []
    assert not k.fs.exists("/sys/kernel/iommu_groups/1")
    write(k, "/sys/bus/pci/rescan", "1")
    assert type_of(k, 1) == "DMA-FQ"


def test_remove_bridge_6_1_messages() -> None:
    k = boot_q35(kernel="6.1.0-56-amd64")
    mark = k.printk.mark()
    write(k, "/sys/bus/pci/devices/0000:00:06.0/remove", "1")
    assert dmesg_since(k, mark) == [
        "pci 0000:01:01.0: Removing from iommu group 5",
        "pci 0000:01:02.0: Removing from iommu group 5",
        "pci 0000:01:03.0: Removing from iommu group 5",
        "pci_bus 0000:01: busn_res: [bus 01] is released",
        "pci 0000:00:06.0: Removing from iommu group 5",
    ]
    assert 5 not in groups(k)
    mark = k.printk.mark()
    write(k, "/sys/bus/pci/rescan", "1")
    log = dmesg_since(k, mark)
    assert log[:2] == [
        "pci 0000:00:06.0: [1b36:0001] type 01 class 0x060400",
        "pci 0000:00:06.0: PCI bridge to [bus 01]",
    ]
    assert "pci 0000:00:06.0: Adding to iommu group 5" in log
    assert groups(k)[5] == ["0000:00:06.0", "0000:01:01.0", "0000:01:02.0", "0000:01:03.0"]
    assert k.check_invariants() == []


def test_remove_6_4_no_message() -> None:
    k = boot_q35(kernel="6.4")
    mark = k.printk.mark()
    write(k, "/sys/bus/pci/devices/0000:01:03.0/remove", "1")
    assert dmesg_since(k, mark) == []
    assert groups(k)[5] == ["0000:00:06.0", "0000:01:01.0", "0000:01:02.0"]
