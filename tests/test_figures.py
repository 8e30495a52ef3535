"""Figures fit for a slide: for the shipped comparisons and a sweep (small runs), every figure
kind is read back from its SVG as a projector shows it: no two texts overlap, no text is cut
off at the edge, no legend reaches into a plotting area; labels are pushed apart, intervals
stop at the axes, one bar far longer than the rest breaks the axis."""

from __future__ import annotations

import warnings
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from svg_boxes import legends_over_data, overlapping_texts, text_boxes, tick_label_sizes

from sim.cli import main
from sim.files.read import load_results
from sim.present import plots
from sim.present.figures.style import STYLE, figure, repel, svg_bytes
from sim.present.figures.trs import cut_at, trs_breakdown

from conftest import ROOT

SHIPPED = ["baseline", "covid-vaccine-surge"]
SMALL = ["--set", "scenario.days=3", "--replications", "2", "--executor", "serial", "--quiet"]


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("figures")
    out = {}
    for name in SHIPPED:
        file = ROOT / "scenarios" / f"{name}.toml"
        assert main(["compare", str(file), *SMALL, "--no-report", "--out", str(root / name)]) == 0
        out[name] = root / name
    sweep = root / "sweep"
    file = ROOT / "scenarios" / "covid-vaccine-surge.toml"
    vary = ["--vary", "policy.rates.red=0:0.3:5"]
    assert main(["sweep", str(file), *vary, *SMALL, "--no-report", "--out", str(sweep)]) == 0
    out["sweep"] = sweep
    return out


def every_figure(folder):
    return dict(plots.run_figures(load_results(folder)))


def canvas(svg: bytes) -> tuple[float, float]:
    root = ET.fromstring(svg)
    return float(root.get("width", "0").rstrip("pt")), float(root.get("height", "0").rstrip("pt"))


@pytest.mark.parametrize("which", [*SHIPPED, "sweep"])
def test_no_label_overlaps_and_no_legend_covers_data(folders, which):
    """Every report figure, read from its SVG as a projector shows it: no two texts overlap,
    no legend covers the data, nothing is cut off at the edge, and every tick label is at
    least as large as the style says (12 pt), not the library's 10 of axes made outside it."""
    least = min(STYLE["xtick.labelsize"], STYLE["ytick.labelsize"])
    figures = every_figure(folders[which])
    kinds = {name.removeprefix("point ").split("-0")[0] for name in figures}
    assert {"tradeoff", "trs", "cold-chain"} <= kinds
    for name, (fig, _) in figures.items():
        svg = plots.svg_bytes(fig)
        assert not overlapping_texts(svg), (which, name, overlapping_texts(svg))
        assert not legends_over_data(svg), (which, name, legends_over_data(svg))
        width, height = canvas(svg)
        cut = [b.what for b in text_boxes(svg) if b.x0 < -1 or b.y0 < -1 or b.x1 > width + 1]
        assert not cut, (which, name, "cut off at the edge", cut)
        sizes = tick_label_sizes(svg)
        assert sizes, (which, name, "no tick labels found")
        small = [(text, size) for text, size in sizes if size < least]
        assert not small, (which, name, "tick labels smaller than the style's", small)


def test_axes_made_outside_the_style_get_its_tick_labels():
    fig = figure()
    ax = fig.add_subplot()  # outside any style block, as a figure function may make it
    ax.plot([0, 10], [0, 1])
    ax.twinx().plot([0, 10], [5, 0])
    fig.subplots(1, 1)
    sizes = {size for _, size in tick_label_sizes(svg_bytes(fig))}
    assert sizes == {STYLE["xtick.labelsize"]}, sizes


def test_the_queues_line_marks_the_end_of_the_counting_window(folders):
    figures = every_figure(folders["baseline"])
    svg = plots.svg_bytes(next(f for n, (f, _) in figures.items() if n.startswith("queues")))
    words = [b.what for b in text_boxes(svg)]
    assert "end of the counting window" in words and "arrivals stop" not in words


def test_an_overloaded_variant_breaks_the_time_release_axis(folders):
    """baseline's inspect-everything runs tens of hours beside a few: the others keep their
    width and the long bar says its total."""
    fig, _ = plots.run_figures(load_results(folders["baseline"]))["trs"]
    words = " ".join(b.what for b in text_boxes(plots.svg_bytes(fig)))
    assert "axis broken" in words and "\u2192" in words
    assert cut_at([2.0, 3.0, 106.0]) == 3.0
    assert cut_at([2.0, 3.0, 6.0]) is None and cut_at([5.0]) is None


def test_intervals_stop_at_the_axes(folders):
    fig, _ = plots.run_figures(load_results(folders["sweep"]))["tradeoff"]
    ax = fig.axes[0]
    (x0, x1), (y0, y1) = ax.get_xlim(), ax.get_ylim()
    for collection in ax.collections:  # the error bars
        for seg in collection.get_segments():
            seg = np.asarray(seg)
            assert (seg[:, 0] >= x0 - 1e-9).all() and (seg[:, 0] <= x1 + 1e-9).all()
            assert (seg[:, 1] >= y0 - 1e-9).all() and (seg[:, 1] <= y1 + 1e-9).all()


def test_repel_pulls_labels_of_one_point_apart():
    fig = figure()
    ax = fig.add_subplot()
    ax.plot([1, 1.01, 1.02], [1, 1, 1], "o")
    ax.set_xlim(0, 2)
    ax.set_ylim(0, 2)
    texts = [
        ax.annotate(f"label {k}", (1 + k / 100, 1), xytext=(8, 8), textcoords="offset points")
        for k in range(3)
    ]
    assert overlapping_texts(plots.svg_bytes(fig)), "the labels start on top of each other"
    repel(fig, texts, [(ax, 1 + k / 100, 1) for k in range(3)])
    assert not overlapping_texts(plots.svg_bytes(fig))


def test_a_broken_axis_keeps_few_bars_readable():
    """Three bars, one far longer: its segments' hours are not written past the break, so
    nothing is laid out beyond the axes and no number runs into its total."""
    from sim.measure import names
    from sim.present.figures.trs import trs_breakdown

    queue = names.segment("physical", "queue")
    bars = [
        ("none", {names.LODGEMENT: 1.4, queue: 0.1}),
        ("some", {names.LODGEMENT: 1.4, queue: 0.3}),
        ("all", {names.LODGEMENT: 1.3, queue: 12.0}),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        svg = plots.svg_bytes(trs_breakdown(bars, ["physical"], notes=["", "", "50% inside"]))
    assert not overlapping_texts(svg)
    assert any("\u2192" in b.what for b in text_boxes(svg))


def test_a_run_without_time_release_segments_draws_an_empty_breakdown():
    """A run whose records give no segment time (no released shipment, say) still gets its
    figure, with no bars, rather than failing the whole report."""
    fig = trs_breakdown([("base", {})], ["documents"])
    assert fig.axes and not fig.axes[0].patches
