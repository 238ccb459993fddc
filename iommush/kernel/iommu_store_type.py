"""Writing ``/sys/kernel/iommu_groups/<id>/type`` and choosing default domains
(drivers/iommu/iommu.c): ``iommu_group_store_type`` with one small branch per version,
``iommu_change_dev_def_domain`` (6.3, 6.4), ``iommu_setup_default_domain`` (6.5+)."""

from __future__ import annotations

import errno
from typing import TYPE_CHECKING

from iommush.vfs import CAP_SYS_ADMIN, CAP_SYS_RAWIO, capable

from .domain import (
    IOMMU_DOMAIN_DMA,
    IOMMU_DOMAIN_DMA_FQ,
    IOMMU_DOMAIN_IDENTITY,
    IommuDomain,
    iommu_domain_type_str,
)
from .errors import KernelError
from .pci import PciDev

if TYPE_CHECKING:
    from .device import KernelDevice
    from .iommu_group import IommuGroup

__all__ = [
    "iommu_change_dev_def_domain",
    "iommu_get_def_domain_type",
    "iommu_get_default_domain_type",
    "iommu_group_store_type",
    "iommu_setup_default_domain",
    "probe_alloc_default_domain",
    "sysfs_streq",
]

_REQ = {
    b"identity": IOMMU_DOMAIN_IDENTITY,
    b"DMA": IOMMU_DOMAIN_DMA,
    b"DMA-FQ": IOMMU_DOMAIN_DMA_FQ,
    b"auto": 0,
}


def sysfs_streq(buf: bytes, word: bytes) -> bool:
    """``sysfs_streq()``: C strings equal but for one trailing newline on either side."""
    s = buf.split(b"\0", 1)[0]
    if s.endswith(b"\n"):
        s = s[:-1]
    return s == word


def _parse(buf: bytes) -> int:
    for word, dtype in _REQ.items():
        if sysfs_streq(buf, word):
            return dtype
    raise KernelError(errno.EINVAL)


def iommu_get_def_domain_type(dev: KernelDevice) -> int:
    """v6.3/6.4: untrusted PCI device -> DMA, else the driver's ``def_domain_type``."""
    if isinstance(dev, PciDev) and dev.untrusted:
        return IOMMU_DOMAIN_DMA
    return dev.iommu.ops.def_domain_type(dev) if dev.iommu is not None else 0


def _probe_get_default_domain_type(group: IommuGroup) -> int:
    """``probe_get_default_domain_type`` over every member (v6.3 boot, v6.4 store)."""
    gtype, gdev = 0, None
    for gd in group.devices:
        dtype = iommu_get_def_domain_type(gd.dev)
        if not dtype:
            continue
        if gtype and gtype != dtype:
            assert gdev is not None
            gd.dev.dev_warn(
                f"Device needs domain type {iommu_domain_type_str(dtype)}, but device "
                f"{gdev.name} in the same iommu group requires type "
                f"{iommu_domain_type_str(gtype)} - using default"
            )
            gtype = 0
        if gdev is None:
            gdev, gtype = gd.dev, dtype
    return gtype


def probe_alloc_default_domain(group: IommuGroup) -> None:
    """v6.3 ``probe_alloc_default_domain``: the members' requirement or the global type."""
    core = group.core
    dtype = _probe_get_default_domain_type(group) or core.defaults.def_domain_type
    core.iommu_group_alloc_default_domain(group, dtype)


# -- v6.5+ -------------------------------------------------------------------------------
def iommu_get_default_domain_type(group: IommuGroup, target: int) -> int:
    """v6.5+ ``iommu_get_default_domain_type``: -1 when the request cannot be met."""
    driver_type, last, untrusted = 0, None, None
    for gd in group.devices:
        dev = gd.dev
        assert dev.iommu is not None
        ops = dev.iommu.ops
        new = ops.static_default_type if ops.static_default_type else ops.def_domain_type(dev)
        if new:
            if driver_type and driver_type != new:
                group.core.ratelimited(
                    "iommu_get_default_domain_type",
                    "iommu_get_default_domain_type",
                    f"{dev.dev_prefix()}: IOMMU driver error, requesting conflicting "
                    f"def_domain_type, {iommu_domain_type_str(driver_type)} and "
                    f"{iommu_domain_type_str(new)}, for devices in group {group.id}.",
                )
                new = IOMMU_DOMAIN_IDENTITY
            driver_type, last = new, dev
        if isinstance(dev, PciDev) and dev.untrusted:
            untrusted = dev
    _ = last
    if untrusted is not None:
        if driver_type and driver_type != IOMMU_DOMAIN_DMA:
            group.core.ratelimited(
                "untrusted",
                "iommu_get_default_domain_type",
                f"{untrusted.dev_prefix()}: Device is not trusted, but driver is overriding "
                f"group {group.id} to {iommu_domain_type_str(driver_type)}, refusing to probe.",
            )
            return -1
        driver_type = IOMMU_DOMAIN_DMA
    if target:
        if driver_type and target != driver_type:
            return -1
        return target
    return driver_type


