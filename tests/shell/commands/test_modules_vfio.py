"""modprobe, rmmod, lsmod, lspci, vfio, and the conformance helpers."""

from __future__ import annotations


def test_modprobe(m):
    assert m.run("modprobe", "vfio-pci") == (b"", b"", 0)
    assert "vfio_pci" in m.system.loaded
    assert m.run("modprobe", "vfio-pci") == (b"", b"", 0)
    out, err, rc = m.run("modprobe", "foo")
    assert (err, rc) == (
        b"modprobe: FATAL: Module foo not found in directory /lib/modules/6.12.107+deb13-amd64\n",
        1,
    )
    m.system.in_use.add("vfio_pci")
    assert m.run("modprobe", "-r", "vfio-pci")[1:] == (
        b"modprobe: FATAL: Module vfio_pci is in use.\n",
        1,
    )
    m.system.in_use.clear()
    assert m.run("modprobe", "-rv", "vfio_pci") == (b"rmmod vfio_pci\n", b"", 0)
    assert m.run("rmmod", "vfio_pci")[1:] == (
        b"rmmod: ERROR: Module vfio_pci is not currently loaded\n",
        1,
    )
    assert m.run("runas", "1000", "-", "modprobe", "vfio")[1:] == (
        b"modprobe: ERROR: could not insert 'vfio': Operation not permitted\n",
        1,
    )
    assert m.run("modprobe")[1:] == (b"modprobe: ERROR: missing parameters. See -h.\n", 1)
    assert (
        m.run("lsmod")[0]
        == b"Module                  Size  Used by\ne1000e                     0  0\n"
    )


def test_lspci_terse_and_numeric(m):
    out, _, rc = m.run("lspci")
    assert out == (
        b"00:00.0 Host bridge: Intel Corporation Device 29c0\n"
        b"00:02.0 Ethernet controller: Intel Corporation Device 10d3\n"
        b"00:06.0 PCI bridge: Red Hat, Inc. Device 0001\n"
        b"01:01.0 Ethernet controller: Realtek Semiconductor Co., Ltd. Device 8139 "
        b"(rev 20)\n"
    )
    assert m.run("lspci", "-n", "-s", "01:01.0")[0] == b"01:01.0 0200: 10ec:8139 (rev 20)\n"
    assert m.run("lspci", "-nns", "0000:00:02.0")[0] == (
        b"00:02.0 Ethernet controller [0200]: Intel Corporation Device [8086:10d3]\n"
    )
    assert m.run("lspci", "-D", "-d", "1b36:")[0] == (
        b"0000:00:06.0 PCI bridge: Red Hat, Inc. Device 0001\n"
    )


def test_lspci_kernel_and_pci_ids(m):
    m.fs.resolve("/").add(__import__("iommush.vfs", fromlist=["Dir"]).Dir("usr", creatable=True))
    m.fs.mkdir("/usr/share")
    m.fs.mkdir("/usr/share/misc")
    m.fs.write_bytes(
        "/usr/share/misc/pci.ids",
        b"# comment\n8086  Intel Corporation\n\t10d3  82574L Gigabit Network "
        b"Connection\n\t\t8086 0000  Gigabit CT Desktop Adapter\n"
        b"C 02  Network controller\n\t00  Ethernet controller\n",
    )
    out, _, _ = m.run("lspci", "-k", "-s", "02.0")
    assert out == (
        b"00:02.0 Ethernet controller: Intel Corporation 82574L Gigabit Network "
        b"Connection\n\tSubsystem: Intel Corporation Gigabit CT Desktop Adapter\n"
        b"\tKernel driver in use: e1000e\n"
    )
    out, _, _ = m.run("lspci", "-mm", "-s", "02.0")
    assert out == (
        b'00:02.0 "Ethernet controller" "Intel Corporation" "82574L Gigabit Network '
        b'Connection" "Intel Corporation" "Gigabit CT Desktop Adapter"\n'
    )


def test_lspci_tree(m):
    assert m.run("lspci", "-t")[0] == (
        b"-[0000:00]-+-00.0\n           +-02.0\n           \\-06.0-[01]----01.0\n"
    )


def test_vfio_attach_detach(m):
    out, err, rc = m.run("vfio", "attach", "0000:00:02.0")
    assert (err, rc) == (b"", 0)
    assert m.group1.owned
    assert b"group 1 attached" in out
    assert m.run("vfio", "status")[0].startswith(b"group 1: held")
    assert m.run("echo", "x")[2] == 0
    assert m.run("vfio", "map", "1", "0x0", "0x100000")[2] == 0
    assert m.group1.maps == [(0, 0x100000)]
    assert (
        m.run("vfio", "map", "1", "0x10", "0x100")[1]
        == b"vfio: VFIO_MAP_DMA failed: Invalid argument\n"
    )
    assert m.run("vfio", "attach", "1")[1] == b"vfio: group 1 is already attached\n"
    assert m.run("vfio", "detach")[0] == b"vfio: group 1 released\n"
    assert not m.group1.owned


