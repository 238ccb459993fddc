"""The TOML machine format: loading, validation messages with lines, export round trip."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iommush.kernel.spec import MachineSpec, PciFunctionSpec
from iommush.machine import MachineError, list_machines, load_machine, loads_machine, to_toml
from iommush.machine.toml_format import load_toml_file, parse_size

GOOD = """\
[machine]
name = "t"
memory = "8G"

[[iommu]]
name = "dmar0"
driver = "intel"

[[pci]]
bdf = "00:00.0"
vendor = 0x8086
device = 0x1234
class = 0x060000
role = "host_bridge"

[[pci]]
bdf = "01:00.0"
vendor = 0x10de
device = 0x1b80
class = 0x030000
driver = "nouveau"
"""


def _error(text: str, name: str = "desktop.toml") -> list[str]:
    with pytest.raises(MachineError) as exc:
        loads_machine(text, name)
    return exc.value.problems


def test_loads_good_machine() -> None:
    spec = loads_machine(GOOD, "t.toml")
    assert spec.memory == 8 << 30
    assert [p.bdf for p in spec.pci] == ["0000:00:00.0", "0000:01:00.0"]
    assert spec.pci[1].class_code == 0x030000 and spec.pci[1].driver == "nouveau"


def test_unknown_driver_names_file_line_and_device() -> None:
    text = GOOD + '\n[[pci]]\nbdf = "0000:01:00.1"\nclass = 0x040300\ndriver = "snd_hda"\n'
    line = text.splitlines().index('driver = "snd_hda"') + 1
    assert _error(text) == [f"desktop.toml:{line}: device 0000:01:00.1: unknown driver 'snd_hda'"]


def test_declared_driver_is_accepted() -> None:
    text = GOOD + (
        '\n[[driver]]\nname = "snd_hda"\nids = [[0x10de, 0x10f0]]\n'
        '\n[[pci]]\nbdf = "0000:01:00.1"\nclass = 0x040300\ndriver = "snd_hda"\n'
    )
    spec = loads_machine(text, "x.toml")
    assert spec.drivers[0].ids == [(0x10DE, 0x10F0)]


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        ('[[pci]]\nbdf = "zz:00.0"\n', "expected a PCI address"),
        ('[[pci]]\nbdf = "02:00.0"\nvendor = "x"\n', "vendor = 'x': expected an integer"),
        ('[[pci]]\nbdf = "02:00.0"\nrole = "switch"\n', "unknown role 'switch'"),
        ('[[pci]]\nbdf = "02:00.0"\ncolour = 1\n', "unknown key 'colour'"),
        ('[[pci]]\nbdf = "01:00.0"\n', "defined twice"),
        ('[[pci]]\nbdf = "02:00.0"\nsecondary_bus = 3\n', "secondary_bus given for role"),
        ("[[reserved]]\nstart = 0x2000\nend = 0x1000\n", "is below start"),
        ('[[reserved]]\nstart = 1\nend = 2\ndevices = ["05:00.0"]\n', "unknown device"),
        (
            '[[group]]\nid = 1\ndevices = ["00:00.0"]\n[[group]]\nid = 1\ndevices = []\n',
            "defined twice",
        ),
        ('[[iommu]]\nname = "x"\ndriver = "sparc"\n', "unknown driver 'sparc'"),
        ("[bogus]\n", "unknown table 'bogus'"),
    ],
)
def test_problems_are_reported_with_their_line(extra: str, needle: str) -> None:
    problems = _error(GOOD + "\n" + extra, "m.toml")
    assert any(needle in p for p in problems), problems
    assert all(p.startswith("m.toml:") for p in problems)


def test_toml_syntax_error_has_line() -> None:
    problems = _error('[machine]\nname = "x"\nkernel = \n', "bad.toml")
    assert problems[0].startswith("bad.toml:3: not valid TOML")


def test_unreadable_file(tmp_path: object) -> None:
    with pytest.raises(MachineError, match="cannot read machine file"):
        load_toml_file("/nonexistent/dir/x.toml")


def test_unknown_machine_name() -> None:
    with pytest.raises(MachineError, match="unknown machine 'nope'"):
        load_machine("nope")


def test_parse_size() -> None:
    assert parse_size("16G") == 16 << 30
    assert parse_size(4096) == 4096
    with pytest.raises(ValueError):
        parse_size("lots")


def test_builtin_list_has_the_required_machines() -> None:
    names = dict(list_machines())
    for name in ("desktop", "ryzen", "threadripper", "xeon", "laptop", "arm64", "vfio-rst", "q35"):
        assert names[name], name


@pytest.mark.parametrize("name", [n for n, _ in list_machines()])
def test_builtin_round_trip(name: str) -> None:
    spec = load_machine(name)
    again = loads_machine(to_toml(spec), "again.toml")
    again.source = spec.source
    assert again == spec


def test_builtin_files_name_their_source() -> None:
    from iommush.machine.builtin import _fixtures

    for name, path in _fixtures().items():
        with open(path, encoding="utf-8") as f:
            head = f.read().split("[machine]")[0]
        assert "Modelled on" in head and ("http" in head or "shared/" in head), name


def test_vfio_rst_group_26() -> None:
    spec = load_machine("vfio-rst")
    group = next(g for g in spec.groups if g.id == 26)
    assert group.devices == ["0000:00:1e.0", "0000:06:0d.0", "0000:06:0d.1"]
    card = next(p for p in spec.pci if p.bdf == "0000:06:0d.0")
    assert (card.class_code >> 8, card.vendor, card.device, card.revision) == (
        0x0401,
        0x1102,
        0x2,
        8,
    )


_ids = st.integers(0, 0xFFFF)


@settings(max_examples=40, deadline=None)
@given(
    vendor=_ids,
    device=_ids,
    cls=st.integers(0, 0xFFFFFF),
    name=st.text(max_size=20),
    config=st.none() | st.binary(max_size=64),
    drv=st.sampled_from([None, "e1000e", "vfio-pci"]),
)
def test_export_round_trip_property(
    vendor: int, device: int, cls: int, name: str, config: bytes | None, drv: str | None
) -> None:
    spec = MachineSpec(name="p", description=name, hostname="h")
    spec.pci.append(
        PciFunctionSpec(
            "0000:03:00.0",
            vendor=vendor,
            device=device,
            class_code=cls,
            device_name=name,
            config=config,
            driver=drv,
        )
    )
    again = loads_machine(to_toml(spec), "p.toml")
    again.source = spec.source
    assert again == spec
