"""The kernel paths, per version, broken at their lock and unlock points.

Sources (drivers/iommu/iommu.c, drivers/base/dd.c, drivers/pci/remove.c, drivers/vfio/):

* v6.3 ``iommu_group_store_type``: ``group->mutex`` only to count the devices and pick the
  single one, then ``device_lock(dev)`` and ``iommu_change_dev_def_domain``, which takes
  ``group->mutex`` itself. Its comment gives the reason: "taking group mutex first and then
  the device lock could potentially cause a deadlock", because the release path runs
  "device_lock() from device/driver core code -> bus_notifier() -> iommu_release_device()
  -> ... mutex_lock()" -- lock order device_lock -> group->mutex.
* v6.3 ``iommu_release_device``: ``ops->release_device`` before
  ``iommu_group_remove_device`` takes the device off the list under ``group->mutex``.
* v6.4, Lu Baolu, "iommu: Replace device_lock() with group->mutex" and "iommu: Same
  critical region for device release and removal" (v4, 22 Mar 2023): the store holds only
  ``group->mutex`` and refuses with ``owner_cnt``; release unlinks and releases the device
  in one ``group->mutex`` region. v6.12 keeps that (``__iommu_group_remove_device``).
* The rejected design, Lu Baolu "[PATCH 1/4] iommu: Add dev_iommu->ops_rwsem" and "[PATCH
  3/4] iommu: Remove unnecessary device_lock()" (13 Feb 2023):
  ``iommu_group_freeze_dev_ops`` takes ``group->mutex`` then ``down_read(ops_rwsem)`` of
  every member in a loop; ``iommu_release_device`` takes ``down_write`` around
  ``release_device``, which (the v6.3 comment's release path [1]) calls back into the core
  and takes ``group->mutex``. Jason Gunthorpe's reply: "This isn't allowed, you can't obtain locks
  in a loop like this, it will deadlock."
* ``really_probe`` (``device_lock`` held by ``device_driver_attach``) -> ``dma_configure``
  -> ``iommu_device_use_default_domain`` (``group->mutex``); ``__device_release_driver``
  -> ``dma_cleanup`` -> ``iommu_device_unuse_default_domain``, the same nesting.
* ``remove_store`` -> ``pci_stop_and_remove_bus_device_locked``: ``pci_rescan_remove_lock``,
  the driver released under ``device_lock``, ``device_del`` (``kill_device`` under
  ``device_lock``), ``BUS_NOTIFY_REMOVED_DEVICE`` -> ``iommu_release_device``.
* ``VFIO_GROUP_SET_CONTAINER``: ``vfio_group->group_lock``, ``down_write(container->
  group_lock)``, ``iommu_group_claim_dma_owner`` (``group->mutex``).
* ``iommu_domain_alloc(bus)``: v6.3/6.4 ``bus->iommu_ops``, no device; v6.8-6.12 (Robin
  Murphy, "iommu: Decouple iommu_domain_alloc() from bus ops") ``bus_for_each_dev`` with
  ``dev_has_iommu(dev)`` then ``dev_iommu_ops(dev)`` and no lock against release.

Lock targets (which devices a loop visits) are taken from the machine when the race
starts; acts re-read the state when they run.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from iommush.kernel.domain import IOMMU_DOMAIN_DMA, IOMMU_DOMAIN_DMA_FQ, IOMMU_DOMAIN_IDENTITY

from . import acts
from .model import KernelPath, LockRef, PathBuilder
from .parse import LabSyntaxError, PathRequest

if TYPE_CHECKING:
    from iommush.kernel import Kernel

__all__ = ["MODES", "WHAT_IF", "base_version", "build_path", "device_lock", "group_mutex"]

#: What-if modes: the kernel version whose code they start from, and what they change.
WHAT_IF: dict[str, tuple[str, str]] = {
    "lift-singleton": (
        "6.3",
        "6.3 locking with the singleton restriction lifted: the type store holds "
        "group->mutex and takes device_lock of every member",
    ),
    "ops-rwsem": (
        "6.3",
        "the rejected per-device rwsem design: group->mutex, then down_read(ops_rwsem) of "
        "each member in a loop; release takes down_write",
    ),
    "locked-sweep": (
        "6.12",
        "iommu_domain_alloc(bus) taking device_lock, a group reference and group->mutex for "
        "each device it looks at",
    ),
}
MODES = ("6.3", "6.4", "6.12", *WHAT_IF)

_REQ = {
    "identity": IOMMU_DOMAIN_IDENTITY,
    "DMA": IOMMU_DOMAIN_DMA,
    "DMA-FQ": IOMMU_DOMAIN_DMA_FQ,
    "auto": 0,
}

RESCAN = LockRef(
    "pci_rescan_remove_lock",
    "pci_rescan_remove_lock",
    "pci_rescan_remove_lock",
    label="pci_rescan_remove_lock",
)
CONTAINER = LockRef(
    "container",
    "&container->group_lock",
    "container->group_lock",
    rw=True,
    label="container->group_lock",
)


def base_version(mode: str) -> str:
    """The kernel version a mode runs on."""
    return WHAT_IF[mode][0] if mode in WHAT_IF else mode


def group_mutex(gid: int) -> LockRef:
    return LockRef(f"G{gid}", "&group->mutex", "group->mutex", label=f"group {gid}->mutex")


def device_lock(bdf: str) -> LockRef:
    return LockRef(f"D{bdf}", "&dev->mutex", "device_lock", label=bdf)


def ops_rwsem(bdf: str) -> LockRef:
    return LockRef(
        f"R{bdf}", "&dev->iommu->ops_rwsem", "ops_rwsem", rw=True, label=f"{bdf} ops_rwsem"
    )


def vfio_group_lock(gid: int) -> LockRef:
    return LockRef(
        f"V{gid}",
        "&group->group_lock",
        "vfio_group->group_lock",
        label=f"vfio group {gid}->group_lock",
    )


# -- iommu_group_store_type ---------------------------------------------------------------
def _store_type(req: PathRequest, plan: Kernel, mode: str) -> PathBuilder:
    assert req.group is not None
    group = plan.iommu.groups.get(req.group)
    if group is None or not group.devices:
        raise LabSyntaxError(f"{req.text!r}: no IOMMU group {req.group} on this machine")
    gid, rtype = req.group, _REQ[req.value]
    members = [gd.dev.name for gd in group.devices]
    G = group_mutex(gid)
    b = PathBuilder()
    if mode == "6.3":
        b.lock(G, "iommu_group_store_type")
        b.act(
            "iommu_group_device_count",
            acts.act_group_count(gid, "fail", singleton=True),
            mutates=False,
        )
        b.unlock(G)
        D = device_lock(members[0])
        b.lock(D, "iommu_group_store_type")
        b.act(
            "device_is_bound", acts.act_bound_check(gid, members[:1], rtype, "out"), mutates=False
        )
        b.lock(G, "iommu_change_dev_def_domain")
        b.act("iommu_change_dev_def_domain", acts.act_change_def_domain(gid, members[0], rtype))
        b.unlock(G)
        b.label("out")
        b.unlock(D)
        b.ret()
        b.label("fail")
        b.unlock(G)
    elif mode == "lift-singleton":
        b.lock(G, "iommu_group_store_type")
        b.act(
            "iommu_group_device_count",
            acts.act_group_count(gid, "fail", singleton=False),
            mutates=False,
        )
        for m in members:
            b.lock(device_lock(m), "iommu_group_store_type")
        b.act("device_is_bound", acts.act_bound_check(gid, members, rtype, "out"), mutates=False)
        b.act(
            "iommu_change_dev_def_domain",
            acts.act_change_def_domain(gid, members[0], rtype, multi=True),
        )
        b.label("out")
        for m in reversed(members):
            b.unlock(device_lock(m))
        b.label("fail")
        b.unlock(G)
    elif mode == "ops-rwsem":
        b.lock(G, "iommu_group_claim_dma_owner")
        b.act("iommu_group_claim_dma_owner", acts.act_claim_for_store(gid, "fail"), mutates=False)
        b.unlock(G)
        b.lock(G, "iommu_group_freeze_dev_ops")
        for m in members:
            b.lock(ops_rwsem(m), "iommu_group_freeze_dev_ops", "r")
        b.act(
            "iommu_group_freeze_dev_ops",
            acts.act_freeze_check(gid, members, "restore"),
            mutates=False,
        )
        b.unlock(G)
        b.lock(G, "iommu_change_dev_def_domain")
        b.act(
            "iommu_change_dev_def_domain",
            acts.act_change_def_domain(gid, members[0], rtype, multi=True),
        )
        b.unlock(G)
        b.lock(G, "iommu_group_unfreeze_dev_ops")
        for m in members:
            b.unlock(ops_rwsem(m), "r")
        b.unlock(G)
        b.label("unclaim")
        b.lock(G, "iommu_group_release_dma_owner")
        b.act("iommu_group_release_dma_owner", acts.act_unclaim(gid), mutates=False)
        b.unlock(G)
        b.ret()
        b.label("restore")
        for m in members:
            b.unlock(ops_rwsem(m), "r")
        b.unlock(G)
        b.lock(G, "iommu_group_release_dma_owner")
        b.act("iommu_group_release_dma_owner", acts.act_unclaim(gid), mutates=False)
        b.unlock(G)
        b.ret()
        b.label("fail")
        b.unlock(G)
    else:
        b.lock(G, "iommu_group_store_type")
        b.act("iommu_group_store_type", acts.act_store_type(gid, f"{req.value}\n".encode()))
        b.unlock(G)
    return b


# -- driver core --------------------------------------------------------------------------
def _device(req: PathRequest, plan: Kernel):  # type: ignore[no-untyped-def]
    assert req.device is not None
    dev = plan.pci.find(req.device)
    if dev is None:
        raise LabSyntaxError(f"{req.text!r}: no PCI device {req.device} on this machine")
    return dev


def _release_driver_steps(
    b: PathBuilder, bdf: str, gid: int | None, dma_api: bool, drv: str | None
) -> None:
    """``device_release_driver_internal``: ``device_lock``; if bound, the driver's remove
    and ``dma_cleanup`` -> ``iommu_device_unuse_default_domain`` (``group->mutex``)."""
    D = device_lock(bdf)
    b.lock(D, "device_release_driver_internal")
    b.act("device_is_bound", _bound_or(bdf, drv, "unbound"), mutates=False)
    if gid is not None and dma_api:
        G = group_mutex(gid)
        b.lock(G, "iommu_device_unuse_default_domain")
        b.act("__device_release_driver", acts.act_release_driver(bdf, drv))
        b.unlock(G)
    else:
        b.act("__device_release_driver", acts.act_release_driver(bdf, drv))
    b.label("unbound")
    b.unlock(D)


def _bound_or(bdf: str, drv: str | None, label: str) -> acts.ActFn:
    def fn(k: Kernel, notes: acts.Notes, task: int) -> tuple[str | None, acts.Notes]:
        dev = k.pci.find(bdf)
        if dev is None or dev.driver is None or (drv is not None and dev.driver.name != drv):
            if drv is not None:
                return label, acts._res(notes, task, 19)  # ENODEV
            return label, notes
        return None, notes

    return fn


def _remove(req: PathRequest, plan: Kernel, mode: str) -> PathBuilder:
    dev = _device(req, plan)
    if dev.subordinate is not None or getattr(dev, "virtfns", None):
        raise LabSyntaxError(
            f"{req.text!r}: {dev.name} has devices below it; the lab races the removal of "
            "an endpoint"
        )
    bdf = dev.name
    group = dev.iommu_group
    gid = group.id if group is not None else None
    drv = dev.driver
    dma_api = drv is None or not drv.driver_managed_dma
    b = PathBuilder()
    b.lock(RESCAN, "pci_stop_and_remove_bus_device_locked")
    _release_driver_steps(b, bdf, gid, dma_api, None)
    D = device_lock(bdf)
    b.lock(D, "device_del")
    b.act("kill_device", acts.act_kill_device(bdf))
    b.unlock(D)
    if gid is None:
        b.act("device_del", acts.act_remove_tail(bdf))
    else:
        G = group_mutex(gid)
        base = base_version(mode)
        if mode == "ops-rwsem":
            R = ops_rwsem(bdf)
            b.lock(R, "iommu_release_device", "w")
            # v6.3's comment on this path: "ops->release_device() vendor driver calls back
            # iommu core code -> mutex_lock() from iommu core code"
            b.lock(G, "ops->release_device")
            b.act("ops->release_device", acts.act_release_device_note(bdf), mutates=False)
            b.unlock(G)
            b.unlock(R, "w")
            b.lock(G, "iommu_group_remove_device")
        elif base == "6.3":
            b.act("ops->release_device", acts.act_release_device_note(bdf), mutates=False)
            b.lock(G, "iommu_group_remove_device")
        elif base == "6.4":
            b.lock(G, "iommu_release_device")
        else:
            b.lock(G, "__iommu_group_remove_device")
        b.act("iommu_release_device", acts.act_remove_tail(bdf))
        b.unlock(G)
    b.unlock(RESCAN)
    return b


def _bind(req: PathRequest, plan: Kernel, mode: str) -> PathBuilder:
    dev = _device(req, plan)
    assert req.driver is not None
    drv = plan.driver_core.drivers.get(req.driver)
    if drv is None:
        raise LabSyntaxError(f"{req.text!r}: no driver {req.driver} is registered")
    b = PathBuilder()
    group = dev.iommu_group
    if req.kind == "unbind":
        _release_driver_steps(
            b, dev.name, group.id if group else None, not drv.driver_managed_dma, drv.name
        )
        return b
    if not plan.driver_core.driver_match_device(drv, dev):
        raise LabSyntaxError(f"{req.text!r}: {drv.name} does not match {dev.name}")
    D = device_lock(dev.name)
    b.lock(D, "device_driver_attach")
    b.act("__driver_probe_device", acts.act_bind_check(dev.name, "out"), mutates=False)
    if group is not None and not drv.driver_managed_dma:
        G = group_mutex(group.id)
        b.lock(G, "iommu_device_use_default_domain")
        b.act("really_probe", acts.act_really_probe(drv.name, dev.name))
        b.unlock(G)
    else:
        b.act("really_probe", acts.act_really_probe(drv.name, dev.name))
    b.label("out")
    b.unlock(D)
    return b


# -- VFIO, group membership, domain allocation ---------------------------------------------
def _vfio_claim(req: PathRequest, plan: Kernel, mode: str) -> PathBuilder:
    assert req.group is not None
    if req.group not in plan.iommu.groups:
        raise LabSyntaxError(f"{req.text!r}: no IOMMU group {req.group} on this machine")
    V, G = vfio_group_lock(req.group), group_mutex(req.group)
    b = PathBuilder()
    b.lock(V, "vfio_group_ioctl_set_container")
    b.lock(CONTAINER, "vfio_container_attach_group", "w")
    b.lock(G, "iommu_group_claim_dma_owner")
    b.act("iommu_group_claim_dma_owner", acts.act_claim_dma_owner(req.group))
    b.unlock(G)
    b.unlock(CONTAINER, "w")
    b.unlock(V)
    return b


def _group_remove_device(req: PathRequest, plan: Kernel, mode: str) -> PathBuilder:
    dev = _device(req, plan)
    if dev.iommu_group is None:
        raise LabSyntaxError(f"{req.text!r}: {dev.name} is in no IOMMU group")
    gid = dev.iommu_group.id
    G = group_mutex(gid)
    b = PathBuilder()
    site = (
        "iommu_group_remove_device"
        if base_version(mode) == "6.3"
        else ("__iommu_group_remove_device")
    )
    b.lock(G, site)
    b.act("iommu_group_remove_device", acts.act_group_remove_device(gid, dev.name))
    b.unlock(G)
    return b


def _domain_alloc(req: PathRequest, plan: Kernel, mode: str) -> PathBuilder:
    b = PathBuilder()
    base = base_version(mode)
    if base in ("6.3", "6.4"):
        b.act("__iommu_domain_alloc(bus->iommu_ops)", acts.act_nothing, mutates=False)
        return b
    for dev in plan.pci.devices_in_order():
        if mode == "locked-sweep":
            D = device_lock(dev.name)
            b.lock(D, "__iommu_domain_alloc_dev")
            if dev.iommu_group is not None:
                gid = dev.iommu_group.id
                b.act("iommu_group_get", acts.act_nothing, mutates=False)
                b.lock(group_mutex(gid), "__iommu_domain_alloc_dev")
                b.act("dev_iommu_ops", acts.act_sweep_locked(gid, dev.name, "none"), mutates=False)
                b.unlock(group_mutex(gid))
                b.act("iommu_group_put", acts.act_nothing, mutates=False)
            b.unlock(D)
        elif dev.iommu is not None:
            b.act("dev_has_iommu", acts.act_sweep_check(dev.name), mutates=False)
            b.act("dev_iommu_ops", acts.act_sweep_use(dev.name), mutates=False)
    b.label("none")
    return b


_BUILDERS = {
    "store_type": _store_type,
    "remove": _remove,
    "bind": _bind,
    "unbind": _bind,
    "vfio_claim": _vfio_claim,
    "group_remove_device": _group_remove_device,
    "domain_alloc": _domain_alloc,
}
_COMM = {"vfio_claim": "vfio-claim", "domain_alloc": "modprobe", "group_remove_device": "modprobe"}
_SOURCE = {
    "store_type": "iommu_group_store_type",
    "remove": "remove_store -> pci_stop_and_remove_bus_device_locked",
    "bind": "bind_store -> device_driver_attach",
    "unbind": "unbind_store -> device_driver_detach",
    "vfio_claim": "VFIO_GROUP_SET_CONTAINER",
    "group_remove_device": "iommu_group_remove_device",
    "domain_alloc": "iommu_domain_alloc(&pci_bus_type)",
}


def build_path(req: PathRequest, plan: Kernel, mode: str, task: int) -> KernelPath:
    """The path ``req`` starts under ``mode``, planned on the machine ``plan``."""
    if mode not in MODES:
        raise LabSyntaxError(f"unknown mode {mode!r} (one of {', '.join(MODES)})")
    b = _BUILDERS[req.kind](req, plan, mode)
    comm = _COMM.get(req.kind, "bash")
    return b.build(req.text, comm, 4101 + task, _SOURCE[req.kind])
