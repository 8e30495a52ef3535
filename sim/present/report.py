"""The report: one self-contained ``report.html`` built from a results folder alone.

It opens with no network (images inline as base64 PNG, styles inline, no script): what was
simulated in plain words, the key numbers with their 95% confidence intervals, the figures of
:mod:`sim.present.plots` (also written to ``figures/`` as PNG and SVG, for slides), tables, the
parameters with their sources (the comments of the original scenario file when it is still
there and unchanged), method notes and how to reproduce the numbers.
"""

from __future__ import annotations

import base64
import os
import re
import shlex
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from sim.files.layout import MANIFEST
from sim.files.read import Saved, load_results, source_problem, values_of
from sim.files.write import OutputError, write_atomic
from sim.present.markup import esc, table
from sim.present.parameters import commented_parameters, parameters, source_files
from sim.present.tables import (
    band_notes,
    cost_table,
    detail_tables,
    headline,
    key_table,
    overload_warning,
)
from sim.present.words import bottom_line_html, describe, method

REPORT = "report.html"
FIGURES = "figures"
KINDS = {"run": "run", "compare": "comparison", "sweep": "sweep"}


def write_report(folder: str | Path, *, time: str = "mean") -> Path:
    """Write ``report.html`` (and the figures, as PNG and SVG, under ``figures/``) into a
    results folder; returns the report's path. ``time`` is the trade-off's time axis:
    ``"mean"`` or ``"p90"`` clearance time of legitimate shipments."""
    from sim.present import plots

    saved = load_results(folder)
    out = figures_folder(saved.folder)
    images: dict[str, tuple[bytes, str]] = {}
    try:
        with values_of(saved.folder):
            figures = plots.run_figures(saved, time)
            for name, (fig, caption) in figures.items():
                data = plots.save(fig, out, name)
                images[name] = (data["png"], caption)
            remove_old_figures(out, set(figures))
            page = render(saved, images, time)
        path = saved.folder / REPORT
        write_atomic(path, page)
    except OSError as exc:
        raise OutputError(
            f"cannot write the report in {saved.folder}: {exc.strerror or exc}"
        ) from None
    return path


FIGURE_FILE = re.compile(
    r"(tradeoff|trs|illicit|cold-chain|clearance|clearance-by-(lane|commodity)|queues(-\d+)?)"
    r"\.(png|svg)"
)
"""The names of the figure files a report writes: the only files it ever deletes."""


def figures_folder(folder: Path) -> Path:
    """``figures/`` in a results folder; an :class:`OutputError` when it is a symbolic link or
    not a folder, since the report writes and deletes figures there and must do so only inside
    the results folder."""
    out = folder / FIGURES
    if out.is_symlink():
        raise OutputError(
            f"{folder}: {FIGURES} is a symbolic link (to {os.readlink(out)}); the report writes "
            f"its figures only into a real folder inside the results folder: remove the link "
            "and try again"
        )
    if out.exists() and not out.is_dir():
        raise OutputError(
            f"{folder}: {FIGURES} is not a folder; the report writes its figures into a folder "
            "of that name: move it away and try again"
        )
    return out


def remove_old_figures(out: Path, keep: set[str]) -> None:
    """Delete the figure files of an earlier report that this one no longer draws: files named
    as a report names them, nothing else (a link is removed, never what it points to)."""
    for old in out.glob("*"):
        ours = FIGURE_FILE.fullmatch(old.name) and old.stem not in keep
        if ours and (old.is_symlink() or old.is_file()):
            old.unlink()


