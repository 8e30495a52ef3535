"""``[traffic.batches]``: shipments that arrive together, by flight or vessel.

A batch (a flight, a vessel, a truck convoy) carries a random number of shipments, drawn from
one of a small set of discrete size distributions (:data:`BatchSize`, chosen by ``dist``),
each with its mean and second moment in closed form. Batches arrive as a Poisson stream (the
shipment rate of each hour divided by the mean size) or on a weekly timetable, whose slots'
mean loads the profiles, surges and ``shipments_per_day`` set (:mod:`sim.model.arrivals`).
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, ValidationError, field_validator, model_validator

from sim.schema.base import _Table

SCHEDULES = ("poisson", "timetable")
SIZE_TAGS = ("fixed", "geometric", "poisson", "negative_binomial")
"""The ``dist`` of a batch size."""
DAILY = "daily"
"""A timetable slot every day of the week."""
MAX_BATCH = 1_000_000
"""Largest mean batch size (a vessel of containers, a day's parcels of a postal flight)."""


class _Size(_Table):
    """A discrete batch size on 0, 1, 2, ... (only the poisson and negative binomial reach 0:
    an empty flight)."""

    @property
    def mean_value(self) -> float:
        """E[X] (poisson schedule: the configured mean)."""
        raise NotImplementedError

    @property
    def second_moment(self) -> float:
        """E[X^2] (poisson schedule)."""
        raise NotImplementedError

    @property
    def has_mean(self) -> bool:
        """Whether the table sets its mean (the poisson schedule needs it, the timetable sets
        it itself)."""
        return getattr(self, "mean", None) is not None

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """``n`` sizes with the configured mean."""
        return self.loads(rng, np.full(n, self.mean_value))

    def loads(self, rng: np.random.Generator, means: np.ndarray) -> np.ndarray:
        """One size for each mean of ``means`` (>= 0), with this distribution's shape."""
        raise NotImplementedError


class FixedSize(_Size):
    """Every batch carries the same number of shipments. On a timetable, each slot's load is
    its mean rounded, down or up at random so that the mean stays exact (a mean of 37.3 is
    37 seven times in ten and 38 three times)."""

    dist: Literal["fixed"]
    value: int | None = Field(
        None,
        ge=1,
        le=MAX_BATCH,
        description="Shipments a batch carries (schedule 'poisson'); a timetable sets each "
        "slot's load itself, so leave it out there.",
    )

    @property
    def has_mean(self) -> bool:
        return self.value is not None

    @property
    def mean_value(self) -> float:
        return float(self.value)

    @property
    def second_moment(self) -> float:
        return float(self.value) ** 2

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.full(n, self.value, dtype=np.int64)

    def loads(self, rng: np.random.Generator, means: np.ndarray) -> np.ndarray:
        whole = np.floor(means)
        return (whole + (rng.random(means.size) < means - whole)).astype(np.int64)


class GeometricSize(_Size):
    """Geometric on 1, 2, ...: P(X = k) = p (1 - p)^(k - 1), p = 1 / mean; many small batches
    and a few large ones. E[X^2] = 2 mean^2 - mean. On a timetable, a slot whose mean load is
    below 1 carries 1 shipment with probability equal to its mean, else none."""

    dist: Literal["geometric"]
    mean: float | None = Field(
        None,
        ge=1,
        le=MAX_BATCH,
        description="Mean shipments a batch carries (schedule 'poisson'); a timetable sets each "
        "slot's mean itself, so leave it out there.",
    )

    @property
    def mean_value(self) -> float:
        return float(self.mean)

    @property
    def second_moment(self) -> float:
        return 2 * self.mean**2 - self.mean

    def loads(self, rng: np.random.Generator, means: np.ndarray) -> np.ndarray:
        sizes = rng.geometric(1.0 / np.maximum(means, 1.0))
        small = means < 1.0
        if small.any():
            sizes[small] = rng.random(int(small.sum())) < means[small]
        return sizes.astype(np.int64)


class PoissonSize(_Size):
    """Poisson on 0, 1, 2, ...: a batch may be empty. E[X^2] = mean + mean^2."""

    dist: Literal["poisson"]
    mean: float | None = Field(
        None,
        gt=0,
        le=MAX_BATCH,
        description="Mean shipments a batch carries (schedule 'poisson'); a timetable sets each "
        "slot's mean itself, so leave it out there.",
    )

    @property
    def mean_value(self) -> float:
        return float(self.mean)

    @property
    def second_moment(self) -> float:
        return self.mean + self.mean**2

    def loads(self, rng: np.random.Generator, means: np.ndarray) -> np.ndarray:
        return rng.poisson(means).astype(np.int64)


class NegativeBinomialSize(_Size):
    """Negative binomial on 0, 1, 2, ... by mean and coefficient of variation: more dispersed
    than the Poisson (cv above 1 / sqrt(mean)). E[X^2] = mean^2 (1 + cv^2). On a timetable, a
    slot whose mean load is too small for this cv (cv <= 1 / sqrt(mean)) is Poisson."""

    dist: Literal["negative_binomial"]
    mean: float | None = Field(
        None,
        gt=0,
        le=MAX_BATCH,
        description="Mean shipments a batch carries (schedule 'poisson'); a timetable sets each "
        "slot's mean itself, so leave it out there.",
    )
    cv: float = Field(
        gt=0, le=100, description="Coefficient of variation of the size: standard deviation / mean."
    )

    @model_validator(mode="after")
    def _overdispersed(self) -> NegativeBinomialSize:
        if self.mean is not None and not self.cv**2 * self.mean > 1:
            raise ValueError(
                f"a negative binomial size needs cv > 1 / sqrt(mean) = "
                f"{1 / math.sqrt(self.mean):.4g} (more dispersed than a Poisson), got cv = "
                f"{self.cv:g}; use dist = 'poisson' for less"
            )
        return self

    @property
    def mean_value(self) -> float:
        return float(self.mean)

    @property
    def second_moment(self) -> float:
        return self.mean**2 * (1 + self.cv**2)

    def loads(self, rng: np.random.Generator, means: np.ndarray) -> np.ndarray:
        # Variance m + m^2 / r = cv^2 m^2: r = m / (cv^2 m - 1), p = r / (r + m) = 1 / (cv^2 m).
        spread = self.cv**2 * means
        wide = spread > 1
        sizes = np.zeros(means.size, dtype=np.int64)
        if wide.any():
            m, k = means[wide], spread[wide]
            sizes[wide] = rng.negative_binomial(m / (k - 1), 1.0 / k)
        if not wide.all():
            sizes[~wide] = rng.poisson(means[~wide])
        return sizes


BatchSize = Annotated[
    FixedSize | GeometricSize | PoissonSize | NegativeBinomialSize, Field(discriminator="dist")
]
"""A batch size, chosen by its ``dist`` key."""


class Batches(_Table):
    """``[traffic.batches]``: shipments arrive together, by flight or vessel.

    ``shipments_per_day`` stays the mean over a week, and the profiles and surges still shape
    when shipments arrive. With ``schedule = "poisson"``, batches arrive as a Poisson stream at
    the shipment rate of each hour divided by the mean size; with ``"timetable"``, at the
    listed weekly slots, each slot's mean load in proportion to the profiles' weight at its
    hour and day (times the surges active then), the size distribution giving the shape around
    it. Every shipment of a batch arrives at the batch's instant and draws its own commodity,
    origin and the rest.
    """

    schedule: Literal["poisson", "timetable"] = Field(
        "poisson",
        description="'poisson': batches arrive at random, at the hour's shipment rate / the "
        "mean size; 'timetable': at the weekly slots of `timetable`.",
    )
    size: BatchSize = Field(
        description="Shipments a batch carries, a table with a `dist` key: fixed, geometric, "
        "poisson or negative_binomial (see the size tables).",
    )
    timetable: list[tuple[str, float]] = Field(
        default_factory=list,
        max_length=1000,
        description="Weekly slots as [day, hour]: day 'mon' ... 'sun' or 'daily', hour of the "
        "day 0 <= hour < 24 (6.5 is 06:30); each a flight or vessel. Schedule 'timetable' only.",
    )

    @field_validator("size", mode="wrap")
    @classmethod
    def _size(cls, value: Any, handler: Any) -> Any:
        """Batch sizes have their own ``dist`` names; errors name the key, not the tag."""
        if isinstance(value, dict) and value.get("dist") not in SIZE_TAGS:
            tag = value.get("dist")
            got = f"got {tag!r}" if tag is not None else "'dist' is missing"
            raise ValueError(f"'dist' must be one of: {', '.join(SIZE_TAGS)}; {got}")
        try:
            return handler(value)
        except ValidationError as err:
            details = []
            for e in err.errors(include_url=False):
                loc = e["loc"][1:] if e["loc"] and e["loc"][0] in SIZE_TAGS else e["loc"]
                detail = {"type": e["type"], "loc": loc, "input": e["input"]}
                if "ctx" in e:
                    detail["ctx"] = e["ctx"]
                details.append(detail)
            raise ValidationError.from_exception_data(err.title, details) from None

    @model_validator(mode="after")
    def _schedule(self) -> Batches:
        mean_key = "value" if self.size.dist == "fixed" else "mean"
        if self.schedule == "poisson":
            if self.timetable:
                raise ValueError(
                    "timetable needs schedule = 'timetable' (the schedule is 'poisson')"
                )
            if not self.size.has_mean:
                raise ValueError(
                    f"schedule 'poisson' needs the mean batch size: set size.{mean_key}"
                )
        else:
            if not self.timetable:
                raise ValueError("schedule 'timetable' needs at least one [day, hour] slot")
            if self.size.has_mean:
                raise ValueError(
                    f"with schedule 'timetable' each slot's mean load follows from "
                    f"shipments_per_day and the profiles: leave out size.{mean_key}"
                )
        return self


# ------------------------------------------------------------------------------- timetables
# Pure functions of the tables (no model code), so that the model (sim/model/arrivals.py) and
# the expected counts of sim/schema/checks.py compute the same slot loads.

WEEK_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def slot_offsets(batches: Batches) -> np.ndarray:
    """Hours into the week (0 = Monday 00:00) of every timetable slot, sorted, a 'daily' slot
    counting seven times; slots with an unknown day or an hour outside [0, 24) are left out
    (cross_check reports them)."""
    out = []
    for day, hour in batches.timetable:
        if not 0 <= hour < 24:
            continue
        if day == DAILY:
            out += [d * 24 + hour for d in range(7)]
        elif day in WEEK_DAYS:
            out.append(WEEK_DAYS.index(day) * 24 + hour)
    return np.sort(np.asarray(out, dtype=float))


def surge_factors(traffic: Any, n_hours: int) -> np.ndarray:
    """The factor by which the surges multiply all arrivals in each hour of the run (a surge of
    some commodities weighs by their shares), as the one-by-one arrival rates have it."""
    shares = np.array([c.share for c in traffic.commodities.values()])
    if not traffic.surges:
        return np.full(n_hours, float(shares.sum()))
    names = list(traffic.commodities)
    hour = np.arange(n_hours)
    factors = np.ones((n_hours, len(names)))
    for surge in traffic.surges:
        window = (hour >= surge.start_day * 24) & (hour < surge.end_day * 24)
        cols = [names.index(c) for c in surge.commodities if c in names]
        factors[np.ix_(window, cols if surge.commodities else np.arange(len(names)))] *= (
            surge.factor
        )
    return factors @ shares


def timetable_loads(
    traffic: Any, hourly: np.ndarray, weekly: np.ndarray, end_hours: float
) -> tuple[np.ndarray, np.ndarray]:
    """Every timetable slot before ``end_hours`` and its mean load: (instants in hours,
    sorted; mean shipments). Over a week without surges the loads sum to
    ``shipments_per_day * 7``, each slot's in proportion to the profiles' weight at its hour
    and day (``hourly`` and ``weekly``: the profiles over their means); a surge multiplies the
    loads of the slots in the hours it covers."""
    offsets = slot_offsets(traffic.batches)
    hour_in_week = np.floor(offsets).astype(np.int64)
    weight = hourly[hour_in_week % 24] * weekly[hour_in_week // 24]
    total = float(weight.sum())
    if offsets.size == 0 or not total > 0 or not end_hours > 0:
        return np.zeros(0), np.zeros(0)
    per_slot = traffic.shipments_per_day * 7.0 * weight / total
    weeks = int(math.ceil(end_hours / 168.0))
    times = (np.arange(weeks)[:, None] * 168.0 + offsets[None, :]).ravel()
    means = np.tile(per_slot, weeks)
    keep = times < end_hours
    times, means = times[keep], means[keep]
    hours = np.floor(times).astype(np.int64)
    factors = surge_factors(traffic, int(hours[-1]) + 1 if hours.size else 0)
    with np.errstate(all="ignore"):
        means = means * factors[hours]
    return times, means
