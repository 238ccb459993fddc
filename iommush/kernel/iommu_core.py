"""The IOMMU core's state and its probe/release/attach paths (drivers/iommu/iommu.c),
each version's order in a small named branch.

v6.3/6.4: ``iommu_probe_device`` -> ``__iommu_probe_device`` -> ``iommu_group_add_device``
(attach to ``group->domain``, trace, "Adding to iommu group N"), then the default domain.
v6.12: ``iommu_group_alloc_device`` (links, trace, message) before any attach.
"""

from __future__ import annotations

import errno
import itertools
from collections.abc import Iterator
from typing import TYPE_CHECKING

from iommush.vfs import Dir

from .cmdline import IommuDefaults
from .device import DevIommu, KernelDevice
from .domain import (
    IOMMU_DOMAIN_BLOCKED,
    IOMMU_DOMAIN_DMA,
    IOMMU_DOMAIN_DMA_FQ,
    IOMMU_DOMAIN_UNMANAGED,
    IommuDomain,
    iommu_is_dma_domain,
)
from .errors import KernelError
from .ida import Ida
from .iommu_group import GroupDevice, IommuGroup
from .iommu_store_type import (
    iommu_get_def_domain_type,
    iommu_group_store_type,
    iommu_setup_default_domain,
    probe_alloc_default_domain,
)
from .printk import HZ, RatelimitState
from .resv import IOMMU_RESV_DIRECT, IOMMU_RESV_DIRECT_RELAXABLE, IommuResvRegion

if TYPE_CHECKING:
    from .hw.base import IommuOps
    from .kernel import Kernel

__all__ = ["IommuCore"]


