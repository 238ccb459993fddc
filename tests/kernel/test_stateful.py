"""Random sequences of sysfs writes and VFIO claims keep the model's invariants, and a
failed operation changes nothing."""

from __future__ import annotations

import os

import hypothesis.strategies as st
from hypothesis import HealthCheck, settings
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from iommush.kernel import Kernel, boot
from iommush.uapi import vfio as u

from .helpers import try_write
from .machines import q35, sriov_nic

DRIVERS = ["e1000e", "e1000", "8139cp", "virtio-pci", "vfio-pci", "pci-stub", "igb", "igbvf"]
TYPES = ["DMA\n", "DMA-FQ\n", "identity\n", "auto\n", "foo\n"]


def snapshot(k: Kernel) -> object:
    """Everything a failed write must leave alone."""
    return (
        {
            g.id: (
                [d.name for d in g.devices],
                g.owner_cnt,
                g.owner is not None,
                g.default_domain.type if g.default_domain else None,
                id(g.domain),
            )
            for g in k.iommu.groups.values()
        },
        {d.name: (d.driver.name if d.driver else None, d.driver_override) for d in k.pci.devices},
        sorted(k.fs.listdir("/sys/kernel/iommu_groups")),
    )


class KernelMachine(RuleBasedStateMachine):
    k: Kernel

    @initialize(which=st.sampled_from(["q35-6.12", "q35-6.3", "q35-6.4", "sriov"]))
    def start(self, which: str) -> None:
        if which == "sriov":
            self.k = boot(sriov_nic())
        else:
            self.k = boot(q35(kernel=which.split("-")[1]))
        self.claims: list[tuple[object, object]] = []

    def bdfs(self) -> list[str]:
        return [d.name for d in self.k.pci.devices]

    def _do(self, path: str, data: str) -> None:
        before = snapshot(self.k)
        rc = try_write(self.k, path, data)
        if rc:
            assert snapshot(self.k) == before, (path, data, rc)

    @rule(i=st.integers(0, 40), drv=st.sampled_from(DRIVERS))
    def bind(self, i: int, drv: str) -> None:
        bdfs = self.bdfs()
        if bdfs and self.k.fs.exists(f"/sys/bus/pci/drivers/{drv}"):
            self._do(f"/sys/bus/pci/drivers/{drv}/bind", bdfs[i % len(bdfs)])

    @rule(i=st.integers(0, 40))
    def unbind(self, i: int) -> None:
        bdfs = self.bdfs()
        if bdfs:
            b = bdfs[i % len(bdfs)]
            d = self.k.pci.find(b)
            drv = d.driver.name if d is not None and d.driver else "e1000"
            self._do(f"/sys/bus/pci/drivers/{drv}/unbind", b)

    @rule(i=st.integers(0, 40), drv=st.sampled_from(DRIVERS + [""]))
    def override_and_probe(self, i: int, drv: str) -> None:
        bdfs = self.bdfs()
        if bdfs:
            b = bdfs[i % len(bdfs)]
            self._do(f"/sys/bus/pci/devices/{b}/driver_override", drv + "\n")
            self._do("/sys/bus/pci/drivers_probe", b)

    @rule(
        drv=st.sampled_from(["pci-stub", "vfio-pci"]),
        ids=st.sampled_from(["8086 10d3", "1af4 1000", "8086 100e", "10ec 8139", "8086 10c9"]),
        remove=st.booleans(),
    )
    def dynids(self, drv: str, ids: str, remove: bool) -> None:
        self._do(f"/sys/bus/pci/drivers/{drv}/{'remove_id' if remove else 'new_id'}", ids)

    @rule(g=st.integers(0, 12), t=st.sampled_from(TYPES))
    def write_type(self, g: int, t: str) -> None:
        path = f"/sys/kernel/iommu_groups/{g}/type"
        if self.k.fs.exists(path):
            self._do(path, t)

    @rule(g=st.integers(0, 12))
    def vfio_claim(self, g: int) -> None:
        if not self.k.fs.exists(f"/dev/vfio/{g}"):
            return
        try:
            grp = self.k.fs.open(f"/dev/vfio/{g}", os.O_RDWR)
        except OSError:
            return
        cont = self.k.fs.open("/dev/vfio/vfio", os.O_RDWR)
        before = snapshot(self.k)
        try:
            grp.ioctl(u.VFIO_GROUP_SET_CONTAINER, cont)
            cont.ioctl(u.VFIO_SET_IOMMU, u.VFIO_TYPE1v2_IOMMU)
        except OSError:
            assert snapshot(self.k) == before
        self.claims.append((grp, cont))

    @rule()
    def vfio_release(self) -> None:
        if self.claims:
            grp, cont = self.claims.pop(0)
            grp.close()  # type: ignore[attr-defined]
            cont.close()  # type: ignore[attr-defined]

    @rule(i=st.integers(0, 40))
    def remove(self, i: int) -> None:
        bdfs = [b for b in self.bdfs() if b != "0000:00:00.0"]
        if bdfs:
            self._do(f"/sys/bus/pci/devices/{bdfs[i % len(bdfs)]}/remove", "1")

    @rule()
    def rescan(self) -> None:
        self._do("/sys/bus/pci/rescan", "1")

    @rule(n=st.integers(0, 8))
    def sriov(self, n: int) -> None:
        path = "/sys/bus/pci/devices/0000:01:00.0/sriov_numvfs"
        if self.k.fs.exists(path):
            self._do(path, str(n))

    @invariant()
    def invariants_hold(self) -> None:
        if hasattr(self, "k"):
            assert self.k.check_invariants() == []

    def teardown(self) -> None:
        for grp, cont in self.claims:
            grp.close()  # type: ignore[attr-defined]
            cont.close()  # type: ignore[attr-defined]


KernelMachine.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestKernelMachine = KernelMachine.TestCase
