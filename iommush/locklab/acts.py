"""The lock lab's acts: real model operations run at a point of a kernel path.

Each factory returns an :data:`~iommush.locklab.model.ActFn` bound to names (group id,
device name, driver name) rather than objects, so it runs the same on every copy of the
machine. Results land in the notes as ``("result", task, "EBUSY")``; what a path saw that
breaks an invariant lands as ``("violation", text)``; ``("released", dev)`` marks a device
whose ``ops->release_device`` ran while it may still be on its group's list (6.3).
"""

from __future__ import annotations

import errno
from typing import TYPE_CHECKING

from iommush.kernel import KernelError
from iommush.kernel.dma_owner import iommu_group_claim_dma_owner
from iommush.kernel.domain import IOMMU_DOMAIN_DMA, IOMMU_DOMAIN_DMA_FQ
from iommush.kernel.iommu_store_type import iommu_change_dev_def_domain, iommu_group_store_type

from .model import ActFn, Notes, note_add, note_has

if TYPE_CHECKING:
    from iommush.kernel import Kernel
    from iommush.kernel.device import KernelDevice
    from iommush.kernel.iommu_group import IommuGroup

__all__ = [
    "act_bind_check",
    "act_bound_check",
    "act_claim_for_store",
    "act_freeze_check",
    "act_nothing",
    "act_unclaim",
    "act_change_def_domain",
    "act_claim_dma_owner",
    "act_group_count",
    "act_group_remove_device",
    "act_kill_device",
    "act_note",
    "act_really_probe",
    "act_release_driver",
    "act_release_device_note",
    "act_remove_tail",
    "act_store_type",
    "act_sweep_check",
    "act_sweep_locked",
    "act_sweep_use",
    "result_of",
]


class _LabOwner:
    """The DMA owner a lab VFIO claim installs (``struct vfio_group``'s stand-in)."""

    def __repr__(self) -> str:
        return "<vfio group>"


LAB_OWNER = _LabOwner()


def result_of(notes: Notes, task: int) -> str:
    """The errno name a task ended with, or ``0``."""
    for f in notes:
        if f[:2] == ("result", str(task)):
            return f[2]
    return "0"


def _res(notes: Notes, task: int, code: int | str | None) -> Notes:
    if code is None:
        code = errno.EIO
    name = code if isinstance(code, str) else errno.errorcode.get(code, str(code))
    return note_add(notes, "result", str(task), name)


def _group(k: Kernel, gid: int) -> IommuGroup | None:
    return k.iommu.groups.get(gid)


def _dev(k: Kernel, bdf: str) -> KernelDevice | None:
    return k.pci.find(bdf)


def _released_members(group: IommuGroup, notes: Notes) -> list[str]:
    return [gd.dev.name for gd in group.devices if note_has(notes, "released", gd.dev.name)]


def _check_members(group: IommuGroup, notes: Notes, who: str) -> Notes:
    """A path about to act on every member: one already released is a broken invariant."""
    for name in _released_members(group, notes):
        notes = note_add(
            notes,
            "violation",
            f"{who} used {name} after ops->release_device released it, while it was "
            f"still in group {group.id}'s device list",
        )
    return notes


def act_note(*fact: str, jump: str | None = None) -> ActFn:
    """Record a fact (a claim, a flag) and optionally continue at ``jump``."""

    def fn(k: Kernel, notes: Notes, task: int) -> tuple[str | None, Notes]:
        return jump, note_add(notes, *fact)

    return fn


# -- iommu_group_store_type -------------------------------------------------------------
def act_group_count(gid: int, fail: str, *, singleton: bool) -> ActFn:
    """v6.3 ``iommu_group_store_type``: ``iommu_group_device_count(group) != 1`` -> EINVAL
    (``singleton``); otherwise only "the group still exists"."""

    def fn(k: Kernel, notes: Notes, task: int) -> tuple[str | None, Notes]:
        group = _group(k, gid)
        if group is None or not group.devices:
            return fail, _res(notes, task, errno.ENODEV)
        if singleton and len(group.devices) != 1:
            group.core.ratelimited(
                "store:count",
                "iommu_group_store_type",
                "iommu: Cannot change default domain: Group has more than one device",
            )
            return fail, _res(notes, task, errno.EINVAL)
        return None, notes

    return fn


