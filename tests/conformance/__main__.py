"""``python -m tests.conformance --report``: per transcript, steps matched / total and the
first mismatches with both sides."""

from __future__ import annotations

import argparse
import sys

from .reviewed import reviewed_reason
from .runner import replay, transcripts


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.conformance")
    parser.add_argument("--report", action="store_true", help="print the report (default)")
    parser.add_argument("--mode", choices=("snapshot", "builtin"), default="snapshot")
    parser.add_argument("--show", type=int, default=5, help="mismatches shown per transcript")
    parser.add_argument("names", nargs="*", help="transcript names (default: all)")
    args = parser.parse_args()
    failed = 0
    for path in transcripts():
        if args.names and not any(n in path.stem for n in args.names):
            continue
        result = replay(path, args.mode)
        if result.error:
            print(f"{path.stem}: {result.error}")
            failed += 1
            continue
        open_ = [m for m in result.mismatches if reviewed_reason(path.stem, m) is None]
        reviewed = len(result.mismatches) - len(open_)
        print(
            f"{path.stem} [{args.mode}]: {result.matched}/{result.total} steps match"
            f" ({len(open_)} open differences, {reviewed} reviewed)"
        )
        for m in open_[: args.show]:
            print(f"  step {m.step.number} ({m.what}): $ {m.step.command[:100]}")
            print(f"    kernel:  {m.expected!r}"[:400])
            print(f"    iommush: {m.actual!r}"[:400])
        failed += bool(open_)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
