"""Experiments from Python: replications and their intervals, replications "auto", common
random numbers and paired differences, variants, result objects and their files."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

import sim
from sim.experiment.compare import merge
from sim.experiment.options import ExperimentError
from sim.experiment.replications import Replications, next_count
from sim.experiment.sweep import _range
from sim.measure.statistics import paired_differences, pareto_efficient

from conftest import build, write_toml
from conftest import tiny as shared_tiny


def tiny(days: float = 3, replications: int = 3, **scenario: Any) -> dict[str, Any]:
    return shared_tiny(days, replications, **scenario)


def flat(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict) and v:
            out.update(flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


# ------------------------------------------------------------------------------- run


def test_run_summary_is_a_method_and_indexing_gives_means():
    result = sim.run(build(tiny()), progress=False)
    summary = result.summary()
    assert summary is result.stats
    s = summary["clearance_hours_mean"]
    assert set(s) == {"mean", "ci_low", "ci_high", "half_width", "sd", "n", "method"}
    assert result["clearance_hours_mean"] == s["mean"]
    assert s["ci_low"] < s["mean"] < s["ci_high"]
    assert s["half_width"] == pytest.approx(s["mean"] - s["ci_low"])
    values = [r["clearance_hours_mean"] for r in result.replications]
    low, high = stats.t.interval(0.95, len(values) - 1, np.mean(values), stats.sem(values))
    assert (s["ci_low"], s["ci_high"]) == pytest.approx((low, high))
    assert result.executor == "serial", "a tiny run is not worth starting processes"


def test_replications_are_a_prefix_of_more_replications():
    """Replication i has the same seed whatever the number of replications."""
    three = sim.run(build(tiny()), replications=3, progress=False).replications
    five = sim.run(build(tiny()), replications=5, progress=False).replications
    assert json.dumps(three) == json.dumps(five[:3])


def test_auto_replications_stop_at_the_target_and_say_so():
    scenario = build(tiny(), illicit__prevalence=0.2)
    result = sim.run(
        scenario, replications="auto", precision=0.2, max_replications=60, progress=False
    )
    p = result.precision
    assert p is not None and p.reached
    n = len(result.replications)
    assert 3 < n < 60 and p.replications == n
    assert result.scenario.scenario.replications == n, "the scenario as it ran"
    for metric in sim.AUTO_METRICS:
        s = result.summary()[metric]
        assert s["half_width"] <= 0.2 * abs(s["mean"]) + 1e-12, metric
    assert "reached the target" in result.text()
    # The same numbers as a fixed run of that many replications (common seeds).
    fixed = sim.run(scenario, replications=n, progress=False)
    assert json.dumps(fixed.replications) == json.dumps(result.replications)


def test_auto_replications_stop_at_the_maximum_and_say_so():
    result = sim.run(
        build(tiny()), replications="auto", precision=0.001, max_replications=6, progress=False
    )
    assert len(result.replications) == 6
    assert not result.precision.reached
    assert "stopped at the maximum of 6 replications" in result.text()


def test_next_count_is_deterministic_and_bounded():
    plan = Replications(4, auto=True, precision=0.05, maximum=50)
    reps = [{"clearance_hours_mean": 10 + d, "interception_rate": 0.5} for d in (0, 1, -1, 2)]
    more, report = next_count(reps, plan)
    assert report is None and 5 <= more <= 8, "at least one more, at most double"
    done, report = next_count([{"clearance_hours_mean": 3.0, "interception_rate": 0.2}] * 4, plan)
    assert done == 4 and report.reached
    # A metric without any data (no illicit goods) does not block the target.
    no_illicit = [{"clearance_hours_mean": 3.0, "interception_rate": math.nan}] * 4
    assert next_count(no_illicit, plan)[0] == 4


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        (dict(replications="often"), "replications must be"),
        (dict(replications=0), "at least 1"),
        (dict(replications="auto", precision=1.5), "precision must be"),
        (dict(replications="auto", max_replications=1), "at least 2"),
        (dict(precision=0.1), "only with replications='auto'"),
        (dict(executor="threads"), "unknown executor"),
        (dict(executor="serial", workers=4), "the serial executor"),
    ],
)
def test_bad_arguments_are_clear(kwargs, words):
    with pytest.raises((ExperimentError, sim.ScenarioError, Exception)) as err:
        sim.run(build(tiny()), progress=False, **kwargs)
    assert words in str(err.value)


def test_to_dataframe_and_parquet(tmp_path):
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    result = sim.run(build(tiny()), progress=False)
    df = result.to_dataframe()
    assert list(df.columns) == ["metric", "mean", "ci_low", "ci_high", "half_width", "sd", "n"]
    assert df.set_index("metric").loc["leaks", "mean"] == result["leaks"]
    reps = result.to_dataframe("replications")
    assert len(reps) == 3 and "clearance_hours_mean" in reps
    folder = result.save(tmp_path / "out", format="parquet")
    assert (folder / "summary.parquet").exists() and not (folder / "summary.csv").exists()
    back = pd.read_parquet(folder / "replications.parquet")
    assert back["clearance_hours_mean"].tolist() == reps["clearance_hours_mean"].tolist()


def test_missing_pandas_is_a_clear_error(monkeypatch, tmp_path):
    import builtins

    real = builtins.__import__

    def no_pandas(name, *args, **kwargs):
        if name in ("pandas", "pyarrow"):
            raise ImportError(name)
        return real(name, *args, **kwargs)

    result = sim.run(build(tiny()), progress=False)
    monkeypatch.setattr(builtins, "__import__", no_pandas)
    with pytest.raises(ImportError, match=r"pip install -e '\.\[dataframe\]'"):
        result.to_dataframe()
    with pytest.raises(ImportError, match=r"pip install -e '\.\[dataframe\]'"):
        result.save(tmp_path / "out", format="parquet")
    assert not (tmp_path / "out").exists()


# ------------------------------------------------------------------------------- CRN, compare


@pytest.mark.parametrize(
    ("variant", "metric"),
    [
        ({"checks.physical.servers": 4}, "clearance_hours_mean"),
        ({"policy.rates.red": 0.15}, "interception_rate"),
    ],
)
def test_paired_interval_is_narrower_than_unpaired(variant, metric):
    """Under common random numbers both points see the same shipments, service times and
    detection draws, so the difference of a metric varies far less than the metric does: the
    paired interval of the difference is narrower than the one that treats the two as
    independent samples."""
    result = sim.compare(
        build(tiny(days=7, replications=8)), variants={"v": variant}, progress=False
    )
    a = [r[metric] for r in result.points[0].replications]
    b = [r[metric] for r in result.points[1].replications]
    paired = result.differences()["v"][metric]
    # A share's difference is that of the pooled shares shown side by side; a time's, the mean
    # of the differences; the half-width is the paired t-interval's either way.
    shown = [p.stats[metric]["mean"] for p in result.points]
    assert paired["mean"] == pytest.approx(shown[1] - shown[0])
    if metric == "clearance_hours_mean":
        assert paired["mean"] == pytest.approx(np.mean(b) - np.mean(a))
    low, high = stats.ttest_rel(b, a).confidence_interval(0.95)
    assert paired["ci_high"] - paired["ci_low"] == pytest.approx(high - low)
    assert paired["ci_low"] < paired["mean"] < paired["ci_high"]
    unpaired = stats.ttest_ind(b, a, equal_var=False).confidence_interval(0.95)
    assert high - low < 0.6 * (unpaired.high - unpaired.low)
    assert np.corrcoef(a, b)[0, 1] > 0.7, "common random numbers make them correlated"


def test_paired_differences_skip_missing_values():
    ref = [{"x": 1.0, "y": math.nan}, {"x": 2.0, "y": 1.0}, {"x": 4.0, "y": 2.0}]
    other = [{"x": 2.0, "y": 5.0}, {"x": 2.5, "y": 2.0}, {"x": 5.0, "y": 4.0}]
    d = paired_differences(ref, other)
    assert d["x"]["mean"] == pytest.approx(0.8333333333) and d["x"]["n"] == 3
    assert d["y"]["mean"] == pytest.approx(1.5) and d["y"]["n"] == 2


def test_variants_override_only_what_they_name(tmp_path):
    data = tiny()
    data["variants"] = {
        "staff": {"checks": {"physical": {"servers": 5, "roster": "24/7"}}},
        "strict": {"policy": {"rates": {"red": 0.3}}, "illicit": {"prevalence": 0.1}},
        "scored": {"policy": {"kind": "random", "rates": {"yellow": 0.5}}},
    }
    file = write_toml(tmp_path / "v.toml", data)
    result = sim.compare(file, replications=2, progress=False)
    assert result.labels == ["small", "staff", "strict", "scored"]
    base = flat(result.points[0].point.scenario.to_dict())
    assert "variants" not in base
    for point, named in zip(
        result.points[1:],
        [
            {"checks.physical.servers", "checks.physical.roster"},
            {"policy.rates.red", "illicit.prevalence"},
            {"policy.rates.yellow"},
        ],
        strict=True,
    ):
        got = flat(point.point.scenario.to_dict())
        changed = {k for k in base.keys() | got.keys() if base.get(k) != got.get(k)}
        assert changed == named, point.label
    # The same kind of policy merges; a new kind replaces the [policy] table.
    assert merge({"policy": {"kind": "a", "x": 1}}, {"policy": {"kind": "a", "y": 2}}) == {
        "policy": {"kind": "a", "x": 1, "y": 2}
    }
    assert merge({"policy": {"kind": "a", "x": 1}}, {"policy": {"kind": "b", "y": 2}}) == {
        "policy": {"kind": "b", "y": 2}
    }


def test_every_point_shares_the_first_seed(tmp_path):
    a = write_toml(tmp_path / "a.toml", tiny(replications=2))
    other = tiny(replications=4, seed=99)
    other["policy"]["rates"]["red"] = 0.2
    b = write_toml(tmp_path / "b.toml", other)
    result = sim.compare([a, b], progress=False)
    assert result.labels == ["small", "small-2"]
    assert [len(p.replications) for p in result.points] == [2, 2]
    assert all(p.point.scenario.scenario.seed == 11 for p in result.points)
    assert any("sets seed 99; every scenario runs with seed 11" in n for n in result.notes)
    # Traffic is common: the same shipments arrive at both.
    for ra, rb in zip(*(p.replications for p in result.points), strict=True):
        assert ra["shipments"] == rb["shipments"] and ra["illicit"] == rb["illicit"]


def test_bad_variants_name_the_variant_key(tmp_path):
    data = tiny()
    data["variants"] = {"oops": {"checks": {"physical": {"servers": 0}}}}
    file = write_toml(tmp_path / "v.toml", data)
    with pytest.raises(sim.ScenarioError) as err:
        sim.compare(file, progress=False)
    assert err.value.problems[0][0] == "variants.oops.checks.physical.servers"
    data["variants"] = {"reseeded": {"scenario": {"seed": 3}}}
    with pytest.raises(sim.ScenarioError, match="common random numbers"):
        sim.compare(write_toml(tmp_path / "w.toml", data), progress=False)
    with pytest.raises(ExperimentError, match="nothing to compare"):
        sim.compare(write_toml(tmp_path / "one.toml", tiny()), progress=False)


def test_compare_result_files_and_dataframes(tmp_path):
    pytest.importorskip("pandas")
    result = sim.compare(
        {"base": build(tiny()), "staffed": build(tiny(), checks__physical__servers=6)},
        replications=2,
        progress=False,
    )
    assert result["staffed"]["shipments"] == result["base"]["shipments"]
    assert set(result.summary()) == {"base", "staffed"}
    folder = result.save(tmp_path / "cmp")
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(
        [
            "comparison.csv",
            "differences.csv",
            "experiment.json",
            "manifest.json",
            "points",
            "profiles",
            "replications.csv",
            "scenarios",
            "summary.csv",
            "summary.json",
        ]
    )
    summary = json.loads((folder / "summary.json").read_text())
    assert summary["points"][1]["reference"] == "base"
    assert "clearance_hours_mean" in summary["points"][1]["differences"]
    tidy = result.to_dataframe("replications")
    assert list(tidy.columns) == ["scenario", "replication", "metric", "value"]
    assert len(tidy) == sum(len(r) for p in result.points for r in p.replications)
    wide = result.to_dataframe("comparison").set_index("metric")
    assert wide.loc["leaks", "staffed - base mean"] == pytest.approx(
        result.differences()["staffed"]["leaks"]["mean"]
    )
    assert "Comparison of 2 scenarios" in result.text()


def test_pareto_efficient_points():
    times = [1.0, 2.0, 2.0, 3.0, 0.5, None, 3.0]
    catches = [0.1, 0.3, 0.2, 0.3, 0.1, 0.9, 0.5]
    assert pareto_efficient(times, catches) == [False, True, False, False, True, False, True]
    assert pareto_efficient([1.0, 1.0], [0.2, 0.2]) == [True, True], "ties are not dominated"


@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), max_size=25))
def test_pareto_matches_its_definition(pairs):
    """Efficient exactly when no other point is at least as good on both and better on one."""
    times = [t / 2 for t, _ in pairs]
    catches = [c / 6 for _, c in pairs]
    got = pareto_efficient(times, catches)
    for i, (t, c) in enumerate(zip(times, catches, strict=True)):
        dominated = any(
            t2 <= t and c2 >= c and (t2 < t or c2 > c)
            for t2, c2 in zip(times, catches, strict=True)
        )
        assert got[i] == (not dominated)


@given(
    st.floats(-1e6, 1e6, allow_nan=False),
    st.floats(-1e6, 1e6, allow_nan=False),
    st.integers(2, 50),
)
def test_ranges_include_both_ends_evenly(start, stop, count):
    values = _range(start, stop, count)
    assert len(values) == count
    assert values[0] == pytest.approx(start, rel=1e-11, abs=1e-9)
    assert values[-1] == pytest.approx(stop, rel=1e-11, abs=1e-9)
    steps = np.diff(values)
    assert np.allclose(steps, (stop - start) / (count - 1), rtol=1e-6, atol=1e-6)


def test_a_variant_can_switch_a_distribution_to_another_kind():
    """A variant's distribution replaces the base's whole (a lognormal's cv does not leak into
    a fixed duration), as --set does."""
    from sim.experiment.compare import merge

    base = {"checks": {"desk": {"duration_hours": {"dist": "lognormal", "mean": 1.0, "cv": 0.5}}}}
    new = merge(base, {"checks": {"desk": {"duration_hours": {"dist": "fixed", "value": 0.5}}}})
    assert new["checks"]["desk"]["duration_hours"] == {"dist": "fixed", "value": 0.5}
    same_kind = merge(
        base, {"checks": {"desk": {"duration_hours": {"dist": "lognormal", "mean": 2}}}}
    )
    assert same_kind["checks"]["desk"]["duration_hours"] == {"dist": "lognormal", "mean": 2}