def act_bound_check(gid: int, members: list[str], req: int, fail: str) -> ActFn:
    """v6.3 ``device_is_bound(dev)`` under ``device_lock``: EBUSY unless the request is the
    in-place DMA -> DMA-FQ upgrade (``members``: the devices whose lock the path holds)."""

    def fn(k: Kernel, notes: Notes, task: int) -> tuple[str | None, Notes]:
        group = _group(k, gid)
        if group is None or group.default_domain is None:
            return fail, _res(notes, task, errno.ENODEV)
        upgrade = req == IOMMU_DOMAIN_DMA_FQ and group.default_domain.type == IOMMU_DOMAIN_DMA
        for name in members:
            dev = _dev(k, name)
            if dev is not None and dev.driver is not None and not upgrade:
                group.core.ratelimited(
                    "store:bound",
                    "iommu_group_store_type",
                    "iommu: Device is still bound to driver",
                )
                return fail, _res(notes, task, errno.EBUSY)
        return None, notes

    return fn


def _bound_violation(group: IommuGroup, notes: Notes, req: int, task: int) -> Notes:
    assert group.default_domain is not None
    if req == IOMMU_DOMAIN_DMA_FQ and group.default_domain.type == IOMMU_DOMAIN_DMA:
        return notes
    for gd in group.devices:
        drv = gd.dev.driver
        if drv is not None and not drv.driver_managed_dma:
            notes = note_add(
                notes,
                "violation",
                f"group {group.id}'s type changed while {drv.name} was bound to {gd.dev.name}",
            )
    return notes


def act_change_def_domain(gid: int, bdf: str, req: int, *, multi: bool = False) -> ActFn:
    """``iommu_change_dev_def_domain(group, dev, type)`` on the copy. ``multi``: the
    what-if modes that let a 6.3-era kernel change a multi-device group run the body that
    handles every member (the one 6.4 introduced), under the locks their path holds."""

    def fn(k: Kernel, notes: Notes, task: int) -> tuple[str | None, Notes]:
        group = _group(k, gid)
        dev = _dev(k, bdf)
        if group is None or dev is None or group.find(dev) is None:
            return None, _res(notes, task, errno.ENODEV)
        seen = _bound_violation(group, notes, req, task)
        core = group.core
        saved = core.model
        if multi:
            core.model = "6.4"
        try:
            iommu_change_dev_def_domain(group, dev, req)
        except KernelError as e:
            return None, _res(notes, task, e.errno)
        finally:
            core.model = saved
        return None, _check_members(group, seen, "iommu_change_dev_def_domain")

    return fn


def act_store_type(gid: int, buf: bytes) -> ActFn:
    """v6.4+/v6.12: the whole ``group->mutex`` region of ``iommu_group_store_type`` (the
    DMA-FQ fast path, the ``owner_cnt`` check, the change) as the model runs it."""

    def fn(k: Kernel, notes: Notes, task: int) -> tuple[str | None, Notes]:
        group = _group(k, gid)
        if group is None:
            return None, _res(notes, task, errno.ENODEV)
        try:
            iommu_group_store_type(group, buf)
        except KernelError as e:
            return None, _res(notes, task, e.errno)
        return None, _check_members(group, notes, "iommu_group_store_type")

    return fn


# -- driver core ------------------------------------------------------------------------
def act_bind_check(bdf: str, fail: str) -> ActFn:
    """``__driver_probe_device`` under ``device_lock``: a bound device -> EBUSY, a device
    being deleted -> ENODEV. A group a lab path claimed for a ``type`` change (the rejected
    design claims DMA ownership first) refuses DMA-API drivers, as an owned group does."""

    def fn(k: Kernel, notes: Notes, task: int) -> tuple[str | None, Notes]:
        dev = _dev(k, bdf)
        if dev is None or dev.dead or not dev.registered:
            return fail, _res(notes, task, errno.ENODEV)
        if dev.driver is not None:
            return fail, _res(notes, task, errno.EBUSY)
        return None, notes

    return fn


