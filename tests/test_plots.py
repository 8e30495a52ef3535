"""Figures and the profiles they are drawn from: each figure carries its title and axis labels,
saves as PNG and SVG; profiles agree with the metrics, travel between processes unchanged and
read back exactly; the new metrics (legitimate clearance time, where illicit goods were caught
or got through) add up."""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET

import matplotlib
import numpy as np
import pytest

import sim
from sim.files.read import load_results
from sim.measure import names
from sim.measure.censoring import kaplan_meier
from sim.measure.figure_data import EDGES, MAX_STEPS, FigureData
from sim.present import contents, plots

from conftest import build, tiny


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    result = sim.run(build(tiny()), progress=False, executor="serial")
    return result.save(tmp_path_factory.mktemp("plots") / "run")


@pytest.fixture(scope="module")
def sweep_folder(tmp_path_factory):
    result = sim.sweep(
        build(tiny()),
        vary=["policy.rates.red=0,0.1,0.3"],
        progress=False,
        executor="serial",
    )
    return result.save(tmp_path_factory.mktemp("plots") / "sweep")


def test_metric_names_read_back_what_the_metrics_wrote(run_folder):
    saved = load_results(run_folder)
    point = saved.points[0]
    stats, info = point.stats, point.profile.info
    checks = list(info["checks"])
    assert names.stations(stats) == checks
    assert names.lanes(stats) == list(info["lanes"])
    assert names.commodities(stats) == list(info["commodities"])
    assert names.kinds(stats) == list(point.scenario["illicit"]["kinds"])
    assert set(names.segment_checks(stats)) <= set(checks)
    assert names.targets(stats) == sorted({*map(float, info["target_hours"]), 24.0})
    assert all(names.within(h) in stats for h in names.targets(stats))
    assert all(names.station(c, "utilisation") in stats for c in checks)
    assert names.LODGEMENT in stats and names.is_segment(names.segment(checks[0], "queue"))
    # What the figures and the report read: the figure data's names first, the summary's after.
    assert contents.checks(saved) == checks
    assert contents.lanes(saved) == list(info["lanes"])
    assert contents.kinds(saved) == names.kinds(stats)
    point.profile = None
    assert contents.checks(saved) == sorted(names.segment_checks(stats))
    assert contents.lanes(saved) == names.lanes(stats)


def titles(fig) -> list[str]:
    return [ax.get_title() for ax in fig.axes]


def test_figures_of_a_run_carry_titles_and_axis_labels(run_folder):
    figures = plots.run_figures(load_results(run_folder))
    assert set(figures) == {
        "clearance-by-lane",
        "clearance-by-commodity",
        "trs",
        "illicit",
        "cold-chain",
        "queues",
    }
    for name, (fig, caption) in figures.items():
        assert caption and caption.endswith("."), name
        assert fig.canvas.get_renderer() is not None  # drawn on Agg, no display

    fig = figures["clearance-by-lane"][0]
    [ax] = fig.axes
    assert ax.get_title() == "Clearance time by lane"
    assert ax.get_xlabel() == "Clearance time (arrival to release, log scale)"
    assert ax.get_ylabel() == "Shipments released within that time"
    assert ax.get_xscale() == "log"
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend[0].startswith("all shipments (") and any(t.startswith("red (") for t in legend)
    targets = [t.get_text() for t in ax.texts]
    assert "target 6 h" in targets and "target 24 h" in targets

    fig = figures["clearance-by-commodity"][0]
    assert titles(fig) == ["Clearance time by commodity"]

    [ax] = figures["trs"][0].axes
    assert ax.get_title() == "Time Release Study: where released shipments' time goes"
    assert ax.get_xlabel() == "Mean hours per released shipment"
    segments = [t.get_text() for t in figures["trs"][0].legends[0].get_texts()]
    assert "Lodgement of the declaration" in segments and "physical: waiting" in segments

    fig = figures["illicit"][0]
    assert fig.get_suptitle() == "Where illicit shipments were caught, and where they got through"
    assert fig.axes[0].get_xlabel() == "Shipments per replication (mean)"
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["falsified", "substandard"]

    [ax] = figures["cold-chain"][0].axes
    assert ax.get_title() == "Cold-chain shipments: time in custody against tolerance"
    assert ax.get_ylabel() == "Hours in custody"
    assert [t.get_text() for t in ax.get_xticklabels()] == ["vaccine"]

    fig = figures["queues"][0]
    assert fig.get_suptitle() == "Queues and utilisation over time"
    assert titles(fig) == [
        "documents: queue",
        "documents: utilisation",
        "physical: queue",
        "physical: utilisation",
    ]
    assert [ax.get_ylabel() for ax in fig.axes[:2]] == ["Shipments waiting", "Busy / on duty"]
    assert fig.axes[-1].get_xlabel() == "Day of the run"
    # The physical examination works office hours: its closed hours are shaded.
    grey = matplotlib.colors.to_rgba(plots.CLOSED)
    closed = [p for p in fig.axes[2].patches if p.get_facecolor() == grey]
    assert len(closed) >= 2


