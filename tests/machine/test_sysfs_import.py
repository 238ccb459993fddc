"""Importing machines from copied /sys trees: pyfakefs trees, the conformance tarballs,
and the snapshot -> import round trip."""

from __future__ import annotations

import glob
import os
import tarfile
from pathlib import Path

import pytest
from pyfakefs.fake_filesystem_unittest import Patcher

from iommush.machine import MachineError, import_sysfs, loads_machine, snapshot, to_toml

SNAPSHOTS = sorted(glob.glob("/work/shared/conformance/snapshots/*.tar.gz"))
if not SNAPSHOTS:  # shared/ sits beside the repository in CI
    SNAPSHOTS = sorted(
        glob.glob(
            str(Path(__file__).resolve().parents[3] / "shared/conformance/snapshots/*.tar.gz")
        )
    )


def _config(ptype: int | None, header: int = 0, multifunction: bool = False) -> bytes:
    """A 256-byte config space with an optional PCIe capability of the given port type."""
    cfg = bytearray(256)
    cfg[0x0E] = header | (0x80 if multifunction else 0)
    if ptype is not None:
        cfg[0x06] = 0x10
        cfg[0x34] = 0x40
        cfg[0x40], cfg[0x41], cfg[0x42] = 0x10, 0x00, (ptype << 4) | 2
    return bytes(cfg)


def _device(root: str, path: str, vendor: int, device: int, cls: int, **extra: object) -> None:
    d = f"{root}/sys/devices/{path}"
    os.makedirs(d, exist_ok=True)
    attrs = {
        "vendor": f"0x{vendor:04x}",
        "device": f"0x{device:04x}",
        "class": f"0x{cls:06x}",
        "revision": "0x01",
        "subsystem_vendor": "0x1043",
        "subsystem_device": "0x8694",
        "irq": "16",
        "driver_override": "(null)",
    }
    attrs.update({k: str(v) for k, v in extra.items() if k not in ("config",)})
    for name, value in attrs.items():
        Path(d, name).write_text(value + "\n")
    if "config" in extra:
        Path(d, "config").write_bytes(extra["config"])  # type: ignore[arg-type]


def _link(root: str, link: str, target: str) -> None:
    os.makedirs(os.path.dirname(f"{root}/{link}"), exist_ok=True)
    os.symlink(target, f"{root}/{link}")


