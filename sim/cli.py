"""The ``bordersim`` command: ``run`` a scenario, ``compare`` scenarios or variants, ``sweep`` a
scenario over one or two keys, ``validate`` a scenario file; ``report`` writes a results
folder's ``report.html`` (``run``, ``compare`` and ``sweep`` do it by default) and ``explore``
a sweep's interactive ``explore.html``; ``calibrate`` fits a scenario's free parameters to a
Time Release Study's published figures (a target file); ``optimise`` finds the decision values
that do best on a metric subject to constraints on others, at a stated confidence;
``sensitivity`` ranks the uncertain inputs (by default the values a scenario file marks
as assumptions) by how much each metric hinges on them.

Bad input never shows a traceback: it prints what is wrong and where, and exits with status 2,
leaving no results folder behind. Ctrl-C, SIGTERM and SIGHUP exit with status 130; a
comparison or sweep keeps every point that had finished, and ``--resume`` runs the rest.
Anything unexpected is one message saying what was being done, with status 1
(:data:`EXIT_STATUSES`).
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sim.experiment.executors import EXECUTORS, ExecutorError, WorkerLost
from sim.files.layout import FORMATS
from sim.files.write import (
    FolderLock,
    MissingDependencyError,
    OutputError,
    StorageError,
    check_destination,
    check_format,
    check_names,
    default_folder,
    version,
)
from sim.policies import PluginError, PolicyError, load_plugins, replacement
from sim.scenario import apply_overrides, load_scenario, read_toml
from sim.schema import Scenario, ScenarioError, empty_window

TIME_CHOICES = ("mean", "p90")
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130
EXIT_STATUSES = """exit statuses:
  0    done
  1    a failure while running: a policy raised, a worker process died, the disk filled
       up, or a fault of bordersim itself (the message says which; a comparison or sweep
       keeps its finished points and prints the --resume command)
  2    bad input: a scenario, an option or a results folder refused before anything ran
       (nothing is written)
  130  interrupted by Ctrl-C, SIGTERM or SIGHUP (a comparison or sweep keeps its finished
       points and prints the --resume command)

