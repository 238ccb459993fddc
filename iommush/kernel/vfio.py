"""VFIO (drivers/vfio/vfio_main.c, group.c, container.c, vfio_iommu_type1.c, pci/vfio_pci.c):
``/dev/vfio/vfio`` (container) and ``/dev/vfio/<group>`` device nodes and their ioctls.

A group node exists while at least one device of the IOMMU group is bound to a VFIO
driver. Attaching the group to a container claims DMA ownership for user space
(``iommu_group_claim_dma_owner``: EPERM while a DMA-API driver is bound in the group);
closing releases it and re-attaches the default domain.
"""

from __future__ import annotations

import errno
from typing import TYPE_CHECKING

from iommush.vfs import Device, DeviceOps, Dir, OpenFile

from .dma_owner import iommu_group_claim_dma_owner, iommu_group_release_dma_owner
from .domain import IOMMU_DOMAIN_UNMANAGED, IommuDomain
from .errors import KernelError
from .ida import Ida
from .resv import IommuResvType

if TYPE_CHECKING:
    from .iommu_group import IommuGroup
    from .kernel import Kernel
    from .pci import PciDev

__all__ = ["VfioContainer", "VfioGroup", "VfioSubsystem"]

VFIO_IOMMU_INFO_PGSIZES = 1 << 0
VFIO_IOMMU_INFO_CAPS = 1 << 1