def test_tradeoff_figure_of_a_sweep(sweep_folder):
    saved = load_results(sweep_folder)
    figures = plots.run_figures(saved)
    assert {"tradeoff", "clearance", "trs", "illicit", "cold-chain"} <= set(figures)
    [ax] = figures["tradeoff"][0].axes
    assert ax.get_title() == "Trade-off: clearance time against interception"
    assert ax.get_xlabel().startswith("Clearance time, mean (hours")
    assert ax.get_ylabel() == "Illicit shipments intercepted"
    labels = {t.get_text() for t in ax.texts}
    assert {"0", "0.1", "0.3"} <= labels, "every point is labelled with its value"
    # Each point drawn as its saved standing says; the frontier joins the efficient ones.
    drawn = {line.get_gid() for line in ax.lines if (line.get_gid() or "").startswith("point-")}
    standings = [p.frontier["mean"] for p in saved.points]
    assert drawn == {f"point-{i}-{s}" for i, s in enumerate(standings) if s != "missing"}
    frontier = [line for line in ax.lines if line.get_gid() == "frontier"]
    assert frontier or standings.count("efficient") <= 1, "the frontier is drawn"
    assert all(line.get_linestyle() == "--" for line in frontier)
    band = [line for line in ax.lines if line.get_gid() == "band"]
    assert bool(band) == ("band" in standings), "the band is shaded when there is one"
    p90 = plots.run_figures(saved, time="p90")["tradeoff"][0]
    assert p90.axes[0].get_xlabel().startswith("Clearance time, 90th percentile (hours")
    with pytest.raises(ValueError, match="mean, p90"):
        plots.run_figures(saved, time="median")


def test_figures_save_as_png_and_svg(tmp_path, run_folder):
    fig, _ = plots.run_figures(load_results(run_folder))["trs"]
    data = plots.save(fig, tmp_path / "figures", "trs")
    png = (tmp_path / "figures" / "trs.png").read_bytes()
    assert png == data["png"] and png.startswith(b"\x89PNG\r\n\x1a\n")
    width = int.from_bytes(png[16:20], "big")
    assert width == plots.WIDTH * plots.PNG_DPI, "wide enough for a slide"
    root = ET.fromstring((tmp_path / "figures" / "trs.svg").read_bytes())
    assert root.tag.endswith("svg")
    text = (tmp_path / "figures" / "trs.svg").read_text()
    assert "Time Release Study" in text, "SVG text stays text (editable on a slide)"
    assert plots.svg_bytes(fig) == data["svg"], "the same figure gives the same file"


def test_degenerate_results_still_draw(tmp_path):
    """No illicit goods, no cold chain, nothing checked, or queues that never empty: the
    figures that make sense are drawn and none fails."""
    cases = {
        "clean": tiny(),
        "green": tiny(),
        "overloaded": tiny(),
        "no-checks": tiny(),
    }
    cases["no-checks"]["checks"] = {}
    cases["no-checks"]["lanes"] = {"green": []}
    cases["no-checks"]["policy"] = {"kind": "random", "rates": {}}
    cases["clean"]["illicit"]["prevalence"] = 0.0
    del cases["clean"]["traffic"]["commodities"]["vaccine"]["cold_chain_hours"]
    cases["green"]["policy"] = {"kind": "random", "rates": {}}
    cases["overloaded"]["checks"]["physical"]["servers"] = 1
    cases["overloaded"]["policy"]["rates"] = {"red": 0.9}
    for name, data in cases.items():
        folder = sim.run(build(data), progress=False, executor="serial").save(tmp_path / name)
        figures = plots.run_figures(load_results(folder))
        for fig, _ in figures.values():
            plots.png_bytes(fig, dpi=30)
        if name == "clean":
            assert "cold-chain" not in figures and "illicit" not in figures
        if name == "no-checks":
            assert "queues" not in figures
    overloaded = load_results(tmp_path / "overloaded").points[0]
    assert overloaded.stats["censored"]["mean"] > 0
    _, share, total = overloaded.profile.ecdf("all")
    assert share[-1] < 1.0, "shipments still inside keep the curve below 100%"


# --------------------------------------------------------------------------- profiles


