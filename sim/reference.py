"""The scenario file reference (``docs/scenario-reference.md``) and the scenario file's JSON
Schema (``docs/scenario.schema.json``), both generated from the schema.

Run these after changing the schema; a test checks that the committed files are current::

    python -m sim.reference > docs/scenario-reference.md
    python -m sim.reference --json-schema > docs/scenario.schema.json
    python -m sim.reference --targets-schema > docs/targets.schema.json

The JSON Schema is draft 4, the highest that Taplo (the TOML language server behind the
"Even Better TOML" editor extension) reads, so editors can check a scenario file as it is typed
(docs/scenario-reference.md says how to hook it up). It checks the shape of a file: keys,
types, limits, required keys, the policy's keys by ``kind``. What spans tables (a lane naming a
check that exists, shares summing to 1) only ``bordersim validate`` checks.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from sim import distributions as d
from sim import schema as s
from sim.schema import adversary as adv
from sim.schema import arrivals as a
from sim.schema import costs as c
from sim.schema import network as net
from sim.schema import stages as st

TABLES: list[tuple[str, type[BaseModel], str]] = [
    ("[scenario]", s.ScenarioInfo, ""),
    (
        "[traffic]",
        s.Traffic,
        "Arrivals follow the hourly and weekly profiles: the mean over a "
        "week is `shipments_per_day`.",
    ),
    ("[traffic.commodities.NAME]", s.Commodity, "One table per commodity; at least one."),
    (
        "[traffic.origins.NAME] and [traffic.compliance.NAME]",
        s.Group,
        "Groups of origin and of traders' compliance history, each with its relative risk. "
        "Without these tables every shipment is in one group with relative risk 1.",
    ),
    (
        "[[traffic.surges]]",
        s.Surge,
        "Optional windows of extra (or fewer) arrivals; surges that overlap multiply.",
    ),
    (
        "[traffic.batches]",
        a.Batches,
        "Optional: shipments arrive together, by flight or vessel (docs/model.md, Batch "
        "arrivals). `shipments_per_day` stays the mean over a week and the profiles and surges "
        'still shape arrivals. `schedule = "poisson"`: batches at the hour\'s shipment rate / '
        'the mean size; `"timetable"`: at the weekly slots, e.g. '
        '`timetable = [["daily", 6.5], ["mon", 22.0]]`, each slot\'s mean load following the '
        "profiles' weight at its hour and day and the surges; `size` gives the shape.",
    ),
    *(
        (
            f'[traffic.batches.size] dist = "{m.model_fields["dist"].annotation.__args__[0]}"',
            m,
            " ".join((m.__doc__ or "").split()),
        )
        for m in (a.FixedSize, a.GeometricSize, a.PoissonSize, a.NegativeBinomialSize)
    ),
    (
        "[illicit]",
        s.Illicit,
        "A shipment's chance of being illicit is `prevalence` times its "
        "relative risk (commodity x origin x compliance x AEO factors) divided by the mean "
        "relative risk over all traffic, so `prevalence` is the expected illicit share of all "
        "shipments.",
    ),
    (
        "[[illicit.surges]]",
        s.IllicitSurge,
        "Optional windows in which illicit goods of some kinds are more (or less) common, by "
        "arrival time: each matching shipment's chance of being illicit of those kinds is "
        "multiplied by `factor`; surges that overlap multiply. This is the ground truth, not "
        "the policy: an Operation STOP scenario pairs a surge of falsified goods here with an "
        "operation in `[[policy.operations]]` (see docs/policies.md).",
    ),
    (
        "[[illicit.drift]]",
        s.IllicitDrift,
        "Optional concept drift, by arrival time: from `start_day`, each shipment's chance of "
        "being illicit is multiplied by the factors of its commodity, origin group and "
        "compliance group named here (at most 1; entries begun by then multiply). The groups "
        "not named keep theirs, so the overall illicit share moves too; a shipment arriving "
        "before, or in no named group, keeps exactly its truth (docs/model.md, Concept drift).",
    ),
    (
        "[lodgement]",
        s.Lodgement,
        "Declarations lodged before arrival are lodged at arrival; "
        "the others after `delay_hours`, at the next time `roster` is open.",
    ),
    (
        "[rosters.NAME]",
        s.Roster,
        'Opening hours, used by checks and lodgement. `"24/7"` is built in.',
    ),
    (
        "[checks.NAME]",
        s.Check,
        "A station: `servers` officers or machines pull shipments from one "
        "queue, priority shipments first, then first come, first served. At closing time an "
        "officer finishes the shipment in hand and then stops; the queue waits for the next "
        "opening. "
        "An alarm (a finding, or a false alarm) intercepts the shipment, or, with `on_alarm` "
        "naming another check, sends it there (a scan referring to a physical examination).",
    ),
    (
        "[checks.NAME.query]",
        st.Query,
        "Optional: at the end of the check's service the check may ask the trader a question, "
        "and concludes only when the answer comes (the officer's time is the service only).",
    ),
    (
        "[unloading]",
        st.Unloading,
        "Optional: the goods are ready in the warehouse at the roster's next opening after "
        "arrival + `delay_hours`; checks on the goods and release wait for them.",
    ),
    (
        "[payment]",
        st.Payment,
        "Optional: when customs is done, shipments that pay at the border are released at the "
        "roster's next opening after `delay_hours`.",
    ),
    (
        "[exit]",
        st.Exit,
        "Optional: release to exit from customs control (pick-up), at the roster's next "
        "opening after release + `delay_hours`; not part of the clearance time.",
    ),
    (
        "[costs]",
        c.Costs,
        "Optional prices, in US dollars (a missing price is 0), from which the `cost.*` "
        "metrics are computed over the counting window (docs/model.md, Costs and harms): "
        "delay by commodity and as a share of declared value, officers' hours on duty, each "
        "visit to a check, spoiled units (else a spoiled shipment's declared value), and the "
        "harm of each illicit unit released.",
    ),
    (
        "[network]",
        net.NetworkSpec,
        "Optional: other offices simulated with this one, the **home office** (this file's "
        "own tables; docs/model.md, A network of offices). Each `[network.offices.NAME]` holds "
        "`label`, `file` (a scenario file in the same folder whose tables the office takes; "
        "keys written next to it win), `set` (dotted keys and values, as `--set`) and any "
        "scenario tables; the resolved scenario holds every office inline. An office runs "
        "with this file's `[scenario]` days, warm-up, drain, seed, replications and target "
        "hours, and without its variants. Variants and `--set` reach an office's keys: "
        "`network.offices.port.policy.rates.red`.",
    ),
    (
        "[network.sharing]",
        net.Sharing,
        "Optional: a seizure at one office flags the matching declarations of the other "
        "offices that customs deals with from `delay_hours` after it, for `window_days`. A "
        "flag is an intelligence alert (`[policy.alerts]`'s lane applies); an office whose "
        "policy has no `[policy.alerts]` is given one that flags nothing by itself and sends "
        "flagged declarations to `lane`. The offices then run on the exact path, in steps of "
        "`period_hours`.",
    ),
    (
        "[adversary]",
        adv.Adversary,
        "Optional: traffickers who adapt (docs/model.md, Traffickers who adapt). Every "
        "`period_days` they read the share of their shipments seized on each route and move "
        "part of the illicit flow toward routes that lost less; the illicit volume stays the "
        "one `[illicit]` gives, only where it goes changes. With `office` among the routes, "
        "the offices of a `[network]` are the routes; a scenario with this table takes the "
        "exact path, in steps.",
    ),
]

DISTRIBUTIONS = [d.Exponential, d.Lognormal, d.Gamma, d.Triangular, d.Uniform, d.Fixed, d.Empirical]


def _type(prop: dict[str, Any], defs: dict[str, Any]) -> str:
    if "const" in prop:
        return json.dumps(prop["const"])
    if "enum" in prop:
        return " \\| ".join(json.dumps(v) for v in prop["enum"])
    if "$ref" in prop:
        name = prop["$ref"].split("/")[-1]
        return "distribution" if name in {c.__name__ for c in DISTRIBUTIONS} else "table"
    if "oneOf" in prop or "discriminator" in prop:
        return "distribution"
    if "anyOf" in prop:
        kinds = [_type(p, defs) for p in prop["anyOf"] if p.get("type") != "null"]
        return " or ".join(dict.fromkeys(kinds))
    kind = prop.get("type")
    if kind == "array":
        items = prop.get("items") or prop.get("prefixItems")
        if isinstance(items, list):
            return "[" + ", ".join(_type(i, defs) for i in items) + "]"
        return f"list of {_type(items or {}, defs)}"
    if kind == "object":
        value = prop.get("additionalProperties")
        if isinstance(value, dict):
            return f"table of {_type(value, defs)}"
        return "table"
    return {
        "number": "number",
        "integer": "integer",
        "string": "text",
        "boolean": "true/false",
    }.get(kind, "value")


def _limits(prop: dict[str, Any]) -> str:
    parts = []
    if "anyOf" in prop:
        prop = next((p for p in prop["anyOf"] if p.get("type") != "null"), prop)
    sources = [prop]
    for key in ("items", "additionalProperties"):
        if isinstance(prop.get(key), dict) and prop[key].get("type") != "array":
            sources.append(prop[key])
    if prop.get("minItems") is not None and prop.get("minItems") == prop.get("maxItems"):
        parts.append(f"exactly {prop['minItems']} items")
        prop = {k: v for k, v in prop.items() if k not in ("minItems", "maxItems")}
        sources[0] = prop
    for p in sources:
        for key, text in (
            ("minimum", ">= {}"),
            ("exclusiveMinimum", "> {}"),
            ("maximum", "<= {}"),
            ("exclusiveMaximum", "< {}"),
            ("minItems", "at least {} items"),
            ("maxItems", "at most {} items"),
        ):
            if key in p:
                parts.append(text.format(_num(p[key])))
    if "pattern" in prop:
        parts.append("letters, digits, `_`, `-`")
    return ", ".join(parts)


def _num(x: Any) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def _table(model: type[BaseModel], skip: frozenset[str] = frozenset()) -> list[str]:
    schema = model.model_json_schema()
    defs = schema.get("$defs", {})
    required = set(schema.get("required", []))
    rows = ["| key | type | default | allowed | meaning |", "| --- | --- | --- | --- | --- |"]
    for name, prop in schema["properties"].items():
        if name in skip:
            continue
        field = model.model_fields[name]
        if name in required:
            default = "required"
        elif field.default_factory is not None:
            value = _plain(field.default_factory())
            if isinstance(value, list) and len(value) > 4 and len(set(value)) == 1:
                default = f"{len(value)} x `{json.dumps(value[0])}`"
            else:
                default = "`" + json.dumps(value) + "`"
        elif field.default is None:
            default = "none"
        else:
            default = "`" + json.dumps(_plain(field.default)) + "`"
        meaning = (field.description or "").replace("|", "\\|")
        if not meaning and "const" in prop:
            meaning = "Selects this kind."
        rows.append(f"| `{name}` | {_type(prop, defs)} | {default} | {_limits(prop)} | {meaning} |")
    return rows


def _plain(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _first_paragraph(doc: str | None) -> str:
    """A docstring's first paragraph on one line, in Markdown."""
    return " ".join((doc or "").strip().split("\n\n")[0].split()).replace("``", "`")


