"""The lab's own copies of the machine, and what "the same state" means to the explorer.

The lab never touches the running kernel: it works on deep copies of it (or, for another
kernel version, of the same machine booted under that version from ``Kernel.to_spec()``).
An act that changes the model runs on a fresh copy of the state it starts from.

Two states are the same when their :func:`fingerprint` is: group membership, ownership,
domains (by role), and each device's driver, IOMMU data and liveness.
"""

from __future__ import annotations

import copy
from collections.abc import Hashable
from typing import TYPE_CHECKING

from iommush.kernel import Kernel, KernelError, boot
from iommush.vfs import Dir, Link

from .model import Notes, note_values

if TYPE_CHECKING:
    from iommush.kernel.domain import IommuDomain
    from iommush.kernel.iommu_group import IommuGroup
    from iommush.kernel.spec import MachineSpec

__all__ = ["LabMachine", "fingerprint", "lab_invariants"]


def _dom(group: IommuGroup | None, dom: IommuDomain | None) -> Hashable:
    """A domain by its role in its group (identity is not comparable across copies)."""
    if dom is None:
        return None
    if group is not None:
        if dom is group.default_domain:
            return ("default", dom.type)
        if dom is group.blocking_domain:
            return ("blocking", dom.type)
        if dom is group.domain:
            return ("current", dom.type)
    return ("other", dom.type)


def fingerprint(k: Kernel) -> Hashable:
    """What the lab compares states by."""
    groups = tuple(
        (
            gid,
            tuple(gd.name for gd in g.devices),
            g.owner_cnt,
            g.owner is not None,
            _dom(g, g.default_domain),
            _dom(g, g.domain),
            g.refcount,
        )
        for gid, g in sorted(k.iommu.groups.items())
    )
    devs = tuple(
        (
            d.name,
            d.driver.name if d.driver is not None else None,
            d.iommu is not None,
            d.iommu_group.id if d.iommu_group is not None else None,
            d.dead,
            d.registered,
            _dom(d.iommu_group, d.attached_domain),
        )
        for d in sorted(k.pci.devices, key=lambda d: d.name)
    )
    return (groups, devs)


def lab_invariants(k: Kernel, notes: Notes) -> list[str]:
    """Broken invariants of a final state: the kernel's own
    (:meth:`Kernel.check_invariants`) and those the paths recorded as they happened."""
    bad = list(k.check_invariants())
    bad += [v[0] for v in note_values(notes, "violation")]
    return bad


def _replay_setup(k: Kernel, running: Kernel) -> None:
    """Make ``k``'s devices and driver bindings those of ``running`` (real model calls)."""
    for dev in list(k.pci.devices):
        now = running.pci.find(dev.name)
        if now is None:
            if dev.subordinate is None and not dev.dead:
                k.pci.pci_stop_and_remove_bus_device(dev)
            continue
        want = now.driver.name if now.driver is not None else None
        if dev.driver is not None and dev.driver.name != want:
            k.driver_core.device_release_driver(dev)
        if want is not None and dev.driver is None:
            drv = k.driver_core.drivers.get(want)
            if drv is not None:
                try:
                    k.driver_core.bind_store(drv, dev.name.encode())
                except KernelError:
                    pass


def _leaves(k: Kernel) -> dict[int, object]:
    """The tree's attribute, file and device nodes: no act changes them, so the copies of
    one lab machine share them (a copy memo for :func:`copy.deepcopy`)."""
    out: dict[int, object] = {}
    stack = [k.fs.root]
    while stack:
        d = stack.pop()
        for c in d.children.values():
            if isinstance(c, Dir):
                stack.append(c)
            elif not isinstance(c, Link):
                out[id(c)] = c
    return out


class LabMachine:
    """Copies of one machine under one kernel version: ``base`` is never run on; every
    copy the explorer needs is a deep copy of it or of a state reached from it."""

    def __init__(self, base: Kernel) -> None:
        self.base = base
        self.copies = 0
        self._shared = _leaves(base)

    @classmethod
    def of(cls, running: Kernel, version: str | None = None) -> LabMachine:
        """The machine the user is working on, as it is now. Under another kernel version
        the same machine is booted under that version and its setup replayed: devices the
        user removed are removed, drivers bound and unbound to match."""
        if version is None or version == running.version.model:
            return cls(copy.deepcopy(running))
        k = boot(running.spec, kernel=version)
        _replay_setup(k, running)
        return cls(k)

    @classmethod
    def from_spec(cls, spec: MachineSpec, version: str | None = None) -> LabMachine:
        """A machine booted from ``spec`` (under ``version`` if given)."""
        return cls(boot(spec, kernel=version))

    def copy(self, k: Kernel | None = None) -> Kernel:
        """A deep copy of ``k`` (default: the base machine)."""
        self.copies += 1
        return copy.deepcopy(self.base if k is None else k, dict(self._shared))
