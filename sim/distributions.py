"""Duration and value distributions, written in scenario files as tables with a ``dist`` key.

Each distribution is a pydantic model (so a typo in a scenario file is caught with its key path)
that draws a block of variates at once from a numpy generator.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, PositiveFloat, model_validator


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    @property
    def mean_value(self) -> float:
        """The distribution's mean."""
        raise NotImplementedError

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """Draw ``n`` variates."""
        raise NotImplementedError


class Exponential(_Dist):
    """Exponential with the given mean (memoryless service, as in M/M/c)."""

    dist: Literal["exponential"]
    mean: PositiveFloat = Field(description="Mean, in the unit of the field (hours for durations).")

    @property
    def mean_value(self) -> float:
        return self.mean

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.exponential(self.mean, n)


class Lognormal(_Dist):
    """Lognormal by mean and coefficient of variation (sd / mean)."""

    dist: Literal["lognormal"]
    mean: PositiveFloat = Field(description="Mean.")
    cv: PositiveFloat = Field(description="Coefficient of variation: standard deviation / mean.")

    @property
    def mean_value(self) -> float:
        return self.mean

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        sigma2 = math.log1p(self.cv**2)
        mu = math.log(self.mean) - sigma2 / 2
        return rng.lognormal(mu, math.sqrt(sigma2), n)


class Gamma(_Dist):
    """Gamma by mean and coefficient of variation (cv = 1 is the exponential)."""

    dist: Literal["gamma"]
    mean: PositiveFloat = Field(description="Mean.")
    cv: PositiveFloat = Field(description="Coefficient of variation: standard deviation / mean.")

    @property
    def mean_value(self) -> float:
        return self.mean

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        shape = 1.0 / self.cv**2
        return rng.gamma(shape, self.mean / shape, n)


class Triangular(_Dist):
    """Triangular from ``low`` through ``mode`` to ``high`` (a common expert estimate)."""

    dist: Literal["triangular"]
    low: float = Field(ge=0, description="Smallest value.")
    mode: float = Field(ge=0, description="Most likely value.")
    high: PositiveFloat = Field(description="Largest value.")

    @model_validator(mode="after")
    def _ordered(self) -> Triangular:
        if not self.low <= self.mode <= self.high or self.low == self.high:
            raise ValueError("needs low <= mode <= high and low < high")
        return self

    @property
    def mean_value(self) -> float:
        return (self.low + self.mode + self.high) / 3

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.triangular(self.low, self.mode, self.high, n)


class Uniform(_Dist):
    """Uniform between ``low`` and ``high``."""

    dist: Literal["uniform"]
    low: float = Field(ge=0, description="Smallest value.")
    high: PositiveFloat = Field(description="Largest value.")

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if not self.low < self.high:
            raise ValueError("needs low < high")
        return self

    @property
    def mean_value(self) -> float:
        return (self.low + self.high) / 2

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.uniform(self.low, self.high, n)


class Fixed(_Dist):
    """Always the same value (deterministic service, as in M/D/1)."""

    dist: Literal["fixed"]
    value: PositiveFloat = Field(description="The value.")

    @property
    def mean_value(self) -> float:
        return self.value

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return np.full(n, self.value)


class Empirical(_Dist):
    """Resampled with replacement from observed values (for example a Time Release Study's)."""

    dist: Literal["empirical"]
    values: list[Annotated[float, Field(ge=0)]] = Field(
        min_length=1, max_length=1_000_000, description="Observed values, resampled uniformly."
    )

    @model_validator(mode="after")
    def _positive_mean(self) -> Empirical:
        if not sum(self.values) > 0:
            raise ValueError("needs at least one value above 0")
        return self

    @property
    def mean_value(self) -> float:
        return float(np.mean(self.values))

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return rng.choice(np.asarray(self.values, dtype=float), n)


Distribution = Annotated[
    Exponential | Lognormal | Gamma | Triangular | Uniform | Fixed | Empirical,
    Field(discriminator="dist"),
]
"""Any distribution, chosen by its ``dist`` key."""

DIST_NAMES = ("exponential", "lognormal", "gamma", "triangular", "uniform", "fixed", "empirical")
