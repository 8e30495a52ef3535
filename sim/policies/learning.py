"""Targeting that learns: a risk model retrained during the run on what inspections found.

Real practice (an assumption: the sources give a model's quality, not how it is kept up): a
customs risk model is refitted from the results of the examinations it ordered. Only inspected
shipments have a known outcome, so the model learns from a sample its own ranking chose: an
illicit shipment an examination missed was released and reads as legitimate, and a kind of
declaration the model ranks low is never examined, so the model never learns that it has
become risky. The random floor
(``min_random_rate``) is the exploration that keeps every kind of declaration in the sample.

The model (scikit-learn's logistic regression) scores a declaration from its declared
attributes only: commodity, origin and compliance group (one-hot), AEO status, pre-arrival
lodgement and the log of the declared value. Before the first training it ranks declarations
by a random score (``cold_start = "random"``: a random sample at the budget) or selects none
(``"none"``). Every ``retrain_days`` it is refitted, at the first selection at or after the
scheduled time, on every inspected outcome known by then; the budget is then the top share of
the recent declarations' scores under the new model (as ``risk_score``'s budget).

:func:`fit` trains on arrays and returns a :class:`LinearScore`; :class:`Learning` is the
policy that wraps it. scikit-learn is an optional extra (``pip install 'bordersim[learning]'``).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import Field

from sim.policies.base import BorderView, Declaration, Policy, PolicyConfig, PolicyContext
from sim.policies.fields import Problems, Rate, Window
from sim.policies.ranking import RollingRank
from sim.schema import Name

if TYPE_CHECKING:
    from sim.schema import Scenario

INSTALL = "the learning policy needs scikit-learn: pip install 'bordersim[learning]'"
TIE = 1e-9
"""Weight of the shipment's own uniform draw added to its score: it orders equal scores (a
model over categories alone gives many) without reordering different ones."""


class LearningConfig(PolicyConfig):
    """``[policy] kind = "learning"``."""

    kind: Literal["learning"]
    budget: Rate = Field(
        description="Share of declarations selected: those whose score is in the top budget of "
        "the last `window` declarations' scores under the current model."
    )
    lane: Name = Field("red", description="Lane of the selected declarations.")
    window: Window = Field(1000, description="Declarations the budget looks back over.")
    retrain_days: float = Field(
        7.0,
        gt=0,
        le=3650,
        strict=True,
        description="Days between trainings: the model is refitted at the first selection at "
        "or after each multiple of this, on every inspected outcome known by then.",
    )
    cold_start: Literal["random", "none"] = Field(
        "random",
        description="Selection before the first training: random (the budget's share, drawn "
        "at random) or none (only the random floor and the modifiers select).",
    )
    regularisation: float = Field(
        1.0,
        gt=0,
        le=1e6,
        strict=True,
        description="Inverse strength of the L2 penalty of the logistic regression (its C): "
        "smaller keeps a group seldom inspected nearer the average.",
    )


def require_sklearn() -> Any:
    """scikit-learn's LogisticRegression, or ImportError saying how to install it."""
    try:
        from sklearn.linear_model import LogisticRegression
    except ImportError:
        raise ImportError(INSTALL) from None
    return LogisticRegression


@dataclass(frozen=True)
class Attributes:
    """Declared attributes of many declarations: codes in the scenario's order, flags, and
    declared values (NaN where none is declared)."""

    commodity: np.ndarray
    origin: np.ndarray
    compliance: np.ndarray
    aeo: np.ndarray
    prearrival: np.ndarray
    value_usd: np.ndarray

    def __len__(self) -> int:
        return len(self.commodity)

    def take(self, ids: np.ndarray) -> Attributes:
        return Attributes(*(np.asarray(getattr(self, f))[ids] for f in self.__dataclass_fields__))


