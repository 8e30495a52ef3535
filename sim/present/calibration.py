"""The calibration report: one self-contained ``report.html`` built from a calibration folder's
``calibration.json`` alone.

It says first, in plain words, whether every published figure is met; then the fit table
(published, fitted with its 95% interval, error, tolerance), a figure of each published figure
with its tolerance band against the fitted mean with its interval, the fitted values with the
ranges consistent with the targets, the conflicts between figures, and the reproduce command.
The folder is data from whoever wrote it: the file is read within a size cap, inside the
folder, and every value is checked for its type before it is shown.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from sim.files.read import MANIFEST_CAP
from sim.files.write import OutputError
from sim.measure import names
from sim.present.markup import Raw, esc, table
from sim.present.report import page
from sim.present.saved import number as _number
from sim.present.saved import read_object, write_report
from sim.present.saved import text as _text

CALIBRATION = "calibration.json"
CAP = MANIFEST_CAP
"""The largest ``calibration.json`` read (16 MB: tens of thousands of trials)."""
MOST_FIGURES = 200
"""Figures shown in the table and the figure; a file with more is refused."""
BEST_TRIALS = 10
"""Trials listed, the best first."""


def write_calibration_report(folder: str | Path) -> Path:
    """Write ``report.html`` into a calibration folder from its ``calibration.json``; returns
    the report's path. An :class:`OutputError` naming the folder and the file when it is
    missing, unreadable or not a calibration."""
    folder = Path(folder)
    if not folder.is_dir():
        raise OutputError(f"{folder} is not a folder: give the folder bordersim calibrate wrote")
    data = load_calibration(folder)
    page = render(data, fit_png(data["fit"]))
    return write_report(folder, page)


# --------------------------------------------------------------------------- reading


def _refused(folder: Path, problem: str) -> OutputError:
    return OutputError(
        f"{folder / CALIBRATION}: {problem}; the report reads the calibration.json that "
        "bordersim calibrate writes (an object with 'fit', 'best', 'ranges', 'conflicts', "
        "'trials' and 'command')"
    )


def _row(folder: Path, k: int, raw: Any) -> dict[str, Any]:
    if not isinstance(raw, Mapping):
        raise _refused(folder, f"fit[{k}] is not an object")
    value = _number(raw.get("value"))
    if value is None:
        raise _refused(folder, f"fit[{k}].value is not a finite number")
    metric = raw.get("metric")
    metrics = [metric] if isinstance(metric, str) else metric
    if not isinstance(metrics, list) or not all(isinstance(m, str) for m in metrics):
        metrics = []
    tolerance = _number(raw.get("tolerance"))
    allowed = _number(raw.get("allowed"))
    if allowed is None and tolerance is not None:
        allowed = tolerance * abs(value)
    fitted = _number(raw.get("fitted"))
    error = _number(raw.get("error", raw.get("error_share")))
    if error is None and fitted is not None and value:
        error = (fitted - value) / abs(value)
    met = raw.get("met")
    if not isinstance(met, bool):
        met = fitted is not None and allowed is not None and abs(fitted - value) <= allowed
    return {
        "name": _text(raw.get("name"), 200) or f"figure {k + 1}",
        "metric": [m[:200] for m in metrics[:50]],
        "value": value,
        "fitted": fitted,
        "ci_low": _number(raw.get("ci_low")),
        "ci_high": _number(raw.get("ci_high")),
        "error": error,
        "tolerance": tolerance,
        "allowed": allowed,
        "met": met,
    }


def load_calibration(folder: str | Path) -> dict[str, Any]:
    """``calibration.json`` of a folder, checked and reduced to what the report shows: every
    number finite or None, every text a string. An :class:`OutputError` when the file is
    missing, outside the folder, too large, not JSON or has no fit table."""
    folder = Path(folder)
    data = read_object(folder, CALIBRATION, CAP, _refused)
    if not isinstance(data, Mapping):
        raise _refused(folder, "is not a JSON object")
    fit = data.get("fit")
    if not isinstance(fit, list) or not fit:
        raise _refused(folder, "has no 'fit' list of figures")
    if len(fit) > MOST_FIGURES:
        raise _refused(folder, f"has {len(fit)} figures, more than the {MOST_FIGURES} allowed")
    target = data.get("target", data.get("targets"))
    target = target if isinstance(target, Mapping) else {}
    scenario = data.get("scenario")
    scenario_name = (
        _text(scenario.get("name"), 200) if isinstance(scenario, Mapping) else _text(scenario, 200)
    )
    best = data.get("best") if isinstance(data.get("best"), Mapping) else {}
    ranges = data.get("ranges") if isinstance(data.get("ranges"), Mapping) else {}
    trials = []
    for t in data.get("trials") if isinstance(data.get("trials"), list) else []:
        if isinstance(t, Mapping) and isinstance(t.get("params"), Mapping):
            loss = _number(t.get("loss"))
            params = {str(k)[:200]: _number(v) for k, v in list(t["params"].items())[:100]}
            trials.append({"params": params, "loss": loss})
    conflicts = data.get("conflicts") if isinstance(data.get("conflicts"), list) else []
    return {
        "folder": folder,
        "fit": [_row(folder, k, r) for k, r in enumerate(fit)],
        "best": {str(k)[:200]: _number(v) for k, v in list(best.items())[:100]},
        "ranges": {
            str(k)[:200]: (_number(v[0]), _number(v[1]))
            for k, v in list(ranges.items())[:100]
            if isinstance(v, list | tuple) and len(v) == 2
        },
        "conflicts": [_text(c) for c in conflicts[:100] if isinstance(c, str)],
        "trials": trials,
        "command": _text(data.get("command"), 10_000),
        "target_name": _text(target.get("name"), 200),
        "source": _text(target.get("source"), 1000),
        "scenario": scenario_name,
        "replications": _number(data.get("replications")),
        "best_loss": _number(data.get("best_loss")),
    }


# --------------------------------------------------------------------------- numbers in words


def _is_share(row: Mapping[str, Any]) -> bool:
    return len(row["metric"]) == 1 and names.at_most_one(row["metric"][0])


def shown(value: float | None, share: bool = False) -> str:
    """A figure as the page writes it: a share in % with one decimal, anything else to three
    significant digits (12.8, 0.301, 44.3, 1,250); n/a when missing."""
    if value is None:
        return "n/a"
    if share:
        return f"{value * 100:.1f}%"
    size = abs(value)
    digits = 0 if size >= 100 else 1 if size >= 10 else 2 if size >= 1 else 3
    return f"{value:,.{digits}f}"


def _percent(share: float | None, signed: bool = False) -> str:
    if share is None:
        return "n/a"
    return f"{share * 100:+.1f}%" if signed else f"{share * 100:.1f}%"


def summary(fit: Sequence[Mapping[str, Any]]) -> str:
    """The plain-words verdict: every published figure met within its tolerance, or which
    are not and by how much."""
    tolerances = {r["tolerance"] for r in fit}
    within = "within its tolerance"
    if len(tolerances) == 1 and None not in tolerances:
        within = f"within {next(iter(tolerances)) * 100:g}%"
    missed = [r for r in fit if not r["met"]]
    if not missed:
        every = "the published figure" if len(fit) == 1 else f"all {len(fit)} published figures"
        return f"Every published figure met {within}: {every} of the target study."
    parts = []
    for r in missed:
        share = _is_share(r)
        allowed = r["allowed"] / abs(r["value"]) if r["allowed"] and r["value"] else None
        parts.append(
            f"{r['name']} (fitted {shown(r['fitted'], share)} against {shown(r['value'], share)} "
            f"published: {_percent(r['error'], signed=True)}, allowed ±{_percent(allowed)})"
        )
    return (
        f"{len(fit) - len(missed)} of {len(fit)} published figures met {within}; not met: "
        + "; ".join(parts)
        + "."
    )


# --------------------------------------------------------------------------- the figure


FIGURE_CAPTION = (
    "Each published figure against the calibrated scenario, as a difference from the "
    "published value in % of it (figures of any unit on one axis): the grey band is the "
    "figure's tolerance, the dot the fitted mean and its bar the 95% interval over the "
    "replications. A figure is met when its dot lies within its band."
)


def _relative(x: float | None, row: Mapping[str, Any]) -> float | None:
    return (x - row["value"]) / abs(row["value"]) * 100 if x is not None else None


def fit_figure(fit: Sequence[Mapping[str, Any]]) -> Any:
    """One row per published figure: its tolerance band around 0 and the fitted mean's
    difference from it, with the 95% interval, in % of the published value."""
    from sim.present.figures.style import GREEN, GREY, VERMILLION, figure, style

    height = max(2.6, 1.0 + 0.7 * len(fit))
    fig = figure(height=height)
    with style():
        ax = fig.add_subplot()
        widest = 0.0
        for y, r in enumerate(fit):
            label = f"{r['name']}\n{shown(r['value'], _is_share(r))} published"
            ax.text(-0.02, y, label, transform=ax.get_yaxis_transform(), ha="right", va="center")
            if not r["value"]:
                continue
            band = r["allowed"] / abs(r["value"]) * 100 if r["allowed"] is not None else None
            if band is not None:
                ax.fill_betweenx([y - 0.3, y + 0.3], -band, band, color=GREY, alpha=0.35, lw=0)
                widest = max(widest, band)
            mean = _relative(r["fitted"], r)
            if mean is None:
                continue
            low, high = _relative(r["ci_low"], r), _relative(r["ci_high"], r)
            err = None
            if low is not None and high is not None:
                err = [[max(mean - low, 0.0)], [max(high - mean, 0.0)]]
                widest = max(widest, abs(low), abs(high))
            color = GREEN if r["met"] else VERMILLION
            ax.errorbar([mean], [y], xerr=err, fmt="o", color=color, capsize=5, zorder=3)
            widest = max(widest, abs(mean))
        ax.axvline(0, color="#333333", lw=1)
        limit = max(widest * 1.15, 1.0)
        ax.set_xlim(-limit, limit)
        ax.set_ylim(len(fit) - 0.5, -0.5)
        ax.set_yticks([])
        ax.set_xlabel("fitted minus published, % of the published figure")
        ax.set_title("Published figures and the calibrated scenario")
    return fig


def fit_png(fit: Sequence[Mapping[str, Any]]) -> bytes:
    """The fit figure as PNG bytes."""
    from sim.present.figures.style import png_bytes

    return png_bytes(fit_figure(fit))


# --------------------------------------------------------------------------- the page


def _fit_table(fit: Sequence[Mapping[str, Any]]) -> str:
    rows = []
    for r in fit:
        share = _is_share(r)
        interval = (
            f"{shown(r['ci_low'], share)} to {shown(r['ci_high'], share)}"
            if r["ci_low"] is not None and r["ci_high"] is not None
            else "n/a"
        )
        allowed = f"±{shown(r['allowed'], share)}" if r["allowed"] is not None else "n/a"
        if r["tolerance"] is not None:
            allowed += f" ({_percent(r['tolerance'])})"
        rows.append(
            [
                r["name"],
                Raw(" + ".join(f"<code>{esc(m)}</code>" for m in r["metric"]) or "n/a"),
                shown(r["value"], share),
                shown(r["fitted"], share),
                interval,
                _percent(r["error"], signed=True),
                allowed,
                "yes" if r["met"] else "NO",
            ]
        )
    head = ["figure", "metric", "published", "fitted", "95% interval", "error", "tolerance", "met"]
    return table(head, rows, "numbers wide")


def _ranges_table(data: Mapping[str, Any]) -> str:
    keys = list(data["best"]) + [k for k in data["ranges"] if k not in data["best"]]
    if not keys:
        return '<p class="sub">No free parameters were recorded.</p>'
    rows = []
    for key in keys:
        low, high = data["ranges"].get(key, (None, None))
        rows.append(
            [Raw(f"<code>{esc(key)}</code>"), shown(data["best"].get(key)), shown(low), shown(high)]
        )
    note = (
        "The consistent range of a parameter is its lowest and highest value among the trials "
        "whose loss is within the chi-square 95% quantile (degrees of freedom: the number of "
        "free parameters) of the best loss: trials statistically indistinguishable from the "
        "best. A wide range means the targets do not pin the parameter down."
    )
    return table(["parameter", "fitted", "consistent from", "to"], rows, "numbers") + (
        f'<p class="sub">{esc(note)}</p>'
    )


def _trials_table(data: Mapping[str, Any]) -> str:
    trials = [t for t in data["trials"] if t["loss"] is not None]
    if not trials:
        return ""
    best = sorted(trials, key=lambda t: t["loss"])[:BEST_TRIALS]
    keys = list(data["best"]) or list(best[0]["params"])
    rows = [[shown(t["loss"])] + [shown(t["params"].get(k)) for k in keys] for t in best]
    return (
        f"<p>{len(data['trials'])} trials in all; the {len(best)} best (lowest loss: the sum "
        "over figures of weight x ((fitted - published) / scale)², scale the published sd or "
        "the tolerance):</p>" + table(["loss", *keys], rows, "numbers wide")
    )


def _conflicts(data: Mapping[str, Any]) -> str:
    if not data["conflicts"]:
        if all(r["met"] for r in data["fit"]):
            return "<p>None: the best trial meets every figure at once.</p>"
        return (
            "<p>No conflict was found among the trials: a figure not met may need another "
            "free parameter, or a wider range.</p>"
        )
    return "<ul>" + "".join(f"<li>{esc(c)}</li>" for c in data["conflicts"]) + "</ul>"


def render(data: Mapping[str, Any], png: bytes) -> str:
    """The calibration report as one HTML document."""
    name = data["target_name"] or "targets"
    scenario = data["scenario"] or "the scenario"
    title = f"{scenario} calibrated to {name}"
    verdict = summary(data["fit"])
    cls = "note" if all(r["met"] for r in data["fit"]) else "warning"
    source = f" ({data['source']})" if data["source"] else ""
    intro = (
        f'<p class="{cls}">{esc(verdict)}</p>'
        f"<p>The scenario {esc(scenario)} was fitted to the published figures of "
        f"{esc(name)}{esc(source)} by searching its free parameters; the fitted values below "
        "are those of the best trial, run again with twice the replications for the "
        "intervals.</p>"
    )
    image = base64.b64encode(png).decode("ascii")
    figure = (
        f'<figure id="fig-fit"><img src="data:image/png;base64,{image}" '
        f'alt="Published figures and the calibrated scenario">'
        f"<figcaption>{esc(FIGURE_CAPTION)}</figcaption></figure>"
    )
    command = (
        f"<p>The command that wrote this folder (run it from the same folder):</p>"
        f'<pre class="command">{esc(data["command"])}</pre>'
        if data["command"]
        else '<p class="sub">The folder does not record its command.</p>'
    )
    sections = [
        ("summary", "Summary", intro),
        ("fit", "Fit per published figure", _fit_table(data["fit"]) + figure),
        ("ranges", "Fitted values and their consistent ranges", _ranges_table(data)),
        ("conflicts", "Conflicts between figures", _conflicts(data)),
        ("trials", "Trials", _trials_table(data)),
        ("reproduce", "How to reproduce", command),
    ]
    nav = "".join(f'<li><a href="#{sid}">{esc(head)}</a></li>' for sid, head, _ in sections)
    body = "\n".join(
        f'<section id="{sid}"><h2>{esc(head)}</h2>\n{content}\n</section>'
        for sid, head, content in sections
    )
    footer = f"Generated by bordersim from {data['folder']}. Self-contained: no network."
    return page(title, verdict, nav, body, footer)


__all__ = ["load_calibration", "render", "summary", "write_calibration_report"]
