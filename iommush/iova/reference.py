"""A pure-Python reference IOVA allocator: the executable specification of ``IovaDomain``.

Same API, same placement and the same range-cache behaviour as the C allocator, written
to be obviously correct rather than fast: ranges live in sorted lists and an allocation
walks the free gaps one by one from ``limit_pfn`` down, O(n). The differential tests run
both on the same operation sequences and require identical results.

Behaviour followed (Linux ``drivers/iommu/iova.c``, v6.x, as iommush models it):

* ``alloc`` (``alloc_iova``): the highest ``size``-pfn free range ending at or below the
  inclusive ``limit_pfn`` and starting at or above ``start_pfn``, its start a multiple of
  ``roundup_pow_of_two(size)`` when ``size_aligned``. (Linux's next-fit walk approximates
  this highest fit; iommush makes it exact.)
* ``reserve`` (``reserve_iova``): overlapped ranges grow down to the request's start and
  the request continues above each; the rest becomes a new range.
* ``alloc_fast``/``free_fast`` (``alloc_iova_fast``/``free_iova_fast``): per order 0..5 a
  ``loaded`` and a ``prev`` magazine of 127 entries and a depot of full magazines.

>>> r = ReferenceDomain()
>>> hex(r.alloc(1, 0xfffff))
'0xfffff'
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator

__all__ = ["ReferenceDomain"]

GRANULES = (4096, 16384, 65536)
RANGE_CACHE_MAX_SIZE = 6
MAG_SIZE = 127
RESERVED = 1
CACHED = 2


def order_base_2(n: int) -> int:
    """``order_base_2()``: ceil(log2(n)), 0 for n <= 1."""
    return (n - 1).bit_length() if n > 1 else 0


def fast_size(size: int) -> int:
    """``alloc_iova_fast()`` rounds sizes below 32 pfns up to a power of two."""
    return 1 << order_base_2(size) if size < 1 << (RANGE_CACHE_MAX_SIZE - 1) else size


class _RangeCache:
    """One size order's magazines: lists of pfns, the last entry on top."""

    def __init__(self) -> None:
        self.loaded: list[int] = []
        self.prev: list[int] = []
        self.depot: list[list[int]] = []  # full magazines, the last one on top


