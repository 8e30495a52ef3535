"""The scenario file: its schema, validation, ``--set`` overrides and the resolved form.

A scenario is data (TOML), never code. Every table and key is declared here with its meaning;
unknown keys are errors, so a typo never passes silently. Errors are collected into one
:class:`ScenarioError` that names the file, each key path and what is allowed.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import math
import os
import re
import tomllib
import typing
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import tomli_w
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PositiveFloat,
    PrivateAttr,
    StringConstraints,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from sim.distributions import DIST_NAMES, Distribution

Name = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_-]{0,63}$")]
"""A name used as a table key (a commodity, check, lane...): letters, digits, _ and -."""

Share = Annotated[float, Field(ge=0, le=1)]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALWAYS_OPEN = "24/7"
CHECK_KINDS = ("documentary", "scan", "physical", "screening", "lab", "permit")
INSPECTION_KINDS = frozenset({"scan", "physical"})
SHARE_TOLERANCE = 1e-6


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_default=True, allow_inf_nan=False)


def _check_shares(groups: dict[str, Any], what: str) -> None:
    total = sum(g if isinstance(g, float | int) else g.share for g in groups.values())
    if abs(total - 1.0) > SHARE_TOLERANCE:
        raise ValueError(f"the {what} shares must sum to 1, they sum to {total:.6g}")


class ScenarioInfo(_Table):
    """``[scenario]``: what the run is and how long it lasts."""

    name: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")] = Field(
        description="Short name; results go to results/<name>/. Letters, digits, '.', '_', '-'."
    )
    description: str = Field(
        "", max_length=10_000, description="The question this scenario answers."
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
    required_for: list[Name] = Field(
        default_factory=list, description="Commodities that pass this check whatever their lane."
    )
    description: str = Field("", max_length=10_000)


class PolicySpec(BaseModel):
    """``[policy]``: the risk-management policy; its keys depend on ``kind``."""

    model_config = ConfigDict(extra="allow", allow_inf_nan=False)
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
    variants: dict[Name, dict[str, Any]] | None = Field(
        None,
        max_length=100,
        description="Named variants for `bordersim compare`: each table overrides keys of this "
        "scenario (see docs/experiments.md); `bordersim run` runs the scenario itself.",
    )

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
        if len(self.problems) == 1 and not self.problems[0][0]:
            return f"{self.source}: {self.problems[0][1]}"
        lines = [f"{self.source}: invalid scenario"]
        shown = self.problems[:20]
        lines += [f"  {path}: {msg}" if path else f"  {msg}" for path, msg in shown]
        if len(self.problems) > len(shown):
            lines.append(f"  ... and {len(self.problems) - len(shown)} more")
        return "\n".join(lines)


def _model_at(loc: tuple[Any, ...], root: Any = None) -> type[BaseModel] | None:
    """The model class that holds the key at ``loc`` (for listing the allowed keys), walking
    from ``root`` (default: the whole scenario)."""
    tp: Any = Scenario if root is None else root
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
    """A dotted key path as typed in ``--set``: ``checks.physical.servers``, ``hours[0]``."""
    parts: list[str] = []
    for part in loc:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        elif part in ("[key]",):
            continue
        else:
            parts.append(("." if parts else "") + _key_text(str(part)))
    return "".join(parts)


_PLAIN_KEY = re.compile(r"[A-Za-z0-9_-]{1,64}")


def _key_text(name: str) -> str:
    """A key as written in TOML: bare when it can be, else quoted with escapes (and shortened)."""
    return name if _PLAIN_KEY.fullmatch(name) else _show(name)


def quote_name(name: str) -> str:
    """A name inside a message: 'servers', or "a \n b" when it holds unusual characters."""
    return f"'{name}'" if _PLAIN_KEY.fullmatch(name) or name == ALWAYS_OPEN else _show(name)


def _clean_loc(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    # Discriminated unions put the tag ('lognormal') in the path; function validators their name.
    out: list[Any] = []
    for part in loc:
        if isinstance(part, str) and (part.startswith("function-") or part in DIST_TAGS):
            continue
        out.append(part)
    return tuple(out)


DIST_TAGS = frozenset(DIST_NAMES)


def suggest(name: str, allowed: list[str]) -> str | None:
    """The allowed name that a mistyped one was probably meant to be, if any is close."""
    folded = name.lower()
    for candidate in allowed:
        if candidate.lower() == folded or sorted(candidate.lower()) == sorted(folded):
            return candidate
    hint = difflib.get_close_matches(name, allowed, n=1)
    return hint[0] if hint else None


def _show(value: Any) -> str:
    """A value as written in a TOML file, shortened: ``true``, ``"abc"``, ``nan``, ``a table``."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, float):
        text = f"{value:.10g}"
    elif isinstance(value, int):
        text = str(value) if abs(value) < 10**30 else f"{value:.3g}"
    else:
        return "a value of another kind"
    return text if len(text) <= 40 else text[:37] + "..."


