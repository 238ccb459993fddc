"""IOVA allocation: the typed Python surface over iommush's C allocator.

The model follows Linux's ``include/linux/iova.h`` and ``drivers/iommu/iova.c`` (v6.x):
an ``iova_domain`` of page frames (pfns) of ``granule`` bytes, allocations that grow
down from a limit, ``reserve_iova`` for holes the allocator must never hand out, and the
per-size range caches (``alloc_iova_fast``/``free_iova_fast``) in front. Placement is the
highest fit below the limit, exactly (Linux's next-fit walk approximates it), and every
operation is O(log n) however fragmented the space is.

>>> d = IovaDomain(granule=4096, start_pfn=1)
>>> hex(d.alloc(1, 0xfffff))          # a PCI device's first 4 KiB mapping: IOVA 0xfffff000
'0xfffff'
>>> d.alloc(2, 0xfffff)               # size-aligned: 2 pfns start on an even pfn
1048572
>>> d.reserve(0xfee00, 0xfeeff)       # e.g. the x86 MSI window
>>> d.find(0xfee10), len(d)
((1043968, 1044223), 3)
>>> d.free(0xffffd)
>>> list(d)
[(1043968, 1044223), (1048575, 1048575)]

Nothing outside this module uses the compiled ``_iova_cffi`` module.
"""

from __future__ import annotations

import errno
from array import array
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple

try:
    from iommush.iova._iova_cffi import ffi, lib
except ImportError as exc:  # pragma: no cover - depends on how the package was installed
    raise ImportError(
        "iommush.iova: the compiled IOVA allocator (iommush.iova._iova_cffi) is missing. "
        "It is built at install time: reinstall with 'pip install .' on a machine with a "
        "C compiler and the Python headers (e.g. 'apt install gcc python3-dev'), or run "
        "'python iommush/iova/_build.py' in a source checkout."
    ) from exc

__all__ = [
    "GRANULES",
    "IOVA_DEPOT_DELAY_MS",
    "IOVA_MAG_SIZE",
    "IOVA_RANGE_CACHE_MAX_SIZE",
    "IovaAllocator",
    "IovaDomain",
    "IovaRange",
    "IovaStats",
]

#: Granules iommush models: the smallest page size of the IOMMUs it emulates.
GRANULES = (4096, 16384, 65536)
#: Orders cached by the range caches: sizes 1 .. 2**(IOVA_RANGE_CACHE_MAX_SIZE - 1) pfns.
IOVA_RANGE_CACHE_MAX_SIZE: int = lib.IOVA_RANGE_CACHE_MAX_SIZE
#: pfns per range-cache magazine.
IOVA_MAG_SIZE: int = lib.IOVA_MAG_SIZE
#: Period (ms) at which Linux's depot work trims the range caches; see ``trim_rcache``.
IOVA_DEPOT_DELAY_MS: int = lib.IOVA_DEPOT_DELAY_MS

_RESERVED: int = lib.IOVA_FLAG_RESERVED
_CACHED: int = lib.IOVA_FLAG_CACHED
_ALIGNED: int = lib.IOVA_BATCH_ALIGNED
_FAST: int = lib.IOVA_BATCH_FAST
_CHUNK = 1024

_alloc = lib.iova_alloc
_free = lib.iova_free
_alloc_fast = lib.iova_alloc_fast
_free_fast = lib.iova_free_fast
_find = lib.iova_find
_halloc = lib.iova_handle_alloc


class IovaRange(NamedTuple):
    """One range of the tree, as the debugfs view lists it."""

    pfn_lo: int
    pfn_hi: int
    reserved: bool  #: made or extended by ``reserve`` (reserve_iova)
    cached: bool  #: given back with ``free_fast`` and parked in a range cache


class IovaStats(NamedTuple):
    """Counters of a domain (``IovaDomain.stats``)."""

    granule: int
    start_pfn: int
    dma_32bit_pfn: int
    max_pfn: int
    ranges: int  #: ranges in the tree, reserved and cached ones included
    pages: int  #: pfns those ranges cover
    cached: int  #: ranges parked in the range caches
    depot: int  #: full magazines in the depots
    height: int  #: tree height
    max_gap: int  #: largest free gap in pfns (the anchor's included)
    node_bytes: int  #: bytes of one tree node
    bytes: int  #: bytes held by the domain
    searches: int  #: tree searches run by allocations
    visits: int  #: nodes they visited
    last_visits: int  #: nodes visited by the last one
    max_visits: int  #: most nodes visited by one
    rcache_hits: int
    rcache_misses: int

    @property
    def bytes_per_range(self) -> float:
        """Memory per live range (the goal is at most 64 bytes)."""
        return self.bytes / self.ranges if self.ranges else float(self.bytes)


