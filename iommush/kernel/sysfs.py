"""The fixed skeleton of ``/sys`` and ``/proc`` the kernel's subsystems hang their nodes on
(``/sys/devices``, ``/sys/bus/<bus>``, ``/sys/class/<class>``, ``/sys/module``)."""

from __future__ import annotations

from iommush.vfs import Attribute, Dir, VirtualFS

__all__ = ["Sysfs"]


class Sysfs:
    """Where kobjects live: one helper per top-level directory."""

    def __init__(self, fs: VirtualFS) -> None:
        root = fs.root
        self.sys = root.ensure_dir("sys")
        self.devices = self.sys.ensure_dir("devices")
        self.bus = self.sys.ensure_dir("bus")
        self.klass = self.sys.ensure_dir("class")
        self.kernel = self.sys.ensure_dir("kernel")
        self.module = self.sys.ensure_dir("module")
        self.firmware = self.sys.ensure_dir("firmware")
        self.proc = root.ensure_dir("proc")
        self.dev = root.ensure_dir("dev")

    def virtual_dir(self, name: str) -> Dir:
        """``/sys/devices/virtual/<name>``."""
        return self.devices.ensure_dir("virtual").ensure_dir(name)

    def bus_dir(self, name: str) -> Dir:
        return self.bus.ensure_dir(name)

    def class_dir(self, name: str) -> Dir:
        return self.klass.ensure_dir(name)

    def module_dir(self, name: str) -> Dir:
        """``/sys/module/<name>`` (created when a module loads)."""
        d = self.module.get(name)
        if d is None:
            d = self.module.add(Dir(name))
            d.add(Attribute("initstate", 0o444, show=lambda: "live\n"))
            d.add(Attribute("refcnt", 0o444, show=lambda: "0\n"))
            d.add(Dir("holders"))
        assert isinstance(d, Dir)
        return d

    def text(self, parent: Dir, name: str, text: str) -> None:
        """A read-only proc/sysfs file with fixed text."""
        parent.add(Attribute(name, 0o444, show=lambda: text))
