"""Boxes read from a figure's SVG as a reader's eye meets them: each text's box (measured with
the font it names, since the figures keep text as text) and each legend's and each plotting
area's box, for tests that no two labels overlap and no legend covers the data."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from matplotlib.font_manager import FontProperties
from matplotlib.textpath import TextToPath

SVG = "{http://www.w3.org/2000/svg}"
_MEASURE = TextToPath()
_FONT = FontProperties(family="DejaVu Sans")


@dataclass(frozen=True)
class Box:
    """A box in the SVG's units (points), y down, with the text or element it came from."""

    x0: float
    y0: float
    x1: float
    y1: float
    what: str = ""

    def overlaps(self, other: Box, slack: float = 0.5) -> bool:
        return (
            min(self.x1, other.x1) - max(self.x0, other.x0) > slack
            and min(self.y1, other.y1) - max(self.y0, other.y0) > slack
        )


def _style(el: ET.Element) -> dict[str, str]:
    out = {}
    for part in (el.get("style") or "").split(";"):
        if ":" in part:
            k, v = part.split(":", 1)
            out[k.strip()] = v.strip()
    return out


def _text_box(el: ET.Element, text: str) -> Box | None:
    style = _style(el)
    size = float(style.get("font-size", "10px").rstrip("px"))
    weight = "bold" if style.get("font-weight") in ("bold", "700") else "normal"
    prop = _FONT.copy()
    prop.set_size(size)
    prop.set_weight(weight)
    width, _, _ = _MEASURE.get_text_width_height_descent(text, prop, ismath=False)
    x, y = float(el.get("x", 0)), float(el.get("y", 0))
    anchor = style.get("text-anchor", "start")
    left = x - {"start": 0.0, "middle": width / 2, "end": width}.get(anchor, 0.0)
    # DejaVu Sans: ascent about 0.76 and descent about 0.24 of the size
    corners = [(left, y - 0.76 * size), (left + width, y - 0.76 * size)]
    corners += [(left, y + 0.24 * size), (left + width, y + 0.24 * size)]
    transform = el.get("transform") or ""
    moved = re.search(r"translate\((-?[\d.]+)[ ,]+(-?[\d.]+)\)", transform)
    if moved:  # "translate(x y) rotate(a)": the text's origin moved to (x, y)
        dx, dy = float(moved.group(1)), float(moved.group(2))
        corners = [(a + dx, b + dy) for a, b in corners]
        x, y = x + dx, y + dy
    angle = 0.0
    found = re.search(r"rotate\((-?[\d.]+)", transform)
    if found:
        angle = math.radians(float(found.group(1)))
    if angle:
        c, s = math.cos(angle), math.sin(angle)
        corners = [
            (x + (a - x) * c - (b - y) * s, y + (a - x) * s + (b - y) * c) for a, b in corners
        ]
    xs, ys = [a for a, _ in corners], [b for _, b in corners]
    return Box(min(xs), min(ys), max(xs), max(ys), text)


def text_boxes(svg: bytes | str) -> list[Box]:
    """Every non-empty text of the figure, as a box."""
    root = ET.fromstring(svg)
    out = []
    for el in root.iter(f"{SVG}text"):
        spans = list(el.iter(f"{SVG}tspan"))
        if spans:
            for span in spans:
                if (span.text or "").strip():
                    merged = ET.Element("text", {**el.attrib, **span.attrib})
                    box = _text_box(merged, span.text or "")
                    if box:
                        out.append(box)
        elif (el.text or "").strip():
            box = _text_box(el, el.text or "")
            if box:
                out.append(box)
    return out


def overlapping_texts(svg: bytes | str) -> list[tuple[str, str]]:
    """Pairs of texts whose boxes overlap."""
    boxes = text_boxes(svg)
    return [(a.what, b.what) for i, a in enumerate(boxes) for b in boxes[i + 1 :] if a.overlaps(b)]


_NUMBERS = re.compile(r"-?\d+(?:\.\d+)?(?:e-?\d+)?")


def _extent(group: ET.Element, what: str) -> Box | None:
    xs: list[float] = []
    ys: list[float] = []
    for el in group.iter():
        if el.tag == f"{SVG}path" and el.get("d") and not (el.get("id") or ""):
            nums = [float(v) for v in _NUMBERS.findall(el.get("d") or "")]
            xs += nums[0::2]
            ys += nums[1::2]
        elif el.tag == f"{SVG}use":
            xs.append(float(el.get("x", 0)))
            ys.append(float(el.get("y", 0)))
        elif el.tag == f"{SVG}text":
            box = _text_box(el, el.text or "") if (el.text or "").strip() else None
            if box:
                xs += [box.x0, box.x1]
                ys += [box.y0, box.y1]
    if not xs:
        return None
    return Box(min(xs), min(ys), max(xs), max(ys), what)


def legend_boxes(svg: bytes | str) -> list[Box]:
    """Each legend's box: its handles and its entries."""
    root = ET.fromstring(svg)
    out = []
    for g in root.iter(f"{SVG}g"):
        if (g.get("id") or "").startswith("legend_"):
            box = _extent(g, g.get("id") or "")
            if box:
                out.append(box)
    return out


def plot_areas(svg: bytes | str) -> list[Box]:
    """Each axes' plotting area: the box of its background patch."""
    root = ET.fromstring(svg)
    out = []
    for g in root.iter(f"{SVG}g"):
        if re.fullmatch(r"axes_\d+", g.get("id") or ""):
            patch = next((c for c in g if (c.get("id") or "").startswith("patch_")), None)
            if patch is not None:
                box = _extent(patch, g.get("id") or "")
                if box:
                    out.append(box)
    return out


def legends_over_data(svg: bytes | str) -> list[tuple[str, str]]:
    """Legends that reach into a plotting area (and so may cover its data)."""
    return [
        (legend.what, area.what)
        for legend in legend_boxes(svg)
        for area in plot_areas(svg)
        if legend.overlaps(area, slack=1.0)
    ]


def tick_label_sizes(svg: bytes | str) -> list[tuple[str, float]]:
    """Each tick label of the figure (the texts of its ``xtick_N`` and ``ytick_N`` groups, as
    matplotlib names them) with its font size in points."""
    out = []
    for group in ET.fromstring(svg).iter(f"{SVG}g"):
        if not re.fullmatch(r"[xy]tick_\d+", group.get("id") or ""):
            continue
        for el in group.iter(f"{SVG}text"):
            text = "".join(el.itertext()).strip()
            if text:
                out.append((text, float(_style(el).get("font-size", "10px").rstrip("px"))))
    return out
