"""The tables of a scenario file and what each key may hold.

A scenario is data (TOML), never code. Every table and key is declared here with its meaning;
unknown keys are errors, so a typo never passes silently.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Any, Literal

import tomli_w
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PositiveFloat,
    PrivateAttr,
    StringConstraints,
    ValidationInfo,
    field_validator,
)

from sim.distributions import Distribution
from sim.schema.adversary import Adversary
from sim.schema.arrivals import Batches
from sim.schema.base import _Table
from sim.schema.costs import Costs
from sim.schema.network import NetworkSpec
from sim.schema.stages import Exit, Payment, Query, Unloading

Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")]
"""A name used as a table key (a commodity, check, lane...): letters, digits, _ and -."""

Share = Annotated[float, Field(ge=0, le=1)]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALWAYS_OPEN = "24/7"
CHECK_KINDS = ("documentary", "scan", "physical", "screening", "lab", "permit")
INSPECTION_KINDS = frozenset({"scan", "physical"})
SHARE_TOLERANCE = 1e-6


def _check_shares(groups: dict[str, Any], what: str) -> None:
    total = sum(g if isinstance(g, float | int) else g.share for g in groups.values())
    if abs(total - 1.0) > SHARE_TOLERANCE:
        raise ValueError(f"the {what} shares must sum to 1, they sum to {total:.6g}")


LABEL_LENGTH = 80
HEADLINE = ("clearance_hours_mean", "within_24h_share", "interception_rate")
"""The bottom line's metrics when a scenario names none."""
VARIANT_WORDS = ("label", "description")
"""Keys of a variant's table that are words for people, kept as its ``scenario.<key>``."""
MetricName = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_.-]{0,199}$")]
KeyPath = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*$")]


class Lever(_Table):
    """``[scenario.levers."<key>"]``: how a key that a sweep varies reads for people."""

    label: str = Field(
        "", max_length=LABEL_LENGTH, description="What the key is, e.g. 'share sent to red'."
    )
    unit: Literal["", "%", "h", "days", "officers", "machines", "shipments", "US$"] = Field(
        "",
        description="The unit its values are shown in: '%' shows a share of 0-1 as a "
        "percentage; empty: the value as written.",
    )


class ScenarioInfo(_Table):
    """``[scenario]``: what the run is and how long it lasts."""

    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")] = Field(
        description="Short name; results go to results/<name>/. Letters, digits, '.', '_', '-'."
    )
    description: str = Field(
        "",
        max_length=10_000,
        description="What this scenario is and the question it answers; a variant's says what "
        "the variant changes.",
    )
    label: str = Field(
        "",
        max_length=LABEL_LENGTH,
        description="A few words naming this scenario for people (e.g. 'fully staffed'): its "
        "column in a comparison and its name in the bottom line. Empty: its name.",
    )
    question: str = Field(
        "",
        max_length=1_000,
        description="The question, in one sentence, that the bottom line of a run, comparison "
        "or sweep answers first. Empty: the first sentence of the description.",
    )
    headline: list[MetricName] = Field(
        default_factory=list,
        max_length=6,
        description="The metrics the bottom line leads with, by their names in summary.csv "
        "(e.g. 'commodity.vaccine.clearance_hours_mean'). Empty: " + ", ".join(HEADLINE) + ".",
    )
    levers: dict[KeyPath, Lever] = Field(
        default_factory=dict,
        max_length=50,
        description="Words for keys a sweep varies, by their dotted path (e.g. "
        '[scenario.levers."policy.rates.red"]): a label and a unit.',
    )
    days: float = Field(gt=0, le=3650, description="Length of the arrival window, in days.")
    warmup_days: float = Field(
        0.0, ge=0, description="Shipments arriving in the first days are simulated but not counted."
    )
    drain_days: float = Field(
        2.0,
        ge=0,
        le=365,
        description="Days simulated after the arrival window, traffic continuing, so that counted "
        "shipments can finish; those still inside afterwards are counted as censored.",
    )
    seed: int = Field(1, ge=0, lt=2**63, description="Seed of every random stream of the run.")
    replications: int = Field(10, ge=1, le=10_000, description="Independent replications.")
    target_hours: list[PositiveFloat] = Field(
        default_factory=lambda: [24.0, 48.0],
        max_length=20,
        description="Target times: the share released within each is reported.",
    )

    @field_validator("warmup_days")
    @classmethod
    def _warmup_inside(cls, v: float, info: ValidationInfo) -> float:
        days = info.data.get("days")
        if days is not None and v >= days:
            raise ValueError(f"must be less than days ({days:g}), got {v:g}")
        return v


