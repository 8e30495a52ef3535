"""The trainer's page: one self-contained, interactive ``explore.html`` for a sweep.

A slider over each swept lever (the share selected for red, say), starting at the scenario
file's own value: moving it rings that point on the trade-off frontier, redraws that point's
figures and shows its key numbers (hours to clear, share intercepted, spoiled cold-chain
shipments) in large type; a replay animates the busiest day of that point's run, shipments
joining each station's queue and leaving hour by hour. The page carries each point's small
data (a few numbers, its queues hour by hour, a sample of cold-chain times) and its own script
draws the figures as inline SVG, so a 31-point sweep stays well under 1.5 MB; the style and the
script are inside, with no fetch, so it works offline from a USB stick in any current browser.
Without JavaScript it shows the first point's numbers and says what needs the script.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from sim.files.bottom_line import lever_label, lever_unit, lever_value, point_words
from sim.files.read import Saved, load_results, values_of
from sim.files.write import OutputError, write_atomic
from sim.measure import names
from sim.present import contents
from sim.present.figures.tradeoff import log_label, log_time, tradeoff_limits
from sim.present.markup import esc, estimate, interval, script_json
from sim.present.resolved import MISSING, lookup
from sim.present.tables import OVERLOAD_WORDS, behind

EXPLORE = "explore.html"
SLOTS = [
    ("tradeoff", "The trade-off"),
    ("trs", "Where released shipments' time goes"),
    ("clearance", "Clearance time by lane"),
    ("illicit", "Illicit goods: caught or through"),
    ("queues", "Queues over time"),
    ("cold-chain", "Cold chain"),
]
ECDF_HOURS = [round(float(h), 4) for h in np.geomspace(1 / 6, 2160, 48)]
"""Where each point's clearance curves are sampled: 48 times from 10 minutes to 90 days."""
MAX_SERIES = 800
"""The longest queue series a point carries; a longer one is averaged over blocks."""


def write_explorer(folder: str | Path, *, time: str = "mean") -> Path:
    """Write ``explore.html`` into a sweep's results folder; returns its path."""
    saved = load_results(folder)
    if saved.kind != "sweep":
        what = "a run" if saved.kind == "run" else "a comparison"
        raise OutputError(
            f"{saved.folder} holds {what}, not a sweep: the trainer's page needs a lever to "
            f"slide over (bordersim sweep FILE --vary KEY=...). Its report: bordersim report "
            f"{saved.folder}"
        )
    path = saved.folder / EXPLORE
    with values_of(saved.folder):
        page = render(saved, time)
    try:
        write_atomic(path, page)
    except OSError as exc:
        raise OutputError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path


def _value(s: dict[str, Any] | None, scale: float = 1.0) -> float | None:
    if not s or s.get("mean") is None:
        return None
    return float(s["mean"]) * scale


def _ci(s: dict[str, Any] | None, scale: float = 1.0) -> list[float | None]:
    s = s or {}
    return [
        None if s.get(k) is None else round(float(s[k]) * scale, 4) for k in ("ci_low", "ci_high")
    ]


def _round(values: Any, digits: int = 2) -> list[float | None]:
    out = []
    for v in np.asarray(values, dtype=float):
        out.append(round(float(v), digits) if np.isfinite(v) else None)
    return out


def _compact(values: Any) -> list[float | int | None]:
    """A queue series as the page needs it: tenths below 10, whole numbers above."""
    out: list[float | int | None] = []
    for v in np.asarray(values, dtype=float):
        if not np.isfinite(v):
            out.append(None)
        else:
            out.append(round(float(v), 1) if abs(v) < 10 else int(round(float(v))))
    return out


def _levers(saved: Saved) -> list[dict[str, Any]]:
    """Each swept key: its words and unit, its values as shown, and where the file stands."""
    base = saved.points[0].scenario or {}
    own = (base.get("scenario") or {}).get("levers") or {}
    file_values = _file_values(saved)
    out = []
    for key in saved.keys:
        raw: list[Any] = []
        for p in saved.points:
            v = p.values.get(key)
            if v not in raw:
                raw.append(v)
        unit = lever_unit(key, own)
        label = lever_label(key, own)
        shown = [lever_value(key, v, own) for v in raw]
        start = _nearest(raw, file_values.get(key))
        out.append(
            {
                "key": key,
                "label": label + (f" ({'percent' if unit == '%' else unit})" if unit else ""),
                "values": shown,
                "start": start,
                "file": lever_value(key, file_values[key], own) if key in file_values else None,
            }
        )
    return out


