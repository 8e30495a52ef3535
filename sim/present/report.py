"""The report: one self-contained ``report.html`` built from a results folder alone.

It opens with no network (images inline as base64 PNG, styles inline, no script): what was
simulated in plain words, the key numbers with their 95% confidence intervals, the figures of
:mod:`sim.present.plots` (also written to ``figures/`` as PNG and SVG, for slides), tables, the
parameters with their sources (the comments of the original scenario file when it is still
there and unchanged), method notes and how to reproduce the numbers.
"""

from __future__ import annotations

import base64
import html
import math
import re
import shlex
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sim.files.results import OutputError, Saved, SavedPoint, load_results, write_atomic
from sim.measure.names import key_rows

REPORT = "report.html"
FIGURES = "figures"
KINDS = {"run": "run", "compare": "comparison", "sweep": "sweep"}


def write_report(folder: str | Path, *, time: str = "mean") -> Path:
    """Write ``report.html`` (and the figures, as PNG and SVG, under ``figures/``) into a
    results folder; returns the report's path. ``time`` is the trade-off's time axis:
    ``"mean"`` or ``"p90"`` clearance time of legitimate shipments."""
    from sim.present import plots

    saved = load_results(folder)
    figures = plots.run_figures(saved, time)
    out = saved.folder / FIGURES
    images: dict[str, tuple[bytes, str]] = {}
    try:
        for name, (fig, caption) in figures.items():
            data = plots.save(fig, out, name)
            images[name] = (data["png"], caption)
        for old in out.glob("*"):
            if old.suffix in (".png", ".svg") and old.stem not in figures:
                old.unlink()
        path = saved.folder / REPORT
        write_atomic(path, render(saved, images, time))
    except OSError as exc:
        raise OutputError(
            f"cannot write the report in {saved.folder}: {exc.strerror or exc}"
        ) from None
    return path


# --------------------------------------------------------------------------- formatting


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def number(s: Mapping[str, Any] | None, pct: bool = False, digits: int | None = None) -> str:
    """``mean ± half-width`` (shares in %), or n/a."""
    if not s or s.get("mean") is None:
        return "n/a"
    d = digits if digits is not None else (1 if pct else 2)
    scale, unit = (100.0, "%") if pct else (1.0, "")
    text = f"{s['mean'] * scale:,.{d}f}{unit}"
    if s.get("half_width") is not None and math.isfinite(s["half_width"]):
        text += f" ± {s['half_width'] * scale:,.{d}f}"
    return text


def interval(s: Mapping[str, Any] | None, pct: bool = False, digits: int | None = None) -> str:
    """``95% CI low–high``, or the number of replications when there is none."""
    if not s or s.get("ci_low") is None or s.get("ci_high") is None:
        n = (s or {}).get("n")
        return f"no interval (n = {n})" if n is not None else ""
    d = digits if digits is not None else (1 if pct else 2)
    scale, unit = (100.0, "%") if pct else (1.0, "")
    return f"95% CI {s['ci_low'] * scale:,.{d}f}{unit} to {s['ci_high'] * scale:,.{d}f}{unit}"


def difference(s: Mapping[str, Any] | None, pct: bool = False) -> str:
    if not s or s.get("mean") is None:
        return "n/a"
    d = 1 if pct else 2
    scale, unit = (100.0, " pp") if pct else (1.0, "")
    text = f"{s['mean'] * scale:+,.{d}f}{unit}"
    if s.get("half_width") is not None:
        text += f" ± {s['half_width'] * scale:,.{d}f}"
        if s["ci_low"] > 0 or s["ci_high"] < 0:
            text += " *"
    return text


