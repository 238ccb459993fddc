"""The dma-iommu layer of the kernel model: IOVA cookies, placement, flush queue."""

from __future__ import annotations

import errno

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iommush.kernel import KernelError
from iommush.kernel.dma_iommu import IOVA_FQ_SIZE, bits_per, dma_bit_mask
from iommush.kernel.dma_owner import iommu_group_claim_dma_owner, iommu_group_release_dma_owner

from .machines import boot_intel, dmesg, write

M64 = dma_bit_mask(64)
GIB = 1 << 30


def dev(k, name):
    d = k.pci.find(name)
    assert d is not None
    return d


@pytest.mark.parametrize("kernel", ["6.3", "6.4", "6.12"])
@pytest.mark.parametrize("cmdline", ["intel_iommu=on", "intel_iommu=on iommu.strict=1"])
def test_first_4k_map_lands_below_4g(kernel, cmdline):
    k = boot_intel(kernel, cmdline)
    m = k.dma.dma_map_single(dev(k, "0000:00:02.0"), 4096, M64)
    assert (m.dma_addr, m.mapped, m.path) == (0xFFFFF000, 4096, "iova")
    # whole granules, sizes below 32 pages rounded to a power of two and aligned to it
    m2 = k.dma.dma_map_single(dev(k, "0000:00:02.0"), 6000, M64)
    assert m2.dma_addr == 0xFFFFC000 and m2.mapped == 8192


def test_cookie_reserves_windows_and_regions():
    k = boot_intel()
    cookie = k.dma.cookie_of(dev(k, "0000:00:04.0"))
    assert cookie is not None and cookie.granule == 4096 and cookie.iovad.start_pfn == 1
    res = {(r.start, r.end, r.what) for r in cookie.reservations}
    assert res == {
        (0x80000000, 0xDFFFFFFF, "PCI host-bridge window"),
        (0x7B800000, 0x7B80FFFF, "direct"),
        (0xFEE00000, 0xFEEFFFFF, "msi"),
    }
    # nothing is ever allocated inside a reservation: fill the space below the window
    d = dev(k, "0000:00:04.0")
    maps = [k.dma.dma_map_single(d, 256 << 20, dma_bit_mask(32)) for _ in range(7)]
    for m in maps:
        assert not (m.dma_addr <= 0xDFFFFFFF and m.dma_addr + m.mapped > 0x80000000)
        assert not (m.dma_addr <= 0x7B80FFFF and m.dma_addr + m.mapped > 0x7B800000)
    with pytest.raises(KernelError) as exc:
        k.dma.dma_map_single(d, 1 << 30, dma_bit_mask(32))
    assert exc.value.errno == errno.ENOMEM


def test_sac_6_3_tries_32_bit_every_time():
    k = boot_intel("6.3")
    d = dev(k, "0000:00:02.0")
    mark = k.printk.mark()
    assert k.dma.dma_map_single(d, GIB, M64).dma_addr == 0x40000000
    high = k.dma.dma_map_single(d, GIB, M64).dma_addr  # no 1 GiB hole below 4 GiB left
    assert high == (1 << 48) - GIB
    assert k.dma.dma_map_single(d, 4096, M64).dma_addr == 0xFFFFF000  # SAC again
    assert not any("DMA addresses" in line for line in dmesg(k, mark))


@pytest.mark.parametrize("kernel", ["6.4", "6.12"])
def test_sac_6_4_switches_after_first_failure(kernel):
    k = boot_intel(kernel)
    d = dev(k, "0000:00:02.0")
    mark = k.printk.mark()
    assert k.dma.dma_map_single(d, GIB, M64).dma_addr == 0x40000000
    assert k.dma.dma_map_single(d, GIB, M64).dma_addr == (1 << 48) - GIB
    log = dmesg(k, mark)
    assert log == ["e1000e 0000:00:02.0: Using 48-bit DMA addresses"]
    assert k.printk.records()[-1].level == 5  # dev_notice
    small = k.dma.dma_map_single(d, 4096, M64).dma_addr
    assert small == (1 << 48) - GIB - 4096  # never below 4 GiB again for this device
    assert dmesg(k, mark) == log  # logged once
    # another device of another group still starts with 32-bit addresses
    assert k.dma.dma_map_single(dev(k, "0000:00:03.0"), 4096, M64).dma_addr == 0xFFFFF000


