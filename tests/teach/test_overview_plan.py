"""groups, tree and plan on real machines."""

from __future__ import annotations

from collections.abc import Callable

from .conftest import Harness, Learner


def test_groups_table_plain_and_user_groups(learner: Callable[..., Learner]) -> None:
    sh = learner("vfio-rst")
    table = sh("groups --iommu").out.splitlines()
    assert table[0].split() == ["GROUP", "TYPE", "DEVICE", "DRIVER", "OWNER", "VIABLE"]
    row26 = next(i for i, line in enumerate(table) if line.startswith("26 "))
    assert table[row26].split() == ["26", "DMA-FQ", "0000:00:1e.0", "-", "kernel", "no"]
    assert table[row26 + 1].split() == ["0000:06:0d.0", "snd_emu10k1"]
    assert table[row26 + 2].split() == ["0000:06:0d.1", "Emu10k1_gameport"]
    # coreutils behaviour in scripts and with operands
    assert sh("groups").out == "root\n"
    assert sh("groups user").out == "user : user\n"
    assert sh("groups -i user").status == 2


def test_groups_rich_table_on_a_terminal(learner: Callable[..., Learner]) -> None:
    sh = learner("desktop")
    sh.session.shell.run("true")
    import io

    from iommush.shell.command import CommandContext
    from iommush.teach.overview import cmd_groups

    out = io.BytesIO()
    ctx = CommandContext(
        ["groups"],
        io.BytesIO(),
        out,
        io.BytesIO(),
        sh.kernel.fs,
        sh.kernel,
        sh.session.shell.interp,
        "/",
        {"COLUMNS": "120"},
        interactive=True,
    )
    assert cmd_groups(ctx) == 0
    text = out.getvalue().decode()
    assert "IOMMU groups" in text and "0000:01:00.1" in text and "snd_hda_intel" in text
    assert "\x1b[" in text


def test_viability_follows_the_drivers(learner: Callable[..., Learner]) -> None:
    sh = learner("desktop")
    assert sh("plan 01:00.0 --apply").status == 0
    line = next(x for x in sh("groups -i").out.splitlines() if x.startswith("11 "))
    assert line.split()[-2:] == ["vfio", "yes"]


def test_tree(learner: Callable[..., Learner]) -> None:
    sh = learner("vfio-rst")
    out = sh("tree /sys/kernel/iommu_groups/26").out
    assert out.splitlines()[0] == "/sys/kernel/iommu_groups/26"
    assert "├── devices\n│   ├── 0000:00:1e.0 -> ../../../../devices/pci0000:00/0000:00:1e.0" in out
    assert out.endswith("\n4 directories, 2 files\n")
    assert sh("tree -d -L 1 /sys").out.endswith("\n6 directories\n")
    followed = sh("tree -l -L 2 /sys/kernel/iommu_groups/26/devices").out
    assert "│   ├── 0000:06:0d.0\n" in followed
    assert "[error opening dir" in sh("tree /nonexistent").out
    assert sh("tree -L 0 /").status == 2
    assert sh("tree -x").status == 2


def test_plan_text(learner: Callable[..., Learner]) -> None:
    sh = learner("desktop")
    out = sh("plan 01:00.0").out
    assert "IOMMU group 11 goes as a whole" in out
    assert "0000:01:00.0: VGA display controller bound to nouveau: the host's display" in out
    assert "1. modprobe vfio-pci" in out
    assert "echo vfio-pci > /sys/bus/pci/devices/0000:01:00.1/driver_override" in out
    assert "driverctl set-override 0000:01:00.1 vfio-pci" in out
    assert "virsh nodedev-detach pci_0000_01_00_0" in out
    disk = sh("plan 02:00.0").out
    assert "storage controller bound to nvme: a boot disk (root=/dev/nvme0n1p2" in disk
    nic = sh("plan 04:00.0").out
    assert "network controller bound to r8169" in nic
    assert sh("ls /sys/bus/pci/drivers/vfio-pci").status != 0  # plan alone changes nothing


def test_plan_apply_and_bridges(learner: Callable[..., Learner]) -> None:
    sh = learner("vfio-rst")
    res = sh("plan 06:0d.0 --apply")
    assert res.status == 0, res.err
    assert "0000:00:1e.0 is a bridge in the group: it stays with the host" in res.out
    assert "Result: group 26 is viable; /dev/vfio/26 is ready" in res.out
    assert sh("readlink /sys/bus/pci/devices/0000:06:0d.1/driver").out.endswith("vfio-pci\n")
    again = sh("plan 06:0d.0")
    assert "(none: already done)" in again.out
    assert sh("plan 00:1e.0").status == 1
    assert sh("plan").status == 2
    assert sh("plan 77:00.0").status == 1


def test_plan_apply_reports_a_group_that_stays_unviable(learner: Callable[..., Learner]) -> None:
    sh = learner("desktop", user="user")
    res = sh("plan 04:00.0 --apply")
    assert res.status != 0
    assert "is not viable: still bound to DMA-API drivers: 0000:04:00.0 (r8169)" in res.out
    assert res.err  # the refused step said why


def test_without_the_model(sh: Harness) -> None:
    assert sh("plan", "01:00.0").status == 1
    sh.interactive = True
    res = sh("groups")
    assert res.status == 0 and "7" in res.out