--scheduler sends tasks to a Dask cluster as pickles, which run code where they land: join
only a scheduler you trust."""
STOP_SIGNALS = tuple(getattr(signal, n) for n in ("SIGTERM", "SIGHUP") if hasattr(signal, n))
"""Signals that stop a command as Ctrl-C does: same message, same status, same --resume."""


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


def _replications(text: str) -> int | str:
    if text.strip().lower() == "auto":
        return "auto"
    try:
        return _positive_int(text)
    except argparse.ArgumentTypeError:
        raise argparse.ArgumentTypeError(
            f"expected a whole number of at least 1 or 'auto', got {text!r}"
        ) from None


def _at_least_two(text: str) -> int:
    value = _positive_int(text)
    if value < 2:
        raise argparse.ArgumentTypeError(f"must be at least 2, got {value}")
    return value


def _fraction(text: str) -> float:
    try:
        value = float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number such as 0.05, got {text!r}") from None
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1 (e.g. 0.05), got {text!r}")
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
        epilog=EXIT_STATUSES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"bordersim {version('bordersim')}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    scenario = argparse.ArgumentParser(add_help=False)
    scenario.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a scenario key, e.g. --set policy.rates.red=0.1 (repeatable)",
    )
    scenario.add_argument(
        "--policy-plugin",
        dest="plugins",
        action="append",
        default=[],
        metavar="MODULE:CLASS",
        help="a policy written in Python (a sim.Policy subclass): it replaces [policy], or, "
        "when a scenario selects its kind, becomes available to it (repeatable)",
    )

    runs = argparse.ArgumentParser(add_help=False)
    runs.add_argument(
        "--seed", type=_seed, help="seed of every random stream (default: the file's)"
    )
    runs.add_argument(
        "--replications",
        type=_replications,
        metavar="N|auto",
        help="replications (default: the file's); 'auto' adds replications until the 95%% CI "
        "half-width of clearance time and interception rate is within --precision of the mean",
    )
    runs.add_argument(
        "--precision",
        type=_fraction,
        metavar="P",
        help="with --replications auto: relative half-width to reach (default 0.05)",
    )
    runs.add_argument(
        "--max-replications",
        type=_at_least_two,
        metavar="N",
        help="with --replications auto: stop there (default 100)",
    )
    runs.add_argument("--quiet", action="store_true", help="print only where the results went")
    runs.add_argument(
        "--format", choices=FORMATS, default="csv", help="table format (parquet needs pandas)"
    )
    runs.add_argument(
        "--executor",
        choices=EXECUTORS,
        help="where replications run (default: worker processes on every CPU, or this process "
        "for small runs)",
    )
    runs.add_argument("--workers", type=_positive_int, metavar="N", help="worker processes")
    runs.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="join a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (implies --executor dask)",
    )
    runs.add_argument(
        "--no-report",
        dest="report",
        action="store_false",
        help="do not write report.html and figures/ into the results folder",
    )
    runs.add_argument(
        "--time",
        choices=TIME_CHOICES,
        default="mean",
        help="the report's trade-off axis: mean or 90th percentile clearance time of "
        "legitimate shipments (default mean)",
    )

    p = sub.add_parser("run", parents=[scenario, runs], help="run a scenario and write its results")
    p.add_argument("file", help="scenario file (TOML)")
    p.add_argument(
        "--out",
        metavar="DIR",
        help="results folder (default: results/<scenario>/<timestamp>/); one that holds this "
        "run already is complete, one of other inputs is refused",
    )
    p.add_argument(
        "--trace", action="store_true", help="also write every shipment to shipments.csv.gz"
    )

    c = sub.add_parser(
        "compare",
        parents=[scenario, runs],
        help="run scenarios, or a file's [variants], side by side with paired differences",
    )
    c.add_argument("files", nargs="+", metavar="FILE", help="scenario files (TOML)")
    c.add_argument(
        "--out",
        metavar="DIR",
        help="results folder (default: results/<first>/compare-<timestamp>/); one that holds "
        "this comparison is continued, or complete if finished; one of other inputs is refused",
    )
    c.add_argument("--resume", metavar="DIR", help="finish an interrupted comparison in DIR")

    s = sub.add_parser(
        "sweep",
        parents=[scenario, runs],
        help="run a scenario over a grid of one or two keys and mark the Pareto-efficient points",
    )
    s.add_argument("file", help="scenario file (TOML)")
    s.add_argument(
        "--vary",
        action="append",
        default=[],
        metavar="KEY=SPEC",
        help="a key and its values: START:STOP:COUNT (e.g. policy.rates.red=0:0.3:13) or "
        "V1,V2,... (e.g. checks.physical.servers=2,4,6); at most twice",
    )
    s.add_argument(
        "--out",
        metavar="DIR",
        help="results folder (default: results/<scenario>/sweep-<timestamp>/); one that holds "
        "this sweep is continued, or complete if finished; one of other inputs is refused",
    )
    s.add_argument("--resume", metavar="DIR", help="finish an interrupted sweep in DIR")

    v = sub.add_parser(
        "validate", parents=[scenario], help="check a scenario file and report every problem"
    )
    v.add_argument("file", help="scenario file (TOML)")

    shows = argparse.ArgumentParser(add_help=False)
    shows.add_argument(
        "--time",
        choices=TIME_CHOICES,
        default="mean",
        help="the trade-off's time axis: mean or 90th percentile clearance time of legitimate "
        "shipments (default mean)",
    )
    r = sub.add_parser(
        "report",
        parents=[shows],
        help="write RESULTS_DIR/report.html (self-contained) and the figures, PNG and SVG",
    )
    r.add_argument(
        "folder", metavar="RESULTS_DIR", help="a folder written by run, compare or sweep"
    )
    e = sub.add_parser(
        "explore",
        parents=[shows],
        help="write RESULTS_DIR/explore.html for a sweep: a self-contained page with a slider "
        "over the swept lever and a replay of a day, for trainers",
    )
    e.add_argument("folder", metavar="RESULTS_DIR", help="a folder written by sweep")
    n = sub.add_parser(
        "sensitivity",
        help="which uncertain inputs a scenario's metrics hinge on: Morris or Sobol' indices",
    )
    n.add_argument("file", metavar="SCENARIO", help="the scenario file (TOML)")
    n.add_argument(
        "--vary",
        action="append",
        default=[],
        metavar="KEY=LOW:HIGH",
        help="an uncertain input and its range, optionally :int or :log (repeatable; default: "
        "every number the file marks as an assumption, within --relative of its value)",
    )
    n.add_argument(
        "--relative",
        type=_fraction,
        default=0.2,
        help="without --vary: each assumption is varied within this share of its value "
        "(default 0.2)",
    )
    n.add_argument(
        "--method",
        choices=("morris", "sobol"),
        help="morris (screening, many inputs) or sobol (first-order and total indices, few "
        "inputs); default: sobol for at most 4 inputs",
    )
    n.add_argument(
        "--metric",
        action="append",
        default=[],
        metavar="NAME",
        help="a metric of summary.json to analyse (repeatable; default: clearance_hours_mean, "
        "within_24h_share, interception_rate)",
    )
    n.add_argument(
        "--samples",
        type=_positive_int,
        metavar="N",
        help="Morris trajectories (default 10) or Sobol' base samples, a power of two (default 64)",
    )
    n.add_argument(
        "--replications", type=_positive_int, default=5, help="per sample point (default 5)"
    )
    n.add_argument("--seed", type=_seed, help="seed of the sample and of every point")
    n.add_argument(
        "--out",
        metavar="DIR",
        help="results folder (default: results/<scenario>-sensitivity/); one that holds this "
        "analysis is continued, or complete if finished; one of other inputs is refused",
    )
    n.add_argument(
        "--resume", action="store_true", help="continue the analysis in --out (it must be there)"
    )
    n.add_argument("--executor", choices=EXECUTORS, help="where replications run")
    n.add_argument("--workers", type=_positive_int, metavar="N", help="worker processes")
    n.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="join a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (implies --executor dask)",
    )
    n.add_argument("--quiet", action="store_true", help="print only where the results went")
    k = sub.add_parser(
        "calibrate",
        help="fit a scenario's free parameters to a Time Release Study's published figures",
    )
    k.add_argument("file", metavar="SCENARIO", help="the base scenario file (TOML)")
    k.add_argument("targets", metavar="TARGETS", help="the target file (TOML, see targets/)")
    k.add_argument(
        "--free",
        action="append",
        default=[],
        metavar="KEY=LOW:HIGH",
        help="a key to fit and its range, optionally :int or :log, e.g. "
        "lodgement.delay_hours.mean=1:20 or checks.documents.servers=1:6:int (repeatable)",
    )
    k.add_argument("--trials", type=_positive_int, default=60, help="trials (default 60)")
    k.add_argument("--replications", type=_positive_int, default=5, help="per trial (default 5)")
    k.add_argument("--seed", type=_seed, help="seed of every trial (default: the file's)")
    k.add_argument(
        "--out",
        metavar="DIR",
        help="results folder (default: results/<scenario>-calibrated/); one that holds this "
        "search is continued, or complete if finished; one of other inputs is refused",
    )
    k.add_argument(
        "--resume", action="store_true", help="continue the search kept in --out (it must be there)"
    )
    k.add_argument("--executor", choices=EXECUTORS, help="where trials run")
    k.add_argument("--workers", type=_positive_int, metavar="N", help="trials run at once")
    k.add_argument(
        "--write-scenario",
        metavar="PATH",
        help="also write the calibrated scenario file to PATH",
    )
    k.add_argument("--quiet", action="store_true", help="print only where the results went")
    o = sub.add_parser(
        "optimise",
        help="find the decision values that do best on a metric subject to constraints on "
        "others, judged at a stated confidence",
    )
    o.add_argument("file", metavar="SCENARIO", help="the base scenario file (TOML)")
    o.add_argument(
        "--maximise", action="append", default=[], metavar="METRIC", help="a metric to maximise"
    )
    o.add_argument(
        "--minimise", action="append", default=[], metavar="METRIC", help="a metric to minimise"
    )
    o.add_argument(
        "--subject-to",
        dest="subject_to",
        action="append",
        default=[],
        metavar="CONSTRAINT",
        help="METRIC>=VALUE or METRIC<=VALUE, held at --confidence (repeatable)",
    )
    o.add_argument(
        "--decide",
        action="append",
        default=[],
        metavar="KEY=LOW:HIGH",
        help="a key to decide and its range, optionally :int or :log, e.g. "
        "policy.rates.red=0:0.3 or checks.physical.servers=1:6:int (repeatable)",
    )
    o.add_argument("--trials", type=_positive_int, default=40, help="trials (default 40)")
    o.add_argument("--replications", type=_positive_int, default=5, help="per trial (default 5)")
    o.add_argument("--seed", type=_seed, help="seed of every trial (default: the file's)")
    o.add_argument(
        "--confidence",
        type=_fraction,
        default=0.95,
        help="confidence of the constraints and of the selection (default 0.95)",
    )
    o.add_argument(
        "--select",
        type=_positive_int,
        default=5,
        metavar="K",
        help="leading feasible candidates in the final selection (default 5)",
    )
    o.add_argument(
        "--rounds",
        type=_positive_int,
        default=5,
        help="rounds of paired replications in the selection at most (default 5)",
    )
    o.add_argument(
        "--out",
        metavar="DIR",
        help="results folder (default: results/<scenario>-optimised/); one that holds this "
        "search is continued, or complete if finished; one of other inputs is refused",
    )
    o.add_argument(
        "--resume", action="store_true", help="continue the search kept in --out (it must be there)"
    )
    o.add_argument("--executor", choices=EXECUTORS, help="where trials run")
    o.add_argument("--workers", type=_positive_int, metavar="N", help="trials run at once")
    o.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="join a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (implies --executor dask)",
    )
    o.add_argument(
        "--write-scenario",
        metavar="PATH",
        help="also write the recommended scenario file to PATH",
    )
    o.add_argument("--quiet", action="store_true", help="print only where the results went")
    sub.add_parser(
        "schema",
        help="print the JSON Schema of scenario files, for editors that check TOML "
        "(see docs/scenario-reference.md)",
    )
    parser._subparsers_by_name = {  # type: ignore[attr-defined]
        "run": p,
        "compare": c,
        "sweep": s,
        "validate": v,
        "report": r,
        "sensitivity": n,
        "explore": e,
        "calibrate": k,
        "optimise": o,
    }
    return parser


def _check_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Combinations argparse cannot check: a usage error, before anything runs."""
    if args.command in ("validate", "report", "explore", "schema"):
        return
    if args.command == "sensitivity":
        sub = parser._subparsers_by_name[args.command]  # type: ignore[attr-defined]
        if args.scheduler is not None and args.executor not in (None, "dask"):
            sub.error(
                f"--scheduler joins a Dask cluster; it cannot go with --executor {args.executor}"
            )
        if args.executor == "serial" and args.workers not in (None, 1):
            sub.error("--executor serial runs in this process; drop --workers")
        return
    if args.command == "calibrate":
        if not args.free:
            sub = parser._subparsers_by_name[args.command]  # type: ignore[attr-defined]
            sub.error(
                "give at least one --free KEY=LOW:HIGH, e.g. --free lodgement.delay_hours.mean=1:20"
            )
        return
    if args.command == "optimise":
        sub = parser._subparsers_by_name[args.command]  # type: ignore[attr-defined]
        if not args.decide:
            sub.error(
                "give at least one --decide KEY=LOW:HIGH, e.g. --decide policy.rates.red=0:0.3"
            )
        if not args.maximise and not args.minimise:
            sub.error(
                "give --maximise METRIC or --minimise METRIC, e.g. --maximise interception_rate"
            )
        if args.scheduler is not None and args.executor not in (None, "dask"):
            sub.error(
                f"--scheduler joins a Dask cluster; it cannot go with --executor {args.executor}"
            )
        return
    sub = parser._subparsers_by_name[args.command]  # type: ignore[attr-defined]
    if args.replications != "auto":
        for flag, value in (
            ("--precision", args.precision),
            ("--max-replications", args.max_replications),
        ):
            if value is not None:
                sub.error(f"{flag} applies only with --replications auto")
    if args.scheduler is not None and args.executor not in (None, "dask"):
        sub.error(f"--scheduler joins a Dask cluster; it cannot go with --executor {args.executor}")
    if args.executor == "serial" and args.workers not in (None, 1):
        sub.error("--executor serial runs in this process; drop --workers")
    resume = getattr(args, "resume", None)
    if resume is not None and args.out is not None and Path(args.out) != Path(resume):
        sub.error("--resume DIR writes into DIR; drop --out")
    if args.command == "sweep" and not args.vary:
        sub.error("give at least one --vary KEY=SPEC, e.g. --vary policy.rates.red=0:0.3:13")


