"""A roster repeats every week, also past the run: a payment or an exit after the end of the run
ends at a real opening, never at infinity."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.model.roster import Schedule
from sim.schema import Roster

DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


@st.composite
def rosters(draw) -> Roster:
    days = draw(st.lists(st.sampled_from(DAYS), min_size=1, max_size=7, unique=True))
    start = draw(st.floats(0, 23, allow_nan=False))
    end = draw(st.floats(start + 0.25, 24, allow_nan=False))
    return Roster(days=days, hours=[[start, end]])


@settings(max_examples=60, deadline=None)
@given(
    roster=rosters(),
    horizon=st.floats(0.5, 24 * 60),
    t=st.floats(0, 24 * 400, allow_nan=False),
)
def test_next_open_past_the_horizon_is_the_weekly_repeat(roster, horizon, t):
    short, long = Schedule(roster, horizon), Schedule(roster, 24 * 420)
    got = short.next_open(t)
    assert math.isfinite(got)
    assert got == long.next_open(t)
    assert got >= t and long.is_open(got)


def test_an_exit_on_office_hours_after_the_run_is_finite():
    s = sim.from_dict(
        {
            "scenario": {"name": "exit-office", "days": 3, "drain_days": 0, "seed": 3},
            "traffic": {"shipments_per_day": 200, "commodities": {"medicine": {"share": 1}}},
            "rosters": {"office": {"days": DAYS[:5], "hours": [[8.5, 17]]}},
            "exit": {"delay_hours": {"dist": "exponential", "mean": 30}, "roster": "office"},
            "lanes": {"green": []},
            "policy": {"kind": "random", "rates": {}, "default_lane": "green"},
        }
    )
    m = sim.replication_metrics(s, sim.simulate(s, sim.replication_seeds(3, 1)[0]))
    assert math.isfinite(m["exit.hours_mean"]) and m["exit.hours_mean"] > 0
