"""The PCI drivers the model knows: name, module, ID table, ``driver_managed_dma``.

A :class:`PciDriverInfo` is the static part of ``struct pci_driver``; what a driver
prints and does in its probe/remove lives in :mod:`iommush.kernel.drivers`.
Unknown drivers of imported machines get :meth:`PciDriverInfo.for_devices`.

>>> PCI_DRIVERS["vfio-pci"].driver_managed_dma, PCI_DRIVERS["e1000e"].driver_managed_dma
(True, False)
>>> PCI_DRIVERS["vfio-pci"].module
'vfio_pci'
"""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["PCI_ANY_ID", "PCI_DRIVERS", "PciDeviceId", "PciDriverInfo", "MODULE_DEPS"]

PCI_ANY_ID = 0xFFFFFFFF


class PciDeviceId(NamedTuple):
    """``struct pci_device_id`` (``override_only``: matches only through driver_override)."""

    vendor: int = PCI_ANY_ID
    device: int = PCI_ANY_ID
    subvendor: int = PCI_ANY_ID
    subdevice: int = PCI_ANY_ID
    class_: int = 0
    class_mask: int = 0
    driver_data: int = 0
    override_only: bool = False

    def matches(self, vendor: int, device: int, subv: int, subd: int, cls: int) -> bool:
        """``pci_match_one_device()``."""
        return (
            self.vendor in (PCI_ANY_ID, vendor)
            and self.device in (PCI_ANY_ID, device)
            and self.subvendor in (PCI_ANY_ID, subv)
            and self.subdevice in (PCI_ANY_ID, subd)
            and not ((self.class_ ^ cls) & self.class_mask)
        )


class PciDriverInfo(NamedTuple):
    """A PCI driver as the catalog describes it."""

    name: str
    module: str | None  # None: built into the kernel image
    ids: tuple[PciDeviceId, ...] = ()
    driver_managed_dma: bool = False
    #: The driver has ``sriov_configure`` (``sriov_numvfs`` writes reach it).
    sriov_configure: bool = False
    #: What its probe does (see drivers.py): "ok", "net", "virtio", "fail", ...
    kind: str = "ok"
    #: Messages printed once when the module loads (``pr_info`` in module_init).
    init_log: tuple[str, ...] = ()
    #: Modules that must be loaded first (``modprobe`` loads them, ``rmmod`` refuses).
    depends: tuple[str, ...] = ()

    @property
    def builtin(self) -> bool:
        return self.module is None

    @classmethod
    def for_devices(cls, name: str, ids: list[tuple[int, int]]) -> PciDriverInfo:
        """An ordinary DMA-API driver matching exactly ``(vendor, device)`` pairs, for
        drivers of imported machines the catalog does not know."""
        table = tuple(PciDeviceId(v, d) for v, d in ids)
        return cls(name, name.replace("-", "_"), table)


def _ids(*pairs: tuple[int, int]) -> tuple[PciDeviceId, ...]:
    return tuple(PciDeviceId(v, d) for v, d in pairs)


def _cls(cls_: int, mask: int = 0xFFFFFF) -> PciDeviceId:
    return PciDeviceId(class_=cls_, class_mask=mask)


_E1000E_INIT = (
    "e1000e: Intel(R) PRO/1000 Network Driver",
    "e1000e: Copyright(c) 1999 - 2015 Intel Corporation.",
)
_E1000_INIT = (
    "e1000: Intel(R) PRO/1000 Network Driver",
    "e1000: Copyright (c) 1999-2006 Intel Corporation.",
)

