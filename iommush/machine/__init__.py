"""Machines: the TOML format, built-in machines, importers (sysfs, listings) and export.

>>> from iommush.machine import load_machine
>>> load_machine("vfio-rst").groups[26].devices
['0000:00:1e.0', '0000:06:0d.0', '0000:06:0d.1']
"""

from iommush.machine.builtin import DEFAULT_MACHINE, builtin_names, list_machines, load_machine
from iommush.machine.errors import MachineError
from iommush.machine.generate import generate_sriov_host
from iommush.machine.listing import from_listing
from iommush.machine.snapshot import snapshot
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
