"""Properties of the model over generated scenarios: every policy kind and every modifier,
pre-arrival leads, traffic and illicit surges, alarm referrals, absences, office-hours rosters
and lab tests on guarantee, switched at random in tiny scenarios.

The generator builds valid data by construction (names it uses are defined, shares sum to 1,
rates to at most 1, the riskiest shipment's chance of being illicit stays below 1, surges and
operations end after they start, referrals run one way, so never in a circle), and
``test_most_generated_scenarios_are_valid`` holds it to that: over a fixed, derandomised draw
of examples at least ``VALID_FLOOR`` of them must load.

The invariants are those of ``test_model.assert_conserved`` (every shipment has one outcome,
released at or after arrival, intercepted only if illicit and at a check that can find its
kind, station timestamps ordered, rosters and officers respected, counts and segments add up)
and, here, those of the selection: why each declaration left the default lane agrees with what
the policy's modifiers allow.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np
from hypothesis import HealthCheck, Phase, given, reject, settings
from hypothesis import strategies as st
from test_model import assert_conserved, one_rep

import sim
from sim.policies.selectivity import ALERT, NOT_SELECTED, OPERATION, RANDOM

# --------------------------------------------------------------------------- the generator

DISTS = [
    {"dist": "exponential", "mean": 0.5},
    {"dist": "lognormal", "mean": 1.5, "cv": 1.2},
    {"dist": "gamma", "mean": 2.0, "cv": 0.5},
    {"dist": "fixed", "value": 1.0},
    {"dist": "uniform", "low": 0.1, "high": 0.9},
    {"dist": "triangular", "low": 0.5, "mode": 1.0, "high": 4.0},
    {"dist": "empirical", "values": [0.0, 0.25, 3.0]},
]
ROSTERS = {
    "office": {"days": ["mon", "tue", "wed", "thu", "fri"], "hours": [[8.5, 17.0]]},
    "split": {"days": ["mon", "tue", "wed", "thu", "fri", "sat"], "hours": [[7, 12], [13, 19]]},
    "nights": {
        "days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"],
        "hours": [[0, 6], [18, 24]],
    },
    "weekend": {"days": ["sat", "sun"], "hours": [[9, 13]]},
}
ROSTER_NAMES = ["24/7", "24/7", *ROSTERS]
COMMODITIES = ["vaccine", "medicine", "device"]
KIND_MIXES = [
    {"falsified": 0.5, "substandard": 0.5},
    {"falsified": 0.3, "substandard": 0.7},
    {"falsified": 1.0},
]
# Checks in an order in which an alarm is only ever referred to a later check (no circles).
# Referrals chain (documents -> scan -> physical -> lab); the route "back" passes physical
# before the scan that refers to it, so an alarm is referred back to a check that may itself
# have referred its alarm on (test_alarm_referred_back_takes_the_verdict_of_the_chain).
CHECKS = {
    "documents": ("documentary", ["intercept", "physical", "scan"]),
    "permit": ("permit", ["intercept"]),
    "scan": ("scan", ["intercept", "physical", "lab"]),
    "physical": ("physical", ["intercept", "lab"]),
    "lab": ("lab", ["intercept"]),
    "cold_store": ("physical", ["intercept"]),
}
LANES = {
    "green": [],
    "yellow": ["documents"],
    "red": ["documents", "physical"],
    "scan": ["scan"],
    "nii": ["scan", "physical"],  # scan then physical: a referral must not examine twice
    "back": ["physical", "scan"],  # an alarm referred back to a check already passed
    "lab": ["lab", "documents"],
    "paper": ["permit", "documents"],  # papers only: may be cleared before arrival
    "cold": ["cold_store"],
}
WITH_CHECKS = [lane for lane, route in LANES.items() if route]


def subset(draw, names: list[str], min_size: int = 0) -> list[str]:
    """Some of ``names``, in their order."""
    chosen = set(draw(st.lists(st.sampled_from(names), unique=True, min_size=min_size)))
    return [n for n in names if n in chosen]


def groups(draw, prefix: str) -> dict[str, dict[str, float]]:
    """One to three groups with shares summing to 1 and their relative risks."""
    weights = draw(st.lists(st.integers(1, 4), min_size=1, max_size=3))
    return {
        f"{prefix}{i}": {
            "share": w / sum(weights),
            "illicit_factor": draw(st.sampled_from([0.5, 1.0, 3.0])),
        }
        for i, w in enumerate(weights)
    }


def auc(draw, kinds: list[str]) -> float | dict[str, float]:
    if draw(st.booleans()):
        return draw(st.sampled_from([0.5, 0.75, 0.95]))
    return {k: draw(st.sampled_from([0.6, 0.9])) for k in subset(draw, kinds, min_size=1)}


def shares_of(draw, lanes: list[str]) -> dict[str, float]:
    """Rates of some lanes, summing to at most 1."""
    weights = {lane: draw(st.integers(0, 3)) for lane in lanes}
    total = sum(weights.values()) + draw(st.integers(0, 3))
    return {lane: w / total for lane, w in weights.items() if w}


def base_policy(draw, kinds: list[str], commodities: list[str], traffic: dict) -> dict[str, Any]:
    """The ``[policy]`` table of a kind, without the modifiers."""
    kinds_of_policy = ["risk_score", "random", "quota", "profiles", "risk_score", "capacity_aware"]
    kind = draw(st.sampled_from(kinds_of_policy))  # (risk_score twice: threshold and budget)
    default = draw(st.sampled_from(["green", "green", "yellow"]))
    others = [lane for lane in LANES if lane != default]
    policy: dict[str, Any] = {"kind": kind, "default_lane": default}
    if kind == "random":
        policy["rates"] = shares_of(draw, others)
    elif kind == "quota":
        policy.update(
            auc=auc(draw, kinds),
            rates=shares_of(draw, others),
            window=draw(st.sampled_from([10, 50, 1000])),
        )
    elif kind == "risk_score":
        policy.update(auc=auc(draw, kinds), lane=draw(st.sampled_from(others)))
        if draw(st.booleans()):
            policy["threshold"] = draw(st.sampled_from([-1.0, 0.5, 1.645, 3.0]))
        else:
            policy["budget"] = draw(st.sampled_from([0.0, 0.05, 0.3, 1.0]))
            policy["window"] = draw(st.sampled_from([10, 50, 1000]))
    elif kind == "capacity_aware":
        budget = draw(st.sampled_from([0.05, 0.3, 1.0]))
        policy.update(
            auc=auc(draw, kinds),
            lane=draw(st.sampled_from([lane for lane in WITH_CHECKS if lane != default])),
            budget=budget,
            target_wait_hours=draw(st.sampled_from([0.5, 4.0])),
            min_budget=budget * draw(st.sampled_from([0.0, 0.5, 1.0])),
            window=draw(st.sampled_from([10, 100])),
        )
        if draw(st.booleans()):
            policy["station"] = draw(st.sampled_from(list(CHECKS)))
    else:
        if draw(st.booleans()):
            policy["auc"] = auc(draw, kinds)
        rules = []
        for _ in range(draw(st.integers(1, 3))):
            rule: dict[str, Any] = {"lane": draw(st.sampled_from(others))}
            if draw(st.booleans()):
                rule["rate"] = draw(st.sampled_from([0.0, 0.3, 1.0]))
            if draw(st.booleans()):
                rule["commodities"] = subset(draw, commodities)
            if draw(st.booleans()):
                rule["origins"] = subset(draw, list(traffic["origins"]))
            if draw(st.booleans()):
                rule["compliance"] = subset(draw, list(traffic["compliance"]))
            for flag in ("aeo", "prearrival", "priority"):
                if draw(st.integers(0, 3)) == 0:
                    rule[flag] = draw(st.booleans())
            if draw(st.integers(0, 3)) == 0:
                rule["min_value_usd"] = draw(st.sampled_from([0.0, 1000.0]))
                if draw(st.booleans()):
                    rule["max_value_usd"] = rule["min_value_usd"] + 5000.0
            if "auc" in policy and draw(st.booleans()):
                rule["min_score"] = draw(st.sampled_from([0.0, 1.5]))
            rules.append(rule)
        if draw(st.booleans()):
            for i, rule in enumerate(rules):
                rule["name"] = f"rule_{i}"
        policy["rules"] = rules
    return policy


def modifiers(draw, policy: dict, data: dict, kinds: list[str], commodities: list[str]) -> None:
    """Switch on some of the modifiers every kind accepts."""
    lanes = list(LANES)
    if draw(st.booleans()):
        policy["min_random_rate"] = draw(st.sampled_from([0.05, 0.3]))
        policy["random_lane"] = draw(st.sampled_from(lanes))
    if draw(st.booleans()):
        policy["aeo"] = {"factor": draw(st.sampled_from([0.0, 0.2, 1.0]))}
    if draw(st.booleans()):
        policy["prearrival"] = {"lead_hours": draw(st.sampled_from([0.5, 4.0, 30.0]))}
    if draw(st.booleans()):
        priority: dict[str, Any] = {
            "queue_priority": draw(st.booleans()),
            "exempt_from_random": draw(st.booleans()),
        }
        flagged = [n for n, c in data["traffic"]["commodities"].items() if c["priority"]]
        if not flagged or draw(st.booleans()):
            priority["commodities"] = subset(draw, commodities, min_size=1)
        if draw(st.booleans()):
            priority["reroute"] = {"red": "cold", "nii": "scan"}
        policy["priority"] = priority
    if draw(st.booleans()):
        coverage: Any = draw(st.sampled_from([0.0, 0.3, 1.0]))
        if draw(st.booleans()):
            coverage = {k: draw(st.sampled_from([0.2, 0.9])) for k in subset(draw, kinds, 1)}
        policy["alerts"] = {
            "coverage": coverage,
            "false_alert_rate": draw(st.sampled_from([0.0, 0.05])),
            "lane": draw(st.sampled_from(lanes)),
        }
    days = data["scenario"]["days"]
    operations = []
    for i in range(draw(st.integers(0, 2))):
        start = draw(st.sampled_from([0.0, 1.0, days - 0.5]))
        operation = {
            "start_day": start,
            "end_day": start + draw(st.sampled_from([0.5, 1.0, 30.0])),
            "rate": draw(st.sampled_from([0.2, 1.0])),
            "lane": draw(st.sampled_from(lanes)),
            "commodities": subset(draw, commodities),
            "origins": subset(draw, list(data["traffic"]["origins"])),
        }
        if draw(st.booleans()):
            operation["name"] = f"stop_{i}"
        operations.append(operation)
    if operations:
        policy["operations"] = operations


def surges(draw, days: float, factors: list[float], **extra) -> list[dict[str, Any]]:
    out = []
    for _ in range(draw(st.integers(0, 2))):
        start = draw(st.sampled_from([0.0, 0.5, 1.0, days - 1.0]))
        surge = {
            "start_day": start,
            "end_day": start + draw(st.sampled_from([0.25, 1.0, 10.0])),
            "factor": draw(st.sampled_from(factors)),
        }
        for key, names in extra.items():
            surge[key] = subset(draw, names)
        out.append(surge)
    return out


@st.composite
def scenario_data(draw) -> dict[str, Any]:
    """A tiny scenario with every feature that selects, routes or holds shipments switched at
    random; valid by construction."""
    days = float(draw(st.integers(2, 5)))
    commodities = COMMODITIES[: draw(st.integers(1, 3))]
    weights = [draw(st.integers(1, 4)) for _ in commodities]
    goods: dict[str, dict[str, Any]] = {}
    for name, w in zip(commodities, weights, strict=True):
        commodity: dict[str, Any] = {
            "share": w / sum(weights),
            "illicit_factor": draw(st.sampled_from([0.5, 1.0, 2.0])),
            "priority": draw(st.booleans()),
        }
        if draw(st.booleans()):
            commodity["cold_chain_hours"] = draw(st.sampled_from([2.0, 12.0, 48.0]))
        if draw(st.booleans()):
            commodity["value_usd"] = {"dist": "lognormal", "mean": 3000.0, "cv": 1.0}
        goods[name] = commodity
    kinds_mix = draw(st.sampled_from(KIND_MIXES))
    kinds = list(kinds_mix)
    traffic: dict[str, Any] = {
        "shipments_per_day": draw(st.sampled_from([5.0, 20.0, 60.0])),
        "prearrival_share": draw(st.sampled_from([0.0, 0.5, 1.0])),
        "aeo_share": draw(st.sampled_from([0.0, 0.3, 1.0])),
        "commodities": goods,
        "origins": groups(draw, "origin") if draw(st.booleans()) else {"all": {"share": 1.0}},
        "compliance": groups(draw, "history") if draw(st.booleans()) else {"any": {"share": 1.0}},
        "surges": surges(draw, days, [0.0, 0.5, 3.0], commodities=commodities),
    }
    if draw(st.booleans()):
        traffic["hourly_profile"] = [0.2] * 8 + [2.0] * 10 + [0.5] * 6
    if draw(st.booleans()):
        traffic["weekly_profile"] = [1.0] * 5 + [0.3, 0.0]
    aeo_factor = draw(st.sampled_from([0.2, 1.0, 2.0]))
    illicit_surges = surges(draw, days, [0.0, 2.0, 5.0], kinds=kinds, commodities=commodities)

    # The riskiest shipment's chance of being illicit, at most 0.99: the prevalence times the
    # top relative risk of each attribute (and of every illicit surge at once) over the mean.
    share_aeo = traffic["aeo_share"]
    risk_tables = [
        [(g["share"], g.get("illicit_factor", 1.0)) for g in traffic[key].values()]
        for key in ("commodities", "origins", "compliance")
    ]
    risk_tables.append([(1 - share_aeo, 1.0), (share_aeo, aeo_factor)])
    ratio = 1.0
    for table in risk_tables:
        top = max(f for share, f in table if share > 0)
        ratio *= top / sum(share * f for share, f in table)
    for surge in illicit_surges:
        ratio *= max(surge["factor"], 1.0)
    prevalence = min(draw(st.sampled_from([0.0, 0.05, 0.3])), 0.99 / ratio)

    def check(name: str) -> dict[str, Any]:
        kind, referrals = CHECKS[name]
        out: dict[str, Any] = {
            "kind": kind,
            "servers": draw(st.integers(1, 3)),
            "roster": draw(st.sampled_from(ROSTER_NAMES)),
            "absence": draw(st.sampled_from([0.0, 0.0, 0.3, 0.6])),
            "duration_hours": draw(st.sampled_from(DISTS)),
            "detect": {k: draw(st.sampled_from([0.0, 0.3, 1.0])) for k in subset(draw, kinds)},
        }
        on_alarm = draw(st.sampled_from(referrals))
        if on_alarm != "intercept":
            out["on_alarm"] = on_alarm
            out["false_alarm"] = draw(st.sampled_from([0.0, 0.1, 0.5]))
        if kind == "lab":
            out["release_on_guarantee"] = draw(st.booleans())
            out["required_for"] = subset(draw, commodities)
            out["duration_hours"] = draw(st.sampled_from([*DISTS, {"dist": "fixed", "value": 30}]))
        return out

    data: dict[str, Any] = {
        "scenario": {
            "name": "generated",
            "days": days,
            "warmup_days": draw(st.sampled_from([0.0, 0.5, 1.0])),
            "drain_days": draw(st.sampled_from([0.0, 0.5, 2.0])),
            "replications": 1,
            "target_hours": [4.0],
        },
        "traffic": traffic,
        "illicit": {
            "prevalence": prevalence,
            "aeo_factor": aeo_factor,
            "kinds": kinds_mix,
            "surges": illicit_surges,
        },
        "lodgement": {"roster": draw(st.sampled_from(ROSTER_NAMES))},
        "rosters": ROSTERS,
        "checks": {name: check(name) for name in CHECKS},
        "lanes": LANES,
    }
    if draw(st.booleans()):
        data["lodgement"]["delay_hours"] = draw(st.sampled_from(DISTS))
    policy = base_policy(draw, kinds, commodities, traffic)
    modifiers(draw, policy, data, kinds, commodities)
    data["policy"] = policy
    return data


# --------------------------------------------------------------------------- the valid share

VALID_FLOOR = 0.95
"""Least share of generated scenarios that must load (the generator aims at all of them)."""


def test_most_generated_scenarios_are_valid():
    """A fixed draw of 300 generated scenarios (derandomised, no example database): at least
    VALID_FLOOR of them load, and every policy kind and modifier shows up in them."""
    tally: Counter[str] = Counter()
    refusals: Counter[str] = Counter()

    @settings(
        max_examples=300,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(data=scenario_data())
    def load(data):
        tally["drawn"] += 1
        try:
            sim.from_dict(data, "<generated>")
        except sim.ScenarioError as err:
            refusals[str(err).splitlines()[0][:120]] += 1
            return
        tally["valid"] += 1
        policy = data["policy"]
        tally[f"kind:{policy['kind']}"] += 1
        for key in ("aeo", "prearrival", "priority", "alerts", "operations", "min_random_rate"):
            tally[key] += key in policy
        tally["threshold"] += "threshold" in policy
        tally["budget"] += policy["kind"] == "risk_score" and "budget" in policy
        tally["traffic surges"] += bool(data["traffic"]["surges"])
        tally["illicit surges"] += bool(data["illicit"]["surges"])
        checks = data["checks"].values()
        tally["referrals"] += any("on_alarm" in c for c in checks)
        tally["absences"] += any(c["absence"] > 0 for c in checks)
        tally["office hours"] += any(c["roster"] != "24/7" for c in checks)
        tally["guarantee"] += data["checks"]["lab"]["release_on_guarantee"]

    load()
    share = tally["valid"] / tally["drawn"]
    assert share >= VALID_FLOOR, (
        f"only {tally['valid']} of {tally['drawn']} generated scenarios load; "
        f"refused: {dict(refusals.most_common(5))}"
    )
    features = [
        *(f"kind:{k}" for k in ("random", "quota", "profiles", "risk_score", "capacity_aware")),
        "aeo", "prearrival", "priority", "alerts", "operations", "min_random_rate",
        "threshold", "budget", "traffic surges", "illicit surges", "referrals", "absences",
        "office hours", "guarantee",
    ]  # fmt: skip
    rare = {f: tally[f] for f in features if tally[f] < 0.05 * tally["valid"]}
    assert not rare, f"features in fewer than 5% of the valid scenarios: {rare}"


# --------------------------------------------------------------------------- the properties


def assert_selection_consistent(scenario: sim.Scenario, rec: sim.Records) -> None:
    """Why each declaration left the default lane agrees with the policy's modifiers."""
    cfg = scenario.policy_config
    t = rec.traffic
    lanes = list(scenario.lanes)
    commodities = list(scenario.traffic.commodities)
    origins = list(scenario.traffic.origins)
    selected = rec.lane >= 0
    by = rec.selected_by
    assert np.all(by[~selected] == NOT_SELECTED)
    # Not selected: the default lane (rerouting never touches it here).
    assert np.all(rec.lane[selected & (by == NOT_SELECTED)] == lanes.index(cfg.default_lane))
    # An alert's selection only where an alert flagged the shipment.
    assert np.all(rec.alert[by == ALERT])
    if cfg.alerts is None:
        assert not np.any(by == ALERT) and not np.any(rec.alert)
    # An operation's selection only inside an operation's window, of what it targets.
    for i in np.flatnonzero(by == OPERATION):
        when = rec.selected[i]
        assert any(
            op.start_day * 24 <= when < op.end_day * 24
            and (not op.commodities or commodities[t.commodity[i]] in op.commodities)
            and (not op.origins or origins[t.origin[i]] in op.origins)
            for op in cfg.operations
        ), f"shipment {i} selected by an operation at hour {when}"
    # Priority commodities exempt from random selection are never selected at random.
    pr = cfg.priority
    if pr is not None and pr.exempt_from_random:
        names = pr.commodities
        if names is None:
            names = [n for n, c in scenario.traffic.commodities.items() if c.priority]
        exempt = np.isin(t.commodity, [commodities.index(n) for n in names])
        assert not np.any(exempt & ((by == RANDOM) | (by == OPERATION)))
    # An AEO factor of 0: an AEO trader's declaration is selected only by an alert.
    if cfg.aeo is not None and cfg.aeo.factor == 0:
        assert np.all(by[t.aeo & selected & (by != NOT_SELECTED)] == ALERT)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=scenario_data(), seed=st.integers(0, 2**32 - 1))
