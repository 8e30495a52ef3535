"""``python -m tools.validation``: run the validation cases and write docs/validation.md, or
run some of them and print their rows."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from tools.validation.report import REPORT, write_report
from tools.validation.run import CASES, run_cases


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.validation",
        description="Run the validation cases and write docs/validation.md (the regression "
        "baselines: python -m tools.baselines).",
    )
    parser.add_argument("--out", type=Path, default=REPORT, help="report file (Markdown)")
    parser.add_argument("--jobs", type=int, default=1, help="processes to run the cases in")
    parser.add_argument("--case", help="run only the cases whose id contains this; no report")
    parser.add_argument("--list", action="store_true", help="list the case ids and stop")
    args = parser.parse_args(argv)
    if args.list:
        for case in CASES.values():
            print(f"{case.id}{'  (slow)' if case.slow else ''}")
        return 0
    started = time.perf_counter()
    if args.case:
        ids = [i for i in CASES if args.case in i]
        if not ids:
            print(f"no case id contains {args.case!r}; see --list", file=sys.stderr)
            return 2
        failures = []
        for case_id, rows in run_cases(ids, args.jobs).items():
            print(case_id)
            for r in rows:
                print(f"  {r.quantity}: theory {r.theory}, simulated {r.simulated}: {r.verdict}")
                failures += [] if r.ok else [r]
    else:
        out, failures = write_report(args.out, args.jobs)
        print(f"wrote {out}")
    for r in failures:
        print(f"FAIL {r}", file=sys.stderr)
    print(f"{time.perf_counter() - started:.0f} s", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
