"""The parameters with their sources: a scenario file's own comments beside each value, or the
resolved scenario when the file is gone or changed."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

from sim.files.read import TOML_CAP, Saved, SavedPoint
from sim.present.markup import Raw, esc, table
from sim.present.resolved import MISSING, flatten, lookup, toml_value
from sim.present.sources import cited_sections, link_citations
from sim.scenario import parse_toml
from sim.schema import ScenarioError
from sim.schema.comments import commented_parameters


def source_files(saved: Saved) -> list[dict[str, Any]]:
    """The scenario files a result was run from, as recorded in its manifest."""
    m = saved.manifest
    files = m.get("scenario_files") if saved.kind != "run" else [m.get("scenario_file")]
    return [f for f in (files or []) if isinstance(f, dict) and f.get("path")]


def parameters(saved: Saved) -> str:
    """The parameters with their sources: the original file's comments when it is readable
    and unchanged, else the resolved scenario."""
    parts = []
    resolved = saved.points[0].scenario
    shown = False
    for k, record in enumerate(source_files(saved)):
        path = Path(record["path"])
        try:
            with path.open("rb") as fh:  # at most the cap: the file may have grown since
                raw = fh.read(TOML_CAP + 1)
            if len(raw) > TOML_CAP:
                raise OSError("larger than a scenario file may be")
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
            as_written = parse_toml(text, str(path))
        except ScenarioError:
            as_written = {}
        point = _point_for(saved, k)
        body = []
        for key, value, comment in rows:
            if not value:  # a table with a comment
                body.append([Raw(f"<code>[{esc(key)}]</code>"), "", Raw(_source_cell(comment))])
                continue
            ran = lookup(point.scenario, key) if point.scenario is not None else MISSING
            written = lookup(as_written, key)
            cell: Any = value
            if ran is not MISSING and written is not MISSING and ran != written:
                cell = Raw(
                    f'<span class="changed">{esc(toml_value(ran))}</span> '
                    f'<span class="was">(file: {esc(value)})</span>'
                )
            body.append([Raw(f"<code>{esc(key)}</code>"), cell, Raw(_source_cell(comment))])
        parts.append(f"<h3>{esc(path.name)}</h3>")
        parts.append(f'<p class="path">{esc(path)}</p>')
        if header:
            parts.append(f"<blockquote>{esc(header)}</blockquote>")
        parts.append(
            table(
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
            [Raw(f"<code>{esc(k)}</code>"), toml_value(v)]
            for k, v in flatten(resolved).items()
            if not k.startswith("variants.")
        ]
        parts.append(table(["parameter", "value as run"], body, "params"))
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
    cited = cited_sections(" ".join(parts))
    if cited:
        parts.append(cited)
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
    text = link_citations(esc(comment))
    if re.search(r"\bassum", comment, re.I):
        return f'<span class="tag assumption">assumption</span> {text}'
    return text
