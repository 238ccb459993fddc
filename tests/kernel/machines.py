"""Machines built in code for the kernel tests (the machines package owns TOML fixtures)."""

from __future__ import annotations

from iommush.kernel import Kernel, boot
from iommush.kernel.spec import (
    GroupSpec,
    IommuUnitSpec,
    MachineSpec,
    PciFunctionSpec,
    ReservedRegionSpec,
)

__all__ = [
    "acs_switch",
    "boot_q35",
    "q35",
    "sriov_nic",
    "vfio_rst",
]

Q35_MODULES = [
    "vfio",
    "vfio_iommu_type1",
    "vfio_pci_core",
    "vfio_pci",
    "pci_stub",
    "e1000e",
    "e1000",
    "mii",
    "8139cp",
    "virtio_net",
    "virtio_blk",
]


def _mac(n: int) -> str:
    return f"52:54:00:12:34:{0x56 + n:02x}"


def q35(
    iommu: str = "intel", kernel: str = "6.12.107+deb13-amd64", cmdline: str | None = None
) -> MachineSpec:
    """The QEMU q35 machine of the conformance transcripts (topology t1)."""
    F = PciFunctionSpec
    pci = [
        F("0000:00:00.0", 0x8086, 0x29C0, 0x060000, 0x1AF4, 0x1100, role="host_bridge"),
        F(
            "0000:00:02.0",
            0x8086,
            0x10D3,
            0x020000,
            0x8086,
            0x0000,
            role="rc_integrated",
            driver="e1000e",
            mac=_mac(0),
            irq=22,
        ),
        F(
            "0000:00:03.0",
            0x1AF4,
            0x1000,
            0x020000,
            0x1AF4,
            0x0001,
            driver="virtio-pci",
            mac=_mac(1),
            irq=23,
        ),
        F("0000:00:04.0", 0x1AF4, 0x1001, 0x010000, 0x1AF4, 0x0002, driver="virtio-pci", irq=20),
        F(
            "0000:00:05.0",
            0x8086,
            0x100E,
            0x020000,
            0x1AF4,
            0x1100,
            revision=3,
            driver="e1000",
            mac=_mac(2),
            multifunction=True,
            irq=21,
        ),
        F(
            "0000:00:05.1",
            0x8086,
            0x100E,
            0x020000,
            0x1AF4,
            0x1100,
            revision=3,
            driver="e1000",
            mac=_mac(3),
            multifunction=False,
            irq=22,
        ),
        F("0000:00:06.0", 0x1B36, 0x0001, 0x060400, role="pci_bridge", secondary_bus=1, irq=22),
        F(
            "0000:00:07.0",
            0x1B36,
            0x000C,
            0x060400,
            role="root_port",
            secondary_bus=2,
            acs=True,
            driver="pcieport",
            irq=23,
        ),
        F(
            "0000:00:1f.0",
            0x8086,
            0x2918,
            0x060100,
            0x1AF4,
            0x1100,
            revision=2,
            multifunction=True,
            can_reset=False,
        ),
        F(
            "0000:00:1f.2",
            0x8086,
            0x2922,
            0x010601,
            0x1AF4,
            0x1100,
            revision=2,
            multifunction=True,
            irq=16,
        ),
        F(
            "0000:00:1f.3",
            0x8086,
            0x2930,
            0x0C0500,
            0x1AF4,
            0x1100,
            revision=2,
            multifunction=True,
            irq=16,
        ),
        F(
            "0000:01:01.0",
            0x8086,
            0x100E,
            0x020000,
            0x1AF4,
            0x1100,
            revision=3,
            driver="e1000",
            mac=_mac(4),
            irq=21,
        ),
        F(
            "0000:01:02.0",
            0x1AF4,
            0x1000,
            0x020000,
            0x1AF4,
            0x0001,
            driver="virtio-pci",
            mac=_mac(5),
            irq=22,
        ),
        F(
            "0000:01:03.0",
            0x10EC,
            0x8139,
            0x020000,
            0x1AF4,
            0x1100,
            revision=0x20,
            driver="8139cp",
            mac=_mac(6),
            irq=21,
        ),
        F(
            "0000:02:00.0",
            0x1AF4,
            0x1041,
            0x020000,
            0x1AF4,
            0x1100,
            revision=1,
            driver="virtio-pci",
            mac=_mac(7),
            irq=23,
        ),
    ]
    iommus: list[IommuUnitSpec] = []
    modules = list(Q35_MODULES)
    default_cmd = "console=ttyS0 panic=-1 loglevel=1 oracle.mode=full"
    if iommu == "intel":
        scope = [f.bdf for f in pci if f.bus == 0]
        iommus = [
            IommuUnitSpec(
                "dmar0",
                "intel",
                base_address=0xFED90000,
                cap=0xD2008C22260206,
                ecap=0xF00F4A,
                address_width=39,
                scope_devices=scope,
            )
        ]
        default_cmd += " intel_iommu=on"
    elif iommu == "amd":
        pci.insert(1, F("0000:00:01.0", 0x1022, 0x0008, 0x080600, 0x1AF4, 0x1100))
        iommus = [
            IommuUnitSpec("ivhd0", "amd", pci_function="0000:00:01.0", cap=0x1F03000F, ecap=0x29D3)
        ]
    elif iommu == "virtio":
        pci.insert(
            1,
            F(
                "0000:00:01.0",
                0x1AF4,
                0x1057,
                0x00FF00,
                0x1AF4,
                0x1100,
                revision=1,
                driver="virtio-pci",
            ),
        )
        iommus = [IommuUnitSpec("virtio0", "virtio-iommu", pci_function="0000:00:01.0")]
        modules = ["virtio_iommu"] + modules
    return MachineSpec(
        "q35",
        kernel=kernel,
        cmdline=cmdline or default_cmd,
        iommus=iommus,
        pci=pci,
        modules=modules,
        memory=1 << 30,
    )


