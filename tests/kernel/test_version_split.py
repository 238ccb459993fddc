"""``split_release`` is the release pattern of ``KernelVersion.parse``, written out."""

from __future__ import annotations

import random
import re

from iommush.kernel.version import split_release

_PATTERN = re.compile(r"(\d+)\.(\d+)(?:\.(\d+))?([-+.~\w]*)")
_ALPHABET = ["0", "1", "9", ".", "-", "+", "~", "_", "a", "Z", " ", "/", "\u0663", "\u00b2", "é"]


def test_split_release_matches_the_pattern() -> None:
    rng = random.Random(7)
    samples = ["6.12.107+deb13-amd64", "6.1.0-56-amd64", "6.3", "6.", ".6", "6.12.", "6.12.x"]
    for _ in range(20000):
        head = rng.choice(["", "6.12", "5.15", "6.1.0", "6.4"])
        samples.append(head + "".join(rng.choice(_ALPHABET) for _ in range(rng.randint(0, 8))))
    for text in samples:
        m = _PATTERN.fullmatch(text)
        assert split_release(text) == (m.groups() if m else None), text
