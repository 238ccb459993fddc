"""``why``: the grouping rules, recomputed from the model's topology."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from iommush.kernel import boot
from iommush.kernel.pci import PciDev
from iommush.machine import load_machine
from iommush.teach.grouping import fact_path, grouping_facts

from .conftest import Harness, Learner

MACHINES = ["desktop", "laptop", "q35", "ryzen", "threadripper", "vfio-rst", "xeon"]


@pytest.mark.parametrize("name", MACHINES)
def test_facts_link_exactly_the_members_of_each_group(name: str) -> None:
    k = boot(load_machine(name))
    facts = [f for d in k.pci.devices if d.iommu_group is not None for f in grouping_facts(d)]
    gid = {d.name: d.iommu_group.id for d in k.pci.devices if d.iommu_group is not None}
    assert all(gid[f.dev] == gid[f.other] for f in facts)
    for group in k.iommu.groups.values():
        names = [gd.name for gd in group.devices if isinstance(gd.dev, PciDev)]
        for other in names[1:]:
            assert fact_path(facts, names[0], other) is not None, (group.id, other)


def test_pcie_to_pci_bridge_alias(learner: Callable[..., Learner]) -> None:
    sh = learner("vfio-rst")
    res = sh("why 06:0d.1 0000:06:0d.0")
    assert res.status == 0
    assert "both in IOMMU group 26" in res.out
    assert "PCIe-to-PCI bridge 0000:00:1e.0" in res.out
    assert "requester ID 06:00.0" in res.out
    assert "pinned by the machine description" in res.out


def test_missing_acs_names_the_port_and_multifunction_names_the_functions(
    learner: Callable[..., Learner],
) -> None:
    sh = learner("vfio-rst")
    out = sh("why 0000:05:00.0").out
    assert "0000:00:1c.4 (root port) has no ACS" in out
    assert "functions 0 and 4 of the multifunction device 0000:00:1c" in out
    gpu = learner("desktop")("why 01:00.1").out
    assert "in IOMMU group 11 with 0000:01:00.0" in gpu
    assert "functions 0 and 1 of the multifunction device 0000:01:00" in gpu
    assert "0000:00:01.0 (root port) and every port above it have ACS" in gpu


def test_apart_alone_and_errors(learner: Callable[..., Learner]) -> None:
    sh = learner("desktop")
    apart = sh("why 01:00.0 02:00.0")
    assert "are not in one group" in apart.out
    alone = sh("why 0000:02:00.0")
    assert "alone in IOMMU group" in alone.out
    bad = sh("why 09:1f.7")
    assert bad.status == 1 and "no such PCI device" in bad.err
    assert sh("why").status == 2
    assert sh("why -x 01:00.0").status == 2


def test_quirk_alias_fact() -> None:
    spec = load_machine("desktop")
    for f in spec.pci:
        if f.bdf == "0000:03:00.0":
            f.dma_alias_devfns = ["00.1"]
    from iommush.kernel.spec import PciFunctionSpec

    spec.pci.append(
        PciFunctionSpec("0000:03:00.1", vendor=0x8086, device=0x10FB, class_code=0x020000)
    )
    k = boot(spec)
    dev = k.pci.find("0000:03:00.0")
    facts = grouping_facts(dev)
    assert any(f.kind == "quirk-alias" and f.other == "0000:03:00.1" for f in facts)


def test_without_the_kernel_model(sh: Harness) -> None:
    res = sh("why", "01:00.0")
    assert res.status == 1 and "no PCI model" in res.err