def test_mask_limits_the_address_and_bits_in_message():
    k = boot_intel("6.12")
    d = dev(k, "0000:00:03.0")
    mark = k.printk.mark()
    assert k.dma.dma_map_single(d, GIB, dma_bit_mask(40)).dma_addr == 0x40000000
    assert k.dma.dma_map_single(d, GIB, dma_bit_mask(40)).dma_addr == (1 << 40) - GIB
    assert dmesg(k, mark) == ["pci 0000:00:03.0: Using 40-bit DMA addresses"]
    assert bits_per(dma_bit_mask(64)) == 64 and bits_per(1) == 1


def test_flush_queue_defers_frees_until_timeout():
    k = boot_intel("6.12")
    d = dev(k, "0000:00:02.0")
    cookie = k.dma.cookie_of(d)
    assert cookie is not None and cookie.fq is not None
    m = k.dma.dma_map_single(d, 4096, M64)
    k.dma.dma_unmap_single(d, m.dma_addr)
    pfn = m.dma_addr >> 12
    assert [r.kind for r in k.dma.space(cookie) if r.start == m.dma_addr] == ["queued"]
    assert cookie.iovad.find(pfn) == (pfn, pfn)
    assert k.dma.dma_map_single(d, 4096, M64).dma_addr == 0xFFFFE000  # still queued
    k.sleep(0.009)
    r = cookie.iovad.range_at(pfn)
    assert r is not None and not r.cached and len(cookie.fq) == 1
    k.sleep(0.001)
    assert len(cookie.fq) == 0 and cookie.timer_flushes == 1
    r = cookie.iovad.range_at(pfn)
    assert r is not None and r.cached  # free_iova_fast: back in the range cache
    assert k.dma.dma_map_single(d, 4096, M64).dma_addr == 0xFFFFF000


def test_flush_queue_flushes_when_full():
    k = boot_intel("6.12")
    d = dev(k, "0000:00:02.0")
    cookie = k.dma.cookie_of(d)
    assert cookie is not None and cookie.fq is not None
    maps = [k.dma.dma_map_single(d, 4096, M64) for _ in range(IOVA_FQ_SIZE)]
    for m in maps[:-1]:
        k.dma.dma_unmap_single(d, m.dma_addr)
    assert len(cookie.fq) == IOVA_FQ_SIZE - 1 and cookie.full_flushes == 0  # one slot empty
    k.dma.dma_unmap_single(d, maps[-1].dma_addr)
    assert len(cookie.fq) == 1 and cookie.full_flushes == 1
    assert (
        k.fs.read_bytes(f"/sys/kernel/debug/iommu/dma/{cookie.domain.id}/flush_queue")
        .decode()
        .startswith(
            "size: 256\npending: 1\nflush_start_cnt: 1\nflush_finish_cnt: 1\nfull_flushes: 1"
        )
    )


def test_strict_frees_at_once():
    k = boot_intel("6.12", "intel_iommu=on iommu.strict=1")
    d = dev(k, "0000:00:02.0")
    cookie = k.dma.cookie_of(d)
    assert cookie is not None and cookie.fq is None and cookie.domain.type == 3
    m = k.dma.dma_map_single(d, 4096, M64)
    k.dma.dma_unmap_single(d, m.dma_addr)
    assert not k.dma.mappings(d) and not cookie.domain.mappings
    assert k.dma.dma_map_single(d, 4096, M64).dma_addr == 0xFFFFF000
    assert k.clock.pending_timers() == []


