"""Writing ``type``: every row of spec section 2.4, for 6.3, 6.4 and 6.12, on the q35
machine (the rows the transcripts recorded are checked against them)."""

from __future__ import annotations

import errno

import pytest

from iommush.vfs import CAP_SYS_ADMIN, CAP_SYS_RAWIO, ROOT, as_cred

from .helpers import dmesg_since, try_write, type_of, write
from .machines import boot_q35

V63, V64, V612 = "6.1.0-56-amd64", "6.4", "6.12.107+deb13-amd64"
T1 = "/sys/kernel/iommu_groups/1/type"  # 00:02.0 e1000e, singleton
T5 = "/sys/kernel/iommu_groups/5/type"  # bridge group of four


def unbind(k, bdf: str) -> None:  # type: ignore[no-untyped-def]
    write(k, f"/sys/bus/pci/devices/{bdf}/driver/unbind", bdf)


@pytest.mark.parametrize("kernel", [V63, V64, V612])
def test_caps_and_bad_strings(kernel: str) -> None:
    k = boot_q35(kernel=kernel)
    unbind(k, "0000:00:02.0")
    for cred in (ROOT.without(CAP_SYS_ADMIN), ROOT.without(CAP_SYS_RAWIO)):
        with as_cred(cred):
            assert try_write(k, T1, "DMA\n") == errno.EACCES
    with as_cred(ROOT.__class__(uid=1000, gid=1000, caps=frozenset())):
        assert try_write(k, T1, "DMA\n") == errno.EACCES  # open() refuses (mode 0644)
    for bad in [
        "foo\n",
        "\n",
        " DMA",
        "DMA ",
        "dma\n",
        "DMA\n\n",
        "identity\r\n",
        "DMA_FQ\n",
        "blocked\n",
        "unmanaged\n",
        "passthrough\n",
        "A" * 5000,
    ]:
        assert try_write(k, T1, bad) == errno.EINVAL, bad
    assert try_write(k, T1, b"") == 0
    assert try_write(k, T1, b"DMA\0junk") == 0 and type_of(k, 1) == "DMA"
    assert type_of(k, 1) == "DMA"


@pytest.mark.parametrize("kernel", [V63, V64, V612])
def test_unbound_singleton_transitions(kernel: str) -> None:
    k = boot_q35(kernel=kernel)
    unbind(k, "0000:00:02.0")
    for val, want in [
        ("DMA", "DMA"),
        ("DMA-FQ", "DMA-FQ"),
        ("identity", "identity"),
        ("auto", "DMA-FQ"),
        ("DMA", "DMA"),
        ("DMA", "DMA"),
    ]:
        assert try_write(k, T1, val + "\n") == 0
        assert type_of(k, 1) == want
    assert k.check_invariants() == []


@pytest.mark.parametrize(
    "kernel,err", [(V63, errno.EBUSY), (V64, errno.EPERM), (V612, errno.EPERM)]
)
def test_bound_driver(kernel: str, err: int) -> None:
    k = boot_q35(kernel=kernel)
    mark = k.printk.mark()
    for val in ["DMA", "DMA-FQ", "identity", "auto"]:
        assert try_write(k, T1, val + "\n") == err
        assert type_of(k, 1) == "DMA-FQ"
    log = dmesg_since(k, mark)
    if kernel == V63:
        assert log == ["iommu: Device is still bound to driver"] * 4
    else:
        assert log == []
    # DMA -> DMA-FQ in place with the driver bound: allowed everywhere
    unbind(k, "0000:00:02.0")
    write(k, T1, "DMA\n")
    write(k, "/sys/bus/pci/drivers/e1000e/bind", "0000:00:02.0")
    assert try_write(k, T1, "DMA-FQ\n") == 0 and type_of(k, 1) == "DMA-FQ"
    assert try_write(k, T1, "DMA\n") == err
    assert k.check_invariants() == []


