"""Which behaviour model a kernel release follows (``uname -r`` -> "6.3" / "6.4" / "6.12").

>>> KernelVersion.parse("6.1.0-56-amd64").model
'6.3'
>>> KernelVersion.parse("6.12").release
'6.12.0-iommush'
>>> KernelVersion.parse("6.8.0-40-generic").model
'6.12'
"""

from __future__ import annotations

from typing import Literal, NamedTuple

__all__ = ["KernelVersion", "Model", "split_release"]

Model = Literal["6.3", "6.4", "6.12"]

_DEBIAN_VERSION = {
    (6, 1): "#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2 (2026-11-16)",
    (6, 12): "#1 SMP PREEMPT_DYNAMIC Debian 6.12.107-1 (2026-08-29)",
}


def _digits(text: str, at: int) -> int:
    """Where the run of decimal digits starting at ``at`` ends."""
    while at < len(text) and text[at].isdecimal():
        at += 1
    return at


def split_release(text: str) -> tuple[str, str, str | None, str] | None:
    """``re.fullmatch(r"(\\d+)\\.(\\d+)(?:\\.(\\d+))?([-+.~\\w]*)", text)``'s four groups,
    or None: major, minor, the third number (None if absent) and the rest. Written out
    because compiling the pattern costs more than booting a small machine does."""
    end1 = _digits(text, 0)
    if end1 == 0 or text[end1 : end1 + 1] != ".":
        return None
    end2 = _digits(text, end1 + 1)
    if end2 == end1 + 1:
        return None
    third = None
    rest = end2
    if text[end2 : end2 + 1] == ".":
        end3 = _digits(text, end2 + 1)
        if end3 > end2 + 1:
            third, rest = text[end2 + 1 : end3], end3
    suffix = text[rest:]
    if not all(c in "-+.~_" or c.isalnum() for c in suffix):
        return None
    return text[:end1], text[end1 + 1 : end2], third, suffix


class KernelVersion(NamedTuple):
    """A parsed release: ``release`` for ``uname -r``, ``model`` the behaviour followed."""

    release: str
    major: int
    minor: int
    model: Model
    #: ``uname -v`` text.
    build: str

    @classmethod
    def parse(cls, text: str) -> KernelVersion:
        """Parse ``6.12.107+deb13-amd64``, ``6.1.0-56-amd64`` or a bare ``6.3``.

        Any release 5.15..6.3 follows the "6.3" rules, 6.4 the "6.4" rules, 6.5 and
        later the "6.12" (``iommu_setup_default_domain``) rules. ValueError otherwise.
        """
        m = split_release(text.strip())
        if not m:
            raise ValueError(f"not a kernel release: {text!r}")
        major, minor = int(m[0]), int(m[1])
        if (major, minor) < (5, 15) or major > 7:
            raise ValueError(f"kernel {text!r} is not modelled (5.15 .. 6.x)")
        model: Model
        if (major, minor) <= (6, 3):
            model = "6.3"
        elif (major, minor) == (6, 4):
            model = "6.4"
        else:
            model = "6.12"
        release = text.strip()
        if m[2] is None and not m[3]:
            release = f"{major}.{minor}.0-iommush"
        build = _DEBIAN_VERSION.get((major, minor), "#1 SMP PREEMPT_DYNAMIC iommush")
        return cls(release, major, minor, model, build)

    @property
    def at_least_6_4(self) -> bool:
        return self.model != "6.3"

    @property
    def pci_type_suffix(self) -> bool:
        """Enumeration lines name the device type (``conventional PCI endpoint``), 6.6+."""
        return (self.major, self.minor) >= (6, 6)

    @property
    def iommu_log_trailing_space(self) -> bool:
        """v6.1/6.2 print ``"%s %s\\n"`` with a trailing space when nothing was set."""
        return (self.major, self.minor) <= (6, 2)

    @property
    def first_free_dynamic_chrdev_major(self) -> int:
        """The major ``alloc_chrdev_region`` hands the first module that asks (vfio.ko's
        group nodes). Dynamic majors go from 254 down; the built-in drivers of Debian's
        kernels take 254..247 on 6.1 (bsg gets 248, one more region follows) and
        254..246 on 6.12 (bsg gets 246, the last)."""
        return 246 if (self.major, self.minor) < (6, 5) else 245