NAME_RULE = "use 1-64 letters, digits, '_' and '-', starting with a letter or '_'"
SCENARIO_NAME_RULE = "use 1-64 letters, digits, '.', '_' and '-', starting with a letter or digit"
_NAME_RULES = {Name.__metadata__[0].pattern: NAME_RULE}

_TYPE_WORDS = {
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_parsing_size": "must be a whole number of ordinary size",
    "int_from_float": "must be a whole number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "string_type": "must be text in quotes",
    "dict_type": "must be a table",
    "model_type": "must be a table",
    "model_attributes_type": "must be a table",
    "list_type": "must be a list",
    "tuple_type": "must be a list",
    "finite_number": "must be a finite number (not nan or inf)",
    "missing": "required key is missing",
}


def _exact_length(loc: tuple[Any, ...]) -> int | None:
    """N when the field at ``loc`` must have exactly N entries (min_length == max_length)."""
    owner = _model_at(loc) if loc else None
    field = owner.model_fields.get(str(loc[-1])) if owner else None
    if field is None:
        return None
    lo = [m.min_length for m in field.metadata if hasattr(m, "min_length")]
    hi = [m.max_length for m in field.metadata if hasattr(m, "max_length")]
    return lo[0] if lo and hi and lo[0] == hi[0] else None


def _message(e: dict[str, Any], exact: int | None = None) -> str:
    """One line in plain words for one pydantic error, without Python names."""
    kind, ctx = e["type"], e.get("ctx") or {}
    got = e.get("input")
    if kind == "missing":
        return _TYPE_WORDS[kind]
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        tag = got.get("dist") if isinstance(got, dict) else None
        msg = f"'dist' must be one of: {', '.join(sorted(DIST_TAGS))}"
        return msg + (f"; got {_show(tag)}" if tag is not None else "; 'dist' is missing")
    if kind in ("value_error", "assertion_error"):
        msg = e["msg"]
        for head in ("Value error, ", "Assertion failed, "):
            msg = msg.removeprefix(head)
        return msg
    bounds = {
        "greater_than": ("must be greater than", "gt"),
        "greater_than_equal": ("must be at least", "ge"),
        "less_than": ("must be less than", "lt"),
        "less_than_equal": ("must be at most", "le"),
    }
    if kind in bounds:
        words, key = bounds[kind]
        msg = f"{words} {ctx.get(key):g}" if isinstance(ctx.get(key), int | float) else words
    elif kind in _TYPE_WORDS:
        msg = _TYPE_WORDS[kind]
    elif kind == "string_pattern_mismatch":
        rule = _NAME_RULES.get(ctx.get("pattern"), SCENARIO_NAME_RULE)
        return f"{_show(got)} is not allowed: {rule}"
    elif kind == "literal_error":
        msg = f"must be {ctx.get('expected', 'one of the allowed values')}"
    elif kind in ("too_short", "too_long"):
        n = ctx.get("min_length" if kind == "too_short" else "max_length")
        words = "at least" if kind == "too_short" else "at most"
        if exact is not None:
            words, n = "exactly", exact
        noun = "entry" if n == 1 else "entries"
        return f"needs {words} {n} {noun}, got {ctx.get('actual_length')}"
    elif kind in ("string_too_long", "string_too_short"):
        n = ctx.get("max_length" if kind == "string_too_long" else "min_length")
        words = "at most" if kind == "string_too_long" else "at least"
        return f"must be {words} {n} characters long"
    else:
        msg = e["msg"].replace("Input should be", "must be")
        msg = msg[0].lower() + msg[1:] if msg else "is not allowed"
    return f"{msg}, got {_show(got)}"


