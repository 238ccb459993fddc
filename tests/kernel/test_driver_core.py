"""bind/unbind/new_id/remove_id/drivers_probe/driver_override and their errnos."""

from __future__ import annotations

import errno

from .helpers import dmesg_since, try_write, write
from .machines import boot_q35

DRV = "/sys/bus/pci/drivers"


def test_unbind_bind_messages_and_owner_cnt() -> None:
    k = boot_q35()
    g = k.iommu.groups[1]
    assert g.owner_cnt == 1
    mark = k.printk.mark()
    write(k, "/sys/bus/pci/devices/0000:00:02.0/driver/unbind", "0000:00:02.0")
    assert dmesg_since(k, mark) == ["e1000e 0000:00:02.0 eth0: removed PHC"]
    assert g.owner_cnt == 0
    assert not k.fs.exists("/sys/bus/pci/devices/0000:00:02.0/driver")
    assert not k.fs.exists(f"{DRV}/e1000e/0000:00:02.0")
    mark = k.printk.mark()
    write(k, f"{DRV}/e1000e/bind", "0000:00:02.0")
    assert (
        dmesg_since(k, mark)[-1] == "e1000e 0000:00:02.0 eth0: MAC: 3, PHY: 8, PBA No: 000000-000"
    )
    assert g.owner_cnt == 1
    assert k.fs.readlink(f"{DRV}/e1000e/0000:00:02.0") == (
        "../../../../devices/pci0000:00/0000:00:02.0"
    )


def test_bind_errnos() -> None:
    k = boot_q35()
    assert try_write(k, f"{DRV}/e1000e/bind", "0000:00:02.0") == errno.EBUSY
    assert try_write(k, f"{DRV}/e1000e/bind", "0000:00:03.0") == errno.ENODEV
    assert try_write(k, f"{DRV}/e1000e/bind", "0000:09:00.0") == errno.ENODEV
    assert try_write(k, f"{DRV}/e1000/unbind", "0000:00:02.0") == errno.ENODEV
    assert try_write(k, "/sys/bus/pci/drivers_probe", "0000:09:00.0") == errno.ENODEV
    assert try_write(k, "/sys/bus/pci/drivers_probe", "0000:00:1f.0") == 0


def test_eth_names_lowest_free() -> None:
    k = boot_q35()
    for bdf in ("0000:01:01.0", "0000:01:02.0", "0000:01:03.0"):
        write(k, f"/sys/bus/pci/devices/{bdf}/driver/unbind", bdf)
    mark = k.printk.mark()
    write(k, f"{DRV}/e1000/bind", "0000:01:01.0")
    write(k, f"{DRV}/virtio-pci/bind", "0000:01:02.0")
    write(k, f"{DRV}/8139cp/bind", "0000:01:03.0")
    log = dmesg_since(k, mark)
    assert log[0] == "e1000 0000:01:01.0 eth3: (PCI:33MHz:32-bit) 52:54:00:12:34:5a"
    assert log[-1].startswith("8139cp 0000:01:03.0 eth6: RTL-8139C+ at 0x")


def test_driver_override_and_stub() -> None:
    k = boot_q35()
    ov = "/sys/bus/pci/devices/0000:00:03.0/driver_override"
    write(k, ov, "pci-stub\n")
    assert k.fs.read_bytes(ov) == b"pci-stub\n"
    write(k, "/sys/bus/pci/devices/0000:00:03.0/driver/unbind", "0000:00:03.0")
    mark = k.printk.mark()
    write(k, "/sys/bus/pci/drivers_probe", "0000:00:03.0")
    assert dmesg_since(k, mark) == ["pci-stub 0000:00:03.0: claimed by stub"]
    assert k.iommu.groups[2].owner_cnt == 0
    assert try_write(k, f"{DRV}/virtio-pci/bind", "0000:00:03.0") == errno.ENODEV
    write(k, ov, "\n")
    assert k.fs.read_bytes(ov) == b"(null)\n"
    assert try_write(k, ov, "x" * 4095) == errno.EINVAL


def test_new_id_remove_id() -> None:
    k = boot_q35()
    assert try_write(k, f"{DRV}/pci-stub/new_id", "8086") == errno.EINVAL
    write(k, "/sys/bus/pci/devices/0000:00:02.0/driver/unbind", "0000:00:02.0")
    assert try_write(k, f"{DRV}/e1000e/new_id", "8086 10d3") == errno.EEXIST
    write(k, f"{DRV}/pci-stub/new_id", "8086 10d3")
    assert k.fs.readlink("/sys/bus/pci/devices/0000:00:02.0/driver").endswith("pci-stub")
    write(k, f"{DRV}/pci-stub/remove_id", "8086 10d3")
    assert try_write(k, f"{DRV}/pci-stub/remove_id", "8086 10d3") == errno.ENODEV
    assert k.fs.readlink("/sys/bus/pci/devices/0000:00:02.0/driver").endswith("pci-stub")
    assert try_write(k, f"{DRV}/e1000e/new_id", "8086 1234 ffffffff ffffffff 0 0 5") == (
        errno.EINVAL
    )
    assert k.check_invariants() == []


def test_vfio_new_id_vfio_rst_style() -> None:
    k = boot_q35()
    write(k, "/sys/bus/pci/devices/0000:00:02.0/driver/unbind", "0000:00:02.0")
    write(k, f"{DRV}/vfio-pci/new_id", "8086 10d3")
    assert k.fs.exists("/dev/vfio/1")
    assert k.iommu.groups[1].owner_cnt == 0