def test_shipments_are_conserved_in_generated_scenarios(data, seed):
    """Generated scenarios: every shipment accounted for, rosters respected, segments add up,
    selections as the modifiers allow."""
    try:
        scenario = sim.from_dict(data, "<generated>")
    except sim.ScenarioError:
        reject()  # rare: test_most_generated_scenarios_are_valid holds the share
    rec, m = one_rep(scenario, seed=seed)
    assert_conserved(scenario, rec, m)
    assert_selection_consistent(scenario, rec)


def test_alarm_referred_back_takes_the_verdict_of_the_chain():
    """No illicit goods at all; route physical then scan; physical refers its alarms to the lab,
    the scan its alarms to physical. A legitimate shipment whose false alarm at physical the
    lab cleared, and which then raises a false alarm at the scan, is referred back to physical:
    physical's verdict on it was "cleared by the lab", so it must be released (not intercepted
    on physical's first alarm)."""
    dur = {"dist": "exponential", "mean": 0.1}
    data = {
        "scenario": {"name": "referral", "days": 5, "drain_days": 2, "replications": 1},
        "traffic": {"shipments_per_day": 48.0, "commodities": {"goods": {"share": 1.0}}},
        "checks": {
            "physical": {
                "kind": "physical",
                "servers": 5,
                "duration_hours": dur,
                "on_alarm": "lab",
                "false_alarm": 0.5,
            },
            "scan": {
                "kind": "scan",
                "servers": 5,
                "duration_hours": dur,
                "on_alarm": "physical",
                "false_alarm": 0.5,
            },
            "lab": {"kind": "lab", "servers": 5, "duration_hours": dur},
        },
        "lanes": {"back": ["physical", "scan"]},
        "policy": {"kind": "random", "rates": {}, "default_lane": "back"},
    }
    scenario = sim.from_dict(data, "<referral>")
    rec, m = one_rep(scenario, seed=1)
    assert m["illicit"] == 0 and m["shipments"] > 100
    assert m["intercepted"] == 0, f"{m['intercepted']:g} legitimate shipments intercepted"