class Group(_Table):
    """A share of shipments with a relative risk of being illicit (origins, compliance)."""

    share: Share = Field(description="Share of shipments in this group (0-1); shares sum to 1.")
    illicit_factor: float = Field(
        1.0, ge=0, le=1e6, description="Relative risk of illicit goods against the average."
    )


class Commodity(Group):
    """``[traffic.commodities.<name>]``: a kind of goods."""

    cold_chain_hours: PositiveFloat | None = Field(
        None, description="Hours the packaging holds its temperature; longer in custody spoils it."
    )
    priority: bool = Field(False, description="Served before other shipments at every check.")
    value_usd: Distribution | None = Field(None, description="Declared value, a distribution.")
    units: Distribution | None = Field(
        None,
        description="Units (doses, packs) a shipment holds, a distribution; counts spoiled and "
        "leaked units and prices them under [costs].",
    )


def end_after_start(v: float, info: ValidationInfo) -> float:
    """Validator of a window's ``end_day``: it must come after its ``start_day``."""
    start = info.data.get("start_day")
    if start is not None and v <= start:
        raise ValueError(f"must be after start_day ({start:g}), got {v:g}")
    return v


EndDay = Annotated[float, Field(gt=0), AfterValidator(end_after_start)]
"""The last day of a time window, after its start_day."""


class Surge(_Table):
    """``[[traffic.surges]]``: a time window in which arrivals are multiplied."""

    start_day: float = Field(ge=0, description="First day of the surge (whole hours).")
    end_day: EndDay = Field(description="Day the surge ends.")
    factor: float = Field(ge=0, le=1000, description="Multiplier of the arrival rate.")
    commodities: list[Name] = Field(
        default_factory=list, description="Commodities that surge; empty means all."
    )


class Traffic(_Table):
    """``[traffic]``: how many shipments arrive, when, and what they are."""

    shipments_per_day: float = Field(
        gt=0, le=10_000_000, description="Mean arrivals a day over a whole week."
    )
    hourly_profile: list[Annotated[float, Field(ge=0)]] = Field(
        default_factory=lambda: [1.0] * 24,
        min_length=24,
        max_length=24,
        description="24 relative weights of arrivals by hour of day (0 = midnight).",
    )
    weekly_profile: list[Annotated[float, Field(ge=0)]] = Field(
        default_factory=lambda: [1.0] * 7,
        min_length=7,
        max_length=7,
        description="7 relative weights of arrivals by weekday, Monday first.",
    )
    prearrival_share: Share = Field(0.0, description="Share of declarations lodged before arrival.")
    aeo_share: Share = Field(
        0.0, description="Share of shipments from Authorized Economic Operators."
    )
    commodities: dict[Name, Commodity] = Field(min_length=1, max_length=100)
    origins: dict[Name, Group] = Field(
        default_factory=lambda: {"all": Group(share=1.0)}, min_length=1, max_length=100
    )
    compliance: dict[Name, Group] = Field(
        default_factory=lambda: {"unknown": Group(share=1.0)},
        min_length=1,
        max_length=100,
        description="Traders' compliance history groups.",
    )
    surges: list[Surge] = Field(default_factory=list, max_length=100)
    batches: Batches | None = Field(
        None,
        description="Shipments arrive together, by flight or vessel, on a timetable or as a "
        "Poisson stream of batches; none means one by one.",
    )

    @field_validator("hourly_profile", "weekly_profile")
    @classmethod
    def _not_all_zero(cls, v: list[float]) -> list[float]:
        if not sum(v) > 0:
            raise ValueError("at least one weight must be above 0")
        return v

    @field_validator("commodities", "origins", "compliance")
    @classmethod
    def _shares_sum_to_one(cls, v: dict[str, Group], info: ValidationInfo) -> dict[str, Group]:
        _check_shares(v, info.field_name)
        return v