def _options(args: argparse.Namespace, argv: list[str], policy: str | None, **where: Any):
    """The :class:`~sim.experiment.options.RunOptions` of a ``run``, ``compare`` or ``sweep``
    command: built once, from its flags."""
    from sim.experiment.options import RunOptions

    return RunOptions.of(
        replications=args.replications,
        seed=args.seed,
        precision=args.precision,
        max_replications=args.max_replications,
        overrides=args.overrides,
        policy=policy,
        plugins=args.plugins,
        trace=getattr(args, "trace", False),
        executor=args.executor,
        workers=args.workers,
        scheduler=args.scheduler,
        progress=False if args.quiet else None,
        format=args.format,
        command=["bordersim", *argv],
        **where,
    )


def _run(args: argparse.Namespace, argv: list[str]) -> int:
    from sim.experiment.run import run_difference, run_with
    from sim.files.store import AlreadyFinished, finished_run

    load_plugins(args.plugins)
    overrides = list(args.overrides)
    if args.seed is not None:
        overrides.append(f"scenario.seed={args.seed}")
    if isinstance(args.replications, int):
        overrides.append(f"scenario.replications={args.replications}")
    scenario = load_scenario(args.file, overrides)  # its errors first, and its policy's kind
    _warn_empty(scenario)
    policy = replacement(args.plugins, [scenario.policy.kind])
    check_format(args.format)
    folder = Path(args.out) if args.out is not None else default_folder(scenario.scenario.name)
    check_destination(folder)  # before the run, not after it
    options = _options(args, argv, policy, out=folder)
    with FolderLock.acquire(folder):  # a second command writing here is refused now
        held = finished_run(folder) if args.out is not None else None
        if held is not None:  # the rule for existing folders: sim/files/store.py
            auto = args.replications == "auto"
            why = run_difference(held, scenario, options.policy_name(), auto=auto)
            if why:
                raise OutputError(
                    f"{folder} holds a run of other inputs: {why}; choose another --out"
                )
            return _already_finished(AlreadyFinished(folder, "run"))
        _doing(f"running {args.file}")
        result = run_with(args.file, options)
        _doing(f"writing the results of {args.file} to {folder}")
        folder = result.save(folder, command=options.command, format=options.format)
        if not args.quiet:
            _print_bottom_line(result)
            print(result.text())
            print()
        return _finish(args, folder)


