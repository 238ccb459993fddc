"""Generated SR-IOV hosts, and booting every built-in machine on each modelled kernel."""

from __future__ import annotations

import importlib
import importlib.util

import pytest

from iommush.machine import generate_sriov_host, list_machines, load_machine

HAS_BOOT = importlib.util.find_spec("iommush.kernel") is not None and hasattr(
    importlib.import_module("iommush.kernel"), "boot"
)


def test_generate_sriov_host_shape() -> None:
    spec = generate_sriov_host(4, 255)
    vfs = [p for p in spec.pci if p.physfn]
    pfs = [p for p in spec.pci if p.sriov_totalvfs]
    assert len(vfs) == 4 * 255 and len(pfs) == 4
    assert len({p.bdf for p in spec.pci}) == len(spec.pci)
    assert all(len(g.devices) == 1 for g in spec.groups)
    assert {v.physfn for v in vfs} == {p.bdf for p in pfs}
    with pytest.raises(ValueError):
        generate_sriov_host(300, 255)


def test_generate_full_scale_is_fast() -> None:
    spec = generate_sriov_host(64, 255)
    assert sum(1 for p in spec.pci if p.role == "endpoint") == 16384


@pytest.mark.skipif(not HAS_BOOT, reason="iommush.kernel.boot does not exist yet")
@pytest.mark.parametrize("kernel", ["6.3", "6.4", "6.12"])
@pytest.mark.parametrize("name", [n for n, _ in list_machines()])
def test_builtin_boots_and_holds_invariants(name: str, kernel: str) -> None:
    from iommush.kernel import boot

    k = boot(load_machine(name), kernel=kernel)
    assert k.check_invariants() == []
    assert k.fs.listdir("/sys/kernel/iommu_groups")


@pytest.mark.skipif(not HAS_BOOT, reason="iommush.kernel.boot does not exist yet")
def test_vfio_rst_group_26_after_boot() -> None:
    from iommush.kernel import boot

    k = boot(load_machine("vfio-rst"))
    assert sorted(k.fs.listdir("/sys/kernel/iommu_groups/26/devices")) == [
        "0000:00:1e.0",
        "0000:06:0d.0",
        "0000:06:0d.1",
    ]


Q35_GROUPS = {
    "0": ["0000:00:00.0"],
    "1": ["0000:00:02.0"],
    "2": ["0000:00:03.0"],
    "3": ["0000:00:04.0"],
    "4": ["0000:00:05.0", "0000:00:05.1"],
    "5": ["0000:00:06.0", "0000:01:01.0", "0000:01:02.0", "0000:01:03.0"],
    "6": ["0000:00:07.0"],
    "7": ["0000:00:1f.0", "0000:00:1f.2", "0000:00:1f.3"],
    "8": ["0000:02:00.0"],
}


@pytest.mark.skipif(not HAS_BOOT, reason="iommush.kernel.boot does not exist yet")
def test_q35_boots_with_the_transcripts_groups() -> None:
    from iommush.kernel import boot

    k = boot(load_machine("q35"))
    got = {
        g: sorted(k.fs.listdir(f"/sys/kernel/iommu_groups/{g}/devices"))
        for g in k.fs.listdir("/sys/kernel/iommu_groups")
    }
    assert got == Q35_GROUPS


@pytest.mark.skipif(not HAS_BOOT, reason="iommush.kernel.boot does not exist yet")
def test_generated_host_boots() -> None:
    from iommush.kernel import boot

    k = boot(generate_sriov_host(2, 7))
    assert len(k.fs.listdir("/sys/kernel/iommu_groups")) == 1 + 2 + 2 * 8
    assert k.check_invariants() == []