def test_vfio_not_viable(m):
    m.group1.viable = False
    out, err, rc = m.run("vfio", "attach", "1")
    assert rc == 1
    assert err.startswith(
        b"vfio: error, group 1 is not viable, please ensure all devices within "
        b"the iommu_group are bound to their vfio bus driver.\n"
    )
    assert b"0000:00:02.0: bound to e1000e" in err
    assert m.run("vfio", "status")[0] == b"vfio: no groups held\n"


def test_sysfs_write(m):
    t = "/sys/kernel/iommu_groups/1/type"
    assert m.run("sysfs-write", t, "identity\\n") == (b"open=ok write(len=9)=9\n", b"", 0)
    assert m.group1.type == "identity"
    assert m.run("sysfs-write", t, "foo") == (
        b"open=ok write(len=3)=-1 errno=22 EINVAL (Invalid argument)\n",
        b"",
        1,
    )
    assert m.run("sysfs-write", "/sys/kernel/iommu_groups/1/reserved_regions", "x") == (
        b"open=-1 errno=13 EACCES (Permission denied)\n",
        b"",
        2,
    )
    assert m.run("sysfs-write", t, "--empty") == (b"open=ok write(len=0)=0\n", b"", 0)
    assert m.run("sysfs-write", t, "--repeat", "5000", "A")[0] == (
        b"open=ok write(len=5000)=-1 errno=22 EINVAL (Invalid argument)\n"
    )
    assert m.run("sysfs-write", t)[1:] == (
        b"usage: sysfs-write FILE STRING | --repeat N C | --empty\n",
        3,
    )
    assert m.run("runas", "-", "21", "sysfs-write", t, "DMA")[0] == (
        b"open=ok write(len=3)=-1 errno=13 EACCES (Permission denied)\n"
    )
    m.fs.write_bytes("/tmp/x", b"")
    assert m.run("sysfs-write", "/tmp/x", "DMA\\0junk\\x41\\q\\")[0] == (
        b"open=ok write(len=11)=11\n"
    )
    assert m.fs.read_bytes("/tmp/x") == b"DMA\0junkAq\\"


def test_vfio_claim(m):
    out, err, rc = m.run("vfio-claim", "1", "sysfs-write", "/sys/kernel/iommu_groups/1/type", "DMA")
    assert out == (
        b"vfio-claim: open(/dev/vfio/vfio)=3\n"
        b"vfio-claim: open(/dev/vfio/1)=4\n"
        b"vfio-claim: VFIO_GROUP_GET_STATUS=0 flags=0x1 (viable=1 container_set=0)\n"
        b"vfio-claim: VFIO_GROUP_SET_CONTAINER=0\n"
        b"vfio-claim: VFIO_SET_IOMMU(TYPE1v2)=0\n"
        b"open=ok write(len=3)=-1 errno=1 EPERM (Operation not permitted)\n"
        b"vfio-claim: VFIO_GROUP_UNSET_CONTAINER=0\n"
        b"vfio-claim: released group 1\n"
    )
    assert rc == 1 and not m.group1.owned
    m.group1.viable = False
    out, _, rc = m.run("vfio-claim", "1", "true")
    assert out.endswith(
        b"VFIO_GROUP_GET_STATUS=0 flags=0x0 (viable=0 container_set=0)\n"
        b"vfio-claim: VFIO_GROUP_SET_CONTAINER=-1 Operation not permitted\n"
    )
    assert rc == 103
    out, _, rc = m.run("vfio-claim", "7", "true")
    assert out == (
        b"vfio-claim: open(/dev/vfio/vfio)=3\n"
        b"vfio-claim: open(/dev/vfio/7)=-1 No such file or directory\n"
    )
    assert rc == 102


def test_runas_su_sudo_xargs(m):
    t = "/sys/kernel/iommu_groups/1/type"
    assert m.run("runas", "1000", "-", "sysfs-write", t, "DMA") == (
        b"open=-1 errno=13 EACCES (Permission denied)\n",
        b"",
        2,
    )
    assert m.run("runas", "1000")[1:] == (b"usage: runas UID|- CAPS|- CMD...\n", 100)
    assert m.run("su", "user", "-c", "whoami")[0] == b"user\n"
    assert m.run("su", "nobody", "-c", "id")[2] == 1
    assert m.run("runas", "1000", "-", "su", "root", "-c", "id")[1:] == (
        b"su: Authentication failure\n",
        1,
    )
    assert m.run("runas", "1000", "-", "sudo", "whoami")[0] == b"root\n"
    assert m.run("sudo", "-u", "user", "id", "-u")[0] == b"1000\n"
    assert m.run("xargs", "-n", "1", "basename", stdin=b"/a/b /c/d\n")[0] == b"b\nd\n"
    assert (
        m.run("xargs", "-I", "{}", "cat", "/sys/kernel/iommu_groups/{}/type", stdin=b"1\n")[0]
        == b"DMA-FQ\n"
    )
    assert m.run("xargs", "-r", "echo", "x", stdin=b"")[0] == b""
    assert m.run("xargs", "echo", stdin=b"")[0] == b"\n"
