"""HTML for the report and the trainer's page: escaping, tables, and a metric's mean with its
95% confidence interval in words."""

from __future__ import annotations

import html
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any


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


class Raw(str):
    """Markup that is already escaped."""


def table(head: Sequence[str], rows: Iterable[Sequence[Any]], cls: str = "") -> str:
    """A table; the first cell of a row is its header, a :class:`Raw` cell is markup."""
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
