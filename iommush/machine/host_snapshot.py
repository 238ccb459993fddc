"""Collect, read-only, what ``--from-sysfs`` needs from a real Linux host into a tarball.

Only reads: no file under ``/sys`` is ever opened for writing, no write-only or
side-effecting attribute (``remove``, ``rescan``, ``reset``, ``bind``, ``rom``,
``resourceN``) is even read. What is taken is listed in :data:`PCI_ATTRS`,
:data:`GROUP_ATTRS`, :data:`PROC_FILES`, and the IOMMU unit register files.
"""

from __future__ import annotations

import io
import os
import re
import tarfile
import time
from pathlib import Path

from iommush.machine.errors import MachineError

__all__ = ["GROUP_ATTRS", "PCI_ATTRS", "PROC_FILES", "snapshot"]

#: Attributes of a PCI device directory that the importer reads.
PCI_ATTRS = (
    "vendor",
    "device",
    "class",
    "revision",
    "subsystem_vendor",
    "subsystem_device",
    "irq",
    "config",
    "driver_override",
    "secondary_bus_number",
    "subordinate_bus_number",
    "sriov_totalvfs",
    "sriov_numvfs",
    "sriov_vf_device",
    "sriov_offset",
    "sriov_stride",
    "reset_method",
    "removable",
    "modalias",
)
#: Links of a PCI device directory that the importer follows.
PCI_LINKS = ("driver", "iommu", "iommu_group", "physfn", "subsystem")
GROUP_ATTRS = ("type", "reserved_regions", "name")
PROC_FILES = (
    "proc/cmdline",
    "proc/sys/kernel/osrelease",
    "proc/sys/kernel/hostname",
    "proc/meminfo",
)
_UNIT_REGS = ("address", "cap", "ecap", "version", "features")
_BDF = re.compile(r"^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$")


class _Collector:
    def __init__(self, root: Path, tar: tarfile.TarFile) -> None:
        self.root = root
        self.tar = tar
        self.seen: set[str] = set()
        self.mtime = time.time()

    def _dirs(self, rel: str) -> None:
        parts = rel.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if d not in self.seen:
                self.seen.add(d)
                info = tarfile.TarInfo(d)
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                info.mtime = int(self.mtime)
                self.tar.addfile(info)

    def file(self, rel: str) -> None:
        """Copy one regular file's content (read once, read-only)."""
        path = self.root / rel
        if rel in self.seen or path.is_symlink() or not path.is_file():
            return
        try:
            with open(path, "rb") as fh:
                data = fh.read(1 << 16)
        except OSError:
            return  # unreadable (permissions, EIO): the importer notes what is missing
        self._dirs(rel)
        self.seen.add(rel)
        info = tarfile.TarInfo(rel)
        info.size = len(data)
        info.mode = 0o444
        info.mtime = int(self.mtime)
        self.tar.addfile(info, io.BytesIO(data))

    def link(self, rel: str) -> None:
        path = self.root / rel
        if rel in self.seen or not path.is_symlink():
            return
        try:
            target = os.readlink(path)
        except OSError:
            return
        self._dirs(rel)
        self.seen.add(rel)
        info = tarfile.TarInfo(rel)
        info.type = tarfile.SYMTYPE
        info.linkname = target
        info.mtime = int(self.mtime)
        self.tar.addfile(info)

    def listdir(self, rel: str) -> list[str]:
        try:
            return sorted(os.listdir(self.root / rel))
        except OSError:
            return []

    def pci_tree(self, rel: str) -> None:
        for name in self.listdir(rel):
            child = f"{rel}/{name}"
            if not _BDF.match(name) or (self.root / child).is_symlink():
                continue
            if not (self.root / child).is_dir():
                continue
            for attr in PCI_ATTRS:
                self.file(f"{child}/{attr}")
            for attr in PCI_LINKS:
                self.link(f"{child}/{attr}")
            self.pci_tree(child)

    def collect(self) -> None:
        for rel in PROC_FILES:
            self.file(rel)
        for top in self.listdir("sys/devices"):
            if top.startswith("pci"):
                self.pci_tree(f"sys/devices/{top}")
        for gid in self.listdir("sys/kernel/iommu_groups"):
            g = f"sys/kernel/iommu_groups/{gid}"
            for attr in GROUP_ATTRS:
                self.file(f"{g}/{attr}")
            for dev in self.listdir(f"{g}/devices"):
                self.link(f"{g}/devices/{dev}")
        for unit in self.listdir("sys/class/iommu"):
            rel = f"sys/class/iommu/{unit}"
            self.link(rel)
            target = (
                os.path.normpath(os.path.join(os.path.dirname(rel), os.readlink(self.root / rel)))
                if (self.root / rel).is_symlink()
                else rel
            )
            for sub in ("intel-iommu", "amd-iommu"):
                for reg in _UNIT_REGS:
                    self.file(f"{target}/{sub}/{reg}")
        for rel in ("sys/bus/pci/devices", "sys/bus/pci/drivers"):
            for name in self.listdir(rel):
                if rel.endswith("devices"):
                    self.link(f"{rel}/{name}")
                elif (self.root / rel / name).is_dir():
                    self._dirs(f"{rel}/{name}/x")
                    for dev in self.listdir(f"{rel}/{name}"):
                        if _BDF.match(dev):
                            self.link(f"{rel}/{name}/{dev}")


def snapshot(output_tar_gz: str, root: str = "/") -> int:
    """Write a ``.tar.gz`` of what the importer reads under ``root``; return the entry count.

    Read-only on ``root``; MachineError if ``root`` has no ``sys/`` or the output
    cannot be written.
    """
    base = Path(root)
    if not (base / "sys").is_dir():
        raise MachineError(f"{root}: no sys/ directory to snapshot")
    try:
        with tarfile.open(output_tar_gz, "w:gz") as tar:
            collector = _Collector(base, tar)
            collector.collect()
            return len(collector.seen)
    except OSError as exc:
        raise MachineError(
            f"{output_tar_gz}: cannot write snapshot: {exc.strerror or exc}"
        ) from None