class IommuCore:
    """Global IOMMU state: defaults, the group IDA, the groups, the registered drivers."""

    def __init__(self, kernel: Kernel, defaults: IommuDefaults, groups_kset: Dir) -> None:
        self.kernel = kernel
        self.model = kernel.version.model
        self.defaults = defaults
        self.ida = Ida()
        self.groups: dict[int, IommuGroup] = {}
        self.groups_kset = groups_kset
        self.ops: list[IommuOps] = []
        self._ratelimit: dict[str, RatelimitState] = {}
        self._domain_ids = itertools.count(1)
        #: While ``bus_iommu_probe`` runs: each device's reserved regions, asked once.
        self._resv_memo: dict[KernelDevice, list[IommuResvRegion]] | None = None

    # -- logging -------------------------------------------------------------------
    def ratelimited(self, site: str, func: str, text: str, level: int = 3) -> None:
        """``pr_err_ratelimited``/``dev_err_ratelimited``: one state per call site."""
        ring = self.kernel.printk
        st = self._ratelimit.setdefault(site, RatelimitState())
        if st.ratelimit(self.kernel.clock.jiffies(HZ), func, ring):
            ring.printk(text, level)

    def iommu_get_resv_regions(self, dev: KernelDevice) -> list[IommuResvRegion]:
        """``iommu_get_resv_regions()``: the driver's ``get_resv_regions`` for a probed
        device. While ``bus_iommu_probe`` runs nothing they depend on changes, so each
        device's list is made once and shared (callers only read it)."""
        assert dev.iommu is not None
        memo = self._resv_memo
        if memo is None:
            return dev.iommu.ops.get_resv_regions(dev)
        regions = memo.get(dev)
        if regions is None:
            regions = memo[dev] = dev.iommu.ops.get_resv_regions(dev)
        return regions

    def managed_devices(self) -> Iterator[KernelDevice]:
        for g in list(self.groups.values()):
            for gd in g.devices:
                yield gd.dev

    # -- groups --------------------------------------------------------------------
    def iommu_group_alloc(self, gid: int | None = None) -> IommuGroup:
        """``iommu_group_alloc()``: lowest free id, the sysfs directory."""
        gid = self.ida.alloc() if gid is None else self.ida.alloc_specific(gid)
        group = IommuGroup(self, gid)
        group.sysfs_add(self.groups_kset, lambda buf: iommu_group_store_type(group, buf))
        self.groups[gid] = group
        return group

    def iommu_group_get(self, group: IommuGroup) -> IommuGroup:
        group.refcount += 1
        return group

    def iommu_group_put(self, group: IommuGroup) -> None:
        """Drop a reference; the last one releases the group (``iommu_group_release``)."""
        group.refcount -= 1
        if group.refcount > 0:
            return
        group.sysfs_remove()
        self.ida.free(group.id)
        self.groups.pop(group.id, None)
        group.default_domain = group.blocking_domain = group.domain = None

    # -- domains -------------------------------------------------------------------
    def next_domain_id(self) -> int:
        """The number of the next domain this kernel allocates: 1, 2, ... per boot, so
        the debugfs names of a machine never depend on other machines of the process."""
        return next(self._domain_ids)

    def group_ops(self, group: IommuGroup) -> IommuOps:
        dev = group.first_device()
        assert dev is not None and dev.iommu is not None
        return dev.iommu.ops

    def _iommu_domain_alloc(self, ops: IommuOps, dtype: int, purpose: str) -> IommuDomain | None:
        """``_iommu_domain_alloc()``: DMA-FQ is allocated as DMA then retyped; a DMA-API
        domain gets its cookie and (DMA-FQ) flush queue."""
        alloc_type = IOMMU_DOMAIN_DMA if dtype == IOMMU_DOMAIN_DMA_FQ else dtype
        if dtype == IOMMU_DOMAIN_DMA_FQ and IOMMU_DOMAIN_DMA_FQ not in ops.domain_types:
            return None
        dom = ops.domain_alloc(alloc_type, purpose)
        if dom is None:
            return None
        dom.type = dtype
        dom.fq = dtype == IOMMU_DOMAIN_DMA_FQ
        return dom

    def iommu_group_alloc_default_domain(self, group: IommuGroup, dtype: int) -> IommuDomain:
        """v6.3/6.4 ``iommu_group_alloc_default_domain``: fall back to DMA with the
        warning; ENOMEM if nothing could be allocated. Sets ``default_domain`` (and
        ``domain`` if unset)."""
        ops = self.group_ops(group)
        dom = self._iommu_domain_alloc(ops, dtype, "default")
        if dom is None and dtype != IOMMU_DOMAIN_DMA:
            dom = self._iommu_domain_alloc(ops, IOMMU_DOMAIN_DMA, "default")
            if dom is not None:
                self.kernel.printk.printk(
                    f"iommu: Failed to allocate default IOMMU domain of type {dtype} for group "
                    f"{group.name or '(null)'} - Falling back to IOMMU_DOMAIN_DMA",
                    4,
                )
        if dom is None:
            raise KernelError(errno.ENOMEM)
        group.default_domain = dom
        if group.domain is None:
            group.domain = dom
        return dom

    def alloc_blocking_domain(self, group: IommuGroup) -> IommuDomain:
        """``__iommu_group_alloc_blocking_domain``: BLOCKED, else an empty UNMANAGED."""
        if group.blocking_domain is not None:
            return group.blocking_domain
        ops = self.group_ops(group)
        dom = self._iommu_domain_alloc(ops, IOMMU_DOMAIN_BLOCKED, "blocking")
        if dom is None:
            dom = self._iommu_domain_alloc(ops, IOMMU_DOMAIN_UNMANAGED, "blocking")
        if dom is None:
            raise KernelError(errno.EINVAL)
        group.blocking_domain = dom
        return dom

    # -- attach --------------------------------------------------------------------
    def _iommu_attach_device(self, domain: IommuDomain, dev: KernelDevice) -> None:
        """``__iommu_attach_device()``: the driver's ``attach_dev`` then the tracepoint.

        6.5+: a device with a firmware 1:1 region refuses a blocking domain."""
        assert dev.iommu is not None
        if (
            self.model == "6.12"
            and dev.iommu.require_direct
            and domain.type in (IOMMU_DOMAIN_BLOCKED, IOMMU_DOMAIN_UNMANAGED)
            and domain.purpose == "blocking"
        ):
            dev.dev_warn(
                "Firmware has requested this device have a 1:1 IOMMU mapping, "
                "rejecting configuring the device without a 1:1 mapping. "
                "Contact your platform vendor."
            )
            raise KernelError(errno.EINVAL)
        dev.iommu.ops.attach_dev(domain, dev)
        self.kernel.trace.attach_device_to_domain(dev.name)

    def _iommu_group_set_domain(self, group: IommuGroup, new: IommuDomain | None) -> None:
        """Attach every member to ``new``.

        6.3/6.4 (``__iommu_group_set_domain`` + ``__iommu_group_for_each_dev``): a failure
        part-way leaves earlier members attached to ``new`` while ``group->domain`` keeps
        the old pointer -- the kernel's own half-done state, modelled as is.
        6.12 (``__iommu_group_set_domain_internal``): members already switched are
        re-attached to the old domain, so a failure changes nothing."""
        if group.domain is new:
            return
        if new is None:
            for gd in group.devices:
                gd.dev.attached_domain = None
            group.domain = None
            return
        done: list[KernelDevice] = []
        for gd in group.devices:
            try:
                self._iommu_attach_device(new, gd.dev)
            except KernelError:
                if self.model == "6.12" and group.domain is not None:
                    for d in done:
                        self._iommu_attach_device(group.domain, d)
                raise
            done.append(gd.dev)
        group.domain = new

    def iommu_create_device_direct_mappings(
        self, domain: IommuDomain | None, dev: KernelDevice
    ) -> None:
        """1:1 map every ``direct``/``direct-relaxable`` region (DMA-API domains only)."""
        if domain is None or not iommu_is_dma_domain(domain.type) or dev.iommu is None:
            return
        for r in self.iommu_get_resv_regions(dev):
            if r.type != IOMMU_RESV_DIRECT and r.type != IOMMU_RESV_DIRECT_RELAXABLE:
                continue
            if any(s <= r.start < s + ln for s, (_, ln, _) in domain.mappings.items()):
                continue
            domain.iommu_map(r.start, r.start, r.length, r.prot)

    # -- probe ---------------------------------------------------------------------
    def ops_for(self, dev: KernelDevice) -> IommuOps | None:
        for ops in self.ops:
            if ops.unit_for(dev) is not None:
                return ops
        return None

    def _init_device(self, dev: KernelDevice, ops: IommuOps) -> IommuGroup:
        """``ops->probe_device`` + ``ops->device_group`` (+ 6.5+: ``iommu_device_link``)."""
        unit = ops.probe_device(dev)
        dev.iommu = DevIommu(ops, unit)
        dev.iommu.require_direct = IOMMU_RESV_DIRECT in [
            r.type for r in self.iommu_get_resv_regions(dev)
        ]
        if self.model == "6.12":
            unit.iommu_device_link(dev)
        try:
            return ops.device_group(dev)
        except KernelError:
            if self.model == "6.12":
                unit.iommu_device_unlink(dev)
            dev.iommu = None
            raise

    def _add_to_group(self, group: IommuGroup, dev: KernelDevice) -> GroupDevice:
        """Links, list, ref, trace and the "Adding to iommu group" line."""
        name = group.add_links(dev)
        gdev = GroupDevice(dev, name)
        group.devices.append(gdev)
        group.refcount += 1
        dev.iommu_group = group
        return gdev

    def _announce(self, group: IommuGroup, dev: KernelDevice) -> None:
        self.kernel.trace.add_device_to_group(group.id, dev.name)
        dev.dev_info(f"Adding to iommu group {group.id}")

    def iommu_probe_device(self, dev: KernelDevice, *, boot: bool = False) -> None:
        """``iommu_probe_device()`` (hot-plug) or the first half of ``bus_iommu_probe``
        (``boot=True``: no default domain yet; the caller sets them up per group)."""
        if dev.iommu_group is not None:
            return
        ops = self.ops_for(dev)
        if ops is None:
            raise KernelError(errno.ENODEV)
        group = self._init_device(dev, ops)
        assert dev.iommu is not None
        with group.mutex.held("iommu_group_add_device"):
            self._add_to_group(group, dev)
            if self.model != "6.12" and group.domain is not None and not boot:
                self._iommu_attach_device(group.domain, dev)
            if self.model != "6.12":
                self._announce(group, dev)
        if self.model != "6.12":
            dev.iommu.iommu_dev.iommu_device_link(dev)
        else:
            self._announce(group, dev)
        if boot:
            return
        with group.mutex.held("iommu_probe_device"):
            if self.model == "6.12":
                self._probe_finish_6_12(group, dev)
            else:
                self._probe_finish_6_3(group, dev)
        self.kernel.dma.sync_domains()  # iommu_setup_dma_ops

    def _probe_finish_6_3(self, group: IommuGroup, dev: KernelDevice) -> None:
        """v6.3/6.4 ``iommu_probe_device`` tail: allocate the default domain if the group
        has none, attach unless the group is owned, direct mappings."""
        ops = self.group_ops(group)
        if group.default_domain is None and not ops.no_default_domain:
            dtype = iommu_get_def_domain_type(dev) or self.defaults.def_domain_type
            try:
                self.iommu_group_alloc_default_domain(group, dtype)
            except KernelError:
                pass
        if group.default_domain is not None and group.owner is None:
            self._iommu_attach_device(group.default_domain, dev)
        self.iommu_create_device_direct_mappings(group.default_domain, dev)

    def _probe_finish_6_12(self, group: IommuGroup, dev: KernelDevice) -> None:
        """v6.12 ``__iommu_probe_device`` tail: attach to whatever ``group->domain`` is,
        or set up the default domain for a hot-plugged group."""
        if group.default_domain is not None:
            self.iommu_create_device_direct_mappings(group.default_domain, dev)
        if group.domain is not None:
            try:
                self._iommu_attach_device(group.domain, dev)
            except KernelError:
                self._remove_from_group(group, dev, announce=False)
                raise
        elif group.default_domain is None:
            iommu_setup_default_domain(group, 0)

    def bus_iommu_probe(self, devices: list[KernelDevice]) -> None:
        """``bus_iommu_probe()``: group every device, then per group choose the default
        domain, create direct mappings and attach all members."""
        self._resv_memo = {}
        try:
            self._bus_iommu_probe(devices)
        finally:
            self._resv_memo = None

    def _bus_iommu_probe(self, devices: list[KernelDevice]) -> None:
        new_groups: list[IommuGroup] = []
        listed: set[int] = set()  # ids of the groups in new_groups
        for dev in devices:
            ops = self.ops_for(dev)
            if dev.iommu_group is not None or ops is None or ops.probe_at_dma_configure:
                continue
            try:
                self.iommu_probe_device(dev, boot=True)
            except KernelError:
                continue
            g = dev.iommu_group
            if g is not None and g.default_domain is None and id(g) not in listed:
                listed.add(id(g))
                new_groups.append(g)
        for group in new_groups:
            with group.mutex.held("bus_iommu_probe"):
                if self.model == "6.12":
                    iommu_setup_default_domain(group, 0)
                    continue
                if self.group_ops(group).no_default_domain:
                    continue
                probe_alloc_default_domain(group)
                for gd in group.devices:
                    self.iommu_create_device_direct_mappings(group.default_domain, gd.dev)
                assert group.default_domain is not None
                for gd in group.devices:
                    self._iommu_attach_device(group.default_domain, gd.dev)
        self.kernel.dma.sync_domains()  # iommu_setup_dma_ops for each probed device

    # -- release -------------------------------------------------------------------
    def _remove_from_group(self, group: IommuGroup, dev: KernelDevice, *, announce: bool) -> None:
        gdev = group.find(dev)
        if gdev is None:
            return
        if announce:
            dev.dev_info(f"Removing from iommu group {group.id}")
        group.devices.remove(gdev)
        group.remove_links(gdev)
        self.kernel.trace.remove_device_from_group(group.id, dev.name)
        dev.iommu_group = None
        dev.attached_domain = None

    def iommu_release_device(self, dev: KernelDevice) -> None:
        """``iommu_release_device()`` (``BUS_NOTIFY_REMOVED_DEVICE``), per version."""
        group = dev.iommu_group
        if dev.iommu is None or group is None:
            return
        unit = dev.iommu.iommu_dev
        ops = dev.iommu.ops
        if self.model == "6.3":
            # release_device runs outside group->mutex, before the device leaves the list
            unit.iommu_device_unlink(dev)
            ops.release_device(dev)
            with group.mutex.held("iommu_group_remove_device"):
                self._remove_from_group(group, dev, announce=True)
        elif self.model == "6.4":
            unit.iommu_device_unlink(dev)
            with group.mutex.held("iommu_release_device"):
                gdev = group.find(dev)
                if gdev is not None:
                    group.devices.remove(gdev)
                ops.release_device(dev)
            if gdev is not None:
                group.devices.append(gdev)  # __iommu_group_release_device below unlinks it
                self._remove_from_group(group, dev, announce=False)
        else:
            with group.mutex.held("__iommu_group_remove_device"):
                self._remove_from_group(group, dev, announce=False)
                unit.iommu_device_unlink(dev)
                ops.release_device(dev)
                if not group.devices:
                    group.default_domain = group.blocking_domain = group.domain = None
        dev.iommu = None
        self.iommu_group_put(group)
        self.kernel.dma.sync_domains()  # iommu_domain_free -> iommu_put_dma_cookie