def test_profile_agrees_with_the_metrics():
    scenario = build(tiny(days=4), checks__physical__servers=1)
    seed = sim.replication_seeds(3, 1)[0]
    rec = sim.simulate(scenario, seed)
    m = sim.replication_metrics(scenario, rec)
    prof = FigureData.of(scenario, rec)
    hours, share, total = prof.ecdf("all")
    assert total == m["released"] + m["censored"]
    assert m["censored"] > 0  # the curve is a Kaplan-Meier estimate from binned times: the
    # metric's, to the bins' resolution (where released and still-inside shipments share a bin)
    for t in (6.0, 24.0):
        j = int(np.flatnonzero(np.isclose(EDGES, t, rtol=0, atol=0))[0])
        assert share[j] == pytest.approx(m[f"within_{t:g}h_share"], abs=0.01)
    assert int(prof.hist["all"].sum()) == m["released"]
    assert sum(int(prof.hist[f"lane.{lane}"].sum()) for lane in rec.lanes) == m["released"]
    t = rec.traffic
    counted = (t.arrival >= scenario.warmup_hours) & (t.arrival < scenario.hours)
    legit = counted & (rec.outcome == 1) & (t.truth == 0)
    assert int(prof.hist["legit"].sum()) == legit.sum()
    still_inside = counted & (rec.outcome == 0) & (t.truth == 0)
    assert m["legit.clearance_hours_mean"] == pytest.approx(
        kaplan_meier(
            (rec.released - t.arrival)[legit], scenario.end_hours - t.arrival[still_inside]
        ).mean
    )
    # The mean of the hourly queue over the window is the station's time-average queue.
    s = prof.stations["physical"]["queue"]
    lo, hi = int(scenario.warmup_hours), int(scenario.hours)
    assert float(np.mean(s[lo:hi])) == pytest.approx(m["station.physical.queue_mean"], rel=1e-9)
    cold = prof.cold_counts["vaccine"]
    assert cold["spoiled"] == m["spoiled"]
    assert prof.cold["spoiled"].sum() == min(m["spoiled"], 50)


def test_catch_metrics_add_up():
    scenario = build(tiny(days=5), illicit__prevalence=0.2)
    m = sim.replication_metrics(scenario, sim.simulate(scenario, sim.replication_seeds(1, 1)[0]))
    kinds = list(scenario.illicit.kinds)
    caught = sum(m[f"intercepted_at.{c}.{k}"] for c in scenario.checks for k in kinds)
    leaked = sum(m[f"leaked_via.{lane}.{k}"] for lane in scenario.lanes for k in kinds)
    assert caught == m["intercepted"], "only illicit goods are intercepted here"
    assert leaked == m["leaks"]
    assert sum(m[f"kind.{k}.shipments"] for k in kinds) == m["illicit"]
    for k in kinds:
        rate = sum(m[f"intercepted_at.{c}.{k}"] for c in scenario.checks) / m[f"kind.{k}.shipments"]
        assert rate == pytest.approx(m[f"kind.{k}.interception_rate"])
    assert m["leaked_via.green.falsified"] + m["leaked_via.green.substandard"] > 0


def test_profiles_are_identical_across_executors_and_read_back_exactly(tmp_path):
    data = tiny(replications=3)
    here = sim.run(build(data), progress=False, executor="serial")
    there = sim.run(build(data), progress=False, executor="processes", workers=2)
    assert json.dumps(here.profile.to_json()) == json.dumps(there.profile.to_json())
    assert json.dumps(here.replications) == json.dumps(there.replications)
    back = FigureData.from_json(json.loads(json.dumps(here.profile.to_json())))
    for group, counts in here.profile.hist.items():
        np.testing.assert_array_equal(back.hist[group], counts)
    np.testing.assert_allclose(
        back.stations["physical"]["queue"], here.profile.stations["physical"]["queue"], rtol=1e-5
    )
    assert back.replications == 3 and back.cold_counts == here.profile.cold_counts
    with pytest.raises(ValueError):
        FigureData.from_json({"format": 99})


def test_long_runs_keep_small_series():
    data = tiny(days=110, replications=1, warmup_days=0)
    data["traffic"]["shipments_per_day"] = 4
    result = sim.run(build(data), progress=False, executor="serial")
    prof = result.profile
    assert prof.step_hours == 2
    n = len(prof.stations["documents"]["queue"])
    assert n <= MAX_STEPS and n == math.ceil(113 * 24 / 2)
    assert prof.hours_axis()[-1] == (n - 1) * 2
    assert sum(len(v) for v in prof.hist.values()) < 2000, "fixed size whatever the traffic"
