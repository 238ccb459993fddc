"""tracefs: event formats, enable switches, set_event, trace and trace_pipe."""

from __future__ import annotations

import errno
import os
import stat

import pytest

from iommush.kernel.clock import VirtualClock
from iommush.kernel.trace import Tracefs, kstrtoul
from iommush.vfs import Dir, VirtualFS

T = "/sys/kernel/tracing/"
HEADER = """\
# tracer: nop
#
# entries-in-buffer/entries-written: {n}/{w}   #P:{p}
#
#                                _-----=> irqs-off/BH-disabled
#                               / _----=> need-resched
#                              | / _---=> hardirq/softirq
#                              || / _--=> preempt-depth
#                              ||| / _-=> migrate-disable
#                              |||| /     delay
#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION
#              | |         |   |||||     |         |
"""


def make(has_detach: bool = False, nr_cpus: int = 4) -> tuple[VirtualFS, Tracefs, VirtualClock]:
    fs = VirtualFS()
    kernel = fs.root.add(Dir("sys")).add(Dir("kernel"))
    clock = VirtualClock(start=12.345678)
    tr = Tracefs(clock, has_detach_event=has_detach, nr_cpus=nr_cpus)
    assert tr.register(kernel).abspath() == "/sys/kernel/tracing"
    return fs, tr, clock


def read(fs: VirtualFS, path: str) -> str:
    return fs.read_bytes(T + path).decode()


def write(fs: VirtualFS, path: str, data: str, *, append: bool = False) -> int:
    return fs.write_bytes(T + path, data.encode(), append=append)


def errno_of(fn: object, *args: object, **kw: object) -> int:
    with pytest.raises(OSError) as exc:
        fn(*args, **kw)  # type: ignore[operator]
    assert exc.value.errno is not None
    return exc.value.errno


def test_tree_layout_and_modes() -> None:
    fs, _, _ = make()
    assert sorted(fs.listdir(T + "events/iommu")) == sorted(
        [
            "add_device_to_group",
            "attach_device_to_domain",
            "enable",
            "filter",
            "io_page_fault",
            "map",
            "remove_device_from_group",
            "unmap",
        ]
    )
    assert sorted(fs.listdir(T + "events/iommu/map")) == [
        "enable",
        "filter",
        "format",
        "id",
        "trigger",
    ]
    for name, mode in (("trace", 0o640), ("trace_pipe", 0o440), ("set_event", 0o640)):
        st_mode = fs.stat(T + name).st_mode
        assert stat.S_ISREG(st_mode) and stat.S_IMODE(st_mode) == mode
    assert stat.S_IMODE(fs.stat(T + "events/iommu/map/format").st_mode) == 0o440


def test_detach_event_only_before_6_3() -> None:
    fs, _, _ = make(has_detach=True)
    assert "iommu:detach_device_from_domain" in read(fs, "available_events").splitlines()
    fs2, _, _ = make(has_detach=False)
    assert read(fs2, "available_events") == (
        "iommu:add_device_to_group\niommu:remove_device_from_group\n"
        "iommu:attach_device_to_domain\niommu:map\niommu:unmap\niommu:io_page_fault\n"
    )


def test_format_file_of_add_device_to_group() -> None:
    fs, tr, _ = make()
    ident = tr.events["add_device_to_group"].id
    assert read(fs, "events/iommu/add_device_to_group/format") == (
        "name: add_device_to_group\n"
        f"ID: {ident}\n"
        "format:\n"
        "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
        "\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
        "\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
        "\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"
        "\n"
        "\tfield:int gid;\toffset:8;\tsize:4;\tsigned:1;\n"
        "\tfield:__data_loc char[] device;\toffset:12;\tsize:4;\tsigned:0;\n"
        "\n"
        'print fmt: "IOMMU: groupID=%d device=%s", REC->gid, __get_str(device)\n'
    )
    assert read(fs, "events/iommu/add_device_to_group/id") == f"{ident}\n"


