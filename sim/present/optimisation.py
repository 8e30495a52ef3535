"""The optimisation report: one self-contained ``report.html`` built from an optimisation
folder's ``optimisation.json`` alone.

It gives the answer in plain words first; then the trade-off figure (every trial, the
feasible region shaded, the recommendation or the Pareto set with intervals), the selection
rounds or the Pareto set, the trials, and the reproduce command. The folder is data from
whoever wrote it: the file is read within a size cap, inside the folder, and every value is
checked for its type before it is shown.
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

OPTIMISATION = "optimisation.json"
BEST_TRIALS = 15
"""Trials listed, the best feasible first."""
FIGURE_CAPTION = (
    "Every trial of the search (filled: feasible at the stated confidence, its queues keeping "
    "up; hollow: not), the "
    "region where the constraint on an axis holds shaded, and the recommendation (or the "
    "constrained Pareto set) with its intervals."
)


def write_optimisation_report(folder: str | Path) -> Path:
    """Write ``report.html`` into an optimisation folder from its ``optimisation.json``;
    returns the report's path. An :class:`OutputError` naming the folder and the file when it
    is missing, unreadable or not an optimisation."""
    folder = Path(folder)
    if not folder.is_dir():
        raise OutputError(f"{folder} is not a folder: give the folder bordersim optimise wrote")
    data = load_optimisation(folder)
    html = render(data, tradeoff_png(data))
    return write_report(folder, html)


# --------------------------------------------------------------------------- reading


def _refused(folder: Path, problem: str) -> OutputError:
    return OutputError(
        f"{folder / OPTIMISATION}: {problem}; the report reads the optimisation.json that "
        "bordersim optimise writes (an object with 'objectives', 'constraints', 'decide', "
        "'trials', 'answer' and 'command')"
    )


def _estimate(raw: Any) -> dict[str, Any]:
    raw = raw if isinstance(raw, Mapping) else {}
    return {
        "metric": _text(raw.get("metric"), 200),
        **{k: _number(raw.get(k)) for k in ("mean", "ci_low", "ci_high")},
    }


def _judged(raw: Any) -> dict[str, Any]:
    raw = raw if isinstance(raw, Mapping) else {}
    return {
        "constraint": _text(raw.get("constraint"), 300),
        "mean": _number(raw.get("mean")),
        "bound": _number(raw.get("bound")),
        "holds": raw.get("holds") is True,
    }


def _trial(raw: Any) -> dict[str, Any] | None:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("params"), Mapping):
        return None
    objectives = raw.get("objectives") if isinstance(raw.get("objectives"), list) else []
    constraints = raw.get("constraints") if isinstance(raw.get("constraints"), list) else []
    return {
        "number": _number(raw.get("number")),
        "params": {str(k)[:200]: _number(v) for k, v in list(raw["params"].items())[:100]},
        "replications": _number(raw.get("replications")),
        "objectives": [_estimate(o) for o in objectives[:20]],
        "constraints": [_judged(c) for c in constraints[:50]],
        "feasible": raw.get("feasible") is True,
        "overloaded": raw.get("overloaded") is True,
        "standing": _text(raw.get("standing"), 50),
    }


def _trials(raw: Any) -> list[dict[str, Any]]:
    rows = raw if isinstance(raw, list) else []
    return [t for t in map(_trial, rows) if t is not None]


def load_optimisation(folder: str | Path) -> dict[str, Any]:
    """``optimisation.json`` of a folder, checked and reduced to what the report shows: every
    number finite or None, every text a string."""
    folder = Path(folder)
    data = read_object(folder, OPTIMISATION, MANIFEST_CAP, _refused)
    if not isinstance(data, Mapping):
        raise _refused(folder, "is not a JSON object")
    objectives = data.get("objectives")
    if not isinstance(objectives, list) or not objectives:
        raise _refused(folder, "has no 'objectives' list")
    constraints = data.get("constraints") if isinstance(data.get("constraints"), list) else []
    selection = data.get("selection") if isinstance(data.get("selection"), Mapping) else None
    scenario = data.get("scenario") if isinstance(data.get("scenario"), Mapping) else {}
    rounds = []
    for r in (selection or {}).get("rounds", [])[:100] if selection else []:
        if isinstance(r, Mapping):
            reps = r.get("replications") if isinstance(r.get("replications"), Mapping) else {}
            rounds.append(
                {
                    "round": _number(r.get("round")),
                    "best": _number(r.get("best")),
                    "live": len(r.get("means") or {}) if isinstance(r.get("means"), Mapping) else 0,
                    "replications": max((_number(v) or 0 for v in reps.values()), default=0),
                }
            )
    return {
        "folder": folder,
        "scenario": _text(scenario.get("name"), 200),
        "objectives": [
            {"metric": _text(o.get("metric"), 200), "sense": _text(o.get("sense"), 20)}
            for o in objectives[:20]
            if isinstance(o, Mapping)
        ],
        "constraints": [
            {
                "metric": _text(c.get("metric"), 200),
                "op": _text(c.get("op"), 2),
                "value": _number(c.get("value")),
            }
            for c in constraints[:50]
            if isinstance(c, Mapping)
        ],
        "confidence": _number(data.get("confidence")) or 0.95,
        "trials": _trials(data.get("trials")),
        "candidates": _trials((selection or {}).get("candidates")),
        "rounds": rounds,
        "procedure": _text((selection or {}).get("procedure"), 300),
        "recommendation": _trial(data.get("recommendation")),
        "pareto": _trials(data.get("pareto")),
        "answer": _text(data.get("answer"), 5000),
        "evaluations": _number(data.get("evaluations")),
        "command": _text(data.get("command"), 10_000),
    }


# --------------------------------------------------------------------------- the figure


def _axes(data: Mapping[str, Any]) -> tuple[tuple[str, str], tuple[str, str]]:
    """(x, y): each (kind, name), kind "objective", "constraint" or "param". The first
    objective goes up; across goes the second objective, else the first constraint's metric,
    else the first decided key."""
    objectives = data["objectives"]
    y = ("objective", objectives[0]["metric"])
    if len(objectives) > 1:
        return ("objective", objectives[1]["metric"]), y
    if data["constraints"]:
        return ("constraint", data["constraints"][0]["metric"]), y
    keys = list(data["trials"][0]["params"]) if data["trials"] else []
    return ("param", keys[0] if keys else ""), y


def _value(row: Mapping[str, Any], axis: tuple[str, str], data: Mapping[str, Any]) -> tuple:
    """(value, low, high) of a trial on an axis (None where unknown)."""
    kind, name = axis
    if kind == "param":
        v = row["params"].get(name)
        return v, None, None
    if kind == "objective":
        for o in row["objectives"]:
            if o["metric"] == name:
                return o["mean"], o["ci_low"], o["ci_high"]
        return None, None, None
    k = next(i for i, c in enumerate(data["constraints"]) if c["metric"] == name)
    c = row["constraints"][k] if k < len(row["constraints"]) else {}
    mean, bound = c.get("mean"), c.get("bound")
    if mean is None or bound is None:
        return mean, None, None
    return (mean, bound, mean) if data["constraints"][k]["op"] == ">=" else (mean, mean, bound)


def tradeoff_figure(data: Mapping[str, Any]) -> Any:
    """The trials on the two axes of :func:`_axes`, the feasible region shaded, and the
    recommendation (or the Pareto set) with its intervals."""
    from sim.present.figures.style import BLUE, GREEN, VERMILLION, figure, style

    x_axis, y_axis = _axes(data)
    fig = figure(height=4.2)
    with style():
        ax = fig.add_subplot()
        for feasible, face in ((False, "none"), (True, BLUE)):
            pts = [
                (_value(t, x_axis, data)[0], _value(t, y_axis, data)[0])
                for t in data["trials"]
                if t["feasible"] is feasible
            ]
            pts = [(x, y) for x, y in pts if x is not None and y is not None]
            if pts:
                ax.scatter(
                    [p[0] for p in pts],
                    [p[1] for p in pts],
                    facecolors=face,
                    edgecolors=BLUE,
                    s=22,
                    label="feasible trials" if feasible else "infeasible trials",
                    zorder=2,
                )
        chosen = data["pareto"] or ([data["recommendation"]] if data["recommendation"] else [])
        for k, row in enumerate(chosen):
            x, xl, xh = _value(row, x_axis, data)
            y, yl, yh = _value(row, y_axis, data)
            if x is None or y is None:
                continue
            xerr = [[x - xl], [xh - x]] if xl is not None and xh is not None else None
            yerr = [[y - yl], [yh - y]] if yl is not None and yh is not None else None
            label = (
                ("constrained Pareto set" if data["pareto"] else "recommended, with intervals")
                if k == 0
                else None
            )
            ax.errorbar(
                [x],
                [y],
                xerr=xerr,
                yerr=yerr,
                fmt="D",
                color=VERMILLION,
                capsize=4,
                zorder=3,
                label=label,
            )
        for axis, across in ((x_axis, True), (y_axis, False)):
            for c in data["constraints"]:
                if c["metric"] != axis[1] or c["value"] is None or axis[0] == "param":
                    continue
                low, high = ax.get_xlim() if across else ax.get_ylim()
                span = (
                    (c["value"], max(high, c["value"]))
                    if c["op"] == ">="
                    else (min(low, c["value"]), c["value"])
                )
                (ax.axvspan if across else ax.axhspan)(
                    *span,
                    color=GREEN,
                    alpha=0.15,
                    lw=0,
                    label=f"{c['metric']} {c['op']} {c['value']:g}",
                    zorder=1,
                )
                (ax.set_xlim if across else ax.set_ylim)(low, high)
        ax.set_xlabel(x_axis[1])
        ax.set_ylabel(y_axis[1])
        ax.set_title("Trade-off found by the search")
        ax.legend(loc="best", fontsize="small")
    return fig


def tradeoff_png(data: Mapping[str, Any]) -> bytes:
    """The trade-off figure as PNG bytes."""
    from sim.present.figures.style import png_bytes

    return png_bytes(tradeoff_figure(data))


# --------------------------------------------------------------------------- the page


def shown(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.4g}"


def _interval(o: Mapping[str, Any]) -> str:
    if o["ci_low"] is None or o["ci_high"] is None:
        return "n/a"
    return f"{shown(o['ci_low'])} to {shown(o['ci_high'])}"


def _rows_table(rows: Sequence[Mapping[str, Any]], data: Mapping[str, Any], extra: bool) -> str:
    if not rows:
        return ""
    keys = list(rows[0]["params"])
    level = f"{data['confidence']:.0%}"
    head = ["trial" if not extra else "standing", *keys]
    for o in data["objectives"]:
        head += [o["metric"], f"{level} interval"]
    head += [f"{c['constraint']} (bound)" for c in rows[0]["constraints"]]
    head += ["replications", "feasible"]
    body = []
    for r in rows:
        cells: list[Any] = [r["standing"] if extra else shown(r["number"])]
        cells += [Raw(f"<code>{esc(shown(r['params'].get(k)))}</code>") for k in keys]
        for o in r["objectives"]:
            cells += [shown(o["mean"]), _interval(o)]
        cells += [
            f"{shown(c['mean'])} ({shown(c['bound'])}){'' if c['holds'] else ' NO'}"
            for c in r["constraints"]
        ]
        feasible = "yes" if r["feasible"] else "no (overloaded)" if r["overloaded"] else "no"
        cells += [shown(r["replications"]), feasible]
        body.append(cells)
    return table(head, body, "numbers wide")


def _best_trials(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    o = data["objectives"][0]
    sign = 1.0 if o["sense"] == "maximise" else -1.0

    def key(t: Mapping[str, Any]) -> tuple:
        mean = t["objectives"][0]["mean"] if t["objectives"] else None
        return (not t["feasible"], -sign * mean if mean is not None else math.inf)

    return sorted(data["trials"], key=key)[:BEST_TRIALS]


def render(data: Mapping[str, Any], png: bytes) -> str:
    """The optimisation report as one HTML document."""
    scenario = data["scenario"] or "the scenario"
    goals = " and ".join(f"{o['sense']} {o['metric']}" for o in data["objectives"])
    title = f"{scenario}: {goals}"
    level = f"{data['confidence']:.0%}"
    rules = ", ".join(f"{c['metric']} {c['op']} {shown(c['value'])}" for c in data["constraints"])
    found = data["recommendation"] is not None or bool(data["pareto"])
    intro = (
        f'<p class="{"note" if found else "warning"}">{esc(data["answer"])}</p>'
        f"<p>{len(data['trials'])} trials searched the decided keys"
        + (f" subject to {esc(rules)}" if rules else "")
        + f"; a trial is feasible only when each constraint holds at {level} confidence (the "
        "one-sided bound of its interval over the replications meets the value, not only its "
        f"mean). {shown(data['evaluations'])} replications were run in all.</p>"
    )
    image = base64.b64encode(png).decode("ascii")
    figure = (
        f'<figure id="fig-tradeoff"><img src="data:image/png;base64,{image}" '
        f'alt="Trade-off found by the search"><figcaption>{esc(FIGURE_CAPTION)}</figcaption>'
        "</figure>"
    )
    if data["pareto"]:
        chosen = (
            "<p>The feasible trials that no other feasible trial beats on every objective's "
            "mean, with their intervals:</p>" + _rows_table(data["pareto"], data, False)
        )
        chosen_head = "Constrained Pareto set"
    else:
        rounds = "".join(
            f"<li>round {shown(r['round'])}: {r['live']} feasible candidate(s), "
            f"{shown(r['replications'])} paired replications each at most, best: candidate "
            f"{shown(r['best'])}</li>"
            for r in data["rounds"]
        )
        chosen = (
            f"<p>The leading feasible trials were run again on fresh replications shared by "
            f"every candidate ({esc(data['procedure'] or 'ranking and selection')}), round "
            "after round, until the best was told apart from each other at the stated "
            "confidence or the rounds ran out.</p>"
            + (f"<ol>{rounds}</ol>" if rounds else "")
            + _rows_table(data["candidates"], data, True)
        )
        chosen_head = "Ranking and selection"
    command = (
        "<p>The command that wrote this folder (run it from the same folder):</p>"
        f'<pre class="command">{esc(data["command"])}</pre>'
        if data["command"]
        else '<p class="sub">The folder does not record its command.</p>'
    )
    sections = [
        ("summary", "Answer", intro),
        ("tradeoff", "Trade-off", figure),
        ("selection", chosen_head, chosen),
        (
            "trials",
            "Trials",
            f"<p>The {BEST_TRIALS} best trials, feasible first:</p>"
            + _rows_table(_best_trials(data), data, False),
        ),
        ("reproduce", "How to reproduce", command),
    ]
    nav = "".join(f'<li><a href="#{sid}">{esc(head)}</a></li>' for sid, head, _ in sections)
    body = "\n".join(
        f'<section id="{sid}"><h2>{esc(head)}</h2>\n{content}\n</section>'
        for sid, head, content in sections
    )
    footer = f"Generated by bordersim from {data['folder']}. Self-contained: no network."
    return page(title, data["answer"][:300], nav, body, footer)


__all__ = ["load_optimisation", "render", "tradeoff_figure", "write_optimisation_report"]
