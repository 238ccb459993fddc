"""``Kernel.to_spec()``: the machine as it is now (drivers, overrides, VFs gone or not)."""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING

from .domain import domain_type_name
from .pci_drivers import MODULE_DEPS, PCI_DRIVERS
from .spec import GroupSpec, MachineSpec

if TYPE_CHECKING:
    from .kernel import Kernel

__all__ = ["kernel_to_spec"]


def kernel_to_spec(k: Kernel) -> MachineSpec:
    """A :class:`MachineSpec` that boots into the current state's drivers and groups."""
    spec = copy.deepcopy(k.spec)
    spec.kernel = k.version.release
    spec.cmdline = k.cmdline
    present = {d.name: d for d in k.pci.devices if not d.is_virtfn}
    pci = []
    for f in spec.pci:
        dev = present.get(f.bdf)
        if dev is None:
            pci.append(f)
            continue
        f.driver = dev.driver.name if dev.driver is not None else None
        f.driver_override = dev.driver_override
        pci.append(f)
    spec.pci = pci
    named = {f.driver for f in pci if f.driver}
    known = {
        m
        for m, info in k.modules.by_module.items()
        if info.name in PCI_DRIVERS or info.name in named
    }
    spec.modules = [
        m for m in k.modules.loaded if m in known or m in MODULE_DEPS or m == "virtio_iommu"
    ]
    spec.groups = (
        [
            GroupSpec(
                g.id,
                [gd.dev.name for gd in g.devices],
                domain_type_name(g.default_domain.type if g.default_domain else None),
                g.name,
            )
            for g in sorted(k.iommu.groups.values(), key=lambda g: g.id)
        ]
        if k.spec.groups
        else []
    )
    return spec