def _already_finished(done: Any, write: str | None = None, scenario: str = "") -> int:
    """A results folder that holds the same inputs, finished: say so and where its report
    is, rewrite nothing in it, and succeed (a report's reproduce command works as printed).
    ``write``: the --write-scenario path of a search, given the folder's ``scenario`` file."""
    print(done)
    kept = done.folder / scenario
    if write and scenario and kept.is_file():
        from sim.files.write import write_atomic

        write_atomic(Path(write), kept.read_text(encoding="utf-8"))
        print(f"Its scenario ({kept}) written to {write}")
    report = done.folder / "report.html"
    if report.is_file():
        print(f"Report: {report}")
    else:
        print(f"Its report: bordersim report {done.folder}")
    print(f"Results in {done.folder}/")
    return 0


def _warn_empty(scenario: Scenario) -> None:
    """A warning on stderr when the counted window would receive no shipment."""
    warning = empty_window(scenario)
    if warning:
        print(f"warning: {warning}", file=sys.stderr)


def _finish(args: argparse.Namespace, folder: Path) -> int:
    """Write the report (unless --no-report), then say where the results went."""
    code = 0
    if args.report:
        _doing(f"writing the report of {folder}")
        try:
            path = _write_report(folder, args.time)
        except KeyboardInterrupt:
            print(
                f"interrupted while writing the report; the results are kept in {folder}/ "
                f"(bordersim report {folder} writes it)",
                file=sys.stderr,
            )
            return EXIT_INTERRUPTED
        except Exception as err:  # the results are written: keep them, say what failed
            print(
                f"error: the report could not be written ({type(err).__name__}: {err}); the "
                f"results are kept in {folder}/. Try again with: bordersim report {folder}",
                file=sys.stderr,
            )
            code = EXIT_FAILED
        else:
            if not args.quiet:
                print(f"Report: {path}")
    print(f"Results written to {folder}/")
    return code