def _alloc_default_6_12(group: IommuGroup, req: int) -> IommuDomain:
    """``iommu_group_alloc_default_domain`` (v6.5+): exactly ``req``, or the global type
    with the DMA fallback; the existing default domain when it already has that type."""
    core = group.core
    ops = core.group_ops(group)
    if ops.static_default_type:
        if req and req != ops.static_default_type:
            raise KernelError(errno.EINVAL)
        if group.default_domain is not None:
            return group.default_domain
        return IommuDomain(ops.static_default_type, ops, "default", id=core.next_domain_id())

    def one(t: int) -> IommuDomain | None:
        if group.default_domain is not None and group.default_domain.type == t:
            return group.default_domain
        return core._iommu_domain_alloc(ops, t, "default")

    if req:
        dom = one(req)
        if dom is None:
            raise KernelError(errno.EINVAL)
        return dom
    gtype = core.defaults.def_domain_type
    dom = one(gtype)
    if dom is None and gtype != IOMMU_DOMAIN_DMA:
        dom = one(IOMMU_DOMAIN_DMA)
        if dom is not None:
            core.kernel.printk.printk(
                f"iommu: Failed to allocate default IOMMU domain of type {gtype} for group "
                f"{group.name or '(null)'} - Falling back to IOMMU_DOMAIN_DMA",
                4,
            )
    if dom is None:
        raise KernelError(errno.ENOMEM)
    return dom


def iommu_setup_default_domain(group: IommuGroup, target: int) -> None:
    """v6.5+ ``iommu_setup_default_domain``: allocate, direct-map, switch every member;
    on failure everything is put back (``__iommu_group_set_domain_internal``)."""
    core = group.core
    req = iommu_get_default_domain_type(group, target)
    if req < 0:
        raise KernelError(errno.EINVAL)
    dom = _alloc_default_6_12(group, req)
    old = group.default_domain
    if dom is old:
        return
    if dom.type & 0x20:  # IOMMU_DOMAIN_PLATFORM: nothing is attached
        group.default_domain = dom
        return
    for gd in group.devices:
        core.iommu_create_device_direct_mappings(dom, gd.dev)
    group.default_domain = dom
    if group.domain is None:
        for gd in group.devices:
            core._iommu_attach_device(dom, gd.dev)
        group.domain = dom
        return
    try:
        core._iommu_group_set_domain(group, dom)
    except KernelError:
        group.default_domain = old
        raise


def iommu_change_dev_def_domain(group: IommuGroup, dev: KernelDevice, dtype: int) -> None:
    """``iommu_change_dev_def_domain``: v6.3 (singleton, own locking) or v6.4 (caller
    holds ``group->mutex``, every member counts)."""
    if group.core.model == "6.3":
        with group.mutex.held("iommu_change_dev_def_domain"):
            _change_6_3(group, dev, dtype)
    else:
        _change_6_4(group, dev, dtype)


def _change_6_3(group: IommuGroup, dev: KernelDevice, dtype: int) -> None:
    core = group.core
    if group.default_domain is not group.domain:
        core.ratelimited(
            "change:notdefault",
            "iommu_change_dev_def_domain",
            f"{dev.dev_prefix()}: Group not assigned to default domain",
        )
        raise KernelError(errno.EBUSY)
    if len(group.devices) != 1:
        core.ratelimited(
            "change:count",
            "iommu_change_dev_def_domain",
            f"{dev.dev_prefix()}: Cannot change default domain: Group has more than one device",
        )
        raise KernelError(errno.EINVAL)
    if group.devices[0].dev is not dev:
        raise KernelError(errno.EBUSY)
    prev = group.default_domain
    if prev is None:
        raise KernelError(errno.EINVAL)
    dev_def = iommu_get_def_domain_type(dev)
    if not dtype:
        dtype = dev_def or core.defaults.def_domain_type
    elif dev_def and dtype != dev_def:
        core.ratelimited(
            "change:cannot",
            "iommu_change_dev_def_domain",
            f"{dev.dev_prefix()}: Device cannot be in {iommu_domain_type_str(dtype)} domain",
        )
        raise KernelError(errno.EINVAL)
    if prev.type == dtype:
        return
    if dtype == IOMMU_DOMAIN_DMA_FQ and prev.type == IOMMU_DOMAIN_DMA:
        prev.type, prev.fq = IOMMU_DOMAIN_DMA_FQ, True  # iommu_dma_init_fq, in place
        return
    new = core.iommu_group_alloc_default_domain(group, dtype)
    try:
        core.iommu_create_device_direct_mappings(new, dev)
        core._iommu_attach_device(new, dev)
    except KernelError:
        group.default_domain = group.domain = prev
        raise
    group.domain = new