def build_fake_sys(root: str) -> None:
    """An Intel desktop: GPU+audio behind a root port, ISA bridge, vfio-pci and an
    unknown driver, an RMRR on the GPU's group, the MSI window and the ISA mapping."""
    rp = "pci0000:00/0000:00:01.0"
    _device(root, "pci0000:00/0000:00:00.0", 0x8086, 0x4C53, 0x060000, config=_config(None))
    _device(root, rp, 0x8086, 0x4C01, 0x060400, config=_config(4, 1), secondary_bus_number=1)
    _device(
        root,
        f"{rp}/0000:01:00.0",
        0x10DE,
        0x1B80,
        0x030000,
        config=_config(0, 0, True),
        reset_method="flr bus",
    )
    _device(root, f"{rp}/0000:01:00.1", 0x10DE, 0x10F0, 0x040300, config=_config(0))
    _device(root, "pci0000:00/0000:00:1f.0", 0x8086, 0x4387, 0x060100, config=_config(None))
    os.makedirs(f"{root}/proc/sys/kernel", exist_ok=True)
    Path(root, "proc/cmdline").write_text("quiet intel_iommu=on\n")
    Path(root, "proc/sys/kernel/osrelease").write_text("6.4.0-test\n")
    Path(root, "proc/sys/kernel/hostname").write_text("box\n")
    Path(root, "proc/meminfo").write_text("MemTotal:       32768000 kB\n")
    unit = "sys/devices/virtual/iommu/dmar1"
    os.makedirs(f"{root}/{unit}/intel-iommu", exist_ok=True)
    for reg, val in (("address", "fed91000"), ("cap", "d2008c40660462"), ("ecap", "f050da")):
        Path(root, unit, "intel-iommu", reg).write_text(val + "\n")
    _link(root, "sys/class/iommu/dmar1", "../../devices/virtual/iommu/dmar1")
    groups = {
        0: ["0000:00:00.0"],
        1: ["0000:00:01.0", "0000:01:00.0", "0000:01:00.1"],
        7: ["0000:00:1f.0"],
    }
    paths = {
        "0000:00:00.0": "pci0000:00/0000:00:00.0",
        "0000:00:01.0": rp,
        "0000:01:00.0": f"{rp}/0000:01:00.0",
        "0000:01:00.1": f"{rp}/0000:01:00.1",
        "0000:00:1f.0": "pci0000:00/0000:00:1f.0",
    }
    regions = {
        0: "0x00000000fee00000 0x00000000feefffff msi\n",
        1: "0x000000007b800000 0x000000007f7fffff direct-relaxable\n"
        "0x00000000fee00000 0x00000000feefffff msi\n",
        7: "0x0000000000000000 0x0000000000ffffff direct-relaxable\n"
        "0x00000000fee00000 0x00000000feefffff msi\n",
    }
    for gid, members in groups.items():
        g = f"sys/kernel/iommu_groups/{gid}"
        os.makedirs(f"{root}/{g}/devices", exist_ok=True)
        Path(root, g, "type").write_text("DMA-FQ\n")
        Path(root, g, "reserved_regions").write_text(regions[gid])
        for bdf in members:
            depth = paths[bdf].count("/") + 2
            _link(root, f"{g}/devices/{bdf}", "../../../../devices/" + paths[bdf])
            _link(
                root,
                f"sys/devices/{paths[bdf]}/iommu_group",
                "../" * depth + f"kernel/iommu_groups/{gid}",
            )
            _link(
                root,
                f"sys/devices/{paths[bdf]}/iommu",
                "../" * (depth - 1) + "devices/virtual/iommu/dmar1"[len("devices/") :]
                if False
                else "../" * depth + "devices/virtual/iommu/dmar1",
            )
    for bdf, drv in (
        ("0000:00:01.0", "pcieport"),
        ("0000:01:00.0", "vfio-pci"),
        ("0000:01:00.1", "snd_hda_codec_x"),
    ):
        depth = paths[bdf].count("/") + 2
        _link(root, f"sys/devices/{paths[bdf]}/driver", "../" * depth + f"bus/pci/drivers/{drv}")
        _link(root, f"sys/bus/pci/drivers/{drv}/{bdf}", "../../../../devices/" + paths[bdf])
    Path(root, "sys/devices", paths["0000:01:00.0"], "driver_override").write_text("vfio-pci\n")


@pytest.fixture()
def fake_root() -> object:
    with Patcher() as patcher:
        build_fake_sys("/host")
        yield patcher


def test_fake_sys_import(fake_root: object) -> None:
    spec, notes = import_sysfs("/host")
    assert spec.kernel == "6.4.0-test" and spec.cmdline == "quiet intel_iommu=on"
    assert spec.hostname == "box" and spec.memory == 32768000 << 10
    by = {p.bdf: p for p in spec.pci}
    assert by["0000:00:01.0"].role == "root_port" and by["0000:00:01.0"].secondary_bus == 1
    assert by["0000:00:00.0"].role == "host_bridge"
    assert by["0000:01:00.0"].role == "endpoint" and by["0000:01:00.0"].multifunction is True
    assert by["0000:01:00.0"].driver == "vfio-pci"
    assert by["0000:01:00.0"].driver_override == "vfio-pci"
    assert by["0000:01:00.1"].can_reset is False and by["0000:01:00.0"].can_reset is True
    assert (by["0000:01:00.0"].subsystem_vendor, by["0000:01:00.0"].revision) == (0x1043, 1)
    assert [(g.id, g.devices, g.type) for g in spec.groups] == [
        (0, ["0000:00:00.0"], "DMA-FQ"),
        (1, ["0000:00:01.0", "0000:01:00.0", "0000:01:00.1"], "DMA-FQ"),
        (7, ["0000:00:1f.0"], "DMA-FQ"),
    ]
    # only the firmware RMRR survives: MSI window and ISA mapping are synthesised by the kernel
    assert [(r.start, r.end, r.source) for r in spec.reserved] == [(0x7B800000, 0x7F7FFFFF, "rmrr")]
    assert spec.reserved[0].devices == ["0000:00:01.0", "0000:01:00.0", "0000:01:00.1"]
    assert [(u.name, u.driver, u.base_address) for u in spec.iommus] == [
        ("dmar1", "intel", 0xFED91000)
    ]
    drivers = {d.name: d for d in spec.drivers}
    assert drivers["snd_hda_codec_x"].ids == [(0x10DE, 0x10F0)]
    assert not drivers["snd_hda_codec_x"].driver_managed_dma
    assert "vfio-pci" not in drivers  # known to the catalog
    assert any("ACS" in n for n in notes)
    assert len(notes) == len(set(notes))
    again = loads_machine(to_toml(spec), "again.toml")
    again.source = spec.source
    assert again == spec


