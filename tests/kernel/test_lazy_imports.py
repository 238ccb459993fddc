"""Booting a machine loads only what booting needs: the IOVA allocator, VFIO and its
ioctl ABI, and the drivers of IOMMUs the machine does not have are imported when first
used."""

from __future__ import annotations

import json
import subprocess
import sys

from iommush.iova import GRANULES
from iommush.kernel.dma_iommu import IOVA_GRANULES

_PROBE = """
import json, sys
from iommush.machine import load_machine
from iommush.kernel import boot
from iommush.kernel.kernel import _OPS
spec = load_machine("desktop")
boot(spec)
lazy = ("iommush.iova", "iommush.uapi.vfio", "iommush.kernel.vfio")
hw = {m for m in sys.modules if m.startswith("iommush.kernel.hw.")} - {"iommush.kernel.hw.base"}
print(json.dumps({
    "loaded": [m for m in lazy if m in sys.modules],
    "hw": sorted(hw),
    "want_hw": sorted({"iommush.kernel.hw." + _OPS[u.driver][0] for u in spec.iommus}),
}))
"""


def test_the_kernels_granules_are_the_allocators() -> None:
    assert IOVA_GRANULES == GRANULES


def test_boot_imports_only_what_it_uses() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True
    ).stdout
    seen = json.loads(out)
    assert seen["loaded"] == []
    assert seen["hw"] == seen["want_hw"]