_CATALOG: list[PciDriverInfo] = [
    # built-in drivers (Debian's kernel image), in registration order
    PciDriverInfo("pcieport", None, (_cls(0x060400), _cls(0x060401)), True, kind="pcieport"),
    PciDriverInfo(
        "shpchp",
        None,
        (_cls(0x060400),),
        kind="shpchp",
        init_log=("shpchp: Standard Hot Plug PCI Controller Driver version: 0.4",),
    ),
    PciDriverInfo("virtio-pci", None, (PciDeviceId(0x1AF4),), kind="virtio"),
    PciDriverInfo("agpgart-intel", None, _ids((0x8086, 0x29C0)), kind="enodev"),
    PciDriverInfo("agpgart-sis", None, _ids((0x1039, 0x0001)), kind="enodev"),
    PciDriverInfo("agpgart-via", None, _ids((0x1106, 0x0305)), kind="enodev"),
    PciDriverInfo("serial", None, (_cls(0x070002, 0xFFFF00),)),
    PciDriverInfo("8250_mid", None, _ids((0x8086, 0x1191))),
    PciDriverInfo("8250_pericom", None, _ids((0x12D8, 0x7952))),
    PciDriverInfo("iosf_mbi_pci", None, _ids((0x8086, 0x0F00))),
    PciDriverInfo("xen-platform-pci", None, _ids((0x5853, 0x0001)), kind="enodev"),
    # modules
    PciDriverInfo(
        "vfio-pci",
        "vfio_pci",
        (PciDeviceId(override_only=True),),
        True,
        kind="vfio",
        depends=("vfio", "vfio_iommu_type1", "vfio_pci_core"),
    ),
    PciDriverInfo("pci-stub", "pci_stub", (), True, kind="stub"),
    PciDriverInfo(
        "e1000e",
        "e1000e",
        _ids((0x8086, 0x10D3), (0x8086, 0x15B8), (0x8086, 0x1502)),
        kind="net",
        init_log=_E1000E_INIT,
    ),
    PciDriverInfo(
        "e1000",
        "e1000",
        _ids((0x8086, 0x100E), (0x8086, 0x100F), (0x8086, 0x1026)),
        kind="net",
        init_log=_E1000_INIT,
    ),
    PciDriverInfo(
        "8139cp",
        "8139cp",
        (PciDeviceId(0x10EC, 0x8139),),
        kind="net",
        init_log=("8139cp: 8139cp: 10/100 PCI Ethernet driver v1.3 (Mar 22, 2004)",),
        depends=("mii",),
    ),
    PciDriverInfo(
        "igb",
        "igb",
        _ids((0x8086, 0x10C9), (0x8086, 0x1533), (0x8086, 0x1521)),
        sriov_configure=True,
        kind="net",
    ),
    PciDriverInfo("igbvf", "igbvf", _ids((0x8086, 0x10CA), (0x8086, 0x1520)), kind="net"),
    PciDriverInfo(
        "ixgbe", "ixgbe", _ids((0x8086, 0x10FB), (0x8086, 0x1528)), sriov_configure=True, kind="net"
    ),
    PciDriverInfo("ixgbevf", "ixgbevf", _ids((0x8086, 0x10ED), (0x8086, 0x1515)), kind="net"),
    PciDriverInfo(
        "i40e", "i40e", _ids((0x8086, 0x1572), (0x8086, 0x1583)), sriov_configure=True, kind="net"
    ),
    PciDriverInfo("iavf", "iavf", _ids((0x8086, 0x154C), (0x8086, 0x1889)), kind="net"),
    PciDriverInfo(
        "mlx5_core",
        "mlx5_core",
        _ids((0x15B3, 0x1017), (0x15B3, 0x1018), (0x15B3, 0x101B), (0x15B3, 0x101C)),
        sriov_configure=True,
    ),
    PciDriverInfo("nvme", "nvme", (_cls(0x010802),)),
    PciDriverInfo("ahci", "ahci", (_cls(0x010601),)),
    PciDriverInfo("xhci_hcd", "xhci_pci", (_cls(0x0C0330),)),
    PciDriverInfo("snd_hda_intel", "snd_hda_intel", (_cls(0x040300, 0xFFFF00),)),
    PciDriverInfo("i915", "i915", (PciDeviceId(0x8086, class_=0x030000, class_mask=0xFF0000),)),
    PciDriverInfo("amdgpu", "amdgpu", (PciDeviceId(0x1002, class_=0x030000, class_mask=0xFF0000),)),
    PciDriverInfo(
        "nouveau", "nouveau", (PciDeviceId(0x10DE, class_=0x030000, class_mask=0xFF0000),)
    ),
    PciDriverInfo("nvidia", "nvidia", (PciDeviceId(0x10DE, class_=0x030000, class_mask=0xFF0000),)),
    PciDriverInfo("i801_smbus", "i2c_i801", _ids((0x8086, 0x2930), (0x8086, 0xA323))),
    PciDriverInfo("lpc_ich", "lpc_ich", _ids((0x8086, 0x2918), (0x8086, 0x3A18))),
]

#: Every PCI driver the model knows, by its name in ``/sys/bus/pci/drivers``.
PCI_DRIVERS: dict[str, PciDriverInfo] = {d.name: d for d in _CATALOG}

#: Modules that carry no PCI driver but that others depend on, and what they print.
MODULE_DEPS: dict[str, tuple[str, ...]] = {
    "vfio": ("VFIO - User Level meta-driver version: 0.3",),
    "vfio_iommu_type1": (),
    "vfio_pci_core": (),
    "irqbypass": (),
    "mii": (),
    "virtio_net": (),
    "virtio_blk": (),
    "failover": (),
    "net_failover": (),
}
