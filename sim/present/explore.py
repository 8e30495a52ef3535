"""The trainer's page: one self-contained, interactive ``explore.html`` for a sweep.

A slider over each swept lever (the inspection rate, say): moving it rings that point on the
trade-off frontier, swaps in that point's figures and shows its key numbers (hours to clear,
share intercepted, spoiled cold-chain shipments) in large type. Everything is inside the file:
the figures as base64 PNG, the style, and a small script with no fetch, so it works offline
from a USB stick in any current browser.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

from sim.files.read import Saved, load_results, values_of
from sim.files.write import OutputError, write_atomic
from sim.measure import names
from sim.present import contents
from sim.present.markup import esc, estimate, interval, script_json
from sim.present.tables import OVERLOAD_WORDS, behind

EXPLORE = "explore.html"
BLANK = "data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7"
DPI = 100
SLOTS = [
    ("tradeoff", "The trade-off"),
    ("trs", "Where released shipments' time goes"),
    ("clearance", "Clearance time by lane"),
    ("illicit", "Illicit goods: caught or through"),
    ("queues", "Queues over time"),
    ("cold-chain", "Cold chain"),
]


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


def _uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _value(s: dict[str, Any] | None, scale: float = 1.0) -> float | None:
    if not s or s.get("mean") is None:
        return None
    return float(s["mean"]) * scale


def page_data(saved: Saved, time: str = "mean") -> dict[str, Any]:
    """Everything the page's script shows, as data: levers, points, numbers and figures."""
    from sim.files.text import show
    from sim.present import plots  # matplotlib: only when a page is drawn

    limits = plots.shared_limits(saved, time)
    metric, axis = contents.time_axis(saved, time)
    levers = [{"key": key, "values": contents.lever_values(saved, key)} for key in saved.keys]
    cold = []
    for p in saved.points:
        if p.profile is not None:
            cold = list(p.profile.info.get("cold_chain_hours") or {})
            break
    points = []
    for i, p in enumerate(saved.points):
        figures = plots.point_figures(saved, i, limits, time)
        images = {}
        for name, (fig, caption) in figures.items():
            images[name] = {"src": _uri(plots.png_bytes(fig, DPI)), "caption": caption}
        s = p.stats
        index = [
            levers[k]["values"].index(show(p.values.get(key))) for k, key in enumerate(saved.keys)
        ]
        heavy = contents.is_overloaded(saved, i)
        standing = _standing(saved, i, time)
        points.append(
            {
                "index": index,
                "label": p.label,
                "pareto": standing in ("efficient", "band"),
                "standing": standing,
                "standing_text": _standing_words(saved, i, standing, time),
                "overloaded": heavy,
                "overload": contents.reason(saved, i) if heavy else "",
                "replications": p.replications,
                "numbers": {
                    "hours": _value(s.get(metric)),
                    "hours_text": estimate(s.get(metric)),
                    "hours_ci": interval(s.get(metric)),
                    "caught": _value(s.get("interception_rate"), 100.0),
                    "caught_text": estimate(s.get("interception_rate"), True).rstrip("%"),
                    "caught_ci": interval(s.get("interception_rate"), True),
                    "spoiled": _value(s.get("spoiled")),
                    "spoiled_ci": interval(s.get("spoiled"), digits=1),
                    "within24": _value(s.get(names.within(24)), 100.0),
                    "inspected": _value(s.get("inspection_rate"), 100.0),
                    "leaks": _value(s.get("leaks")),
                    "censored": _value(s.get("censored")),
                },
                "images": images,
            }
        )
    sc = saved.points[0].scenario or {}
    info = sc.get("scenario") or {}
    counted = (info.get("days") or 0) - (info.get("warmup_days") or 0)
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
        "axis": axis,
        "cold": cold,
        "days": counted,
        "start": _start(saved, time),
    }