def _file_values(saved: Saved) -> dict[str, Any]:
    """The swept keys' values in the scenario file the sweep was run from (its saved copy)."""
    from sim.files.layout import SCENARIO
    from sim.files.read import _read_toml

    base = _read_toml(saved.folder, SCENARIO) or {}
    found = {key: lookup(base, key) for key in saved.keys}
    return {k: v for k, v in found.items() if v is not MISSING and v is not None}


def _nearest(values: list[Any], wanted: Any) -> int:
    """The index of ``wanted`` among ``values``, else of the nearest number, else 0."""
    if wanted in values:
        return values.index(wanted)
    try:
        gaps = [abs(float(v) - float(wanted)) for v in values]
    except (TypeError, ValueError):
        return 0
    return int(np.argmin(gaps)) if gaps else 0


def _figure_data(saved: Saved, i: int) -> dict[str, Any]:
    """What point ``i``'s figures are drawn from in the page: small and rounded."""
    from sim.present import plots  # the figures' readers; no drawing here

    p = saved.points[i]
    out: dict[str, Any] = {"trs": _round(list(plots.segment_means(p.stats).values()), 3)}
    out["trs_keys"] = list(plots.segment_means(p.stats))
    if contents.any_illicit(saved):
        catches = plots.catches(saved)[i][1]
        out["illicit"] = [
            {
                "kind": kind,
                "caught": round(sum(c.caught.values()), 3),
                "leaked": round(sum(c.leaked.values()), 3),
                "inside": round(c.inside, 3),
                "words": c.words(),
            }
            for kind, c in catches.items()
        ]
    prof = p.profile
    if prof is None:
        return out
    lanes = [("all", "all shipments")] + [(names.lane(x), x) for x in prof.info["lanes"]]
    curves = []
    for group, label in lanes:
        if group not in prof.hist:
            continue
        hours, share, n = prof.ecdf(group)
        if not n:
            continue
        at = np.interp(np.log(ECDF_HOURS), np.log(np.maximum(hours, 1e-9)), share)
        curves.append({"label": label, "n": n, "share": _round(at, 3)})
    out["clearance"] = curves
    step = int(prof.step_hours)
    stations = {}
    for name, series in prof.stations.items():
        queue = np.asarray(series["queue"], dtype=float)
        duty = np.asarray(series["on_duty"], dtype=float)
        k = max(1, -(-queue.size // MAX_SERIES))
        if k > 1:
            cut = queue.size // k * k
            queue = queue[:cut].reshape(-1, k).mean(axis=1)
            duty = duty[:cut].reshape(-1, k).mean(axis=1)
        stations[name] = {"queue": _compact(queue), "duty": _round(duty, 1)}
        step_here = step * k
    if stations:
        out["queues"] = {"step": step_here, "stations": stations}
    cold = []
    for g in plots.cold_groups("", prof):
        cold.append(
            {
                "label": g.label,
                "tolerance": g.tolerance,
                "shipments": round(g.shipments, 1),
                "spoiled_count": round(g.spoiled_count, 1),
                "hours": _round(g.hours, 1),
                "spoiled": [int(v) for v in np.asarray(g.spoiled, dtype=bool)],
            }
        )
    if any(c["hours"] for c in cold):
        out["cold"] = cold
    return out


def _replay_day(points: list[dict[str, Any]], info: dict[str, Any]) -> int:
    """The day of the run (0 = the first) the replay shows, the same for every point so that
    the room compares like with like: within the counting window, the day with the longest
    queues over all stations in ``points`` (the point at the file's values: its usual busiest
    day, the Friday-evening pile-up say, rather than the last day of an overloaded one)."""
    total = None
    step = 1
    for p in points:
        q = p["figures"].get("queues")
        if q is None:
            continue
        step = q["step"]
        for s in q["stations"].values():
            series = np.array([v or 0.0 for v in s["queue"]], dtype=float)
            if total is None:
                total = series
            else:
                n = min(total.size, series.size)
                total = total[:n] + series[:n]
    if total is None or step > 24 or not total.size:
        return 0
    per_day = max(1, 24 // step)
    first = int(float(info.get("warmup_hours", 0.0)) // 24)
    last = int(float(info.get("hours", total.size * step)) // 24)
    days = [(float(total[d * per_day : (d + 1) * per_day].sum()), d) for d in range(first, last)]
    days = [(v, d) for v, d in days if (d + 1) * per_day <= total.size]
    return max(days)[1] if days else 0


def page_data(saved: Saved, time: str = "mean") -> dict[str, Any]:
    """Everything the page's script shows, as data: levers, points, numbers and what each
    point's figures are drawn from."""
    from sim.files.text import show

    metric, axis = contents.time_axis(saved, time)
    levers = _levers(saved)
    raw_values = {
        key: [show(v) for v in dict.fromkeys(p.values.get(key) for p in saved.points)]
        for key in saved.keys
    }
    own = ((saved.points[0].scenario or {}).get("scenario") or {}).get("levers") or {}
    cold = []
    info: dict[str, Any] = {}
    for p in saved.points:
        if p.profile is not None:
            cold = list(p.profile.info.get("cold_chain_hours") or {})
            info = p.profile.info
            break
    limits = tradeoff_limits(
        [p.stats.get(metric) for p in saved.points],
        [p.stats.get("interception_rate") for p in saved.points],
    )
    points = []
    for i, p in enumerate(saved.points):
        s = p.stats
        index = [raw_values[key].index(show(p.values.get(key))) for key in saved.keys]
        heavy = contents.is_overloaded(saved, i)
        standing = _standing(saved, i, time)
        points.append(
            {
                "index": index,
                "label": p.label,
                "words": point_words(p.values, own) if saved.keys else p.label,
                "short": ", ".join(levers[k]["values"][v] for k, v in enumerate(index)),
                "pareto": standing in ("efficient", "band"),
                "standing": standing,
                "standing_text": _standing_words(saved, i, standing, time),
                "overloaded": heavy,
                "overload": contents.reason(saved, i) if heavy else "",
                "replications": p.replications,
                "numbers": {
                    "hours": _value(s.get(metric)),
                    "hours_range": _ci(s.get(metric)),
                    "hours_text": estimate(s.get(metric)),
                    "hours_ci": interval(s.get(metric)),
                    "caught": _value(s.get("interception_rate"), 100.0),
                    "caught_range": _ci(s.get("interception_rate"), 100.0),
                    "caught_text": estimate(s.get("interception_rate"), True).rstrip("%"),
                    "caught_ci": interval(s.get("interception_rate"), True),
                    "spoiled": _value(s.get("spoiled")),
                    "spoiled_ci": interval(s.get("spoiled"), digits=1),
                    "within24": _value(s.get(names.within(24)), 100.0),
                    "inspected": _value(s.get("inspection_rate"), 100.0),
                    "leaks": _value(s.get("leaks")),
                    "censored": _value(s.get("censored")),
                },
                "figures": _figure_data(saved, i),
            }
        )
    keys: list[str] = []
    for p in points:
        keys += [k for k in p["figures"]["trs_keys"] if k not in keys]
    for p in points:  # one shared order of segments: each point's hours in it
        own_keys = p["figures"].pop("trs_keys")
        hours = dict(zip(own_keys, p["figures"]["trs"], strict=True))
        p["figures"]["trs"] = [hours.get(k, 0.0) for k in keys]
    start = _start_point(points, levers)
    day = _replay_day([points[start]], info)
    for p in points:  # officers on duty: only the replayed day's, the roster repeats
        q = p["figures"].get("queues")
        if q is not None:
            q["day"] = day
            per_day = max(1, 24 // q["step"])
            for series in q["stations"].values():
                series["duty"] = series["duty"][day * per_day : (day + 1) * per_day]
    sc = saved.points[0].scenario or {}
    scen = sc.get("scenario") or {}
    counted = (scen.get("days") or 0) - (scen.get("warmup_days") or 0)
    return {
        "name": saved.name,
        "levers": levers,
        "points": points,
        "time": "90th percentile" if metric.endswith("p90") else "mean",
        "hours_what": (
            "to clear a shipment ("
            + ("90th percentile" if metric.endswith("p90") else "mean")
            + "; those still inside counted)"
        ),
        "axis": log_label(axis) if log_time(limits) else axis,
        "limits": limits,
        "log_time": log_time(limits),
        "segments": [names.segment_label(k) for k in keys],
        "segment_keys": keys,
        "checks": contents.checks(saved),
        "ecdf_hours": ECDF_HOURS,
        "targets": contents.targets(saved),
        "warmup_hours": float(info.get("warmup_hours", 0.0)),
        "window_end": info.get("hours"),
        "cold": cold,
        "days": counted,
        "start": start,
    }


def _start_point(points: list[dict[str, Any]], levers: list[dict[str, Any]]) -> int:
    """The point shown first: the one at the scenario file's values."""
    want = [lever["start"] for lever in levers]
    best, score = 0, None
    for i, p in enumerate(points):
        gap = sum(abs(a - b) for a, b in zip(p["index"], want, strict=True))
        if score is None or gap < score:
            best, score = i, gap
    return best


def _standing(saved: Saved, i: int, time: str) -> str:
    """Point ``i``'s standing on the trade-off (from its Pareto mark for a folder saved
    without standings)."""
    if contents.is_overloaded(saved, i):
        return "overloaded"
    found = contents.standing_of(saved, i, time)
    if found is not None:
        return found
    return "efficient" if saved.points[i].pareto else "dominated"


def _standing_words(saved: Saved, i: int, standing: str, time: str) -> str:
    """The standing in plain words, for the badge beside the slider."""
    if standing == "band":
        p = saved.points[i]
        j = behind(saved, i, time)
        other = f" from {contents.short_label(saved, j)}" if j is not None else ""
        more = f"; about {p.separate_with} would" if p.separate_with else ""
        return f"in the band: cannot be told{other} with {p.replications} replications{more}"
    return BADGES.get(standing, standing)


BADGES = {
    "efficient": "on the frontier: no other point is faster and catches more",
    "dominated": "dominated: another point is faster and catches more",
    "overloaded": "OVERLOADED: never on the frontier",
    "missing": "not on the frontier: a value is missing",
}


CSS = """
:root { --ink: #1d1d1f; --muted: #5b5b60; --line: #e3e3e8; --accent: #0072B2; --warm: #E69F00; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: #fff;
  font: 17px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
main { max-width: 1500px; margin: 0 auto; padding: 18px 26px 48px; }
h1 { font-size: 2rem; margin: 0 0 4px; }
.sub { color: var(--muted); margin: 0 0 14px; }
.controls { display: flex; flex-wrap: wrap; gap: 18px 40px; align-items: center;
  border: 1px solid var(--line); border-radius: 10px; padding: 14px 20px; background: #f7f9fc; }
.lever { flex: 1 1 420px; }
.lever label { display: block; font-weight: 600; color: var(--muted); }
.lever .now { font-size: 2.6rem; font-weight: 800; color: var(--accent); line-height: 1.1; }
.lever input[type=range] { width: 100%; height: 34px; accent-color: var(--accent);
  cursor: pointer; }
.ticks { display: flex; justify-content: space-between; color: var(--muted); font-size: 0.85rem; }
.steps button { font-size: 1.4rem; padding: 6px 16px; margin-right: 6px; border-radius: 8px;
  border: 1px solid #bbb; background: #fff; cursor: pointer; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 12px; font-size: 0.95rem;
  background: #e2f0fa; color: var(--accent); font-weight: 600; }
.badge.off { background: #eee; color: #777; }
.badge.band { background: #e6f3fb; color: #005a8c; }
.badge.overloaded { background: #D55E00; color: #fff; }
.overload { border: 3px solid #D55E00; border-left: 14px solid #D55E00; border-radius: 10px;
  background: #fff3ec; padding: 12px 20px; margin: 18px 0 0; }
.overload.hidden { display: none; }
.overload .big { font-size: 2.6rem; font-weight: 800; color: #A34A00; line-height: 1.1; }
.overload .why { font-size: 1.3rem; font-weight: 600; }
.overload .advice { color: #5b3a1a; font-size: 1rem; }
.numbers { display: grid; grid-template-columns: repeat(3, 1fr); gap: 16px; margin: 18px 0 8px; }
.num { border: 1px solid var(--line); border-top: 8px solid var(--accent); border-radius: 10px;
  padding: 12px 18px; }
.num:nth-child(2) { border-top-color: #009E73; }
.num:nth-child(3) { border-top-color: #D55E00; }
.num .big { font-size: 4.2rem; font-weight: 800; line-height: 1.05;
  font-variant-numeric: tabular-nums; }
.num .unit { font-size: 1.8rem; font-weight: 700; }
.num .what { font-size: 1.15rem; }
.num .ci { color: var(--muted); font-size: 0.95rem; }
.more { color: var(--muted); margin: 4px 0 16px; font-size: 1.05rem; }
.grid { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 18px; }
figure { margin: 0; border: 1px solid var(--line); border-radius: 8px; padding: 8px; }
figure.hidden { display: none; }
figure h2 { font-size: 1.05rem; margin: 2px 4px 6px; color: var(--muted); }
figure svg { width: 100%; height: auto; display: block; }
figure svg text { font: 13px system-ui, "DejaVu Sans", sans-serif; fill: #333; }
figure svg text.axis { font-size: 14px; fill: #555; }
figure svg text.point-label { font-size: 13px; fill: #222; }
figure svg text.chosen { font-weight: 700; fill: #000; }
.legend { list-style: none; margin: 4px; padding: 0; display: flex; flex-wrap: wrap;
  gap: 4px 16px; font-size: 0.9rem; color: var(--muted); }
.swatch { display: inline-block; width: 14px; height: 14px; margin-right: 6px;
  vertical-align: -2px; border: 2px solid; border-radius: 3px; }
.swatch.line { height: 0; border-width: 3px 0 0; border-radius: 0; width: 20px;
  vertical-align: 4px; }
.swatch.dash { border-top-style: dashed; }
.replay { border: 1px solid var(--line); border-radius: 8px; padding: 8px 12px; margin: 18px 0; }
.replay.hidden { display: none; }
.replay h2 { font-size: 1.05rem; margin: 2px 0 6px; color: var(--muted); }
.replay svg { width: 100%; height: auto; display: block; max-height: 420px; }
.replay svg .clock { font: 700 26px system-ui, "DejaVu Sans", sans-serif; fill: #0072B2; }
.replay svg .station { font: 600 16px system-ui, "DejaVu Sans", sans-serif; fill: #222; }
.replay svg .station-sub { font: 13px system-ui, "DejaVu Sans", sans-serif; fill: #555; }
#play, #present { font-size: 1.1rem; padding: 6px 16px; border-radius: 8px; border: 1px solid #bbb;
  background: #fff; cursor: pointer; }
.nojs { border: 3px solid #E69F00; border-radius: 10px; background: #fff8e6; padding: 12px 20px;
  margin: 0 0 16px; font-size: 1.1rem; }
html:not(.js) .needs-js { display: none; }
html.present { font-size: 24px; }
body.present { font-size: 26px; }
body.present main { max-width: none; }
body.present h1 { font-size: 2.8rem; }
body.present .num .big { font-size: 5.6rem; }
body.present .lever .now { font-size: 3.4rem; }
body.present .grid { grid-template-columns: 1fr; }
body.present figure svg text { font-size: 17px; }
body.present .legend { font-size: 1.1rem; }
figcaption { color: var(--muted); font-size: 0.9rem; margin: 4px; }
footer { margin-top: 30px; color: var(--muted); font-size: 0.85rem; }
@media (max-width: 900px) { .grid, .numbers { grid-template-columns: 1fr; } }
"""

SCRIPT = (resources.files("sim.present") / "explore.js").read_text(encoding="utf-8")
"""The page's script: draws the figures from the page's data, moves the slider, plays the
replay (no fetch, no library)."""


def render(saved: Saved, time: str = "mean") -> str:
    """The page as one HTML document: the first point's numbers written in, so that without
    JavaScript the page still says something true (and says what needs the script)."""
    data = page_data(saved, time)
    first = data["points"][data["start"]]
    levers = []
    for k, lever in enumerate(data["levers"]):
        n = len(lever["values"])
        at = first["index"][k]
        now = lever["values"][at]
        file_note = (
            f'<div class="ticks">the scenario file: {esc(lever["file"])}</div>'
            if lever["file"] is not None
            else ""
        )
        levers.append(
            f'<div class="lever"><label for="lever-{k}">{esc(lever["label"])}</label>'
            f'<div class="now" id="now-{k}" aria-live="polite">{esc(now)}</div>'
            f'<input type="range" class="lever-slider needs-js" id="lever-{k}" min="0" '
            f'max="{n - 1}" step="1" value="{at}" aria-valuetext="{esc(now)}">'
            f'<div class="ticks"><span>{esc(lever["values"][0])}</span>'
            f"<span>{esc(lever['values'][-1])}</span></div>{file_note}</div>"
        )
    cold = " and ".join(data["cold"]) or "cold-chain"
    figures = "".join(
        f'<figure data-slot="{slot}" class="needs-js"><h2>{esc(title)}</h2>'
        f'<svg viewBox="0 0 640 360" role="img" aria-label="{esc(title)}"></svg>'
        '<ul class="legend"></ul><figcaption></figcaption></figure>'
        for slot, title in SLOTS
    )
    payload = script_json(data)
    # the counted days said as sim.files.text.period says them everywhere else
    days = f" ({data['days']:g} counted days)" if data["days"] else ""
    intro = (
        "Move the slider: every point is a sweep point run under common random numbers "
        f"({len(data['points'])} points). Numbers are means across replications with their 95% "
        "confidence intervals."
    )
    steps = (
        '<button type="button" id="prev" aria-label="previous value">&#9664;</button>'
        '<button type="button" id="next" aria-label="next value">&#9654;</button>'
    )
    n = first["numbers"]
    shown = {
        "hours": n["hours_text"],
        "caught": n["caught_text"],
        "spoiled": "n/a" if n["spoiled"] is None else f"{n['spoiled']:,.1f}",
    }
    cis = {"hours": n["hours_ci"], "caught": n["caught_ci"], "spoiled": n["spoiled_ci"]}
    cards = "".join(
        f'<div class="num"><div class="big"><span id="{key}">{esc(shown[key])}</span>'
        f'<span class="unit">{unit}</span></div><div class="what" id="{key}-what">{esc(what)}'
        f'</div><div class="ci" id="{key}-ci">{esc(cis[key])}</div></div>'
        for key, unit, what in (
            ("hours", " h", data["hours_what"]),
            ("caught", "%", "of illicit shipments intercepted"),
            ("spoiled", "", f"spoiled {cold} shipments per run{days}"),
        )
    )
    nojs = (
        '<noscript><div class="nojs" id="nojs"><strong>JavaScript is off.</strong> This page '
        f"shows the point at the scenario file's values ({esc(first['words'])}); the slider, "
        "the figures and the replay of a day need JavaScript. Turn it on, or open report.html "
        "in this folder for every point's tables and figures.</div></noscript>"
    )
    replay = (
        '<section id="replay" class="replay needs-js"><h2>A day at the border: at the selected '
        "point, hour by hour, the day of the run busiest at the scenario file's values (each dot "
        "a shipment waiting; means over the replications)</h2>"
        '<p><button type="button" id="play">&#9654; Play</button></p>'
        '<svg id="replay-svg" viewBox="0 0 640 200" role="img" aria-label="replay of a day">'
        "</svg></section>"
    )
    footer = f"bordersim: {saved.folder}. Self-contained: works offline, in any current browser."
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(data["name"])}: explore the trade-off</title>
<link rel="icon" href="data:,">
<style>{CSS}</style>
</head>
<body>
<main>
{nojs}
<h1>{esc(data["name"])}: explore the trade-off</h1>
<p class="sub">{esc(intro)} <button type="button" id="present" class="needs-js"
aria-pressed="false">Presentation mode</button></p>
<div class="controls">
{"".join(levers)}
<div class="steps needs-js">{steps}
<p><span id="pareto" class="badge">{esc(first["standing_text"])}</span></p></div>
</div>
<div id="overload" class="overload{"" if first["overloaded"] else " hidden"}" role="alert">
<div class="big">⚠ OVERLOADED</div>
<div class="why">The queues do not keep up: <span id="overload-why">{esc(first["overload"])}</span>
</div><div class="advice">{esc(OVERLOAD_WORDS)}</div></div>
<div class="numbers">{cards}</div>
<p class="more" id="more"></p>
{replay}
<div class="grid">{figures}</div>
<footer>{esc(footer)}</footer>
</main>
<script type="application/json" id="page-data">{payload}</script>
<script>{SCRIPT}</script>
</body>
</html>
"""


__all__ = ["page_data", "render", "write_explorer"]
