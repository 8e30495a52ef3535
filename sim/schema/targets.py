"""What a Time Release Study target file may say: the study's published figures, each with the
summary metric (or metrics, summed) that the model measures it by, and how closely it must be
met. Read and refused like a scenario file: one :class:`ScenarioError` naming the file, each
key path (``figures[2].value``) and what is allowed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sim.schema.errors import ScenarioError, problems_from, show_value, suggest
from sim.schema.limits import raw_problems

TARGET_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
DEFAULT_TOLERANCE = 0.10
"""Relative tolerance of a figure when neither it nor ``[target]`` gives one."""

Text = Annotated[str, Field(max_length=1000)]


class TargetError(ScenarioError):
    """A target file (or a free parameter) that cannot be used: a :class:`ScenarioError`, so
    every command reports it the same way, whose heading names what is wrong."""

    def __init__(
        self, source: str, problems: list[tuple[str, str]], heading: str = "invalid target file"
    ):
        self.heading = heading
        super().__init__(source, problems)

    def __str__(self) -> str:
        text, plain = super().__str__(), f"{self.source}: invalid scenario\n"
        return (
            f"{self.source}: {self.heading}\n{text[len(plain) :]}"
            if text.startswith(plain)
            else text
        )


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class TargetInfo(_Strict):
    """The study the figures come from."""

    name: str = Field(
        pattern=TARGET_NAME_PATTERN,
        description="A short name for the target set: letters, digits, '.', '_' and '-'.",
    )
    source: Text = Field(description="Where the figures are published (the study and year).")
    scenario: Text | None = Field(
        default=None,
        description="The base scenario file, relative to this file (optional: the command "
        "line gives it too).",
    )
    tolerance: float = Field(
        default=DEFAULT_TOLERANCE,
        gt=0,
        allow_inf_nan=False,
        description="The relative tolerance of every figure that gives none of its own: a "
        "figure is met when |fitted - value| <= tolerance x |value|.",
    )


class Figure(_Strict):
    """One published figure and the metric(s) the model measures it by."""

    name: Text = Field(description="What the study calls the figure ('arrival to permit').")
    metric: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        min_length=1,
        max_length=50,
        description="A summary metric name, or a list of them whose values are summed "
        "(e.g. the segments from arrival to declaration).",
    )
    value: float = Field(allow_inf_nan=False, description="The published value, in its units.")
    sd: float | None = Field(
        default=None,
        gt=0,
        allow_inf_nan=False,
        description="The published figure's uncertainty (a standard deviation, in its units): "
        "its scale in the fit, and the figure is met within max(tolerance x |value|, 1.96 sd).",
    )
    tolerance: float | None = Field(
        default=None,
        gt=0,
        allow_inf_nan=False,
        description="This figure's relative tolerance (else [target].tolerance).",
    )
    weight: float = Field(
        default=1.0, gt=0, allow_inf_nan=False, description="Its weight in the fit's loss."
    )
    note: Text = Field(default="", description="Anything a reader should know about it.")

    @field_validator("metric", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class Targets(_Strict):
    """A target file: the study and its figures."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True, title="Targets")

    target: TargetInfo = Field(description="The study the figures come from.")
    figures: list[Figure] = Field(
        min_length=1, max_length=1000, description="The published figures, one table each."
    )

    def tolerance_of(self, figure: Figure) -> float:
        """The relative tolerance that applies to ``figure``."""
        return figure.tolerance if figure.tolerance is not None else self.target.tolerance

    def allowed_error(self, figure: Figure) -> float:
        """How far the fitted value may be from the published one, in its units."""
        band = self.tolerance_of(figure) * abs(figure.value)
        return max(band, 1.96 * figure.sd) if figure.sd is not None else band

    def scale_of(self, figure: Figure) -> float:
        """A figure's scale in the loss: its ``sd``, else tolerance x |value| (a file never
        gives a figure of 0 without ``sd``; one built in Python gets the tolerance itself)."""
        if figure.sd is not None:
            return figure.sd
        return self.tolerance_of(figure) * abs(figure.value) or self.tolerance_of(figure)

    def met(self, figure: Figure, fitted: float) -> bool:
        """Whether a fitted value meets the figure."""
        return math.isfinite(fitted) and abs(fitted - figure.value) <= self.allowed_error(figure)

    def check_metrics(
        self, known: set[str], is_share: Callable[[str], bool] = lambda _m: False
    ) -> list[tuple[str, str]]:
        """(key path, message) for each metric name the scenario does not produce (with the
        closest name it does) and each share (``is_share``) whose value lies outside 0-1."""
        problems: list[tuple[str, str]] = []
        allowed = sorted(known)
        for i, figure in enumerate(self.figures):
            many = len(figure.metric) > 1
            for j, metric in enumerate(figure.metric):
                if metric in known:
                    continue
                path = f"figures[{i}].metric" + (f"[{j}]" if many else "")
                msg = f"unknown metric {show_value(metric)}"
                hint = suggest(metric, allowed)
                if hint:
                    msg += f" (did you mean '{hint}'?)"
                msg += (
                    "; allowed: a metric the base scenario produces (the metrics of "
                    "summary.csv in the folder `bordersim run` writes for it)"
                )
                problems.append((path, msg))
            if (
                len(figure.metric) == 1
                and is_share(figure.metric[0])
                and not 0 <= figure.value <= 1
            ):
                msg = (
                    f"{show_value(figure.metric[0])} is a share, so its value must be between "
                    f"0 and 1, got {show_value(figure.value)}"
                )
                problems.append((f"figures[{i}].value", msg))
        return problems


def targets_from_dict(data: Any, source: str) -> Targets:
    """Validate parsed target data, or raise the :class:`ScenarioError` naming ``source``."""
    if not isinstance(data, dict):
        raise TargetError(source, [("", "a target file must be a table of tables")])
    limits, problems = raw_problems(data)
    if limits:
        raise TargetError(source, limits + problems)
    reported = {path for path, _ in problems}
    try:
        targets = Targets.model_validate(data)
    except ValidationError as err:
        problems += [p for p in problems_from(err, model=Targets) if p[0] not in reported]
        raise TargetError(source, problems) from None
    problems = _figure_problems(targets)
    if problems:
        raise TargetError(source, problems)
    return targets


def _figure_problems(targets: Targets) -> list[tuple[str, str]]:
    """What spans figures: names that repeat (the fit table is by name), and a figure of 0
    without ``sd`` (a relative tolerance of 0 can only be met exactly)."""
    problems: list[tuple[str, str]] = []
    first: dict[str, int] = {}
    for i, figure in enumerate(targets.figures):
        if figure.name in first:
            msg = f"{show_value(figure.name)} is already the name of figures[{first[figure.name]}]"
            problems.append((f"figures[{i}].name", msg + "; each figure needs its own name"))
        first.setdefault(figure.name, i)
        if figure.value == 0 and figure.sd is None:
            msg = "a figure of 0 needs an sd: its tolerance is relative to the value, so 0 x "
            problems.append((f"figures[{i}].sd", msg + "tolerance allows no error at all"))
    return problems