@pytest.mark.parametrize("kernel", [V63, V64, V612])
def test_multi_device_group(kernel: str) -> None:
    k = boot_q35(kernel=kernel)
    for bdf in ("0000:01:01.0", "0000:01:02.0", "0000:01:03.0"):
        unbind(k, bdf)
    mark = k.printk.mark()
    rc = try_write(k, T5, "identity\n")
    if kernel == V63:
        assert rc == errno.EINVAL
        assert dmesg_since(k, mark) == [
            "iommu: Cannot change default domain: Group has more than one device"
        ]
        assert type_of(k, 5) == "DMA-FQ"
        assert try_write(k, T5, "foo\n") == errno.EINVAL
    else:
        assert rc == 0 and type_of(k, 5) == "identity"
        write(k, "/sys/bus/pci/drivers/e1000/bind", "0000:01:01.0")
        assert try_write(k, T5, "auto\n") == errno.EPERM
        assert try_write(k, T5, "DMA-FQ\n") == errno.EPERM  # identity is not DMA
    assert k.check_invariants() == []


@pytest.mark.parametrize("kernel", [V63, V64, V612])
def test_requirement_conflicts(kernel: str) -> None:
    """A device that requires identity (Intel igfx_off on 6.3; AMD PASID) and an untrusted
    device that requires DMA."""
    from iommush.kernel import boot

    from .machines import q35

    spec = q35("amd", kernel=kernel, cmdline="x")
    spec.pci[2].pasid = True  # 00:02.0 e1000e requires identity on AMD
    spec.pci[2].driver = None
    k = boot(spec)
    assert type_of(k, 1) == "identity"
    mark = k.printk.mark()
    assert try_write(k, T1, "DMA\n") == errno.EINVAL
    log = dmesg_since(k, mark)
    if kernel == V612:
        assert log == []
    else:
        assert log == ["pci 0000:00:02.0: Device cannot be in Translated domain"]
    assert try_write(k, T1, "auto\n") == 0 and type_of(k, 1) == "identity"


@pytest.mark.parametrize("kernel", [V63, V64, V612])
def test_no_default_domain_legacy(kernel: str) -> None:
    from iommush.kernel import boot
    from iommush.kernel.spec import IommuUnitSpec

    from .machines import q35

    spec = q35(kernel=kernel)
    spec.iommus = [IommuUnitSpec("legacy0", "legacy")]
    k = boot(spec)
    assert type_of(k, 0) == "unknown"
    assert try_write(k, "/sys/kernel/iommu_groups/0/type", "DMA\n") == errno.EINVAL
    assert k.check_invariants() == []


@pytest.mark.parametrize("kernel", [V63, V64, V612])
def test_same_type_returns_count(kernel: str) -> None:
    k = boot_q35(kernel=kernel)
    write(k, "/sys/kernel/iommu_groups/0/type", "DMA-FQ\n")  # host bridge, no driver
    assert type_of(k, 0) == "DMA-FQ"


def test_6_4_failed_attach_leaves_half_done_state() -> None:
    """6.4's __iommu_attach_group: members before the failing one stay on the new domain."""
    k = boot_q35(kernel=V64)
    for bdf in ("0000:01:01.0", "0000:01:02.0", "0000:01:03.0"):
        unbind(k, bdf)
    k.fault_attach.add("0000:01:02.0")
    assert try_write(k, T5, "identity\n") == errno.ENOSPC
    assert type_of(k, 5) == "DMA-FQ"
    assert any("not attached" in m for m in k.check_invariants())


def test_6_12_failed_attach_rolls_back() -> None:
    k = boot_q35(kernel=V612)
    for bdf in ("0000:01:01.0", "0000:01:02.0", "0000:01:03.0"):
        unbind(k, bdf)
    k.fault_attach.add("0000:01:02.0")
    assert try_write(k, T5, "identity\n") == errno.ENOSPC
    assert type_of(k, 5) == "DMA-FQ"
    assert k.check_invariants() == []


def test_ratelimit_callbacks_suppressed() -> None:
    k = boot_q35(kernel=V63)
    mark = k.printk.mark()
    for _ in range(12):
        try_write(k, T1, "DMA\n")
    assert len(dmesg_since(k, mark)) == 10
    k.sleep(6)
    try_write(k, T1, "DMA\n")
    assert dmesg_since(k, mark)[-2:] == [
        "iommu_group_store_type: 2 callbacks suppressed",
        "iommu: Device is still bound to driver",
    ]
