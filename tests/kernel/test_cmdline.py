"""Boot-time default domain type from the kernel command line."""

from __future__ import annotations

import pytest

from .helpers import type_of
from .machines import boot_q35

BASE = "console=ttyS0 intel_iommu=on"


@pytest.mark.parametrize(
    "extra,gtype,lines",
    [
        (
            "",
            "DMA-FQ",
            [
                "iommu: Default domain type: Translated",
                "iommu: DMA domain TLB invalidation policy: lazy mode",
            ],
        ),
        (
            "iommu.passthrough=1",
            "identity",
            ["iommu: Default domain type: Passthrough (set via kernel command line)"],
        ),
        (
            "iommu=pt",
            "identity",
            ["iommu: Default domain type: Passthrough (set via kernel command line)"],
        ),
        (
            "iommu=pt iommu=nopt",
            "DMA-FQ",
            [
                "iommu: Default domain type: Translated (set via kernel command line)",
                "iommu: DMA domain TLB invalidation policy: lazy mode",
            ],
        ),
        (
            "iommu.strict=1",
            "DMA",
            [
                "iommu: Default domain type: Translated",
                "iommu: DMA domain TLB invalidation policy: strict mode (set via kernel command line)",
            ],
        ),
        (
            "iommu.strict=0",
            "DMA-FQ",
            [
                "iommu: Default domain type: Translated",
                "iommu: DMA domain TLB invalidation policy: lazy mode (set via kernel command line)",
            ],
        ),
        (
            "intel_iommu=strict",
            "DMA",
            [
                "iommu: Default domain type: Translated",
                "iommu: DMA domain TLB invalidation policy: strict mode",
            ],
        ),
    ],
)
def test_default_type(extra: str, gtype: str, lines: list[str]) -> None:
    k = boot_q35(cmdline=f"{BASE} {extra}".strip())
    assert type_of(k, 1) == gtype
    log = [r.text for r in k.printk.records()]
    assert [x for x in log if x.startswith("iommu: ")] == lines
    assert k.fs.read_bytes("/proc/cmdline") == f"{BASE} {extra}".strip().encode() + b"\n"


def test_intel_iommu_off_no_groups() -> None:
    k = boot_q35(cmdline="console=ttyS0 intel_iommu=off")
    assert k.fs.listdir("/sys/kernel/iommu_groups") == []
    assert "DMAR: IOMMU disabled" in [r.text for r in k.printk.records()]


def test_6_1_passthrough_line() -> None:
    k = boot_q35(kernel="6.1.0-56-amd64", cmdline=f"{BASE} iommu.passthrough=1")
    assert "iommu: Default domain type: Passthrough (set via kernel command line)" in [
        r.text for r in k.printk.records()
    ]
