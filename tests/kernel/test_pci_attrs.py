"""PCI device attributes: ``sriov_numvfs`` parsing, ``enable`` counts, ``config`` for
unprivileged readers, and per-kernel domain numbering."""

from __future__ import annotations

import errno

from hypothesis import given, settings
from hypothesis import strategies as st

from iommush.kernel import Kernel, boot
from iommush.kernel.pci_subsys import kstrtou16
from iommush.vfs import CAP_SYS_ADMIN, ROOT, as_cred

from .helpers import try_write, write
from .machines import boot_q35, q35, sriov_nic

DEV = "/sys/bus/pci/devices"
PF = f"{DEV}/0000:01:00.0"


@settings(max_examples=60)
@given(st.integers(0, 0xFFFF), st.sampled_from(["{}", "{}\n", "+{}", "0x{:x}", "0{:o}"]))
def test_kstrtou16_accepts_kernel_forms(n: int, fmt: str) -> None:
    assert kstrtou16(fmt.format(n).encode()) == n


def test_kstrtou16_rejects() -> None:
    for bad in (b" 1", b"1 ", b"-1", b"65536", b"", b"\n", b"0x", b"08", b"1\n\n", b"abc"):
        assert kstrtou16(bad) is None, bad
    assert kstrtou16(b"1\0junk") == 1


def test_sriov_numvfs_einval_for_every_parse_error() -> None:
    k = boot(sriov_nic())
    for bad in ("65536", "-1", " 1", "99999999999999999999"):
        assert try_write(k, f"{PF}/sriov_numvfs", bad) == errno.EINVAL, bad
    assert k.fs.read_bytes(f"{PF}/sriov_numvfs") == b"0\n"
    assert try_write(k, f"{PF}/sriov_numvfs", "8") == errno.ERANGE


def _enable(k: Kernel, bdf: str) -> int:
    return int(k.fs.read_bytes(f"{DEV}/{bdf}/enable"))


def test_enable_counts_bound_devices_and_their_bridges() -> None:
    k = boot_q35()
    want = {
        "0000:00:00.0": 0,
        "0000:00:02.0": 1,
        "0000:00:06.0": 1,
        "0000:00:07.0": 1,
        "0000:00:1f.2": 0,
        "0000:01:01.0": 1,
        "0000:02:00.0": 1,
    }
    assert {b: _enable(k, b) for b in want} == want
    write(k, f"{DEV}/0000:01:01.0/driver/unbind", "0000:01:01.0")
    assert _enable(k, "0000:01:01.0") == 0
    assert _enable(k, "0000:00:06.0") == 1  # pci_disable_device leaves the bridge on
    write(k, f"{DEV}/0000:01:01.0/enable", "1")
    write(k, f"{DEV}/0000:01:01.0/enable", "1")
    assert _enable(k, "0000:01:01.0") == 2
    assert _enable(k, "0000:00:06.0") == 1


def test_config_is_cut_to_64_bytes_without_cap_sys_admin() -> None:
    k = boot_q35()
    path = f"{DEV}/0000:00:02.0/config"
    full = k.fs.read_bytes(path)
    assert len(full) == 4096
    with as_cred(ROOT.without(CAP_SYS_ADMIN)):
        assert k.fs.read_bytes(path) == full[:64]
    assert k.fs.read_bytes(path) == full


def test_domain_ids_restart_with_each_kernel() -> None:
    first = sorted(boot(q35()).fs.listdir("/sys/kernel/debug/iommu/dma"))
    second = sorted(boot(q35()).fs.listdir("/sys/kernel/debug/iommu/dma"))
    assert first == second
    assert "1" in first
