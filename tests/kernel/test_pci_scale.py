"""What makes big machines boot fast changes nothing a user can see: device directories
filled on first use equal eagerly built ones, the bus indexes the grouping code uses give
the groups the walk of the whole bus gives, and the lookup caches follow hot-plug."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from iommush.kernel import Kernel, boot, pci_group
from iommush.kernel.ida import Ida
from iommush.kernel.iommu_group import IommuGroup
from iommush.kernel.pci import PciDev
from iommush.kernel.pci_group import pci_acs_enabled
from iommush.kernel.pci_sysfs import PCI_DEV_FILE_NAMES, PCI_DEV_SUBDIRS, _pci_sysfs_fill
from iommush.kernel.spec import IommuUnitSpec, MachineSpec, PciFunctionSpec
from iommush.vfs import Attribute, Dir, Link, Node

from .helpers import groups, write
from .machines import acs_switch, sriov_nic, vfio_rst


def _walk(node: Node, path: str, out: list[tuple[str, ...]]) -> None:
    """Every node under ``node`` in listing order: path, kind, mode and what it shows."""
    if isinstance(node, Link):
        out.append((path, "link", oct(node.mode), node.readlink()))
    elif isinstance(node, Attribute):
        try:
            shown = node.show() if node.show is not None else ""
        except OSError as e:
            shown = f"errno {e.errno}"
        text = shown.decode("latin-1") if isinstance(shown, bytes) else shown
        out.append((path, "attr", oct(node.mode), str(node.size), text))
    elif isinstance(node, Dir):
        out.append((path, "dir", oct(node.mode)))
        if path == "/sys/kernel/debug":
            return  # domain ids there are numbered across every kernel of the process
        for name, child in node.children.items():
            _walk(child, f"{path}/{name}", out)
    else:
        out.append((path, type(node).__name__, oct(node.mode)))


def _snapshot(k: Kernel) -> list[tuple[str, ...]]:
    out: list[tuple[str, ...]] = []
    _walk(k.fs.resolve("/sys"), "/sys", out)
    return out


def _exercise(k: Kernel) -> None:
    """Hot-plug paths that add and remove devices (and their directories)."""
    write(k, "/sys/bus/pci/devices/0000:01:00.0/sriov_numvfs", "3")
    write(k, "/sys/bus/pci/devices/0000:01:10.2/remove", "1")
    write(k, "/sys/bus/pci/devices/0000:00:1c.0/remove", "1")
    write(k, "/sys/bus/pci/rescan", "1")
    write(k, "/sys/bus/pci/devices/0000:01:00.0/sriov_numvfs", "2")


@pytest.mark.parametrize(
    "make", [lambda: vfio_rst("6.3"), lambda: acs_switch(False, "6.4"), lambda: sriov_nic()]
)
def test_deferred_device_files_equal_eager_ones(
    make: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    lazy = boot(make())  # type: ignore[operator]
    monkeypatch.setattr(PciDev, "kobj_class", Dir)
    eager = boot(make())  # type: ignore[operator]
    assert all(type(d.kobj) is Dir for d in eager.pci.devices)
    assert not any(d.kobj.filled for d in lazy.pci.devices)  # type: ignore[attr-defined]
    assert _snapshot(lazy) == _snapshot(eager)
    assert lazy.printk.format() == eager.printk.format()


def test_deferred_files_survive_hotplug(monkeypatch: pytest.MonkeyPatch) -> None:
    lazy = boot(sriov_nic())
    _exercise(lazy)
    monkeypatch.setattr(PciDev, "kobj_class", Dir)
    eager = boot(sriov_nic())
    _exercise(eager)
    assert _snapshot(lazy) == _snapshot(eager)
    assert lazy.printk.format() == eager.printk.format()
    assert lazy.check_invariants() == []


@pytest.mark.parametrize("make", [vfio_rst, sriov_nic, lambda: acs_switch(True)])
def test_every_device_file_name_is_declared(make: object) -> None:
    k = boot(make())  # type: ignore[operator]
    for dev in k.pci.devices:
        scratch = dataclasses.replace(dev.spec)
        probe = PciDev(k, scratch, dev.bus)
        probe.kobj = Dir(dev.name)
        _pci_sysfs_fill(probe, Dir("pci"))
        assert set(probe.kobj.children) <= PCI_DEV_FILE_NAMES, dev.name
        subdirs = [c for c in probe.kobj.children.values() if isinstance(c, Dir)]
        assert len(subdirs) == PCI_DEV_SUBDIRS, dev.name


def test_stat_counts_links_without_filling() -> None:
    k = boot(sriov_nic())
    write(k, "/sys/bus/pci/devices/0000:01:00.0/sriov_numvfs", "2")
    before = {d.name: k.fs.stat(f"/sys/bus/pci/devices/{d.name}").st_nlink for d in k.pci.devices}
    assert not any(d.kobj.filled for d in k.pci.devices if d.name != "0000:01:00.0")  # type: ignore[attr-defined]
    k.fs.listdir("/sys/bus/pci/devices/0000:01:10.0")
    after = {d.name: k.fs.stat(f"/sys/bus/pci/devices/{d.name}").st_nlink for d in k.pci.devices}
    assert before == after
    for d in k.pci.devices:
        d.kobj.children  # noqa: B018 - fill every directory
    assert after == {
        d.name: k.fs.stat(f"/sys/bus/pci/devices/{d.name}").st_nlink for d in k.pci.devices
    }


# -- grouping: the bus indexes against the walk of the whole bus ----------------------


def _ref_aliases(pdev: PciDev) -> list[int]:
    out = []
    for text in pdev.spec.dma_alias_devfns:
        slot, fn = text.split(".")
        out.append((int(slot, 16) << 3) | int(fn, 16))
    return out


def _ref_function_alias_group(pdev: PciDev, devfns: set[int]) -> IommuGroup | None:
    if not pdev.multifunction or pci_acs_enabled(pdev):
        return None
    for tmp in [d for d in pdev.bus.devices if d is not pdev]:
        if tmp.slot != pdev.slot or pci_acs_enabled(tmp):
            continue
        group = _ref_alias_group(tmp, devfns)
        if group is not None:
            return group
    return None


def _ref_alias_group(pdev: PciDev, devfns: set[int]) -> IommuGroup | None:
    if pdev.devfn in devfns:
        return None
    devfns.add(pdev.devfn)
    if pdev.iommu_group is not None:
        return pdev.iommu_group
    for tmp in [d for d in pdev.bus.devices if d is not pdev]:
        if tmp.devfn in _ref_aliases(pdev) or pdev.devfn in _ref_aliases(tmp):
            group = _ref_alias_group(tmp, devfns)
            if group is not None:
                return group
            group = _ref_function_alias_group(tmp, devfns)
            if group is not None:
                return group
    return None


_fn = st.tuples(st.integers(0, 3), st.integers(0, 7))
_function = st.fixed_dictionaries(
    {
        "acs": st.booleans(),
        "multifunction": st.sampled_from([None, True, False]),
        "aliases": st.lists(_fn, max_size=2),
        "pcie": st.booleans(),
    }
)


def _machine(port_acs: bool, funcs: dict[tuple[int, int], dict[str, object]]) -> MachineSpec:
    pci = [
        PciFunctionSpec("0000:00:00.0", class_code=0x060000, role="host_bridge"),
        PciFunctionSpec(
            "0000:00:1c.0", class_code=0x060400, role="root_port", secondary_bus=1, acs=port_acs
        ),
    ]
    for (slot, fn), f in funcs.items():
        pci.append(
            PciFunctionSpec(
                f"0000:01:{slot:02x}.{fn}",
                device=0x1000 + slot * 8 + fn,
                class_code=0x020000,
                acs=bool(f["acs"]),
                multifunction=f["multifunction"],  # type: ignore[arg-type]
                pcie=bool(f["pcie"]),
                dma_alias_devfns=[f"{s:02x}.{n}" for s, n in f["aliases"]],  # type: ignore[attr-defined]
            )
        )
    iommus = [IommuUnitSpec("dmar0", "intel", base_address=0xFED90000)]
    return MachineSpec("bus", kernel="6.12", cmdline="intel_iommu=on", iommus=iommus, pci=pci)


@settings(max_examples=40, deadline=None)
@given(st.booleans(), st.dictionaries(_fn, _function, min_size=1, max_size=10))
def test_indexed_grouping_matches_the_bus_walk(
    port_acs: bool, funcs: dict[tuple[int, int], dict[str, object]]
) -> None:
    fast = boot(_machine(port_acs, funcs))
    for dev in fast.pci.devices:
        naive = dev.fn > 0 or (
            dev.spec.multifunction
            if dev.spec.multifunction is not None
            else any(
                d is not dev and d.slot == dev.slot and not d.is_virtfn for d in dev.bus.devices
            )
            or any(
                f.bdf != dev.name and f.bus == dev.bus.number and f.slot == dev.slot
                for f in fast.pci.hardware
            )
        )
        assert dev.multifunction == naive
    saved = (pci_group.get_pci_alias_group, pci_group.get_pci_function_alias_group)
    pci_group.get_pci_alias_group = _ref_alias_group
    pci_group.get_pci_function_alias_group = _ref_function_alias_group
    try:
        ref = boot(_machine(port_acs, funcs))
    finally:
        pci_group.get_pci_alias_group, pci_group.get_pci_function_alias_group = saved
    assert groups(fast) == groups(ref)
    assert fast.printk.format() == ref.printk.format()


# -- lookups that follow hot-plug --------------------------------------------------------


def test_find_and_bus_order_follow_hotplug() -> None:
    k = boot(sriov_nic())
    pf = k.pci.find("0000:01:00.0")
    assert pf is not None and k.pci.find("0000:01:10.0") is None
    write(k, "/sys/bus/pci/devices/0000:01:00.0/sriov_numvfs", "2")
    vf = k.pci.find("0000:01:10.0")
    assert vf is not None and vf.is_virtfn
    assert [d.name for d in k.pci.devices_in_order()][-3:] == [
        "0000:01:00.0",
        "0000:01:10.0",
        "0000:01:10.2",
    ]
    write(k, "/sys/bus/pci/devices/0000:00:1c.0/remove", "1")
    assert k.pci.find("0000:01:00.0") is None and k.pci.find("0000:01:10.0") is None
    assert [d.name for d in k.pci.devices_in_order()] == ["0000:00:00.0"]
    write(k, "/sys/bus/pci/rescan", "1")
    again = k.pci.find("0000:01:00.0")
    assert again is not None and again is not pf and again.registered
    assert [d.name for d in k.pci.devices_in_order()] == [
        "0000:00:00.0",
        "0000:00:1c.0",
        "0000:01:00.0",
    ]
    assert k.pci.devices_in_order() is not k.pci.devices_in_order()  # callers own the list


def test_generated_host_boots_one_group_per_function() -> None:
    from iommush.machine import generate_sriov_host

    spec = generate_sriov_host(2, 255)
    k = boot(spec)
    assert len(k.fs.listdir("/sys/kernel/iommu_groups")) == len(spec.pci)
    vf = "/sys/bus/pci/devices/0000:02:1f.7"
    assert k.fs.read_bytes(f"{vf}/vendor") == b"0x15b3\n"
    last = len(spec.pci) - 1
    assert k.fs.readlink(f"{vf}/iommu_group") == f"../../../../kernel/iommu_groups/{last}"
    assert k.check_invariants() == []


# -- small pieces ----------------------------------------------------------------------


def test_ida_takes_the_lowest_free_id() -> None:
    ida = Ida()
    assert [ida.alloc() for _ in range(4)] == [0, 1, 2, 3]
    ida.free(1)
    ida.free(3)
    assert ida.alloc() == 1
    ida.alloc_specific(5)
    ida._used.add(3)  # a group renumbered in place (Kernel._renumber)
    assert [ida.alloc(), ida.alloc()] == [4, 6]
    ida.free(0)
    assert ida.alloc() == 0 and ida.alloc() == 7


def test_spec_location_follows_the_name() -> None:
    f = PciFunctionSpec("0000:06:0d.1")
    assert (f.segment, f.bus, f.slot, f.function) == (0, 6, 13, 1)
    f.bdf = "0001:02:03.4"
    assert (f.segment, f.bus, f.slot, f.function) == (1, 2, 3, 4)
    assert f == PciFunctionSpec("0001:02:03.4")
    assert "_location" not in repr(f)
    assert [x.name for x in dataclasses.fields(f)][0] == "bdf"
    bad = PciFunctionSpec("nonsense")
    with pytest.raises(ValueError):
        _ = bad.bus


# -- the DMA side of a big boot: allocators made on first use, files on first look ------


def test_iova_allocator_is_made_on_first_use_as_init_would_have() -> None:
    import copy

    from iommush.iova import IovaDomain

    k = boot(sriov_nic())
    write(k, "/sys/bus/pci/devices/0000:01:00.0/sriov_numvfs", "2")
    cookies = list(k.dma.cookies.values())
    assert cookies and all(c._iovad is None for c in cookies)
    twin = copy.deepcopy(k)  # a copied kernel copies the cookies as they are
    assert all(c._iovad is None for c in twin.dma.cookies.values())
    for cookie in cookies:
        eager = IovaDomain(granule=cookie.granule, start_pfn=1)
        for r in cookie.reservations:
            eager.reserve(r.start >> eager.shift, r.end >> eager.shift)
        assert list(cookie.iovad) == list(eager) and cookie.iovad is cookie.iovad
        assert cookie.shift == eager.shift and cookie.granule == eager.granule
    copied = copy.deepcopy(k)
    for a, b in zip(cookies, copied.dma.cookies.values(), strict=True):
        assert b._iovad is not None and list(b.iovad) == list(a.iovad)


def test_debugfs_domain_files_appear_in_order_when_listed() -> None:
    k = boot(sriov_nic())
    top = "/sys/kernel/debug/iommu/dma"
    dirs = [d for d in k.fs.listdir(top) if d != "README"]
    assert dirs
    for did in dirs:
        assert k.fs.readlink(f"{top}/{did}/group").startswith("../../../../iommu_groups/")
        assert k.fs.listdir(f"{top}/{did}") == ["info", "iova", "mappings", "flush_queue", "group"]
        info = k.fs.read_bytes(f"{top}/{did}/info").decode()
        assert f"group: {k.fs.readlink(f'{top}/{did}/group').rsplit('/', 1)[1]}" in info


def test_boot_leaves_the_cycle_collector_as_it_found_it() -> None:
    import gc

    assert gc.isenabled() and gc.get_freeze_count() == 0
    k = boot(sriov_nic())
    assert gc.isenabled() and gc.get_freeze_count() == 0  # aged, not left frozen
    assert gc.is_tracked(k) and not any(o is k for o in gc.get_objects(0))
    keep = [object() for _ in range(3)]  # someone else's frozen objects stay frozen
    gc.freeze()
    try:
        frozen = gc.get_freeze_count()
        boot(sriov_nic())
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
    del keep
    gc.disable()
    try:
        boot(sriov_nic())
        assert not gc.isenabled()
    finally:
        gc.enable()
