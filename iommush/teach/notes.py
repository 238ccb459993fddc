"""What each emulated file is, what reading and writing it do, and which kernel rules
and functions stand behind it, per modelled kernel version ("6.3", "6.4", "6.12").

Written from the kernel behaviour spec (drivers/iommu/iommu.c, drivers/pci/pci-sysfs.c,
drivers/pci/iov.c, drivers/base/bus.c, drivers/vfio/, include/trace/events/iommu.h);
``explain`` looks a path up here and prints the notes for the running version.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["NOTES", "Note", "find_note"]

_MACROS = {
    "{bdf}": r"[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]",
    "{n}": r"[0-9]+",
    "{name}": r"[^/]+",
    "{dev}": r"(?:/sys/bus/pci/devices/BDF|/sys/devices/pci[0-9a-f:]+(?:/BDF)+)",
    "{tracing}": r"/sys/kernel(?:/debug)?/tracing",
}
IOMMU_C = "drivers/iommu/iommu.c"
GROUP_ABI = "Documentation/ABI/testing/sysfs-kernel-iommu_groups"
PCI_ABI = "Documentation/ABI/testing/sysfs-bus-pci"
VFIO_DOC = "Documentation/driver-api/vfio.rst"


def _compile(pattern: str) -> re.Pattern[str]:
    rx = pattern  # patterns are regular expressions with the macros above
    for macro, value in _MACROS.items():
        rx = rx.replace(macro, value)
    return re.compile("^" + rx.replace("BDF", _MACROS["{bdf}"]) + "$")


@dataclass(frozen=True)
class Note:
    """The explanation of one kind of file."""

    pattern: str
    what: str
    read: str = ""
    write: str = ""
    #: Rules by version ("6.3", "6.4", "6.12"); "*" applies to every version.
    rules: Mapping[str, str] = field(default_factory=dict)
    #: Kernel functions by version, "*" for all.
    functions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    source: str = ""
    see: str = ""
    #: Reading shows the current value without side effects.
    peek: bool = False

    @property
    def regex(self) -> re.Pattern[str]:
        return _compile(self.pattern)

    def rules_for(self, version: str) -> list[str]:
        return [t for k, t in self.rules.items() if k in ("*", version)]

    def functions_for(self, version: str) -> list[str]:
        out: list[str] = []
        for key, names in self.functions.items():
            if key in ("*", version):
                out.extend(n for n in names if n not in out)
        return out


_TYPE_RULES = {
    "*": "Writers need CAP_SYS_ADMIN and CAP_SYS_RAWIO (else EACCES). The value is "
    "matched with sysfs_streq(): exact, case-sensitive, one trailing newline allowed; "
    "anything but DMA, DMA-FQ, identity or auto is EINVAL, and so is a group without a "
    "default domain. Writing the current type succeeds and changes nothing. 'auto' means "
    "what the devices require, else the global default (iommu.passthrough=, iommu.strict=).",
    "6.3": "Only a group with exactly one device may change type: otherwise EINVAL and "
    "'iommu: Cannot change default domain: Group has more than one device'. The device "
    "must not be bound to a driver (EBUSY, 'Device is still bound to driver'), except "
    "for the in-place DMA -> DMA-FQ upgrade. A type the device cannot use is EINVAL with "
    "'Device cannot be in Translated domain' (or Passthrough). The device_lock() is held.",
    "6.4": "Groups of any size may change type. DMA -> DMA-FQ is done in place even with "
    "drivers bound. Otherwise the group must have no DMA owner: if any device is bound to "
    "a driver that uses the DMA API, or VFIO/iommufd owns the group (owner_cnt != 0), the "
    "write fails with EPERM and logs nothing. group->mutex replaces device_lock(). A type "
    "the devices cannot use is EINVAL with 'Device cannot be in ... domain'.",
    "6.12": "Groups of any size may change type. DMA -> DMA-FQ is done in place even with "
    "drivers bound. Otherwise owner_cnt must be 0 (no DMA-API driver bound, no VFIO or "
    "iommufd owner), else EPERM with no log line. iommu_setup_default_domain() allocates "
    "the new domain, creates the direct mappings, attaches every device and rolls every "
    "device back if one attach fails. A type the devices cannot use is EINVAL, silently.",
}

NOTES: tuple[Note, ...] = (
    Note(
        "/sys/kernel/iommu_groups",
        "The kset of IOMMU groups, created by iommu_init(): one directory per group, "
        "named by its decimal id.",
        read="Listing it shows the groups that exist now.",
        rules={
            "*": "Group ids come from ida_alloc(): the lowest free number; an id is "
            "reused after its group is released."
        },
        functions={"*": ("iommu_init", "iommu_group_alloc")},
        source=IOMMU_C,
        see=GROUP_ABI,
    ),
    Note(
        "/sys/kernel/iommu_groups/{n}",
        "An IOMMU group: the smallest set of devices the IOMMU can isolate from each "
        "other. Devices in one group share one domain (one I/O page table) and must be "
        "given to a guest together.",
        read="Holds devices/, reserved_regions, type (and name, if a driver set one).",
        rules={
            "*": "pci_device_group() puts devices together when the IOMMU cannot tell "
            "them apart or peer-to-peer traffic can bypass it: functions of a multifunction "
            "device without ACS, everything below a bridge without ACS, devices behind a "
            "PCIe-to-PCI bridge (they share its requester ID), and DMA alias quirks."
        },
        functions={"*": ("iommu_group_alloc", "pci_device_group", "iommu_group_add_device")},
        source=IOMMU_C,
        see=GROUP_ABI,
    ),
    Note(
        "/sys/kernel/iommu_groups/{n}/devices",
        "The members of the group: one symbolic link per device, pointing to the "
        "device's directory under /sys/devices.",
        read="List it (ls -l) to see which devices must move together.",
        rules={
            "*": "The link is made when the IOMMU probes the device and removed when the "
            "device is released (remove, hot-unplug, disabling SR-IOV VFs)."
        },
        functions={"*": ("iommu_group_add_device", "iommu_release_device")},
        source=IOMMU_C,
        see=GROUP_ABI,
    ),
    Note(
        "/sys/kernel/iommu_groups/{n}/devices/{name}",
        "A symbolic link to a member device of the group; readlink shows the path "
        "relative to this directory (../../../../devices/pci0000:00/...).",
        rules={"*": "Created by iommu_group_add_device(); its name is the device's name."},
        functions={"6.3": ("iommu_group_remove_device",), "*": ("iommu_group_add_device",)},
        source=IOMMU_C,
        see=GROUP_ABI,
    ),
    Note(
        "/sys/kernel/iommu_groups/{n}/reserved_regions",
        "The IOVA ranges the group's devices cannot use for DMA mappings, read-only (0444).",
        read="One line per region: start, inclusive end, type "
        "('0x00000000fee00000 0x00000000feefffff msi'). Types: direct (firmware needs a "
        "1:1 mapping, RMRR/IVMD), direct-relaxable (the same, but may be dropped for "
        "device assignment: USB and graphics), reserved (never mapped), msi (the MSI "
        "doorbell window). Every read recomputes the list.",
        write="Not writable: opening it for writing is EACCES.",
        rules={
            "*": "The regions of every device are merged by iommu_insert_resv_region(): "
            "sorted by start, overlapping or adjacent regions of the same type coalesce, "
            "regions of different types are listed separately. The walk stops at the first "
            "device without IOMMU ops."
        },
        functions={
            "*": (
                "iommu_group_show_resv_regions",
                "iommu_get_group_resv_regions",
                "iommu_insert_resv_region",
            )
        },
        source=IOMMU_C,
        see=GROUP_ABI,
        peek=True,
    ),
    Note(
        "/sys/kernel/iommu_groups/{n}/type",
        "The type of the group's default domain: how DMA from its devices is translated "
        "while the kernel (not VFIO) drives them.",
        read="DMA (translated, strict IOTLB invalidation), DMA-FQ (translated, lazy "
        "invalidation through a flush queue), identity (passthrough: IOVA == physical "
        "address), blocked, unmanaged, or unknown when there is no default domain. It "
        "shows the default domain even while VFIO has another domain attached.",
        write="DMA, DMA-FQ, identity or auto asks the kernel to replace the default domain.",
        rules=_TYPE_RULES,
        functions={
            "*": ("iommu_group_show_type", "iommu_group_store_type"),
            "6.3": ("iommu_change_dev_def_domain", "device_lock"),
            "6.4": ("iommu_change_dev_def_domain", "iommu_dma_init_fq"),
            "6.12": ("iommu_setup_default_domain", "iommu_get_default_domain_type"),
        },
        source=IOMMU_C,
        see=GROUP_ABI + "; man iommush-sysfs (WRITING TYPE)",
        peek=True,
    ),
    Note(
        "/sys/kernel/iommu_groups/{n}/name",
        "The group's name, present only when a driver named it (VFIO no-IOMMU groups are "
        "'vfio-noiommu').",
        read="The name and a newline.",
        functions={"*": ("iommu_group_set_name",)},
        source=IOMMU_C,
        see=GROUP_ABI,
        peek=True,
    ),
    Note(
        "{dev}",
        "A PCI device (function) directory; /sys/bus/pci/devices/BDF is a link to it.",
        read="Identity (vendor, device, class...), its driver and iommu_group links, and "
        "the knobs driver_override, remove, rescan, reset, sriov_numvfs.",
        rules={
            "*": "When the device is added, the IOMMU driver probes it and puts it in a "
            "group ('Adding to iommu group N' in dmesg)."
        },
        functions={"*": ("pci_device_add", "iommu_probe_device")},
        source="drivers/pci/probe.c, drivers/iommu/iommu.c",
        see=PCI_ABI,
    ),
    Note(
        "{dev}/driver_override",
        "The name of the only driver allowed to bind this device (0644).",
        read="The override, or '(null)' when none is set.",
        write="A driver name sets the override; an empty line clears it. It does not "
        "probe: follow with drivers_probe or the driver's bind. A value of a page or more "
        "is EINVAL.",
        rules={
            "*": "With an override, pci_match_device() refuses every other driver (bind "
            "gives ENODEV) and the named driver matches even without an ID match; "
            "vfio-pci's override-only ID matches only with an override set."
        },
        functions={"*": ("driver_override_store", "driver_set_override", "pci_match_device")},
        source="drivers/pci/pci-sysfs.c, drivers/base/driver.c",
        see=PCI_ABI,
        peek=True,
    ),
    Note(
        "{dev}/driver",
        "A link to the driver bound to the device; absent while unbound.",
        rules={
            "*": "Made by driver_sysfs_add() during really_probe(), after "
            "bus->dma_configure() (where a DMA-API driver takes its group reference)."
        },
        functions={"*": ("really_probe", "driver_sysfs_add", "pci_dma_configure")},
        source="drivers/base/dd.c",
    ),
    Note(
        "{dev}/iommu_group",
        "A link to the device's IOMMU group under /sys/kernel/iommu_groups.",
        rules={"*": "Made first when the device joins its group, removed on release."},
        functions={"*": ("iommu_group_add_device",)},
        source=IOMMU_C,
        see=GROUP_ABI,
    ),
    Note(
        "{dev}/iommu",
        "A link to the IOMMU unit that translates this device's DMA (/sys/class/iommu/...).",
        functions={"*": ("iommu_device_link",)},
        source="drivers/iommu/iommu-sysfs.c",
    ),
    Note(
        "{dev}/remove",
        "Hot-unplug the device from software (0200).",
        write="A non-zero number unbinds its driver and removes it and everything below "
        "it; a value that is not a number is EINVAL.",
        rules={
            "6.3": "Release runs ops->release_device() outside group->mutex and prints "
            "'Removing from iommu group N'.",
            "6.4": "Release removes the device from its group under group->mutex; the "
            "'Removing from iommu group' line is no longer printed.",
            "6.12": "Release removes the device under group->mutex; when the group becomes "
            "empty its domains are freed at once; no 'Removing' line.",
        },
        functions={
            "*": ("remove_store", "pci_stop_and_remove_bus_device", "iommu_release_device"),
            "6.3": ("iommu_group_remove_device",),
            "6.4": ("__iommu_group_remove_device", "__iommu_group_release_device"),
            "6.12": ("__iommu_group_remove_device", "iommu_deinit_device"),
        },
        source="drivers/pci/pci-sysfs.c, drivers/iommu/iommu.c",
        see=PCI_ABI,
    ),
    Note(
        "{dev}/rescan",
        "Rescan the bus below this device (0200).",
        write="A non-zero number finds devices again; new devices are probed by the IOMMU "
        "and usually get the lowest free group number.",
        functions={"*": ("dev_rescan_store", "pci_rescan_bus", "iommu_probe_device")},
        source="drivers/pci/pci-sysfs.c",
        see=PCI_ABI,
    ),
    Note(
        "{dev}/reset",
        "Reset the function (0200; present when the device has a reset method).",
        write="Only 1 is accepted (EINVAL otherwise); the reset method's error is returned.",
        functions={"*": ("reset_store", "pci_reset_function")},
        source="drivers/pci/pci-sysfs.c",
        see=PCI_ABI,
    ),
    Note(
        "{dev}/sriov_numvfs",
        "The number of SR-IOV virtual functions enabled on this physical function (0664).",
        read="The current count.",
        write="N enables N VFs (new PCI devices, each probed by the IOMMU into a group); 0 "
        "disables them. More than sriov_totalvfs is ERANGE; no driver, or a driver without "
        "sriov_configure, is ENOENT; changing one non-zero count to another is EBUSY ('N "
        "VFs already enabled. Disable before enabling M VFs').",
        functions={"*": ("sriov_numvfs_store", "pci_enable_sriov", "pci_iov_add_virtfn")},
        source="drivers/pci/iov.c",
        see=PCI_ABI,
        peek=True,
    ),
    Note(
        "{dev}/sriov_totalvfs",
        "The most virtual functions this physical function supports (0444).",
        functions={"*": ("sriov_totalvfs_show",)},
        source="drivers/pci/iov.c",
        peek=True,
    ),
    Note(
        "{dev}/(?:vendor|device|subsystem_vendor|subsystem_device|revision|class)",
        "An identity register of the device, read-only (0444).",
        read="Hexadecimal: vendor/device 0x%04x, revision 0x%02x, class 0x%06x (base "
        "class, subclass, programming interface). Drivers match on these.",
        functions={"*": ("pci_dev_show_local",)},
        source="drivers/pci/pci-sysfs.c",
        see=PCI_ABI,
        peek=True,
    ),
    Note(
        "/sys/bus/pci/drivers/{name}",
        "A PCI driver: links to the devices it drives, and bind, unbind, new_id, remove_id.",
        functions={"*": ("bus_add_driver",)},
        source="drivers/base/bus.c",
        see=PCI_ABI,
    ),
    Note(
        "/sys/bus/pci/drivers/{name}/bind",
        "Bind this driver to a device (0200).",
        write="A device address. ENODEV if there is no such device or the driver does not "
        "match it (an override naming another driver included); EBUSY if the device has a "
        "driver. Probe errors come back as the errno (-EPROBE_DEFER as EAGAIN).",
        rules={
            "*": "A driver that uses the DMA API takes a reference on the group in "
            "iommu_device_use_default_domain(): EBUSY if VFIO owns the group or a "
            "non-default domain is attached. vfio-pci, pci-stub and pcieport are "
            "driver_managed_dma and take none."
        },
        functions={
            "*": (
                "bind_store",
                "device_driver_attach",
                "really_probe",
                "iommu_device_use_default_domain",
            )
        },
        source="drivers/base/bus.c, drivers/base/dd.c",
        see=PCI_ABI,
    ),
    Note(
        "/sys/bus/pci/drivers/{name}/unbind",
        "Unbind a device from this driver (0200); also reachable as "
        "/sys/bus/pci/devices/BDF/driver/unbind.",
        write="The address of a device bound to this driver; ENODEV otherwise.",
        rules={
            "*": "After the driver's remove, bus->dma_cleanup() drops the group reference "
            "of a DMA-API driver (iommu_device_unuse_default_domain)."
        },
        functions={
            "*": ("unbind_store", "device_release_driver", "iommu_device_unuse_default_domain")
        },
        source="drivers/base/bus.c",
        see=PCI_ABI,
    ),
    Note(
        "/sys/bus/pci/drivers/{name}/new_id",
        "Teach the driver a new device ID (0200).",
        write="'vendor device [subvendor subdevice [class class_mask [driver_data]]]' in hex. "
        "Fewer than two fields is EINVAL; an ID the driver already matches is EEXIST. Every "
        "unbound device it matches is probed (failures are not reported to the writer).",
        functions={"*": ("new_id_store", "pci_add_dynid", "driver_attach")},
        source="drivers/pci/pci-driver.c",
        see=PCI_ABI + "; " + VFIO_DOC,
    ),
    Note(
        "/sys/bus/pci/drivers/{name}/remove_id",
        "Forget a dynamic device ID (0200).",
        write="'vendor device ...' in hex; ENODEV if no such dynamic ID. Bound devices stay bound.",
        functions={"*": ("remove_id_store",)},
        source="drivers/pci/pci-driver.c",
        see=PCI_ABI,
    ),
    Note(
        "/sys/bus/pci/drivers_probe",
        "Probe drivers for one device (0200).",
        write="A device address: ENODEV if unknown; an unbound device is offered to every "
        "matching driver (its driver_override first). No match still succeeds.",
        functions={"*": ("drivers_probe_store", "device_attach")},
        source="drivers/base/bus.c",
        see=PCI_ABI,
    ),
    Note(
        "/sys/bus/pci/drivers_autoprobe",
        "Whether new devices and drivers are bound automatically (0644): 0 or 1.",
        functions={"*": ("drivers_autoprobe_store",)},
        source="drivers/base/bus.c",
        peek=True,
    ),
    Note(
        "/sys/bus/pci/rescan",
        "Rescan every PCI root bus (0200).",
        write="A non-zero number; new devices are probed by the IOMMU ('Adding to iommu group N').",
        functions={"*": ("rescan_store", "pci_rescan_bus")},
        source="drivers/pci/pci-sysfs.c",
        see=PCI_ABI,
    ),
    Note(
        "/dev/vfio/vfio",
        "The VFIO container (0666): an IOMMU context that groups are attached to.",
        rules={
            "*": "VFIO_GROUP_SET_CONTAINER claims the group's DMA ownership "
            "(iommu_group_claim_dma_owner): EPERM while a DMA-API driver is bound in it."
        },
        functions={"*": ("vfio_container_attach_group", "iommu_group_claim_dma_owner")},
        source="drivers/vfio/container.c",
        see=VFIO_DOC,
    ),
    Note(
        "/dev/vfio/{n}",
        "The VFIO group character device of IOMMU group N; it exists while a device of "
        "the group is bound to a VFIO driver.",
        rules={
            "*": "A second open is EBUSY. The group is viable (VFIO_GROUP_GET_STATUS) "
            "when owner_cnt is 0: every device unbound or bound to a driver_managed_dma "
            "driver. Attaching it to a container takes ownership and attaches the blocking "
            "domain; 'type' keeps showing the default domain."
        },
        functions={"*": ("vfio_group_fops_open", "vfio_group_ioctl_get_status")},
        source="drivers/vfio/group.c",
        see=VFIO_DOC,
    ),
    Note(
        "/dev/vfio/devices/vfio{n}",
        "A VFIO device character device (6.6 and later, iommufd era).",
        rules={
            "*": "VFIO_DEVICE_BIND_IOMMUFD claims DMA ownership per device "
            "(iommu_device_claim_dma_owner); devices of one group may share one owner."
        },
        functions={"*": ("vfio_df_ioctl_bind_iommufd", "iommu_device_claim_dma_owner")},
        source="drivers/vfio/device_cdev.c",
        see=VFIO_DOC,
    ),
    Note(
        "/dev/iommu",
        "iommufd: the newer interface for IOMMU address spaces used by VFIO device cdevs.",
        functions={"*": ("iommufd_fops_open",)},
        source="drivers/iommu/iommufd/main.c",
        see=VFIO_DOC,
    ),
    Note(
        "{tracing}/events/iommu",
        "The iommu trace events: add_device_to_group, remove_device_from_group, "
        "attach_device_to_domain, map, unmap, io_page_fault.",
        write="enable: 1 turns every iommu event on, 0 off (reads X when mixed).",
        rules={
            "6.3": "detach_device_from_domain was removed in 6.3 with the detach_dev op.",
            "*": "Events are recorded in 'trace' once enabled and tracing_on is 1.",
        },
        functions={"*": ("trace_add_device_to_group", "trace_map", "trace_unmap")},
        source="include/trace/events/iommu.h",
    ),
    Note(
        "{tracing}/events/iommu/{name}/(?:enable|filter|format|id|trigger)",
        "A control file of one iommu trace event: enable (0/1), filter, format (the "
        "fields and the print format), id, trigger.",
        functions={"*": ("trace_add_device_to_group", "trace_attach_device_to_domain")},
        source="include/trace/events/iommu.h",
        peek=True,
    ),
    Note(
        "{tracing}/(?:set_event|available_events|tracing_on)",
        "tracefs controls: set_event lists the enabled events ('iommu:map', 'iommu:*'), "
        "available_events those that exist, tracing_on the global switch (0/1).",
        source="kernel/trace/trace_events.c",
        peek=True,
    ),
    Note(
        "{tracing}/(?:trace|trace_pipe)",
        "The trace buffer: one line per event, 'comm-pid [cpu] flags time: event: text'. "
        "Reading trace does not consume; writing it clears it. trace_pipe consumes.",
        source="kernel/trace/trace.c",
    ),
    Note(
        "/sys/class/iommu/{name}",
        "A hardware IOMMU unit (dmarN on Intel, ivhdN on AMD, ...), with links to the "
        "devices it translates under devices/.",
        functions={"*": ("iommu_device_sysfs_add", "iommu_device_link")},
        source="drivers/iommu/iommu-sysfs.c",
    ),
)


def find_note(paths: list[str]) -> Note | None:
    """The first note whose pattern matches one of ``paths`` (tried in order)."""
    for path in paths:
        for note in NOTES:
            if note.regex.match(path):
                return note
    return None