def problems_from(
    err: ValidationError, prefix: tuple[Any, ...] = (), model: Any = None
) -> list[tuple[str, str]]:
    """Readable (key path, message) pairs from a pydantic error."""
    out = []
    for e in err.errors(include_url=False):
        loc = prefix + tuple(e["loc"])
        if e["type"] == "extra_forbidden":
            owner = _model_at(tuple(e["loc"]), model) if model is not None else _model_at(loc)
            name = str(loc[-1])
            allowed = sorted(owner.model_fields) if owner else []
            hint = suggest(name, allowed)
            msg = f"unknown key {quote_name(name)}"
            if hint:
                msg += f" (did you mean '{hint}'?)"
            if allowed:
                msg += f"; allowed here: {', '.join(allowed)}"
            out.append((_path(_clean_loc(loc[:-1]) + (name,)), msg))
            continue
        if e["type"] == "string_pattern_mismatch" and loc and loc[-1] == "[key]":
            msg = f"{_show(loc[-2])} is not allowed as a name: {NAME_RULE}"
            out.append((_path(_clean_loc(loc)), msg))
            continue
        exact = _exact_length(loc) if e["type"] in ("too_short", "too_long") else None
        out.append((_path(_clean_loc(loc)), _message(e, exact)))
    return out


def _non_finite(value: Any, loc: tuple[Any, ...] = ()) -> list[tuple[str, str]]:
    """Every nan or inf in parsed data (TOML allows them; no scenario value may be one)."""
    if isinstance(value, float) and not math.isfinite(value):
        return [(_path(loc), f"must be a finite number (not nan or inf), got {_show(value)}")]
    out: list[tuple[str, str]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            out += _non_finite(item, (*loc, key))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            out += _non_finite(item, (*loc, i))
    return out


def _kind_of(value: Any) -> str | None:
    """The kind of a scalar as TOML sees it: a switch, a number or text."""
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int | float):
        return "a whole number" if isinstance(value, int) else "a number"
    if isinstance(value, str):
        return "text in quotes"
    return None


def _same_kind(a: str | None, b: str | None) -> bool:
    return a == b or {a, b} == {"a number", "a whole number"}


def _retyped(raw: Any, resolved: Any, loc: tuple[Any, ...] = ()) -> list[tuple[str, str]]:
    """Values that validation silently converted (``true`` to 1, ``"3"`` to 3.0): a scenario file is
    typed TOML data, so a number must be written as a number and a switch as true or false."""
    if isinstance(raw, dict) and isinstance(resolved, dict):
        out: list[tuple[str, str]] = []
        for key, item in raw.items():
            if key in resolved:
                out += _retyped(item, resolved[key], (*loc, key))
        return out
    if isinstance(raw, list | tuple) and isinstance(resolved, list | tuple):
        out = []
        for i, (item, res) in enumerate(zip(raw, resolved, strict=False)):
            out += _retyped(item, res, (*loc, i))
        return out
    want, got = _kind_of(resolved), _kind_of(raw)
    if want and got and not _same_kind(want, got):
        return [(_path(loc), f"must be {want}, got {_show(raw)}")]
    return []


def _covered(path: str, reported: list[str]) -> bool:
    """Whether ``path`` is, or holds, a key already reported."""
    return any(r == path or r.startswith((f"{path}.", f"{path}[")) or not path for r in reported)


# --------------------------------------------------------------------------- loading


