"""The IOVA cookie of a DMA or DMA-FQ domain (drivers/iommu/dma-iommu.c, v6.3-v6.12).

``iommu_dma_init_domain`` gives a DMA-API domain an IOVA domain whose granule is the
IOMMU's smallest page size, with the PCI host-bridge windows and the group's reserved
regions (all but software MSI) reserved; a DMA-FQ domain also gets a flush queue
(``iommu_dma_init_fq``: a ring of ``IOVA_FQ_SIZE`` entries and a ``IOVA_FQ_TIMEOUT``
timer on the virtual clock). ``iommu_dma_alloc_iova`` places an allocation the way each
version does (6.3: every PCI allocation tries below 4 GiB first; 6.4+: until the first
failure, then ``Using N-bit DMA addresses`` and never again for that device);
``__iommu_dma_map``/``__iommu_dma_unmap`` allocate, map, unmap, and free at once
(strict) or through the flush queue (lazy).
"""

from __future__ import annotations

import copy
import errno
from collections.abc import MutableMapping
from typing import TYPE_CHECKING, NamedTuple

from .domain import IOMMU_DOMAIN_DMA_FQ, IommuDomain
from .errors import KernelError
from .pci import PciDev
from .printk import KERN_NOTICE
from .resv import IOMMU_RESV_SW_MSI, IommuResvType

if TYPE_CHECKING:
    from iommush.iova import IovaDomain

    from .clock import Timer
    from .device import KernelDevice
    from .iommu_group import IommuGroup
    from .kernel import Kernel

__all__ = [
    "IOVA_FQ_SIZE",
    "IOVA_FQ_TIMEOUT_MS",
    "IOVA_GRANULES",
    "IommuDmaCookie",
    "IovaFq",
    "IovaReservation",
    "bits_per",
    "clone_iova_domain",
    "dma_bit_mask",
    "iommu_dma_alloc_iova",
    "iommu_dma_init_domain",
    "iommu_dma_init_fq",
    "iommu_dma_map",
    "iommu_dma_unmap",
    "iommu_put_dma_cookie",
    "queue_iova",
]

#: Flush-queue ring size and timeout (``IOVA_FQ_SIZE``/``IOVA_FQ_TIMEOUT``, 6.3;
#: ``IOVA_DEFAULT_FQ_SIZE``/``IOVA_DEFAULT_FQ_TIMEOUT`` from 6.7). One slot of the ring
#: always stays empty (``fq_full``), so it holds 255 pending frees.
IOVA_FQ_SIZE = 256
IOVA_FQ_TIMEOUT_MS = 10
#: The granules the IOVA allocator models (``iommush.iova.GRANULES``), here so that
#: booting, which sets up every domain's cookie, does not load the allocator; the
#: allocator itself is made the first time a domain maps something.
IOVA_GRANULES = (4096, 16384, 65536)
_NAMES = {
    IommuResvType.DIRECT: "direct",
    IommuResvType.DIRECT_RELAXABLE: "direct-relaxable",
    IommuResvType.RESERVED: "reserved",
    IommuResvType.MSI: "msi",
}


def dma_bit_mask(bits: int) -> int:
    """``DMA_BIT_MASK(n)``."""
    return (1 << 64) - 1 if bits >= 64 else (1 << bits) - 1


def bits_per(n: int) -> int:
    """``bits_per()`` (include/linux/log2.h): bits needed to hold ``n``."""
    return max(1, n.bit_length())


class IovaReservation(NamedTuple):
    """One ``reserve_iova`` made at init: byte range (inclusive) and what it is."""

    start: int
    end: int
    what: str


class IovaFqEntry:
    """``struct iova_fq_entry``: the range and the flush count it waits for."""

    __slots__ = ("iova_pfn", "pages", "counter")

    def __init__(self, iova_pfn: int, pages: int, counter: int) -> None:
        self.iova_pfn = iova_pfn
        self.pages = pages
        self.counter = counter

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, IovaFqEntry):
            return NotImplemented
        mine = (self.iova_pfn, self.pages, self.counter)
        return mine == (other.iova_pfn, other.pages, other.counter)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"IovaFqEntry(iova_pfn={self.iova_pfn!r}, pages={self.pages!r}, counter={self.counter!r})"