class IllicitSurge(_Table):
    """``[[illicit.surges]]``: a time window in which illicit goods of some kinds are more
    common, e.g. falsified medical goods during a pandemic (what Operation STOP answered)."""

    start_day: float = Field(ge=0, description="First day of the surge (by arrival time).")
    end_day: EndDay = Field(description="Day the surge ends.")
    factor: float = Field(
        ge=0, le=1000, description="Multiplier of the chance of being illicit of these kinds."
    )
    kinds: list[Name] = Field(
        default_factory=list, description="Illicit kinds that surge; empty means all."
    )
    commodities: list[Name] = Field(
        default_factory=list, description="Commodities affected; empty means all."
    )


Factor = Annotated[float, Field(ge=0, le=1000)]


class IllicitDrift(_Table):
    """``[[illicit.drift]]``: concept drift: from a day on, the chance of being illicit of
    named commodities, origin groups or compliance groups is multiplied (the groups not named
    keep theirs, so the overall share of illicit goods changes too)."""

    start_day: float = Field(ge=0, le=3650, description="First day of the drift (by arrival).")
    commodities: dict[Name, Factor] = Field(
        default_factory=dict,
        max_length=100,
        description="Factor by commodity, e.g. { medicine = 2.0 }.",
    )
    origins: dict[Name, Factor] = Field(
        default_factory=dict,
        max_length=100,
        description="Factor by origin group, e.g. { standard = 3.0, high_risk = 0.5 }.",
    )
    compliance: dict[Name, Factor] = Field(
        default_factory=dict,
        max_length=100,
        description="Factor by compliance group, e.g. { good = 4.0 }.",
    )


class Illicit(_Table):
    """``[illicit]``: the ground truth: how many shipments are falsified or substandard."""

    prevalence: Share = Field(
        0.0,
        description="Share of all shipments that are illicit, before relative risks reorder it.",
    )
    aeo_factor: float = Field(1.0, ge=0, le=1e6, description="Relative risk for AEO traders.")
    kinds: dict[Name, Share] = Field(
        default_factory=lambda: {"falsified": 0.5, "substandard": 0.5},
        min_length=1,
        max_length=20,
        description="Shares of illicit shipments by kind; they sum to 1.",
    )
    surges: list[IllicitSurge] = Field(
        default_factory=list,
        max_length=100,
        description="Windows with more (or fewer) illicit goods of some kinds.",
    )
    drift: list[IllicitDrift] = Field(
        default_factory=list,
        max_length=100,
        description="Changes from a day on in which groups carry illicit goods (concept drift).",
    )

    @field_validator("kinds")
    @classmethod
    def _kinds_sum_to_one(cls, v: dict[str, float]) -> dict[str, float]:
        _check_shares(v, "kinds")
        return v


class Lodgement(_Table):
    """``[lodgement]``: when declarations not lodged before arrival reach customs."""

    delay_hours: Distribution | None = Field(
        None, description="Broker time from arrival to lodgement; none means at arrival."
    )
    roster: str = Field(ALWAYS_OPEN, description="Hours when declarations are accepted.")