def read_toml(path: str | Path) -> dict[str, Any]:
    """Parse a TOML file, turning every failure into a :class:`ScenarioError`."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ScenarioError(str(path), [("", "no such file")]) from None
    except IsADirectoryError:
        raise ScenarioError(str(path), [("", "this is a folder, not a scenario file")]) from None
    except OSError as exc:
        raise ScenarioError(str(path), [("", f"cannot be read: {exc.strerror or exc}")]) from None
    if len(raw) > 50_000_000:
        raise ScenarioError(str(path), [("", "larger than 50 MB; a scenario file is short text")])
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        msg = f"not UTF-8 text (bad byte at offset {exc.start})"
        raise ScenarioError(str(path), [("", msg)]) from None
    return _parse_toml(text, str(path))


def _parse_toml(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(source, [("", f"not valid TOML: {exc}")]) from None
    except RecursionError:
        raise ScenarioError(source, [("", "nested too deeply")]) from None


OVERRIDE_USAGE = "an override is KEY=VALUE with a dotted KEY, e.g. --set policy.rates.red=0.1"


def parse_override(text: str, source: str = "--set") -> tuple[list[str], Any]:
    """Split ``a.b.c=value``; the value is read as TOML (``3``, ``0.2``, ``[1, 2]``, ``true``,
    ``{dist = "fixed", value = 1}``) and otherwise taken as a plain string."""
    key, sep, value = text.partition("=")
    key = key.strip()
    parts = [p.strip() for p in key.split(".")]
    if not sep or not key or any(not p for p in parts):
        raise ScenarioError(source, [(_path(tuple(parts)) if key else "", OVERRIDE_USAGE)])
    value = value.strip()
    try:
        doc = tomllib.loads(f"v = {value}")
    except (tomllib.TOMLDecodeError, RecursionError):
        doc = {}
    # Anything after the value (a newline and more keys) means it was not one TOML value.
    parsed = doc["v"] if list(doc) == ["v"] else value
    return parts, parsed


def apply_overrides(data: dict[str, Any], overrides: list[str], source: str) -> dict[str, Any]:
    """Apply ``--set`` overrides to parsed scenario data (a deep copy is returned)."""
    try:
        data = copy.deepcopy(data)
    except RecursionError:  # a file nested thousands of tables deep
        raise ScenarioError(source, [("", "nested too deeply")]) from None
    for text in overrides:
        where = f"{source} (--set {text})"
        parts, value = parse_override(text, where)
        node = data
        for i, part in enumerate(parts[:-1]):
            nxt = node.get(part)
            if nxt is None:
                nxt = node[part] = {}
            if not isinstance(nxt, dict):
                inner = quote_name(parts[i + 1])
                msg = f"holds {_show(nxt)}, not a table, so it has no key {inner}"
                raise ScenarioError(where, [(_path(tuple(parts[: i + 1])), msg)])
            node = nxt
        node[parts[-1]] = value
    return data


def from_dict(data: dict[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate parsed scenario data, including the cross-references between tables."""
    try:
        return _validate(data, source)
    except RecursionError:
        raise ScenarioError(source, [("", "nested too deeply")]) from None


def _validate(data: dict[str, Any], source: str) -> Scenario:
    from sim.policies import validate_policy

    if not isinstance(data, dict):
        msg = f"a scenario must be a table of tables, got {_show(data)}"
        raise ScenarioError(source, [("", msg)])
    problems = _non_finite(data)
    reported = [path for path, _ in problems]
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as err:
        problems += [p for p in problems_from(err) if not _covered(p[0], reported)]
        raise ScenarioError(source, problems) from None
    if problems:
        raise ScenarioError(source, problems)
    # [policy] is left to its policy's own schema, which may convert values on purpose.
    raw = {k: v for k, v in data.items() if k != "policy"}
    problems = _retyped(raw, scenario.model_dump(mode="json", exclude={"policy"}))
    problems += _cross_check(scenario)
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
    return from_dict(_parse_toml(text, source), source)


MAX_SHIPMENTS = 10_000_000
"""Most shipments one replication may simulate (each keeps its traffic and record columns)."""


def expected_shipments(s: Scenario) -> float:
    """About how many shipments one replication simulates (arrival window, drain and surges)."""
    t = s.traffic
    span = s.scenario.days + s.scenario.drain_days
    total = t.shipments_per_day * span
    for surge in t.surges:
        overlap = max(0.0, min(surge.end_day, span) - min(surge.start_day, span))
        share = sum(c.share for name, c in t.commodities.items() if name in surge.commodities)
        share = share if surge.commodities else 1.0
        total += t.shipments_per_day * overlap * max(surge.factor - 1, 0) * share
    return total


