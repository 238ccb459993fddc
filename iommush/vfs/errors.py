"""Errno exceptions for the virtual filesystem (pyfakefs ``raise_os_error`` style).

>>> try:
...     raise_errno(2, "/sys/x")
... except VfsError as e:
...     (e.errno, e.strerror, e.filename)
(2, 'No such file or directory', '/sys/x')
"""

from __future__ import annotations

import errno
import os
from typing import NoReturn

__all__ = ["VfsError", "raise_errno", "errno_name"]


class VfsError(OSError):
    """An ``OSError`` raised by the virtual filesystem; ``errno`` says what went wrong."""


def raise_errno(code: int, path: str | None = None) -> NoReturn:
    """Raise :class:`VfsError` for ``code`` with the C library's message."""
    if path is None:
        raise VfsError(code, os.strerror(code))
    raise VfsError(code, os.strerror(code), path)


def errno_name(code: int) -> str:
    """``EPERM`` for 1, and so on; ``E?`` for an unknown number."""
    return errno.errorcode.get(code, "E?")
