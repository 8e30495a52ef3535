"""Result files: written into a temporary folder, then renamed, so none is ever half-written."""

from __future__ import annotations

import csv
import json
import math
import os
import platform
import shutil
import sys
import tempfile
from datetime import datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.experiment import RunResult

MANIFEST = "manifest.json"


class OutputError(Exception):
    """The results folder cannot be written where asked."""


def _clean(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "unknown"


def default_folder(name: str, root: Path = Path("results")) -> Path:
    """``results/<name>/<timestamp>``, with a suffix when that folder exists already."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    folder = root / name / stamp
    k = 2
    while folder.exists():
        folder = root / name / f"{stamp}-{k}"
        k += 1
    return folder


def check_destination(final: Path) -> None:
    """Refuse a results folder that would overwrite something other than earlier results."""
    if not final.exists():
        return
    if not final.is_dir():
        raise OutputError(f"{final} is a file, not a results folder; choose another --out")
    if any(final.iterdir()) and not (final / MANIFEST).is_file():
        raise OutputError(f"{final} exists and is not a results folder; choose another --out")


def save(result: RunResult, out: str | Path | None, command: list[str] | None) -> Path:
    """Write every result file of a run; returns the folder."""
    final = Path(out) if out is not None else default_folder(result.scenario.scenario.name)
    check_destination(final)
    created = [p for p in (final.parent, *final.parent.parents) if not p.exists()]
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", suffix=".partial", dir=final.parent))
    except OSError as exc:
        _remove_empty(created)
        raise OutputError(f"cannot create {final}: {exc.strerror or exc}") from None
    old = final.with_name(f".{final.name}.old-{os.getpid()}")
    try:
        _write_all(result, tmp, command)
        if final.exists():
            final.rename(old)
            tmp.rename(final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            tmp.rename(final)
    except BaseException as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if old.exists() and not final.exists():
            old.rename(final)  # put the earlier results back
        _remove_empty(created)
        if isinstance(exc, OSError):
            raise OutputError(f"cannot write {final}: {exc.strerror or exc}") from None
        raise
    return final


def _remove_empty(folders: list[Path]) -> None:
    """Remove folders that ``save`` created, innermost first, if they are still empty."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return


def _write_all(result: RunResult, tmp: Path, command: list[str] | None) -> None:
    """Write every result file into ``tmp``."""
    from sim.records import write_trace

    sc = result.scenario
    summary = {
        "scenario": sc.scenario.name,
        "seed": sc.scenario.seed,
        "replications": sc.scenario.replications,
        "confidence": 0.95,
        "metrics": result.summary,
    }
    (tmp / "summary.json").write_text(json.dumps(_clean(summary), indent=2) + "\n")
    columns = ("mean", "ci_low", "ci_high", "half_width", "sd", "n")
    with open(tmp / "summary.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["metric", *columns])
        for name, s in result.summary.items():
            w.writerow([name, *(_csv(s[k]) for k in columns)])
    names = list(result.summary)
    with open(tmp / "replications.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["replication", *names])
        for i, rep in enumerate(result.replications):
            w.writerow([i, *(_csv(rep.get(n)) for n in names)])
    (tmp / "scenario.toml").write_text(sc.to_toml())
    manifest = {
        "project": "bordersim",
        "version": version("bordersim"),
        "scenario": sc.scenario.name,
        "scenario_sha256": sc.digest(),
        "seed": sc.scenario.seed,
        "replications": sc.scenario.replications,
        "command": command,
        "created": datetime.now().astimezone().isoformat(timespec="seconds"),
        "wall_seconds": round(result.wall_seconds, 3),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": {p: version(p) for p in ("numpy", "simpy", "scipy", "pydantic")},
    }
    (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    if result.records:
        write_trace(
            tmp / "shipments.csv.gz",
            [(i, r.columns(sc)) for i, r in enumerate(result.records)],
        )


def _csv(value: Any) -> Any:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    if isinstance(value, float):
        return f"{value:.10g}"
    return value


def _fmt(s: dict[str, Any], digits: int = 2, pct: bool = False) -> str:
    if s["mean"] is None:
        return "n/a"
    scale = 100.0 if pct else 1.0
    unit = "%" if pct else ""
    text = f"{s['mean'] * scale:.{digits}f}{unit}"
    if s["half_width"] is not None:
        text += f"  ± {s['half_width'] * scale:.{digits}f}"
    return text


def format_summary(result: RunResult) -> str:
    """The summary printed by ``bordersim run``."""
    sc = result.scenario
    s = result.summary
    shipments = s["shipments"]["mean"] or 0
    info = sc.scenario
    lines = [
        f"{info.name}: {info.replications} replication(s) of {info.days:g} days, seed {info.seed}, "
        f"policy {sc.policy.kind}; about {shipments:,.0f} shipments counted each",
        "Means across replications, ± half-width of the 95% confidence interval.",
        "",
    ]
    rows = [
        ("Clearance time, mean (h)", "clearance_hours_mean", False),
        ("Clearance time, median (h)", "clearance_hours_median", False),
        ("Clearance time, 90th percentile (h)", "clearance_hours_p90", False),
    ]
    rows += [
        (f"Released within {h:g} h", f"within_{h:g}h_share", True)
        for h in sorted({*sc.scenario.target_hours, 24.0})
    ]
    rows += [
        ("Interception rate (illicit caught)", "interception_rate", True),
        ("Hit rate (inspections finding illicit)", "hit_rate", True),
        ("Inspection rate (physical or scan)", "inspection_rate", True),
        ("Leaks (illicit released)", "leaks", False),
        ("Spoiled cold-chain shipments", "spoiled", False),
        ("Censored (still inside at the end)", "censored", False),
    ]
    width = max(len(r[0]) for r in rows) + 2
    for label, key, pct in rows:
        lines.append(f"  {label:<{width}}{_fmt(s[key], 1 if pct else 2, pct)}")
    lines += ["", f"  {'Station':<14}{'wait h (mean)':>18}{'utilisation':>18}{'queue max':>12}"]
    for name in sc.checks:
        p = f"station.{name}."
        wait = _fmt(s[p + "wait_hours_mean"])
        utilisation = _fmt(s[p + "utilisation"], 1, True)
        lines.append(
            f"  {name:<14}{wait:>18}{utilisation:>18}{(s[p + 'queue_max']['mean'] or 0):>12.1f}"
        )
    return "\n".join(lines)
