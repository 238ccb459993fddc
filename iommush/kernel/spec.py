"""What a machine is made of, as plain data: the kernel boots from a :class:`MachineSpec`.

The machine package builds these from TOML files, an imported ``/sys`` or a pasted group
listing; the kernel model reads them once, at boot, and never again (the live state is
the kernel's own objects). Every field has the meaning its kernel counterpart has.
Addresses and ids are ints; names are strings as the kernel prints them.

>>> ep = PciFunctionSpec("0000:01:00.0", vendor=0x10de, device=0x1b80, class_code=0x030000)
>>> (ep.segment, ep.bus, ep.slot, ep.function)
(0, 1, 0, 0)
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from reprlib import recursive_repr
from typing import Literal

__all__ = [
    "IommuUnitSpec",
    "MachineSpec",
    "PciFunctionSpec",
    "PlatformDeviceSpec",
    "ReservedRegionSpec",
    "GroupSpec",
    "DriverSpec",
    "parse_bdf",
]

IommuDriverName = Literal["intel", "amd", "arm-smmu-v3", "virtio-iommu", "legacy"]

#: How a PCI function sits in the topology (``pci_pcie_type`` and the header type).
PciRole = Literal[
    "endpoint",  # PCIe endpoint or conventional PCI device
    "rc_integrated",  # root-complex integrated endpoint (chipset functions on bus 0)
    "host_bridge",  # the host bridge function at 00:00.0 (class 0x0600)
    "root_port",  # PCIe root port (a bridge)
    "upstream_port",  # switch upstream port (a bridge)
    "downstream_port",  # switch downstream port (a bridge)
    "pcie_to_pci_bridge",  # PCIe-to-PCI(-X) bridge: conventional devices behind it alias to it
    "pci_bridge",  # conventional PCI-to-PCI bridge
]


def parse_bdf(name: str) -> tuple[int, int, int, int]:
    """``"0000:06:0d.1"`` -> ``(0, 6, 13, 1)``; ValueError if malformed."""
    try:
        dom, bus, rest = name.split(":")
        slot, fn = rest.split(".")
        seg, b, s, f = int(dom, 16), int(bus, 16), int(slot, 16), int(fn, 16)
    except ValueError:
        raise ValueError(f"not a PCI device name: {name!r}") from None
    if len(dom) != 4 or len(bus) != 2 or len(slot) != 2 or len(fn) != 1:
        raise ValueError(f"not a PCI device name: {name!r}")
    if not (0 <= b <= 0xFF and 0 <= s <= 0x1F and 0 <= f <= 7):
        raise ValueError(f"not a PCI device name: {name!r}")
    return seg, b, s, f


class _Record:
    """``repr`` and ``==`` of the classes below, made from their fields: what ``@dataclass``
    generates, without compiling code for every class when the module is imported."""

    __slots__ = ()

    @recursive_repr()
    def __repr__(self) -> str:
        values = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self) if f.repr)  # type: ignore[arg-type]
        return f"{type(self).__qualname__}({values})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        names = [f.name for f in fields(self) if f.compare]  # type: ignore[arg-type]
        return tuple(getattr(self, n) for n in names) == tuple(getattr(other, n) for n in names)

    __hash__ = None  # type: ignore[assignment]


@dataclass(init=False, repr=False, eq=False)
class PciFunctionSpec(_Record):
    """One PCI function (``struct pci_dev``) as it is at boot."""

    bdf: str
    vendor: int = 0x8086
    device: int = 0x0000
    class_code: int = 0x000000
    subsystem_vendor: int = 0x0000
    subsystem_device: int = 0x0000
    revision: int = 0x00
    role: PciRole = "endpoint"
    #: For bridges: the bus number behind it (``subordinate->number``).
    secondary_bus: int | None = None
    #: The function (or, for a bridge, its downstream port) has ACS with SV|RR|CR|UF enabled.
    acs: bool = False
    #: Header-type multifunction bit; None: derived from whether other functions exist.
    multifunction: bool | None = None
    #: ``pdev->untrusted``/external-facing port: devices below it are untrusted.
    external_facing: bool = False
    #: Extra requester IDs this function uses (quirk DMA aliases), as ``"slot.fn"`` on its bus.
    dma_alias_devfns: list[str] = field(default_factory=list)
    #: PASID capability (AMD-Vi gives such devices an identity default domain).
    pasid: bool = False
    sriov_totalvfs: int = 0
    #: Device id of the VFs (``PCI_SRIOV_VF_DID``); VFs share the PF's vendor.
    sriov_vf_device: int = 0
    #: Offset/stride of VF routing ids (``PCI_SRIOV_VF_OFFSET``/``STRIDE``).
    sriov_offset: int = 1
    sriov_stride: int = 1
    irq: int = 0
    #: Driver bound at boot, by its name in ``/sys/bus/pci/drivers`` (None: no driver).
    driver: str | None = None
    #: ``driver_override`` at boot.
    driver_override: str | None = None
    #: Human names as lspci prints them.
    vendor_name: str = ""
    device_name: str = ""
    #: Which IOMMU unit translates this function (name of an :class:`IommuUnitSpec`);
    #: None: the unit whose scope covers it, or the only one.
    iommu: str | None = None
    #: Whether the function has a reset method (``reset`` attribute appears).
    can_reset: bool = True
    #: Raw config space (``config`` attribute), if known; synthesised otherwise.
    config: bytes | None = None
    #: Has a PCI Express capability; None: derived from the role and where it sits.
    pcie: bool | None = None
    #: MAC address of a network function (drivers print it when they probe).
    mac: str | None = None
    #: For a VF that exists at boot: the BDF of its PF (``pdev->is_virtfn``, ``physfn`` link).
    physfn: str | None = None
    #: False: no IOMMU translates this function and it gets no group (outside every
    #: DRHD/IVHD/VIOT scope, as on a real machine whose listing shows it in no group).
    translated: bool = True

    # (written out: generating it would cost more at import than the rest of the module)
    def __init__(
        self,
        bdf: str,
        vendor: int = 0x8086,
        device: int = 0x0000,
        class_code: int = 0x000000,
        subsystem_vendor: int = 0x0000,
        subsystem_device: int = 0x0000,
        revision: int = 0x00,
        role: PciRole = "endpoint",
        secondary_bus: int | None = None,
        acs: bool = False,
        multifunction: bool | None = None,
        external_facing: bool = False,
        dma_alias_devfns: list[str] | None = None,
        pasid: bool = False,
        sriov_totalvfs: int = 0,
        sriov_vf_device: int = 0,
        sriov_offset: int = 1,
        sriov_stride: int = 1,
        irq: int = 0,
        driver: str | None = None,
        driver_override: str | None = None,
        vendor_name: str = "",
        device_name: str = "",
        iommu: str | None = None,
        can_reset: bool = True,
        config: bytes | None = None,
        pcie: bool | None = None,
        mac: str | None = None,
        physfn: str | None = None,
        translated: bool = True,
    ) -> None:
        self.bdf = bdf
        self.vendor = vendor
        self.device = device
        self.class_code = class_code
        self.subsystem_vendor = subsystem_vendor
        self.subsystem_device = subsystem_device
        self.revision = revision
        self.role = role
        self.secondary_bus = secondary_bus
        self.acs = acs
        self.multifunction = multifunction
        self.external_facing = external_facing
        self.dma_alias_devfns = [] if dma_alias_devfns is None else dma_alias_devfns
        self.pasid = pasid
        self.sriov_totalvfs = sriov_totalvfs
        self.sriov_vf_device = sriov_vf_device
        self.sriov_offset = sriov_offset
        self.sriov_stride = sriov_stride
        self.irq = irq
        self.driver = driver
        self.driver_override = driver_override
        self.vendor_name = vendor_name
        self.device_name = device_name
        self.iommu = iommu
        self.can_reset = can_reset
        self.config = config
        self.pcie = pcie
        self.mac = mac
        self.physfn = physfn
        self.translated = translated

    def location(self) -> tuple[int, int, int, int]:
        """``parse_bdf(self.bdf)``, parsed once per name (the cache is not a field, so
        equality, ``repr`` and export see only the dataclass fields)."""
        cached = self.__dict__.get("_location")
        if cached is not None and cached[0] is self.bdf:
            return cached[1]
        loc = parse_bdf(self.bdf)
        self.__dict__["_location"] = (self.bdf, loc)
        return loc

    @property
    def segment(self) -> int:
        return self.location()[0]

    @property
    def bus(self) -> int:
        return self.location()[1]

    @property
    def slot(self) -> int:
        return self.location()[2]

    @property
    def function(self) -> int:
        return self.location()[3]

    @property
    def is_bridge(self) -> bool:
        return self.secondary_bus is not None


@dataclass(repr=False, eq=False)
class PlatformDeviceSpec(_Record):
    """A platform (non-PCI) device behind an IOMMU, e.g. an SMMU-attached DMA engine."""

    name: str
    driver: str | None = None
    iommu: str | None = None
    #: Stream IDs the device emits (SMMU); devices sharing one share a group.
    stream_ids: list[int] = field(default_factory=list)
    compatible: str = ""


@dataclass(init=False, repr=False, eq=False)
class IommuUnitSpec(_Record):
    """One hardware IOMMU (``struct iommu_device``): a DMAR unit, an IVHD, an SMMUv3, ..."""

    name: str  # dmar0, ivhd0, smmu3.0x0000000009050000, virtio0
    driver: IommuDriverName
    #: For AMD-Vi and virtio-iommu: the PCI function that is the IOMMU itself.
    pci_function: str | None = None
    #: Register base (DMAR ``reg_base_addr``, SMMU MMIO base).
    base_address: int = 0
    #: Segments and buses it covers: [] means "everything not claimed by another unit".
    scope_buses: list[tuple[int, int]] = field(default_factory=list)
    #: Devices named explicitly in its scope (DRHD device scope entries).
    scope_devices: list[str] = field(default_factory=list)
    #: Intel: hardware pass-through support (``ecap_pass_through``); without it DMA is required.
    pass_through: bool = True
    #: Intel VT-d ``cap``/``ecap`` register values shown in sysfs.
    cap: int = 0
    ecap: int = 0
    version: str = "1:0"
    #: IOMMU page sizes (``pgsize_bitmap``); the smallest is the IOVA granule.
    pgsize_bitmap: int = 0x40201000
    #: Input address width in bits (aperture end = 2**bits - 1).
    address_width: int = 48
    #: virtio-iommu: regions the device reports in its probe (start, end, kind).
    probe_regions: list[ReservedRegionSpec] = field(default_factory=list)

    # (written out: generating it would cost more at import than the rest of the module)
    def __init__(
        self,
        name: str,
        driver: IommuDriverName,
        pci_function: str | None = None,
        base_address: int = 0,
        scope_buses: list[tuple[int, int]] | None = None,
        scope_devices: list[str] | None = None,
        pass_through: bool = True,
        cap: int = 0,
        ecap: int = 0,
        version: str = "1:0",
        pgsize_bitmap: int = 0x40201000,
        address_width: int = 48,
        probe_regions: list[ReservedRegionSpec] | None = None,
    ) -> None:
        self.name = name
        self.driver = driver
        self.pci_function = pci_function
        self.base_address = base_address
        self.scope_buses = [] if scope_buses is None else scope_buses
        self.scope_devices = [] if scope_devices is None else scope_devices
        self.pass_through = pass_through
        self.cap = cap
        self.ecap = ecap
        self.version = version
        self.pgsize_bitmap = pgsize_bitmap
        self.address_width = address_width
        self.probe_regions = [] if probe_regions is None else probe_regions


@dataclass(repr=False, eq=False)
class ReservedRegionSpec(_Record):
    """A firmware-described region: Intel RMRR, AMD IVMD, ARM IORT RMR, virtio probe region."""

    start: int
    end: int  # inclusive
    #: rmrr, ivmd, ivmd-exclusion, iort-rmr, reserved, msi
    source: str = "rmrr"
    #: Devices (BDFs or platform names) in its scope; bridges cover everything below them.
    devices: list[str] = field(default_factory=list)
    readable: bool = True
    writable: bool = True


@dataclass(repr=False, eq=False)
class GroupSpec(_Record):
    """A group pinned by the machine (imported machines keep the groups they had)."""

    id: int
    devices: list[str]
    #: ``type`` at import time, if known (``DMA``, ``DMA-FQ``, ``identity``, ...).
    type: str | None = None
    name: str | None = None


@dataclass(repr=False, eq=False)
class DriverSpec(_Record):
    """A PCI driver the machine declares beyond the kernel's catalog.

    Imported machines bind drivers the model does not know: each becomes an ordinary
    driver (``struct pci_driver``) whose ID table matches the devices it was bound to.
    """

    name: str
    #: ``pci_driver.driver_managed_dma`` (vfio-pci and its variants, pci-stub, pcieport).
    driver_managed_dma: bool = False
    #: ID table as ``(vendor, device)`` pairs (``PCI_DEVICE(vendor, device)``).
    ids: list[tuple[int, int]] = field(default_factory=list)
    #: Module name (``lsmod``); None: the driver name with '-' turned into '_'.
    module: str | None = None


@dataclass(init=False, repr=False, eq=False)
class MachineSpec(_Record):
    """Everything needed to boot a machine: the kernel, the hardware, the firmware tables."""

    name: str
    description: str = ""
    #: ``uname -r`` (e.g. ``6.12.107+deb13-amd64``) or a bare version (``6.3``).
    kernel: str = "6.12"
    cmdline: str = ""
    arch: Literal["x86_64", "aarch64"] = "x86_64"
    hostname: str = "iommush"
    iommus: list[IommuUnitSpec] = field(default_factory=list)
    pci: list[PciFunctionSpec] = field(default_factory=list)
    platform: list[PlatformDeviceSpec] = field(default_factory=list)
    reserved: list[ReservedRegionSpec] = field(default_factory=list)
    #: Explicit groups; empty means "let the IOMMU drivers group devices".
    groups: list[GroupSpec] = field(default_factory=list)
    #: Modules loaded at boot beyond those whose drivers are bound (``vfio-pci`` ...).
    modules: list[str] = field(default_factory=list)
    #: PCI drivers this machine declares beyond the kernel's catalog.
    drivers: list[DriverSpec] = field(default_factory=list)
    #: Host-bridge memory windows (reserved in every DMA domain's IOVA space).
    pci_windows: list[tuple[int, int]] = field(default_factory=list)
    #: Memory size in bytes (for dmesg and DMA address choice).
    memory: int = 16 << 30
    #: The firmware's ACPI tables besides the IOMMU's own (DMAR/IVRS/VIOT, which the
    #: kernel builds from ``iommus``), by signature; None: the PC set for the arch.
    acpi_tables: list[str] | None = None
    #: Where the description came from (a file path, ``--from-sysfs PATH``...).
    source: str = ""

    # (written out: generating it would cost more at import than the rest of the module)
    def __init__(
        self,
        name: str,
        description: str = "",
        kernel: str = "6.12",
        cmdline: str = "",
        arch: Literal["x86_64", "aarch64"] = "x86_64",
        hostname: str = "iommush",
        iommus: list[IommuUnitSpec] | None = None,
        pci: list[PciFunctionSpec] | None = None,
        platform: list[PlatformDeviceSpec] | None = None,
        reserved: list[ReservedRegionSpec] | None = None,
        groups: list[GroupSpec] | None = None,
        modules: list[str] | None = None,
        drivers: list[DriverSpec] | None = None,
        pci_windows: list[tuple[int, int]] | None = None,
        memory: int = 16 << 30,
        acpi_tables: list[str] | None = None,
        source: str = "",
    ) -> None:
        self.name = name
        self.description = description
        self.kernel = kernel
        self.cmdline = cmdline
        self.arch = arch
        self.hostname = hostname
        self.iommus = [] if iommus is None else iommus
        self.pci = [] if pci is None else pci
        self.platform = [] if platform is None else platform
        self.reserved = [] if reserved is None else reserved
        self.groups = [] if groups is None else groups
        self.modules = [] if modules is None else modules
        self.drivers = [] if drivers is None else drivers
        self.pci_windows = [] if pci_windows is None else pci_windows
        self.memory = memory
        self.acpi_tables = acpi_tables
        self.source = source