def _write_report(folder: Path, time: str) -> Path:
    from sim.present.report import write_report

    return write_report(folder, time=time)


def _show(args: argparse.Namespace) -> int:
    """``report`` and ``explore``: a page built from a results folder alone."""
    if args.command == "report":
        path = _write_report(Path(args.folder), args.time)
        print(f"Report written to {path}")
    else:
        from sim.present.explore import write_explorer

        path = write_explorer(Path(args.folder), time=args.time)
        print(f"Trainer's page written to {path} (open it in any browser; it works offline)")
    return 0


def _experiment(args: argparse.Namespace, argv: list[str]) -> int:
    """``compare`` and ``sweep``: validate everything, then fill the folder point by point."""
    from sim.experiment.compare import compare_with
    from sim.experiment.sweep import parse_all, sweep_with
    from sim.files.store import AlreadyFinished

    load_plugins(args.plugins)
    check_format(args.format)
    first = args.files[0] if args.command == "compare" else args.file
    if args.command == "sweep":
        parse_all(args.vary, first)  # a bad --vary is reported before anything else
    # Which plug-in replaces [policy], if any: none when a scenario selects one by kind.
    kinds = _policy_kinds(args.files if args.command == "compare" else [args.file], args.overrides)
    policy = replacement(args.plugins, kinds)
    folder = Path(args.resume) if args.resume else None
    if folder is None:
        if args.out is not None:
            folder = Path(args.out)
        else:
            name = load_scenario(first, args.overrides).scenario.name
            folder = default_folder(name, prefix=args.command)
    options = _options(args, argv, policy, out=None if args.resume else folder, resume=args.resume)
    with FolderLock.acquire(folder):  # a second command writing here is refused now
        _doing(f"running the {args.command} of {first} into {folder}")
        try:
            if args.command == "compare":
                files = args.files if len(args.files) > 1 else args.files[0]
                result = compare_with(files, options)
            else:
                result = sweep_with(args.file, args.vary, options)
        except AlreadyFinished as done:
            return _already_finished(done)
        except KeyboardInterrupt:
            kept = _kept(folder)
            if kept is None:
                print("interrupted: no results written", file=sys.stderr)
            else:
                print(
                    f"interrupted: {kept[0]} of {kept[1]} points finished and kept in {folder}/\n"
                    f"to run the rest: {_resume_command(argv, folder)}",
                    file=sys.stderr,
                )
            return EXIT_INTERRUPTED
        except (WorkerLost, PolicyError, StorageError) as err:  # keep what finished
            kept = _kept(folder)
            if kept is None or not kept[0]:
                raise
            what = "the policy failed: " if isinstance(err, PolicyError) else ""
            print(
                f"error: {what}{err}\n{kept[0]} of {kept[1]} points finished and kept in "
                f"{folder}/\nto run the rest: {_resume_command(argv, folder)}",
                file=sys.stderr,
            )
            return EXIT_FAILED
        return _show_experiment(args, result)


