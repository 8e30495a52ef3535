"""Costs and harms: ``[costs]`` prices, the ``units`` column and the cost metrics.

Costs are linear in their prices and never below 0; a part priced at 0 costs 0; the total is the
sum of its parts; the quantities they price agree with a direct count from the records; and a
scenario without ``[costs]``, ``units`` or ``value_usd`` gets no new metric and no number moves.
"""

from __future__ import annotations

import gzip
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.files.text import cost_lines
from sim.measure import names
from sim.measure.costs import costs
from sim.measure.statistics import summarise
from sim.model.border import Border
from sim.model.records import IN_SYSTEM, RELEASED, write_trace
from sim.schema import ScenarioError
from sim.schema.costs import Costs
from sim.streams import Streams

from conftest import build, changed, small_data

PRICES = {
    "delay_per_hour": {"vaccine": 25.0, "medicine": 5.0},
    "value_share_per_day": 0.01,
    "officer_hour": 40.0,
    "check_hour": {"physical": 60.0},
    "per_check": {"physical": 300.0, "documents": 10.0},
    "spoiled_unit": {"vaccine": 20.0},
    "harm_per_unit": {"falsified": 5.0, "substandard": 2.0},
}


def priced_data(**changes) -> dict:
    """small_data() for a week, vaccines with units and values, medicines with values only,
    and [costs]."""
    data = changed(
        small_data(),
        scenario__days=7,
        traffic__commodities__vaccine__units={"dist": "lognormal", "mean": 400, "cv": 0.8},
        traffic__commodities__vaccine__value_usd={"dist": "lognormal", "mean": 5e4, "cv": 1.0},
        traffic__commodities__medicine__value_usd={"dist": "lognormal", "mean": 2e4, "cv": 1.5},
        costs=PRICES,
    )
    return changed(data, **changes)


def run(scenario: sim.Scenario, exact: bool = False, replication: int = 0) -> sim.Records:
    seed = sim.replication_seeds(scenario.scenario.seed, replication + 1)[replication]
    border = Border(scenario, Streams(seed), None, exact=exact)
    border.run()
    return border.records


@pytest.fixture(scope="module")
def priced():
    """(scenario, records, masks) of one replication of the priced scenario."""
    scenario = build(priced_data())
    rec = run(scenario)
    t = rec.traffic
    counted = (t.arrival >= scenario.warmup_hours) & (t.arrival < scenario.hours)
    released = counted & (rec.outcome == RELEASED)
    censored = counted & (rec.outcome == IN_SYSTEM)
    return scenario, rec, (counted, released, censored)


def priced_at(priced, **prices) -> dict[str, float]:
    """The cost metrics of the same records at other prices (prices do not change the run)."""
    scenario, rec, masks = priced
    return costs(scenario.model_copy(update={"costs": Costs(**prices)}), rec, *masks)


PARTS = [names.cost(p) for p in names.COST_PARTS]


def test_the_priced_scenario_has_something_to_price(priced):
    m = priced_at(priced, **PRICES)
    assert all(m[p] > 0 for p in PARTS), m
    assert m[names.cost("per_shipment")] == m[names.cost("total")] / priced[2][0].sum()


def test_a_zero_price_costs_nothing(priced):
    # With no price per spoiled unit a spoiled shipment costs its declared value (not a price).
    valued = priced_at(priced)
    assert valued[names.cost("spoiled")] == valued[names.goods("spoiled", "value_usd")] > 0
    zero = priced_at(priced, spoiled_unit={"vaccine": 0.0})
    assert all(zero[names.cost(p)] == 0 for p in (*names.COST_PARTS, "total", "per_shipment"))
    # A part priced at 0 costs 0, whatever the other prices.
    assert priced_at(priced, **{**PRICES, "harm_per_unit": {}})[names.cost("harm")] == 0
    assert (
        priced_at(priced, **{**PRICES, "per_check": {"physical": 0.0}})[names.cost("checks")] == 0
    )
    none = priced_at(priced, **{**PRICES, "officer_hour": 0.0, "check_hour": {"physical": 0.0}})
    assert none[names.cost("officers")] == 0


