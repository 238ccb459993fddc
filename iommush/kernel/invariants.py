"""``Kernel.check_invariants()``: the properties every reachable state keeps."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .domain import domain_type_name

if TYPE_CHECKING:
    from .kernel import Kernel

__all__ = ["check_invariants"]


def check_invariants(k: Kernel) -> list[str]:
    """Empty when all hold: ownership counts, user-owned groups without DMA-API drivers,
    members attached to ``group->domain``, ``type`` showing the default domain, and sysfs
    links matching membership."""
    bad: list[str] = []
    for gid, g in k.iommu.groups.items():
        if g.id != gid:
            bad.append(f"group {gid}: id {g.id} filed under {gid}")
        dma_api = [
            gd.dev
            for gd in g.devices
            if gd.dev.driver is not None and not gd.dev.driver.driver_managed_dma
        ]
        user = 1 if g.owner is not None else 0
        if g.owner is not None and dma_api:
            bad.append(f"group {gid}: owned by user space with DMA-API drivers bound")
        if g.owner is None and g.owner_cnt != len(dma_api):
            bad.append(f"group {gid}: owner_cnt {g.owner_cnt} != {len(dma_api)} DMA-API drivers")
        if g.owner is not None and g.owner_cnt < user:
            bad.append(f"group {gid}: owned but owner_cnt {g.owner_cnt}")
        for gd in g.devices:
            if g.domain is not None and gd.dev.attached_domain is not g.domain:
                bad.append(f"group {gid}: {gd.dev.name} not attached to group->domain")
            if gd.dev.iommu_group is not g:
                bad.append(f"group {gid}: {gd.dev.name} points at another group")
        want = f"{domain_type_name(g.default_domain.type if g.default_domain else None)}\n"
        if g.show_type() != want:
            bad.append(f"group {gid}: type shows {g.show_type()!r}")
        if g.kobj is None:
            bad.append(f"group {gid}: no sysfs directory")
            continue
        if k.iommu.groups_kset.get(str(gid)) is not g.kobj:
            bad.append(f"group {gid}: directory not under /sys/kernel/iommu_groups")
        links = g.device_links()
        names = {gd.name: gd.dev.kobj for gd in g.devices}
        if {n: id(t) for n, t in links.items()} != {n: id(t) for n, t in names.items()}:
            bad.append(f"group {gid}: devices/ links {sorted(links)} != members {sorted(names)}")
        for gd in g.devices:
            ln = gd.dev.kobj.get("iommu_group")
            if ln is None or getattr(ln, "target", None) is not g.kobj:
                bad.append(f"group {gid}: {gd.dev.name}/iommu_group does not point at it")
    for dev in k.pci.devices:
        dg = dev.iommu_group
        if dg is None and dev.kobj.get("iommu_group") is not None:
            bad.append(f"{dev.name}: iommu_group link without a group")
        if dg is not None and k.iommu.groups.get(dg.id) is not dg:
            bad.append(f"{dev.name}: group {dg.id} is not registered")
        if dev.driver is not None and dev not in dev.driver.devices:
            bad.append(f"{dev.name}: driver {dev.driver.name} does not list it")
    ids = {str(n) for n in k.iommu.groups}
    dirs = set(k.iommu.groups_kset.children)
    if ids != dirs:
        bad.append(f"group directories {sorted(dirs)} != groups {sorted(ids)}")
    return bad
