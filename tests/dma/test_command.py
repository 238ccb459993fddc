"""The ``dma`` command against a booted kernel model."""

from __future__ import annotations

import re

from iommush.dma import dma_commands
from iommush.dma.render import parse_size
from iommush.vfs import CAP_SYS_ADMIN, ROOT, as_cred

from .machines import boot_intel, dmesg, run

DMA = dma_commands().get("dma")
assert DMA is not None


def dma(k, *argv, **kw):
    return run(k, k.fs, DMA.fn, "dma", *argv, **kw)


def test_map_list_unmap():
    k = boot_intel("6.12")
    r = dma(k, "map", "00:02.0", "4K")
    assert (r.out, r.err, r.rc) == ("0xfffff000\n", "", 0)
    assert dma(k, "map", "0000:00:02.0", "64K", "--mask", "32").out == "0xfffe0000\n"
    lines = dma(k, "list", "00:02.0").out.splitlines()
    assert lines[0].split() == ["DMA", "ADDRESS", "SIZE", "MAPPED", "PHYS", "PATH"]
    assert [line.split()[:3] for line in lines[1:]] == [
        ["0x00000000fffe0000", "65536", "65536"],
        ["0x00000000fffff000", "4096", "4096"],
    ]
    assert lines[1].endswith(
        f"iova (domain {k.dma.cookie_of(k.pci.find('0000:00:02.0')).domain.id})"
    )
    assert dma(k, "unmap", "00:02.0", "0xfffff000").rc == 0
    assert len(dma(k, "list", "00:02.0").out.splitlines()) == 2
    r = dma(k, "unmap", "00:02.0", "0xfffff000")
    assert (r.err, r.rc) == (
        "dma: unmap 0000:00:02.0: Invalid argument (no mapping at 0xfffff000)\n",
        1,
    )


def test_space_shows_reserved_regions_and_mappings():
    k = boot_intel("6.12")
    dma(k, "map", "00:04.0", "4096")
    out = dma(k, "space", "00:04.0").out.splitlines()
    assert re.match(r"0000:00:04\.0: group \d+, domain \d+ \(DMA-FQ, lazy", out[0])
    assert out[1] == "1 used ranges (1 mapped, 0 cached, 0 queued)"
    body = [(line[:37], line[48:].split(None, 1)) for line in out[2:]]
    assert body == [
        ("0x0000000000000000-0x0000000000000fff", ["reserved", "IOVA 0 is never handed out"]),
        ("0x0000000000001000-0x000000007b7fffff", ["free"]),
        ("0x000000007b800000-0x000000007b80ffff", ["reserved", "direct"]),
        ("0x000000007b810000-0x000000007fffffff", ["free"]),
        ("0x0000000080000000-0x00000000dfffffff", ["reserved", "PCI host-bridge window"]),
        ("0x00000000e0000000-0x00000000fedfffff", ["free"]),
        ("0x00000000fee00000-0x00000000feefffff", ["reserved", "msi"]),
        ("0x00000000fef00000-0x00000000ffffefff", ["free"]),
        ("0x00000000fffff000-0x00000000ffffffff", ["mapped", out[-2][58:]]),
        ("0x0000000100000000-0x0000ffffffffffff", ["free"]),
    ]
    assert out[-2].endswith(
        f"0000:00:04.0 -> 0x{k.dma.mappings(k.pci.find('0000:00:04.0'))[0].phys:x}"
    )
    assert dma(k, "map-show", "00:04.0").out == dma(k, "space", "00:04.0").out


def test_space_of_identity_and_summary_of_many():
    k = boot_intel("6.12", "intel_iommu=on iommu=pt")
    assert dma(k, "space", "00:02.0").out.endswith(
        "identity domain: no IOVA space (DMA addresses are physical addresses)\n"
    )
    k = boot_intel("6.12")
    for _ in range(20):
        dma(k, "map", "00:02.0", "4K")
    short = dma(k, "space", "00:02.0").out
    assert "used     20 mapped; 0 B free in 0 holes" in short
    assert dma(k, "space", "00:02.0", "--all").out.count(" mapped ") == 20


