"""Shell speed: cold start of the non-interactive path, and a 10,000-line script
against bash + coreutils on a materialized copy of the same tree.

    .venv/bin/python benchmarks/shell.py [--runs N] [--lines N]

Prints the figures and the ratios against the goals: cold ``iommush -c`` at most 5x a
bare ``python3 -c pass``; the script at least 10x faster than bash. Run it with the
Python of the environment iommush is installed in (the README's ``.venv``): both the
baseline and ``iommush`` are then started as a user starts them there.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


#: Children run as an installed program runs: with their bytecode cached on disk (the
#: first, untimed run writes it if PYTHONDONTWRITEBYTECODE kept it from being written).
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _median_wall(cmd: list[str], runs: int, **kw: object) -> float:
    kw.setdefault("env", _ENV)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, **kw)  # type: ignore[call-overload]
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, **kw)  # type: ignore[call-overload]
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _materialize(fs: object, dest: Path, top: str = "/sys") -> None:
    """Copy the virtual tree under ``top`` into ``dest``: files with what reading them
    gives, links with their text, directories as directories."""
    from iommush.vfs import Attribute, Dir, File, Link

    def walk(node: object, path: Path) -> None:
        if isinstance(node, Dir):
            path.mkdir(parents=True, exist_ok=True)
            for child in node.children.values():
                walk(child, path / child.name)
        elif isinstance(node, Link):
            os.symlink(node.readlink(), path)
        elif isinstance(node, Attribute):
            data = b""
            if node.show is not None:
                try:
                    out = node.show()
                    data = out.encode() if isinstance(out, str) else bytes(out)
                except OSError:
                    data = b""
            path.write_bytes(data)
        elif isinstance(node, File):
            path.write_bytes(bytes(node.data))

    walk(fs.resolve(top), dest / top.lstrip("/"))  # type: ignore[attr-defined]


def _script(fs: object, lines: int, prefix: str) -> str:
    """A generated script of cat/echo/ls/readlink/find over real paths of the tree."""
    groups = [f"/sys/kernel/iommu_groups/{g}" for g in fs.listdir("/sys/kernel/iommu_groups")]  # type: ignore[attr-defined]
    devices = [f"/sys/bus/pci/devices/{d}" for d in fs.listdir("/sys/bus/pci/devices")]  # type: ignore[attr-defined]
    rng = random.Random(7)
    out = []
    for _ in range(lines):
        g, d = rng.choice(groups), rng.choice(devices)
        out.append(
            rng.choice(
                [
                    f"cat {prefix}{g}/type",
                    f"cat {prefix}{g}/reserved_regions",
                    f"echo {os.path.basename(d)}",
                    f"ls {prefix}{g}/devices",
                    f"readlink {prefix}{d}/iommu_group",
                    f"cat {prefix}{d}/vendor {prefix}{d}/device",
                    f"find {prefix}{g} -maxdepth 1 -name type",
                ]
            )
        )
    return "\n".join(out) + "\n"


def _iommush_command() -> list[str]:
    """The installed ``iommush`` script beside this Python (what a user runs), else
    ``python -m iommush``."""
    script = Path(sys.executable).with_name("iommush")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "iommush"]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--lines", type=int, default=10_000)
    args = parser.parse_args()

    iommush = _iommush_command()
    py = _median_wall([sys.executable, "-c", "pass"], args.runs)
    cold = _median_wall(
        [*iommush, "-c", "cat /sys/kernel/iommu_groups/0/type"], args.runs, cwd=ROOT
    )
    print(f"python: {sys.executable}; iommush: {' '.join(iommush)}")
    print(f"cold start: python3 -c pass {py * 1e3:7.1f} ms")
    print(f"cold start: iommush -c cat  {cold * 1e3:7.1f} ms  ratio {cold / py:4.1f}x (goal <= 5x)")

    from iommush.cli import build_session

    session = build_session(stdout=open(os.devnull, "wb"), stderr=open(os.devnull, "wb"))
    fs = session.kernel.fs
    bash = shutil.which("bash")
    with tempfile.TemporaryDirectory() as tmp:
        _materialize(fs, Path(tmp))
        ours = _script(fs, args.lines, "")
        theirs = _script(fs, args.lines, tmp)
        (Path(tmp) / "ours.sh").write_text(ours)
        (Path(tmp) / "theirs.sh").write_text(theirs)
        t_ours = _median_wall(
            [*iommush, str(Path(tmp) / "ours.sh")],
            max(3, args.runs // 2),
            cwd=ROOT,
        )
        print(f"{args.lines}-line script: iommush {t_ours:7.2f} s")
        if bash:
            t_bash = _median_wall([bash, str(Path(tmp) / "theirs.sh")], max(3, args.runs // 2))
            print(f"{args.lines}-line script: bash    {t_bash:7.2f} s")
            print(f"speed-up over bash + coreutils: {t_bash / t_ours:5.1f}x (goal >= 10x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
