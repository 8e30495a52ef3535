"""The scenario file: its schema, validation, ``--set`` overrides and the resolved form.

A scenario is data (TOML), never code. Every table and key is declared here with its meaning;
unknown keys are errors, so a typo never passes silently. Errors are collected into one
:class:`ScenarioError` that names the file, each key path and what is allowed.
"""

from __future__ import annotations

import difflib
import hashlib
import tomllib
import typing
from pathlib import Path
from typing import Annotated, Any, Literal

import tomli_w
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PositiveFloat,
    PrivateAttr,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)

from sim.distributions import Distribution

Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")]
"""A name used as a table key (a commodity, check, lane...): letters, digits, _ and -."""

Share = Annotated[float, Field(ge=0, le=1)]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALWAYS_OPEN = "24/7"
CHECK_KINDS = ("documentary", "scan", "physical", "screening", "lab", "permit")
INSPECTION_KINDS = frozenset({"scan", "physical"})
SHARE_TOLERANCE = 1e-6


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True)


def _check_shares(groups: dict[str, Any], what: str) -> None:
    total = sum(g if isinstance(g, float | int) else g.share for g in groups.values())
    if abs(total - 1.0) > SHARE_TOLERANCE:
        raise ValueError(f"the {what} shares must sum to 1, they sum to {total:.6g}")


class ScenarioInfo(_Table):
    """``[scenario]``: what the run is and how long it lasts."""

    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")] = Field(
        description="Short name; results go to results/<name>/. Letters, digits, '.', '_', '-'."
    )
    description: str = Field("", max_length=10_000, description="The question this scenario answers.")
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

    @model_validator(mode="after")
    def _warmup_inside(self) -> ScenarioInfo:
        if self.warmup_days >= self.days:
            raise ValueError(
                f"warmup_days ({self.warmup_days:g}) must be less than days ({self.days:g})"
            )
        return self


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


class Surge(_Table):
    """``[[traffic.surges]]``: a time window in which arrivals are multiplied."""

    start_day: float = Field(ge=0, description="First day of the surge (whole hours).")
    end_day: float = Field(gt=0, description="Day the surge ends.")
    factor: float = Field(ge=0, le=1000, description="Multiplier of the arrival rate.")
    commodities: list[Name] = Field(
        default_factory=list, description="Commodities that surge; empty means all."
    )

    @model_validator(mode="after")
    def _ordered(self) -> Surge:
        if self.end_day <= self.start_day:
            raise ValueError("end_day must be after start_day")
        return self


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
    aeo_share: Share = Field(0.0, description="Share of shipments from Authorized Economic Operators.")
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

    @field_validator("hourly_profile", "weekly_profile")
    @classmethod
    def _not_all_zero(cls, v: list[float]) -> list[float]:
        if not sum(v) > 0:
            raise ValueError("at least one weight must be above 0")
        return v

    @field_validator("commodities", "origins", "compliance")
    @classmethod
    def _shares_sum_to_one(cls, v: dict[str, Group], info: Any) -> dict[str, Group]:
        _check_shares(v, info.field_name)
        return v


class Illicit(_Table):
    """``[illicit]``: the ground truth: how many shipments are falsified or substandard."""

    prevalence: Share = Field(
        0.0, description="Share of all shipments that are illicit, before relative risks reorder it."
    )
    aeo_factor: float = Field(1.0, ge=0, le=1e6, description="Relative risk for AEO traders.")
    kinds: dict[Name, Share] = Field(
        default_factory=lambda: {"falsified": 0.5, "substandard": 0.5},
        min_length=1,
        max_length=20,
        description="Shares of illicit shipments by kind; they sum to 1.",
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
        description="Release without waiting for the result; a finding is a post-release detection.",
    )
    required_for: list[Name] = Field(
        default_factory=list, description="Commodities that pass this check whatever their lane."
    )
    description: str = Field("", max_length=10_000)


class PolicySpec(BaseModel):
    """``[policy]``: the risk-management policy; its keys depend on ``kind``."""

    model_config = ConfigDict(extra="allow")
    kind: str = Field(description="Which policy: see sim.policies.POLICIES.")


