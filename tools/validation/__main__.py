"""``python -m tools.validation``: run the validation cases and write docs/validation.md, or
run some of them and print their rows, or check their power.

    python -m tools.validation --jobs 2            # every case, then write docs/validation.md
    python -m tools.validation --power --jobs 2    # every case, judged at theory and at +-5%
    python -m tools.validation --power --slow      # the slow cases only, with the power check
    python -m tools.validation --case mmc          # cases whose id contains "mmc"; no report

The power check simulates each case once, keeps what each row was judged on, and judges every
theory row again against its theory value x 1.05 and x 0.95: it exits non-zero unless every
case passes at its theory value and every case fails both ways (see
:class:`tools.validation.verdicts.Power`). Writing the report prints the same check (from the
same rows) and exits non-zero on a FAIL or on a case that does not fail both ways."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from tools.validation.report import REPORT, write_report
from tools.validation.run import CASES, run_cases
from tools.validation.verdicts import SHIFT, power


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.validation",
        description="Run the validation cases and write docs/validation.md (the regression "
        "baselines: python -m tools.baselines).",
    )
    parser.add_argument("--out", type=Path, default=REPORT, help="report file (Markdown)")
    parser.add_argument("--jobs", type=int, default=1, help="processes to run the cases in")
    parser.add_argument("--case", help="run only the cases whose id contains this; no report")
    parser.add_argument(
        "--power",
        action="store_true",
        help=f"judge every case again at its theory values moved by +-{SHIFT:.0%}: fail unless "
        "every case fails both ways; no report",
    )
    parser.add_argument(
        "--slow", action="store_true", help="only the slow cases (with --power or --case)"
    )
    parser.add_argument("--list", action="store_true", help="list the case ids and stop")
    args = parser.parse_args(argv)
    if args.list:
        for case in CASES.values():
            print(f"{case.id}{'  (slow)' if case.slow else ''}")
        return 0
    started = time.perf_counter()
    ids = [i for i in CASES if not args.slow or CASES[i].slow]
    if args.case:
        ids = [i for i in ids if args.case in i]
        if not ids:
            print(f"no case id contains {args.case!r}; see --list", file=sys.stderr)
            return 2
    failures = []
    weak = []
    if args.power or args.case or args.slow:
        results = run_cases(ids, args.jobs)
        for case_id, rows in results.items():
            if not args.power:
                print(case_id)
            for r in rows:
                if not args.power:
                    sde = f" [{r.detectable_text}]" if r.detectable_text else ""
                    shown = f"theory {r.theory}, simulated {r.simulated}{sde}"
                    print(f"  {r.quantity}: {shown}: {r.verdict}")
                failures += [] if r.ok else [r]
    else:
        out, failures, results = write_report(args.out, args.jobs)
        print(f"wrote {out}")
    if args.power or not (args.case or args.slow):
        # The power check: from the rows just judged, no simulation.
        print(f"power check: every theory row judged again at theory x (1 +- {SHIFT:g})")
        for case_id, rows in results.items():
            check = power(case_id, rows)
            print(check.line())
            weak += [] if check.ok else [check]
        print(
            f"{len(results) - len(weak)} of {len(results)} cases fail both ways; "
            f"{len(failures)} FAIL at the theory values"
        )
    for r in failures:
        print(f"FAIL {r}", file=sys.stderr)
    for check in weak:
        print(f"WEAK {check.case}: passes at a theory value moved by 5%", file=sys.stderr)
    print(f"{time.perf_counter() - started:.0f} s", file=sys.stderr)
    return 1 if failures or weak else 0


if __name__ == "__main__":
    sys.exit(main())
