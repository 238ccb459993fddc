"""Hints after refused sysfs writes, computed from the model's state."""

from __future__ import annotations

import errno
from collections.abc import Callable

from iommush.teach.hints import hint_for_write

from .conftest import Learner

GPU_TYPE = "/sys/kernel/iommu_groups/11/type"


def _write(sh: Learner, path: str, data: bytes, cwd: str = "/") -> int:
    from iommush.vfs import as_cred

    with as_cred(sh.session.cred):
        try:
            sh.kernel.fs.write_bytes(path, data, cwd)
        except OSError as exc:
            return exc.errno or 0
    return 0


def test_dma_api_drivers_bound_on_6_12(learner: Callable[..., Learner]) -> None:
    sh = learner("desktop")
    err = _write(sh, GPU_TYPE, b"identity\n")
    assert err == errno.EPERM
    hint = hint_for_write(sh.kernel, GPU_TYPE, b"identity\n", err)
    assert hint is not None
    assert "group 11: 0000:01:00.0 is bound to nouveau" in hint
    assert "0000:01:00.1 is bound to snd_hda_intel" in hint
    assert "DMA API; unbind them first" in hint


def test_6_3_singleton_rule_and_bound_driver(learner: Callable[..., Learner]) -> None:
    sh = learner("desktop", kernel="6.3")
    err = _write(sh, GPU_TYPE, b"identity\n")
    assert err == errno.EINVAL
    hint = hint_for_write(sh.kernel, GPU_TYPE, b"identity\n", err) or ""
    assert "6.3 only changes singleton groups" in hint
    path = "/sys/kernel/iommu_groups/14/type"  # the r8169 NIC, alone in its group
    err = _write(sh, path, b"DMA\n")
    assert err == errno.EBUSY
    hint = hint_for_write(sh.kernel, path, b"DMA\n", err) or ""
    assert "0000:04:00.0 is still bound to r8169" in hint and "unbind it first" in hint


def test_bad_word_bind_unbind_and_relative_paths(learner: Callable[..., Learner]) -> None:
    sh = learner("desktop")
    err = _write(sh, GPU_TYPE, b"fast\n")
    assert "accepts one of DMA, DMA-FQ, identity, auto" in (
        hint_for_write(sh.kernel, GPU_TYPE, b"fast\n", err) or ""
    )
    bind = "/sys/bus/pci/drivers/ahci/bind"
    err = _write(sh, bind, b"0000:01:00.1")
    assert err == errno.ENODEV
    assert "driver_override" in (hint_for_write(sh.kernel, bind, b"0000:01:00.1", err) or "")
    hda = "/sys/bus/pci/drivers/snd_hda_intel/bind"
    err = _write(sh, hda, b"0000:01:00.1")
    assert err == errno.EBUSY
    assert "still bound to snd_hda_intel" in (
        hint_for_write(sh.kernel, hda, b"0000:01:00.1", err) or ""
    )
    err = _write(sh, "unbind", b"0000:01:00.0", cwd="/sys/bus/pci/drivers/ahci")
    assert err == errno.ENODEV
    hint = hint_for_write(
        sh.kernel, "unbind", b"0000:01:00.0", err, cwd="/sys/bus/pci/drivers/ahci"
    )
    assert hint is not None and "bound to nouveau, not ahci" in hint


def test_vfio_owned_group(learner: Callable[..., Learner]) -> None:
    sh = learner("desktop")
    assert sh("plan 01:00.0 --apply").status == 0
    assert sh("vfio attach 11").status == 0
    err = _write(sh, GPU_TYPE, b"DMA\n")
    assert err == errno.EPERM
    hint = hint_for_write(sh.kernel, GPU_TYPE, b"DMA\n", err) or ""
    assert "owned by user space" in hint and "/dev/vfio/11" in hint


def test_untrusted_and_no_model(learner: Callable[..., Learner]) -> None:
    sh = learner("desktop")
    path = "/sys/kernel/iommu_groups/20/type"  # the dock NIC behind the Thunderbolt port
    sh("echo 0000:08:00.0 > /sys/bus/pci/drivers/igb/unbind")
    err = _write(sh, path, b"identity\n")
    assert err == errno.EINVAL
    hint = hint_for_write(sh.kernel, path, b"identity\n", err) or ""
    assert "0000:08:00.0 is untrusted" in hint and "external-facing port" in hint
    assert hint_for_write(object(), path, b"x", errno.EINVAL) is None
    assert hint_for_write(sh.kernel, "/tmp/nothing", b"x", errno.ENOSPC) is None