def _table(head: Sequence[str], rows: Iterable[Sequence[Any]], cls: str = "") -> str:
    out = [f'<table class="{cls}">' if cls else "<table>", "<thead><tr>"]
    out += [f"<th>{esc(h)}</th>" for h in head]
    out.append("</tr></thead><tbody>")
    for row in rows:
        cells = []
        for k, cell in enumerate(row):
            tag = "th" if k == 0 else "td"
            scope = ' scope="row"' if k == 0 else ""
            cells.append(f"<{tag}{scope}>{cell if isinstance(cell, Raw) else esc(cell)}</{tag}>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


class Raw(str):
    """Markup that is already escaped."""


def _get(data: Any, dotted: str) -> Any:
    node = data
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return _MISSING
        node = node[part]
    return node


_MISSING = object()


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k} = {_show(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return str(value)


# --------------------------------------------------------------------------- plain words


def _roster_words(scenario: dict[str, Any], roster: str) -> str:
    if roster == "24/7":
        return "around the clock"
    r = (scenario.get("rosters") or {}).get(roster) or {}
    days = r.get("days") or []
    hours = r.get("hours") or []
    shifts = ", ".join(f"{_clock(a)}-{_clock(b)}" for a, b in hours)
    return f"{roster} hours ({', '.join(d.capitalize() for d in days)} {shifts})"


def _days(n: float) -> str:
    return f"{n:g} day" if n == 1 else f"{n:g} days"


def _clock(h: float) -> str:
    return f"{int(h):02d}:{int(round((h % 1) * 60)):02d}"


def _policy_words(policy: dict[str, Any]) -> str:
    kind = policy.get("kind", "?")
    if kind == "random" and isinstance(policy.get("rates"), dict):
        rates = ", ".join(f"{v:.0%} {lane}" for lane, v in policy["rates"].items())
        rest = policy.get("default_lane", "green")
        return f"random selection ({rates or 'none'}; the rest {rest})"
    settings = [
        f"{k} {_show(v)}"
        for k, v in policy.items()
        if k != "kind" and not isinstance(v, dict | list) and v not in (None, "")
    ]
    return f"the '{kind}' policy" + (f" ({', '.join(settings[:6])})" if settings else "")


def describe(saved: Saved) -> str:
    """What was simulated, in plain words (HTML paragraphs)."""
    first = saved.points[0]
    sc = first.scenario or {}
    info = sc.get("scenario") or {}
    traffic = sc.get("traffic") or {}
    illicit = sc.get("illicit") or {}
    paras = []
    if info.get("description"):
        paras.append(f'<p class="question">{esc(info["description"])}</p>')
    days = info.get("days")
    warm = info.get("warmup_days", 0)
    if days is not None:
        counted = days - warm
        commodities = ", ".join(
            f"{name} {c.get('share', 0):.0%}"
            + (f" (cold chain, {c['cold_chain_hours']:g} h)" if c.get("cold_chain_hours") else "")
            for name, c in (traffic.get("commodities") or {}).items()
        )
        kinds = ", ".join(f"{k} {v:.0%}" for k, v in (illicit.get("kinds") or {}).items())
        paras.append(
            "<p>"
            + esc(
                f"One customs office, '{info.get('name', first.label)}', over {days:g} days of "
                f"arrivals: about {traffic.get('shipments_per_day', 0):,.0f} shipments a day "
                f"({commodities}). About {illicit.get('prevalence', 0):.1%} of them are illicit "
                f"({kinds}). The first {_days(warm)} warm the office up and are not counted, so "
                f"each replication counts {_days(counted)}; {_days(info.get('drain_days', 0))} "
                "more are simulated so that late arrivals can finish."
            )
            + "</p>"
        )
    checks = sc.get("checks") or {}
    if checks:
        items = []
        for name, c in checks.items():
            text = (
                f"{name} ({c.get('kind')}): {c.get('servers')} officer(s) or machine(s), "
                f"{_roster_words(sc, c.get('roster', '24/7'))}"
            )
            detect = c.get("detect") or {}
            if detect:
                text += "; finds " + ", ".join(f"{v:.0%} of {k}" for k, v in detect.items())
            if c.get("required_for"):
                text += f"; required for {', '.join(c['required_for'])}"
            items.append(f"<li>{esc(text)}</li>")
        lanes = "; ".join(
            f"{lane}: {' then '.join(route) if route else 'release'}"
            for lane, route in (sc.get("lanes") or {}).items()
        )
        paras.append(
            "<p>"
            + esc(
                "Each declaration is risk-assessed by "
                + _policy_words(sc.get("policy") or {})
                + f" and sent to a lane ({lanes}). The checks:"
            )
            + "</p><ul>"
            + "".join(items)
            + "</ul>"
        )
    n = sorted({p.replications for p in saved.points})
    reps = f"{n[0]}" if len(n) == 1 else f"{n[0]} to {n[-1]}"
    if saved.kind == "run":
        paras.append(f"<p>{esc(f'{reps} replications with seed {saved.seed}.')}</p>")
    elif saved.kind == "compare":
        items = []
        for p in saved.points[1:]:
            changes = _changes(first.scenario, p.scenario)
            what = "; ".join(changes[:8]) + (" ..." if len(changes) > 8 else "")
            items.append(
                f"<li><strong>{esc(p.label)}</strong>: {esc(what or 'no parameter differs')}</li>"
            )
        paras.append(
            "<p>"
            + esc(
                f"{len(saved.points)} scenarios compared under common random numbers, "
                f"{reps} replications each with seed {saved.seed}. The reference is "
                f"'{first.label}'; what the others change:"
            )
            + "</p><ul>"
            + "".join(items)
            + "</ul>"
        )
    else:
        from sim.files.text import show

        items = []
        for key in saved.keys:
            values = []
            for p in saved.points:
                v = show(p.values.get(key))
                if v not in values:
                    values.append(v)
            items.append(f"<li><code>{esc(key)}</code>: {esc(', '.join(values))}</li>")
        paras.append(
            "<p>"
            + esc(
                f"A sweep of {len(saved.points)} points under common random numbers, {reps} "
                f"replications each with seed {saved.seed}, varying:"
            )
            + "</p><ul>"
            + "".join(items)
            + "</ul>"
        )
    return "\n".join(paras)


def _flat(data: Any, prefix: str = "") -> dict[str, Any]:
    if not isinstance(data, dict):
        return {prefix: data}
    out: dict[str, Any] = {}
    for k, v in data.items():
        key = f"{prefix}.{k}" if prefix else str(k)
        if isinstance(v, dict) and v and "dist" not in v:
            out.update(_flat(v, key))
        else:
            out[key] = v
    return out


def _changes(a: dict[str, Any] | None, b: dict[str, Any] | None) -> list[str]:
    """The keys that differ between two resolved scenarios, as ``key: old → new``."""
    if a is None or b is None:
        return []
    fa, fb = _flat(a), _flat(b)
    out = []
    for key in [*fa, *(k for k in fb if k not in fa)]:
        if key.startswith("scenario.") and key.split(".")[1] in ("name", "description"):
            continue
        va, vb = fa.get(key, _MISSING), fb.get(key, _MISSING)
        if va != vb:
            old = "(none)" if va is _MISSING else _show(va)
            new = "(none)" if vb is _MISSING else _show(vb)
            out.append(f"{key}: {old} → {new}")
    return out


# --------------------------------------------------------------------------- the scenario file


def commented_parameters(text: str) -> tuple[str, list[tuple[str, str, str]]]:
    """A scenario file's own words: its opening comment, and ``(key, value as written,
    comment)`` for every table and key, the comment being the one on its line or the comment
    lines just above it."""
    header: list[str] = []
    rows: list[tuple[str, str, str]] = []
    table = ""
    pending: list[str] = []
    seen_content = False
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        stripped = lines[i].strip()
        i += 1
        if not stripped:
            if not seen_content and pending:
                header += pending + [""]
            pending = []
            continue
        if stripped.startswith("#"):
            if not stripped.startswith("#:"):  # "#:schema ..." and the like: for tools
                pending.append(stripped.lstrip("#").strip())
            continue
        seen_content = True
        m = re.match(r"^\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$", stripped)
        if m:
            table = m.group(1).replace('"', "").replace("'", "")
            note = (m.group(2) or "").lstrip("#").strip()
            comment = " ".join([*pending, note]).strip()
            if comment:
                rows.append((table, "", comment))
            pending = []
            continue
        m = re.match(r"^([A-Za-z0-9_\-.\"' ]+?)\s*=\s*(.*)$", stripped)
        if not m:
            pending = []
            continue
        key = m.group(1).replace('"', "").replace("'", "").replace(" ", "")
        value, note = _split_comment(m.group(2))
        depth = _depth(value)
        while depth > 0 and i < len(lines):
            more, more_note = _split_comment(lines[i].strip())
            i += 1
            value += " " + more
            note = note or more_note
            depth += _depth(more)
        full = f"{table}.{key}" if table else key
        rows.append((full, value.strip(), note or " ".join(pending).strip()))
        pending = []
    return "\n".join(header).strip(), rows


def _split_comment(text: str) -> tuple[str, str]:
    """A TOML value and the comment after it (a # outside quotes)."""
    quote = None
    for k, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return text[:k].rstrip(), text[k + 1 :].strip()
    return text.rstrip(), ""


def _depth(text: str) -> int:
    depth, quote = 0, None
    for ch in text:
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
    return depth


def _source_files(saved: Saved) -> list[dict[str, Any]]:
    m = saved.manifest
    files = m.get("scenario_files") if saved.kind != "run" else [m.get("scenario_file")]
    return [f for f in (files or []) if isinstance(f, dict) and f.get("path")]


def parameters(saved: Saved) -> str:
    """The parameters with their sources: the original file's comments when it is readable
    and unchanged, else the resolved scenario."""
    import hashlib

    parts = []
    resolved = saved.points[0].scenario
    shown = False
    for k, record in enumerate(_source_files(saved)):
        path = Path(record["path"])
        try:
            raw = path.read_bytes()
        except OSError:
            parts.append(
                f'<p class="note">The scenario file {esc(path)} cannot be read any more, so '
                "its comments (the sources of its numbers) cannot be shown; below is the "
                "scenario as it ran.</p>"
            )
            continue
        if record.get("sha256") and hashlib.sha256(raw).hexdigest() != record["sha256"]:
            parts.append(
                f'<p class="note">The scenario file {esc(path)} has changed since this run, so '
                "its comments may no longer describe these numbers; below is the scenario as it "
                "ran.</p>"
            )
            continue
        text = raw.decode("utf-8", errors="replace")
        header, rows = commented_parameters(text)
        try:
            as_written = tomllib.loads(text)
        except tomllib.TOMLDecodeError:
            as_written = {}
        point = _point_for(saved, k)
        body = []
        for key, value, comment in rows:
            if not value:  # a table with a comment
                body.append([Raw(f"<code>[{esc(key)}]</code>"), "", Raw(_source_cell(comment))])
                continue
            ran = _get(point.scenario, key) if point.scenario is not None else _MISSING
            written = _get(as_written, key)
            cell: Any = value
            if ran is not _MISSING and written is not _MISSING and ran != written:
                cell = Raw(
                    f'<span class="changed">{esc(_show(ran))}</span> '
                    f'<span class="was">(file: {esc(value)})</span>'
                )
            body.append([Raw(f"<code>{esc(key)}</code>"), cell, Raw(_source_cell(comment))])
        parts.append(f"<h3>{esc(path.name)}</h3>")
        parts.append(f'<p class="path">{esc(path)}</p>')
        if header:
            parts.append(f"<blockquote>{esc(header)}</blockquote>")
        parts.append(
            _table(
                ["parameter", "value as run", "source or note (the file's comment)"], body, "params"
            )
        )
        parts.append(
            "<details><summary>The scenario file with its comments</summary>"
            f"<pre>{esc(text)}</pre></details>"
        )
        shown = True
    if not shown and resolved is not None:
        body = [
            [Raw(f"<code>{esc(k)}</code>"), _show(v)]
            for k, v in _flat(resolved).items()
            if not k.startswith("variants.")
        ]
        parts.append(_table(["parameter", "value as run"], body, "params"))
    for p in saved.points:
        rel = p.scenario_file
        if (
            rel
            and (saved.folder / rel).is_file()
            and (saved.kind != "sweep" or p is saved.points[0])
        ):
            text = (saved.folder / rel).read_text()
            which = f": {esc(p.label)}" if saved.kind == "compare" else ""
            parts.append(
                f"<details><summary>The scenario as it ran{which} (every default filled in: "
                f"<code>{esc(rel)}</code>)</summary><pre>{esc(text)}</pre></details>"
            )
    return "\n".join(parts)


def _point_for(saved: Saved, k: int) -> SavedPoint:
    """The first point that came from the ``k``-th scenario file (a comparison of several
    files; the others have one)."""
    for p in saved.points:
        if p.source == k:
            return p
    return saved.points[0]


def _source_cell(comment: str) -> str:
    if not comment:
        return '<span class="none">no comment</span>'
    text = esc(comment)
    if re.search(r"\bassum", comment, re.I):
        return f'<span class="tag assumption">assumption</span> {text}'
    return text


# --------------------------------------------------------------------------- numbers and tables


LEGIT_ROWS = [
    ("Clearance time, legitimate shipments, mean (h)", "legit.clearance_hours_mean", False),
    (
        "Clearance time, legitimate shipments, 90th percentile (h)",
        "legit.clearance_hours_p90",
        False,
    ),
]


def _rows(saved: Saved) -> list[tuple[str, str, bool]]:
    targets = []
    for p in saved.points:
        if p.profile is not None:
            targets = p.profile.info.get("target_hours", [])
            break
    if not targets:
        targets = sorted(
            float(m[len("within_") : -len("h_share")])
            for m in saved.points[0].stats
            if m.startswith("within_") and m.endswith("h_share")
        )
    rows = key_rows([float(t) for t in targets])
    return [*LEGIT_ROWS, *rows]


def headline(saved: Saved, time: str) -> str:
    """The key numbers of a run (or of the reference) in large type, with their intervals."""
    p = saved.points[0]
    s = p.stats
    metric = "legit.clearance_hours_p90" if time == "p90" else "legit.clearance_hours_mean"
    if metric not in s:
        metric = metric.replace("legit.", "")
    words = "90th percentile" if time == "p90" else "mean"
    cold = (
        ", ".join((p.profile.info.get("cold_chain_hours") or {}) if p.profile else [])
        or "cold-chain"
    )
    cards = [
        (
            number(s.get(metric), digits=1).split(" ±")[0] + " h",
            f"to clear a legitimate shipment ({words})",
            interval(s.get(metric)),
        ),
        (
            number(s.get("interception_rate"), True, 0).split(" ±")[0],
            "of illicit shipments intercepted",
            interval(s.get("interception_rate"), True),
        ),
        (
            number(s.get("within_24h_share"), True, 1).split(" ±")[0],
            "released within 24 hours",
            interval(s.get("within_24h_share"), True),
        ),
        (
            number(s.get("spoiled"), digits=1).split(" ±")[0],
            f"spoiled {cold} shipments per replication",
            interval(s.get("spoiled"), digits=1),
        ),
    ]
    out = ['<div class="cards">']
    for big, label, ci in cards:
        out.append(
            f'<div class="card"><div class="big">{esc(big)}</div>'
            f'<div class="label">{esc(label)}</div><div class="ci">{esc(ci)}</div></div>'
        )
    out.append("</div>")
    return "".join(out)


def key_table(saved: Saved) -> str:
    rows = _rows(saved)
    if saved.kind == "run":
        s = saved.points[0].stats
        body = [
            [label, number(s.get(key), pct), interval(s.get(key), pct)]
            for label, key, pct in rows
            if key in s
        ]
        return _table(["", "mean ± half-width", "95% confidence interval"], body, "numbers")
    if saved.kind == "compare":
        head = ["", *(p.label for p in saved.points)]
        body = []
        ref = saved.points[0].label
        for label, key, pct in rows:
            if not any(key in p.stats for p in saved.points):
                continue
            body.append([label, *(number(p.stats.get(key), pct) for p in saved.points)])
            body.append(
                [
                    Raw(f'<span class="vs">vs {esc(ref)}</span>'),
                    "",
                    *(difference((p.differences or {}).get(key), pct) for p in saved.points[1:]),
                ]
            )
        return _table(head, body, "numbers compare")
    from sim.files.text import show

    cols = [
        ("legit. clearance h (mean)", "legit.clearance_hours_mean", False),
        ("legit. clearance h (P90)", "legit.clearance_hours_p90", False),
        ("interception", "interception_rate", True),
        ("inspection", "inspection_rate", True),
        ("within 24 h", "within_24h_share", True),
        ("spoiled", "spoiled", False),
        ("censored", "censored", False),
    ]
    cols = [c for c in cols if any(c[1] in p.stats for p in saved.points)]
    head = [*saved.keys, "reps", *(c[0] for c in cols), "Pareto"]
    body = []
    for p in saved.points:
        body.append(
            [
                *(show(p.values.get(k)) for k in saved.keys),
                p.replications,
                *(number(p.stats.get(m), pct) for _, m, pct in cols),
                "*" if p.pareto else "",
            ]
        )
    return _table(head, body, "numbers sweep")


def _by_point_table(saved: Saved, rows: list[tuple[str, str, bool]]) -> str:
    """Metrics by point: points as columns (a few) or as rows (many)."""
    from sim.present.plots import short_label

    rows = [r for r in rows if any(r[1] in p.stats for p in saved.points)]
    if not rows:
        return ""
    labels = [short_label(saved, i) for i in range(len(saved.points))]
    if len(saved.points) <= 6:
        head = ["", *labels] if len(saved.points) > 1 else ["", "mean ± half-width"]
        body = [
            [label, *(number(p.stats.get(key), pct) for p in saved.points)]
            for label, key, pct in rows
        ]
        return _table(head, body, "numbers")
    head = [" and ".join(saved.keys) or "point", *(label for label, _, _ in rows)]
    body = [
        [labels[i], *(number(p.stats.get(key), pct) for _, key, pct in rows)]
        for i, p in enumerate(saved.points)
    ]
    return _table(head, body, "numbers wide")


def detail_tables(saved: Saved) -> str:
    from sim.present.plots import _checks, _kinds, _lanes

    checks, lanes, kinds = _checks(saved), _lanes(saved), _kinds(saved)
    commodities: list[str] = []
    for p in saved.points:
        commodities += [
            m.split(".")[1]
            for m in p.stats
            if m.startswith("commodity.") and m.split(".")[1] not in commodities
        ]
    parts = []
    station_rows = []
    for c in checks:
        station_rows += [
            (f"{c}: wait, mean (h)", f"station.{c}.wait_hours_mean", False),
            (f"{c}: utilisation", f"station.{c}.utilisation", True),
            (f"{c}: queue, mean", f"station.{c}.queue_mean", False),
            (f"{c}: queue, longest", f"station.{c}.queue_max", False),
            (f"{c}: queue when the run stopped", f"station.{c}.backlog_end", False),
        ]
    parts.append(("Stations", _by_point_table(saved, station_rows)))
    lane_rows = []
    for lane in lanes:
        lane_rows += [
            (f"{lane}: share of shipments", f"lane.{lane}.share", True),
            (f"{lane}: clearance, mean (h)", f"lane.{lane}.clearance_hours_mean", False),
        ]
    parts.append(("Lanes", _by_point_table(saved, lane_rows)))
    groups = [
        (f"{c}: clearance, mean (h)", f"commodity.{c}.clearance_hours_mean", False)
        for c in commodities
    ]
    groups += [
        ("AEO traders: clearance, mean (h)", "trader.aeo.clearance_hours_mean", False),
        ("other traders: clearance, mean (h)", "trader.non_aeo.clearance_hours_mean", False),
        ("priority: clearance, mean (h)", "priority.clearance_hours_mean", False),
    ]
    parts.append(("Commodities and traders", _by_point_table(saved, groups)))
    segs = [("lodgement (h)", "segment.lodgement", False)]
    for c in checks:
        segs += [
            (f"{c}: waiting (h)", f"segment.{c}.queue", False),
            (f"{c}: checking (h)", f"segment.{c}.service", False),
        ]
    parts.append(("Time Release Study segments", _by_point_table(saved, segs)))
    ill = []
    for kind in kinds:
        ill.append((f"{kind}: shipments", f"kind.{kind}.shipments", False))
        ill.append((f"{kind}: share intercepted", f"kind.{kind}.interception_rate", True))
        ill += [(f"{kind}: caught at {c}", f"intercepted_at.{c}.{kind}", False) for c in checks]
        ill += [
            (f"{kind}: released via {lane}", f"leaked_via.{lane}.{kind}", False) for lane in lanes
        ]
    ill += [
        ("hit rate (inspections finding illicit goods)", "hit_rate", True),
        ("post-release detections", "post_release_detections", False),
    ]
    parts.append(("Illicit goods", _by_point_table(saved, ill)))
    return "\n".join(f"<h3>{esc(title)}</h3>\n{table}" for title, table in parts if table)


# --------------------------------------------------------------------------- method, reproduction


def method(saved: Saved) -> str:
    sc = saved.points[0].scenario or {}
    info = sc.get("scenario") or {}
    n = sorted({p.replications for p in saved.points})
    items = [
        f"Each replication simulates {info.get('days', '?'):g} days of arrivals and "
        f"{info.get('drain_days', 0):g} more days with traffic continuing, so that late arrivals "
        f"can finish. Shipments arriving in the first {info.get('warmup_days', 0):g} days "
        "(the warm-up, while the office fills from empty) or after the arrival window are "
        "simulated but not counted."
        if info
        else "Warm-up and run length: see the scenario below.",
        f"{n[0] if len(n) == 1 else f'{n[0]} to {n[-1]}'} replications, each from its own random "
        f"streams: numpy's SeedSequence({saved.seed}) spawns one child per replication, and each "
        "purpose (arrivals, attributes, each check's service and detection, the policy's draws) "
        "draws from its own named stream of it. The results do not depend on the executor or "
        "the number of workers.",
        "Every number is the mean across replications with its 95% Student-t confidence "
        "interval (mean ± t × sd / √n): how far the mean may be from what infinitely many "
        "replications would give, not how much single days vary.",
    ]
    if saved.kind == "run":
        items.append(
            "Common random numbers: another scenario run with the same seed sees the same "
            "shipments, service times and detection draws, so bordersim compare can pair their "
            "differences replication by replication."
        )
    auto = [p.precision for p in saved.points if p.precision]
    if auto:
        first = auto[0]
        items.append(
            f"Replications were added until the 95% half-width of the clearance time and the "
            f"interception rate was within {first.get('target', 0):.0%} of the mean, or "
            f"{first.get('maximum')} replications were reached."
        )
    if saved.kind != "run":
        items.append(
            "Common random numbers: replication i of every "
            + ("scenario" if saved.kind == "compare" else "point")
            + " uses the same seed, so it sees the same shipments arriving at the same times, "
            "with the same service times and detection draws: only the policy or parameter "
            "differs."
            + (
                " Differences against the reference are therefore computed replication by "
                "replication, with a paired t-interval (* where it excludes zero; pp = percentage "
                "points)."
                if saved.kind == "compare"
                else ""
            )
        )
        items.append(
            "A point is Pareto-efficient when no other point has both a shorter clearance time "
            "and a higher interception rate; the trade-off figure draws the frontier for the "
            "clearance time on its axis (legitimate shipments), the sweep's table marks it for "
            "the mean clearance time of all released shipments."
        )
    items += [
        "Clearance time counts released shipments only. A shipment still inside when the run "
        "stops is censored: 'released within T hours' counts it as not released, and so do the "
        "distribution curves, which then end below 100%.",
        "The distribution curves are drawn from counts in fixed bins (24 a decade, plus round "
        "hours such as 6, 24 and 48), exact at every bin edge. Queues over time are the hour-by-"
        "hour means over the replications. The cold-chain figure draws every spoiled shipment "
        "and an even sample of the others.",
    ]
    return "<ul>" + "".join(f"<li>{esc(x)}</li>" for x in items) + "</ul>"


def reproduce(saved: Saved) -> str:
    m = saved.manifest
    command = m.get("command")
    if isinstance(command, list) and command:
        cmd = shlex.join(str(c) for c in command)
        note = "The command that wrote this folder (run it from the same folder):"
    else:
        files = _source_files(saved)
        target = files[0]["path"] if files else "SCENARIO.toml"
        reps = saved.points[0].replications
        verb = "run" if saved.kind == "run" else saved.kind
        cmd = (
            f"bordersim {verb} {shlex.quote(str(target))} --seed {saved.seed} --replications {reps}"
        )
        note = "This folder was written from Python; the equivalent command:"
    rows = [
        ["bordersim version", m.get("version", "unknown")],
        ["seed", saved.seed],
        ["replications", ", ".join(sorted({str(p.replications) for p in saved.points}))],
        [
            "scenario digest (SHA-256 of the resolved scenario)",
            m.get("scenario_sha256", "see scenarios/"),
        ],
        ["written", m.get("created", "")],
        ["wall time", f"{m.get('wall_seconds', 0):g} s on {m.get('executor', '?')}"],
        ["Python", m.get("python", "")],
        ["platform", m.get("platform", "")],
        ["packages", ", ".join(f"{k} {v}" for k, v in (m.get("packages") or {}).items())],
    ]
    return (
        f'<p>{esc(note)}</p><pre class="command">{esc(cmd)}</pre>'
        "<p>The same seed, scenario and version give the same numbers, on any machine and with "
        "any number of workers.</p>" + _table(["", ""], rows, "meta")
    )


# --------------------------------------------------------------------------- the page


CSS = """
:root { --ink: #1d1d1f; --muted: #5b5b60; --line: #e3e3e8; --accent: #0072B2; --warm: #D55E00; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 24px 28px 64px; }
header { border-bottom: 4px solid var(--accent); margin-bottom: 20px; }
h1 { font-size: 2.1rem; margin: 0.2em 0 0.1em; line-height: 1.2; }
h2 {
  font-size: 1.5rem; margin: 2em 0 0.5em; border-bottom: 1px solid var(--line);
  padding-bottom: 4px;
}
h3 { font-size: 1.15rem; margin: 1.6em 0 0.4em; }
.sub { color: var(--muted); margin: 0 0 12px; }
.question { font-size: 1.15rem; font-style: italic; }
nav ol { columns: 2; margin: 0; padding-left: 1.3em; }
.cards {
  display: grid; grid-template-columns: repeat(auto-fit, minmax(230px, 1fr)); gap: 14px;
  margin: 16px 0;
}
.card {
  border: 1px solid var(--line); border-left: 6px solid var(--accent); border-radius: 8px;
  padding: 12px 16px;
}
.card .big { font-size: 2.4rem; font-weight: 700; line-height: 1.1; }
.card .label { font-size: 1rem; }
.card .ci { color: var(--muted); font-size: 0.9rem; }
table {
  border-collapse: collapse; margin: 10px 0 18px; font-size: 0.95rem; width: auto;
  max-width: 100%;
}
th, td {
  padding: 5px 10px; border-bottom: 1px solid var(--line); text-align: left;
  vertical-align: top;
}
thead th { border-bottom: 2px solid #bbb; background: #f6f7f9; }
table.numbers td { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
table.wide { display: block; overflow-x: auto; }
tbody tr:nth-child(even) { background: #fafafb; }
.vs { color: var(--muted); padding-left: 1.2em; font-weight: normal; }
figure { margin: 18px 0 30px; }
figure img { width: 100%; height: auto; border: 1px solid var(--line); border-radius: 6px; }
figcaption { color: var(--muted); font-size: 0.95rem; margin-top: 6px; }
figcaption .files { font-size: 0.85rem; }
pre { background: #f6f7f9; border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px;
  overflow-x: auto; font-size: 0.85rem; line-height: 1.35; }
pre.command { font-size: 0.95rem; white-space: pre-wrap; word-break: break-all; }
code { font-size: 0.9em; }
blockquote {
  margin: 8px 0; padding: 8px 14px; border-left: 4px solid var(--line); color: var(--muted);
  white-space: pre-line;
}
table.params td:nth-child(3) { color: #333; max-width: 560px; }
.tag {
  display: inline-block; font-size: 0.75rem; padding: 0 6px; border-radius: 4px;
  margin-right: 4px;
}
.assumption { background: #fff1d6; color: #8a5a00; }
.none { color: #999; }
.changed { font-weight: 700; color: var(--warm); }
.was { color: var(--muted); }
.note { background: #fff7e6; border-left: 4px solid #E69F00; padding: 8px 12px; }
.path { color: var(--muted); font-size: 0.85rem; margin: 0; }
details { margin: 8px 0; }
summary { cursor: pointer; color: var(--accent); }
footer {
  margin-top: 48px; color: var(--muted); font-size: 0.85rem; border-top: 1px solid var(--line);
  padding-top: 10px;
}
@media print {
  main { max-width: none; } figure, table { break-inside: avoid; } details { display: none; };
}
"""


def render(saved: Saved, images: Mapping[str, tuple[bytes, str]], time: str = "mean") -> str:
    """The report as one HTML document."""
    kind = KINDS.get(saved.kind, saved.kind)
    title = f"{saved.name}: {kind} report"
    sections = []
    sections.append(("simulated", "What was simulated", describe(saved)))
    numbers = ""
    if saved.kind == "run":
        numbers += headline(saved, time)
    numbers += key_table(saved)
    numbers += (
        '<p class="sub">Means across replications ± the half-width of their 95% confidence '
        "interval (95% CI).</p>"
    )
    sections.append(("numbers", "Key numbers", numbers))
    figs = []
    for name, (png, caption) in images.items():
        data = base64.b64encode(png).decode("ascii")
        alt = caption.split(". ")[0]
        figs.append(
            f'<figure id="fig-{esc(name)}">'
            f'<img src="data:image/png;base64,{data}" alt="{esc(alt)}">'
            f'<figcaption>{esc(caption)} <span class="files">(figures/{esc(name)}.png, '
            f".svg)</span></figcaption></figure>"
        )
    missing = [p.label for p in saved.points if p.profile is None]
    if missing:
        figs.insert(
            0,
            '<p class="note">'
            + esc(
                "This folder has no saved distributions for "
                + ", ".join(missing[:5])
                + (" ..." if len(missing) > 5 else "")
                + " (written by an earlier version, or interrupted): the figures drawn from them "
                "are left out. Run it again to get them."
            )
            + "</p>",
        )
    if saved.kind == "sweep":
        figs.append(
            '<p class="sub">'
            + esc(
                "Per-point figures (queues over time, clearance by lane, cold chain) are on the "
                f"trainer's interactive page: bordersim explore {saved.folder}"
            )
            + "</p>"
        )
    sections.append(("figures", "Figures", "\n".join(figs)))
    sections.append(("tables", "Tables", detail_tables(saved)))
    sections.append(("parameters", "Parameters and their sources", parameters(saved)))
    sections.append(("method", "Method", method(saved)))
    sections.append(("reproduce", "How to reproduce", reproduce(saved)))
    if saved.notes:
        sections.insert(
            1,
            (
                "notes",
                "Notes",
                "<ul>" + "".join(f"<li>{esc(n)}</li>" for n in saved.notes) + "</ul>",
            ),
        )
    nav = "".join(f'<li><a href="#{sid}">{esc(head)}</a></li>' for sid, head, _ in sections)
    body = "\n".join(
        f'<section id="{sid}"><h2>{esc(head)}</h2>\n{content}\n</section>'
        for sid, head, content in sections
    )
    created = saved.manifest.get("created", "")
    version = saved.manifest.get("version", "")
    subtitle = (
        f"bordersim {version}, written {created}. Means across replications with 95% confidence "
        "intervals."
    )
    footer = f"Generated by bordersim {version} from {saved.folder}. Self-contained: no network."
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)}</title>
<link rel="icon" href="data:,">
<style>{CSS}</style>
</head>
<body>
<main>
<header>
<h1>{esc(title)}</h1>
<p class="sub">{esc(subtitle)}</p>
</header>
<nav aria-label="Contents"><ol>{nav}</ol></nav>
{body}
<footer>{esc(footer)}</footer>
</main>
</body>
</html>
"""


__all__ = ["commented_parameters", "describe", "render", "write_report"]