def _regular_files(root: str) -> dict[str, bytes]:
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        for f in files:
            p = os.path.join(dirpath, f)
            if not os.path.islink(p):
                out[p] = Path(p).read_bytes()
    return out


def test_snapshot_round_trip_on_fake_sys(fake_root: object) -> None:
    os.makedirs("/host/sys/devices/pci0000:00/0000:00:1f.0/", exist_ok=True)
    Path("/host/sys/devices/pci0000:00/0000:00:1f.0/remove").write_text("")
    before = _regular_files("/host")
    count = snapshot("/out.tar.gz", "/host")
    assert count > 20
    after = _regular_files("/host")
    assert before == after  # read-only
    with tarfile.open("/out.tar.gz") as tar:
        names = tar.getnames()
    assert not any(n.endswith("/remove") for n in names)
    direct, _ = import_sysfs("/host")
    from_tar, _ = import_sysfs("/out.tar.gz")
    direct.source = from_tar.source = direct.description = from_tar.description = ""
    assert from_tar == direct


def test_not_a_root(tmp_path: Path) -> None:
    with pytest.raises(MachineError, match="not a root with sys/"):
        import_sysfs(tmp_path)
    with pytest.raises(MachineError, match="no such file"):
        import_sysfs(tmp_path / "missing")
    bad = tmp_path / "bad.tar.gz"
    bad.write_bytes(b"not a tarball")
    with pytest.raises(MachineError, match="cannot read snapshot"):
        import_sysfs(bad)


Q35_GROUPS = {
    0: ["0000:00:00.0"],
    1: ["0000:00:02.0"],
    2: ["0000:00:03.0"],
    3: ["0000:00:04.0"],
    4: ["0000:00:05.0", "0000:00:05.1"],
    5: ["0000:00:06.0", "0000:01:01.0", "0000:01:02.0", "0000:01:03.0"],
    6: ["0000:00:07.0"],
    7: ["0000:00:1f.0", "0000:00:1f.2", "0000:00:1f.3"],
    8: ["0000:02:00.0"],
}


@pytest.mark.skipif(not SNAPSHOTS, reason="conformance snapshots not found beside the repository")
@pytest.mark.parametrize("path", SNAPSHOTS, ids=lambda p: os.path.basename(p))
def test_conformance_snapshots(path: str) -> None:
    spec, notes = import_sysfs(path)
    name = os.path.basename(path)
    assert spec.kernel.startswith(name.split("-amd64")[0])
    by = {p.bdf: p for p in spec.pci}
    assert by["0000:00:07.0"].role == "root_port" and by["0000:00:07.0"].secondary_bus == 2
    assert by["0000:00:06.0"].role == "pci_bridge" and by["0000:00:06.0"].secondary_bus == 1
    assert by["0000:01:03.0"].driver == "8139cp" and by["0000:00:07.0"].driver == "pcieport"
    groups = {g.id: g.devices for g in spec.groups}
    if "virtio" in name:
        assert spec.iommus[0].driver == "virtio-iommu"
        assert spec.iommus[0].pci_function == "0000:00:01.0"
        assert not by["0000:01:01.0"].translated and not by["0000:00:1f.0"].translated
        assert groups[7] == ["0000:00:05.0", "0000:00:05.1"]
    else:
        assert groups == Q35_GROUPS
        assert spec.reserved == []  # msi, HT hole and ISA window are the driver's own
        kind = "amd" if name.endswith("-amd.tar.gz") else "intel"
        assert spec.iommus[0].driver == kind
        if kind == "amd":  # amd-iommu/cap and features ("features2:features")
            assert (spec.iommus[0].cap, spec.iommus[0].ecap) == (0x1F03000F, 0x29D3)
    # the guests never set a hostname: the kernel's default nodename
    assert spec.hostname == "(none)"
    types = {g.type for g in spec.groups}
    if "passthrough" in name:
        assert types == {"identity"}
    assert len(notes) == len(set(notes))
    again = loads_machine(to_toml(spec), "again.toml")
    again.source = spec.source
    assert again == spec