MEMORY_ENV = "BORDERSIM_MAX_MEMORY_MB"
DEFAULT_MAX_MEMORY_MB = 8192
"""Memory one replication may take, in MB, unless the environment variable says otherwise."""
BYTES_PER_SHIPMENT = 250
"""Memory of one shipment's traffic and record columns, the selection plan and the metrics'
temporaries: a cautious estimate (the exact path's peak measured about 160 bytes a shipment
with tracemalloc on CPython 3.11 at a million shipments, more in small runs, where the policy's
and stations' blocks of draws weigh more; the fast path about 80);
tests/validation/test_hostile_input.py checks it against a run."""
BYTES_PER_SHIPMENT_CHECK = 10
"""Memory per shipment for each check: a station keeps one row per visit (the shipment and
three timestamps, 28 bytes), and a check is visited by a share of the shipments. A shipment
waiting in a queue holds a little more, so a run whose queues grow without bound can exceed the
estimate."""


def estimated_memory_bytes(s: Scenario) -> float:
    """About how much memory one replication takes (a run that keeps up with its traffic)."""
    per_shipment = BYTES_PER_SHIPMENT + BYTES_PER_SHIPMENT_CHECK * len(s.checks)
    return expected_shipments(s) * per_shipment


def _memory_problem(s: Scenario) -> tuple[str, str] | None:
    """Why a replication would take more memory than the cap allows, or None."""
    text = os.environ.get(MEMORY_ENV, "").strip()
    limit = float(DEFAULT_MAX_MEMORY_MB)
    if text:
        try:
            limit = float(text)
        except ValueError:
            limit = math.nan
        if not (math.isfinite(limit) and limit > 0):
            return (
                "",
                f"environment variable {MEMORY_ENV} must be a number of megabytes above "
                f"0, got {_show(text)}",
            )
    need = estimated_memory_bytes(s)
    if need <= limit * 1e6:
        return None
    per_shipment = BYTES_PER_SHIPMENT + BYTES_PER_SHIPMENT_CHECK * len(s.checks)
    return (
        "traffic.shipments_per_day",
        f"a replication would need about {need / 1e6:,.0f} MB of memory "
        f"({expected_shipments(s):,.0f} shipments x {per_shipment} bytes), more than the "
        f"limit of {limit:,.0f} MB: lower shipments_per_day, days or the surges, or raise "
        f"{MEMORY_ENV}",
    )


def _distribution_problem(dist: Any) -> str | None:
    """Why values cannot be drawn from a distribution (parameters too extreme), or None."""
    try:
        with np.errstate(all="ignore"):
            ok = bool(np.all(np.isfinite(dist.sample(np.random.default_rng(0), 64))))
            ok = ok and math.isfinite(dist.mean_value)
    except (ArithmeticError, ValueError):
        ok = False
    return None if ok else "parameters too extreme to draw values from; use ordinary sizes"


def _cross_check(s: Scenario) -> list[tuple[str, str]]:
    """Checks that span tables: every name used is defined, and risks stay below 1."""
    problems: list[tuple[str, str]] = []
    rosters = [ALWAYS_OPEN, *s.rosters]
    checks = list(s.checks)
    commodities = list(s.traffic.commodities)
    kinds = list(s.illicit.kinds)

    def unknown(path: str, what: str, name: str, allowed: list[str]) -> None:
        hint = suggest(name, allowed)
        msg = f"unknown {what} {quote_name(name)}"
        if hint:
            msg += f" (did you mean '{hint}'?)"
        problems.append((path, f"{msg}; defined: {', '.join(allowed) or 'none'}"))

    if ALWAYS_OPEN in s.rosters:
        problems.append(("rosters", f"'{ALWAYS_OPEN}' is built in and cannot be redefined"))
    if s.lodgement.roster not in rosters:
        unknown("lodgement.roster", "roster", s.lodgement.roster, rosters)
    distributions = [("lodgement.delay_hours", s.lodgement.delay_hours)]
    distributions += [
        (f"traffic.commodities.{name}.value_usd", c.value_usd)
        for name, c in s.traffic.commodities.items()
    ]
    for name, check in s.checks.items():
        distributions.append((f"checks.{name}.duration_hours", check.duration_hours))
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
            msg = "needs on_alarm to name the check that resolves an alarm"
            problems.append((f"checks.{name}.false_alarm", msg))
    problems += _referral_loops(s)
    for path, dist in distributions:
        why = dist is not None and _distribution_problem(dist)
        if why:
            problems.append((path, why))
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
    for i, surge in enumerate(s.illicit.surges):
        for kind in surge.kinds:
            if kind not in kinds:
                unknown(f"illicit.surges[{i}].kinds", "illicit kind", kind, kinds)
        for commodity in surge.commodities:
            if commodity not in commodities:
                unknown(f"illicit.surges[{i}].commodities", "commodity", commodity, commodities)
    n = expected_shipments(s)
    if n > MAX_SHIPMENTS:
        problems.append(
            (
                "traffic.shipments_per_day",
                f"a replication would simulate about {n:,.0f} shipments; at most {MAX_SHIPMENTS:,} "
                "are supported: lower shipments_per_day, days or the surges",
            )
        )
    else:
        memory = _memory_problem(s)
        if memory:
            problems.append(memory)
    if s.illicit.prevalence > 0:
        top = max_illicit_probability(s)
        if math.isinf(top):
            problems.append(
                (
                    "illicit.prevalence",
                    "every shipment has an illicit_factor of 0 in some group, "
                    "so none can be illicit; set prevalence = 0 or raise the factors",
                )
            )
        elif top > 1 + 1e-9:
            problems.append(
                (
                    "illicit.prevalence",
                    f"with these illicit_factor values the riskiest shipments would be illicit "
                    f"with probability {top:.3g} > 1; lower the prevalence or the factors",
                )
            )
        elif s.illicit.surges and not problems:
            top = max_illicit_probability(s, surges=True)
            if top > 1 + 1e-9:
                problems.append(
                    (
                        "illicit.surges",
                        f"during the surges the riskiest shipments would be illicit with "
                        f"probability {top:.3g} > 1; lower the surge factors or the prevalence",
                    )
                )
    return problems