def _print_bottom_line(result: Any) -> None:
    """The answer to the scenario's question, before the figures."""
    from sim.files.bottom_line import result_bottom_line

    text = result_bottom_line(result)
    if text:
        print(text)
        print()


def _show_experiment(args: argparse.Namespace, result: Any) -> int:
    """Print a finished comparison or sweep, write its report, say where it went."""
    if not args.quiet:
        _print_bottom_line(result)
        print(result.text())
        print()
        if args.command == "sweep" and args.report:
            print(f"For the trainer's interactive page: bordersim explore {result.folder}")
    assert result.folder is not None
    return _finish(args, result.folder)


def _kept(folder: Path) -> tuple[int, int] | None:
    """(points finished, points planned) in a comparison's or sweep's folder, if it exists."""
    from sim.files.store import count_points, planned_points

    total = planned_points(folder)
    if total is None:
        return None
    return count_points(folder), total


def _policy_kinds(files: list[str], overrides: list[str]) -> list[str]:
    """Every ``policy.kind`` the files and their variants select."""
    kinds = []
    for file in files:
        data = read_toml(file)
        if overrides:
            data = apply_overrides(data, overrides, file)
        for table in [data, *((data.get("variants") or {}).values())]:
            policy = table.get("policy") if isinstance(table, dict) else None
            if isinstance(policy, dict) and isinstance(policy.get("kind"), str):
                kinds.append(policy["kind"])
    return kinds


def _resume_command(argv: list[str], folder: Path) -> str:
    """The command line that finishes an interrupted run in ``folder``."""
    args = []
    skip = False
    for a in argv:
        if skip:
            skip = False
            continue
        if a in ("--out", "--resume"):
            skip = True
            continue
        if a.startswith(("--out=", "--resume=")):
            continue
        args.append(a)
    return shlex.join(["bordersim", *args, "--resume", str(folder)])


def _search_interrupted(argv: list[str], args: argparse.Namespace, kept: Path, what: str) -> int:
    """Ctrl-C in calibrate, optimise or sensitivity: where the finished ``what`` are kept (in
    ``kept``) and the command that continues, or that nothing was written."""
    if kept.exists():
        again = [a for a in argv if a != "--resume"]
        if not args.out:
            again += ["--out", str(kept.parent)]
        print(
            f"interrupted: the finished {what} are kept in {kept}\n"
            f"to continue: {shlex.join(['bordersim', *again, '--resume'])}",
            file=sys.stderr,
        )
    else:
        print("interrupted: no results written", file=sys.stderr)
    return EXIT_INTERRUPTED


def _sensitivity(args: argparse.Namespace, argv: list[str]) -> int:
    """``sensitivity``: check every input, run the sample, print the ranked indices, write
    the folder and its report."""
    from sim.experiment.sensitivity import EVALUATIONS, sensitivity
    from sim.files.store import AlreadyFinished

    name = load_scenario(args.file).scenario.name  # the scenario's errors first
    folder = Path(args.out) if args.out else Path("results") / f"{name}-sensitivity"
    _doing(f"analysing the sensitivity of {args.file}")
    try:
        result = sensitivity(
            args.file,
            args.vary,
            method=args.method,
            metrics=args.metric,
            samples=args.samples,
            replications=args.replications,
            seed=args.seed,
            relative=args.relative,
            out=folder,
            resume=args.resume,
            executor=args.executor,
            workers=args.workers,
            scheduler=args.scheduler,
            progress=False if args.quiet else None,
        )
    except AlreadyFinished as done:
        return _already_finished(done)
    except KeyboardInterrupt:
        return _search_interrupted(argv, args, folder / EVALUATIONS, "evaluations")
    from sim.present.sensitivity import summary, write_sensitivity_report

    if not args.quiet:
        print(result.text())
        print()
        print(summary(result.to_dict()))
        print()
    _doing(f"writing the report of {folder}")
    try:
        path = write_sensitivity_report(folder)
    except Exception as err:  # the results are written: keep them, say what failed
        print(
            f"error: the report could not be written ({type(err).__name__}: {err}); the "
            f"results are kept in {folder}/",
            file=sys.stderr,
        )
        return EXIT_FAILED
    if not args.quiet:
        print(f"Report: {path}")
    print(f"Results written to {folder}/")
    return 0


