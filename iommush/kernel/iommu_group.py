"""``struct iommu_group`` and its sysfs directory (drivers/iommu/iommu.c).

A group is allocated by ``iommu_group_alloc`` (IDA id, ``/sys/kernel/iommu_groups/<id>``
with ``devices/``, ``reserved_regions`` and ``type``), gains devices in
``iommu_group_add_device``/``iommu_group_alloc_device`` (the device's ``iommu_group`` link
and the group's ``devices/<name>`` link) and goes away when its last reference is
dropped (``iommu_group_release``: the directory disappears and the id returns to the IDA).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from iommush.vfs import Attribute, Dir, Link
from iommush.vfs.node import LazyDir, Node

from .domain import IommuDomain, domain_type_name
from .lockdep import KernelLock
from .resv import IommuResvRegion, format_resv_regions, iommu_insert_resv_region

if TYPE_CHECKING:
    from .device import KernelDevice
    from .iommu_core import IommuCore

__all__ = ["GroupDevice", "IommuGroup"]

#: The entries ``iommu_group_alloc`` makes in a group's directory.
_GROUP_FILES = frozenset({"devices", "reserved_regions", "type"})


class GroupDevice:
    """``struct group_device``: a member and the name of its ``devices/`` link."""

    __slots__ = ("dev", "name")

    def __init__(self, dev: KernelDevice, name: str) -> None:
        self.dev = dev
        self.name = name

    def __repr__(self) -> str:
        return f"GroupDevice(dev={self.dev!r}, name={self.name!r})"


class IommuGroup:
    """``struct iommu_group``: members, domains, DMA ownership, ``group->mutex``."""

    def __init__(self, core: IommuCore, gid: int) -> None:
        self.core = core
        self.id = gid
        self.devices: list[GroupDevice] = []
        self.default_domain: IommuDomain | None = None
        self.domain: IommuDomain | None = None
        self.blocking_domain: IommuDomain | None = None
        #: DMA owner (VFIO group, iommufd context) or None for kernel-driver use.
        self.owner: object | None = None
        self.owner_cnt = 0
        self.name: str | None = None
        #: ``kobject`` references: members plus external holders (``iommu_group_get``).
        self.refcount = 0
        self.mutex = KernelLock(core.kernel.lockdep, "&group->mutex", "group->mutex")
        self.kobj: Dir | None = None
        #: ``devices/``, made with the rest of the directory (see :meth:`sysfs_add`).
        self.devices_kobj: Dir | None = None
        #: Until then, the links it will hold: name -> member.
        self._links: dict[str, KernelDevice] = {}

    # -- sysfs ---------------------------------------------------------------------
    def sysfs_add(self, groups_kset: Dir, store_type: Callable[[bytes], int]) -> None:
        """``iommu_group_alloc`` steps 3-4: the directory and its three entries.

        The entries are put in the directory the first time anyone looks at it (most
        groups of a big machine never are); the members' links are kept until then."""
        kobj = LazyDir(str(self.id))
        self.kobj = groups_kset.add(kobj)
        kobj.defer(partial(self._sysfs_fill, store_type), _GROUP_FILES, 1)

    def _sysfs_fill(self, store_type: Callable[[bytes], int], kobj: Dir) -> None:
        devices = Dir("devices")
        for name, dev in self._links.items():
            devices.add(Link(name, dev.kobj))
        self._links = {}
        kobj.add(devices)
        if kobj is self.kobj:  # (not for the directory of a released group)
            self.devices_kobj = devices
        kobj.add(Attribute("reserved_regions", 0o444, show=self.show_resv_regions))
        kobj.add(Attribute("type", 0o644, show=self.show_type, store=store_type))

    def device_links(self) -> dict[str, Node | None]:
        """The links of ``devices/``: name -> target (also before the directory exists)."""
        if self.devices_kobj is None:
            return {name: dev.kobj for name, dev in self._links.items()}
        return {name: getattr(n, "target", None) for name, n in self.devices_kobj.children.items()}

    def sysfs_remove(self) -> None:
        """``iommu_group_release``: the kobject goes, and with it the directory."""
        if self.kobj is not None and self.kobj.parent is not None:
            self.kobj.parent.remove(self.kobj.name)
        self.kobj = None
        self.devices_kobj = None

    def set_name(self, name: str) -> None:
        """``iommu_group_set_name()``: adds the ``name`` attribute."""
        self.name = name
        if self.kobj is not None and self.kobj.get("name") is None:
            self.kobj.add(Attribute("name", 0o444, show=lambda: f"{self.name}\n"))

    def add_links(self, dev: KernelDevice) -> str:
        """Create ``<dev>/iommu_group`` then ``devices/<name>`` (``.0``, ``.1`` on a clash)."""
        assert self.kobj is not None
        dev.kobj.add(Link("iommu_group", self.kobj))
        devices = self.devices_kobj
        taken = devices.children if devices is not None else self._links
        name = dev.name
        i = 0
        while name in taken:
            name = f"{dev.name}.{i}"
            i += 1
        if devices is None:  # not made yet: the link comes with it
            self._links[name] = dev
        else:
            devices.add(Link(name, dev.kobj))
        return name

    def remove_links(self, gdev: GroupDevice) -> None:
        """Remove ``devices/<name>`` and the device's ``iommu_group`` link."""
        if self.devices_kobj is not None:
            if self.devices_kobj.get(gdev.name) is not None:
                self.devices_kobj.remove(gdev.name)
        elif self.kobj is not None:
            self._links.pop(gdev.name, None)
        if gdev.dev.kobj.get("iommu_group") is not None:
            gdev.dev.kobj.remove("iommu_group")

    # -- attributes ----------------------------------------------------------------
    def show_type(self) -> str:
        """``iommu_group_show_type``: the *default* domain's type (v6.1..current)."""
        with self.mutex.held("iommu_group_show_type"):
            dtype = self.default_domain.type if self.default_domain is not None else None
        return f"{domain_type_name(dtype)}\n"

    def resv_regions(self) -> list[IommuResvRegion]:
        """``iommu_get_group_resv_regions``: merge every member's regions; stop at the
        first device without IOMMU ops (``break``, as the kernel does)."""
        regions: list[IommuResvRegion] = []
        for gdev in self.devices:
            dev = gdev.dev
            if dev.iommu is None:
                break
            for r in self.core.iommu_get_resv_regions(dev):
                iommu_insert_resv_region(r, regions)
        return regions

    def show_resv_regions(self) -> str:
        """``iommu_group_show_resv_regions``: recomputed on every read."""
        with self.mutex.held("iommu_get_group_resv_regions"):
            regions = self.resv_regions()
        return format_resv_regions(regions)

    # -- helpers -------------------------------------------------------------------
    def first_device(self) -> KernelDevice | None:
        return self.devices[0].dev if self.devices else None

    def find(self, dev: KernelDevice) -> GroupDevice | None:
        for gdev in self.devices:
            if gdev.dev is dev:
                return gdev
        return None

    def __repr__(self) -> str:
        return f"<IommuGroup {self.id} {[g.name for g in self.devices]}>"