def test_identity_hands_out_physical_addresses():
    k = boot_intel("6.12", "intel_iommu=on iommu=pt")
    d = dev(k, "0000:00:02.0")
    assert k.dma.cookie_of(d) is None
    m = k.dma.dma_map_single(d, 4096, dma_bit_mask(32))
    assert m.path == "identity" and m.dma_addr == m.phys and m.phys + 4096 <= 1 << 32
    assert k.dma.dma_map_single(d, 8192, M64).dma_addr >= 1 << 32  # RAM above 4 GiB
    assert not d.iommu_group.default_domain.mappings
    k.dma.dma_unmap_single(d, m.dma_addr)
    assert len(k.dma.mappings(d)) == 1


def test_blocked_refuses():
    k = boot_intel("6.12")
    d = dev(k, "0000:00:03.0")  # no driver: user space may claim the group
    group = d.iommu_group
    owner = object()
    iommu_group_claim_dma_owner(group, owner)
    with pytest.raises(KernelError) as exc:
        k.dma.dma_map_single(d, 4096, M64)
    assert exc.value.errno == errno.EPERM and "blocking" in (exc.value.detail or "")
    iommu_group_release_dma_owner(group)
    assert k.dma.dma_map_single(d, 4096, M64).dma_addr == 0xFFFFF000


def test_map_and_unmap_tracepoints():
    k = boot_intel("6.12")
    d = dev(k, "0000:00:02.0")
    assert write(k, "/sys/kernel/tracing/events/iommu/map/enable", "1") == 0
    assert write(k, "/sys/kernel/tracing/events/iommu/unmap/enable", "1") == 0
    m = k.dma.dma_map_single(d, 4096, M64)
    k.dma.dma_unmap_single(d, m.dma_addr)
    trace = k.fs.read_bytes("/sys/kernel/tracing/trace").decode().splitlines()
    events = [line.split(": ", 1)[1] for line in trace if not line.startswith("#")]
    assert events == [
        f"map: IOMMU: iova=0x00000000fffff000 - 0x0000000100000000 paddr=0x{m.phys:016x} size=4096",
        "unmap: IOMMU: iova=0x00000000fffff000 - 0x0000000100000000 size=4096 unmapped_size=4096",
    ]


def test_type_change_rebuilds_the_iova_domain():
    k = boot_intel("6.12")
    d = dev(k, "0000:00:03.0")
    group = d.iommu_group
    old = k.dma.cookie_of(d)
    assert old is not None
    k.dma.dma_map_single(d, 4096, M64)
    base = "/sys/kernel/debug/iommu/dma"
    assert str(old.domain.id) in k.fs.listdir(base)
    assert write(k, f"/sys/kernel/iommu_groups/{group.id}/type", "DMA") == 0
    new = k.dma.cookie_of(d)
    assert new is not None and new is not old and old.dead and new.fq is None
    assert str(old.domain.id) not in k.fs.listdir(base)
    assert str(new.domain.id) in k.fs.listdir(base)
    assert k.dma.mappings(d) == []  # the driver's mappings went with the old domain
    assert k.dma.dma_map_single(d, 4096, M64).dma_addr == 0xFFFFF000
    # in place DMA -> DMA-FQ: same domain, a flush queue appears
    assert write(k, f"/sys/kernel/iommu_groups/{group.id}/type", "DMA-FQ") == 0
    assert k.dma.cookie_of(d) is new and new.fq is not None
    # identity: no IOVA domain at all
    assert write(k, f"/sys/kernel/iommu_groups/{group.id}/type", "identity") == 0
    assert k.dma.cookie_of(d) is None and new.dead
    assert str(new.domain.id) not in k.fs.listdir(base)
    assert k.fs.readlink(
        f"{base}/{k.dma.cookie_of(dev(k, '0000:00:02.0')).domain.id}/group"
    ).endswith(f"iommu_groups/{dev(k, '0000:00:02.0').iommu_group.id}")


