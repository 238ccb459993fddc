"""Small helpers for the kernel tests: writes that report errno, log capture."""

from __future__ import annotations

import os

from iommush.kernel import Kernel

__all__ = ["dmesg_since", "groups", "try_write", "type_of", "write"]


def try_write(k: Kernel, path: str, data: bytes | str) -> int:
    """One open + one write(2); 0 on success, else the errno."""
    raw = data.encode() if isinstance(data, str) else data
    try:
        with k.fs.open(path, os.O_WRONLY) as of:
            n = of.write(raw)
        assert n == min(len(raw), 4096) or not raw
        return 0
    except OSError as e:
        return e.errno or -1


def write(k: Kernel, path: str, data: str) -> None:
    assert try_write(k, path, data) == 0, path


def type_of(k: Kernel, gid: int) -> str:
    return k.fs.read_bytes(f"/sys/kernel/iommu_groups/{gid}/type").decode().strip()


def groups(k: Kernel) -> dict[int, list[str]]:
    return {
        int(g): sorted(k.fs.listdir(f"/sys/kernel/iommu_groups/{g}/devices"))
        for g in k.fs.listdir("/sys/kernel/iommu_groups")
    }


def dmesg_since(k: Kernel, mark: int) -> list[str]:
    return [r.text for r in k.printk.lines_since(mark)]
