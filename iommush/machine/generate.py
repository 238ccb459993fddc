"""Generated machines for scale: large SR-IOV hosts.

:func:`generate_sriov_host` builds an Intel host whose every PF sits alone behind its own
ACS-capable root port, with all its VFs enabled at boot. The VFs are written as explicit
functions (``physfn`` set) in the PF's routing-ID range - ``PCI_SRIOV_VF_OFFSET`` 1,
stride 1, spilling onto the following bus numbers as the SR-IOV spec does
(``pci_iov_virtfn_bus``) - and every function gets its own pinned group, which is how
such a host's ``/sys/kernel/iommu_groups`` looks with ACS everywhere.
"""

from __future__ import annotations

from iommush.kernel.spec import GroupSpec, IommuUnitSpec, MachineSpec, PciFunctionSpec

__all__ = ["generate_sriov_host"]

_PF_DEVICE = 0x1017  # ConnectX-5 (mlx5_core, has sriov_configure)
_VF_DEVICE = 0x1018


def _bdf(bus: int, devfn: int) -> str:
    return f"0000:{bus:02x}:{devfn >> 3:02x}.{devfn & 7}"


def generate_sriov_host(pfs: int, vfs_per_pf: int) -> MachineSpec:
    """A host with ``pfs`` SR-IOV NICs, each with ``vfs_per_pf`` VFs enabled at boot.

    ``pfs * (1 + vfs_per_pf)`` endpoint functions (plus the host bridge and one root port
    per PF), each in its own group. ValueError if the PCI bus numbers do not suffice.
    """
    if pfs < 1 or vfs_per_pf < 0 or vfs_per_pf > 255:
        raise ValueError("need pfs >= 1 and 0 <= vfs_per_pf <= 255")
    buses_per_pf = (vfs_per_pf + 1 + 255) // 256
    if 1 + pfs * buses_per_pf > 256 or pfs > 31 * 8:
        raise ValueError(f"{pfs} PFs x {vfs_per_pf} VFs do not fit in one PCI segment")
    spec = MachineSpec(
        name=f"sriov-{pfs}x{vfs_per_pf}",
        description=f"generated SR-IOV host: {pfs} PFs x {vfs_per_pf} VFs",
        kernel="6.12",
        cmdline="intel_iommu=on",
        hostname="sriov-host",
        memory=512 << 30,
        iommus=[IommuUnitSpec(name="dmar0", driver="intel", base_address=0xFED90000)],
    )
    spec.pci.append(
        PciFunctionSpec(
            "0000:00:00.0",
            vendor=0x8086,
            device=0x09A2,
            class_code=0x060000,
            role="host_bridge",
            can_reset=False,
            vendor_name="Intel Corporation",
            device_name="Ice Lake Memory Map/VT-d",
        )
    )
    endpoints: list[PciFunctionSpec] = []
    bus = 1
    for i in range(pfs):
        port = _bdf(0, 8 + i)  # 00:01.0 onwards
        spec.pci.append(
            PciFunctionSpec(
                port,
                vendor=0x8086,
                device=0x347A,
                class_code=0x060400,
                role="root_port",
                secondary_bus=bus,
                acs=True,
                driver="pcieport",
                vendor_name="Intel Corporation",
                device_name="Ice Lake PCIe Root Port",
            )
        )
        pf = _bdf(bus, 0)
        endpoints.append(
            PciFunctionSpec(
                pf,
                vendor=0x15B3,
                device=_PF_DEVICE,
                class_code=0x020000,
                sriov_totalvfs=max(vfs_per_pf, 1),
                sriov_vf_device=_VF_DEVICE,
                sriov_offset=1,
                sriov_stride=1,
                driver="mlx5_core",
                multifunction=False,
                acs=True,
                vendor_name="Mellanox Technologies",
                device_name="MT27800 Family [ConnectX-5]",
            )
        )
        for vf in range(vfs_per_pf):
            rid = (bus << 8) + 1 + vf
            endpoints.append(
                PciFunctionSpec(
                    _bdf(rid >> 8, rid & 0xFF),
                    vendor=0x15B3,
                    device=_VF_DEVICE,
                    class_code=0x020000,
                    physfn=pf,
                    multifunction=False,
                    acs=True,
                    driver="mlx5_core",
                    vendor_name="Mellanox Technologies",
                    device_name="MT27800 Family [ConnectX-5 Virtual Function]",
                )
            )
        bus += buses_per_pf
    spec.pci.extend(endpoints)
    spec.groups = [GroupSpec(id=i, devices=[d.bdf]) for i, d in enumerate(spec.pci)]
    return spec
