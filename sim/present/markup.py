"""HTML for the report and the trainer's page: escaping, tables, and a metric's mean with its
95% confidence interval in words."""

from __future__ import annotations

import html
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sim.files.text import interval as text_interval


def esc(value: Any) -> str:
    """Text or an attribute's value as HTML: ``&``, ``<``, ``>`` and both quotes escaped."""
    return html.escape(str(value), quote=True)


SCRIPT_ESCAPES = {
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def script_json(data: Any) -> str:
    """``data`` as JSON to put inside a ``<script type="application/json">`` element: with no
    ``<``, ``>`` or ``&`` left, no value can end the element (``</script``) or change how it
    is parsed (``<!--``, ``<script``), whatever text a results folder holds. A number that is
    not finite becomes null, which ``JSON.parse`` reads (it refuses NaN and Infinity)."""
    text = json.dumps(_finite(data), separators=(",", ":"), allow_nan=False)
    return text.translate(str.maketrans(SCRIPT_ESCAPES))


def _finite(data: Any) -> Any:
    if isinstance(data, float) and not math.isfinite(data):
        return None
    if isinstance(data, dict):
        return {k: _finite(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [_finite(v) for v in data]
    return data


SHARE_DIGITS, TIME_DIGITS = 1, 2
"""Decimals of a share (in %) and of anything else, on every page and figure."""


def digits_for(pct: bool, digits: int | None = None) -> int:
    """The decimals a figure is shown with: ``digits``, else 1 for a share (in %), else 2."""
    if digits is not None:
        return digits
    return SHARE_DIGITS if pct else TIME_DIGITS


def number(s: Mapping[str, Any] | None, pct: bool = False, digits: int | None = None) -> str:
    """An estimate with its 95% interval, as :func:`sim.files.text.interval` writes it:
    ``mean ± half-width`` when symmetric, ``mean (low to high)`` when not (shares in %); n/a."""
    return text_interval(dict(s) if s else None, digits_for(pct, digits), pct)


def estimate(s: Mapping[str, Any] | None, pct: bool = False, digits: int | None = None) -> str:
    """The estimate alone, exactly as :func:`number` writes it (shares in %), or n/a: a
    figure's label or a card's large number, which must agree with the tables to the digit."""
    if not s or s.get("mean") is None:
        return "n/a"
    return text_interval({"mean": s["mean"]}, digits_for(pct, digits), pct)


def interval(s: Mapping[str, Any] | None, pct: bool = False, digits: int | None = None) -> str:
    """``95% CI low to high``, or the number of replications when there is none."""
    if not s or s.get("ci_low") is None or s.get("ci_high") is None:
        n = (s or {}).get("n")
        return f"no interval (n = {n})" if n is not None else ""
    d = digits_for(pct, digits)
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