def test_format_files_of_map_unmap_fault() -> None:
    fs, _, _ = make()
    unmap = read(fs, "events/iommu/unmap/format")
    assert "\tfield:size_t unmapped_size;\toffset:24;\tsize:8;\tsigned:0;\n" in unmap
    assert unmap.endswith(
        'print fmt: "IOMMU: iova=0x%016llx - 0x%016llx size=%zu unmapped_size=%zu", '
        "REC->iova, REC->iova + REC->size, REC->size, REC->unmapped_size\n"
    )
    fault = read(fs, "events/iommu/io_page_fault/format")
    assert "\tfield:u64 iova;\toffset:16;\tsize:8;\tsigned:0;\n" in fault
    assert "\tfield:int flags;\toffset:24;\tsize:4;\tsigned:1;\n" in fault
    assert fault.endswith(
        'print fmt: "IOMMU:%s %s iova=0x%016llx flags=0x%04x", '
        "__get_str(driver), __get_str(device), REC->iova, REC->flags\n"
    )


def test_nothing_recorded_until_enabled() -> None:
    fs, tr, _ = make()
    tr.map(0x1000, 0x2000, 4096)
    assert read(fs, "trace") == HEADER.format(n=0, w=0, p=4)


def test_trace_lines_exact_layout() -> None:
    fs, tr, clock = make()
    write(fs, "events/iommu/enable", "1\n")
    tr.set_current_task("modprobe", 612, cpu=3)
    tr.add_device_to_group(7, "0000:03:00.0")
    clock.advance(0.5)
    tr.set_current_task("qemu-system-x86_64", 1500, cpu=1)
    tr.map(0xFFF00000, 0x1234000, 0x200000)
    tr.unmap(0xFFF00000, 0x200000, 0x200000)
    tr.attach_device_to_domain("0000:03:00.0")
    tr.io_page_fault("0000:03:00.0", "vfio-pci", 0xDEAD000, 1)
    assert read(fs, "trace") == HEADER.format(n=5, w=5, p=4) + (
        "        modprobe-612     [003] .....    12.345678: add_device_to_group:"
        " IOMMU: groupID=7 device=0000:03:00.0\n"
        " qemu-system-x86-1500    [001] .....    12.845678: map:"
        " IOMMU: iova=0x00000000fff00000 - 0x0000000100100000 paddr=0x0000000001234000"
        " size=2097152\n"
        " qemu-system-x86-1500    [001] .....    12.845678: unmap:"
        " IOMMU: iova=0x00000000fff00000 - 0x0000000100100000 size=2097152"
        " unmapped_size=2097152\n"
        " qemu-system-x86-1500    [001] .....    12.845678: attach_device_to_domain:"
        " IOMMU: device=0000:03:00.0\n"
        " qemu-system-x86-1500    [001] .....    12.845678: io_page_fault:"
        " IOMMU:vfio-pci 0000:03:00.0 iova=0x000000000dead000 flags=0x0001\n"
    )


def test_event_enable_values() -> None:
    fs, tr, _ = make()
    write(fs, "events/iommu/map/enable", "1")
    assert read(fs, "events/iommu/map/enable") == "1\n"
    assert read(fs, "events/iommu/enable") == "X\n"
    for bad in ("2\n", "-1\n", "yes\n", " 1\n", "0x1\n"):
        assert errno_of(write, fs, "events/iommu/map/enable", bad) == errno.EINVAL
    assert errno_of(write, fs, "events/iommu/enable", "3") == errno.EINVAL
    assert read(fs, "events/iommu/map/enable") == "1\n"
    write(fs, "events/iommu/enable", "0\n")
    assert read(fs, "events/iommu/enable") == "0\n"
    write(fs, "events/enable", "1\n")
    assert read(fs, "events/iommu/enable") == "1\n"
    assert all(tr.enabled.values())