def act_really_probe(drv_name: str, bdf: str) -> ActFn:
    """``really_probe``: ``dma_configure`` -> ``iommu_device_use_default_domain``, the
    driver's probe, the links, as the model runs them."""

    def fn(k: Kernel, notes: Notes, task: int) -> tuple[str | None, Notes]:
        dev = _dev(k, bdf)
        drv = k.driver_core.drivers.get(drv_name)
        if dev is None or drv is None:
            return None, _res(notes, task, errno.ENODEV)
        group = dev.iommu_group
        if group is not None and note_has(notes, "claimed", str(group.id)):
            if not drv.driver_managed_dma:
                return None, _res(notes, task, errno.EBUSY)
        if note_has(notes, "released", bdf):
            notes = note_add(notes, "violation", f"{drv_name} bound to {bdf} after its release")
        try:
            ret = k.driver_core.really_probe(drv, dev)
        except KernelError as e:
            return None, _res(notes, task, e.errno)
        return None, (_res(notes, task, ret) if ret else notes)

    return fn


def act_claim_for_store(gid: int, fail: str) -> ActFn:
    """The rejected design's ``iommu_group_store_type`` first claims DMA ownership so no
    driver can bind during the change: EPERM if a driver uses the group or it is owned."""

    def fn(k: Kernel, notes: Notes, task: int) -> tuple[str | None, Notes]:
        group = _group(k, gid)
        if group is None:
            return fail, _res(notes, task, errno.ENODEV)
        if group.owner_cnt or note_has(notes, "claimed", str(gid)):
            return fail, _res(notes, task, errno.EPERM)
        return None, note_add(notes, "claimed", str(gid))

    return fn


def act_unclaim(gid: int) -> ActFn:
    """``iommu_group_release_dma_owner`` after the change."""

    def fn(k: Kernel, notes: Notes, task: int) -> tuple[str | None, Notes]:
        return None, notes - {("claimed", str(gid))}

    return fn


def act_freeze_check(gid: int, members: list[str], fail: str) -> ActFn:
    """``iommu_group_freeze_dev_ops``: a member whose ``.release_device`` ran
    (``dev->iommu->iommu_dev == NULL``) -> EINVAL."""

    def fn(k: Kernel, notes: Notes, task: int) -> tuple[str | None, Notes]:
        for name in members:
            dev = _dev(k, name)
            if dev is None or dev.iommu is None or note_has(notes, "released", name):
                return fail, _res(notes, task, errno.EINVAL)
        return None, notes

    return fn


def act_nothing(k: Kernel, notes: Notes, task: int) -> tuple[str | None, Notes]:
    """A step with no effect on the model (a reference taken and dropped)."""
    return None, notes


def act_release_driver(bdf: str, drv_name: str | None) -> ActFn:
    """``__device_release_driver``: the driver's remove, ``dma_cleanup`` ->
    ``iommu_device_unuse_default_domain``, the links (``drv_name``: unbind of that driver
    only -- ENODEV if another one is bound)."""

    def fn(k: Kernel, notes: Notes, task: int) -> tuple[str | None, Notes]:
        dev = _dev(k, bdf)
        if dev is None or dev.driver is None:
            return None, (_res(notes, task, errno.ENODEV) if drv_name else notes)
        if drv_name is not None and dev.driver.name != drv_name:
            return None, _res(notes, task, errno.ENODEV)
        k.driver_core.device_release_driver(dev)
        return None, notes

    return fn


def act_kill_device(bdf: str) -> ActFn:
    """``device_del`` -> ``kill_device``: ``dev->p->dead = true`` under ``device_lock``."""

    def fn(k: Kernel, notes: Notes, task: int) -> tuple[str | None, Notes]:
        dev = _dev(k, bdf)
        if dev is not None:
            dev.dead = True
        return None, notes

    return fn


def act_release_device_note(bdf: str) -> ActFn:
    """v6.3 ``iommu_release_device``: ``ops->release_device(dev)`` runs before
    ``iommu_group_remove_device`` takes the device off the list, outside ``group->mutex``."""

    def fn(k: Kernel, notes: Notes, task: int) -> tuple[str | None, Notes]:
        dev = _dev(k, bdf)
        if dev is None or dev.iommu is None:
            return None, notes
        return None, note_add(notes, "released", bdf)

    return fn