def _limits_section() -> list[str]:
    """What any scenario file, ``--set`` value or ``--vary`` value may hold at most: checked
    before parsing or validating at length, each breach one message naming the key."""
    lines = [
        "## Limits",
        "",
        "Checked before any work that grows with them, so that a file that breaks one is "
        "refused at once (exit status 2, one message naming the file, the key and the limit), "
        "however it was made. The same limits apply to `--set` and `--vary` values.",
        "",
        "| what | allowed |",
        "| --- | --- |",
    ]
    lines += [f"| {what} | {allowed} |" for what, allowed in s.LIMITS]
    lines += [
        "",
        "Everything `bordersim validate` accepts also runs: profiles are normalised exactly "
        "(any weights from 5e-324 to 1e308 give finite rates), overlapping surges multiply in "
        "the estimate of shipments that the limit of "
        f"{s.MAX_SHIPMENTS:,} shipments a replication is checked against, and a large "
        "distribution shared by variants is validated once.",
    ]
    return lines


def render() -> str:
    """The whole reference, as Markdown."""
    from sim.policies import POLICIES

    out = [
        "# Scenario file reference",
        "",
        "<!-- Generated by `python -m sim.reference`; do not edit by hand. -->",
        "",
        "A scenario is a TOML file. Time is in hours from Monday 00:00 of week 1. Unknown keys "
        "are errors, so a typo is reported rather than ignored. Names of commodities, groups, "
        "checks, lanes and rosters use letters, digits, `_` and `-`. Any key can be overridden "
        "from the command line with `--set dotted.key=value`. See `scenarios/baseline.toml` for a "
        "complete, commented example.",
        "",
        "## Checking a file as you type",
        "",
        "`docs/scenario.schema.json` is this reference as a JSON Schema (draft 4), generated by "
        "`python -m sim.reference --json-schema`. An editor with a TOML language server that "
        "reads JSON Schemas (Taplo, behind the *Even Better TOML* extension of VS Code, and "
        "editors using its language server) then underlines unknown keys, wrong types, values "
        "out of range and missing keys as you type, and completes key names. Hook it up in one "
        "of two ways:",
        "",
        "- a directive on the first line of the scenario file, with a path relative to the "
        "file (every file in `scenarios/` has one):",
        "",
        "  ```toml",
        "  #:schema ../docs/scenario.schema.json",
        "  ```",
        "",
        "- or a `.taplo.toml` at the root of your project, for every scenario at once:",
        "",
        "  ```toml",
        "  [[rule]]",
        '  include = ["scenarios/**/*.toml"]',
        "",
        "  [rule.schema]",
        '  path = "./docs/scenario.schema.json"',
        "  ```",
        "",
        'A top-level `$schema = "..."` key, which Taplo also reads, is refused by bordersim '
        "(unknown keys are errors): use the directive. The schema checks each table on its "
        "own; what spans tables (a lane naming a check that exists, shares summing to 1, a "
        "variant's keys) only `bordersim validate FILE` checks.",
        "",
        *_limits_section(),
        "",
    ]
    for heading, model, intro in TABLES:
        out += [f"## `{heading}`", ""]
        if intro:
            out += [intro, ""]
        out += _table(model) + [""]
    out += [
        "## `[lanes]`",
        "",
        "Each key is a lane and its value the list of checks a shipment in that lane passes, in "
        'order, e.g. `red = ["documents", "physical"]`; an empty list releases at once. '
        "Checks whose `required_for` names the shipment's commodity are added at the end.",
        "",
        "## `[policy]`",
        "",
        "The risk-management policy that sends each declaration to a lane, chosen by `kind`.",
        "",
    ]
    from sim.policies import PolicyConfig, modifiers
    from sim.policies.profiles import Rule

    out += [
        "One base selection (`kind`) with its own keys, below, plus the keys every kind "
        "accepts: a minimum random rate, a targeting model (`auc`) and the modifiers "
        "(sub-tables, off unless written). What each stands for, its sources, and how they "
        "combine: [policies](policies.md).",
        "",
    ]
    base = PolicyConfig.model_fields
    for kind, cls in sorted(POLICIES.items()):
        # A kind's own keys, and the shared ones it redefines (auc is required by some).
        own = vars(cls.Config).get("__annotations__", {})
        skip = frozenset(k for k in base if k != "kind" and k not in own)
        out += [f'### `kind = "{kind}"`', "", _first_paragraph(cls.__doc__), ""]
        out += _table(cls.Config, skip) + [""]
    out += [
        "### `[[policy.rules]]`",
        "",
        'The profiles of `kind = "profiles"`, tried in the order written.',
        "",
        *_table(Rule),
        "",
        "### Keys every kind accepts",
        "",
        *_table(PolicyConfig, frozenset({"kind"})),
        "",
    ]
    for heading, model in (
        ("[policy.aeo]", modifiers.AEO),
        ("[policy.prearrival]", modifiers.Prearrival),
        ("[policy.priority]", modifiers.Priority),
        ("[policy.alerts]", modifiers.Alerts),
        ("[[policy.operations]]", modifiers.Operation),
    ):
        doc = _first_paragraph(model.__doc__).split(": ", 1)[-1]
        out += [f"### `{heading}`", "", doc[:1].upper() + doc[1:], ""]
        out += _table(model) + [""]
    out += [
        "## `[variants.NAME]`",
        "",
        "Optional variants of the scenario, for `bordersim compare`: each table overrides only "
        "the keys it names, e.g. `[variants.strict]` with `policy.rates.red = 0.3`. Tables "
        "merge key by key, as `--set` would; a variant that changes `policy.kind` replaces the "
        "whole `[policy]` table. Every variant runs with the scenario's `seed` and "
        "`replications` (common random numbers), so it cannot set them. `bordersim run` runs "
        "the scenario itself. See [experiments](experiments.md).",
        "",
        "## Distributions",
        "",
        "Durations and values are tables with a `dist` key, e.g. "
        '`{ dist = "lognormal", mean = 2.0, cv = 0.5 }`.',
        "",
    ]
    for model in DISTRIBUTIONS:
        kind = model.model_fields["dist"].annotation.__args__[0]
        out += [f'### `dist = "{kind}"`', "", (model.__doc__ or "").strip(), ""]
        out += _table(model) + [""]
    return "\n".join(out).rstrip() + "\n"