def _u64_array(values: Iterable[int], what: str) -> array[int]:
    """``values`` as an ``array('Q')`` (no copy when it already is one)."""
    if isinstance(values, array) and values.typecode == "Q":
        return values
    try:
        return array("Q", values)
    except OverflowError:
        raise ValueError(f"{what} must be integers between 0 and 2**64 - 1") from None


def _u64_ptr(buf: array[int]) -> Any:
    return ffi.from_buffer("uint64_t[]", buf)


def _u64_out(buf: array[int], what: str) -> Any:
    """A buffer C writes to: it must hold 8-byte unsigned integers."""
    if not (isinstance(buf, array) and buf.typecode in "QL" and buf.itemsize == 8):
        raise TypeError(f"{what} must be an array('Q')")
    return ffi.from_buffer("uint64_t[]", buf, require_writable=True)


class IovaDomain:
    """An IOVA domain: ``init_iova_domain(iovad, granule, start_pfn)``.

    ``granule`` is the smallest IOMMU page size in bytes (4, 16 or 64 KiB); ``start_pfn``
    the lowest pfn handed out (iommu-dma uses at least 1, so 0 never is an IOVA and means
    failure in the C layer). pfns range up to ``max_pfn`` (``~0 >> shift``), the bound
    ``reserve_iova`` warns about; ``dma_32bit_pfn`` is the 4 GiB boundary.

    A domain is not thread-safe: the kernel serialises with ``iova_rbtree_lock``, iommush
    runs its model on one thread. The C calls release the GIL, so two threads must not use
    one domain at the same time.
    """

    __slots__ = (
        "__weakref__",
        "_d",
        "_lohi",
        "_flags",
        "dma_32bit_pfn",
        "granule",
        "max_pfn",
        "shift",
        "start_pfn",
    )

    def __init__(self, granule: int = 4096, start_pfn: int = 1) -> None:
        if type(granule) is not int or granule not in GRANULES:  # noqa: E721 - bool is no granule
            raise ValueError(f"granule must be one of {GRANULES} bytes, not {granule!r}")
        self.granule = granule
        self.shift = granule.bit_length() - 1
        self.max_pfn = ((1 << 64) - 1) >> self.shift
        self.dma_32bit_pfn = 1 << (32 - self.shift)
        if not 1 <= start_pfn <= self.max_pfn:
            raise ValueError(f"start_pfn must be between 1 and {self.max_pfn:#x}, not {start_pfn}")
        self.start_pfn = start_pfn
        d = lib.iova_domain_new(granule, start_pfn)
        if d == ffi.NULL:
            raise MemoryError("cannot allocate an IOVA domain")
        self._d = ffi.gc(d, lib.iova_domain_free)
        self._lohi = ffi.new("uint64_t[2]")
        self._flags = ffi.new("uint32_t *")

    def __repr__(self) -> str:
        return (
            f"IovaDomain(granule={self.granule}, start_pfn={self.start_pfn}) "
            f"with {len(self)} ranges"
        )

    # ---- argument checks: every bad value is a ValueError before C sees it ----

    def _check_pfn(self, pfn: int, what: str = "pfn") -> None:
        if not 0 <= pfn <= self.max_pfn:
            raise ValueError(f"{what} must be between 0 and {self.max_pfn:#x}, not {pfn}")

    def _check_request(self, size: int, limit_pfn: int) -> None:
        if not 0 < size <= self.max_pfn:
            raise ValueError(f"size must be between 1 and {self.max_pfn:#x} pfns, not {size}")
        if not self.start_pfn <= limit_pfn <= self.max_pfn:
            raise ValueError(
                f"limit_pfn must be between start_pfn ({self.start_pfn:#x}) and "
                f"{self.max_pfn:#x}, not {limit_pfn}"
            )

    def _check_sizes(self, sizes: array[int]) -> None:
        if sizes and (min(sizes) == 0 or max(sizes) > self.max_pfn):
            raise ValueError(f"sizes must be between 1 and {self.max_pfn:#x} pfns")

    # ---- alloc_iova / free_iova / reserve_iova / find_iova ----

    def alloc(self, size: int, limit_pfn: int, size_aligned: bool = True) -> int | None:
        """``alloc_iova()``: the highest free range of ``size`` pfns ending at or below
        ``limit_pfn`` (inclusive), aligned to ``roundup_pow_of_two(size)`` when
        ``size_aligned``. Returns its first pfn, or None when nothing fits."""
        if not (0 < size <= self.max_pfn and self.start_pfn <= limit_pfn <= self.max_pfn):
            self._check_request(size, limit_pfn)
        return _alloc(self._d, size, limit_pfn, size_aligned) or None

    def free(self, pfn: int) -> None:
        """``free_iova()``: free the range containing ``pfn`` (LookupError if none).

        A range parked in a range cache is already free for its user: freeing it again is
        a LookupError too. Reserved ranges are ordinary ranges, as in Linux: freeing one
        gives its pfns back (iommu-dma never does)."""
        if not 0 <= pfn <= self.max_pfn:
            self._check_pfn(pfn)
        if not _free(self._d, pfn):
            raise LookupError(f"no allocated IOVA range contains pfn {pfn:#x}")

    def reserve(self, pfn_lo: int, pfn_hi: int) -> None:
        """``reserve_iova()``: keep ``[pfn_lo, pfn_hi]`` from ever being allocated.

        As in Linux, ranges it overlaps are extended down to the request's start and the
        rest of the request continues above them, so the result may be several adjacent
        ranges rather than one."""
        self._check_pfn(pfn_lo, "pfn_lo")
        self._check_pfn(pfn_hi, "pfn_hi")
        if pfn_lo > pfn_hi:
            raise ValueError(f"pfn_lo {pfn_lo:#x} is above pfn_hi {pfn_hi:#x}")
        if lib.iova_reserve(self._d, pfn_lo, pfn_hi) == -errno.ENOMEM:
            raise MemoryError("cannot allocate an IOVA range")

    def find(self, pfn: int) -> tuple[int, int] | None:
        """``find_iova()``: the range containing ``pfn`` as ``(pfn_lo, pfn_hi)``, or None."""
        if not 0 <= pfn <= self.max_pfn:
            self._check_pfn(pfn)
        lohi = self._lohi
        if not _find(self._d, pfn, lohi, ffi.NULL):
            return None
        return (lohi[0], lohi[1])

    def range_at(self, pfn: int) -> IovaRange | None:
        """Like ``find`` with the range's reserved/cached flags."""
        self._check_pfn(pfn)
        if not _find(self._d, pfn, self._lohi, self._flags):
            return None
        flags = self._flags[0]
        return IovaRange(
            self._lohi[0], self._lohi[1], bool(flags & _RESERVED), bool(flags & _CACHED)
        )

    def __contains__(self, pfn: object) -> bool:
        return isinstance(pfn, int) and 0 <= pfn <= self.max_pfn and self.find(pfn) is not None

    def __len__(self) -> int:
        return int(lib.iova_count(self._d))

    def __iter__(self) -> Iterator[tuple[int, int]]:
        """Ranges as ``(pfn_lo, pfn_hi)`` in address order (reserved and cached included)."""
        for r in self.ranges():
            yield (r.pfn_lo, r.pfn_hi)

    def ranges(self, from_pfn: int = 0) -> Iterator[IovaRange]:
        """Ranges starting at or above ``from_pfn`` in address order, with their flags.

        Fetched 1024 at a time; changing the domain while iterating continues from the
        last range seen."""
        self._check_pfn(from_pfn, "from_pfn")
        lohi = array("Q", bytes(16 * _CHUNK))
        flags = bytearray(_CHUNK)
        cursor = from_pfn
        while True:
            n = lib.iova_ranges(self._d, cursor, _u64_ptr(lohi), ffi.from_buffer(flags), _CHUNK)
            for i in range(n):
                f = flags[i]
                yield IovaRange(
                    lohi[2 * i], lohi[2 * i + 1], bool(f & _RESERVED), bool(f & _CACHED)
                )
            if n < _CHUNK:
                return
            cursor = lohi[2 * n - 2] + 1

    # ---- alloc_iova_fast / free_iova_fast and the range caches ----

    def alloc_fast(self, size: int, limit_pfn: int, flush_rcache: bool = True) -> int | None:
        """``alloc_iova_fast()``: sizes below 32 pfns are rounded up to a power of two; a
        range cache of that order answers first, then the tree (size-aligned). On failure
        with ``flush_rcache``, every cached range goes back to the tree and the tree is
        tried once more."""
        if not (0 < size <= self.max_pfn and self.start_pfn <= limit_pfn <= self.max_pfn):
            self._check_request(size, limit_pfn)
        return _alloc_fast(self._d, size, limit_pfn, flush_rcache) or None

    def free_fast(self, pfn: int, size: int) -> None:
        """``free_iova_fast()``: park the range starting at ``pfn`` in the range cache of its
        order (sizes up to 32 pfns), else free it. ``size`` is the one given to
        ``alloc_fast``. LookupError if no live range starts at ``pfn``; ValueError if the
        range's size does not match (Linux would cache it under the wrong order)."""
        if not (0 <= pfn <= self.max_pfn and 0 < size <= self.max_pfn):
            self._check_pfn(pfn)
            raise ValueError(f"size must be between 1 and {self.max_pfn:#x} pfns, not {size}")
        rc = _free_fast(self._d, pfn, size)
        if rc:
            if rc == -errno.ENOENT:
                raise LookupError(f"no allocated IOVA range starts at pfn {pfn:#x}")
            raise ValueError(f"the range at pfn {pfn:#x} was not allocated with size {size}")

    def flush_rcache(self) -> None:
        """``free_cpu_cached_iovas()`` + ``free_global_cached_iovas()``: every cached range
        goes back to the tree."""
        lib.iova_rcache_flush(self._d)

    def trim_rcache(self, online_cpus: int = 1) -> int:
        """One run of Linux's depot work (every ``IOVA_DEPOT_DELAY_MS``): each size order
        whose depot holds more full magazines than ``online_cpus`` gives one back to the
        tree. Returns the number of magazines given back."""
        if not 1 <= online_cpus <= 0xFFFFFFFF:
            raise ValueError(f"online_cpus must be at least 1, not {online_cpus}")
        return int(lib.iova_rcache_trim(self._d, online_cpus))

    # ---- batches: one C call for many operations ----

    def alloc_many(
        self, sizes: Iterable[int], limit_pfn: int, size_aligned: bool = True, fast: bool = False
    ) -> list[int | None]:
        """Allocate every size in ``sizes`` (``alloc``, or ``alloc_fast`` when ``fast``)
        against ``limit_pfn`` in one C call; None for those that did not fit."""
        buf = _u64_array(sizes, "sizes")
        out = array("Q", bytes(8 * len(buf)))
        self.alloc_batch(buf, out, limit_pfn, size_aligned=size_aligned, fast=fast)
        return [p or None for p in out]

    def alloc_batch(
        self,
        sizes: Iterable[int],
        out: array[int],
        limit_pfn: int,
        *,
        size_aligned: bool = True,
        fast: bool = False,
        visits: array[int] | None = None,
    ) -> int:
        """Zero-copy batch: ``out[i]`` gets the pfn for ``sizes[i]`` or 0. Returns the
        number of successes. ``visits`` (``array('I')``) receives the tree nodes each
        allocation visited (the complexity counter)."""
        sizes = _u64_array(sizes, "sizes")
        n = len(sizes)
        optr = _u64_out(out, "out")
        if len(out) < n or (visits is not None and len(visits) < n):
            raise ValueError("out (and visits) must be at least as long as sizes")
        if n and not (self.start_pfn <= limit_pfn <= self.max_pfn):
            self._check_request(1, limit_pfn)
        self._check_sizes(sizes)
        flags = (_ALIGNED if size_aligned else 0) | (_FAST if fast else 0)
        vptr = ffi.NULL
        if visits is not None:
            if not (isinstance(visits, array) and visits.itemsize == 4 and visits.typecode in "IL"):
                raise TypeError("visits must be an array('I')")
            vptr = ffi.from_buffer("uint32_t[]", visits, require_writable=True)
        return int(lib.iova_alloc_batch(self._d, _u64_ptr(sizes), optr, n, limit_pfn, flags, vptr))

    def free_many(self, pfns: Iterable[int], sizes: Iterable[int] | None = None) -> None:
        """Free every pfn (``free``), or give each back to the range caches (``free_fast``)
        when ``sizes`` is given. Stops at the first pfn that cannot be freed and raises
        LookupError (ValueError for a size mismatch); the ones before it stay freed."""
        buf = _u64_array(pfns, "pfns")
        if buf and max(buf) > self.max_pfn:
            raise ValueError(f"pfns must be between 0 and {self.max_pfn:#x}")
        n = len(buf)
        if sizes is None:
            done = lib.iova_free_batch(self._d, _u64_ptr(buf), ffi.NULL, n, 0)
        else:
            sz = _u64_array(sizes, "sizes")
            if len(sz) != n:
                raise ValueError("pfns and sizes must have the same length")
            self._check_sizes(sz)
            done = lib.iova_free_batch(self._d, _u64_ptr(buf), _u64_ptr(sz), n, _FAST)
        if done < n:
            if sizes is not None:
                self.free_fast(buf[done], sz[done])  # raises the precise error
            raise LookupError(
                f"no allocated IOVA range contains pfn {buf[done]:#x} ({done} freed before it)"
            )

    def replace_many(
        self,
        slots: array[int],
        victims: Iterable[int],
        sizes: Iterable[int],
        limit_pfn: int,
        *,
        size_aligned: bool = True,
        fast: bool = False,
    ) -> int:
        """Steady-state churn in one call: for each i, free ``slots[victims[i]]`` (unless
        it is 0), then allocate ``sizes[i]`` into that slot (0 when it does not fit).
        Returns the number of failed allocations. LookupError if a slot holds a pfn that
        is not allocated (earlier steps stay done)."""
        sptr = _u64_out(slots, "slots")
        victims = _u64_array(victims, "victims")
        sizes = _u64_array(sizes, "sizes")
        n = len(victims)
        if len(sizes) != n:
            raise ValueError("victims and sizes must have the same length")
        if n and max(victims) >= len(slots):
            raise ValueError("victims must index slots")
        if n and not (self.start_pfn <= limit_pfn <= self.max_pfn):
            self._check_request(1, limit_pfn)
        self._check_sizes(sizes)
        flags = (_ALIGNED if size_aligned else 0) | (_FAST if fast else 0)
        rc = int(
            lib.iova_replace_batch(
                self._d, sptr, _u64_ptr(victims), _u64_ptr(sizes), n, limit_pfn, flags
            )
        )
        if rc < 0:
            raise LookupError(f"step {-rc - 1}: no allocated IOVA range starts at the slot's pfn")
        return rc

    def allocator(self, limit_pfn: int, size_aligned: bool = True) -> IovaAllocator:
        """A handle with the limit and alignment baked in, for hot loops."""
        return IovaAllocator(self, limit_pfn, size_aligned)

    # ---- inspection ----

    @property
    def visits_last_alloc(self) -> int:
        """Tree nodes visited by the last allocation's search (debug counter)."""
        return int(lib.iova_last_visits(self._d))

    def stats(self) -> IovaStats:
        st = ffi.new("struct iova_stats *")
        lib.iova_get_stats(self._d, st)
        return IovaStats._make([int(getattr(st, f)) for f in IovaStats._fields])

    def check(self) -> None:
        """Verify every invariant of the tree and caches (O(n)); AssertionError if broken."""
        rc = lib.iova_check(self._d)
        if rc:
            raise AssertionError(f"IOVA domain invariant broken (code {rc})")