def _log_value(value_usd: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return np.log1p(np.maximum(value_usd, 0.0))


def design(a: Attributes, sizes: tuple[int, int, int], centre: float, scale: float) -> np.ndarray:
    """The model's inputs: one-hot commodity, origin and compliance group (``sizes`` of each),
    AEO, pre-arrival, and the standardised log value (0, the mean, where none is declared)."""
    n = len(a)
    parts = [
        np.eye(k)[np.asarray(codes, dtype=np.int64)]
        for k, codes in zip(sizes, (a.commodity, a.origin, a.compliance), strict=True)
    ]
    value = (_log_value(np.asarray(a.value_usd, dtype=float)) - centre) / scale
    value = np.where(np.isnan(value), 0.0, value)
    flags = [np.asarray(a.aeo, float), np.asarray(a.prearrival, float), value]
    return np.hstack([*(p.reshape(n, -1) for p in parts), np.column_stack(flags)])


@dataclass(frozen=True)
class LinearScore:
    """A fitted logistic regression as its weights: the score is the log-odds of being found
    illicit, ``intercept + weight of each attribute``."""

    intercept: float
    commodity: tuple[float, ...]
    origin: tuple[float, ...]
    compliance: tuple[float, ...]
    aeo: float
    prearrival: float
    value: float
    centre: float
    scale: float

    def one(
        self, commodity: int, origin: int, compliance: int, aeo: bool, pre: bool, value_usd: float
    ) -> float:
        """The score of one declaration (plain Python: the exact path scores one at a time)."""
        s = self.intercept + self.commodity[commodity] + self.origin[origin]
        s += self.compliance[compliance] + self.aeo * aeo + self.prearrival * pre
        if value_usd == value_usd:  # not NaN
            s += self.value * (math.log1p(max(value_usd, 0.0)) - self.centre) / self.scale
        return s

    def many(self, a: Attributes) -> np.ndarray:
        """The scores of many declarations."""
        sizes = (len(self.commodity), len(self.origin), len(self.compliance))
        weights = np.array(
            [*self.commodity, *self.origin, *self.compliance, self.aeo, self.prearrival, self.value]
        )
        return design(a, sizes, self.centre, self.scale) @ weights + self.intercept


def fit(
    a: Attributes,
    found: np.ndarray,
    sizes: tuple[int, int, int],
    *,
    seed: int = 0,
    regularisation: float = 1.0,
) -> LinearScore | None:
    """A logistic regression of ``found`` (intercepted, as 0/1) on the declared attributes;
    None when the outcomes are all of one class (nothing to tell apart yet)."""
    found = np.asarray(found, dtype=bool)
    if found.size == 0 or found.all() or not found.any():
        return None
    logv = _log_value(np.asarray(a.value_usd, dtype=float))
    known = logv[~np.isnan(logv)]
    centre = float(known.mean()) if known.size else 0.0
    scale = float(known.std()) if known.size > 1 and known.std() > 0 else 1.0
    x = design(a, sizes, centre, scale)
    model = require_sklearn()(C=regularisation, max_iter=1000, random_state=seed)
    model.fit(x, found.astype(np.int8))
    w = model.coef_[0].tolist()
    c, o, k = sizes
    return LinearScore(
        float(model.intercept_[0]),
        tuple(w[:c]),
        tuple(w[c : c + o]),
        tuple(w[c + o : c + o + k]),
        w[-3],
        w[-2],
        w[-1],
        centre,
        scale,
    )


@dataclass(frozen=True)
class Training:
    """One refit: when (hours), on how many inspected outcomes, how many of them found illicit."""

    hours: float
    outcomes: int
    found: int


@dataclass
class Learned:
    """What a learning policy leaves in the records (``Records.learning``): the score it gave
    each declaration (NaN before its first training, or not scored), its trainings, and the
    hours between them. The model never saw the ground truth; its AUC is measured afterwards
    (:mod:`sim.measure.learning`)."""

    scores: np.ndarray
    trainings: list[Training]
    period_hours: float


@dataclass
class _Declared:
    """Each scored declaration's attributes and score, by shipment id (grown as ids come)."""

    commodity: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int16))
    origin: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int16))
    compliance: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int16))
    aeo: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    prearrival: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))
    value_usd: np.ndarray = field(default_factory=lambda: np.zeros(0))
    score: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def room(self, sid: int) -> None:
        n = len(self.score)
        if sid < n:
            return
        grow = max(sid + 1, 2 * n, 4096) - n
        for name in self.__dataclass_fields__:
            old = getattr(self, name)
            fill = np.nan if old.dtype.kind == "f" else 0
            setattr(self, name, np.concatenate([old, np.full(grow, fill, dtype=old.dtype)]))

    def attributes(self, ids: np.ndarray) -> Attributes:
        return Attributes(
            self.commodity[ids],
            self.origin[ids],
            self.compliance[ids],
            self.aeo[ids],
            self.prearrival[ids],
            self.value_usd[ids],
        )