class IovaFq:
    """``struct iova_fq``: a ring of ``size`` slots with ``head``/``tail``/``mod_mask``."""

    def __init__(self, size: int = IOVA_FQ_SIZE) -> None:
        self._entries: list[IovaFqEntry | None] | None = None
        self.mod_mask = size - 1
        self.head = 0
        self.tail = 0

    @property
    def entries(self) -> list[IovaFqEntry | None]:
        """The ring's slots, made when first used (most domains never queue a free)."""
        entries = self._entries
        if entries is None:
            entries = self._entries = [None] * (self.mod_mask + 1)
        return entries

    def full(self) -> bool:
        """``fq_full()``: one slot always stays empty."""
        return ((self.tail + 1) & self.mod_mask) == self.head

    def __len__(self) -> int:
        return (self.tail - self.head) & self.mod_mask

    def pending(self) -> list[IovaFqEntry]:
        out = []
        i = self.head
        while i != self.tail:
            e = self.entries[i]
            assert e is not None
            out.append(e)
            i = (i + 1) & self.mod_mask
        return out


class IommuDmaCookie:
    """``struct iommu_dma_cookie`` (``IOMMU_DMA_IOVA_COOKIE``) of one domain."""

    __slots__ = (
        "kernel",
        "domain",
        "iova_granule",
        "aperture_end",
        "reservations",
        "fq",
        "fq_flush_start_cnt",
        "fq_flush_finish_cnt",
        "fq_timer",
        "flushes",
        "timer_flushes",
        "full_flushes",
        "dead",
        "_iovad",
        "__weakref__",
    )

    def __init__(
        self,
        kernel: Kernel,
        domain: IommuDomain,
        iova_granule: int,
        aperture_end: int,
        reservations: list[IovaReservation] | None = None,
    ) -> None:
        self.kernel = kernel
        self.domain = domain
        #: ``cookie->iovad.granule``: the smallest IOMMU page size.
        self.iova_granule = iova_granule
        self.aperture_end = aperture_end
        #: The ``reserve_iova`` calls of init, in order (replayed when the allocator is
        #: made).
        self.reservations: list[IovaReservation] = [] if reservations is None else reservations
        #: ``cookie->fq_domain``/``fq``: set while the domain runs lazily.
        self.fq: IovaFq | None = None
        self.fq_flush_start_cnt = 0
        self.fq_flush_finish_cnt = 0
        self.fq_timer: Timer | None = None
        #: Counters for the debugfs view.
        self.flushes = 0
        self.timer_flushes = 0
        self.full_flushes = 0
        self.dead = False
        #: The IOVA allocator once made (see :attr:`iovad`).
        self._iovad: IovaDomain | None = None

    def __repr__(self) -> str:
        return (
            f"IommuDmaCookie(domain={self.domain!r}, iova_granule={self.iova_granule!r}, "
            f"aperture_end={self.aperture_end!r}, fq={self.fq is not None}, dead={self.dead!r})"
        )

    @property
    def iovad(self) -> IovaDomain:
        """``cookie->iovad``: made with the init's reservations the first time anything
        looks at it (a machine with thousands of groups allocates in a few of them), so
        it is exactly the allocator ``init_iova_domain`` + the ``reserve_iova`` calls
        would have left."""
        iovad = self._iovad
        if iovad is None:
            from iommush.iova import IovaDomain

            iovad = IovaDomain(granule=self.iova_granule, start_pfn=1)
            shift = iovad.shift
            for r in self.reservations:
                iovad.reserve(r.start >> shift, r.end >> shift)
            self._iovad = iovad
        return iovad

    @property
    def granule(self) -> int:
        return self.iova_granule

    @property
    def shift(self) -> int:
        return self.iova_granule.bit_length() - 1

    def queued_pfns(self) -> set[int]:
        return {e.iova_pfn for e in self.fq.pending()} if self.fq is not None else set()

    def on_fq_timer(self) -> None:
        """The flush-queue timer's callback (a bound method, so a copied kernel's timer
        fires on the copied cookie)."""
        fq_flush_timeout(self)

    def __deepcopy__(self, memo: dict[int, object]) -> IommuDmaCookie:
        new = IommuDmaCookie.__new__(IommuDmaCookie)
        memo[id(self)] = new
        for name in self.__slots__:
            if name == "__weakref__":
                continue
            value = getattr(self, name)
            if name == "_iovad":
                new._iovad = clone_iova_domain(value) if value is not None else None
            else:
                setattr(new, name, copy.deepcopy(value, memo))
        return new


def clone_iova_domain(src: IovaDomain) -> IovaDomain:
    """An IOVA domain with the same ranges as ``src``: reserved ones reserved, the
    others allocated exactly where they are (the highest fit ending at ``pfn_hi`` is the
    range itself), cached ones given back to the range caches. Magazine order is not
    kept (address order instead)."""
    from iommush.iova import IovaDomain

    new = IovaDomain(src.granule, src.start_pfn)
    cached = []
    for r in src.ranges():
        if r.reserved:
            new.reserve(r.pfn_lo, r.pfn_hi)
            continue
        size = r.pfn_hi - r.pfn_lo + 1
        pfn = new.alloc(size, r.pfn_hi, size_aligned=False)
        assert pfn == r.pfn_lo, (hex(r.pfn_lo), pfn)
        if r.cached:
            cached.append((r.pfn_lo, size))
    for pfn, size in cached:
        new.free_fast(pfn, size)
    return new