class VfioContainer(DeviceOps):
    """One open of ``/dev/vfio/vfio``: its groups, its type1 domain, its mappings."""

    def __init__(self, vfio: VfioSubsystem) -> None:
        self.vfio = vfio
        self.groups: list[VfioGroup] = []
        self.domain: IommuDomain | None = None
        self.iommu_type = 0

    # -- type1 -----------------------------------------------------------------------
    def _attach(self, vg: VfioGroup) -> None:
        """``vfio_iommu_type1_attach_group``: attach the container domain to the group
        (``iommu_attach_group``: EBUSY if a foreign domain is attached)."""
        assert self.domain is not None
        group = vg.iommu_group
        core = group.core
        with group.mutex.held("iommu_attach_group"):
            if group.domain is not None and group.domain not in (
                group.default_domain,
                group.blocking_domain,
            ):
                raise KernelError(errno.EBUSY)
            core._iommu_group_set_domain(group, self.domain)

    def _detach(self, vg: VfioGroup) -> None:
        group = vg.iommu_group
        with group.mutex.held("iommu_detach_group"):
            if group.blocking_domain is not None and group.owner is not None:
                group.core._iommu_group_set_domain(group, group.blocking_domain)

    def _check_isolated_msi(self, vg: VfioGroup) -> None:
        """``vfio_iommu_type1_attach_group``, after ``iommu_attach_group``: without
        interrupt remapping for every device of the group (``iommu_group_has_isolated_msi``)
        and without ``allow_unsafe_interrupts``, the attach is undone with EPERM."""
        group = vg.iommu_group
        if all(
            gd.dev.iommu is not None and gd.dev.iommu.ops.has_isolated_msi(gd.dev)
            for gd in group.devices
        ):
            return
        self.vfio.kernel.printk.printk(
            "vfio_iommu_type1_attach_group: No interrupt remapping support.  Use the module "
            'param "allow_unsafe_interrupts" to enable VFIO IOMMU support on this platform',
            4,
        )
        raise KernelError(errno.EPERM)

    def iova_ranges(self) -> list[tuple[int, int]]:
        """The aperture minus every group's reserved regions (direct-relaxable ones are
        allowed: ``vfio_iommu_resv_exclude`` skips them)."""
        width = 48
        ranges = [(0, (1 << width) - 1)]
        for vg in self.groups:
            for r in vg.iommu_group.resv_regions():
                if r.type == IommuResvType.DIRECT_RELAXABLE:
                    continue
                out = []
                for lo, hi in ranges:
                    if r.end < lo or r.start > hi:
                        out.append((lo, hi))
                        continue
                    if lo < r.start:
                        out.append((lo, r.start - 1))
                    if r.end < hi:
                        out.append((r.end + 1, hi))
                ranges = out
        return ranges

    def ioctl(self, of: OpenFile, cmd: int, arg: object = None) -> int:
        # the ioctl ABI, imported when user space first calls (not at boot)
        from iommush.uapi import vfio as uapi

        if cmd == uapi.VFIO_GET_API_VERSION:
            return uapi.VFIO_API_VERSION
        if cmd == uapi.VFIO_CHECK_EXTENSION:
            return int(arg in (uapi.VFIO_TYPE1_IOMMU, uapi.VFIO_TYPE1v2_IOMMU))
        if cmd == uapi.VFIO_SET_IOMMU:
            if self.domain is not None or not self.groups:
                raise KernelError(errno.EINVAL)
            if arg not in (uapi.VFIO_TYPE1_IOMMU, uapi.VFIO_TYPE1v2_IOMMU):
                raise KernelError(errno.ENODEV)
            group = self.groups[0].iommu_group
            dom = group.core.group_ops(group).domain_alloc(IOMMU_DOMAIN_UNMANAGED, "user")
            if dom is None:
                raise KernelError(errno.EIO)
            self.domain = dom
            attached: list[VfioGroup] = []
            try:
                for vg in self.groups:
                    self._attach(vg)
                    attached.append(vg)
                    self._check_isolated_msi(vg)
            except KernelError:
                for vg in attached:
                    self._detach(vg)
                self.domain = None
                raise
            self.iommu_type = int(str(arg))
            return 0
        if self.domain is None:
            raise KernelError(errno.EINVAL)
        if cmd == uapi.VFIO_IOMMU_GET_INFO:
            if not isinstance(arg, uapi.VfioIommuInfo):
                raise KernelError(errno.EFAULT)
            arg.flags = VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS
            arg.iova_pgsizes = 0x40201000
            arg.iova_ranges = self.iova_ranges()
            return 0
        if cmd == uapi.VFIO_IOMMU_MAP_DMA:
            if not isinstance(arg, uapi.VfioDmaMap):
                raise KernelError(errno.EFAULT)
            if arg.size <= 0 or arg.size % 4096 or arg.iova % 4096 or arg.vaddr % 4096:
                raise KernelError(errno.EINVAL)
            end = arg.iova + arg.size - 1
            if not any(lo <= arg.iova and end <= hi for lo, hi in self.iova_ranges()):
                raise KernelError(errno.EINVAL)
            self.domain.iommu_map(arg.iova, arg.vaddr, arg.size, arg.flags & 3)
            self.vfio.kernel.trace.map(arg.iova, arg.vaddr, arg.size)
            return 0
        if cmd == uapi.VFIO_IOMMU_UNMAP_DMA:
            if not isinstance(arg, uapi.VfioDmaUnmap):
                raise KernelError(errno.EFAULT)
            done = self.domain.iommu_unmap(arg.iova, arg.size)
            self.vfio.kernel.trace.unmap(arg.iova, arg.size, done)
            arg.size = done
            return 0
        raise KernelError(errno.ENOTTY)

    def remove_group(self, vg: VfioGroup) -> None:
        if self.domain is not None:
            self._detach(vg)
        self.groups.remove(vg)
        iommu_group_release_dma_owner(vg.iommu_group)
        vg.container = None
        if not self.groups:
            self.domain = None
            self.iommu_type = 0

    def release(self, of: OpenFile) -> None:
        for vg in list(self.groups):
            self.remove_group(vg)


class _ContainerNode(DeviceOps):
    """``/dev/vfio/vfio``: every open is a new container."""

    def __init__(self, vfio: VfioSubsystem) -> None:
        self.vfio = vfio

    def open(self, of: OpenFile) -> None:
        of.private = VfioContainer(self.vfio)

    def ioctl(self, of: OpenFile, cmd: int, arg: object = None) -> int:
        assert isinstance(of.private, VfioContainer)
        return of.private.ioctl(of, cmd, arg)

    def release(self, of: OpenFile) -> None:
        if isinstance(of.private, VfioContainer):
            of.private.release(of)


