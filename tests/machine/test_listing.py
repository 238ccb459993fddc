"""Importing pasted group listings: every shared sample reproduces its groups."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from iommush.machine import from_listing, loads_machine, to_toml

DATA = Path(__file__).parent / "data" / "listing_groups.json"
EXPECTED: dict[str, dict[str, list[str]]] = json.loads(DATA.read_text())
SAMPLES = Path("/work/shared/samples/listings")
if not SAMPLES.is_dir():
    SAMPLES = Path(__file__).resolve().parents[3] / "shared/samples/listings"


@pytest.mark.skipif(not SAMPLES.is_dir(), reason="shared samples not found beside the repository")
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_sample_reproduces_groups(name: str) -> None:
    spec, notes = from_listing((SAMPLES / name).read_text())
    got = {str(g.id): g.devices for g in spec.groups}
    assert got == EXPECTED[name]
    assert not [n for n in notes if n.startswith("line ")], notes
    again = loads_machine(to_toml(spec), "again.toml")
    again.source = spec.source
    assert again == spec


def test_device_fields_and_driver_lines() -> None:
    text = (
        "user@host:~$ ./iommu.sh\n"
        "IOMMU Group 1:\n"
        "\t01:00.0 VGA compatible controller [0300]: NVIDIA Corporation GP104 [GeForce GTX 1080]"
        " [10de:1b80] (rev a1)\n"
        "\t\tKernel driver in use: vfio-pci\n"
        "\t01:00.1 Audio device [0403]: NVIDIA Corporation GP104 High Definition Audio"
        " Controller [10de:10f0] (rev a1)\n"
        "\t\tDriver: snd_hda_foo\n"
        "some noise\n"
    )
    spec, notes = from_listing(text)
    gpu, audio = spec.pci
    assert (gpu.bdf, gpu.vendor, gpu.device, gpu.class_code, gpu.revision) == (
        "0000:01:00.0",
        0x10DE,
        0x1B80,
        0x030000,
        0xA1,
    )
    assert gpu.vendor_name == "NVIDIA Corporation" and gpu.device_name == "GP104 [GeForce GTX 1080]"
    assert gpu.driver == "vfio-pci" and audio.driver == "snd_hda_foo"
    assert spec.drivers[0].name == "snd_hda_foo" and spec.drivers[0].ids == [(0x10DE, 0x10F0)]
    assert spec.groups[0].devices == ["0000:01:00.0", "0000:01:00.1"]


def test_unreadable_lines_are_reported_with_line_number() -> None:
    text = (
        "IOMMU Group 3:\n  00:1f.0 something odd without ids\n  00:02.0 VGA compatible controller"
        " [0300]: Intel Corporation HD Graphics 530 [8086:1912] (rev 06)\n"
    )
    spec, notes = from_listing(text)
    assert [p.bdf for p in spec.pci] == ["0000:00:02.0"]
    assert any(n.startswith("line 2: ") for n in notes)


def test_reset_marker_columns_format() -> None:
    text = (
        "Group 1:\t[8086:4c01] [R] 00:01.0  PCI bridge                               Device 4c01\n"
        "Group 3:\t[8086:43ed]     00:14.0  USB controller                           xHCI\n"
        "\t\t[8086:43ef]     00:14.2  RAM memory                               Shared SRAM\n"
    )
    spec, _ = from_listing(text)
    by = {p.bdf: p for p in spec.pci}
    assert by["0000:00:01.0"].can_reset and not by["0000:00:14.0"].can_reset
    assert by["0000:00:01.0"].role == "root_port" and by["0000:00:14.2"].class_code == 0x050000
    assert [g.devices for g in spec.groups] == [["0000:00:01.0"], ["0000:00:14.0", "0000:00:14.2"]]


def test_empty_input() -> None:
    spec, notes = from_listing("")
    assert spec.pci == [] and notes