def _start(saved: Saved, time: str = "mean") -> int:
    """The point shown first: the middle of the efficient ones, else the middle one."""
    efficient = [i for i in range(len(saved.points)) if _standing(saved, i, time) == "efficient"]
    pool = efficient or list(range(len(saved.points)))
    return pool[len(pool) // 2]


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
figure img { width: 100%; height: auto; display: block; }
figcaption { color: var(--muted); font-size: 0.9rem; margin: 4px; }
footer { margin-top: 30px; color: var(--muted); font-size: 0.85rem; }
@media (max-width: 900px) { .grid, .numbers { grid-template-columns: 1fr; } }
"""

SCRIPT = """
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("page-data").textContent);
  var sliders = Array.prototype.slice.call(document.querySelectorAll("input.lever-slider"));
  var byIndex = {};
  data.points.forEach(function (p, i) { byIndex[p.index.join(",")] = i; });
  function fmt(x, digits) {
    if (x === null || x === undefined || !isFinite(x)) { return "n/a"; }
    return x.toLocaleString("en", {minimumFractionDigits: digits, maximumFractionDigits: digits});
  }
  function text(id, value) { document.getElementById(id).textContent = value; }
  function show(i) {
    var p = data.points[i];
    if (!p) { return; }
    p.index.forEach(function (v, k) {
      sliders[k].value = String(v);
      text("now-" + k, data.levers[k].values[v]);
    });
    var n = p.numbers;
    text("hours", n.hours_text);
    text("hours-ci", n.hours_ci);
    text("hours-what", data.hours_what + (p.overloaded ?
      ": at least this, since shipments were still inside at the end" : ""));
    text("caught", n.caught_text);
    text("caught-ci", n.caught_ci);
    text("spoiled", fmt(n.spoiled, 1));
    text("spoiled-ci", n.spoiled_ci);
    text("more", "Released within 24 h: " + fmt(n.within24, 1) + "%  ·  inspected: " +
      fmt(n.inspected, 1) + "%  ·  illicit shipments released: " + fmt(n.leaks, 1) +
      "  ·  still inside at the end: " + fmt(n.censored, 1) + "  ·  " + p.replications +
      " replications");
    var badge = document.getElementById("pareto");
    badge.textContent = p.standing_text;
    badge.className = p.standing === "efficient" ? "badge" :
      (p.standing === "band" || p.standing === "overloaded") ? "badge " + p.standing :
      "badge off";
    var warn = document.getElementById("overload");
    warn.className = p.overloaded ? "overload" : "overload hidden";
    text("overload-why", p.overloaded ? p.overload + "." : "");
    document.querySelectorAll("figure[data-slot]").forEach(function (fig) {
      var slot = fig.getAttribute("data-slot");
      var img = fig.querySelector("img");
      var item = p.images[slot];
      if (item) {
        img.src = item.src;
        fig.querySelector("figcaption").textContent = item.caption;
        fig.className = "";
      } else {
        fig.className = "hidden";
      }
    });
    document.title = data.name + ": " + p.label;
  }
  function current() {
    var key = sliders.map(function (s) { return s.value; }).join(",");
    return byIndex[key];
  }
  function nearest(changed) {
    var want = sliders.map(function (s) { return Number(s.value); });
    var best = 0, bestScore = Infinity;
    data.points.forEach(function (p, i) {
      var score = 0;
      p.index.forEach(function (v, k) {
        score += (k === changed ? 1000 : 1) * Math.abs(v - want[k]);
      });
      if (score < bestScore) { bestScore = score; best = i; }
    });
    return best;
  }
  sliders.forEach(function (s, k) {
    s.addEventListener("input", function () {
      var i = current();
      show(i === undefined ? nearest(k) : i);
    });
  });
  function step(delta) {
    var s = sliders[sliders.length - 1];
    var v = Math.min(Number(s.max), Math.max(0, Number(s.value) + delta));
    s.value = String(v);
    s.dispatchEvent(new Event("input"));
  }
  document.getElementById("prev").addEventListener("click", function () { step(-1); });
  document.getElementById("next").addEventListener("click", function () { step(1); });
  show(data.start);
})();
"""


def render(saved: Saved, time: str = "mean") -> str:
    """The page as one HTML document."""
    data = page_data(saved, time)
    levers = []
    for k, lever in enumerate(data["levers"]):
        n = len(lever["values"])
        first, last = lever["values"][0], lever["values"][-1]
        levers.append(
            f'<div class="lever"><label for="lever-{k}">{esc(lever["key"])}</label>'
            f'<div class="now" id="now-{k}" aria-live="polite">{esc(first)}</div>'
            f'<input type="range" class="lever-slider" id="lever-{k}" min="0" max="{n - 1}" '
            f'step="1" value="0" aria-label="{esc(lever["key"])}">'
            f'<div class="ticks"><span>{esc(first)}</span><span>{esc(last)}</span></div></div>'
        )
    cold = " and ".join(data["cold"]) or "cold-chain"
    figures = "".join(
        f'<figure data-slot="{slot}"><h2>{esc(title)}</h2><img src="{BLANK}" alt="{esc(title)}">'
        "<figcaption></figcaption></figure>"
        for slot, title in SLOTS
    )
    payload = script_json(data)
    days = f" in {data['days']:g} days" if data["days"] else ""
    intro = (
        "Move the slider: every point is a sweep point run under common random numbers "
        f"({len(data['points'])} points). Numbers are means across replications with their 95% "
        "confidence intervals."
    )
    steps = (
        '<button type="button" id="prev" aria-label="previous value">&#9664;</button>'
        '<button type="button" id="next" aria-label="next value">&#9654;</button>'
    )
    cards = "".join(
        f'<div class="num"><div class="big"><span id="{key}">n/a</span>'
        f'<span class="unit">{unit}</span></div><div class="what" id="{key}-what">{esc(what)}'
        f'</div><div class="ci" id="{key}-ci"></div></div>'
        for key, unit, what in (
            ("hours", " h", data["hours_what"]),
            ("caught", "%", "of illicit shipments intercepted"),
            ("spoiled", "", f"spoiled {cold} shipments per run{days}"),
        )
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
<h1>{esc(data["name"])}: explore the trade-off</h1>
<p class="sub">{esc(intro)}</p>
<div class="controls">
{"".join(levers)}
<div class="steps">{steps}
<p><span id="pareto" class="badge">on the frontier</span></p></div>
</div>
<div id="overload" class="overload hidden" role="alert"><div class="big">⚠ OVERLOADED</div>
<div class="why">The queues do not keep up: <span id="overload-why"></span></div>
<div class="advice">{esc(OVERLOAD_WORDS)}</div></div>
<div class="numbers">{cards}</div>
<p class="more" id="more"></p>
<div class="grid">{figures}</div>
<footer>{esc(footer)}</footer>
</main>
<script type="application/json" id="page-data">{payload}</script>
<script>{SCRIPT}</script>
</body>
</html>
"""


__all__ = ["page_data", "render", "write_explorer"]