def _change_6_4(group: IommuGroup, dev: KernelDevice, dtype: int) -> None:
    core = group.core
    prev = group.default_domain
    assert prev is not None
    gtype = _probe_get_default_domain_type(group)
    if not dtype:
        dtype = gtype or core.defaults.def_domain_type
    elif gtype and dtype != gtype:
        core.ratelimited(
            "change:cannot",
            "iommu_change_dev_def_domain",
            f"{dev.dev_prefix()}: Device cannot be in {iommu_domain_type_str(dtype)} domain",
        )
        raise KernelError(errno.EINVAL)
    if prev.type == dtype:
        return
    group.default_domain = group.domain = None
    try:
        new = core.iommu_group_alloc_default_domain(group, dtype)
    except KernelError:
        group.default_domain = group.domain = prev
        raise
    try:
        for gd in group.devices:
            core.iommu_create_device_direct_mappings(new, gd.dev)
        # __iommu_attach_group: members attached before a failing one stay on the new
        # (then freed) domain while the pointers are restored -- 6.4's half-done state,
        # which the 6.5 rework (__iommu_group_set_domain_internal) fixed.
        for gd in group.devices:
            core._iommu_attach_device(new, gd.dev)
    except KernelError:
        group.default_domain = group.domain = prev
        raise
    group.domain = new


def iommu_group_store_type(group: IommuGroup, buf: bytes) -> int:
    """``iommu_group_store_type()``: the sysfs ``type`` store, per version."""
    count = len(buf)
    if not capable(CAP_SYS_ADMIN) or not capable(CAP_SYS_RAWIO):
        raise KernelError(errno.EACCES)
    if group.default_domain is None:
        raise KernelError(errno.EINVAL)
    req = _parse(buf)
    model = group.core.model
    if model == "6.3":
        _store_type_6_3(group, req)
    elif model == "6.4":
        _store_type_6_4(group, req)
    else:
        _store_type_6_12(group, req)
    group.core.kernel.dma.sync_domains()  # new default domain's cookie, the old one's put
    return count


def _store_type_6_3(group: IommuGroup, req: int) -> None:
    """v5.15-6.3: singleton groups only; ``device_lock`` taken after ``group->mutex`` is
    dropped (lock order device_lock -> group->mutex); a bound driver -> EBUSY except the
    in-place DMA -> DMA-FQ upgrade."""
    core = group.core
    with group.mutex.held("iommu_group_store_type"):
        if len(group.devices) != 1:
            bad = True
        else:
            bad = False
            dev = group.devices[0].dev
    if bad:
        core.ratelimited(
            "store:count",
            "iommu_group_store_type",
            "iommu: Cannot change default domain: Group has more than one device",
        )
        raise KernelError(errno.EINVAL)
    with dev.mutex.held("iommu_group_store_type"):
        assert group.default_domain is not None
        if dev.driver is not None and not (
            req == IOMMU_DOMAIN_DMA_FQ and group.default_domain.type == IOMMU_DOMAIN_DMA
        ):
            core.ratelimited(
                "store:bound", "iommu_group_store_type", "iommu: Device is still bound to driver"
            )
            raise KernelError(errno.EBUSY)
        iommu_change_dev_def_domain(group, dev, req)


def _store_type_6_4(group: IommuGroup, req: int) -> None:
    """v6.4: ``group->mutex`` only; ``owner_cnt`` -> EPERM; any number of devices."""
    with group.mutex.held("iommu_group_store_type"):
        dd = group.default_domain
        assert dd is not None
        if req == IOMMU_DOMAIN_DMA_FQ and dd.type == IOMMU_DOMAIN_DMA:
            dd.type, dd.fq = IOMMU_DOMAIN_DMA_FQ, True
            return
        if not group.devices or group.owner_cnt:
            raise KernelError(errno.EPERM)
        iommu_change_dev_def_domain(group, group.devices[0].dev, req)


def _store_type_6_12(group: IommuGroup, req: int) -> None:
    """v6.5+: as 6.4, then ``iommu_setup_default_domain``; conflicts fail silently."""
    with group.mutex.held("iommu_group_store_type"):
        dd = group.default_domain
        assert dd is not None
        if req == IOMMU_DOMAIN_DMA_FQ and dd.type == IOMMU_DOMAIN_DMA:
            dd.type, dd.fq = IOMMU_DOMAIN_DMA_FQ, True
            return
        if not group.devices or group.owner_cnt:
            raise KernelError(errno.EPERM)
        iommu_setup_default_domain(group, req)