def _referral_loops(s: Scenario) -> list[tuple[str, str]]:
    """Alarms referred from check to check in a circle would send a shipment round forever."""
    problems = []
    seen_loops: set[frozenset[str]] = set()
    for name in s.checks:
        chain = [name]
        nxt = s.checks[name].on_alarm
        while nxt in s.checks and nxt not in chain:
            chain.append(nxt)
            nxt = s.checks[nxt].on_alarm
        if nxt == name and len(chain) > 1 and frozenset(chain) not in seen_loops:
            seen_loops.add(frozenset(chain))
            loop = " -> ".join([*chain, name])
            problems.append((f"checks.{name}.on_alarm", f"alarms are referred in a circle: {loop}"))
    return problems


def risk_groups(s: Scenario) -> list[tuple[list[float], list[float]]]:
    """(shares, relative risks) of each independent attribute, AEO status last."""
    t = s.traffic
    groups = [
        ([g.share for g in table.values()], [g.illicit_factor for g in table.values()])
        for table in (t.commodities, t.origins, t.compliance)
    ]
    groups.append(([1 - t.aeo_share, t.aeo_share], [1.0, s.illicit.aeo_factor]))
    return groups


def max_illicit_probability(s: Scenario, surges: bool = False) -> float:
    """The highest probability of being illicit that any shipment can have (with ``surges``,
    also inside any overlap of ``[[illicit.surges]]``)."""
    mean = 1.0
    top = 1.0
    groups = risk_groups(s)
    for shares, factors in groups:
        mean *= sum(sh * f for sh, f in zip(shares, factors, strict=True))
        top *= max(f for sh, f in zip(shares, factors, strict=True) if sh > 0)
    if mean <= 0:
        return float("inf")
    if not surges or not s.illicit.surges:
        return s.illicit.prevalence * top / mean
    # Surges change the kind mix by commodity: take the worst commodity at each surge start.
    rest = top / max(f for sh, f in zip(*groups[0], strict=True) if sh > 0)
    kinds = list(s.illicit.kinds.items())
    worst = 0.0
    for at in [0.0] + [g.start_day for g in s.illicit.surges]:
        active = [g for g in s.illicit.surges if g.start_day <= at < g.end_day]
        for name, c in s.traffic.commodities.items():
            if c.share <= 0:
                continue
            mix = 0.0
            for kind, share in kinds:
                f = 1.0
                for g in active:
                    if (not g.kinds or kind in g.kinds) and (
                        not g.commodities or name in g.commodities
                    ):
                        f *= g.factor
                mix += share * f
            worst = max(worst, c.illicit_factor * rest * mix)
    return s.illicit.prevalence * worst / mean