class Learning(Policy):
    """Selects the top `budget` share of declarations by the score of a logistic regression on
    their declared attributes, refitted every `retrain_days` on the outcomes of the inspected
    declarations alone (an illicit shipment the examination missed counts as legitimate). The
    random floor, `min_random_rate`, is its exploration: without it a group the model ranks
    low is never inspected, so never learnt. Needs scikit-learn (the `learning` extra)."""

    kind = "learning"
    Config = LearningConfig

    @classmethod
    def check(cls, config: LearningConfig, scenario: Scenario) -> list[tuple[str, str]]:
        problems = Problems(scenario)
        problems.lane("policy.lane", config.lane)
        if config.auc is not None:
            msg = "the learning policy scores declarations itself: leave auc out"
            problems.append(("policy.auc", msg))
        try:
            require_sklearn()
        except ImportError as err:
            problems.append(("policy.kind", str(err)))
        return problems

    def start(self, context: PolicyContext) -> None:
        c = self.config
        t = context.scenario.traffic
        self._codes = tuple(
            {name: i for i, name in enumerate(table)}
            for table in (t.commodities, t.origins, t.compliance)
        )
        self._sizes = tuple(len(codes) for codes in self._codes)
        self._u = context.uniforms("learning")
        self._seed = int(context.uniforms("learning:seed")[0] * 2**31)
        self._lane, self._default = c.lane, c.default_lane
        self._budget = math.inf if c.budget >= 1 else c.budget
        self._period = c.retrain_days * 24.0
        self._next = self._period
        self._model: LinearScore | None = None
        self._rank = RollingRank(c.window)
        self._recent: deque[int] = deque(maxlen=c.window)
        self._declared = _Declared()
        self.trainings: list[Training] = []

    def select(self, declaration: Declaration, border: BorderView) -> str:
        d = declaration
        if border.now >= self._next:
            self._train(border)
        com, ori, cmp = (
            codes[name]
            for codes, name in zip(self._codes, (d.commodity, d.origin, d.compliance), strict=True)
        )
        store = self._declared
        sid = d.id
        store.room(sid)
        store.commodity[sid], store.origin[sid], store.compliance[sid] = com, ori, cmp
        store.aeo[sid], store.prearrival[sid], store.value_usd[sid] = (
            d.aeo,
            d.prearrival,
            d.value_usd,
        )
        self._recent.append(sid)
        u = self._u[sid]
        model = self._model
        if model is None:
            if self.config.cold_start == "none":
                return self._default
            ranked = u  # a random score: a random sample at the budget
        else:
            score = model.one(com, ori, cmp, d.aeo, d.prearrival, d.value_usd)
            store.score[sid] = score
            ranked = score + TIE * u
        return self._lane if self._rank.above(ranked) < self._budget else self._default

    def _train(self, border: BorderView) -> None:
        """Refit on every inspected outcome known now; then rank the recent declarations
        again under the new model, so the budget compares scores of one model."""
        now = border.now
        while self._next <= now:
            self._next += self._period
        ids, found = border.inspected_outcomes()
        store = self._declared
        scored = ids < len(store.score)  # all of them: every declaration passes select
        ids, found = ids[scored], found[scored]
        model = fit(
            store.attributes(ids),
            found,
            self._sizes,
            seed=self._seed,
            regularisation=self.config.regularisation,
        )
        if model is None:
            return
        self._model = model
        self.trainings.append(Training(now, int(ids.size), int(found.sum())))
        recent = np.fromiter(self._recent, dtype=np.int64, count=len(self._recent))
        scores = model.many(store.attributes(recent)) + TIE * self._u.take(recent)
        self._rank = RollingRank(self.config.window)
        for s in scores.tolist():
            self._rank.above(s)

    def finish(self, records: Any) -> None:
        """Leave the scores and the trainings in the records (:class:`Learned`)."""
        n = len(records.traffic)
        scores = np.full(n, np.nan)
        m = min(n, len(self._declared.score))
        scores[:m] = self._declared.score[:m]
        records.learning = Learned(scores, list(self.trainings), self._period)