class ReferenceDomain:
    """Reference twin of :class:`iommush.iova.IovaDomain`."""

    def __init__(self, granule: int = 4096, start_pfn: int = 1) -> None:
        if type(granule) is not int or granule not in GRANULES:  # noqa: E721
            raise ValueError(f"granule must be one of {GRANULES} bytes, not {granule!r}")
        self.granule = granule
        self.shift = granule.bit_length() - 1
        self.max_pfn = ((1 << 64) - 1) >> self.shift
        self.dma_32bit_pfn = 1 << (32 - self.shift)
        if not 1 <= start_pfn <= self.max_pfn:
            raise ValueError(f"start_pfn must be between 1 and {self.max_pfn:#x}")
        self.start_pfn = start_pfn
        # Ranges sorted by address; they never overlap, so both lists are sorted.
        self._lo: list[int] = []
        self._hi: list[int] = []
        self._flags: list[int] = []
        self._caches = [_RangeCache() for _ in range(RANGE_CACHE_MAX_SIZE)]

    # ---- helpers ----

    def _check_pfn(self, pfn: int) -> None:
        if not 0 <= pfn <= self.max_pfn:
            raise ValueError(f"pfn must be between 0 and {self.max_pfn:#x}, not {pfn}")

    def _check_request(self, size: int, limit_pfn: int) -> None:
        if not 0 < size <= self.max_pfn:
            raise ValueError(f"size must be between 1 and {self.max_pfn:#x} pfns, not {size}")
        if not self.start_pfn <= limit_pfn <= self.max_pfn:
            raise ValueError(f"limit_pfn must be between start_pfn and {self.max_pfn:#x}")

    def _index(self, pfn: int) -> int | None:
        """Index of the range containing pfn."""
        i = bisect_right(self._lo, pfn) - 1
        return i if i >= 0 and pfn <= self._hi[i] else None

    def _insert(self, lo: int, hi: int, flags: int) -> None:
        i = bisect_left(self._lo, lo)
        self._lo.insert(i, lo)
        self._hi.insert(i, hi)
        self._flags.insert(i, flags)

    def _delete(self, i: int) -> None:
        del self._lo[i], self._hi[i], self._flags[i]

    # ---- the tree operations ----

    def alloc(self, size: int, limit_pfn: int, size_aligned: bool = True) -> int | None:
        self._check_request(size, limit_pfn)
        align = 1 << order_base_2(size) if size_aligned else 1
        i = bisect_right(self._lo, limit_pfn)  # ranges [0, i) start at or below the limit
        high = limit_pfn  # top of the gap being looked at
        while True:
            low = max(self._hi[i - 1] + 1 if i else 0, self.start_pfn)
            if high - low + 1 >= size:
                pfn = (high - size + 1) // align * align
                if pfn >= low:
                    self._insert(pfn, pfn + size - 1, 0)
                    return pfn
            if i == 0:
                return None
            i -= 1
            high = min(high, self._lo[i] - 1)

    def free(self, pfn: int) -> None:
        self._check_pfn(pfn)
        i = self._index(pfn)
        if i is None or self._flags[i] & CACHED:
            raise LookupError(f"no allocated IOVA range contains pfn {pfn:#x}")
        self._delete(i)

    def reserve(self, pfn_lo: int, pfn_hi: int) -> None:
        self._check_pfn(pfn_lo)
        self._check_pfn(pfn_hi)
        if pfn_lo > pfn_hi:
            raise ValueError("pfn_lo is above pfn_hi")
        lo = pfn_lo
        while True:
            i = bisect_left(self._hi, lo)  # the lowest range ending at or above lo
            if i == len(self._lo) or self._lo[i] > pfn_hi:
                break
            if self._flags[i] & CACHED:
                self.flush_rcache()
                continue
            self._lo[i] = min(self._lo[i], lo)
            self._flags[i] |= RESERVED
            if pfn_hi <= self._hi[i]:
                return
            lo = self._hi[i] + 1
        self._insert(lo, pfn_hi, RESERVED)

    def find(self, pfn: int) -> tuple[int, int] | None:
        self._check_pfn(pfn)
        i = self._index(pfn)
        return None if i is None else (self._lo[i], self._hi[i])

    def __len__(self) -> int:
        return len(self._lo)

    def __iter__(self) -> Iterator[tuple[int, int]]:
        return iter(list(zip(self._lo, self._hi, strict=True)))

    def ranges(self) -> list[tuple[int, int, bool, bool]]:
        return [
            (lo, hi, bool(f & RESERVED), bool(f & CACHED))
            for lo, hi, f in zip(self._lo, self._hi, self._flags, strict=True)
        ]

    # ---- range caches ----

    def _release(self, mag: list[int]) -> None:
        for pfn in mag:
            i = self._index(pfn)
            assert i is not None
            self._delete(i)
        mag.clear()

    def alloc_fast(self, size: int, limit_pfn: int, flush_rcache: bool = True) -> int | None:
        self._check_request(size, limit_pfn)
        size = fast_size(size)
        pfn = self._rcache_get(size, limit_pfn)
        if pfn is not None:
            return pfn
        pfn = self.alloc(size, limit_pfn, True)
        if pfn is None and flush_rcache:
            self.flush_rcache()
            pfn = self.alloc(size, limit_pfn, True)
        return pfn

    def _rcache_get(self, size: int, limit_pfn: int) -> int | None:
        order = order_base_2(size)
        if order >= RANGE_CACHE_MAX_SIZE:
            return None
        rc = self._caches[order]
        if not rc.loaded:
            if rc.prev:
                rc.loaded, rc.prev = rc.prev, rc.loaded
            elif rc.depot:
                rc.loaded = rc.depot.pop()
            else:
                return None
        # the topmost entry that ends at or below the limit; the top entry fills its place
        for k in range(len(rc.loaded) - 1, -1, -1):
            pfn = rc.loaded[k]
            if pfn + size - 1 <= limit_pfn:
                top = rc.loaded.pop()
                if k < len(rc.loaded):
                    rc.loaded[k] = top
                i = self._index(pfn)
                assert i is not None
                self._flags[i] &= ~CACHED
                return pfn
        return None

    def free_fast(self, pfn: int, size: int) -> None:
        self._check_pfn(pfn)
        if not 0 < size <= self.max_pfn:
            raise ValueError(f"size must be between 1 and {self.max_pfn:#x} pfns")
        i = self._index(pfn)
        if i is None or self._lo[i] != pfn or self._flags[i] & CACHED:
            raise LookupError(f"no allocated IOVA range starts at pfn {pfn:#x}")
        if fast_size(size) != self._hi[i] - self._lo[i] + 1:
            raise ValueError(f"the range at pfn {pfn:#x} was not allocated with size {size}")
        order = order_base_2(size)
        if order >= RANGE_CACHE_MAX_SIZE:
            self._delete(i)
            return
        rc = self._caches[order]
        if len(rc.loaded) == MAG_SIZE:
            if len(rc.prev) < MAG_SIZE:
                rc.loaded, rc.prev = rc.prev, rc.loaded
            else:
                rc.depot.append(rc.loaded)
                rc.loaded = []
        rc.loaded.append(pfn)
        self._flags[i] |= CACHED

    def flush_rcache(self) -> None:
        for rc in self._caches:
            self._release(rc.loaded)
            self._release(rc.prev)
            for mag in rc.depot:
                self._release(mag)
            rc.depot.clear()

    def trim_rcache(self, online_cpus: int = 1) -> int:
        released = 0
        for rc in self._caches:
            if len(rc.depot) > online_cpus:
                self._release(rc.depot.pop())
                released += 1
        return released

    # ---- batches: the same operations one after the other ----

    def alloc_many(
        self, sizes: Iterable[int], limit_pfn: int, size_aligned: bool = True, fast: bool = False
    ) -> list[int | None]:
        sizes = list(sizes)
        self._check_request(1, limit_pfn)
        if any(not 0 < s <= self.max_pfn for s in sizes):
            raise ValueError("sizes must be between 1 and max_pfn")
        if fast:
            return [self.alloc_fast(s, limit_pfn) for s in sizes]
        return [self.alloc(s, limit_pfn, size_aligned) for s in sizes]

    def free_many(self, pfns: Iterable[int], sizes: Iterable[int] | None = None) -> None:
        pfns = list(pfns)
        if sizes is None:
            for pfn in pfns:
                self.free(pfn)
        else:
            for pfn, size in zip(pfns, sizes, strict=True):
                self.free_fast(pfn, size)

    def replace_many(
        self,
        slots: list[int],
        victims: Iterable[int],
        sizes: Iterable[int],
        limit_pfn: int,
        *,
        size_aligned: bool = True,
        fast: bool = False,
    ) -> int:
        failed = 0
        for v, size in zip(victims, sizes, strict=True):
            if slots[v]:
                if fast:
                    i = self._index(slots[v])
                    have = 0 if i is None else self._hi[i] - self._lo[i] + 1
                    try:
                        self.free_fast(slots[v], have or 1)
                    except ValueError:
                        raise LookupError("slot's range does not come from alloc_fast") from None
                else:
                    self.free(slots[v])
            pfn = (
                self.alloc_fast(size, limit_pfn)
                if fast
                else self.alloc(size, limit_pfn, size_aligned)
            )
            slots[v] = pfn or 0
            failed += pfn is None
        return failed