def test_set_event_tokens_append_and_truncate() -> None:
    fs, _, _ = make()
    write(fs, "set_event", "iommu:map\n")
    assert read(fs, "set_event") == "iommu:map\n"
    write(fs, "set_event", "iommu:unmap", append=True)
    assert read(fs, "set_event") == "iommu:map\niommu:unmap\n"
    write(fs, "set_event", "!iommu:map", append=True)
    assert read(fs, "set_event") == "iommu:unmap\n"
    write(fs, "set_event", "iommu:*")
    assert len(read(fs, "set_event").splitlines()) == 6
    write(fs, "set_event", "io_page_fault")  # truncating open clears first
    assert read(fs, "set_event") == "iommu:io_page_fault\n"
    write(fs, "set_event", "*:map iommu:", append=True)
    assert len(read(fs, "set_event").splitlines()) == 6
    with fs.open(T + "set_event", os.O_WRONLY | os.O_TRUNC):
        pass
    assert read(fs, "set_event") == ""
    assert read(fs, "events/iommu/enable") == "0\n"


def test_set_event_unknown_is_einval() -> None:
    fs, _, _ = make()
    assert errno_of(write, fs, "set_event", "sched:sched_switch") == errno.EINVAL
    assert errno_of(write, fs, "set_event", "iommu:nosuch", append=True) == errno.EINVAL
    assert errno_of(write, fs, "set_event", "*", append=True) == errno.EINVAL
    assert read(fs, "set_event") == ""


def test_tracing_on_gates_recording() -> None:
    fs, tr, _ = make()
    write(fs, "set_event", "iommu:map")
    write(fs, "tracing_on", "0\n")
    assert read(fs, "tracing_on") == "0\n"
    tr.map(0, 0, 4096)
    assert tr.entries() == []
    write(fs, "tracing_on", "5\n")  # any non-zero number turns it on
    assert read(fs, "tracing_on") == "1\n"
    tr.map(0, 0, 4096)
    assert len(tr.entries()) == 1
    assert errno_of(write, fs, "tracing_on", "on\n") == errno.EINVAL
    assert errno_of(write, fs, "tracing_on", "99999999999999999999\n") == errno.ERANGE


def test_trace_truncating_open_clears_but_append_and_writes_do_not() -> None:
    fs, tr, _ = make()
    write(fs, "set_event", "iommu:map")
    tr.map(0, 0, 4096)
    write(fs, "trace", "ignored\n", append=True)
    assert len(tr.entries()) == 1
    write(fs, "trace", "\n")
    assert tr.entries() == []
    assert read(fs, "trace") == HEADER.format(n=0, w=0, p=4)


def test_trace_pipe_consumes_and_does_not_block() -> None:
    fs, tr, _ = make(nr_cpus=1)
    write(fs, "set_event", "iommu:map iommu:unmap")
    tr.map(0x1000, 0x5000, 4096)
    tr.unmap(0x1000, 4096, 4096)
    with fs.open(T + "trace_pipe") as of:
        first = of.read(40)
        rest = of.read()
    text = (first + rest).decode()
    assert text.count("\n") == 2 and ": map: " in text and ": unmap: " in text
    assert tr.entries() == []
    assert read(fs, "trace_pipe") == ""
    assert read(fs, "trace").startswith(HEADER.format(n=0, w=0, p=1))


def test_trace_read_is_paged() -> None:
    fs, tr, _ = make()
    write(fs, "set_event", "iommu:map")
    for i in range(200):
        tr.map(i << 12, i << 12, 4096)
    with fs.open(T + "trace") as of:
        chunks = []
        while chunk := of.read(1000):
            chunks.append(chunk)
    text = b"".join(chunks).decode()
    assert len(chunks) > 10
    assert text.count(": map: ") == 200
    assert len(tr.entries()) == 200  # non-consuming