def _aperture_end(dev: KernelDevice) -> int:
    """``domain->geometry.aperture_end``: the unit's input address width."""
    assert dev.iommu is not None
    return (1 << dev.iommu.iommu_dev.spec.address_width) - 1


def _granule(dev: KernelDevice) -> int:
    """``1UL << __ffs(domain->pgsize_bitmap)``."""
    assert dev.iommu is not None
    bitmap = dev.iommu.iommu_dev.spec.pgsize_bitmap or 4096
    low = bitmap & -bitmap
    return low if low in IOVA_GRANULES else 4096


def iommu_dma_init_domain(kernel: Kernel, domain: IommuDomain, group: IommuGroup) -> IommuDmaCookie:
    """``iommu_get_dma_cookie`` + ``iommu_dma_init_domain(domain, dev)`` for the group's
    first device: ``start_pfn`` 1 (IOVA 0 is never handed out), the host-bridge MEM
    windows of a PCI device (``iova_reserve_pci_windows``), every reserved region of the
    group but ``SW_MSI`` (``iova_reserve_iommu_regions``), and the flush queue of a
    DMA-FQ domain."""
    dev = group.devices[0].dev
    granule = _granule(dev)
    # (the domain's mappings become a page table at its first iommu_map)
    shift = granule.bit_length() - 1
    max_pfn = ((1 << 64) - 1) >> shift  # the allocator's ``max_pfn``
    reservations: list[IovaReservation] = []

    def reserve(start: int, end: int, what: str) -> None:
        lo, hi = start >> shift, end >> shift
        if hi > max_pfn or lo > hi:
            return
        reservations.append(IovaReservation(lo << shift, ((hi + 1) << shift) - 1, what))

    if isinstance(dev, PciDev):
        for start, end in kernel.spec.pci_windows:
            reserve(start, end, "PCI host-bridge window")
    for r in group.resv_regions():
        if r.type == IOMMU_RESV_SW_MSI:
            continue  # "We ARE the software that manages these!"
        reserve(r.start, r.end, _NAMES.get(r.type, "reserved"))
    cookie = IommuDmaCookie(kernel, domain, granule, _aperture_end(dev), reservations)
    if domain.type == IOMMU_DOMAIN_DMA_FQ:
        iommu_dma_init_fq(cookie)
    return cookie


def iommu_dma_init_fq(cookie: IommuDmaCookie) -> None:
    """``iommu_dma_init_fq()``: idempotent; the ring, the counters, the timer."""
    if cookie.fq is not None:
        return
    cookie.fq = IovaFq()
    cookie.fq_flush_start_cnt = cookie.fq_flush_finish_cnt = 0
    cookie.domain.fq = True


def iommu_put_dma_cookie(cookie: IommuDmaCookie) -> None:
    """``iommu_put_dma_cookie()`` from ``iommu_domain_free``: ``del_timer_sync`` on the
    flush-queue timer, then the IOVA domain goes (``put_iova_domain``)."""
    if cookie.fq_timer is not None:
        cookie.fq_timer.cancel()
        cookie.fq_timer = None
    cookie.fq = None
    cookie.dead = True


def _fq_flush_iotlb(cookie: IommuDmaCookie) -> None:
    """``fq_flush_iotlb()``: start count, ``ops->flush_iotlb_all``, finish count."""
    cookie.fq_flush_start_cnt += 1
    cookie.flushes += 1
    cookie.fq_flush_finish_cnt += 1


def _fq_ring_free(cookie: IommuDmaCookie) -> None:
    """``fq_ring_free_locked()``: give back every entry a completed flush covers."""
    fq = cookie.fq
    assert fq is not None
    counter = cookie.fq_flush_finish_cnt
    while fq.head != fq.tail:
        e = fq.entries[fq.head]
        assert e is not None
        if e.counter >= counter:
            break
        cookie.iovad.free_fast(e.iova_pfn, e.pages)
        fq.entries[fq.head] = None
        fq.head = (fq.head + 1) & fq.mod_mask


def fq_flush_timeout(cookie: IommuDmaCookie) -> None:
    """``fq_flush_timeout()``: clear ``fq_timer_on``, flush, free every ring."""
    cookie.fq_timer = None
    if cookie.dead or cookie.fq is None:
        return
    _fq_flush_iotlb(cookie)
    cookie.timer_flushes += 1
    _fq_ring_free(cookie)


