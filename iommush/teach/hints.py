"""Hints after a refused sysfs write: which kernel rule refused it, and what would make
it succeed, computed from the kernel model's state right after the failure (a refused
store changes nothing, so the state that refused it is still there to read).

The shell calls :func:`hint_for_write` after a redirected write failed (when hints are
on) and prints ``hint: TEXT`` on stderr.
"""

from __future__ import annotations

import errno
import posixpath
import re
from typing import Any

from iommush.kernel.pci import PciDev

from .why import pci_model

__all__ = ["hint_for_write", "dma_api_users", "group_owner_text"]

_BDF = re.compile(r"^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$")
_TYPES = ("DMA", "DMA-FQ", "identity", "auto")


def _word(data: bytes) -> str:
    return data.split(b"\0", 1)[0].decode("utf-8", "replace").strip()


def _model(system: Any) -> str:
    return str(getattr(getattr(system, "iommu", None), "model", "6.12"))


def dma_api_users(group: Any) -> list[Any]:
    """Members bound to a driver without ``driver_managed_dma`` (each holds one
    ``owner_cnt`` reference through ``iommu_device_use_default_domain``)."""
    out = []
    for gd in group.devices:
        drv = gd.dev.driver
        if drv is not None and not drv.driver_managed_dma:
            out.append(gd.dev)
    return out


def group_owner_text(group: Any) -> str | None:
    """Who owns the group from user space (VFIO group, iommufd), or None."""
    owner = getattr(group, "owner", None)
    if owner is None:
        return None
    kind = type(owner).__name__
    if kind == "VfioGroup":
        return f"a VFIO user holds /dev/vfio/{group.id} in a container"
    return f"user space ({kind}) owns it"


def _unbind_line(dev: Any) -> str:
    return f"echo {dev.name} > /sys/bus/pci/drivers/{dev.driver.name}/unbind"


def _busy_drivers(group: Any) -> str | None:
    users = dma_api_users(group)
    if not users:
        return None
    parts = [f"{d.name} is bound to {d.driver.name}" for d in users]
    what = "a driver that uses" if len(users) == 1 else "drivers that use"
    first = users[0]
    return (
        f"group {group.id}: {', '.join(parts)}, {what} the DMA API; unbind "
        f"{'it' if len(users) == 1 else 'them'} first ({_unbind_line(first)})"
    )


def _type_hint(system: Any, group: Any, data: bytes, err: int) -> str | None:
    word = _word(data)
    model = _model(system)
    n = len(group.devices)
    if err == errno.EACCES:
        return (
            "changing a group's type needs CAP_SYS_ADMIN and CAP_SYS_RAWIO: run it as root "
            f"(sudo sh -c 'echo {word or 'DMA'} > /sys/kernel/iommu_groups/{group.id}/type')"
        )
    if err == errno.EINVAL and word not in _TYPES:
        return f"type accepts one of {', '.join(_TYPES)} (got '{word}')"
    if err == errno.EINVAL and group.default_domain is None:
        return f"group {group.id} has no default domain (its IOMMU driver does not use one)"
    if model == "6.3":
        if err == errno.EINVAL and n != 1:
            return (
                f"group {group.id} has {n} devices: 6.3 only changes singleton groups "
                "(iommu_group_store_type); 6.4 and later change a whole group"
            )
        if err == errno.EBUSY:
            dev = group.devices[0].dev if group.devices else None
            if dev is not None and dev.driver is not None:
                return (
                    f"group {group.id}: {dev.name} is still bound to {dev.driver.name}; on 6.3 "
                    f"the type changes only without a driver: unbind it first "
                    f"({_unbind_line(dev)})"
                )
            if group.domain is not group.default_domain:
                held = group_owner_text(group) or "another domain is attached"
                return f"group {group.id} is not in its default domain: {held}"
    if err == errno.EPERM:
        owner = group_owner_text(group)
        if owner is not None:
            return (
                f"group {group.id} is owned by user space ({owner}); release it first "
                "(vfio detach, or close the group file)"
            )
        busy = _busy_drivers(group)
        if busy:
            return busy
        if not group.devices:
            return f"group {group.id} has no devices left"
    if err == errno.EINVAL:
        return _type_conflict(system, group, word)
    return None


def _type_conflict(system: Any, group: Any, word: str) -> str | None:
    for gd in group.devices:
        dev = gd.dev
        if isinstance(dev, PciDev) and dev.untrusted and word not in ("DMA", "auto"):
            port = next((b for b in dev.upstream_bridges() if b.spec.external_facing), None)
            where = f" behind the external-facing port {port.name}" if port else ""
            return (
                f"group {group.id}: {dev.name} is untrusted{where}: the kernel keeps it in a "
                "DMA domain (iommu_get_default_domain_type); only DMA is accepted"
            )
        ops = dev.iommu.ops if dev.iommu is not None else None
        need = ops.def_domain_type(dev) if ops is not None else 0
        if need:
            from iommush.kernel.domain import domain_type_name

            name = domain_type_name(need)
            if name != word:
                return (
                    f"group {group.id}: the IOMMU driver requires type {name} for {dev.name} "
                    f"(def_domain_type); the group cannot be {word}"
                )
    from iommush.kernel.domain import IOMMU_DOMAIN_DMA_FQ, IOMMU_DOMAIN_IDENTITY

    ops = group.core.group_ops(group) if group.devices else None
    wanted = {"DMA-FQ": IOMMU_DOMAIN_DMA_FQ, "identity": IOMMU_DOMAIN_IDENTITY}.get(word)
    if ops is not None and wanted is not None and wanted not in ops.domain_types:
        return f"this IOMMU driver has no {word} domains: group {group.id} cannot be {word}"
    return None


