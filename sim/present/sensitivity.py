"""The sensitivity report: one self-contained ``report.html`` built from a sensitivity folder's
``sensitivity.json`` alone.

It says first, in plain words, what each metric hinges on and which inputs have no measurable
effect; then per metric a bar figure of every input's index with its 95% confidence (the
largest first, a tornado) and the table of indices; the inputs and their ranges (with the
comment that marks an assumption); and the reproduce command. The folder is data from whoever
wrote it: the file is read within a size cap, inside the folder, and every value is checked
for its type before it is shown.
"""

from __future__ import annotations

import base64
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sim.files.read import MANIFEST_CAP
from sim.files.write import OutputError
from sim.present.markup import Raw, esc, table
from sim.present.report import page
from sim.present.saved import number as _number
from sim.present.saved import read_object, write_report
from sim.present.saved import text as _text

SENSITIVITY = "sensitivity.json"
MOST_INPUTS = 500
MOST_METRICS = 50
LEADING = 3
"""At most this many inputs are named as what a metric hinges on."""
HALF = 0.5
"""An input a metric hinges on has at least this share of the largest index."""
WORDS = {
    "clearance_hours_mean": "the mean clearance time",
    "clearance_hours_median": "the median clearance time",
    "clearance_hours_p90": "the 90th percentile of clearance time",
    "within_24h_share": "the share released within 24 hours",
    "interception_rate": "the interception rate",
    "hit_rate": "the hit rate",
    "inspection_rate": "the inspection rate",
}
INDEX_WORDS = {
    "morris": (
        "Morris screening: mu* is the mean absolute change of the metric when the input moves "
        "by two thirds of its range, in the metric's own units; sigma, the spread of those "
        "changes, is large when the effect depends on the other inputs."
    ),
    "sobol": (
        "Sobol' indices: ST (total) is the share of the metric's variance over the ranges due "
        "to the input, alone or with others; S1 (first order) the share due to it alone."
    ),
}


def write_sensitivity_report(folder: str | Path) -> Path:
    """Write ``report.html`` into a sensitivity folder from its ``sensitivity.json``; returns
    the report's path. An :class:`OutputError` naming the folder and the file when it is
    missing, unreadable or not a sensitivity analysis."""
    folder = Path(folder)
    if not folder.is_dir():
        raise OutputError(f"{folder} is not a folder: give the folder bordersim sensitivity wrote")
    data = load_sensitivity(folder)
    images = {m: index_png(data, m) for m in data["metrics"] if data["indices"].get(m)}
    return write_report(folder, render(data, images))


# --------------------------------------------------------------------------- reading


def _refused(folder: Path, problem: str) -> OutputError:
    return OutputError(
        f"{folder / SENSITIVITY}: {problem}; the report reads the sensitivity.json that "
        "bordersim sensitivity writes (an object with 'method', 'inputs', 'metrics' and "
        "'indices')"
    )