def _calibrate(args: argparse.Namespace, argv: list[str]) -> int:
    """``calibrate``: check every input, search, print the fit, write the folder."""
    from sim.experiment.calibrate import STUDY, calibrate
    from sim.files.store import AlreadyFinished

    name = load_scenario(args.file).scenario.name  # the scenario's errors first
    folder = Path(args.out) if args.out else Path("results") / f"{name}-calibrated"
    _write_scenario_path(args.write_scenario)
    _doing(f"calibrating {args.file} to {args.targets}")
    try:
        result = calibrate(
            args.file,
            args.targets,
            args.free,
            trials=args.trials,
            replications=args.replications,
            seed=args.seed,
            out=folder,
            resume=args.resume,
            executor=args.executor,
            workers=args.workers,
            progress=False if args.quiet else None,
            write_scenario=args.write_scenario,
        )
    except AlreadyFinished as done:
        return _already_finished(done, args.write_scenario, "calibrated.toml")
    except KeyboardInterrupt:
        return _search_interrupted(argv, args, folder / STUDY, "trials")
    if not args.quiet:
        print(result.text())
        print()
    if args.write_scenario:
        print(f"Calibrated scenario written to {args.write_scenario}")
    code = 0
    try:
        from sim.present.calibration import write_calibration_report
    except ImportError:
        pass
    else:
        _doing(f"writing the report of {folder}")
        try:
            path = write_calibration_report(folder)
        except Exception as err:  # the results are written: keep them, say what failed
            print(
                f"error: the report could not be written ({type(err).__name__}: {err}); the "
                f"results are kept in {folder}/",
                file=sys.stderr,
            )
            code = EXIT_FAILED
        else:
            if not args.quiet:
                print(f"Report: {path}")
    print(f"Results written to {folder}/")
    return code


def _write_scenario_path(path: str | None) -> None:
    """A --write-scenario path refused now, not after the search."""
    if path:
        written = Path(path)
        check_names(written)
        if written.is_dir() or not written.parent.is_dir():
            raise OutputError(
                f"--write-scenario {written}: a file's path in an existing folder is needed"
            )


def _optimise(args: argparse.Namespace, argv: list[str]) -> int:
    """``optimise``: check every input, search, select, print the answer, write the folder."""
    from sim.experiment.optimise import optimise
    from sim.experiment.study import STUDY
    from sim.files.store import AlreadyFinished
    from sim.files.write import write_atomic

    name = load_scenario(args.file).scenario.name  # the scenario's errors first
    folder = Path(args.out) if args.out else Path("results") / f"{name}-optimised"
    _write_scenario_path(args.write_scenario)
    _doing(f"optimising {args.file}")
    try:
        result = optimise(
            args.file,
            maximise=args.maximise,
            minimise=args.minimise,
            subject_to=args.subject_to,
            decide=args.decide,
            trials=args.trials,
            replications=args.replications,
            seed=args.seed,
            confidence=args.confidence,
            select_top=args.select,
            rounds=args.rounds,
            out=folder,
            resume=args.resume,
            executor=args.executor,
            workers=args.workers,
            scheduler=args.scheduler,
            progress=False if args.quiet else None,
        )
    except AlreadyFinished as done:
        return _already_finished(done, args.write_scenario, "recommended.toml")
    except KeyboardInterrupt:
        return _search_interrupted(argv, args, folder / STUDY, "trials")
    if not args.quiet:
        print(result.text())
        print()
    if args.write_scenario:
        if result.scenario_toml is None:
            print(
                f"No scenario written to {args.write_scenario}: there is no single "
                "recommendation (no feasible trial, or several objectives).",
                file=sys.stderr,
            )
        else:
            write_atomic(Path(args.write_scenario), result.scenario_toml)
            print(f"Recommended scenario written to {args.write_scenario}")
    from sim.present.optimisation import write_optimisation_report

    _doing(f"writing the report of {folder}")
    try:
        path = write_optimisation_report(folder)
    except Exception as err:  # the results are written: keep them, say what failed
        print(
            f"error: the report could not be written ({type(err).__name__}: {err}); the "
            f"results are kept in {folder}/",
            file=sys.stderr,
        )
        return EXIT_FAILED
    if not args.quiet:
        print(f"Report: {path}")
    print(f"Results written to {folder}/")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from sim.experiment.compare import build_points, load_source

    load_plugins(args.plugins)
    source = load_source(args.file, args.overrides)  # the file read and validated once
    s = source.scenario
    info = s.scenario
    text = (
        f"{args.file}: valid. Scenario '{info.name}': {info.days:g} days "
        f"({info.warmup_days:g} warm-up), {info.replications} replication(s), "
        f"{len(s.checks)} check(s), {len(s.lanes)} lane(s), policy '{s.policy.kind}'."
    )
    _warn_empty(s)
    if s.variants:
        build_points([source], info.seed, info.replications)  # each variant, validated
        text += f" Variants for compare: {', '.join(s.variants)}."
    print(text)
    # What a run's manifest.json records as scenario_sha256: the same digest means the same
    # resolved scenario.
    print(f"SHA-256 of the resolved scenario: {s.digest()}")
    return 0


