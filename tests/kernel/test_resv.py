"""Reserved regions: the kernel's insert-and-merge algorithm and the file format."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iommush.kernel.resv import (
    IOMMU_MMIO,
    IOMMU_NOEXEC,
    IOMMU_READ,
    IOMMU_WRITE,
    IommuResvRegion,
    IommuResvType,
    format_resv_regions,
    iommu_insert_resv_region,
)

T = IommuResvType
RW = IOMMU_READ | IOMMU_WRITE
SAMPLES = Path("/work/shared/samples/sysfs-text")


def R(start: int, end: int, type_: IommuResvType, prot: int = RW) -> IommuResvRegion:
    return IommuResvRegion(start, end - start + 1, prot, type_)


def build(*regions: IommuResvRegion) -> list[IommuResvRegion]:
    out: list[IommuResvRegion] = []
    for r in regions:
        iommu_insert_resv_region(r, out)
    return out


def test_end_is_inclusive() -> None:
    assert IommuResvRegion(0xFEE00000, 0x100000, 0, T.MSI).end == 0xFEEFFFFF


def test_sorted_by_start() -> None:
    regs = build(R(0x3000, 0x3FFF, T.DIRECT), R(0x1000, 0x1FFF, T.DIRECT))
    assert [r.start for r in regs] == [0x1000, 0x3000]


def test_overlapping_same_type_merge_keeping_first_prot() -> None:
    regs = build(R(0x1000, 0x2FFF, T.DIRECT, IOMMU_READ), R(0x2000, 0x4FFF, T.DIRECT, RW))
    assert regs == [IommuResvRegion(0x1000, 0x4000, IOMMU_READ, T.DIRECT)]


def test_adjacent_same_type_merge_but_one_byte_gap_does_not() -> None:
    assert build(R(0x1000, 0x1FFF, T.RESERVED), R(0x2000, 0x2FFF, T.RESERVED)) == [
        R(0x1000, 0x2FFF, T.RESERVED)
    ]
    assert build(R(0x1000, 0x1FFF, T.RESERVED), R(0x2001, 0x2FFF, T.RESERVED)) == [
        R(0x1000, 0x1FFF, T.RESERVED),
        R(0x2001, 0x2FFF, T.RESERVED),
    ]


def test_contained_region_is_absorbed() -> None:
    assert build(R(0x0, 0xFFFFFF, T.DIRECT), R(0x1000, 0x1FFF, T.DIRECT)) == [
        R(0x0, 0xFFFFFF, T.DIRECT)
    ]


def test_new_region_bridging_two_merges_all_three() -> None:
    regs = build(R(0x1000, 0x1FFF, T.DIRECT), R(0x3000, 0x3FFF, T.DIRECT))
    iommu_insert_resv_region(R(0x1800, 0x37FF, T.DIRECT), regs)
    assert regs == [R(0x1000, 0x3FFF, T.DIRECT)]


def test_different_types_never_merge_and_tie_orders_by_type() -> None:
    regs = build(R(0x1000, 0x1FFF, T.MSI), R(0x1000, 0x1FFF, T.DIRECT), R(0x1000, 0x2FFF, T.SW_MSI))
    assert [r.type for r in regs] == [T.DIRECT, T.MSI, T.SW_MSI]
    # MSI and SW_MSI both print "msi" but stay two lines
    assert format_resv_regions(regs).splitlines()[1:] == [
        "0x0000000000001000 0x0000000000001fff msi",
        "0x0000000000001000 0x0000000000002fff msi",
    ]


def test_equal_start_same_type_new_one_wins_prot() -> None:
    regs = build(R(0x1000, 0x1FFF, T.DIRECT, IOMMU_READ))
    iommu_insert_resv_region(R(0x1000, 0x2FFF, T.DIRECT, IOMMU_WRITE), regs)
    assert regs == [R(0x1000, 0x2FFF, T.DIRECT, IOMMU_WRITE)]


def test_insert_copies_and_leaves_other_types_untouched() -> None:
    msi = R(0xFEE00000, 0xFEEFFFFF, T.MSI, 0)
    regs = build(msi, R(0x0, 0xFFF, T.DIRECT), R(0xFEE80000, 0xFEF7FFFF, T.DIRECT))
    assert regs == [R(0x0, 0xFFF, T.DIRECT), msi, R(0xFEE80000, 0xFEF7FFFF, T.DIRECT)]


def test_u64_wraparound_as_in_kernel() -> None:
    # top_end + 1 wraps to 0 for a region ending at 2**64-1, so the next one never merges
    top = IommuResvRegion(0xFFFFFFFFFFFFF000, 0x1000, 0, T.RESERVED)
    regs = build(R(0xFFFFFFFFFFFF0000, 0xFFFFFFFFFFFFFFFF, T.RESERVED), top)
    assert len(regs) == 2


def test_region_outside_u64_refused() -> None:
    with pytest.raises(ValueError):
        IommuResvRegion(-1, 1, 0, T.DIRECT)


def _sample_lines(name: str) -> list[str]:
    text = (SAMPLES / name).read_text().splitlines()
    return [line for line in text if line.startswith("0x")]


@pytest.mark.skipif(not SAMPLES.exists(), reason="no samples")
def test_intel_isa_bridge_sample() -> None:
    # an ISA bridge behind VT-d: the floppy workaround region and the IOAPIC window
    # (this machine's kernel printed "direct": before v5.3 the ISA region was DIRECT)
    regs = build(R(0xFEE00000, 0xFEEFFFFF, T.MSI, 0), R(0x0, 0xFFFFFF, T.DIRECT))
    assert format_resv_regions(regs).splitlines() == _sample_lines(
        "reserved-regions-intel-sunrisepoint-lp-isa-direct-01.txt"
    )


@pytest.mark.skipif(not SAMPLES.exists(), reason="no samples")
def test_arm64_iort_rmr_sample_overlapping_types_stay_apart() -> None:
    smmu_msi = IommuResvRegion(
        0x8000000, 0x100000, IOMMU_WRITE | IOMMU_NOEXEC | IOMMU_MMIO, T.SW_MSI
    )
    rmrs = [
        R(0x2080000000, 0x209FFFFFFF, T.DIRECT_RELAXABLE),
        R(0x1000000, 0x8FFFFFF, T.DIRECT_RELAXABLE),
        R(0x9000000, 0x10FFFFFF, T.DIRECT_RELAXABLE),  # adjacent: coalesces with the above
        R(0x80C000000, 0x81BFFFFFF, T.DIRECT_RELAXABLE),
        R(0x1C00000000, 0x1C001FFFFF, T.DIRECT_RELAXABLE),
    ]
    regs = build(smmu_msi, *rmrs)
    assert format_resv_regions(regs).splitlines() == _sample_lines(
        "reserved-regions-arm64-nxp-lx2160a-iort-rmr-01.txt"
    )


@pytest.mark.skipif(not SAMPLES.exists(), reason="no samples")
def test_amd_sample() -> None:
    regs = build(
        R(0xFEE00000, 0xFEEFFFFF, T.MSI, 0),
        R(0xFD00000000, 0xFFFFFFFFFF, T.RESERVED, 0),
    )
    assert format_resv_regions(regs).splitlines() == _sample_lines(
        "reserved-regions-amd-host-all-groups-sorted-01.txt"
    )


# -- property test against an obviously correct reference ----------------------------
def reference(regions: list[IommuResvRegion]) -> list[tuple[int, int, int]]:
    """Per type: sort, coalesce overlapping or touching intervals; then sort all."""
    out: list[tuple[int, int, int]] = []
    for t in IommuResvType:
        spans = sorted((r.start, r.end) for r in regions if r.type == t)
        merged: list[list[int]] = []
        for s, e in spans:
            if merged and s <= merged[-1][1] + 1:
                merged[-1][1] = max(merged[-1][1], e)
            else:
                merged.append([s, e])
        out += [(s, int(t), e) for s, e in merged]
    return sorted(out)


regions_st = st.lists(
    st.builds(
        IommuResvRegion,
        start=st.integers(0, 0x3FFF),
        length=st.integers(1, 0x800),
        prot=st.integers(0, 31),
        type=st.sampled_from(list(IommuResvType)),
    ),
    max_size=12,
)


@settings(max_examples=300, deadline=None)
@given(regions_st)
def test_merge_matches_reference(regions: list[IommuResvRegion]) -> None:
    got = build(*regions)
    assert [(r.start, int(r.type), r.end) for r in got] == reference(regions)
