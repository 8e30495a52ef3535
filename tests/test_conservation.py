"""Conservation, recomputed from one replication's records without the metrics code: the
shipments counted, every shipment's outcome, each station's arrivals and waits; and daily
absences that leave servers x (1 - absence) officers on duty on average.

The window is read from the scenario data (``warmup_days``, ``days``), the visits from the
per-shipment export (``Records.columns``): the expected values are computed here, never by
the metrics code they are compared with. A station's wait is that of the visits that *joined
its queue* in the window (docs/model.md, "Checks (stations)"): a visit that joined during the
warm-up is not counted, even if it started later.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

import sim

from conftest import mmc_data, tiny

OUTCOMES = {"released", "intercepted", "in_system"}


def one_replication(data: dict[str, Any], seed: int):
    scenario = sim.from_dict(data, "<conservation>")
    records = sim.simulate(scenario, np.random.SeedSequence(seed))
    return scenario, records, sim.replication_metrics(scenario, records)


def quantile(values: list[float], q: float) -> float:
    """The q-quantile by linear interpolation between order statistics (numpy's default)."""
    xs = sorted(values)
    h = (len(xs) - 1) * q
    i = math.floor(h)
    return xs[i] if i + 1 >= len(xs) else xs[i] + (h - i) * (xs[i + 1] - xs[i])


def assert_conserved(data: dict[str, Any], seed: int) -> dict[str, float]:
    scenario, rec, m = one_replication(data, seed)
    lo = data["scenario"]["warmup_days"] * 24.0
    hi = data["scenario"]["days"] * 24.0
    cols = rec.columns(scenario)
    n = len(cols["id"])
    arrival, released, outcome = cols["arrival"], cols["released"], cols["outcome"]

    # Every shipment simulated (counted or not) ends released, intercepted or still inside.
    assert set(outcome) <= OUTCOMES
    is_released = outcome == "released"
    is_intercepted = outcome == "intercepted"
    assert np.array_equal(~np.isnan(released), is_released), "a release time iff released"
    # Released at arrival or later; one cleared before arrival is released at the instant of a
    # timeout until arrival, now + (arrival - now), which may fall an ulp short of arrival.
    assert np.all(released[is_released] >= arrival[is_released] - 1e-9)
    assert np.array_equal(cols["intercepted_at"] != "", is_intercepted), "a check iff intercepted"
    for i in np.flatnonzero(is_intercepted):
        at = cols["intercepted_at"][i]
        assert not np.isnan(cols[f"{at}.end"][i]), "intercepted where its check was finished"

    # Arrivals counted: after the warm-up, before the end of the arrival window.
    counted = [lo <= arrival[i] < hi for i in range(n)]
    by_outcome = {o: sum(1 for i in range(n) if counted[i] and outcome[i] == o) for o in OUTCOMES}
    assert m["shipments"] == sum(counted) > 0
    assert m["released"] == by_outcome["released"]
    assert m["intercepted"] == by_outcome["intercepted"]
    assert m["censored"] == by_outcome["in_system"]
    assert m["shipments"] == m["released"] + m["intercepted"] + m["censored"]

    # Each station: the visits that joined its queue in the window, and their waits.
    for name in scenario.checks:
        enter, start, end = (cols[f"{name}.{what}"] for what in ("enter", "start", "end"))
        visited = ~np.isnan(enter)
        assert np.all(start[visited & ~np.isnan(start)] >= enter[visited & ~np.isnan(start)])
        assert np.all(np.isnan(start[~visited])) and np.all(np.isnan(end[~visited]))
        assert np.all(np.isnan(end[np.isnan(start)])), "no end without a start"
        joined = [i for i in range(n) if visited[i] and lo <= enter[i] < hi]
        waits = [start[i] - enter[i] for i in joined if not math.isnan(start[i])]
        p = f"station.{name}."
        assert m[p + "arrivals"] == len(joined), name
        if waits:
            assert m[p + "wait_hours_mean"] == pytest.approx(
                math.fsum(waits) / len(waits), rel=1e-9, abs=1e-12
            ), name
            assert m[p + "wait_hours_p90"] == pytest.approx(
                quantile(waits, 0.9), rel=1e-9, abs=1e-12
            ), name
        else:
            assert math.isnan(m[p + "wait_hours_mean"]), name
    return m


def scenario_data(warmup_days: float, prearrival: bool, red: float) -> dict[str, Any]:
    """tiny() for four days: two checks (one on office hours), lodgement delays; with
    pre-arrival processing some documentary checks run before the goods arrive."""
    data = tiny(days=4, warmup_days=warmup_days)
    data["policy"]["rates"]["red"] = red
    if prearrival:
        data["policy"]["prearrival"] = {"lead_hours": 6}
    return data


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_recomputed_counts_and_station_waits_match_the_metrics(seed):
    m = assert_conserved(scenario_data(1, prearrival=True, red=0.2), seed)
    assert m["station.physical.arrivals"] > 5 and m["station.documents.arrivals"] > 5


@settings(max_examples=20, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    warmup_days=st.sampled_from([0.5, 1, 1.75, 2]),
    prearrival=st.booleans(),
    red=st.sampled_from([0.0, 0.1, 0.4]),
)
def test_conservation_of_any_replication(seed, warmup_days, prearrival, red):
    assert_conserved(scenario_data(warmup_days, prearrival, red), seed)


# ------------------------------------------------------------------ absences


def absence_data(servers: int, absence: float, roster: bool = False) -> dict[str, Any]:
    """One check, 120 days counted, light traffic; ``roster``: open weekdays 8-16."""
    data = mmc_data(lam=0.2, c=servers, days=130, warmup_days=10, replications=1)
    data["checks"]["desk"]["absence"] = absence
    if roster:
        data["rosters"] = {"day": {"days": ["mon", "tue", "wed", "thu", "fri"], "hours": [[8, 16]]}}
        data["checks"]["desk"]["roster"] = "day"
    return data


@pytest.mark.parametrize(("servers", "absence", "seed"), [(4, 0.75, 1), (2, 0.5, 2), (3, 0.9, 3)])
def test_absences_leave_servers_times_presence_on_duty(servers, absence, seed):
    """24/7: each day servers - Binomial(servers, absence) officers are on duty, all day. The
    mean over the counted days is servers x (1 - absence) within 5 standard errors (about
    0.4 officer here), while absences drawn for one officer too few add `absence` (>= 0.5)."""
    data = absence_data(servers, absence)
    scenario, rec, _ = one_replication(data, seed)
    desk = rec.stations["desk"]
    days = data["scenario"]["days"] - data["scenario"]["warmup_days"]
    mean_on_duty = desk.capacity_area / (days * 24.0)
    expected = servers * (1 - absence)
    se = math.sqrt(servers * absence * (1 - absence) / days)
    assert abs(mean_on_duty - expected) <= 5 * se, (
        f"{mean_on_duty:.3f} officers on duty on average, expected {expected:.3f} "
        f"({(mean_on_duty - expected) / se:+.1f} standard errors)"
    )

    # Hour by hour over the whole run: constant within each day, a whole number of officers.
    hourly = desk.hourly_on_duty
    whole_days = len(hourly) // 24
    daily = hourly[: whole_days * 24].reshape(whole_days, 24)
    assert np.all(daily == daily[:, :1]), "absences change only at midnight"
    assert np.all(daily == np.round(daily)) and daily.min() >= 0 and daily.max() <= servers
    # The number on duty is Binomial(servers, 1 - absence): the days with each count are
    # as many as that says (an exact binomial test, at a level no correct model reaches).
    on_duty = daily[:, 0].astype(int)
    for k in range(servers + 1):
        p = stats.binom.pmf(k, servers, 1 - absence)
        days_k = int((on_duty == k).sum())
        assert stats.binomtest(days_k, whole_days, p).pvalue > 1e-6, (
            f"{k} of {servers} on duty on {days_k} of {whole_days} days, expected {p:.3f}"
        )


def test_absences_within_office_hours():
    """On a roster: nobody on duty while closed; while open, servers x (1 - absence) on
    average (per open day, 5 standard errors)."""
    servers, absence = 3, 0.8
    data = absence_data(servers, absence, roster=True)
    scenario, rec, _ = one_replication(data, seed=4)
    hourly = rec.stations["desk"].hourly_on_duty
    whole_days = len(hourly) // 24
    daily = hourly[: whole_days * 24].reshape(whole_days, 24)
    weekday = np.arange(whole_days) % 7 < 5  # day 0 is a Monday
    closed = np.ones((whole_days, 24), dtype=bool)
    closed[np.ix_(weekday, np.arange(8, 16))] = False
    assert np.all(daily[closed] == 0), "nobody on duty while the roster is closed"
    open_days = daily[weekday][:, 8:16]
    assert np.all(open_days == open_days[:, :1]), "one draw of absences per day"
    on_duty = open_days[:, 0]
    expected = servers * (1 - absence)
    se = math.sqrt(servers * absence * (1 - absence) / on_duty.size)
    assert abs(on_duty.mean() - expected) <= 5 * se, f"{on_duty.mean():.3f} vs {expected:.3f}"
    assert on_duty.min() == 0, "some days every officer is away"


def test_no_absence_means_every_officer_on_duty():
    data = absence_data(servers=3, absence=0.0)
    _, rec, _ = one_replication(data, seed=5)
    assert np.all(rec.stations["desk"].hourly_on_duty == 3)
