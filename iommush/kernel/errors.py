"""The one exception kernel paths raise: an errno, as ``-EPERM`` is in C.

>>> import errno
>>> e = KernelError(errno.EPERM)
>>> (e.errno, e.strerror)
(1, 'Operation not permitted')
"""

from __future__ import annotations

import os

__all__ = ["KernelError", "EPROBE_DEFER"]

#: ``-EPROBE_DEFER`` (include/linux/errno.h): kernel-internal, never reaches user space
#: as itself (``device_driver_attach`` maps it to ``-EAGAIN``).
EPROBE_DEFER = 517


class KernelError(OSError):
    """A kernel function failed with ``-errno``; ``strerror`` is the C library's text."""

    def __init__(self, code: int, detail: str | None = None) -> None:
        text = "Probe deferred" if code == EPROBE_DEFER else os.strerror(code)
        super().__init__(code, text)
        #: Extra words for tests and logs (never printed as the kernel's own text).
        self.detail = detail