def test_rmrr_direct_mapping_is_visible():
    k = boot_intel("6.12")
    cookie = k.dma.cookie_of(dev(k, "0000:00:04.0"))
    assert cookie is not None
    base = f"/sys/kernel/debug/iommu/dma/{cookie.domain.id}"
    assert k.fs.read_bytes(f"{base}/mappings").decode() == (
        "0x000000007b800000-0x000000007b80ffff 0x000000007b800000 rw- direct\n"
    )
    iova = k.fs.read_bytes(f"{base}/iova").decode()
    assert "0x000000007b800000-0x000000007b80ffff reserved direct\n" in iova
    assert "0x0000000080000000-0x00000000dfffffff reserved PCI host-bridge window\n" in iova
    # the ISA bridge's direct-relaxable region is reserved and 1:1 mapped too
    isa = k.dma.cookie_of(dev(k, "0000:00:1f.0"))
    assert isa is not None
    assert (0, 0xFFFFFF, "direct-relaxable") in {(r.start, r.end, r.what) for r in isa.reservations}
    assert 0 in isa.domain.mappings


def test_debugfs_readme_says_it_is_iommush_own():
    k = boot_intel("6.12")
    text = k.fs.read_bytes("/sys/kernel/debug/iommu/dma/README").decode()
    assert text.startswith("iommush: this directory is iommush's own view")
    assert oct(k.fs.stat("/sys/kernel/debug").st_mode & 0o777) == "0o700"


def test_a_deep_copied_kernel_has_its_own_iova_state():
    import copy

    k = boot_intel("6.4")
    d = dev(k, "0000:00:02.0")
    kept = k.dma.dma_map_single(d, 4096, M64)
    gone = k.dma.dma_map_single(d, 8192, M64)
    k.dma.dma_unmap_single(d, gone.dma_addr)  # queued in the flush queue, timer armed
    k.dma.dma_map_single(d, GIB, M64)
    k.dma.dma_map_single(d, GIB, M64)  # 6.4: the device gave up on 32-bit addresses
    c = copy.deepcopy(k)
    cd = c.pci.find("0000:00:02.0")
    cookie, ccookie = k.dma.cookie_of(d), c.dma.cookie_of(cd)
    assert ccookie is not cookie and list(ccookie.iovad) == list(cookie.iovad)
    assert ccookie.iovad.stats().cached == cookie.iovad.stats().cached
    c.sleep(0.01)  # the copy's timer frees the copy's queue only
    assert len(ccookie.fq) == 0 and len(cookie.fq) == 1
    c.dma.dma_unmap_single(cd, kept.dma_addr)
    assert kept.dma_addr in [m.dma_addr for m in k.dma.mappings(d)]
    assert kept.dma_addr not in [m.dma_addr for m in c.dma.mappings(cd)]
    assert c.dma.dma_map_single(cd, 4096, M64).dma_addr > 1 << 32  # still 64-bit


@settings(max_examples=15, deadline=None)
@given(
    ops=st.lists(st.tuples(st.booleans(), st.integers(1, 70000), st.integers(0, 50)), max_size=60),
    strict=st.booleans(),
)
def test_random_map_unmap_keeps_tables_consistent(ops, strict):
    k = _BOOTED["strict" if strict else "lazy"]
    d = dev(k, "0000:00:04.0")
    for m in k.dma.mappings(d):
        k.dma.dma_unmap_single(d, m.dma_addr)
    cookie = k.dma.cookie_of(d)
    for is_map, size, pick in ops:
        live = k.dma.mappings(d)
        if is_map or not live:
            k.dma.dma_map_single(d, size, M64)
        else:
            k.dma.dma_unmap_single(d, live[pick % len(live)].dma_addr)
        k.sleep(0.004)
    cookie.iovad.check()
    live = k.dma.mappings(d)
    pt = cookie.domain.mappings
    assert sorted(pt) == sorted([m.dma_addr for m in live] + [0x7B800000])
    for m in live:
        lo, hi = cookie.iovad.find(m.dma_addr >> 12)  # the range may be rounded up
        assert lo == m.dma_addr >> 12 and hi >= (m.dma_addr + m.mapped >> 12) - 1
        assert not any(
            r.start <= m.dma_addr + m.mapped - 1 and m.dma_addr <= r.end
            for r in cookie.reservations
        )


_BOOTED = {
    "lazy": boot_intel("6.12"),
    "strict": boot_intel("6.12", "intel_iommu=on iommu.strict=1"),
}