# --------------------------------------------------------------------------- JSON Schema

SCHEMA_DRAFT = "http://json-schema.org/draft-04/schema#"
REF_TEMPLATE = "#/definitions/{model}"


def _draft4(node: Any) -> Any:
    """Pydantic's JSON Schema (draft 2020-12) rewritten in draft 4 terms."""
    if isinstance(node, list):
        return [_draft4(n) for n in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "discriminator":  # an OpenAPI hint; oneOf on the tag does the work
            continue
        if key == "const":
            out["enum"] = [value]
        elif key == "prefixItems":
            out["items"] = _draft4(value)
            out["additionalItems"] = False
        elif key in ("exclusiveMinimum", "exclusiveMaximum") and not isinstance(value, bool):
            bound = "minimum" if key == "exclusiveMinimum" else "maximum"
            out[bound] = value
            out[key] = True
        else:
            out[key] = _draft4(value)
    return out


def _builtin_policies() -> dict[str, type]:
    from sim.policies import POLICIES

    return {k: c for k, c in sorted(POLICIES.items()) if c.__module__.startswith("sim.policies")}


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 4) of a scenario file, with ``[policy]`` checked by ``kind``."""
    root = s.Scenario.model_json_schema(ref_template=REF_TEMPLATE)
    defs: dict[str, Any] = root.pop("$defs")
    defs.pop("PolicySpec", None)
    kinds = []
    for kind, cls in _builtin_policies().items():
        sub = cls.Config.model_json_schema(ref_template=REF_TEMPLATE)
        for name, definition in sub.pop("$defs", {}).items():
            if defs.setdefault(name, definition) != definition:
                raise ValueError(f"two definitions named {name} in the schema")
        sub["description"] = _first_paragraph(cls.__doc__)
        defs[cls.Config.__name__] = sub
        kinds.append((kind, cls.Config.__name__))
    plugin = {
        "type": "object",
        "required": ["kind"],
        "properties": {"kind": {"type": "string", "not": {"enum": [k for k, _ in kinds]}}},
        "description": "A policy registered by a plug-in: its keys are its own.",
    }
    root["properties"]["policy"] = {
        "description": "The risk-management policy, chosen by `kind`; its keys depend on the "
        "kind (docs/policies.md).",
        "oneOf": [{"$ref": REF_TEMPLATE.format(model=name)} for _, name in kinds] + [plugin],
    }
    root["properties"]["variants"] = {
        "description": s.Scenario.model_fields["variants"].description,
        "type": "object",
        "patternProperties": {
            s.Name.__metadata__[0].pattern: {
                "type": "object",
                "description": "Keys of this scenario to override, as dotted tables.",
            }
        },
        "additionalProperties": False,
    }
    schema = {
        "$schema": SCHEMA_DRAFT,
        "title": "bordersim scenario",
        "description": "A bordersim scenario file (TOML). Generated by `python -m sim.reference "
        "--json-schema`; every key is described in docs/scenario-reference.md. Check a file "
        "fully with `bordersim validate FILE`.",
        **{k: v for k, v in root.items() if k not in ("title", "description")},
        "definitions": dict(sorted(defs.items())),
    }
    return _draft4(schema)


def render_json_schema() -> str:
    """The JSON Schema as committed in ``docs/scenario.schema.json``."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