@pytest.mark.parametrize(
    "key, part",
    [
        ("delay_per_hour", "delay"),
        ("officer_hour", "officers"),
        ("per_check", "checks"),
        ("spoiled_unit", "spoiled"),
        ("harm_per_unit", "harm"),
    ],
)
def test_doubling_a_price_doubles_its_cost_and_only_it(priced, key, part):
    # Delay without the time value of goods, officers without check_hour: one price each.
    base = {**PRICES, "value_share_per_day": 0.0, "check_hour": {}}
    doubled = dict(base)
    value = base[key]
    doubled[key] = {k: 2 * v for k, v in value.items()} if isinstance(value, dict) else 2 * value
    a, b = priced_at(priced, **base), priced_at(priced, **doubled)
    assert b[names.cost(part)] == 2 * a[names.cost(part)] > 0
    for other in PARTS:
        if other != names.cost(part):
            assert b[other] == a[other], other


def test_the_total_is_the_sum_of_its_parts(priced):
    m = priced_at(priced, **PRICES)
    assert m[names.cost("total")] == pytest.approx(sum(m[p] for p in PARTS), rel=1e-12)


price = st.floats(0, 1e4, allow_nan=False)


@settings(max_examples=40, deadline=None)
@given(
    delay=st.tuples(price, price),
    share=st.floats(0, 1),
    officer=price,
    check_hour=price,
    per_check=st.tuples(price, price),
    unit=price,
    harm=st.tuples(price, price),
)
def test_costs_are_linear_in_their_prices_and_never_negative(
    priced, delay, share, officer, check_hour, per_check, unit, harm
):
    """Every cost is the sum of each price times what it prices (measured with that price at 1
    and the others at 0), so never below 0."""
    keys = [
        ("delay_per_hour", "vaccine"),
        ("delay_per_hour", "medicine"),
        ("value_share_per_day", None),
        ("officer_hour", None),
        ("check_hour", "physical"),
        ("per_check", "physical"),
        ("per_check", "documents"),
        ("spoiled_unit", "vaccine"),
        ("harm_per_unit", "falsified"),
        ("harm_per_unit", "substandard"),
    ]
    values = [*delay, share, officer, check_hour, *per_check, unit, *harm]

    def prices(at: list[float]) -> dict:
        out: dict = {"check_hour": {"physical": 0.0}, "spoiled_unit": {"vaccine": 0.0}}
        for (key, name), v in zip(keys, at, strict=True):
            if name is None:
                out[key] = v
            else:
                out.setdefault(key, {})[name] = v
        return out

    basis = []
    for i in range(len(keys)):
        unit_prices = [0.0] * len(keys)
        unit_prices[i] = 1.0
        basis.append(priced_at(priced, **prices(unit_prices)))
    m = priced_at(priced, **prices(values))
    for metric in [*PARTS, names.cost("total")]:
        expected = sum(v * b[metric] for v, b in zip(values, basis, strict=True))
        assert m[metric] >= 0
        assert m[metric] == pytest.approx(expected, rel=1e-9, abs=1e-6), metric


def test_quantities_agree_with_the_records(priced):
    """Leaked and spoiled value and units, delay and harm, counted again from the shipment
    table as exported."""
    scenario, rec, (counted, released, censored) = priced
    m = sim.replication_metrics(scenario, rec)
    cols = rec.columns(scenario)
    truth, outcome = cols["truth"], cols["outcome"]
    mine = counted & (outcome == "released") & (truth != "legitimate")
    assert m[names.goods("leaked", "value_usd")] == pytest.approx(
        np.nansum(cols["value_usd"][mine])
    )
    assert m[names.goods("leaked", "units")] == np.nansum(cols["units"][mine])
    assert mine.sum() == m["leaks"] > 0
    assert m[names.goods("leaked", "units")] > 0
    kept = counted & (outcome != "intercepted")
    held = np.where(np.isnan(cols["released"]), scenario.end_hours, cols["released"])
    held -= cols["arrival"]
    spoiled = kept & (cols["commodity"] == "vaccine") & (held > 24)
    assert spoiled.sum() == m["spoiled"] > 0
    assert m[names.goods("spoiled", "units")] == np.nansum(cols["units"][spoiled])
    assert m[names.cost("spoiled")] == pytest.approx(20.0 * cols["units"][spoiled].sum())
    per_hour = np.where(cols["commodity"] == "vaccine", 25.0, 5.0)
    delay = (per_hour * held)[kept].sum() + 0.01 * (cols["value_usd"] * held)[kept].sum() / 24
    assert m[names.cost("delay")] == pytest.approx(delay, rel=1e-9)
    harm = np.where(truth == "falsified", 5.0, 2.0) * cols["units"]
    # A medicine (no units declared) leaked counts as one unit.
    harm = np.where(np.isnan(harm), np.where(truth == "falsified", 5.0, 2.0), harm)
    assert m[names.cost("harm")] == pytest.approx(harm[mine].sum(), rel=1e-9)
    hours = sum(s.capacity_area for s in rec.stations.values())
    assert m[names.OFFICER_HOURS] == hours > 0
    docs, phys = rec.stations["documents"], rec.stations["physical"]
    assert m[names.cost("officers")] == 40.0 * docs.capacity_area + 60.0 * phys.capacity_area