def _dev_of(path: str) -> str | None:
    parent = posixpath.basename(posixpath.dirname(path))
    return parent if _BDF.match(parent) else None


def _bind_hint(system: Any, drv_name: str, data: bytes, err: int) -> str | None:
    name = _word(data)
    dev = system.pci.find(name)
    if dev is None:
        return f"there is no PCI device {name!r} (names look like 0000:01:00.0; see lspci)"
    if err == errno.EBUSY and dev.driver is not None:
        return (
            f"{dev.name} is still bound to {dev.driver.name}: unbind it first ({_unbind_line(dev)})"
        )
    if err == errno.ENODEV:
        return (
            f"{drv_name}'s ID table does not match {dev.name} ({dev.vendor:04x}:{dev.device:04x}): "
            f"set /sys/bus/pci/devices/{dev.name}/driver_override to {drv_name} first"
        )
    group = dev.iommu_group
    if err == errno.EBUSY and group is not None:
        owner = group_owner_text(group)
        if owner is not None:
            return (
                f"group {group.id} is owned by user space ({owner}): a driver that uses the DMA "
                f"API cannot bind to {dev.name} until it is released"
            )
    if err == errno.EINVAL and drv_name == "vfio-pci" and group is None:
        return f"vfio-pci needs an IOMMU group and {dev.name} has none (is the IOMMU on?)"
    if err == errno.EAGAIN:
        return f"the probe of {dev.name} was deferred: the IOMMU it sits behind is not ready"
    return None


def _unbind_hint(system: Any, drv_name: str, data: bytes) -> str | None:
    name = _word(data)
    dev = system.pci.find(name)
    if dev is None:
        return f"there is no PCI device {name!r} (see lspci)"
    if dev.driver is None:
        return f"{dev.name} has no driver to unbind"
    return f"{dev.name} is bound to {dev.driver.name}, not {drv_name}: {_unbind_line(dev)}"


def _probe_hint(system: Any, data: bytes, err: int) -> str | None:
    name = _word(data)
    dev = system.pci.find(name)
    if dev is None:
        return f"there is no PCI device {name!r} (see lspci)"
    group = dev.iommu_group
    if group is not None and group.owner is not None:
        return (
            f"group {group.id} is owned by user space ({group_owner_text(group)}): "
            f"no DMA-API driver can bind to {dev.name}; set driver_override to vfio-pci, "
            "or release the group"
        )
    if dev.driver_override:
        return (
            f"driver_override of {dev.name} is {dev.driver_override!r}: only that driver may "
            f"bind (is it loaded? modprobe {dev.driver_override})"
        )
    return None


def _sriov_hint(dev: Any, data: bytes, err: int) -> str | None:
    total = dev.spec.sriov_totalvfs
    if err == errno.ERANGE:
        return f"{dev.name} supports at most {total} VFs (sriov_totalvfs)"
    if err == errno.EBUSY:
        return f"{dev.sriov_numvfs} VFs are enabled: write 0 first, then the new number"
    if err == errno.ENOENT:
        if dev.driver is None:
            return f"{dev.name} has no driver: the PF's driver creates the VFs; bind it first"
        return f"{dev.driver.name} cannot configure SR-IOV through sysfs"
    return None


def hint_for_write(
    system: object, path: str, data: bytes, errno_: int, *, cwd: str = "/"
) -> str | None:
    """The hint for a write of ``data`` to ``path`` that failed with ``errno_``, or None
    when the model has nothing to add. Pure: reads the model, changes nothing."""
    if pci_model(system) is None:
        return None
    k: Any = system
    try:
        real = k.fs.realpath(path, cwd)
    except OSError:
        real = posixpath.normpath(posixpath.join(cwd, path))
    try:
        return _dispatch(k, real, data, errno_)
    except (AttributeError, LookupError, TypeError, ValueError):
        return None


def _dispatch(k: Any, real: str, data: bytes, err: int) -> str | None:
    parts = real.strip("/").split("/")
    base = parts[-1]
    if real.startswith("/sys/kernel/iommu_groups/") and base == "type" and len(parts) == 5:
        group = k.iommu.groups.get(int(parts[3]))
        return None if group is None else _type_hint(k, group, data, err)
    if real.startswith("/sys/bus/pci/drivers/") and len(parts) == 6:
        drv = parts[4]
        if base == "bind":
            return _bind_hint(k, drv, data, err)
        if base == "unbind":
            return _unbind_hint(k, drv, data)
        if base in ("new_id", "remove_id"):
            if err == errno.EEXIST:
                return f"{drv} already has that ID in its table"
            return f"{base} takes 'VENDOR DEVICE' in hex, e.g. echo 10de 1b80 > .../{base}"
    if real == "/sys/bus/pci/drivers_probe":
        return _probe_hint(k, data, err)
    if err in (errno.EACCES, errno.EPERM) and real.startswith("/sys/"):
        return "only root may write this file: try sudo"
    name = _dev_of(real)
    dev = k.pci.find(name) if name else None
    if dev is None:
        return None
    if base == "sriov_numvfs":
        return _sriov_hint(dev, data, err)
    if base == "driver_override" and err == errno.EINVAL:
        return "driver_override takes one driver name, shorter than a page"
    if base == "enable" and err == errno.EBUSY:
        return f"{dev.name} is bound to {dev.driver.name}: the driver controls enable"
    return None