class IovaAllocator:
    """``d.allocator(limit_pfn, size_aligned)``: ``alloc(size)``/``free(pfn)`` with the
    limit and flags checked once and baked into a C handle, for loops that map and unmap
    many buffers (each call crosses into C with two arguments instead of four)."""

    __slots__ = ("_d", "_h", "_max", "domain")

    def __init__(self, domain: IovaDomain, limit_pfn: int, size_aligned: bool = True) -> None:
        domain._check_request(1, limit_pfn)
        self.domain = domain
        self._d = domain._d
        self._max = domain.max_pfn
        h = ffi.new("struct iova_handle *")
        h.domain = domain._d
        h.limit_pfn = limit_pfn
        h.size_aligned = 1 if size_aligned else 0
        self._h = h

    @property
    def limit_pfn(self) -> int:
        return int(self._h.limit_pfn)

    @property
    def size_aligned(self) -> bool:
        return bool(self._h.size_aligned)

    def alloc(self, size: int) -> int | None:
        """``alloc_iova(size, limit_pfn, size_aligned)``: first pfn, or None."""
        if not 0 < size <= self._max:
            raise ValueError(f"size must be between 1 and {self._max:#x} pfns, not {size}")
        return _halloc(self._h, size) or None

    def free(self, pfn: int) -> None:
        """``free_iova(pfn)``: LookupError if no allocated range contains pfn."""
        if not 0 <= pfn <= self._max:
            raise ValueError(f"pfn must be between 0 and {self._max:#x}, not {pfn}")
        if not _free(self._d, pfn):
            raise LookupError(f"no allocated IOVA range contains pfn {pfn:#x}")