def test_units_are_whole_at_least_one_and_drawn_again_the_same(priced):
    scenario, rec, _ = priced
    t = rec.traffic
    units = t.units.copy()
    vaccine = t.commodity == list(scenario.traffic.commodities).index("vaccine")
    assert np.isnan(units[~vaccine]).all()
    assert (units[vaccine] >= 1).all() and (units[vaccine] == np.rint(units[vaccine])).all()
    t.forget()
    np.testing.assert_array_equal(t.units, units)


def test_both_paths_give_the_same_records_and_costs():
    scenario = build(priced_data(scenario__days=4))
    fast, slow = run(scenario, exact=False, replication=1), run(scenario, exact=True, replication=1)
    for name in ("released", "outcome", "intercepted_at", "lane", "enter", "start", "end"):
        np.testing.assert_array_equal(getattr(fast, name), getattr(slow, name), err_msg=name)
    a, b = sim.replication_metrics(scenario, fast), sim.replication_metrics(scenario, slow)
    assert a.keys() == b.keys() and any(names.is_cost(k) for k in a)
    assert all(a[k] == b[k] or (math.isnan(a[k]) and math.isnan(b[k])) for k in a)


def test_no_new_metric_and_no_number_moves_without_costs_units_or_values():
    plain = build(changed(small_data(), scenario__days=4))
    rec = run(plain)
    m = sim.replication_metrics(plain, rec)
    assert not any(names.is_amount(k) for k in m)
    # Prices, units and values change no number the scenario had: the run draws the same.
    priced = build(priced_data(scenario__days=4))
    rec2 = run(priced)
    for name in ("released", "outcome", "intercepted_at", "lane", "start", "end"):
        np.testing.assert_array_equal(getattr(rec, name), getattr(rec2, name), err_msg=name)
    m2 = sim.replication_metrics(priced, rec2)
    assert {k: v for k, v in m2.items() if not names.is_amount(k)}.keys() == m.keys()
    assert all(m2[k] == m[k] or (math.isnan(m[k]) and math.isnan(m2[k])) for k in m)
    # Values alone (as the shipped scenarios declare): quantities, no cost.
    valued = build(
        changed(
            small_data(),
            scenario__days=4,
            traffic__commodities__medicine__value_usd={"dist": "fixed", "value": 100.0},
        )
    )
    m3 = sim.replication_metrics(valued, run(valued))
    assert names.goods("leaked", "value_usd") in m3 and names.OFFICER_HOURS in m3
    assert not any(names.is_cost(k) for k in m3)
    assert names.goods("leaked", "units") not in m3


def test_the_trace_has_units_only_when_a_commodity_declares_them(priced, tmp_path):
    scenario, rec, _ = priced
    assert "units" in rec.columns(scenario)
    plain = build(changed(small_data(), scenario__days=2))
    assert "units" not in run(plain).columns(plain)
    write_trace(tmp_path / "t.csv.gz", [(0, rec.columns(scenario))])
    with gzip.open(tmp_path / "t.csv.gz", "rt") as fh:
        assert "units" in fh.readline().strip().split(",")


