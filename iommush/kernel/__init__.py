"""iommush.kernel: an in-memory model of the Linux IOMMU core, the driver core and PCI
that takes the decisions Linux 6.3, 6.4 and 6.12 take.

>>> from iommush.kernel import boot, Kernel, KernelError
"""

from .errors import KernelError
from .kernel import Kernel, boot
from .version import KernelVersion

__all__ = ["Kernel", "KernelError", "KernelVersion", "boot"]
