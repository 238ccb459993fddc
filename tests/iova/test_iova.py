"""The Python surface of the IOVA allocator: API, argument checks, placement, caches."""

from __future__ import annotations

import gc
from array import array

import pytest

from iommush.iova import (
    GRANULES,
    IOVA_MAG_SIZE,
    IOVA_RANGE_CACHE_MAX_SIZE,
    IovaDomain,
    IovaRange,
    IovaStats,
)
from iommush.iova._build import missing_toolchain

LIMIT32 = (1 << 20) - 1
LIMIT64 = (1 << 36) - 1


def test_smoke() -> None:
    d = IovaDomain()
    assert (d.granule, d.start_pfn, d.dma_32bit_pfn, d.max_pfn) == (4096, 1, 1 << 20, (1 << 52) - 1)
    assert len(d) == 0 and list(d) == []
    assert IOVA_MAG_SIZE == 127 and IOVA_RANGE_CACHE_MAX_SIZE == 6
    assert "IovaDomain(granule=4096" in repr(d)


@pytest.mark.parametrize("granule", GRANULES)
def test_granules(granule: int) -> None:
    d = IovaDomain(granule=granule, start_pfn=1)
    shift = granule.bit_length() - 1
    assert d.dma_32bit_pfn == (1 << 32) >> shift
    assert d.max_pfn == ((1 << 64) - 1) >> shift
    assert d.alloc(1, d.dma_32bit_pfn - 1) == d.dma_32bit_pfn - 1


# ---- placement: alloc_iova's highest fit, growing down ----


def test_first_pci_mapping_lands_just_below_4g() -> None:
    d = IovaDomain(granule=4096, start_pfn=1)
    pfn = d.alloc(1, 0xFFFFF)
    assert pfn == 0xFFFFF
    assert pfn << 12 == 0xFFFFF000


def test_allocations_grow_down_and_align() -> None:
    d = IovaDomain()
    assert d.alloc(1, LIMIT32) == 0xFFFFF
    assert d.alloc(1, LIMIT32) == 0xFFFFE
    assert d.alloc(2, LIMIT32) == 0xFFFFC
    assert d.alloc(3, LIMIT32) == 0xFFFF8  # aligned to 4, size kept at 3
    assert d.find(0xFFFFA) == (0xFFFF8, 0xFFFFA)
    assert d.alloc(1, LIMIT32, size_aligned=False) == 0xFFFFB  # the alignment hole
    assert d.alloc(5, LIMIT32, size_aligned=False) == 0xFFFF3
    assert d.alloc(16, LIMIT64) == LIMIT64 - 15
    assert len(d) == 7


def test_highest_fit_is_exact_after_frees() -> None:
    d = IovaDomain()
    pfns = [d.alloc(1, 1000) for _ in range(10)]
    assert pfns == list(range(1000, 990, -1))
    d.free(995)
    d.free(993)
    # Linux's next-fit would continue below its cached node; the highest fit reuses 995
    assert d.alloc(1, 1000) == 995
    assert d.alloc(1, 1000) == 993
    assert d.alloc(2, 1000) == 988


def test_limit_and_start_are_inclusive() -> None:
    d = IovaDomain(start_pfn=16)
    assert d.alloc(1, 16) == 16
    assert d.alloc(1, 16) is None
    assert d.alloc(4, 23) == 20
    assert d.alloc(4, 23) is None  # 16..19 holds 16
    assert d.alloc(3, 19, size_aligned=False) == 17


def test_none_when_nothing_fits() -> None:
    d = IovaDomain()
    assert d.alloc(64, 63) is None  # pfn 0 is below start_pfn
    assert d.alloc(32, 63) == 32
    assert d.alloc(32, 63) is None
    assert d.alloc(1 << 30, LIMIT32) is None
    assert d.visits_last_alloc >= 0


def test_never_fails_when_a_fit_exists() -> None:
    # a 2-pfn aligned hole at the very bottom, everything else single holes
    d = IovaDomain()
    for _ in range(1, 257):
        d.alloc(1, 256)
    for pfn in range(3, 257, 2):
        d.free(pfn)
    d.free(2)
    assert d.alloc(2, 256) == 2  # 1 is taken, 2..3 is the only aligned pair
    assert d.alloc(2, 256) is None
    d.check()


# ---- free / find / reserve ----


def test_free_containing_pfn_and_errors() -> None:
    d = IovaDomain()
    p = d.alloc(8, LIMIT32)
    assert p is not None
    d.free(p + 5)
    assert d.find(p) is None
    with pytest.raises(LookupError):
        d.free(p)
    with pytest.raises(LookupError):
        d.free(0)
    assert p not in d