def test_money_and_units_are_means_with_t_intervals_not_counts():
    reps = [
        {"leaks": 3.0, "cost.total": 1e5, "leaked.units": 900.0, "spoiled.value_usd": 5e4},
        {"leaks": 5.0, "cost.total": 2e5, "leaked.units": 100.0, "spoiled.value_usd": 7e4},
    ]
    s = summarise(reps)
    assert s["leaks"]["method"] == "poisson"
    for metric in ("cost.total", "leaked.units", "spoiled.value_usd"):
        assert not names.is_count(metric) and names.is_amount(metric)
        assert s[metric]["method"] == "t" and s[metric]["ci_low"] >= 0
        assert names.split(metric) is None


def test_the_run_text_prints_money_without_cents():
    s = {
        names.cost("total"): {"mean": 1234567.891, "ci_low": 1e6, "ci_high": 1469135.78},
        names.cost("delay"): {"mean": 12.6, "ci_low": None, "ci_high": None},
    }
    text = "\n".join(cost_lines(s))
    assert "1,234,568  ± 234,568" in text and "US$" in text
    assert "13" in text and "12.6" not in text
    assert cost_lines({"leaked.units": {"mean": 3.0}}) == []


def problems(data) -> list[tuple[str, str]]:
    with pytest.raises(ScenarioError) as info:
        sim.from_dict(data, "<test>")
    return info.value.problems


@pytest.mark.parametrize(
    "key, name, words",
    [
        ("delay_per_hour", "vacine", ["unknown commodity 'vacine'", "did you mean 'vaccine'"]),
        ("check_hour", "phyiscal", ["unknown check 'phyiscal'", "did you mean 'physical'"]),
        ("per_check", "documnets", ["unknown check 'documnets'", "did you mean 'documents'"]),
        ("spoiled_unit", "vacine", ["unknown commodity 'vacine'", "did you mean 'vaccine'"]),
        ("harm_per_unit", "falsifed", ["unknown illicit kind", "did you mean 'falsified'"]),
    ],
)
def test_unknown_names_in_costs_are_refused_with_a_hint(key, name, words):
    found = problems(priced_data(**{f"costs__{key}": {name: 1.0}}))
    msgs = [msg for path, msg in found if path == f"costs.{key}.{name}"]
    assert len(msgs) == 1, found
    for w in words:
        assert w in msgs[0]


def test_bad_prices_and_units_are_refused():
    found = problems(priced_data(costs__spoiled_unit={"medicine": 3.0}))
    assert any(p == "costs.spoiled_unit.medicine" and "declares no units" in m for p, m in found), (
        found
    )
    found = problems(priced_data(costs__officer_hour=-1.0))
    assert [p for p, _ in found] == ["costs.officer_hour"]
    found = problems(priced_data(costs__value_share_per_day=1.5))
    assert [p for p, _ in found] == ["costs.value_share_per_day"]
    found = problems(priced_data(costs__delay_per_hour={"vaccine": "a lot"}))
    assert [p for p, _ in found] == ["costs.delay_per_hour.vaccine"]
    found = problems(priced_data(costs__price_of_tea=1.0))
    assert [p for p, _ in found] == ["costs.price_of_tea"]
    extreme = {"dist": "lognormal", "mean": 1e308, "cv": 2}
    found = problems(priced_data(traffic__commodities__vaccine__units=extreme))
    assert any(p == "traffic.commodities.vaccine.units" for p, _ in found), found


def test_the_run_and_its_report_show_costs_only_with_costs(tmp_path, capsys):
    from sim.files.read import load_results
    from sim.present.tables import cost_table

    from conftest import cli, write_toml

    with_costs = write_toml(tmp_path / "priced.toml", priced_data(scenario__days=2))
    code, out, _ = cli(capsys, "run", with_costs, "--out", tmp_path / "priced", "--no-report")
    assert code == 0 and "Costs and harms" in out and "Total, US$" in out
    html = cost_table(load_results(tmp_path / "priced"))
    assert "Costs and harms" in html and "traders" in html
    plain = write_toml(tmp_path / "plain.toml", changed(small_data(), scenario__days=2))
    code, out, _ = cli(capsys, "run", plain, "--out", tmp_path / "plain", "--no-report")
    assert code == 0 and "Costs" not in out
    assert cost_table(load_results(tmp_path / "plain")) == ""