def act_remove_tail(bdf: str) -> ActFn:
    """The rest of ``pci_stop_and_remove_bus_device`` as the model runs it: ``device_del``
    with ``BUS_NOTIFY_REMOVED_DEVICE`` -> ``iommu_release_device`` (the version's own
    order), the sysfs directory, the bus list."""

    def fn(k: Kernel, notes: Notes, task: int) -> tuple[str | None, Notes]:
        dev = k.pci.find(bdf)
        if dev is None:
            return None, _res(notes, task, errno.ENODEV)
        k.pci.pci_stop_and_remove_bus_device(dev)
        return None, notes - {("released", bdf)}

    return fn


# -- ownership, group membership, domain allocation -------------------------------------
def act_claim_dma_owner(gid: int) -> ActFn:
    """VFIO ``VFIO_GROUP_SET_CONTAINER`` -> ``iommu_group_claim_dma_owner``: EPERM while a
    DMA-API driver is bound; the blocking domain on every member."""

    def fn(k: Kernel, notes: Notes, task: int) -> tuple[str | None, Notes]:
        group = _group(k, gid)
        if group is None:
            return None, _res(notes, task, errno.ENODEV)
        if note_has(notes, "claimed", str(gid)):
            return None, _res(notes, task, errno.EPERM)
        try:
            iommu_group_claim_dma_owner(group, LAB_OWNER)
        except KernelError as e:
            return None, _res(notes, task, e.errno)
        return None, _check_members(group, notes, "iommu_group_claim_dma_owner")

    return fn


def act_group_remove_device(gid: int, bdf: str) -> ActFn:
    """``iommu_group_remove_device(dev)`` (exported, for drivers that manage groups
    themselves): "Removing from iommu group N", off the list and its links, the reference
    dropped."""

    def fn(k: Kernel, notes: Notes, task: int) -> tuple[str | None, Notes]:
        group = _group(k, gid)
        dev = _dev(k, bdf)
        if group is None or dev is None or group.find(dev) is None:
            return None, _res(notes, task, errno.ENODEV)
        core = group.core
        core._remove_from_group(group, dev, announce=True)
        core.iommu_group_put(group)
        return None, notes

    return fn


def act_sweep_check(bdf: str) -> ActFn:
    """v6.8-v6.12 ``__iommu_domain_alloc_dev``: ``dev_has_iommu(dev)``, no lock held."""

    def fn(k: Kernel, notes: Notes, task: int) -> tuple[str | None, Notes]:
        dev = _dev(k, bdf)
        if dev is not None and dev.iommu is not None:
            return None, note_add(notes, "seen", str(task), bdf)
        return None, notes

    return fn


def act_sweep_use(bdf: str) -> ActFn:
    """``*ops = dev_iommu_ops(dev)`` right after the check: if ``iommu_release_device``
    freed ``dev->iommu`` in between, the sweep read freed memory."""

    def fn(k: Kernel, notes: Notes, task: int) -> tuple[str | None, Notes]:
        if not note_has(notes, "seen", str(task), bdf):
            return None, notes
        notes = notes - {("seen", str(task), bdf)}
        dev = _dev(k, bdf)
        if dev is None or dev.iommu is None:
            notes = note_add(
                notes,
                "violation",
                f"iommu_domain_alloc read {bdf}'s dev->iommu after iommu_release_device freed it",
            )
        return None, notes

    return fn


def act_sweep_locked(gid: int, bdf: str, skip: str) -> ActFn:
    """The locked sweep, under ``device_lock`` + group reference + ``group->mutex``: only a
    device still on its group's list with its IOMMU data is used."""

    def fn(k: Kernel, notes: Notes, task: int) -> tuple[str | None, Notes]:
        group = _group(k, gid)
        dev = _dev(k, bdf)
        if group is None or dev is None or group.find(dev) is None or dev.iommu is None:
            return skip, notes
        return None, _check_members(group, notes, "iommu_domain_alloc")

    return fn