def load_sensitivity(folder: str | Path) -> dict[str, Any]:
    """``sensitivity.json`` of a folder, checked and reduced to what the report shows."""
    folder = Path(folder)
    data = read_object(folder, SENSITIVITY, MANIFEST_CAP, _refused)
    if not isinstance(data, Mapping) or data.get("method") not in INDEX_WORDS:
        raise _refused(folder, "is not a sensitivity analysis (no 'method' morris or sobol)")
    metrics = data.get("metrics")
    if not isinstance(metrics, list) or not metrics or len(metrics) > MOST_METRICS:
        raise _refused(folder, f"has no list of 1 to {MOST_METRICS} 'metrics'")
    inputs = data.get("inputs") if isinstance(data.get("inputs"), list) else []
    if len(inputs) > MOST_INPUTS:
        raise _refused(folder, f"has more than {MOST_INPUTS} inputs")
    raw_indices = data.get("indices") if isinstance(data.get("indices"), Mapping) else {}
    indices: dict[str, list[dict[str, Any]]] = {}
    for m in metrics:
        rows = raw_indices.get(m) if isinstance(m, str) else None
        if not isinstance(rows, list):
            continue
        indices[m] = [
            {
                "key": _text(r.get("key"), 200),
                **{k: _number(r.get(k)) for k in ("index", "conf", "S1", "S1_conf", "mu", "sigma")},
            }
            for r in rows[:MOST_INPUTS]
            if isinstance(r, Mapping)
        ]
    notes = data.get("notes") if isinstance(data.get("notes"), Mapping) else {}
    skipped = data.get("skipped") if isinstance(data.get("skipped"), list) else []
    return {
        "folder": folder,
        "method": data["method"],
        "scenario": _text(data.get("scenario"), 200),
        "relative": _number(data.get("relative")),
        "metrics": [_text(m, 200) for m in metrics if isinstance(m, str)],
        "inputs": [
            {
                "key": _text(i.get("key"), 200),
                "low": _number(i.get("low")),
                "high": _number(i.get("high")),
                "kind": _text(i.get("kind"), 10),
                "value": _number(i.get("value")),
                "comment": _text(i.get("comment"), 500),
                "note": _text(i.get("note"), 500),
            }
            for i in inputs
            if isinstance(i, Mapping)
        ],
        "skipped": [
            {"key": _text(s.get("key"), 200), "why": _text(s.get("why"), 500)}
            for s in skipped[:MOST_INPUTS]
            if isinstance(s, Mapping)
        ],
        "indices": indices,
        "notes": {str(k)[:200]: _text(v) for k, v in notes.items()},
        "samples": _number(data.get("samples")),
        "replications": _number(data.get("replications")),
        "evaluations": _number(data.get("evaluations")),
        "points": len(data["points"]) if isinstance(data.get("points"), list) else None,
        "command": _text(data.get("command"), 10_000),
    }


# --------------------------------------------------------------------------- words