class Roster(_Table):
    """``[rosters.<name>]``: opening hours by weekday."""

    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = Field(
        min_length=1, max_length=7, description="Weekdays the roster works."
    )
    hours: list[tuple[float, float]] = Field(
        min_length=1, max_length=24, description="Shifts as [start, end] hours of the day, 0-24."
    )

    @field_validator("days")
    @classmethod
    def _unique_days(cls, v: list[str]) -> list[str]:
        if len(set(v)) != len(v):
            raise ValueError("a weekday is listed twice")
        return v

    @field_validator("hours")
    @classmethod
    def _shifts(cls, v: list[tuple[float, float]]) -> list[tuple[float, float]]:
        shifts = sorted(v)
        for start, end in shifts:
            if not 0 <= start < end <= 24:
                raise ValueError(f"shift [{start:g}, {end:g}] must have 0 <= start < end <= 24")
        for (_, end), (start, _) in zip(shifts, shifts[1:], strict=False):
            if start < end:
                raise ValueError("shifts overlap")
        return shifts


class Check(_Table):
    """``[checks.<name>]``: a station where officers or machines check shipments."""

    kind: Literal["documentary", "scan", "physical", "screening", "lab", "permit"] = Field(
        description="What the check is; scan and physical count as inspections."
    )
    servers: int = Field(ge=1, le=100_000, description="Officers or machines working in parallel.")
    roster: str = Field(ALWAYS_OPEN, description="'24/7' or the name of a [rosters] table.")
    absence: float = Field(
        0.0, ge=0, lt=1, description="Chance that an officer is absent on a given day."
    )
    duration_hours: Distribution = Field(description="Time to check one shipment, in hours.")
    detect: dict[Name, Share] = Field(
        default_factory=dict, description="Chance to find each illicit kind; missing kinds: 0."
    )
    false_alarm: Share = Field(
        0.0, description="Chance that a legitimate shipment raises an alarm (needs on_alarm)."
    )
    on_alarm: str = Field(
        "intercept", description="'intercept', or the check that an alarm refers the shipment to."
    )
    release_on_guarantee: bool = Field(
        False,
        description="Release without waiting for the result; a finding is a post-release "
        "detection.",
    )
    required_for: list[Name] | dict[Name, Share] = Field(
        default_factory=list,
        description="Commodities that pass this check whatever their lane: a list, or a table "
        "of the share of each commodity's shipments that need it.",
    )
    duration_by_commodity: dict[Name, Distribution] | None = Field(
        None,
        description="Time to check one shipment of each commodity named, in hours, in place of "
        "duration_hours (and of its lane's duration).",
    )
    duration_by_lane: dict[Name, Distribution] | None = Field(
        None,
        description="Time to check one shipment sent to each lane named, in hours, where its "
        "commodity has no duration_by_commodity; duration_hours otherwise (see docs/model.md).",
    )
    query: Query | None = Field(
        None,
        description="The check may ask the trader a question: it waits for the answer, then "
        "concludes.",
    )
    description: str = Field("", max_length=10_000)

    @field_validator("required_for", mode="wrap")
    @classmethod
    def _shares_in_range(cls, v: Any, handler: Any) -> Any:
        """A table's shares are checked here, so that a bad one reads as one problem (not
        one for each form the key may take)."""
        if isinstance(v, dict):
            for commodity, share in v.items():
                if isinstance(share, bool) or not isinstance(share, int | float):
                    raise ValueError(f"the share of {commodity!r} must be a number from 0 to 1")
                if not 0 <= share <= 1:
                    raise ValueError(
                        f"the share of {commodity!r} must be from 0 to 1, got {share:g}"
                    )
        return handler(v)


class PolicySpec(BaseModel):
    """``[policy]``: the risk-management policy; its keys depend on ``kind``."""

    model_config = ConfigDict(extra="allow", allow_inf_nan=False)
    kind: str = Field(description="Which policy: see sim.policies.POLICIES.")


