"""``sim.sensitivity`` and ``bordersim sensitivity``: an input that cannot move a metric gets
an index of zero within its interval, the Sobol' indices of interception = rate x detection
match the analytic ones, the assumptions a shipped file marks are found, the same seed gives
the same indices anywhere, an interrupted analysis resumes, and bad input is refused (status 2)
before anything runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import sim
from sim.experiment import assumptions
from sim.experiment.free import FreeParameter
from sim.experiment.sensitivity import EVALUATIONS, analyse, measurable, sensitivity
from sim.files.store import AlreadyFinished
from sim.present.sensitivity import metric_summary, summary
from sim.scenario import from_dict, load_scenario

from conftest import ROOT, cli, tiny, write_toml

pytest.importorskip("SALib")
pytest.importorskip("tomlkit")

DETECT = "checks.physical.detect.falsified=0.3:0.9"
COLD = "traffic.commodities.vaccine.cold_chain_hours=12:36"
"""How long a vaccine keeps outside the cold chain: it marks spoiled vaccines, and can move
neither clearance nor interception."""


def office_data() -> dict[str, Any]:
    """A small office, three days, one replication per point, with falsified goods common
    enough for a detection probability to show."""
    data = tiny(days=3, replications=1)
    data["illicit"]["prevalence"] = 0.3
    data["policy"]["rates"]["red"] = 0.4
    return data


@pytest.fixture(scope="module")
def office() -> Any:
    return from_dict(office_data(), "office")


def product_data(shipments: int = 1000, seed: int = 5) -> dict[str, Any]:
    """Interception = rate x detection: half the shipments falsified, one check with servers
    to spare, each shipment sent to it at random with the red rate, a falsified one found
    there with the detection probability."""
    return {
        "scenario": {
            "name": "product",
            "days": 1,
            "warmup_days": 0,
            "drain_days": 1,
            "seed": seed,
            "replications": 1,
        },
        "traffic": {"shipments_per_day": shipments, "commodities": {"goods": {"share": 1.0}}},
        "illicit": {"prevalence": 0.5, "kinds": {"falsified": 1.0}},
        "checks": {
            "exam": {
                "kind": "physical",
                "servers": 200,
                "duration_hours": {"dist": "fixed", "value": 0.01},
                "detect": {"falsified": 0.4},
            }
        },
        "lanes": {"green": [], "red": ["exam"]},
        "policy": {"kind": "random", "rates": {"red": 0.5}, "default_lane": "green"},
    }


RATE, DETECTION = (0.1, 0.9), (0.2, 0.6)
PRODUCT = [
    f"policy.rates.red={RATE[0]}:{RATE[1]}",
    f"checks.exam.detect.falsified={DETECTION[0]}:{DETECTION[1]}",
]


def analytic() -> dict[str, tuple[float, float]]:
    """(S1, ST) of rate and detection for a product of two independent uniforms:
    V1 = Var(r) E[p]^2, V2 = Var(p) E[r]^2, V12 = Var(r) Var(p)."""
    var_r, var_p = (RATE[1] - RATE[0]) ** 2 / 12, (DETECTION[1] - DETECTION[0]) ** 2 / 12
    mean_r, mean_p = sum(RATE) / 2, sum(DETECTION) / 2
    v1, v2, v12 = var_r * mean_p**2, var_p * mean_r**2, var_r * var_p
    total = v1 + v2 + v12
    return {
        "policy.rates.red": (v1 / total, (v1 + v12) / total),
        "checks.exam.detect.falsified": (v2 / total, (v2 + v12) / total),
    }


def _rows(result: Any, metric: str) -> dict[str, dict[str, Any]]:
    return {r["key"]: r for r in result.indices[metric]}


# --------------------------------------------------------------------------- indices


@pytest.mark.parametrize(("method", "samples"), [("morris", 4), ("sobol", 16)])
def test_an_input_without_effect_has_index_zero_within_its_interval(
    office: Any, method: str, samples: int
) -> None:
    """Under common random numbers the cold-chain limit changes no clearance time and no
    interception: its index is zero and within its interval, while detection's effect on
    interception is measurable."""
    result = sensitivity(
        office,
        [DETECT, COLD],
        method=method,
        samples=samples,
        replications=1,
        metrics=["clearance_hours_mean", "interception_rate"],
        executor="serial",
    )
    assert result.method == method
    for metric in result.metrics:
        cold = _rows(result, metric)["traffic.commodities.vaccine.cold_chain_hours"]
        assert cold["index"] == 0.0
        assert abs(cold["index"]) <= cold["conf"]
        assert not measurable(cold)
    assert measurable(_rows(result, "interception_rate")["checks.physical.detect.falsified"])
    words = metric_summary("interception_rate", result.indices["interception_rate"])
    assert words == (
        "The interception rate hinges on checks.physical.detect.falsified; "
        "traffic.commodities.vaccine.cold_chain_hours has no measurable effect."
    )


def test_sobol_indices_of_a_product_match_the_analytic_ones() -> None:
    """interception = rate x detection: every point's interception is r x p up to the binomial
    noise of 500 falsified shipments; the indices are those of the exact product at the same
    sample points, and the analytic ones lie within their 95% intervals."""
    scenario = from_dict(product_data(), "product")
    result = sensitivity(
        scenario,
        PRODUCT,
        metrics=["interception_rate"],
        samples=64,
        replications=1,
        executor="serial",
    )
    assert result.method == "sobol"  # two inputs
    points = np.array(result.points)
    exact = points[:, 0] * points[:, 1]
    got = np.array(result.values["interception_rate"])
    assert np.abs(got - exact).max() < 5 * np.sqrt(0.25 / 500)
    params = [FreeParameter(k.split("=")[0], 0.0, 1.0) for k in PRODUCT]
    ideal = {r["key"]: r for r in analyse("sobol", params, points, exact, result.seed)[0]}
    truth = analytic()
    for key, row in _rows(result, "interception_rate").items():
        assert row["S1"] == pytest.approx(ideal[key]["S1"], abs=0.05)
        assert row["ST"] == pytest.approx(ideal[key]["ST"], abs=0.05)
        s1, st = truth[key]
        assert abs(row["S1"] - s1) <= row["S1_conf"]
        assert abs(row["ST"] - st) <= row["ST_conf"]


@pytest.mark.slow
def test_sobol_indices_of_a_product_match_the_analytic_ones_closely() -> None:
    """The same with 512 base samples (2,048 points) and 1,000 falsified shipments a point:
    every index within 0.04 of the analytic one (the Sobol' sequence alone, on the exact
    product, comes within 0.01)."""
    scenario = from_dict(product_data(shipments=2000), "product")
    result = sensitivity(
        scenario, PRODUCT, metrics=["interception_rate"], samples=512, replications=1
    )
    truth = analytic()
    for key, row in _rows(result, "interception_rate").items():
        s1, st = truth[key]
        assert row["S1"] == pytest.approx(s1, abs=0.04)
        assert row["ST"] == pytest.approx(st, abs=0.04)


INTEGER = "checks.physical.servers=2:4:int"
SHORT = dict(method="morris", samples=3, replications=1, metrics=["clearance_hours_mean"])


def test_same_seed_same_indices(office: Any) -> None:
    """The sample, every point's seeds and the bootstrap come from the seed: the same call
    gives the same result twice; another seed, another sample."""
    first = sensitivity(office, [DETECT, INTEGER], **SHORT, executor="serial")
    again = sensitivity(office, [DETECT, INTEGER], **SHORT, executor="serial")
    assert again.to_dict() == first.to_dict()
    other = sensitivity(office, [DETECT, INTEGER], **SHORT, seed=99, executor="serial")
    assert other.points != first.points


@pytest.mark.slow
def test_same_indices_on_worker_processes(office: Any) -> None:
    """Two worker processes give what one process gives (starting them is the slow part)."""
    serial = sensitivity(office, [DETECT, INTEGER], **SHORT, executor="serial")
    spread = sensitivity(office, [DETECT, INTEGER], **SHORT, executor="processes", workers=2)
    assert spread.to_dict() == serial.to_dict()


def test_whole_number_inputs_are_rounded_and_run_once(office: Any) -> None:
    """A whole-number key takes whole values only, and sample points that round to the same
    scenario are one evaluation."""
    result = sensitivity(
        office,
        ["checks.physical.servers=2:4:int"],
        method="morris",
        samples=4,
        replications=1,
        metrics=["clearance_hours_mean"],
        executor="serial",
    )
    assert result.evaluations <= 3 < len(result.points)


# --------------------------------------------------------------------------- assumptions


def test_assumptions_of_a_shipped_scenario() -> None:
    """staff-shortage.toml: the numbers on lines marked "assumption" are found (inline tables
    included), never those of [scenario] or [variants]; each varies within +-20%, clipped to
    what the scenario accepts; shares that must add up to 1 are not varied, and say why."""
    path = ROOT / "scenarios" / "staff-shortage.toml"
    found = {a.key: a for a in assumptions.find(path)}
    assert found["traffic.commodities.vaccine.illicit_factor"].value == 0.5
    assert "assumption" in found["traffic.commodities.vaccine.illicit_factor"].comment
    assert found["checks.physical.detect.falsified"].value == 0.6
    assert found["checks.documents.servers"].value == 3
    assert not any(k.startswith(("scenario.", "variants.")) for k in found)
    assert "checks.documents.absence" not in found  # a variant's, not the base's
    taken = {
        t.assumption.key: t
        for t in assumptions.ranges(list(found.values()), load_scenario(path), 0.2)
    }
    detect = taken["checks.physical.detect.falsified"].param
    assert (detect.low, detect.high, detect.kind) == (0.48, 0.72, "float")
    servers = taken["checks.documents.servers"].param
    assert (servers.low, servers.high, servers.kind) == (2, 4, "int")
    kinds = taken["illicit.kinds.falsified"]
    assert kinds.param is None and "accepts hardly any other value" in kinds.note


def test_ranges_are_clipped_to_what_the_scenario_accepts(tmp_path: Path) -> None:
    """A detection probability of 0.9 varied by +-20% stops at 1; a zero cannot be varied."""
    data = tiny()
    data["checks"]["physical"]["detect"] = {"falsified": 0.9, "substandard": 0.0}
    path = write_toml(tmp_path / "s.toml", data)
    text = path.read_text().replace(
        "[checks.physical.detect]", "[checks.physical.detect]  # (assumption)"
    )
    lines = [
        line + "  # assumption" if line.startswith(("falsified", "substandard")) else line
        for line in text.splitlines()
    ]
    path.write_text("\n".join(lines) + "\n")
    taken = {
        t.assumption.key: t
        for t in assumptions.ranges(assumptions.find(path), load_scenario(path), 0.2)
    }
    high = taken["checks.physical.detect.falsified"]
    assert (high.param.low, high.param.high) == (0.72, 1.0)
    assert "high end clipped to 1" in high.note
    assert taken["checks.physical.detect.substandard"].param is None


def test_default_inputs_are_the_files_assumptions(tmp_path: Path) -> None:
    """Without --vary every number marked as an assumption is an input (three: Sobol', the
    default for few inputs), and the result says so."""
    data = tiny(days=2, replications=1)
    path = write_toml(tmp_path / "s.toml", data)
    text = path.read_text()
    text = text.replace("prevalence = 0.05", "prevalence = 0.05  # (assumption)")
    text = text.replace("aeo_factor = 0.2", "aeo_factor = 0.2  # assumption")
    text = text.replace("red = 0.1", "red = 0.1  # assumption")
    path.write_text(text)
    result = sensitivity(
        path, samples=16, replications=1, executor="serial", metrics=["interception_rate"]
    )
    assert result.method == "sobol"
    keys = [i["key"] for i in result.inputs]
    assert set(keys) >= {"illicit.prevalence", "illicit.aeo_factor"}
    assert all(i["origin"] == "assumption" for i in result.inputs)
    assert "assumptions" in result.text()


# --------------------------------------------------------------------------- folders


def test_outputs_report_and_resume(office: Any, tmp_path: Path) -> None:
    """The folder holds sensitivity.json, indices.csv, the evaluations and a report with the
    summary in words; an analysis cut short resumes to the same indices."""
    out = tmp_path / "out"
    args = dict(
        method="morris", samples=3, replications=1, executor="serial", metrics=["interception_rate"]
    )
    whole = sim.sensitivity(office, [DETECT, COLD], out=out, **args)
    for name in ("sensitivity.json", "indices.csv", "manifest.json", EVALUATIONS, "report.html"):
        assert (out / name).is_file(), name
    saved = json.loads((out / "sensitivity.json").read_text())
    assert saved["indices"] == whole.indices
    page = (out / "report.html").read_text()
    assert summary(saved) in page.replace("&#x27;", "'")
    assert "data:image/png;base64," in page
    lines = (out / EVALUATIONS).read_text().splitlines()
    (out / EVALUATIONS).write_text("\n".join(lines[: len(lines) // 2]) + '\n{"i": 9, "re')
    (out / "sensitivity.json").unlink()
    resumed = sensitivity(office, [DETECT, COLD], out=out, **args)  # continued, as --resume
    assert resumed.indices == whole.indices
    with pytest.raises(AlreadyFinished):
        sensitivity(office, [DETECT, COLD], out=out, resume=True, **args)
    with pytest.raises(sim.ExperimentError, match="other inputs"):
        sensitivity(office, [DETECT], out=out, resume=True, **args)


# --------------------------------------------------------------------------- the command line


def test_cli_prints_the_ranked_indices(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """The ranked table, the summary in words, the report and the reproduce command."""
    path = write_toml(tmp_path / "s.toml", office_data())
    out = tmp_path / "out"
    code, stdout, _ = cli(
        capsys,
        "sensitivity",
        path,
        "--vary",
        DETECT,
        "--vary",
        COLD,
        "--method",
        "morris",
        "--samples",
        "3",
        "--replications",
        "1",
        "--metric",
        "interception_rate",
        "--executor",
        "serial",
        "--out",
        out,
    )
    assert code == 0
    assert "mu_star" in stdout and "checks.physical.detect.falsified" in stdout
    assert "The interception rate hinges on" in stdout
    assert (out / "report.html").is_file()
    assert f"--out {out}" in stdout  # the reproduce command


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--vary", "checks.physical.detekt.falsified=0:1"], ["--vary", "detekt", "detect"]),
        (
            ["--vary", DETECT, "--metric", "interception_rat"],
            ["--metric", "interception_rat", "did you mean 'interception_rate'"],
        ),
        (["--vary", DETECT, "--method", "fast"], ["--method", "invalid choice", "sobol"]),
        (
            ["--vary", DETECT, "--method", "sobol", "--samples", "8"],
            ["--samples 8", "Sobol'", "power of two"],
        ),
        (["--vary", DETECT, "--method", "sobol", "--samples", "24"], ["power of two"]),
        (["--vary", DETECT, "--method", "morris", "--samples", "1"], ["at least 2"]),
        (["--vary", DETECT, "--relative", "2"], ["--relative"]),
    ],
)
def test_cli_refuses_bad_input(
    tmp_path: Path, capsys: pytest.CaptureFixture, args: list[str], words: list[str]
) -> None:
    """Refused before anything runs, status 2, one message naming the option and what is
    allowed; no folder written."""
    path = write_toml(tmp_path / "s.toml", tiny(days=2, replications=1))
    out = tmp_path / "out"
    code, _, err = cli(capsys, "sensitivity", path, *args, "--out", out)
    assert code == 2
    for word in words:
        assert word in err
    assert not out.exists()


def test_no_assumptions_to_vary(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = write_toml(tmp_path / "s.toml", tiny(days=2, replications=1))
    code, _, err = cli(capsys, "sensitivity", path, "--out", tmp_path / "out")
    assert code == 2
    assert "marks no number as an assumption" in err and "--vary" in err


def test_summary_in_words_names_what_may_matter() -> None:
    """An input whose interval reaches zero but whose index could be as large as the leading
    one's is not said to have no effect: it may matter, and more samples would tell."""
    rows = [
        {"key": "a", "index": 1.4, "conf": 1.2},
        {"key": "b", "index": 0.3, "conf": 0.1},
        {"key": "c", "index": 0.9, "conf": 1.1},
        {"key": "d", "index": 0.001, "conf": 0.002},
        {"key": "e", "index": 0.0, "conf": 0.0},
    ]
    assert metric_summary("clearance_hours_mean", rows) == (
        "The mean clearance time hinges on a; b matters less; c may matter too (its interval "
        "reaches zero: more samples or replications would tell); d and e have no measurable "
        "effect."
    )
    assert metric_summary("hit_rate", rows[2:]) == (
        "No input has a measurable effect on the hit rate; c and d may matter (their intervals "
        "reach zero: more samples or replications would tell)."
    )
