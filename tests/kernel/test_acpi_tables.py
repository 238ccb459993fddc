"""/sys/firmware/acpi/tables: the IOMMU tables built from the machine, byte for byte what
QEMU built for the recorded guests (the transcripts' ``hexdump -C`` of each)."""

from __future__ import annotations

import errno

import pytest

from iommush.kernel.acpi_tables import acpi_checksum, firmware_table_names

from .machines import boot_q35, q35

V61, V612 = "6.1.0-56-amd64", "6.12.107+deb13-amd64"

DMAR = bytes.fromhex(
    "444d4152a00000000170424f4348532042585043202020200100000042585043"
    "0100000026010000000000000000000000007000000000000000d9fe00000000"
    "0308000000ff0000010800000000000001080000000002000108000000000300"
    "0108000000000400010800000000050001080000000005010208000000000600"
    "02080000000007000108000000001f000108000000001f020108000000001f03"
)
IVRS = bytes.fromhex(
    "49565253940000000174424f4348532042585043202020200100000042585043"
    "0100000000280000000000000000000010d16400080040000000d8fe00000000"
    "0000000044000000020000000208000002100000021800000220000002280000"
    "0229000002300000430001000030000004ff0100023800000300020004ff0200"
    "02f8000002fa000002fb00004800000000a00001"
)
VIOT = bytes.fromhex(
    "56494f54580000000064424f4348532042585043202020200100000042585043"
    "0100000002003000000000000000000003001000000008000000000000000000"
    "0100180000000000000000000000ff023000000000000000"
)


@pytest.mark.parametrize(
    ("iommu", "kernel", "name", "want"),
    [
        ("intel", V612, "DMAR", DMAR),
        ("intel", V61, "DMAR", DMAR),
        ("amd", V61, "IVRS", IVRS),
        ("virtio", V612, "VIOT", VIOT),
    ],
)
def test_iommu_table_is_qemus(iommu: str, kernel: str, name: str, want: bytes) -> None:
    k = boot_q35(iommu, kernel)
    got = k.fs.read_bytes(f"/sys/firmware/acpi/tables/{name}")
    assert got == want
    assert acpi_checksum(got) == 0
    st = k.fs.stat(f"/sys/firmware/acpi/tables/{name}")
    assert st.st_mode & 0o777 == 0o400 and st.st_size == len(want)


@pytest.mark.parametrize(
    ("iommu", "table"), [("intel", "DMAR"), ("amd", "IVRS"), ("virtio", "VIOT")]
)
def test_table_listing(iommu: str, table: str) -> None:
    k = boot_q35(iommu)
    names = sorted(k.fs.listdir("/sys/firmware/acpi/tables"))
    pc = ["APIC", "DSDT", "FACP", "FACS", "HPET", "MCFG", "WAET"]
    assert names == sorted(pc + [table, "data", "dynamic"])


def test_other_tables_are_headers_only_and_root_only() -> None:
    k = boot_q35("intel")
    raw = k.fs.read_bytes("/sys/firmware/acpi/tables/HPET")
    assert raw[:4] == b"HPET" and int.from_bytes(raw[4:8], "little") == len(raw) == 36
    assert acpi_checksum(raw) == 0
    from iommush.vfs import Cred, as_cred

    with as_cred(Cred(uid=1000, gid=1000, caps=frozenset())):
        with pytest.raises(OSError) as e:
            k.fs.open("/sys/firmware/acpi/tables/DMAR", 0)
    assert e.value.errno == errno.EACCES


def test_machine_may_name_its_tables() -> None:
    spec = q35("intel")
    spec.acpi_tables = ["APIC", "FACP"]
    assert firmware_table_names(spec) == ["APIC", "FACP"]
    spec.acpi_tables = None
    spec.pci[0].subsystem_vendor = 0x8086  # not QEMU's host bridge: no WAET
    assert "WAET" not in firmware_table_names(spec)


def test_rmrr_follows_the_drhd() -> None:
    from iommush.kernel import boot
    from iommush.kernel.spec import ReservedRegionSpec

    spec = q35("intel")
    spec.reserved = [ReservedRegionSpec(0xBF000000, 0xBF7FFFFF, "rmrr", ["0000:00:02.0"])]
    raw = boot(spec).fs.read_bytes("/sys/firmware/acpi/tables/DMAR")
    assert len(raw) == len(DMAR) + 32 and acpi_checksum(raw) == 0
    rmrr = raw[len(DMAR) :]
    assert rmrr[:4] == bytes([1, 0, 32, 0])
    assert int.from_bytes(rmrr[8:16], "little") == 0xBF000000
    assert int.from_bytes(rmrr[16:24], "little") == 0xBF7FFFFF
    assert rmrr[24:] == bytes([1, 8, 0, 0, 0, 0, 2, 0])