def test_filter_selects_entries_and_bad_filter_is_einval() -> None:
    fs, tr, _ = make()
    write(fs, "set_event", "iommu:map iommu:add_device_to_group")
    assert read(fs, "events/iommu/map/filter") == "none\n"
    write(fs, "events/iommu/map/filter", "size >= 0x2000 && (iova & 0x1000 || paddr == 0)\n")
    assert read(fs, "events/iommu/map/filter") == (
        "size >= 0x2000 && (iova & 0x1000 || paddr == 0)\n"
    )
    tr.map(0x1000, 5, 0x2000)  # kept
    tr.map(0x2000, 5, 0x2000)  # dropped
    tr.map(0x2000, 0, 0x4000)  # kept
    tr.map(0x1000, 0, 0x1000)  # dropped
    assert [e.text.split("paddr=")[1] for e in tr.entries()] == [
        "0x0000000000000005 size=8192",
        "0x0000000000000000 size=16384",
    ]
    for bad in ("nosuch == 1", "size ~ 1", "size >", "(size == 1", "device < 3"):
        assert errno_of(write, fs, "events/iommu/map/filter", bad) == errno.EINVAL
    write(fs, "events/iommu/add_device_to_group/filter", 'device ~ "0000:03:*"')
    tr.add_device_to_group(1, "0000:00:02.0")
    tr.add_device_to_group(2, "0000:03:00.0")
    assert tr.entries()[-1].text.endswith("device=0000:03:00.0")
    assert sum("groupID" in e.text for e in tr.entries()) == 1
    write(fs, "events/iommu/map/filter", "0\n")
    assert read(fs, "events/iommu/map/filter") == "none\n"


def test_subsystem_filter_applies_where_fields_exist() -> None:
    fs, tr, _ = make()
    write(fs, "events/iommu/filter", "iova < 0x1000")
    assert read(fs, "events/iommu/filter") == "iova < 0x1000\n"
    assert tr.filters["map"] is not None and tr.filters["unmap"] is not None
    assert tr.filters["add_device_to_group"] is None
    assert errno_of(write, fs, "events/iommu/filter", "nosuch == 1") == errno.EINVAL


def test_traceoff_trigger() -> None:
    fs, tr, _ = make()
    write(fs, "set_event", "iommu:io_page_fault iommu:map")
    assert read(fs, "events/iommu/io_page_fault/trigger").startswith("# Available triggers:")
    write(fs, "events/iommu/io_page_fault/trigger", "traceoff\n")
    assert read(fs, "events/iommu/io_page_fault/trigger") == "traceoff:unlimited\n"
    tr.io_page_fault("0000:00:02.0", "e1000e", 0x1000, 0)
    tr.map(0, 0, 4096)
    assert [e.event for e in tr.entries()] == ["io_page_fault"]
    assert read(fs, "tracing_on") == "0\n"
    assert errno_of(write, fs, "events/iommu/map/trigger", "bogus") == errno.EINVAL


def test_buffer_size_and_overrun() -> None:
    fs, tr, _ = make(nr_cpus=1)
    assert read(fs, "buffer_size_kb") == "7 (expanded: 1408)\n"
    write(fs, "buffer_size_kb", "4\n")
    assert read(fs, "buffer_size_kb") == "4\n"
    assert errno_of(write, fs, "buffer_size_kb", "0") == errno.EINVAL
    write(fs, "set_event", "iommu:map")
    for i in range(1000):
        tr.map(i, 0, 4096)
    head = read(fs, "trace").splitlines()[2]
    kept = len(tr.entries())
    assert kept < 1000
    assert head == f"# entries-in-buffer/entries-written: {kept}/1000   #P:1"
    assert tr.entries()[-1].text.startswith("IOMMU: iova=0x00000000000003e7")


def test_current_tracer() -> None:
    fs, _, _ = make()
    assert read(fs, "current_tracer") == "nop\n"
    write(fs, "current_tracer", "nop\n")
    assert errno_of(write, fs, "current_tracer", "function\n") == errno.EINVAL


@pytest.mark.parametrize(
    ("buf", "val"), [(b"0", 0), (b"1\n", 1), (b"+7", 7), (b"18446744073709551615", 2**64 - 1)]
)
def test_kstrtoul_accepts(buf: bytes, val: int) -> None:
    assert kstrtoul(buf) == val


@pytest.mark.parametrize("buf", [b"", b"\n", b"1\n\n", b"-1", b"1 ", b"0x10", b"1a"])
def test_kstrtoul_rejects(buf: bytes) -> None:
    with pytest.raises(OSError) as exc:
        kstrtoul(buf)
    assert exc.value.errno == errno.EINVAL