def targets_json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 4) of a Time Release Study target file (``bordersim calibrate``)."""
    from sim.schema.targets import Targets

    root = _no_null(Targets.model_json_schema(ref_template=REF_TEMPLATE))
    defs: dict[str, Any] = root.pop("$defs", {})
    metric = defs["Figure"]["properties"]["metric"]
    many = {k: metric.pop(k) for k in ("items", "maxItems", "minItems", "type")}
    metric["oneOf"] = [dict(many["items"]), many]  # one name, or a list of names summed
    schema = {
        "$schema": SCHEMA_DRAFT,
        "title": "bordersim calibration targets",
        "description": "A Time Release Study target file (TOML) for `bordersim calibrate`: the "
        "published figures a scenario is fitted to. Generated by `python -m sim.reference "
        "--targets-schema`.",
        **{k: v for k, v in root.items() if k not in ("title", "description")},
        "definitions": dict(sorted(defs.items())),
    }
    return _draft4(schema)


def _no_null(node: Any) -> Any:
    """A schema without the ``null`` of optional keys: TOML has no null, a key is left out."""
    if isinstance(node, list):
        return [_no_null(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: _no_null(v) for k, v in node.items()}
    members = out.get("anyOf")
    if isinstance(members, list) and {"type": "null"} in members:
        rest = [m for m in members if m != {"type": "null"}]
        out.pop("anyOf")
        if out.get("default", 0) is None:
            out.pop("default")
        out.update(rest[0] if len(rest) == 1 else {"anyOf": rest})
    return out


def render_targets_schema() -> str:
    """The JSON Schema as committed in ``docs/targets.schema.json``."""
    return json.dumps(targets_json_schema(), indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m sim.reference",
        description="Print the scenario file reference (Markdown), or its JSON Schema.",
    )
    parser.add_argument(
        "--json-schema",
        action="store_true",
        help="print the JSON Schema (draft 4) for editors, instead of the Markdown reference",
    )
    parser.add_argument(
        "--targets-schema",
        action="store_true",
        help="print the JSON Schema (draft 4) of a calibration target file (targets/*.toml)",
    )
    args = parser.parse_args(argv)
    if args.targets_schema:
        print(render_targets_schema(), end="")
        return 0
    print(render_json_schema() if args.json_schema else render(), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
