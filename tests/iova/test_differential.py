"""Differential tests: the C allocator and the pure-Python reference must agree.

Long random sequences of every operation (alloc aligned or not, free, reserve, find,
alloc_fast/free_fast, cache flush and trim, batches) run on both; results, errors and the
full range lists must be identical after every step, allocations never overlap, never
leave [start_pfn, limit_pfn], and the C invariant checker must pass. Small address spaces
make collisions, full spaces and failures frequent.
"""

from __future__ import annotations

import random
from array import array
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from iommush.iova import IovaDomain
from iommush.iova.reference import ReferenceDomain

SIZES = st.one_of(st.integers(1, 8), st.sampled_from([16, 31, 32, 33, 64]), st.integers(1, 600))


def both(c: IovaDomain, r: ReferenceDomain, name: str, *args: Any, **kwargs: Any) -> Any:
    """Run one operation on both; the outcome (value or error type) must match."""
    outcomes = []
    for impl in (c, r):
        try:
            outcomes.append(("ok", getattr(impl, name)(*args, **kwargs)))
        except (LookupError, ValueError) as exc:
            outcomes.append((type(exc).__name__, None))
    assert outcomes[0] == outcomes[1], f"{name}{args}{kwargs}: C {outcomes[0]} != ref {outcomes[1]}"
    return outcomes[0][1]


class Differential(RuleBasedStateMachine):
    c: IovaDomain
    r: ReferenceDomain

    def __init__(self) -> None:
        super().__init__()
        self.fast: list[tuple[int, int]] = []  # (pfn, size) from alloc_fast

    @initialize(
        granule=st.sampled_from([4096, 4096, 16384, 65536]),
        start=st.integers(1, 5),
        space=st.sampled_from([16, 64, 300, 1000, 4096]),
    )
    def setup(self, granule: int, start: int, space: int) -> None:
        self.c = IovaDomain(granule, start)
        self.r = ReferenceDomain(granule, start)
        self.top = start + space - 1

    def limit(self, data: st.DataObject) -> int:
        return data.draw(st.one_of(st.just(self.top), st.integers(self.c.start_pfn, self.top + 8)))

    def live_pfn(self, data: st.DataObject) -> int:
        ranges = list(self.c)
        pick_live = data.draw(st.integers(0, 9)) > 0
        if ranges and pick_live:
            lo, hi = data.draw(st.sampled_from(ranges))
            return data.draw(st.integers(lo, hi))
        return data.draw(st.integers(0, self.top + 2))

    def check_new(self, pfn: int | None, size: int, limit: int, aligned: bool) -> None:
        if pfn is None:
            return
        assert self.c.start_pfn <= pfn and pfn + size - 1 <= limit
        if aligned:
            assert pfn % (1 << (size - 1).bit_length()) == 0
        assert self.c.find(pfn) == (pfn, pfn + size - 1)

    @rule(data=st.data(), size=SIZES, aligned=st.booleans())
    def alloc(self, data: st.DataObject, size: int, aligned: bool) -> None:
        limit = self.limit(data)
        pfn = both(self.c, self.r, "alloc", size, limit, aligned)
        self.check_new(pfn, size, limit, aligned)

    @rule(data=st.data())
    def free(self, data: st.DataObject) -> None:
        both(self.c, self.r, "free", self.live_pfn(data))

    @rule(data=st.data(), length=st.integers(1, 40))
    def reserve(self, data: st.DataObject, length: int) -> None:
        lo = data.draw(st.integers(0, self.top))
        both(self.c, self.r, "reserve", lo, lo + length - 1)

    @rule(data=st.data())
    def find(self, data: st.DataObject) -> None:
        both(self.c, self.r, "find", self.live_pfn(data))

    @rule(data=st.data(), size=st.one_of(st.integers(1, 33), st.just(64)), flush=st.booleans())
    def alloc_fast(self, data: st.DataObject, size: int, flush: bool) -> None:
        limit = self.limit(data)
        pfn = both(self.c, self.r, "alloc_fast", size, limit, flush)
        if pfn is not None:
            rounded = 1 << (size - 1).bit_length() if size < 32 else size
            self.check_new(pfn, rounded, limit, True)
            self.fast.append((pfn, size))

    @precondition(lambda self: self.fast)
    @rule(data=st.data(), wrong=st.integers(0, 9))
    def free_fast(self, data: st.DataObject, wrong: int) -> None:
        pfn, size = self.fast.pop(data.draw(st.integers(0, len(self.fast) - 1)))
        if wrong == 0:
            size = size * 2 + 1  # a size the range was not allocated with
        elif wrong == 1:
            pfn += 1
        both(self.c, self.r, "free_fast", pfn, size)

    @rule()
    def flush(self) -> None:
        both(self.c, self.r, "flush_rcache")

    @rule(cpus=st.integers(1, 2))
    def trim(self, cpus: int) -> None:
        both(self.c, self.r, "trim_rcache", cpus)

    @rule(data=st.data(), sizes=st.lists(st.integers(1, 8), max_size=300), fast=st.booleans())
    def alloc_many(self, data: st.DataObject, sizes: list[int], fast: bool) -> None:
        pfns = both(self.c, self.r, "alloc_many", sizes, self.limit(data), True, fast)
        if fast:
            self.fast.extend((p, s) for p, s in zip(pfns, sizes, strict=True) if p is not None)

    @rule(data=st.data())
    def free_many(self, data: st.DataObject) -> None:
        pfns = [self.live_pfn(data) for _ in range(data.draw(st.integers(0, 20)))]
        both(self.c, self.r, "free_many", pfns)

    @precondition(lambda self: self.fast)
    @rule(data=st.data())
    def free_many_fast(self, data: st.DataObject) -> None:
        k = data.draw(st.integers(1, len(self.fast)))
        batch, self.fast = self.fast[:k], self.fast[k:]
        both(self.c, self.r, "free_many", [p for p, _ in batch], [s for _, s in batch])

    @rule(data=st.data(), n=st.integers(1, 50), fast=st.booleans())
    def replace_many(self, data: st.DataObject, n: int, fast: bool) -> None:
        slots = [0] * 8
        victims = data.draw(st.lists(st.integers(0, 7), min_size=n, max_size=n))
        sizes = data.draw(st.lists(st.sampled_from([1, 1, 2, 4, 8]), min_size=n, max_size=n))
        limit = self.limit(data)
        c_slots = array("Q", slots)
        fc = self.c.replace_many(c_slots, array("Q", victims), array("Q", sizes), limit, fast=fast)
        fr = self.r.replace_many(slots, victims, sizes, limit, fast=fast)
        assert (fc, list(c_slots)) == (fr, slots)
        if fast:  # the slots' ranges stay live: they can go back through the caches
            for p in slots:
                found = self.c.find(p) if p else None
                if found is not None:
                    self.fast.append((p, found[1] - found[0] + 1))

    @invariant()
    def same_ranges(self) -> None:
        if not hasattr(self, "c"):
            return
        assert [tuple(x) for x in self.c.ranges()] == self.r.ranges()
        assert len(self.c) == len(self.r)
        self.c.check()