class Scenario(_Table):
    """A whole scenario file."""

    scenario: ScenarioInfo
    traffic: Traffic
    illicit: Illicit = Field(default_factory=lambda: Illicit())
    lodgement: Lodgement = Field(default_factory=lambda: Lodgement())
    rosters: dict[Name, Roster] = Field(default_factory=dict, max_length=100)
    checks: dict[Name, Check] = Field(default_factory=dict, max_length=100)
    lanes: dict[Name, list[str]] = Field(min_length=1, max_length=50)
    policy: PolicySpec

    _policy_config: Any = PrivateAttr(None)

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
        return data

    def to_toml(self) -> str:
        """The resolved scenario as a TOML document that loads back to the same scenario."""
        return tomli_w.dumps(self.to_dict())

    def digest(self) -> str:
        """SHA-256 of the resolved scenario: two runs with the same digest and seed agree."""
        return hashlib.sha256(self.to_toml().encode()).hexdigest()


# --------------------------------------------------------------------------- errors


class ScenarioError(Exception):
    """A scenario that cannot run: where it came from and every problem, by key path."""

    def __init__(self, source: str, problems: list[tuple[str, str]]):
        self.source = source
        self.problems = problems
        super().__init__(str(self))

    def __str__(self) -> str:
        lines = [f"{self.source}: invalid scenario"]
        shown = self.problems[:20]
        lines += [f"  {path}: {msg}" if path else f"  {msg}" for path, msg in shown]
        if len(self.problems) > len(shown):
            lines.append(f"  ... and {len(self.problems) - len(shown)} more")
        return "\n".join(lines)


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The model class that holds the key at ``loc`` (for listing the allowed keys)."""
    tp: Any = Scenario
    for part in loc[:-1]:
        tp = _unwrap(tp)
        if isinstance(tp, type) and issubclass(tp, BaseModel):
            field = tp.model_fields.get(str(part))
            if field is None:
                return None
            tp = field.annotation
        elif typing.get_origin(tp) in (dict, list):
            tp = typing.get_args(tp)[-1]
        elif typing.get_origin(tp) in (typing.Union, _UnionType):
            members = [_unwrap(a) for a in typing.get_args(tp)]
            tagged = [
                m
                for m in members
                if isinstance(m, type)
                and issubclass(m, BaseModel)
                and "dist" in m.model_fields
                and typing.get_args(m.model_fields["dist"].annotation) == (part,)
            ]
            if not tagged:
                return None
            tp = tagged[0]
        else:
            return None
    tp = _unwrap(tp)
    return tp if isinstance(tp, type) and issubclass(tp, BaseModel) else None


_UnionType = type(int | str)


def _unwrap(tp: Any) -> Any:
    while True:
        origin = typing.get_origin(tp)
        if origin is Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, _UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            if len(args) == 1:
                tp = args[0]
            else:
                return tp
        else:
            return tp


def _path(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        elif part in ("[key]",):
            continue
        else:
            parts.append(("." if parts else "") + str(part))
    return "".join(parts)


def _clean_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    # Discriminated unions put the tag ('lognormal') in the path; function validators their name.
    out: list[Any] = []
    for part in loc:
        if isinstance(part, str) and (part.startswith("function-") or part in DIST_TAGS):
            continue
        out.append(part)
    return tuple(out)


DIST_TAGS = frozenset(("exponential", "lognormal", "gamma", "triangular", "uniform", "fixed", "empirical"))


def problems_from(err: ValidationError, prefix: tuple[Any, ...] = (), model: Any = None) -> list[tuple[str, str]]:
    """Readable (key path, message) pairs from a pydantic error."""
    out = []
    for e in err.errors(include_url=False):
        loc = prefix + tuple(e["loc"])
        kind = e["type"]
        if kind == "extra_forbidden":
            owner = model if model is not None and len(e["loc"]) == 1 else _model_at(loc)
            name = str(loc[-1])
            allowed = sorted(owner.model_fields) if owner else []
            hint = difflib.get_close_matches(name, allowed, n=1)
            msg = f"unknown key '{name}'"
            if hint:
                msg += f" (did you mean '{hint[0]}'?)"
            if allowed:
                msg += f"; allowed here: {', '.join(allowed)}"
            out.append((_path(_clean_loc(loc[:-1]) + (name,)), msg))
            continue
        if kind == "missing":
            msg = "required key is missing"
        elif kind == "union_tag_invalid" or kind == "union_tag_not_found":
            msg = f"'dist' must be one of: {', '.join(sorted(DIST_TAGS))}"
        elif kind == "string_pattern_mismatch":
            msg = f"{e['input']!r} is not allowed: use letters, digits, '_' and '-' (start with a letter)"
        elif kind == "literal_error":
            msg = f"{e['input']!r} is not allowed; {e['msg'][0].lower()}{e['msg'][1:]}"
        else:
            msg = e["msg"]
            if msg.startswith("Value error, "):
                msg = msg[len("Value error, ") :]
            if "input" in e and kind not in ("value_error",) and not isinstance(e["input"], dict | list):
                msg += f" (got {e['input']!r})"
        out.append((_path(_clean_loc(loc)), msg))
    return out


# --------------------------------------------------------------------------- loading


def read_toml(path: str | Path) -> dict[str, Any]:
    """Parse a TOML file, turning every failure into a :class:`ScenarioError`."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError(str(path), [("", "no such file")]) from None
    except IsADirectoryError:
        raise ScenarioError(str(path), [("", "is a folder, not a scenario file")]) from None
    except OSError as exc:
        raise ScenarioError(str(path), [("", f"cannot be read: {exc.strerror}")]) from None
    if len(raw) > 50_000_000:
        raise ScenarioError(str(path), [("", "is larger than 50 MB; a scenario file is text")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(str(path), [("", f"is not UTF-8 text (byte {exc.start})")]) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(str(path), [("", f"is not valid TOML: {exc}")]) from None
    except RecursionError:
        raise ScenarioError(str(path), [("", "is nested too deeply")]) from None


def parse_override(text: str) -> tuple[list[str], Any]:
    """Split ``a.b.c=value``; the value is read as TOML (``3``, ``0.2``, ``[1, 2]``, ``true``,
    ``{dist = "fixed", value = 1}``) and otherwise taken as a plain string."""
    key, sep, value = text.partition("=")
    key = key.strip()
    parts = key.split(".")
    if not sep or not key or any(not p.strip() for p in parts):
        raise ScenarioError(f"--set {text}", [("", "expected dotted.key=value, e.g. policy.rates.red=0.1")])
    value = value.strip()
    try:
        parsed = tomllib.loads(f"v = {value}")["v"]
    except (tomllib.TOMLDecodeError, RecursionError):
        parsed = value
    return [p.strip() for p in parts], parsed


def apply_overrides(data: dict[str, Any], overrides: list[str], source: str) -> dict[str, Any]:
    """Apply ``--set`` overrides to parsed scenario data (a deep copy is returned)."""
    import copy

    data = copy.deepcopy(data)
    for text in overrides:
        parts, value = parse_override(text)
        node = data
        for i, part in enumerate(parts[:-1]):
            nxt = node.get(part)
            if nxt is None:
                nxt = node[part] = {}
            if not isinstance(nxt, dict):
                where = ".".join(parts[: i + 1])
                raise ScenarioError(f"{source} (--set {text})", [(where, "is a value, not a table")])
            node = nxt
        node[parts[-1]] = value
    return data


def from_dict(data: dict[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate parsed scenario data, including the cross-references between tables."""
    from sim.policies import validate_policy

    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as err:
        raise ScenarioError(source, problems_from(err)) from None
    problems = _cross_check(scenario)
    if not problems:
        config, policy_problems = validate_policy(scenario)
        problems += policy_problems
        scenario._policy_config = config
    if problems:
        raise ScenarioError(source, problems)
    return scenario


def load_scenario(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Scenario:
    """Read, override and validate a scenario file."""
    source = str(path)
    data = read_toml(path)
    if overrides:
        data = apply_overrides(data, list(overrides), source)
        source = f"{source} (with --set {' --set '.join(overrides)})"
    return from_dict(data, source)


def loads_scenario(text: str, source: str = "<string>") -> Scenario:
    """Validate a scenario given as TOML text."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(source, [("", f"is not valid TOML: {exc}")]) from None
    return from_dict(data, source)


def _cross_check(s: Scenario) -> list[tuple[str, str]]:
    """Checks that span tables: every name used is defined, and risks stay below 1."""
    problems: list[tuple[str, str]] = []
    rosters = [ALWAYS_OPEN, *s.rosters]
    checks = list(s.checks)
    commodities = list(s.traffic.commodities)
    kinds = list(s.illicit.kinds)

    def unknown(path: str, what: str, name: str, allowed: list[str]) -> None:
        hint = difflib.get_close_matches(name, allowed, n=1)
        msg = f"unknown {what} '{name}'"
        if hint:
            msg += f" (did you mean '{hint[0]}'?)"
        problems.append((path, f"{msg}; defined: {', '.join(allowed) or 'none'}"))

    if ALWAYS_OPEN in s.rosters:
        problems.append(("rosters", f"'{ALWAYS_OPEN}' is built in and cannot be redefined"))
    if s.lodgement.roster not in rosters:
        unknown("lodgement.roster", "roster", s.lodgement.roster, rosters)
    for name, check in s.checks.items():
        if check.roster not in rosters:
            unknown(f"checks.{name}.roster", "roster", check.roster, rosters)
        for kind in check.detect:
            if kind not in kinds:
                unknown(f"checks.{name}.detect.{kind}", "illicit kind", kind, kinds)
        for commodity in check.required_for:
            if commodity not in commodities:
                unknown(f"checks.{name}.required_for", "commodity", commodity, commodities)
        if check.on_alarm != "intercept":
            if check.on_alarm not in checks:
                unknown(f"checks.{name}.on_alarm", "check", check.on_alarm, ["intercept", *checks])
            elif check.on_alarm == name:
                problems.append((f"checks.{name}.on_alarm", "a check cannot refer to itself"))
        elif check.false_alarm > 0:
            problems.append(
                (f"checks.{name}.false_alarm", "needs on_alarm to name the check that resolves an alarm")
            )
    for lane, route in s.lanes.items():
        for check in route:
            if check not in checks:
                unknown(f"lanes.{lane}", "check", check, checks)
        if len(set(route)) != len(route):
            problems.append((f"lanes.{lane}", "a check is listed twice"))
    for i, surge in enumerate(s.traffic.surges):
        for commodity in surge.commodities:
            if commodity not in commodities:
                unknown(f"traffic.surges[{i}].commodities", "commodity", commodity, commodities)
    if s.illicit.prevalence > 0:
        top = max_illicit_probability(s)
        if top > 1 + 1e-9:
            problems.append(
                (
                    "illicit.prevalence",
                    f"with these illicit_factor values the riskiest shipments would be illicit "
                    f"with probability {top:.3g} > 1; lower the prevalence or the factors",
                )
            )
    return problems


def risk_groups(s: Scenario) -> list[tuple[list[float], list[float]]]:
    """(shares, relative risks) of each independent attribute, AEO status last."""
    t = s.traffic
    groups = [
        ([g.share for g in t.commodities.values()], [g.illicit_factor for g in t.commodities.values()]),
        ([g.share for g in t.origins.values()], [g.illicit_factor for g in t.origins.values()]),
        ([g.share for g in t.compliance.values()], [g.illicit_factor for g in t.compliance.values()]),
        ([1 - t.aeo_share, t.aeo_share], [1.0, s.illicit.aeo_factor]),
    ]
    return groups


def max_illicit_probability(s: Scenario) -> float:
    """The highest probability of being illicit that any shipment can have."""
    mean = 1.0
    top = 1.0
    for shares, factors in risk_groups(s):
        mean *= sum(sh * f for sh, f in zip(shares, factors, strict=True))
        top *= max(f for sh, f in zip(shares, factors, strict=True) if sh > 0)
    if mean <= 0:
        return float("inf")
    return s.illicit.prevalence * top / mean
