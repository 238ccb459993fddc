"""``python -m tests.abi [--update] [--force] FILE...``: run ABI spec files, or rewrite them.

Without ``--update``: print a diff-like report of every case whose output differs.
With ``--update``: rewrite each case's expected blocks from what iommush printed, so the
change can be reviewed like code. Cases marked ``## BUG:`` keep their (kernel-correct)
expectations unless ``--force`` is given.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from .spec import Outcome, load_cases, render_file, run_case


def _show(label: str, want: Outcome, got: Outcome) -> None:
    print(f"--- {label}")
    for name in ("stdout", "stderr", "status"):
        a, b = getattr(want, name), getattr(got, name)
        if a != b:
            print(f"  {name} expected: {a!r}")
            print(f"  {name} actual:   {b!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.abi")
    parser.add_argument("--update", action="store_true", help="rewrite expected blocks")
    parser.add_argument("--force", action="store_true", help="also rewrite ## BUG: cases")
    parser.add_argument("files", nargs="*", type=Path)
    ns = parser.parse_args(argv)
    files = ns.files or sorted(Path(__file__).parent.glob("*.test.sh"))
    failed = 0
    for path in files:
        preamble, cases = load_cases(path)
        outcomes: list[Outcome | None] = []
        changed = False
        for case in cases:
            got = run_case(case)
            differs = got != case.expected
            if differs and case.bug is None:
                failed += 1
                _show(case.id, case.expected, got)
            elif not differs and case.bug is not None:
                failed += 1
                print(f"--- {case.id}: marked BUG ({case.bug}) but now passes")
            keep = case.bug is not None and not ns.force
            outcomes.append(None if keep or not differs else got)
            changed = changed or (differs and not keep)
        if ns.update and changed:
            path.write_text(render_file(preamble, cases, outcomes))
            print(f"updated {path}")
    if ns.update:
        return 0
    print(f"{failed} case(s) differ" if failed else "all cases agree")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
