"""A kernfs-like virtual filesystem: nodes, path walk, permissions and open files.

It knows nothing about IOMMUs: the kernel model registers its own nodes here, and the
shell only opens, reads, writes and lists paths.
"""

from .cred import (
    ALL_CAPS,
    CAP_DAC_OVERRIDE,
    CAP_SYS_ADMIN,
    CAP_SYS_RAWIO,
    ROOT,
    Cred,
    as_cred,
    as_task,
    capable,
    current_cred,
    current_task,
)
from .errors import VfsError, errno_name, raise_errno
from .fs import MAXSYMLINKS, OpenFile, Stat, VirtualFS, access_ok
from .node import PAGE_SIZE, Attribute, Device, DeviceOps, Dir, File, Link, Node

__all__ = [
    "ALL_CAPS",
    "Attribute",
    "CAP_DAC_OVERRIDE",
    "CAP_SYS_ADMIN",
    "CAP_SYS_RAWIO",
    "Cred",
    "Device",
    "DeviceOps",
    "Dir",
    "File",
    "Link",
    "MAXSYMLINKS",
    "Node",
    "OpenFile",
    "PAGE_SIZE",
    "ROOT",
    "Stat",
    "VfsError",
    "VirtualFS",
    "access_ok",
    "as_cred",
    "as_task",
    "capable",
    "current_cred",
    "current_task",
    "errno_name",
    "raise_errno",
]