class VfioGroup(DeviceOps):
    """``struct vfio_group`` and the fops of ``/dev/vfio/<id>``."""

    def __init__(self, vfio: VfioSubsystem, group: IommuGroup, minor: int) -> None:
        self.vfio = vfio
        self.iommu_group = group
        self.minor = minor
        self.devices: list[PciDev] = []
        self.opened = False
        self.container: VfioContainer | None = None
        self.device_fds = 0
        self.node: Device | None = None

    def open(self, of: OpenFile) -> None:
        """A second open -> EBUSY."""
        if self.opened:
            raise KernelError(errno.EBUSY)
        self.opened = True

    def status_flags(self) -> int:
        from iommush.uapi import vfio as uapi

        if self.container is not None:
            return uapi.VFIO_GROUP_FLAGS_CONTAINER_SET | uapi.VFIO_GROUP_FLAGS_VIABLE
        return 0 if self.iommu_group.owner_cnt else uapi.VFIO_GROUP_FLAGS_VIABLE

    def ioctl(self, of: OpenFile, cmd: int, arg: object = None) -> int:
        from iommush.uapi import vfio as uapi

        if cmd == uapi.VFIO_GROUP_GET_STATUS:
            if not isinstance(arg, uapi.VfioGroupStatus):
                raise KernelError(errno.EFAULT)
            arg.flags = self.status_flags()
            return 0
        if cmd == uapi.VFIO_GROUP_SET_CONTAINER:
            cont = arg.private if isinstance(arg, OpenFile) else None
            if not isinstance(cont, VfioContainer):
                raise KernelError(errno.EBADF)
            if self.container is not None:
                raise KernelError(errno.EINVAL)
            iommu_group_claim_dma_owner(self.iommu_group, self)
            cont.groups.append(self)
            self.container = cont
            if cont.domain is not None:
                try:
                    cont._attach(self)
                except KernelError:
                    cont.groups.remove(self)
                    self.container = None
                    iommu_group_release_dma_owner(self.iommu_group)
                    raise
            return 0
        if cmd == uapi.VFIO_GROUP_UNSET_CONTAINER:
            if self.container is None:
                raise KernelError(errno.EINVAL)
            if self.device_fds:
                raise KernelError(errno.EBUSY)
            self.container.remove_group(self)
            return 0
        if cmd == uapi.VFIO_GROUP_GET_DEVICE_FD:
            if self.container is None or self.container.domain is None:
                raise KernelError(errno.EINVAL)
            name = arg if isinstance(arg, str) else ""
            if not any(d.name == name for d in self.devices):
                raise KernelError(errno.ENODEV)
            self.device_fds += 1
            return 0
        raise KernelError(errno.ENOTTY)

    def release(self, of: OpenFile) -> None:
        self.opened = False
        self.device_fds = 0
        if self.container is not None:
            self.container.remove_group(self)


class VfioSubsystem:
    """``vfio.ko`` + ``vfio_iommu_type1.ko``: the device nodes and the group registry."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.groups: dict[int, VfioGroup] = {}
        self.minors = Ida()
        self.dev_dir: Dir | None = None

    def load(self) -> None:
        """``vfio_init``: ``/dev/vfio/vfio`` (misc 10:196, mode 0666)."""
        dev = self.kernel.fs.root.ensure_dir("dev")
        self.dev_dir = dev.ensure_dir("vfio")
        if self.dev_dir.get("vfio") is None:
            self.dev_dir.add(Device("vfio", _ContainerNode(self), 0o666, 10, 196))

    def unload(self) -> None:
        if self.dev_dir is not None and self.dev_dir.parent is not None:
            self.dev_dir.parent.remove("vfio")
        self.dev_dir = None

    def vfio_pci_probe(self, dev: PciDev) -> int:
        """``vfio_pci_probe`` -> ``vfio_register_group_dev``: needs an IOMMU group."""
        group = dev.iommu_group
        if group is None or self.dev_dir is None:
            return errno.EINVAL
        vg = self.groups.get(group.id)
        if vg is None or vg.iommu_group is not group:
            vg = VfioGroup(self, group, self.minors.alloc())
            group.core.iommu_group_get(group)
            major = self.kernel.version.first_free_dynamic_chrdev_major
            vg.node = self.dev_dir.add(Device(str(group.id), vg, 0o600, major, vg.minor))
            self.groups[group.id] = vg
        vg.devices.append(dev)
        return 0

    def vfio_pci_remove(self, dev: PciDev) -> None:
        """``vfio_unregister_group_dev``: the last device takes the group node away."""
        for gid, vg in list(self.groups.items()):
            if dev not in vg.devices:
                continue
            vg.devices.remove(dev)
            if vg.devices:
                return
            if vg.container is not None:
                vg.container.remove_group(vg)
            if self.dev_dir is not None and self.dev_dir.get(str(gid)) is not None:
                self.dev_dir.remove(str(gid))
            del self.groups[gid]
            self.minors.free(vg.minor)
            vg.iommu_group.core.iommu_group_put(vg.iommu_group)
