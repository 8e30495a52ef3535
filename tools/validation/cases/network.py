"""A network with routing probabilities from the model's own mechanisms (random selection,
an alarm referral): each station an M/M/c queue, the whole against Jackson."""

from __future__ import annotations

from functools import partial

import numpy as np

from sim import Records, Scenario, from_dict
from sim.model.records import RELEASED
from tools.validation.blocks import counted, exponential, queue_data, replicate, station
from tools.validation.run import register
from tools.validation.theory import mmc_wq
from tools.validation.verdicts import Row, compare

JACKSON = {
    "lambda": 2.4,  # arrivals an hour
    "p": 0.5,  # share selected into lane b = [s1, s2]
    "q": 0.4,  # share of s2's shipments that it refers to s3 (an alarm referral)
    "servers": (3, 2, 1),
    "mu": (1.0, 1.0, 1.0),
}


def jackson_rows(
    case: str,
    *,
    days: float,
    replications: int,
    per_hour: float = JACKSON["lambda"],
    station_waits: bool = True,
) -> list[Row]:
    """Three stations: every shipment passes s1; random selection at rate p sends it on to s2
    (lane b = [s1, s2], lane a = [s1]); s2 refers a share q to s3 (a false alarm referred to
    another check). With exponential service each station is an M/M/c queue fed by
    lambda_i = lambda, p lambda, p q lambda (Burke's theorem and Poisson thinning), and the mean
    time in the network is the sum of the stations' L_i over lambda (Jackson). Without
    ``station_waits`` the rows of each station's mean wait are left out (a light version: a
    light station's mean wait needs a long run to detect a 5% error in it)."""
    j = JACKSON
    lam, p, q = per_hour, j["p"], j["q"]
    names = ("s1", "s2", "s3")
    data = queue_data(
        "jackson",
        per_hour=lam,
        checks={
            "s1": station(j["servers"][0], exponential(1 / j["mu"][0])),
            "s2": station(
                j["servers"][1], exponential(1 / j["mu"][1]), false_alarm=q, on_alarm="s3"
            ),
            "s3": station(j["servers"][2], exponential(1 / j["mu"][2])),
        },
        lanes={"a": ["s1"], "b": ["s1", "s2"]},
        rates={"b": p},
        default_lane="a",
        days=days,
        warmup_days=10,
        replications=replications,
        seed=31,
    )
    scenario = from_dict(data, case)
    rates = (lam, p * lam, p * q * lam)
    sojourn = [
        mmc_wq(r, mu, c) + 1 / mu for r, mu, c in zip(rates, j["mu"], j["servers"], strict=True)
    ]

    def measure(s: Scenario, rec: Records, m: dict[str, float]) -> dict[str, float]:
        span = s.hours - s.warmup_hours
        done = counted(s, rec) & (rec.outcome == RELEASED)
        time_in = rec.released - rec.traffic.arrival
        all_three = done & ~np.isnan(rec.enter[2])
        out = {
            "network": float(np.mean(time_in[done])),
            "three": float(np.mean(time_in[all_three])),
        }
        for k, name in enumerate(names):
            out[f"wq{k}"] = m[f"station.{name}.wait_hours_mean"]
            out[f"rate{k}"] = m[f"station.{name}.arrivals"] / span
        return out

    v = replicate(scenario, measure)
    rows = []
    for k, name in enumerate(names):
        rows.append(
            compare(
                case,
                f"{name} arrival rate (/h)",
                rates[k],
                v[f"rate{k}"],
            )
        )
        if not station_waits:
            continue
        rows.append(
            compare(
                case,
                f"{name} mean wait (h), M/M/{j['servers'][k]}",
                mmc_wq(rates[k], j["mu"][k], j["servers"][k]),
                v[f"wq{k}"],
            )
        )
    network = sum(r * w for r, w in zip(rates, sojourn, strict=True)) / lam
    rows.append(
        compare(
            case,
            "mean time in the network (h) = sum L_i / lambda",
            network,
            v["network"],
        )
    )
    rows.append(
        compare(
            case,
            "mean time of shipments through all three (h) = W1 + W2 + W3",
            sum(sojourn),
            v["three"],
        )
    )
    return rows


NETWORK_CASES = [
    # (lambda, days, replications, slow); the light one compares no station's mean wait
    (1.5, 500, 20, False),
    (2.4, 3200, 20, True),
]
for _lam, _days, _reps, _slow in NETWORK_CASES:
    _id = f"network/tandem with selection and referral, lambda={_lam}/h"
    register(
        _id,
        "network",
        "s1 (3 servers) for all; random selection p=0.5 on to s2 (2 servers); s2 refers 40% to "
        f"s3 (1 server); exponential service, lambda={_lam}/h ({_days:,} days x {_reps} "
        f"replications{'' if _slow else '; arrival rates and times in the network only'})",
        partial(
            jackson_rows, _id, days=_days, replications=_reps, per_hour=_lam, station_waits=_slow
        ),
        slow=_slow,
    )
