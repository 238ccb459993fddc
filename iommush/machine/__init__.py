"""Machines: the TOML format, built-in machines, importers (sysfs, listings) and export.

Each name below is imported from its module on first use, so that loading a built-in
machine does not import the sysfs and listing importers.

>>> from iommush.machine import load_machine
>>> load_machine("vfio-rst").groups[26].devices
['0000:00:1e.0', '0000:06:0d.0', '0000:06:0d.1']
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from iommush.machine.builtin import (
        DEFAULT_MACHINE,
        builtin_names,
        list_machines,
        load_machine,
    )
    from iommush.machine.errors import MachineError
    from iommush.machine.generate import generate_sriov_host
    from iommush.machine.host_snapshot import snapshot
    from iommush.machine.listing import from_listing
    from iommush.machine.sysfs_import import from_sysfs, import_sysfs
    from iommush.machine.toml_export import to_toml
    from iommush.machine.toml_format import load_toml_file, loads_machine

__all__ = [
    "DEFAULT_MACHINE",
    "MachineError",
    "builtin_names",
    "from_listing",
    "from_sysfs",
    "generate_sriov_host",
    "import_sysfs",
    "list_machines",
    "load_machine",
    "load_toml_file",
    "loads_machine",
    "snapshot",
    "to_toml",
]

_HOME = {
    "DEFAULT_MACHINE": "builtin",
    "builtin_names": "builtin",
    "list_machines": "builtin",
    "load_machine": "builtin",
    "MachineError": "errors",
    "generate_sriov_host": "generate",
    "from_listing": "listing",
    "snapshot": "host_snapshot",
    "from_sysfs": "sysfs_import",
    "import_sysfs": "sysfs_import",
    "to_toml": "toml_export",
    "load_toml_file": "toml_format",
    "loads_machine": "toml_format",
}


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
