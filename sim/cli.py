"""The ``bordersim`` command: ``run`` a scenario, ``validate`` a scenario file.

Bad input never shows a traceback: it prints what is wrong and where, and exits with status 2.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.results import OutputError, check_destination, version
from sim.scenario import ScenarioError, load_scenario

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse exits 2 too; keep its usage line short
        self.print_usage(sys.stderr)
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"must be between 0 and 2**63 - 1, got {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="bordersim",
        description="Simulate border clearance of essential medicines: how long clearance takes, "
        "and what share of falsified or substandard shipments is intercepted.",
    )
    parser.add_argument("--version", action="version", version=f"bordersim {version('bordersim')}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    override = dict(
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a scenario key, e.g. --set policy.rates.red=0.1 (repeatable)",
    )
    p = sub.add_parser("run", help="run a scenario and write its results")
    p.add_argument("file", help="scenario file (TOML)")
    p.add_argument("--seed", type=_seed, help="seed of every random stream (default: the file's)")
    p.add_argument("--replications", type=_positive_int, help="replications (default: the file's)")
    p.add_argument("--set", dest="overrides", **override)
    p.add_argument("--out", help="results folder (default: results/<scenario>/<timestamp>/)")
    p.add_argument(
        "--trace", action="store_true", help="also write every shipment to shipments.csv.gz"
    )
    p.add_argument("--quiet", action="store_true", help="print only where the results went")

    v = sub.add_parser("validate", help="check a scenario file and report every problem")
    v.add_argument("file", help="scenario file (TOML)")
    v.add_argument("--set", dest="overrides", **override)
    return parser


def _run(args: argparse.Namespace, argv: list[str]) -> int:
    from sim.experiment import run

    overrides = list(args.overrides)
    if args.seed is not None:
        overrides.append(f"scenario.seed={args.seed}")
    if args.replications is not None:
        overrides.append(f"scenario.replications={args.replications}")
    scenario = load_scenario(args.file, overrides)
    if args.out is not None:
        check_destination(Path(args.out))  # before the run, not after it
    result = run(scenario, trace=args.trace, progress=False if args.quiet else None)
    folder = result.save(args.out, command=["bordersim", *argv])
    if not args.quiet:
        print(result.text())
        print()
    print(f"Results written to {folder}/")
    return 0


def _validate(args: argparse.Namespace) -> int:
    s = load_scenario(args.file, args.overrides)
    info = s.scenario
    print(
        f"{args.file}: valid. Scenario '{info.name}': {info.days:g} days "
        f"({info.warmup_days:g} warm-up), {info.replications} replication(s), "
        f"{len(s.checks)} check(s), {len(s.lanes)} lane(s), policy '{s.policy.kind}'."
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``bordersim`` console script."""
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error already printed
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        return EXIT_BAD_INPUT
    try:
        if args.command == "run":
            return _run(args, argv)
        return _validate(args)
    except (ScenarioError, OutputError) as err:
        print(f"error: {err}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("interrupted: no results written", file=sys.stderr)
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
