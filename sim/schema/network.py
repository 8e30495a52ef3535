"""``[network]``: several offices simulated together, and the seizures they share.

A network scenario is a scenario file: its own tables are the **home office** (so every
command reads it as it reads any scenario), and ``[network.offices.<name>]`` adds the others,
each a whole scenario's tables held inline. In a file, ``file = "other.toml"`` names a
scenario file in the same folder whose tables the office takes (keys written next to ``file``
win); :func:`sim.scenario.read_toml` reads it, so the resolved scenario is self-contained.
``set`` overrides keys of the office as ``--set`` does. The other offices' timing and seed
(``[scenario]`` days, warm-up, drain, seed, replications, target hours) are the network's, and
their variants are ignored.

``[network.sharing]`` makes a seizure at one office flag matching declarations at the others
after a delay, for a window, with a coverage and a false-alert rate (CEN-like). A flagged
declaration reaches the office's policy as an intelligence alert: its ``[policy.alerts]`` lane
applies. An office whose policy has no ``[policy.alerts]`` is given one that flags nothing by
itself (coverage 0, no false alerts) and sends alerted declarations to ``sharing.lane``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints, field_validator, model_validator

from sim.schema.base import _Table

_Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")]
_KeyPath = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$")
]

MATCH_ATTRIBUTES = ("commodity", "origin", "compliance", "aeo")
"""Declared attributes a shared seizure may be matched on (by name across offices)."""
MAX_OFFICES = 20
OFFICE_WORDS = ("label", "set", "file")
"""Keys of an office's table that are not scenario tables."""
TIMING = ("days", "warmup_days", "drain_days", "seed", "replications", "target_hours")
"""``[scenario]`` keys every office takes from the network file."""
DEFAULT_HOME = "home"


class Sharing(_Table):
    """``[network.sharing]``: seizures shared between offices."""

    delay_hours: float = Field(
        48.0, gt=0, le=24 * 365, description="A seizure reaches the other offices this long after."
    )
    window_days: float = Field(
        14.0, gt=0, le=3650, description="How long after it arrives a shared seizure flags."
    )
    match: list[Literal["commodity", "origin", "compliance", "aeo"]] = Field(
        default_factory=lambda: ["origin", "commodity"],
        min_length=1,
        max_length=len(MATCH_ATTRIBUTES),
        description="Declared attributes a declaration must share with a seizure to be flagged "
        "(names compared across offices): commodity, origin, compliance, aeo.",
    )
    coverage: float = Field(
        0.5, ge=0, le=1, description="Chance a matching illicit declaration is flagged."
    )
    false_alert_rate: float = Field(
        0.0, ge=0, le=1, description="Chance a matching legitimate declaration is flagged."
    )
    period_hours: float | None = Field(
        None,
        gt=0,
        description="How often shared seizures are exchanged (the offices are synchronised at "
        "least this often); at most delay_hours, which it defaults to.",
    )
    lane: _Name = Field(
        "red",
        description="Lane of a flagged declaration at an office whose policy has no "
        "[policy.alerts] (one is added that flags nothing by itself).",
    )
    offices: list[_Name] = Field(
        default_factory=list,
        description="The offices that share (send and receive); empty: every office.",
    )

    @field_validator("match")
    @classmethod
    def _distinct(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("each attribute at most once")
        return v

    @model_validator(mode="after")
    def _period_within_delay(self) -> Sharing:
        if self.period_hours is not None and self.period_hours > self.delay_hours:
            raise ValueError(
                f"period_hours ({self.period_hours:g}) must not exceed delay_hours "
                f"({self.delay_hours:g}): a seizure must reach the others no later than "
                "its delay"
            )
        return self

    @property
    def period(self) -> float:
        return self.period_hours if self.period_hours is not None else self.delay_hours


class NetworkSpec(_Table):
    """``[network]``: the home office's name and the other offices (see the module)."""

    home: _Name = Field(DEFAULT_HOME, description="The home office's name (this file's tables).")
    home_label: str = Field("", max_length=80, description="The home office in words.")
    offices: dict[_Name, dict[str, Any]] = Field(
        default_factory=dict,
        max_length=MAX_OFFICES,
        description="The other offices: [network.offices.<name>] holds label, file, set and "
        "the office's scenario tables.",
    )
    sharing: Sharing | None = Field(None, description="Seizures shared between the offices.")

    @model_validator(mode="after")
    def _names(self) -> NetworkSpec:
        if self.home in self.offices:
            raise ValueError(f"an office is named {self.home!r}, the home office's name")
        if self.sharing is not None:
            every = {self.home, *self.offices}
            unknown = [n for n in self.sharing.offices if n not in every]
            if unknown:
                raise ValueError(
                    f"sharing.offices names {', '.join(unknown)}, not an office "
                    f"(offices: {', '.join(sorted(every))})"
                )
        return self

    @property
    def linked(self) -> bool:
        """Whether the offices act on each other (then they run in lock-step)."""
        return self.sharing is not None