def test_workload_summary():
    k = boot_intel("6.4")
    mark = k.printk.mark()
    r = dma(k, "workload", "00:02.0", "400", "--seed", "7")
    assert r.rc == 0 and r.err == ""
    lines = r.out.splitlines()
    assert re.fullmatch(
        r"workload on 0000:00:02\.0 \(DMA-FQ domain \d+, lazy .*\), seed 7", lines[0]
    )
    m = re.fullmatch(r"operations:    400 \((\d+) maps, (\d+) unmaps\)", lines[1])
    assert m and int(m[1]) + int(m[2]) == 400
    assert lines[2] == "failures:      0"
    assert re.fullmatch(r"time:          \d+ ns per op \([\d.]+ ms\)", lines[3])
    assert re.fullmatch(r"live mappings: peak \d+, at the end \d+", lines[4])
    assert re.fullmatch(r"fragmentation: [\d.]+% \(\d+ holes?, .*\)", lines[5])
    # same seed, same operations; everything unmapped at the end
    assert dma(k, "workload", "00:02.0", "400", "--seed", "7").out.splitlines()[1] == lines[1]
    assert dma(k, "list", "00:02.0").out == ""
    assert dmesg(k, mark) == []  # the 32-bit space never ran out


def test_workload_failures_and_keep():
    k = boot_intel("6.12")
    r = dma(k, "workload", "00:02.0", "50", "--size", "1G", "--mask", "32", "--keep")
    assert r.rc == 0
    fails = int(re.search(r"failures:      (\d+)", r.out)[1])
    assert fails > 0 and "(last: no IOVA space below the DMA mask)" in r.out
    live = int(re.search(r"at the end (\d+)", r.out)[1])
    assert dma(k, "list", "00:02.0").out.count("\n") == (1 + live if live else 0)  # --keep


def test_workload_progress_bar_on_a_terminal():
    k = boot_intel("6.12")
    r = dma(k, "workload", "00:02.0", "200", interactive=True)
    assert r.rc == 0 and r.out.startswith("workload on 0000:00:02.0")
    assert "\x1b[" in r.err  # rich drew (and cleared) a progress bar on stderr
    assert "\x1b[" not in dma(k, "workload", "00:02.0", "200").err


def test_bad_input_changes_nothing():
    k = boot_intel("6.12")
    cases = {
        ("map", "00:02.0"): "dma: map: expected 2 arguments\n",
        ("map", "00:99.0", "4K"): "dma: 00:99.0: no such PCI device\n",
        ("map", "00:02.0", "0"): "dma: invalid size '0'\n",
        ("map", "00:02.0", "4K", "--mask", "8"): "dma: mask must be 12 to 64 bits, not 8\n",
        ("map", "00:02.0", "4K", "--frob"): "dma: unknown option '--frob'\n",
        ("workload", "00:02.0", "x"): "dma: invalid count 'x'\n",
        ("explode",): "dma: unknown subcommand 'explode'\n",
    }
    for argv, first in cases.items():
        r = dma(k, *argv)
        assert r.rc == 2 and r.err.startswith(first) and "usage: dma map" in r.err, argv
    assert dma(k, "list", "00:02.0").out == ""
    assert dma(k).rc == 2 and dma(k, "--help").out.startswith("usage: dma map")


def test_needs_root_and_a_kernel():
    k = boot_intel("6.12")
    with as_cred(ROOT.without(CAP_SYS_ADMIN)):
        r = dma(k, "map", "00:02.0", "4K")
    assert r.rc == 1 and "Operation not permitted" in r.err
    assert dma(k, "list", "00:02.0").out == ""
    r = run(object(), k.fs, DMA.fn, "dma", "list", "00:02.0")
    assert (r.err, r.rc) == (
        "dma: no kernel model is running (the DMA API needs a booted machine)\n",
        1,
    )


def test_blocked_group_refuses():
    k = boot_intel("6.12")
    from iommush.kernel.dma_owner import iommu_group_claim_dma_owner

    iommu_group_claim_dma_owner(k.pci.find("0000:00:03.0").iommu_group, object())
    r = dma(k, "map", "00:03.0", "4K")
    assert r.rc == 1 and r.err.startswith(
        "dma: map 0000:00:03.0: Operation not permitted (a blocking"
    )


def test_parse_size():
    assert [parse_size(s) for s in ("4096", "0x1000", "4K", "4KiB", "2M", "1G")] == [
        4096,
        4096,
        4096,
        4096,
        2 << 20,
        1 << 30,
    ]