def checked_sources(saved: Saved) -> tuple[Saved, str]:
    """``saved`` without the scenario files its manifest names that the report must not open
    (see :func:`sim.files.read.source_problem`), and a note for each one left out."""
    records = source_files(saved)
    problems = [source_problem(r) for r in records]
    if not any(problems):
        return saved, ""
    keep = [k for k, problem in enumerate(problems) if problem is None]
    manifest = dict(saved.manifest)
    if saved.kind == "run":
        manifest["scenario_file"] = records[0] if keep else None
    else:
        manifest["scenario_files"] = [records[k] for k in keep]
    points = [
        replace(p, source=keep.index(p.source) if p.source in keep else None) for p in saved.points
    ]
    notes = "".join(
        f'<p class="note">The scenario file {esc(r["path"])} that {MANIFEST} names is not '
        f"opened: {esc(problem)}. Below is the scenario as it ran.</p>"
        for r, problem in zip(records, problems, strict=True)
        if problem
    )
    return replace(saved, manifest=manifest, points=points), notes


def reproduce(saved: Saved) -> str:
    """How to get the same numbers again: the command, the seed, the versions."""
    m = saved.manifest
    command = m.get("command")
    if isinstance(command, list) and command:
        cmd = shlex.join(str(c) for c in command)
        note = "The command that wrote this folder (run it from the same folder):"
    else:
        files = source_files(saved)
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
        "any number of workers.</p>" + table(["", ""], rows, "meta")
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
.warning { border: 2px solid #D55E00; border-left: 10px solid #D55E00; border-radius: 8px;
  background: #fff3ec; padding: 10px 16px; margin: 0 0 20px; }
.warning .head { font-size: 1.3rem; font-weight: 700; color: #A34A00; margin: 0 0 6px; }
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


READING = (
    "Estimates across replications with their 95% confidence interval (95% CI): ± the "
    "half-width where the interval is symmetric, (low to high) where it is not (shares and counts, "
    "whose intervals stay within what they can be). Clearance times count the shipments still "
    "inside at the end as censored (see Method). A lane's rate is the share of declarations the "
    "policy sends to it (selected); the inspection rate is the share of counted shipments that "
    "were examined or scanned, lower than the red lane's rate when a shipment is intercepted "
    "before its examination, or still waiting for it at the end. Counts are per run: over the "
    "counted days of arrivals, the warm-up days left out."
)
STANDINGS = (
    "Standing on the trade-off of mean clearance time against interception: * efficient (no "
    "other point is faster and catches more); ~ in the band (beaten on the means, but not "
    "beyond what the paired replications can tell apart); dominated (beaten beyond the noise); "
    "! ⚠ OVERLOADED (its queues do not keep up: never on the frontier)."
)


def render(saved: Saved, images: Mapping[str, tuple[bytes, str]], time: str = "mean") -> str:
    """The report as one HTML document."""
    kind = KINDS.get(saved.kind, saved.kind)
    title = f"{saved.name}: {kind} report"
    sections = []
    answer = bottom_line_html(saved)
    if answer:
        sections.append(("answer", "Bottom line", answer))
    sections.append(("simulated", "What was simulated", describe(saved)))
    numbers = ""
    if saved.kind == "run":
        numbers += headline(saved, time)
    numbers += key_table(saved)
    numbers += f'<p class="sub">{esc(READING)}</p>'
    if saved.kind == "sweep":
        numbers += f'<p class="sub">{esc(STANDINGS)}</p>' + band_notes(saved, time)
    numbers += cost_table(saved)
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
    checked, skipped = checked_sources(saved)
    sections.append(("parameters", "Parameters and their sources", skipped + parameters(checked)))
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
        f"bordersim {version}, written {created}. Estimates across replications with 95% "
        "confidence intervals."
    )
    footer = f"Generated by bordersim {version} from {saved.folder}. Self-contained: no network."
    return page(title, subtitle, nav, body, footer, overload_warning(saved))


def page(title: str, subtitle: str, nav: str, body: str, footer: str, warning: str = "") -> str:
    """A self-contained page in the report's shell: title, subtitle, an optional warning, the
    contents, the sections and a footer (``nav`` and ``body`` are markup)."""
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
{warning}
<nav aria-label="Contents"><ol>{nav}</ol></nav>
{body}
<footer>{esc(footer)}</footer>
</main>
</body>
</html>
"""


__all__ = ["commented_parameters", "describe", "render", "write_report"]
