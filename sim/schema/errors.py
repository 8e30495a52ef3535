"""Error wording: one :class:`ScenarioError` that names the file, each key path and what is
allowed, built from pydantic's errors and from the checks that span tables.
"""

from __future__ import annotations

import datetime
import difflib
import json
import math
import re
import typing
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ValidationError,
)

from sim.distributions import DIST_NAMES
from sim.schema.tables import ALWAYS_OPEN, Name, Scenario


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


def key_path(loc: tuple[Any, ...]) -> str:
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
    return name if _PLAIN_KEY.fullmatch(name) else show_value(name)


def quote_name(name: str) -> str:
    """A name inside a message: 'servers', or "a \n b" when it holds unusual characters."""
    return f"'{name}'" if _PLAIN_KEY.fullmatch(name) or name == ALWAYS_OPEN else show_value(name)


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


def show_value(value: Any) -> str:
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
        text = str(value) if abs(value) < 10**30 else _huge(value)
    elif isinstance(value, datetime.date | datetime.time):
        text = value.isoformat()
    else:
        return "a value of another kind"
    return text if len(text) <= 40 else text[:37] + "..."


def _huge(value: int) -> str:
    """A whole number too large for a float, as ``1.23e+400``: its digits are never all
    written out (Python refuses to, beyond 4300)."""
    digits = int(math.log10(abs(value)))
    while abs(value) >= 10 ** (digits + 1):
        digits += 1
    while abs(value) < 10**digits:
        digits -= 1
    lead = str(abs(value) // 10 ** max(digits - 2, 0))
    sign = "-" if value < 0 else ""
    return f"{sign}{lead[0]}.{lead[1:]}e+{digits}"


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
        return msg + (f"; got {show_value(tag)}" if tag is not None else "; 'dist' is missing")
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
        return f"{show_value(got)} is not allowed: {rule}"
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
    return f"{msg}, got {show_value(got)}"


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
            out.append((key_path(_clean_loc(loc[:-1]) + (name,)), msg))
            continue
        if e["type"] == "string_pattern_mismatch" and loc and loc[-1] == "[key]":
            msg = f"{show_value(loc[-2])} is not allowed as a name: {NAME_RULE}"
            out.append((key_path(_clean_loc(loc)), msg))
            continue
        exact = _exact_length(loc) if e["type"] in ("too_short", "too_long") else None
        out.append((key_path(_clean_loc(loc)), _message(e, exact)))
    return out


def non_finite(value: Any, loc: tuple[Any, ...] = ()) -> list[tuple[str, str]]:
    """Every nan or inf in parsed data (TOML allows them; no scenario value may be one)."""
    if isinstance(value, float) and not math.isfinite(value):
        return [
            (key_path(loc), f"must be a finite number (not nan or inf), got {show_value(value)}")
        ]
    out: list[tuple[str, str]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            out += non_finite(item, (*loc, key))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            out += non_finite(item, (*loc, i))
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


def retyped(raw: Any, resolved: Any, loc: tuple[Any, ...] = ()) -> list[tuple[str, str]]:
    """Values that validation silently converted (``true`` to 1, ``"3"`` to 3.0): a scenario file is
    typed TOML data, so a number must be written as a number and a switch as true or false."""
    if isinstance(raw, dict) and isinstance(resolved, dict):
        out: list[tuple[str, str]] = []
        for key, item in raw.items():
            if key in resolved:
                out += retyped(item, resolved[key], (*loc, key))
        return out
    if isinstance(raw, list | tuple) and isinstance(resolved, list | tuple):
        out = []
        for i, (item, res) in enumerate(zip(raw, resolved, strict=False)):
            out += retyped(item, res, (*loc, i))
        return out
    want, got = _kind_of(resolved), _kind_of(raw)
    if want and got and not _same_kind(want, got):
        return [(key_path(loc), f"must be {want}, got {show_value(raw)}")]
    return []


def covered(path: str, reported: list[str]) -> bool:
    """Whether ``path`` is, or holds, a key already reported."""
    return any(r == path or r.startswith((f"{path}.", f"{path}[")) or not path for r in reported)
