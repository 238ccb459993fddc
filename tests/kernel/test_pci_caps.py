"""PCI Express attributes that follow the config space: link speed/width, AER, ``link/``."""

from __future__ import annotations

import struct

from iommush.kernel import boot
from iommush.kernel.pci_caps import find_ext_capability, pcie_link_caps, pcie_link_status

from .machines import q35


def _pcie_config(vendor: int, device: int, aer: bool) -> bytes:
    cfg = bytearray(4096)
    struct.pack_into("<HHHH", cfg, 0, vendor, device, 0x0007, 0x0010)  # status: cap list
    cfg[0x34] = 0x40
    cfg[0x40:0x44] = bytes([0x10, 0x00, 0x92, 0x00])  # PCIe cap v2, RCiEP (type 9)
    struct.pack_into("<I", cfg, 0x4C, 0x1 | (1 << 4))  # LNKCAP: 2.5 GT/s x1
    struct.pack_into("<H", cfg, 0x52, 0x1 | (1 << 4))  # LNKSTA: 2.5 GT/s x1
    if aer:
        struct.pack_into("<I", cfg, 0x100, 0x0001 | (2 << 16))  # AER, last capability
    return bytes(cfg)


def test_config_parsing() -> None:
    cfg = _pcie_config(0x8086, 0x10D3, aer=True)
    assert pcie_link_caps(cfg) == (1, 1) and pcie_link_status(cfg) == (1, 1)
    assert find_ext_capability(cfg, 0x0001) == 0x100
    assert find_ext_capability(_pcie_config(0x8086, 0x10D3, aer=False), 0x0001) == 0


def test_pcie_function_with_aer_shows_link_and_aer_files() -> None:
    spec = q35("intel")
    e1000e = next(f for f in spec.pci if f.bdf == "0000:00:02.0")
    e1000e.config = _pcie_config(0x8086, 0x10D3, aer=True)
    k = boot(spec)
    d = "/sys/bus/pci/devices/0000:00:02.0"
    assert k.fs.read_bytes(f"{d}/current_link_speed") == b"2.5 GT/s PCIe\n"
    assert k.fs.read_bytes(f"{d}/max_link_width") == b"1\n"
    aer = k.fs.read_bytes(f"{d}/aer_dev_correctable").decode().splitlines()
    assert aer[0] == "RxErr 0" and aer[-1] == "TOTAL_ERR_COR 0"
    assert k.fs.read_bytes(f"{d}/aer_dev_fatal").decode().splitlines()[-1] == "TOTAL_ERR_FATAL 0"
    assert k.fs.listdir(f"{d}/link") == []


def test_conventional_function_has_no_link_files() -> None:
    k = boot(q35("intel"))
    d = "/sys/bus/pci/devices/0000:01:01.0"
    names = set(k.fs.listdir(d))
    assert "link" in names
    assert not names & {"current_link_speed", "aer_dev_fatal"}
    assert "reset_subordinate" in k.fs.listdir("/sys/bus/pci/devices/0000:00:06.0")
