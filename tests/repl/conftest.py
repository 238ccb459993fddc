"""A small virtual /sys for completion tests, built with the vfs alone."""

from __future__ import annotations

import pytest

from iommush.shell.command import CommandTable
from iommush.vfs import Attribute, Dir, File, Link, VirtualFS


def _device(pci: Dir, bdf: str, vendor: str, device: str) -> Dir:
    dev = pci.add(Dir(bdf))
    dev.add(Attribute("vendor", 0o444, show=lambda: f"0x{vendor}\n"))
    dev.add(Attribute("device", 0o444, show=lambda: f"0x{device}\n"))
    dev.add(Attribute("driver_override", 0o644, show=lambda: "(null)\n", store=lambda b: None))
    dev.add(Attribute("remove", 0o200, store=lambda b: None))
    return dev


@pytest.fixture
def tree() -> VirtualFS:
    """Two groups, three devices (one SR-IOV PF), two drivers, tracefs, a home."""
    fs = VirtualFS()
    root = fs.root
    root.add(Dir("tmp", 0o1777, creatable=True))
    home = root.add(Dir("root", 0o700, creatable=True))
    home.add(File("notes.txt", data=b"hi\n"))
    home.add(File("my file", data=b""))
    sys = root.add(Dir("sys"))
    pci = sys.add(Dir("devices")).add(Dir("pci0000:00"))
    nic = _device(pci, "0000:00:02.0", "8086", "10d3")
    gpu = _device(pci, "0000:01:00.0", "10de", "1eb8")
    audio = _device(pci, "0000:01:00.1", "10de", "10f8")
    nic.add(Attribute("sriov_totalvfs", 0o444, show=lambda: "7\n"))
    nic.add(Attribute("sriov_numvfs", 0o664, show=lambda: "0\n", store=lambda b: None))
    groups = sys.add(Dir("kernel")).add(Dir("iommu_groups"))
    bus = sys.add(Dir("bus")).add(Dir("pci"))
    devices = bus.add(Dir("devices"))
    drivers = bus.add(Dir("drivers"))
    bus.add(Attribute("drivers_probe", 0o200, store=lambda b: None))
    e1000e = drivers.add(Dir("e1000e"))
    drivers.add(Dir("vfio-pci"))
    snd = drivers.add(Dir("snd_hda_intel"))
    for name, drv in (("bind", None), ("unbind", None), ("new_id", None)):
        for d in (e1000e, snd, drivers.get("vfio-pci")):
            assert isinstance(d, Dir)
            d.add(Attribute(name, 0o200, store=lambda b: None))
        del drv
    for gid, devs in (("0", [nic]), ("7", [gpu, audio])):
        g = groups.add(Dir(gid))
        g.add(Attribute("type", 0o644, show=lambda: "DMA\n", store=lambda b: None))
        g.add(Attribute("reserved_regions", 0o444, show=lambda: ""))
        d = g.add(Dir("devices"))
        for dev in devs:
            d.add(Link(dev.name, dev))
            dev.add(Link("iommu_group", g))
    for dev in (nic, gpu, audio):
        devices.add(Link(dev.name, dev))
    nic.add(Link("driver", e1000e))
    e1000e.add(Link("0000:00:02.0", nic))
    audio.add(Link("driver", snd))
    snd.add(Link("0000:01:00.1", audio))
    tracing = sys.get("kernel").add(Dir("tracing"))  # type: ignore[union-attr]
    tracing.add(Attribute("available_events", 0o444, show=lambda: "iommu:map\niommu:unmap\n"))
    tracing.add(Attribute("set_event", 0o644, show=lambda: "", store=lambda b: None))
    tracing.add(Attribute("tracing_on", 0o644, show=lambda: "1\n", store=lambda b: None))
    return fs


@pytest.fixture
def table() -> CommandTable:
    """A command table shaped like the shell's."""
    t = CommandTable()

    def nop(ctx: object) -> int:
        return 0

    t.command(
        "ls",
        synopsis="ls [-la] [FILE...]",
        summary="list directory contents",
        options=("-l", "-a", "--all"),
    )(nop)
    t.command(
        "lspci",
        synopsis="lspci [-nn] [-s BDF]",
        summary="list PCI devices",
        options=("-n", "-nn", "-s", "-v"),
    )(nop)
    t.command(
        "echo", synopsis="echo [-neE] [ARG...]", summary="write arguments", options=("-n", "-e")
    )(nop)
    t.command("cat", synopsis="cat [FILE...]", summary="print files")(nop)
    t.command("cd", synopsis="cd [DIR]", summary="change directory", special=True)(nop)
    t.command("tee", synopsis="tee [-a] FILE...", summary="copy stdin to files")(nop)
    t.command(
        "modprobe", synopsis="modprobe [-r] MODULE", summary="load a module", options=("-r",)
    )(nop)
    t.command("help", synopsis="help [CMD]", summary="show help")(nop)
    t.command(
        "reset",
        synopsis="reset [--machine NAME]",
        summary="reboot",
        options=("--machine", "--kernel"),
    )(nop)
    return t