def _ranked(rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return sorted(rows, key=lambda r: -(r["index"] if r["index"] is not None else -math.inf))


def measurable(row: Mapping[str, Any]) -> bool:
    """Whether a saved index is above zero beyond its 95% confidence (as the analysis judges
    it; the pictures read result folders, never the experiment runners)."""
    index, conf = row.get("index"), row.get("conf")
    return index is not None and index > 0 and index - max(conf or 0.0, 0.0) > 0


def _names(keys: Sequence[str], most: int = 5) -> str:
    """``a, b and c``; past ``most`` names, ``a, b, c, d, e and 3 more``."""
    shown = list(keys[:most])
    if len(keys) > most:
        shown.append(f"{len(keys) - most} more")
    if len(shown) <= 1:
        return "".join(shown)
    return ", ".join(shown[:-1]) + " and " + shown[-1]


def metric_words(metric: str) -> str:
    """How the page names a metric: in words for the headline ones, else its name."""
    return WORDS.get(metric, metric)


def metric_summary(metric: str, rows: Sequence[Mapping[str, Any]], note: str = "") -> str:
    """One sentence: what ``metric`` hinges on, what matters less, what may matter but is not
    measured precisely enough to say (its interval reaches zero, its index or the top of its
    interval half the leading one's or more), and what has no measurable effect."""
    what = metric_words(metric)
    if not rows:
        return f"{what[:1].upper()}{what[1:]}: {note or 'not analysed'}."
    ranked = _ranked(rows)
    real = [r for r in ranked if measurable(r)]
    top = max((r["index"] or 0.0 for r in real), default=0.0)
    unsure = [
        r["key"]
        for r in ranked
        if not measurable(r)
        and (r["index"] or 0.0) > 0
        and (r["index"] or 0.0) + max(r["conf"] or 0.0, 0.0) >= HALF * top
    ]
    none = [r["key"] for r in ranked if not measurable(r) and r["key"] not in unsure]
    may = (
        f"{_names(unsure)} may matter{' too' if real else ''} "
        f"({'its interval reaches' if len(unsure) == 1 else 'their intervals reach'} zero: "
        "more samples or replications would tell)"
    )
    if not real:
        text = f"No input has a measurable effect on {what}"
        if unsure:
            text += f"; {may}"
        return text + (f" ({note})." if note else ".")
    leading = [r["key"] for r in real if (r["index"] or 0.0) >= HALF * top][:LEADING]
    lesser = [r["key"] for r in real if r["key"] not in leading]
    text = f"{what[:1].upper()}{what[1:]} hinges on {_names(leading)}"
    if lesser:
        text += f"; {_names(lesser)} matter{'s' if len(lesser) == 1 else ''} less"
    if unsure:
        text += f"; {may}"
    if none:
        has = "has" if len(none) == 1 else "have"
        text += f"; {_names(none)} {has} no measurable effect"
    return text + "."


def summary(data: Mapping[str, Any]) -> str:
    """The plain-words summary of every metric (from ``sensitivity.json``'s data or
    :meth:`SensitivityResult.to_dict`)."""
    indices = data.get("indices") or {}
    notes = data.get("notes") or {}
    return " ".join(
        metric_summary(m, indices.get(m) or [], notes.get(m, "")) for m in data["metrics"]
    )


# --------------------------------------------------------------------------- the figure


def index_figure(data: Mapping[str, Any], metric: str) -> Any:
    """One metric's inputs as horizontal bars, the largest index on top, each with its 95%
    confidence; Sobol' adds the first-order index beside the total one."""
    from sim.present.figures.style import BLUE, GREY, SKY, figure, style

    rows = _ranked(data["indices"][metric])
    sobol = data["method"] == "sobol"
    fig = figure(height=max(2.4, 1.0 + 0.32 * len(rows)))
    with style():
        ax = fig.add_subplot()
        ys = list(range(len(rows)))
        width = 0.4 if sobol else 0.7
        values = [r["index"] or 0.0 for r in rows]
        errors = [max(r["conf"] or 0.0, 0.0) for r in rows]
        colours = [BLUE if measurable(r) else GREY for r in rows]
        shift = -width / 2 if sobol else 0.0
        ax.barh(
            [y + shift for y in ys],
            values,
            height=width,
            xerr=errors,
            color=colours,
            capsize=3,
            label="ST (total)" if sobol else "mu*",
        )
        if sobol:
            first = [r["S1"] or 0.0 for r in rows]
            first_err = [max(r["S1_conf"] or 0.0, 0.0) for r in rows]
            ax.barh(
                [y + width / 2 for y in ys],
                first,
                height=width,
                xerr=first_err,
                color=SKY,
                capsize=3,
                label="S1 (first order)",
            )
            ax.legend(loc="lower right")
        ax.set_yticks(ys, [r["key"] for r in rows])
        ax.invert_yaxis()
        ax.axvline(0, color="#333333", lw=1)
        name = "share of variance" if sobol else f"mu* ({metric})"
        ax.set_xlabel(name)
        ax.set_title(f"What {metric_words(metric)} hinges on")
    return fig


def index_png(data: Mapping[str, Any], metric: str) -> bytes:
    from sim.present.figures.style import png_bytes

    return png_bytes(index_figure(data, metric))


# --------------------------------------------------------------------------- the page


def _num(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.3g}"


def _count(x: float | None) -> str:
    return "n/a" if x is None else f"{int(x):,}"


def _index_table(data: Mapping[str, Any], metric: str) -> str:
    sobol = data["method"] == "sobol"
    head = ["input", "ST" if sobol else "mu*", "±95%"]
    head += ["S1", "±95%"] if sobol else ["sigma"]
    head.append("measurable")
    rows = []
    for r in _ranked(data["indices"][metric]):
        extra = [_num(r["S1"]), _num(r["S1_conf"])] if sobol else [_num(r["sigma"])]
        rows.append(
            [
                Raw(f"<code>{esc(r['key'])}</code>"),
                _num(r["index"]),
                _num(r["conf"]),
                *extra,
                "yes" if measurable(r) else "no",
            ]
        )
    return table(head, rows, "numbers")


def _inputs_table(data: Mapping[str, Any]) -> str:
    rows = []
    for i in data["inputs"]:
        rows.append(
            [
                Raw(f"<code>{esc(i['key'])}</code>"),
                _num(i["value"]),
                _num(i["low"]),
                _num(i["high"]),
                i["kind"],
                "; ".join(x for x in (i["comment"], i["note"]) if x),
            ]
        )
    text = table(["input", "file's value", "from", "to", "kind", "comment"], rows, "numbers wide")
    if data["skipped"]:
        text += (
            "<p>Marked as assumptions but not varied:</p><ul>"
            + "".join(
                f"<li><code>{esc(s['key'])}</code>: {esc(s['why'])}</li>" for s in data["skipped"]
            )
            + "</ul>"
        )
    return text


def render(data: Mapping[str, Any], images: Mapping[str, bytes]) -> str:
    """The sensitivity report as one HTML document."""
    scenario = data["scenario"] or "the scenario"
    title = f"What {scenario}'s results hinge on"
    method = "Morris screening" if data["method"] == "morris" else "Sobol' indices"
    origin = (
        f"every number its file marks as an assumption, each within ±{data['relative']:.0%} of "
        "its value"
        if data["relative"] is not None
        else "the inputs given with --vary"
    )
    intro = (
        "<ul>"
        + "".join(
            f"<li>{esc(metric_summary(m, data['indices'].get(m) or [], data['notes'].get(m, '')))}"
            "</li>"
            for m in data["metrics"]
        )
        + "</ul>"
        f"<p>{esc(method)} of {esc(scenario)} over {len(data['inputs'])} inputs ({esc(origin)}): "
        f"{_count(data['points'])} sample points, {_count(data['evaluations'])} distinct scenarios "
        f"run with {_count(data['replications'])} replications each on common random numbers. "
        "An input has no measurable effect when its index is within its 95% confidence of "
        f'zero.</p><p class="sub">{esc(INDEX_WORDS[data["method"]])}</p>'
    )
    sections = [("summary", "Summary", intro)]
    for k, m in enumerate(data["metrics"]):
        body = ""
        if m in data["notes"]:
            body += f'<p class="note">{esc(data["notes"][m])}</p>'
        if m in images:
            image = base64.b64encode(images[m]).decode("ascii")
            body += (
                f'<figure><img src="data:image/png;base64,{image}" '
                f'alt="Sensitivity indices of {esc(m)}"><figcaption>Each input\'s index with its '
                "95% confidence, the largest first; grey bars have no measurable effect."
                "</figcaption></figure>"
            )
            body += _index_table(data, m)
        sections.append((f"metric-{k}", m, body))
    sections.append(("inputs", "Inputs and their ranges", _inputs_table(data)))
    command = (
        "<p>The command that wrote this folder (run it from the same folder):</p>"
        f'<pre class="command">{esc(data["command"])}</pre>'
        if data["command"]
        else '<p class="sub">The folder does not record its command.</p>'
    )
    sections.append(("reproduce", "How to reproduce", command))
    nav = "".join(f'<li><a href="#{sid}">{esc(head)}</a></li>' for sid, head, _ in sections)
    body = "\n".join(
        f'<section id="{sid}"><h2>{esc(head)}</h2>\n{content}\n</section>'
        for sid, head, content in sections
    )
    footer = f"Generated by bordersim from {data['folder']}. Self-contained: no network."
    subtitle = (
        f"{method} of {len(data['inputs'])} inputs: {_count(data['points'])} sample points of "
        f"{_count(data['replications'])} replications on common random numbers"
    )
    return page(title, subtitle, nav, body, footer)


__all__ = [
    "load_sensitivity",
    "metric_summary",
    "render",
    "summary",
    "write_sensitivity_report",
]