def test_reserve_merges_like_reserve_iova() -> None:
    d = IovaDomain()
    d.reserve(100, 199)
    d.reserve(120, 130)  # inside: nothing new
    assert list(d) == [(100, 199)]
    d.reserve(90, 110)  # overlapping the start: the range grows down
    assert list(d) == [(90, 199)]
    d.reserve(150, 249)  # overlapping the end: the rest is a new adjacent range
    assert list(d) == [(90, 199), (200, 249)]
    d.reserve(300, 309)
    d.reserve(240, 305)  # two ranges and the gap: the upper one grows down to 250
    assert list(d) == [(90, 199), (200, 249), (250, 309)]
    assert all(r.reserved for r in d.ranges())
    assert d.alloc(64, 309) is None
    assert d.alloc(32, 309) == 32


def test_reserve_extends_an_allocation() -> None:
    d = IovaDomain()
    p = d.alloc(1, 100)
    assert p == 100
    d.reserve(95, 100)
    assert list(d) == [(95, 100)]
    assert d.range_at(97) == IovaRange(95, 100, reserved=True, cached=False)
    assert d.range_at(50) is None


def test_iteration_len_contains_and_chunks() -> None:
    d = IovaDomain()
    pfns = d.alloc_many([1, 2, 3] * 1000, LIMIT32, size_aligned=False)
    assert None not in pfns
    ranges = list(d)
    assert len(ranges) == len(d) == 3000
    assert ranges == sorted(ranges)
    assert all(lo <= hi < nlo for (lo, hi), (nlo, _) in zip(ranges, ranges[1:], strict=False))
    assert [r[:2] for r in d.ranges(from_pfn=ranges[-10][0])] == ranges[-10:]
    assert ranges[5][0] in d and 0 not in d and "x" not in d and -1 not in d


# ---- argument checks happen before C ----


@pytest.mark.parametrize(
    ("size", "limit"),
    [
        (0, LIMIT32),
        (-1, LIMIT32),
        (1, 0),
        (1, -5),
        (1, 1 << 52),
        (1 << 52, LIMIT32),
        (-(1 << 70), 5),
    ],
)
def test_bad_alloc_arguments(size: int, limit: int) -> None:
    d = IovaDomain()
    for call in (d.alloc, d.alloc_fast):
        with pytest.raises(ValueError):
            call(size, limit)
    with pytest.raises(ValueError):
        d.alloc_many([size], limit)
    with pytest.raises(ValueError):
        d.allocator(limit).alloc(size)
    assert len(d) == 0


def test_limit_below_start_is_rejected() -> None:
    d = IovaDomain(start_pfn=100)
    with pytest.raises(ValueError, match="limit_pfn"):
        d.alloc(1, 99)
    assert d.alloc(1, 100) == 100


@pytest.mark.parametrize("granule", [0, 1, 2048, 4095, 8192, 131072, -4096, True])
def test_bad_granule(granule: int) -> None:
    with pytest.raises(ValueError, match="granule"):
        IovaDomain(granule=granule)


@pytest.mark.parametrize("start", [0, -1, 1 << 52])
def test_bad_start_pfn(start: int) -> None:
    with pytest.raises(ValueError, match="start_pfn"):
        IovaDomain(start_pfn=start)


def test_bad_pfns() -> None:
    d = IovaDomain()
    for call in (d.free, d.find, d.range_at):
        with pytest.raises(ValueError):
            call(-1)
        with pytest.raises(ValueError):
            call(1 << 52)
    with pytest.raises(ValueError):
        d.reserve(5, 4)
    with pytest.raises(ValueError):
        d.reserve(-1, 4)
    with pytest.raises(ValueError):
        d.reserve(1, 1 << 52)
    with pytest.raises(ValueError):
        d.free_fast(-1, 1)
    with pytest.raises(ValueError):
        d.free_fast(1, 0)
    with pytest.raises(ValueError):
        d.free_many([-1])
    with pytest.raises(ValueError):
        d.trim_rcache(0)


# ---- range caches: alloc_iova_fast / free_iova_fast ----


def test_fast_rounds_and_reuses_lifo() -> None:
    d = IovaDomain()
    p = d.alloc_fast(3, LIMIT32)
    assert p is not None
    assert d.find(p) == (p, p + 3)  # rounded up to 4
    d.free_fast(p, 3)
    assert d.range_at(p) == IovaRange(p, p + 3, reserved=False, cached=True)
    assert len(d) == 1  # cached ranges stay in the tree, as in Linux
    with pytest.raises(LookupError):
        d.free_fast(p, 3)  # already given back
    with pytest.raises(LookupError):
        d.free(p)
    assert d.alloc_fast(4, LIMIT32) == p
    with pytest.raises(ValueError, match="size"):
        d.free_fast(p, 8)
    with pytest.raises(LookupError):
        d.free_fast(p + 1, 4)
    d.free_fast(p, 4)
    big = d.alloc_fast(33, LIMIT32)  # above the cached sizes: no rounding, no caching
    assert big is not None and d.find(big) == (big, big + 32)
    d.free_fast(big, 33)
    assert d.find(big) is None


