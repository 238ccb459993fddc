"""The printk ring: dmesg formatting, sequence marks, clearing, ratelimiting."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from iommush.kernel.clock import VirtualClock
from iommush.kernel.printk import (
    KERN_ERR,
    KERN_INFO,
    KERN_WARNING,
    PrintkRecord,
    PrintkRing,
    format_record,
    format_timestamp,
)

TRANSCRIPTS = Path("/work/shared/conformance/transcripts")


@pytest.mark.parametrize(
    ("t", "text"),
    [
        (0.0, "[    0.000000]"),
        (2.145657, "[    2.145657]"),
        (30.778554, "[   30.778554]"),
        (12345.5, "[12345.500000]"),
        (123456.000001, "[123456.000001]"),
    ],
)
def test_timestamp_layout(t: float, text: str) -> None:
    assert format_timestamp(t) == text


def test_format_record_matches_dmesg() -> None:
    rec = PrintkRecord(21.40704, KERN_INFO, "iommu: Device is still bound to driver")
    assert format_record(rec) == "[   21.407040] iommu: Device is still bound to driver"


def test_transcript_lines_round_trip() -> None:
    if not TRANSCRIPTS.exists():
        pytest.skip("no transcripts")
    pat = re.compile(r"^  (?:boot|dmesg)\| \[ *(\d+)\.(\d{6})\] (.*)$")
    checked = 0
    for path in sorted(TRANSCRIPTS.glob("*.txt"))[:2]:
        for line in path.read_text().splitlines():
            m = pat.match(line)
            if not m:
                continue
            rec = PrintkRecord(int(m[1]) + int(m[2]) / 1e6, KERN_INFO, m[3])
            assert "  " + line.split("| ", 1)[0].strip() + "| " + format_record(rec) == line
            checked += 1
    assert checked > 100


def test_records_carry_clock_time_level_and_split_lines() -> None:
    clock = VirtualClock(start=1.0)
    ring = PrintkRing(clock)
    ring.printk("first")
    clock.advance(0.5)
    ring.printk("second\nthird\n", KERN_ERR)
    assert ring.records() == [
        PrintkRecord(1.0, KERN_INFO, "first"),
        PrintkRecord(1.5, KERN_ERR, "second"),
        PrintkRecord(1.5, KERN_ERR, "third"),
    ]
    assert ring.format().splitlines()[1] == "[    1.500000] second"


def test_mark_lines_since_and_clear() -> None:
    ring = PrintkRing(VirtualClock())
    ring.printk("boot")
    mark = ring.mark()
    ring.printk("step 1")
    ring.printk("step 2")
    assert [r.text for r in ring.lines_since(mark)] == ["step 1", "step 2"]
    ring.clear()
    assert ring.records() == []
    ring.printk("after")
    assert [r.text for r in ring.records()] == ["after"]
    assert [r.text for r in ring.lines_since(mark)] == ["step 1", "step 2", "after"]


def test_bad_level_refused() -> None:
    with pytest.raises(ValueError):
        PrintkRing(VirtualClock()).printk("x", 8)


def test_ring_overwrites_oldest_when_full() -> None:
    ring = PrintkRing(VirtualClock(), log_buf_len=200)
    for i in range(20):
        ring.printk(f"message {i:02d}")
    texts = [r.text for r in ring.records()]
    assert texts[-1] == "message 19"
    assert "message 00" not in texts
    assert len(texts) < 20


def test_ratelimit_burst_then_suppressed_count_when_window_resets() -> None:
    clock = VirtualClock(start=20.0)
    ring = PrintkRing(clock)
    printed = [
        ring.printk_ratelimited("iommu_group_store_type", f"msg {i}", KERN_WARNING)
        for i in range(14)
    ]
    assert printed == [True] * 10 + [False] * 4
    # exactly 5 s (1250 jiffies) later the window has not expired yet: time_after is strict
    clock.advance(5.0)
    assert ring.printk_ratelimited("iommu_group_store_type", "late", KERN_WARNING) is False
    clock.advance(0.004)
    assert ring.printk_ratelimited("iommu_group_store_type", "new window", KERN_WARNING)
    tail = ring.records()[-2:]
    assert tail == [
        PrintkRecord(25.004, KERN_WARNING, "iommu_group_store_type: 5 callbacks suppressed"),
        PrintkRecord(25.004, KERN_WARNING, "new window"),
    ]


def test_ratelimit_is_per_call_site_and_silent_without_misses() -> None:
    clock = VirtualClock()
    ring = PrintkRing(clock)
    for _ in range(10):
        assert ring.printk_ratelimited("a", "a")
    assert ring.printk_ratelimited("b", "b")
    assert not ring.printk_ratelimited("a", "a")
    clock.advance(6)
    assert ring.printk_ratelimited("b", "b again")
    assert ring.records()[-1].text == "b again"  # b missed nothing: no suppressed line
    assert ring.printk_ratelimited("a", "a again")
    assert [r.text for r in ring.records()[-2:]] == ["a: 1 callbacks suppressed", "a again"]