class Scenario(_Table):
    """A whole scenario file."""

    scenario: ScenarioInfo
    traffic: Traffic
    illicit: Illicit = Field(default_factory=lambda: Illicit())
    unloading: Unloading | None = Field(
        None, description="Arrival of the means of transport to goods ready in the warehouse."
    )
    lodgement: Lodgement = Field(default_factory=lambda: Lodgement())
    payment: Payment | None = Field(
        None, description="Payment of duties and taxes, after the checks and before release."
    )
    exit: Exit | None = Field(
        None,
        description="Release to exit from customs control (pick-up); after the clearance time.",
    )
    costs: Costs | None = Field(
        None, description="Prices of delay, officers' hours, spoiled goods and harm of leaks."
    )
    rosters: dict[Name, Roster] = Field(default_factory=dict, max_length=100)
    checks: dict[Name, Check] = Field(default_factory=dict, max_length=100)
    lanes: dict[Name, list[str]] = Field(min_length=1, max_length=50)
    policy: PolicySpec
    adversary: Adversary | None = Field(
        None,
        description="Traffickers who adapt: the illicit flow moves toward routes with lower "
        "losses (see sim/schema/adversary.py).",
    )
    network: NetworkSpec | None = Field(
        None,
        description="Other offices simulated with this one (the home office), and the seizures "
        "they share (see sim/schema/network.py).",
    )
    variants: dict[Name, dict[str, Any]] | None = Field(
        None,
        max_length=100,
        description="Named variants for `bordersim compare`: each table overrides keys of this "
        "scenario (see docs/experiments.md); `bordersim run` runs the scenario itself.",
    )

    @field_validator("variants", mode="before")
    @classmethod
    def _variant_words(cls, v: Any) -> Any:
        """A variant's ``label`` and ``description`` become its ``scenario.label`` and
        ``scenario.description``, empty when not given: a variant never takes the base's."""
        if not isinstance(v, dict):
            return v
        out: dict[Any, Any] = {}
        for name, table in v.items():
            if not isinstance(table, dict):
                out[name] = table
                continue
            table = dict(table)
            info = table.get("scenario", {})
            if not isinstance(info, dict):
                out[name] = table
                continue
            info = dict(info)
            for key in VARIANT_WORDS:
                if key in table:
                    words = table.pop(key)
                    if not isinstance(words, str):
                        raise ValueError(f"{name}.{key} must be text, got {words!r}")
                    info[key] = words
                info.setdefault(key, "")
            table["scenario"] = info
            out[name] = table
        return out

    _policy_config: Any = PrivateAttr(None)
    _offices: dict[str, Any] = PrivateAttr(default_factory=dict)

    @property
    def offices(self) -> dict[str, Any]:
        """The other offices of a ``[network]``, resolved: name -> ``(label, Scenario)``."""
        return self._offices

    @property
    def policy_config(self) -> Any:
        """The policy's validated settings (a pydantic model of the policy's kind)."""
        return self._policy_config

    @property
    def hours(self) -> float:
        """End of the arrival window, in hours."""
        return self.scenario.days * 24.0

    @property
    def warmup_hours(self) -> float:
        return self.scenario.warmup_days * 24.0

    @property
    def end_hours(self) -> float:
        """When the simulation stops: the arrival window plus the drain."""
        return (self.scenario.days + self.scenario.drain_days) * 24.0

    def to_dict(self) -> dict[str, Any]:
        """The resolved scenario as plain data: every default filled in."""
        data = self.model_dump(mode="json", exclude_none=True)
        if self._policy_config is not None:
            data["policy"] = self._policy_config.model_dump(mode="json", exclude_none=True)
        if self._offices:
            data["network"]["offices"] = {
                name: {"label": label, **office.to_dict()}
                for name, (label, office) in self._offices.items()
            }
        return data

    def to_toml(self) -> str:
        """The resolved scenario as a TOML document that loads back to the same scenario."""
        return tomli_w.dumps(self.to_dict())

    def digest(self) -> str:
        """SHA-256 of the resolved scenario: two runs with the same digest and seed agree."""
        return hashlib.sha256(self.to_toml().encode()).hexdigest()