def test_fast_depot_trim_and_flush() -> None:
    d = IovaDomain()
    pfns = d.alloc_many([1] * 600, LIMIT32, fast=True)
    assert None not in pfns
    d.free_many([p for p in pfns if p is not None], [1] * 600)
    st = d.stats()
    assert st.cached == 600 and st.depot == 3
    assert d.trim_rcache() == 1
    assert d.trim_rcache() == 1
    assert d.trim_rcache() == 0
    assert d.trim_rcache(online_cpus=0xFFFFFFFF) == 0
    assert d.stats().depot == 1
    d.check()
    d.flush_rcache()
    assert len(d) == 0 and d.stats().cached == 0
    d.check()


def test_fast_flushes_caches_on_failure() -> None:
    d = IovaDomain()
    pfns = [d.alloc_fast(1, 16) for _ in range(16)]
    assert d.alloc_fast(1, 16) is None
    for p in pfns:
        assert p is not None
        d.free_fast(p, 1)
    assert d.alloc_fast(8, 16, flush_rcache=False) is None
    assert d.alloc_fast(8, 16) == 8
    assert len(d) == 1


# ---- batches and handles ----


def test_alloc_many_and_free_many() -> None:
    d = IovaDomain()
    out = d.alloc_many([1, 2, 4, 100, 1], 64)
    assert out == [64, 62, 56, None, 61]
    d.free_many([64, 62])
    with pytest.raises(LookupError, match="1 freed before it"):
        d.free_many(array("Q", [56, 56]))
    assert list(d) == [(61, 61)]
    with pytest.raises(ValueError):
        d.free_many([61], [1, 1])


def test_alloc_batch_zero_copy_with_visits() -> None:
    d = IovaDomain()
    sizes = array("Q", [1] * 100)
    out = array("Q", bytes(800))
    visits = array("I", bytes(400))
    assert d.alloc_batch(sizes, out, LIMIT32, visits=visits) == 100
    assert list(out) == list(range(LIMIT32, LIMIT32 - 100, -1))
    assert 1 <= max(visits) <= 40
    with pytest.raises(ValueError):
        d.alloc_batch(sizes, array("Q"), LIMIT32)
    with pytest.raises(TypeError):
        d.alloc_batch(sizes, array("I", bytes(800)), LIMIT32)  # 4-byte items: refused
    with pytest.raises(TypeError):
        d.alloc_batch(sizes, out, LIMIT32, visits=array("H", bytes(200)))
    assert d.alloc_batch([1, 2], out, LIMIT32) == 2  # inputs may be any iterable


def test_replace_many() -> None:
    d = IovaDomain()
    slots = array("Q", [0, 0, 0])
    failed = d.replace_many(
        slots, array("Q", [0, 1, 2, 0, 1, 2]), array("Q", [1, 1, 2, 2, 4, 4]), LIMIT32
    )
    assert failed == 0
    assert sorted(slots) == [0xFFFF4, 0xFFFFA, 0xFFFFC]
    assert len(d) == 3
    slots[0] = 12345
    with pytest.raises(LookupError):
        d.replace_many(slots, array("Q", [0]), array("Q", [1]), LIMIT32)
    with pytest.raises(ValueError):
        d.replace_many(slots, array("Q", [3]), array("Q", [1]), LIMIT32)
    with pytest.raises(TypeError):
        d.replace_many([0, 0], [0], [1], LIMIT32)  # type: ignore[arg-type]


def test_allocator_handle() -> None:
    d = IovaDomain()
    a = d.allocator(LIMIT32)
    assert a.limit_pfn == LIMIT32 and a.domain is d and a.size_aligned
    p = a.alloc(2)
    assert p == 0xFFFFE
    a.free(p)
    with pytest.raises(LookupError):
        a.free(p)
    with pytest.raises(ValueError):
        d.allocator(0)


# ---- inspection and lifetime ----


def test_stats_and_check() -> None:
    d = IovaDomain()
    d.alloc_many([1, 2, 4, 8] * 250, LIMIT64)
    st = d.stats()
    assert isinstance(st, IovaStats)
    assert st.ranges == 1000 and st.pages == 250 * 15
    assert st.node_bytes == 56
    assert st.searches == 1000 and st.max_visits >= st.last_visits
    assert st.bytes_per_range < 128
    d.check()


def test_domains_are_freed() -> None:
    for _ in range(200):
        d = IovaDomain()
        d.alloc_many([1] * 2000, LIMIT32)
    del d
    gc.collect()


def test_missing_compiler_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CC", "/nonexistent/cc")
    message = missing_toolchain()
    assert message is not None and "C compiler" in message and "gcc" in message
    monkeypatch.delenv("CC")
    assert missing_toolchain() is None


def test_docstring_examples() -> None:
    import doctest

    import iommush.iova
    import iommush.iova.reference

    for module in (iommush.iova, iommush.iova.reference):
        failed, tried = doctest.testmod(module)
        assert tried > 0 and failed == 0