Differential.TestCase.settings = settings(
    max_examples=60,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestDifferential = Differential.TestCase


def run_random(seed: int, steps: int) -> None:
    """A long plain-random sequence (no shrinking) over a small space."""
    rnd = random.Random(seed)
    start = rnd.choice([1, 1, 2, 7])
    top = start + rnd.choice([64, 300, 2000])
    c, r = IovaDomain(4096, start), ReferenceDomain(4096, start)
    fast: list[tuple[int, int]] = []
    for _ in range(steps):
        op = rnd.random()
        limit = top if rnd.random() < 0.7 else rnd.randint(start, top)
        if op < 0.3:
            size = rnd.choice([1, 1, 2, 3, 4, 5, 8, 16, 32, rnd.randint(1, 200)])
            both(c, r, "alloc", size, limit, rnd.random() < 0.8)
        elif op < 0.55:
            ranges = list(r)
            pfn = rnd.randint(*rnd.choice(ranges)) if ranges else rnd.randint(0, top)
            both(c, r, "free", pfn)
        elif op < 0.6:
            lo = rnd.randint(0, top)
            both(c, r, "reserve", lo, lo + rnd.randint(0, 16))
        elif op < 0.8:
            size = rnd.choice([1, 1, 2, 3, 4, 8, 16, 32])
            pfn = both(c, r, "alloc_fast", size, limit, rnd.random() < 0.8)
            if pfn is not None:
                fast.append((pfn, size))
        elif op < 0.97 and fast:
            pfn, size = fast.pop(rnd.randrange(len(fast)))
            both(c, r, "free_fast", pfn, size)
        elif op < 0.98:
            both(c, r, "trim_rcache", 1)
        elif op < 0.985:
            both(c, r, "flush_rcache")
        else:
            both(c, r, "find", rnd.randint(0, top + 1))
    assert [tuple(x) for x in c.ranges()] == r.ranges()
    c.check()


def test_long_random_sequences() -> None:
    for seed in range(12):
        run_random(seed, 2500)


def test_fragmented_layouts_match_reference() -> None:
    """W2/W5-like layouts: every size and alignment lands where the reference puts it."""
    for keep in (lambda i: i % 2 == 0, lambda i: i % 4 < 2):
        c, r = IovaDomain(), ReferenceDomain()
        pfns = c.alloc_many([1] * 700, 2047)
        assert pfns == r.alloc_many([1] * 700, 2047)
        freed = [p for i, p in enumerate(pfns) if p is not None and not keep(i)]
        c.free_many(freed)
        r.free_many(freed)
        for size in (1, 2, 3, 4, 5, 7, 8, 9, 16):
            for aligned in (True, False):
                assert both(c, r, "alloc", size, 2047, aligned) is not None
        assert list(c) == list(r)
        c.check()