def queue_iova(cookie: IommuDmaCookie, pfn: int, pages: int) -> None:
    """``queue_iova()``: free what is already flushed; a full ring flushes now; append
    with the current start count; arm the timer once for ``IOVA_FQ_TIMEOUT`` ms."""
    fq = cookie.fq
    assert fq is not None
    _fq_ring_free(cookie)
    if fq.full():
        _fq_flush_iotlb(cookie)
        cookie.full_flushes += 1
        _fq_ring_free(cookie)
    fq.entries[fq.tail] = IovaFqEntry(pfn, pages, cookie.fq_flush_start_cnt)
    fq.tail = (fq.tail + 1) & fq.mod_mask
    if cookie.fq_timer is None:
        cookie.fq_timer = cookie.kernel.clock.add_timer(
            IOVA_FQ_TIMEOUT_MS / 1000, cookie.on_fq_timer
        )


def iommu_dma_alloc_iova(
    cookie: IommuDmaCookie,
    dev: KernelDevice,
    size: int,
    dma_limit: int,
    sac: MutableMapping[object, bool],
) -> int:
    """``iommu_dma_alloc_iova()``: 0 when nothing fits.

    ``dma_limit`` is clamped to the aperture. 6.3: a PCI device (unless
    ``iommu.forcedac``) tries below 4 GiB on every call. 6.4+: while
    ``dev->iommu->pci_32bit_workaround`` holds (``sac[dev.iommu]``); the first failure
    clears it for good and logs ``Using %d-bit DMA addresses``."""
    kernel = cookie.kernel
    iovad = cookie.iovad
    shift = iovad.shift
    iova_len = size >> shift
    dma_limit = min(dma_limit, cookie.aperture_end)
    forcedac = kernel.boot_params.forcedac
    pci = isinstance(dev, PciDev)
    if kernel.version.model == "6.3":
        try_sac = pci and not forcedac
    else:
        try_sac = pci and sac.setdefault(dev.iommu, not forcedac)
    mask32 = dma_bit_mask(32)
    if dma_limit > mask32 and try_sac:
        pfn = iovad.alloc_fast(iova_len, mask32 >> shift, flush_rcache=False)
        if pfn is not None:
            return pfn << shift
        if kernel.version.model != "6.3":
            sac[dev.iommu] = False
            kernel.printk.printk(
                f"{dev.dev_prefix()}: Using {bits_per(dma_limit)}-bit DMA addresses",
                KERN_NOTICE,
            )
    limit_pfn = dma_limit >> shift
    if limit_pfn < iovad.start_pfn:
        return 0
    pfn = iovad.alloc_fast(iova_len, limit_pfn, flush_rcache=True)
    return (pfn << shift) if pfn is not None else 0


def _iova_align(cookie: IommuDmaCookie, size: int) -> int:
    g = cookie.granule
    return (size + g - 1) & ~(g - 1)


def iommu_dma_map(
    cookie: IommuDmaCookie,
    dev: KernelDevice,
    phys: int,
    size: int,
    prot: int,
    dma_mask: int,
    sac: MutableMapping[object, bool],
) -> tuple[int, int]:
    """``__iommu_dma_map()``: align to the granule, allocate, ``iommu_map``; a failed
    map frees the IOVA at once. Returns ``(dma_addr, aligned size)``; ENOMEM stands
    for ``DMA_MAPPING_ERROR``."""
    from .iommu_map import iommu_map  # (the DMA API is not used at boot)

    iova_off = phys & (cookie.granule - 1)
    size = _iova_align(cookie, size + iova_off)
    iova = iommu_dma_alloc_iova(cookie, dev, size, dma_mask, sac)
    if not iova:
        raise KernelError(errno.ENOMEM, "no IOVA space below the DMA mask")
    try:
        iommu_map(cookie.kernel, cookie.domain, iova, phys - iova_off, size, prot)
    except KernelError:
        cookie.iovad.free_fast(iova >> cookie.shift, size >> cookie.shift)
        raise
    return iova + iova_off, size


def iommu_dma_unmap(cookie: IommuDmaCookie, dma_addr: int, size: int) -> int:
    """``__iommu_dma_unmap()``: ``iommu_unmap_fast``; strict mode syncs the IOTLB and
    frees the IOVA now (``free_iova_fast``), lazy mode queues it (``queue_iova``).
    Returns the bytes unmapped."""
    from .iommu_map import iommu_unmap

    iova_off = dma_addr & (cookie.granule - 1)
    dma_addr -= iova_off
    size = _iova_align(cookie, size + iova_off)
    unmapped = iommu_unmap(cookie.kernel, cookie.domain, dma_addr, size)
    pfn, pages = dma_addr >> cookie.shift, size >> cookie.shift
    if cookie.fq is not None:
        queue_iova(cookie, pfn, pages)
    else:
        cookie.flushes += 1  # iommu_iotlb_sync
        cookie.iovad.free_fast(pfn, pages)
    return unmapped
