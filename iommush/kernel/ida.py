"""``struct ida``: hand out the lowest free non-negative integer (lib/idr.c).

>>> ida = Ida()
>>> [ida.alloc() for _ in range(3)]
[0, 1, 2]
>>> ida.free(1); ida.alloc()
1
"""

from __future__ import annotations

__all__ = ["Ida"]


class Ida:
    """``ida_alloc()`` / ``ida_free()``: lowest free id, reused after release."""

    def __init__(self) -> None:
        self._used: set[int] = set()
        #: Every id below this one is in use (the kernel's IDA finds the first zero bit
        #: of its bitmap tree; this keeps ``alloc`` from rescanning the used prefix).
        self._low = 0

    def alloc(self) -> int:
        """``ida_alloc()``."""
        n = self._low
        while n in self._used:
            n += 1
        self._used.add(n)
        self._low = n + 1
        return n

    def alloc_specific(self, n: int) -> int:
        """``ida_alloc_range(n, n)``: take exactly ``n`` (for machines with pinned groups)."""
        if n in self._used:
            raise ValueError(f"id {n} already in use")
        self._used.add(n)
        return n

    def free(self, n: int) -> None:
        """``ida_free()``."""
        self._used.discard(n)
        if n < self._low:
            self._low = n

    def __contains__(self, n: int) -> bool:
        return n in self._used