_DOING = ["starting"]


def _doing(what: str) -> None:
    """Note what the command is doing, for the message of an unexpected failure."""
    _DOING[0] = what


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``bordersim`` console script."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        _check_args(parser, args)
    except SystemExit as exc:  # --help, --version, or a usage error already printed
        if exc.code is None or isinstance(exc.code, int):
            return exc.code or 0
        return EXIT_BAD_INPUT
    _doing(f"running bordersim {args.command}")
    with _stop_signals_interrupt():
        return _guarded(args, argv)


def _guarded(args: argparse.Namespace, argv: list[str]) -> int:
    """Run a command; whatever goes wrong becomes one message and an exit status."""
    try:
        return _dispatch(args, argv)
    except KeyboardInterrupt:
        print("interrupted: no results written", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_FAILED
    except Exception as err:
        code, message = _describe(err)
        print(message, file=sys.stderr)
        return code


def _dispatch(args: argparse.Namespace, argv: list[str]) -> int:
    if args.command == "run":
        return _run(args, argv)
    if args.command in ("compare", "sweep"):
        return _experiment(args, argv)
    if args.command in ("report", "explore"):
        return _show(args)
    if args.command == "sensitivity":
        return _sensitivity(args, argv)
    if args.command == "calibrate":
        return _calibrate(args, argv)
    if args.command == "optimise":
        return _optimise(args, argv)
    if args.command == "schema":
        from sim.reference import render_json_schema

        print(render_json_schema(), end="")
        return 0
    return _validate(args)


def _describe(err: Exception) -> tuple[int, str]:
    """The exit status and message of a failure: known ones say what is wrong; anything else
    says what was being done and asks for a report."""
    from sim.experiment.options import ExperimentError

    if isinstance(err, WorkerLost | StorageError):
        return EXIT_FAILED, f"error: {err}"
    bad_input = (
        ScenarioError,
        OutputError,
        ExperimentError,
        ExecutorError,
        PluginError,  # before PolicyError, of which it is one
        MissingDependencyError,
    )
    if isinstance(err, bad_input):
        return EXIT_BAD_INPUT, f"error: {err}"
    if isinstance(err, PolicyError):  # a policy (often a plug-in) failed while running
        return EXIT_FAILED, f"error: the policy failed: {err}"
    doing = _DOING[0]
    if isinstance(err, MemoryError):
        return EXIT_FAILED, (
            f"error: out of memory while {doing}; try fewer --workers, fewer replications or "
            "a shorter scenario (BORDERSIM_MAX_MEMORY_MB sets the limit bordersim checks)"
        )
    if isinstance(err, OSError):  # the system refused: a disk, a permission, a network
        where = f" ({err.filename})" if err.filename else ""
        return EXIT_FAILED, f"error: while {doing}: {err.strerror or err}{where}"
    if os.environ.get("BORDERSIM_DEBUG"):
        import traceback

        traceback.print_exception(err)
    return EXIT_FAILED, (
        f"error: bordersim failed while {doing}: {type(err).__name__}: {err}\n"
        f"This is a fault of bordersim {version('bordersim')}, not of your input. Please report "
        "it with this message, the command and the output of `bordersim --version` "
        "(BORDERSIM_DEBUG=1 shows the traceback)."
    )


@contextmanager
def _stop_signals_interrupt() -> Iterator[None]:
    """SIGTERM and SIGHUP stop the command as Ctrl-C does (KeyboardInterrupt), in the main
    thread only (where Python runs signal handlers); the handlers are put back afterwards."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    saved = {signum: signal.signal(signum, _interrupt) for signum in STOP_SIGNALS}
    try:
        yield
    finally:
        for signum, handler in saved.items():
            signal.signal(signum, handler)


def _interrupt(signum: int, frame: object) -> None:
    for other in STOP_SIGNALS:  # one is enough: the way out is not interrupted again
        signal.signal(other, signal.SIG_IGN)
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
