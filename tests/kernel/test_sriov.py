"""SR-IOV: VFs go through the normal probe path and get groups."""

from __future__ import annotations

import errno

from iommush.kernel import boot

from .helpers import groups, try_write, write
from .machines import sriov_nic

PF = "/sys/bus/pci/devices/0000:01:00.0"


def test_vfs_get_their_own_groups() -> None:
    k = boot(sriov_nic())
    assert k.fs.read_bytes(f"{PF}/sriov_totalvfs") == b"7\n"
    assert try_write(k, f"{PF}/sriov_numvfs", "8") == errno.ERANGE
    write(k, f"{PF}/sriov_numvfs", "2")
    g = groups(k)
    vf0 = next(gid for gid, d in g.items() if d == ["0000:01:10.0"])
    vf1 = next(gid for gid, d in g.items() if d == ["0000:01:10.2"])
    assert vf0 != vf1
    assert k.fs.readlink(f"{PF}/virtfn0") == "../0000:01:10.0"
    assert k.fs.readlink("/sys/bus/pci/devices/0000:01:10.0/physfn") == "../0000:01:00.0"
    assert k.fs.readlink("/sys/bus/pci/devices/0000:01:10.0/driver").endswith("igbvf")
    assert try_write(k, f"{PF}/sriov_numvfs", "3") == errno.EBUSY
    write(k, f"{PF}/sriov_numvfs", "0")
    assert not k.fs.exists("/sys/bus/pci/devices/0000:01:10.0")
    assert vf0 not in groups(k)
    assert k.check_invariants() == []


def test_vfs_without_acs_share_the_port_group() -> None:
    k = boot(sriov_nic(acs=False))
    write(k, f"{PF}/sriov_numvfs", "2")
    g = groups(k)
    shared = next(d for d in g.values() if "0000:01:10.0" in d)
    assert shared == ["0000:00:1c.0", "0000:01:00.0", "0000:01:10.0", "0000:01:10.2"]


def test_sriov_needs_driver() -> None:
    k = boot(sriov_nic())
    write(k, f"{PF}/driver/unbind", "0000:01:00.0")
    assert try_write(k, f"{PF}/sriov_numvfs", "1") == errno.ENOENT
    assert k.printk.records()[-1].text == (
        "pci 0000:01:00.0: no driver bound to device; cannot configure SR-IOV"
    )
