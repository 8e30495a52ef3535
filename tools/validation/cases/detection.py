"""Detection identities: with ample capacity only the selection and detection draws decide
who is intercepted, so interception and hit rate follow from the rates and sensitivities.

These are shares of binomial counts: a share p estimated from N trials has a smallest
detectable error of about 5.6 sqrt((1 - p) / (p N)) of itself, so a 4% error needs
N ~ 20,000 (1 - p) / p trials (illicit shipments for an interception rate, inspections for a
hit rate): each case runs the days that its rarest share needs."""

from __future__ import annotations

from functools import partial
from typing import Any

from sim import Records, Scenario, from_dict
from tools.validation.blocks import queue_data, replicate, station
from tools.validation.run import register
from tools.validation.verdicts import Row, compare

PREVALENCE = 0.5
"""Half the shipments illicit: many illicit shipments (and finds) per simulated day."""


def detection_data(
    lanes: dict[str, list[str]],
    rates: dict[str, float],
    *,
    prevalence: float = PREVALENCE,
    kinds: dict[str, float] | None = None,
    physical: dict[str, float] | None = None,
    documents: dict[str, float] | None = None,
    regulator: dict[str, float] | None = None,
    replications: int = 20,
    days: float = 40,
) -> dict[str, Any]:
    """Ample capacity (no queue matters), 200 shipments a day: only selection and detection
    draws decide who is intercepted."""
    kinds = kinds or {"falsified": 0.5, "substandard": 0.5}
    checks = {
        "documents": station(
            50, {"dist": "fixed", "value": 0.25}, detect=documents or dict.fromkeys(kinds, 0.3)
        ),
        "physical": station(
            50,
            {"dist": "fixed", "value": 1.0},
            kind="physical",
            detect=physical or dict.fromkeys(kinds, 0.6),
        ),
    }
    if regulator is not None:
        checks["regulator"] = station(
            50,
            {"dist": "fixed", "value": 0.5},
            kind="permit",
            detect=regulator,
            required_for=["medicine"],
        )
    data = queue_data(
        "detection",
        per_hour=200 / 24,
        checks=checks,
        lanes=lanes,
        rates=rates,
        default_lane="green",
        commodities={"medicine": {"share": 1.0}},
        illicit={"prevalence": prevalence, "kinds": kinds},
        days=days,
        warmup_days=1,
        replications=replications,
        seed=17,
    )
    return data


def detection_measure(s: Scenario, rec: Records, m: dict[str, float]) -> dict[str, float]:
    out = {k: v for k, v in m.items() if k.endswith("_rate") or k == "censored"}
    return out


def single_layer_rows(
    case: str, s: float, d: float = 0.6, prevalence: float = PREVALENCE, days: float = 40
) -> list[Row]:
    """Random selection at rate s into a physical check of sensitivity d."""
    data = detection_data(
        {"green": [], "red": ["physical"]}, {"red": s}, prevalence=prevalence, days=days
    )
    v = replicate(from_dict(data, case), detection_measure)
    kw = {"relative": False}
    return [
        compare(case, "interception = s d", s * d, v["interception_rate"], **kw),
        compare(case, "hit rate = prevalence d", prevalence * d, v["hit_rate"], **kw),
        compare(case, "inspection rate = s", s, v["inspection_rate"], **kw),
    ]


def per_kind_rows(case: str, s: float = 0.5, days: float = 180) -> list[Row]:
    """A check that finds falsified goods (d = 0.9) but rarely substandard ones (d = 0.2)."""
    kinds = {"falsified": 0.5, "substandard": 0.5}
    d = {"falsified": 0.9, "substandard": 0.2}
    data = detection_data(
        {"green": [], "red": ["physical"]}, {"red": s}, kinds=kinds, physical=d, days=days
    )
    v = replicate(from_dict(data, case), detection_measure)
    mixed = sum(kinds[k] * d[k] for k in kinds)
    rows = [
        compare(
            case,
            "interception = s sum(share_k d_k)",
            s * mixed,
            v["interception_rate"],
            relative=False,
        ),
        compare(
            case,
            "hit rate = prevalence sum(share_k d_k)",
            PREVALENCE * mixed,
            v["hit_rate"],
            relative=False,
        ),
    ]
    for k in kinds:
        rows.append(
            compare(
                case,
                f"{k} interception = s d_{k}",
                s * d[k],
                v[f"kind.{k}.interception_rate"],
                relative=False,
            )
        )
    return rows


def layers_rows(case: str) -> list[Row]:
    """Three independent layers: physical examination selected at s1, documentary check
    selected independently at s2 (lanes with product rates), and a regulator's check that every
    shipment passes (s3 = 1): interception = 1 - prod(1 - s_i d_i). Hits count only the
    inspection's own finds, and it comes first on its routes, so the hit rate stays p d1."""
    s1, d1, s2, d2, s3, d3 = 0.3, 0.6, 0.5, 0.3, 1.0, 0.1
    lanes = {
        "green": [],
        "both": ["physical", "documents"],
        "exam": ["physical"],
        "docs": ["documents"],
    }
    rates = {"both": s1 * s2, "exam": s1 * (1 - s2), "docs": (1 - s1) * s2}
    data = detection_data(
        lanes,
        rates,
        physical={"falsified": d1, "substandard": d1},
        documents={"falsified": d2, "substandard": d2},
        regulator={"falsified": d3, "substandard": d3},
    )
    v = replicate(from_dict(data, case), detection_measure)
    theory = 1 - (1 - s1 * d1) * (1 - s2 * d2) * (1 - s3 * d3)
    kw = {"relative": False}
    return [
        compare(case, "interception = 1 - prod(1 - s_i d_i)", theory, v["interception_rate"], **kw),
        compare(case, "hit rate = prevalence d1", PREVALENCE * d1, v["hit_rate"], **kw),
        compare(case, "inspection rate = s1", s1, v["inspection_rate"], **kw),
    ]


for _s, _days in ((0.1, 160), (0.4, 40)):
    _id = f"detection/random selection s={_s}"
    register(
        _id,
        "detection",
        f"Random selection at s={_s} into a physical check of sensitivity d=0.6, prevalence 0.5 "
        f"({_days} days x 200 shipments x 20 replications)",
        partial(single_layer_rows, _id, _s, days=_days),
    )
register(
    "detection/per illicit kind",
    "detection",
    "Selection s=0.5; the check finds 90% of falsified and 20% of substandard goods (180 days "
    "x 200 shipments x 20 replications)",
    partial(per_kind_rows, "detection/per illicit kind"),
)
register(
    "detection/independent layers",
    "detection",
    "Physical at s1=0.3 (d1=0.6), documents at s2=0.5 (d2=0.3) independently, a regulator's "
    "check for all (d3=0.1) (40 days x 200 shipments x 20 replications)",
    partial(layers_rows, "detection/independent layers"),
)