def boot_q35(
    iommu: str = "intel", kernel: str = "6.12.107+deb13-amd64", cmdline: str | None = None
) -> Kernel:
    return boot(q35(iommu, kernel, cmdline))


def vfio_rst(kernel: str = "6.12") -> MachineSpec:
    """vfio.rst: 00:1e.0 (82801 PCI bridge) with 06:0d.0 and 06:0d.1 behind it."""
    F = PciFunctionSpec
    pci = [
        F("0000:00:00.0", 0x8086, 0x2E10, 0x060000, role="host_bridge"),
        F("0000:00:1a.0", 0x8086, 0x3A37, 0x0C0300, driver="xhci_hcd"),
        F("0000:00:1b.0", 0x8086, 0x3A3E, 0x040300, driver="snd_hda_intel"),
        F(
            "0000:00:1e.0",
            0x8086,
            0x244E,
            0x060401,
            role="pci_bridge",
            secondary_bus=6,
            revision=0x90,
        ),
        F("0000:00:1f.0", 0x8086, 0x3A18, 0x060100, multifunction=True, driver="lpc_ich"),
        F("0000:06:0d.0", 0x1102, 0x0002, 0x040100, revision=8, driver="snd_emu10k1"),
        F("0000:06:0d.1", 0x1102, 0x7002, 0x098000, revision=8, driver="emu10k1_gp"),
    ]
    iommus = [
        IommuUnitSpec(
            "dmar0", "intel", base_address=0xFED90000, cap=0xC9008020660262, ecap=0xF0105A
        )
    ]
    rmrr = [ReservedRegionSpec(0x7B800000, 0x7F7FFFFF, "rmrr", ["0000:00:1a.0"])]
    groups = [GroupSpec(26, ["0000:00:1e.0", "0000:06:0d.0", "0000:06:0d.1"])]
    return MachineSpec(
        "vfio-rst",
        kernel=kernel,
        cmdline="intel_iommu=on",
        iommus=iommus,
        pci=pci,
        reserved=rmrr,
        groups=groups,
    )


def acs_switch(acs: bool, kernel: str = "6.12") -> MachineSpec:
    """Root port -> switch (upstream + 2 downstream ports) -> one endpoint each."""
    F = PciFunctionSpec
    pci = [
        F("0000:00:00.0", 0x8086, 0x29C0, 0x060000, role="host_bridge"),
        F(
            "0000:00:1c.0",
            0x8086,
            0xA110,
            0x060400,
            role="root_port",
            secondary_bus=1,
            acs=True,
            driver="pcieport",
        ),
        F(
            "0000:01:00.0",
            0x10B5,
            0x8747,
            0x060400,
            role="upstream_port",
            secondary_bus=2,
            driver="pcieport",
        ),
        F(
            "0000:02:08.0",
            0x10B5,
            0x8747,
            0x060400,
            role="downstream_port",
            secondary_bus=3,
            acs=acs,
            driver="pcieport",
        ),
        F(
            "0000:02:10.0",
            0x10B5,
            0x8747,
            0x060400,
            role="downstream_port",
            secondary_bus=4,
            acs=acs,
            driver="pcieport",
        ),
        F("0000:03:00.0", 0x144D, 0xA808, 0x010802, pcie=True, driver="nvme"),
        F("0000:04:00.0", 0x144D, 0xA808, 0x010802, pcie=True, driver="nvme"),
    ]
    iommus = [IommuUnitSpec("dmar0", "intel", base_address=0xFED90000)]
    return MachineSpec("switch", kernel=kernel, cmdline="intel_iommu=on", iommus=iommus, pci=pci)


def sriov_nic(kernel: str = "6.12", acs: bool = True) -> MachineSpec:
    """An igb PF with 7 VFs possible behind an ACS root port."""
    F = PciFunctionSpec
    pci = [
        F("0000:00:00.0", 0x8086, 0x29C0, 0x060000, role="host_bridge"),
        F(
            "0000:00:1c.0",
            0x8086,
            0xA110,
            0x060400,
            role="root_port",
            secondary_bus=1,
            acs=acs,
            driver="pcieport",
        ),
        F(
            "0000:01:00.0",
            0x8086,
            0x10C9,
            0x020000,
            pcie=True,
            driver="igb",
            sriov_totalvfs=7,
            sriov_vf_device=0x10CA,
            sriov_offset=0x80,
            sriov_stride=2,
        ),
    ]
    iommus = [IommuUnitSpec("dmar0", "intel", base_address=0xFED90000)]
    return MachineSpec(
        "sriov",
        kernel=kernel,
        cmdline="intel_iommu=on",
        iommus=iommus,
        pci=pci,
        modules=["vfio", "vfio_iommu_type1", "vfio_pci_core", "vfio_pci", "igbvf"],
    )
