"""``/sys/firmware/acpi/tables`` (drivers/acpi/sysfs.c, ``acpi_tables_sysfs_init``) and the
IOMMU description tables the firmware hands the kernel, built from the machine the way
QEMU's ACPI builder does (hw/i386/acpi-build.c ``build_dmar_q35``, ``build_amd_iommu``;
hw/acpi/viot.c ``build_viot``):

- DMAR: one DRHD per VT-d unit with an IOAPIC scope and every function of the root bus
  (endpoints as type 1, bridges as type 2 sub-hierarchies), then one RMRR per region;
- IVRS: one type-10h IVHD whose device entries select each root-bus function, cover a
  conventional bridge's buses with an alias range and a PCIe port's with a plain range,
  then the IOAPIC special device;
- VIOT: the virtio-iommu PCI node and one PCI range covering the root bus hierarchy.

The other firmware tables are listed by name (``MachineSpec.acpi_tables``); their bodies
are not modelled, so reading one gives its 36-byte header only.

>>> acpi_checksum(b"\\x01\\xff")
0
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import TYPE_CHECKING

from iommush.vfs import Attribute, Dir

from .spec import IommuUnitSpec, MachineSpec, PciFunctionSpec

if TYPE_CHECKING:
    from .kernel import Kernel

__all__ = [
    "acpi_checksum",
    "acpi_tables_sysfs_init",
    "build_dmar",
    "build_ivrs",
    "build_viot",
    "firmware_table_names",
]

_OEM_ID = b"BOCHS "
_OEM_TABLE_ID = b"BXPC    "
_CREATOR = b"BXPC"
#: QEMU's IOAPIC: id 0, at the pseudo bus 0xff (DMAR) or requester 00:14.0 (IVRS).
_IOAPIC_ID = 0
_Q35_PSEUDO_BUS_PLATFORM = 0xFF
_IOAPIC_SB_DEVID = 0x00A0
_AMD_IOMMU_BASE = 0xFED80000
#: The x86 PC firmware's own tables (FADT, DSDT, FACS, MADT, HPET, MCFG); QEMU adds WAET.
_PC_TABLES = ("APIC", "DSDT", "FACP", "FACS", "HPET", "MCFG")
_QEMU_SUBSYSTEM_VENDOR = 0x1AF4


def acpi_checksum(data: bytes) -> int:
    """The byte that makes the table sum to zero (``acpi_tb_checksum``)."""
    return (-sum(data)) & 0xFF


def _table(signature: bytes, revision: int, body: bytes) -> bytes:
    """``struct acpi_table_header`` + body, checksummed (``acpi_table_begin``/``end``)."""
    length = 36 + len(body)
    hdr = struct.pack(
        "<4sIBB6s8sI4sI",
        signature,
        length,
        revision,
        0,
        _OEM_ID,
        _OEM_TABLE_ID,
        1,
        _CREATOR,
        1,
    )
    raw = bytearray(hdr + body)
    raw[9] = acpi_checksum(bytes(raw))
    return bytes(raw)


def _devfn(f: PciFunctionSpec) -> int:
    return (f.slot << 3) | f.function


def _root_functions(spec: MachineSpec) -> list[PciFunctionSpec]:
    """Functions on bus 0 of segment 0 that exist at boot (not VFs), in devfn order."""
    fns = [f for f in spec.pci if f.location()[:2] == (0, 0) and f.physfn is None]
    return sorted(fns, key=_devfn)


def _subordinate(spec: MachineSpec, bridge: PciFunctionSpec) -> int:
    """The highest bus number below ``bridge`` (its ``subordinate`` bus)."""
    assert bridge.secondary_bus is not None
    top = bridge.secondary_bus
    for f in spec.pci:
        if f.secondary_bus is not None and f.segment == bridge.segment and f.bus == top:
            top = max(top, _subordinate(spec, f))
    return top


def build_dmar(spec: MachineSpec, units: list[IommuUnitSpec]) -> bytes:
    """The DMAR table QEMU builds for ``-device intel-iommu,intremap=on``."""
    u = units[0]
    mgaw = ((u.cap >> 16) & 0x3F) + 1 if u.cap else u.address_width
    body = bytearray(struct.pack("<BB10x", mgaw - 1, 0x01))  # flags: INTR_REMAP
    for unit in units:
        scopes = bytearray(
            struct.pack("<BBHBBBB", 3, 8, 0, _IOAPIC_ID, _Q35_PSEUDO_BUS_PLATFORM, 0, 0)
        )
        for f in _root_functions(spec):
            kind = 2 if f.secondary_bus is not None else 1
            scopes += struct.pack("<BBHBBBB", kind, 8, 0, 0, 0, f.slot, f.function)
        base = unit.base_address or 0xFED90000
        body += struct.pack("<HHBBHQ", 0, 16 + len(scopes), 0, 0, 0, base) + scopes
    for r in spec.reserved:
        if r.source != "rmrr":
            continue
        scopes = bytearray()
        for name in r.devices:
            target = next((x for x in spec.pci if x.bdf == name), None)
            if target is not None:
                kind = 2 if target.secondary_bus is not None else 1
                scopes += struct.pack(
                    "<BBHBBBB", kind, 8, 0, 0, target.bus, target.slot, target.function
                )
        body += struct.pack("<HHHHQQ", 1, 24 + len(scopes), 0, 0, r.start, r.end) + scopes
    return _table(b"DMAR", 1, bytes(body))


def build_ivrs(spec: MachineSpec, units: list[IommuUnitSpec]) -> bytes:
    """The IVRS table QEMU builds for ``-device amd-iommu``."""
    entries = bytearray()
    for f in _root_functions(spec):
        entries += struct.pack("<BHB", 2, _devfn(f), 0)  # select
        if f.secondary_bus is None:
            continue
        first = f.secondary_bus << 8
        last = (_subordinate(spec, f) << 8) | 0xFF
        if f.role in ("pci_bridge", "pcie_to_pci_bridge"):
            # conventional bridge: everything below uses the bridge's requester id
            entries += struct.pack("<BHBBHB", 0x43, first, 0, 0, _devfn(f), 0)
        else:
            entries += struct.pack("<BHB", 3, first, 0)
        entries += struct.pack("<BHB", 4, last, 0)
    entries += struct.pack("<BHBBHB", 0x48, 0, 0, _IOAPIC_ID, _IOAPIC_SB_DEVID, 1)
    body = bytearray(struct.pack("<I8x", 40 << 8))  # IVinfo: PASize 40
    for unit in units:
        own = next((x for x in spec.pci if x.bdf == unit.pci_function), None)
        devid = (own.bus << 8 | _devfn(own)) if own is not None else 0
        base = unit.base_address or _AMD_IOMMU_BASE
        body += struct.pack(
            "<BBHHHQHHI", 0x10, 0xD1, 24 + len(entries), devid, 0x40, base, 0, 0, 0x44
        )
        body += entries
    return _table(b"IVRS", 1, bytes(body))


def build_viot(spec: MachineSpec, units: list[IommuUnitSpec]) -> bytes:
    """The VIOT table QEMU builds for ``-device virtio-iommu-pci``."""
    nodes = bytearray()
    first_node = 48
    for unit in units:
        own = next((x for x in spec.pci if x.bdf == unit.pci_function), None)
        bdf = (own.bus << 8 | _devfn(own)) if own is not None else 0
        nodes += struct.pack("<BBHHH8x", 3, 0, 16, 0, bdf)
    top = max((f.bus for f in spec.pci if f.segment == 0), default=0)
    for _ in units[:1]:
        nodes += struct.pack("<BBHIHHHHH6x", 1, 0, 24, 0, 0, 0, 0, (top << 8) | 0xFF, first_node)
    count = len(units) + min(len(units), 1)
    body = struct.pack("<HH8x", count, first_node) + bytes(nodes)
    return _table(b"VIOT", 0, body)


def firmware_table_names(spec: MachineSpec) -> list[str]:
    """The firmware's tables besides the IOMMU's: the machine's list, else the PC set
    (QEMU's when the host bridge carries QEMU's subsystem vendor)."""
    if spec.acpi_tables is not None:
        return list(spec.acpi_tables)
    if spec.arch != "x86_64":
        return []
    names = list(_PC_TABLES)
    host = next((f for f in spec.pci if f.role == "host_bridge"), None)
    if host is not None and host.subsystem_vendor == _QEMU_SUBSYSTEM_VENDOR:
        names.append("WAET")
    return names


def _bytes_show(data: bytes) -> Callable[[], bytes]:
    return lambda: data


def acpi_tables_sysfs_init(kernel: Kernel) -> Dir:
    """``acpi_tables_sysfs_init``: one root-only binary file per table, ``data/`` and
    ``dynamic/``."""
    spec = kernel.spec
    tables: dict[str, bytes] = {}
    for name in firmware_table_names(spec):
        tables[name] = _table(name.encode()[:4].ljust(4, b" "), 1, b"")
    builders = {"intel": (b"DMAR", build_dmar), "amd": (b"IVRS", build_ivrs)}
    builders["virtio-iommu"] = (b"VIOT", build_viot)
    for driver, (sig, build) in builders.items():
        units = [u for u in spec.iommus if u.driver == driver]
        if units and spec.arch == "x86_64":
            tables[sig.decode()] = build(spec, units)
    acpi = kernel.sysfs.firmware.ensure_dir("acpi")
    tdir = acpi.ensure_dir("tables")
    for name in sorted(tables):
        data = tables[name]
        tdir.add(Attribute(name, 0o400, show=_bytes_show(data), size=len(data)))
    tdir.ensure_dir("data")
    tdir.ensure_dir("dynamic")
    return tdir
