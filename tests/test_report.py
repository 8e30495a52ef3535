"""The report and the trainer's page: written by run, compare and sweep (unless --no-report),
valid, self-contained HTML with no external reference; the parameters with the comments of
the scenario file; clear errors for a folder that is not a results folder."""

from __future__ import annotations

import html
import json
import re
import shutil
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
import tomli_w

import sim
from sim.cli import main
from sim.files.read import load_results
from sim.files.store import ExperimentStore
from sim.present.report import commented_parameters
from sim.present.words import describe

from conftest import cli, small_data

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
EXTERNAL = re.compile(r"^\s*(https?:|ftp:|//)", re.I)


class Validator(HTMLParser):
    """A small HTML checker: doctype, language, charset and title; every element closed in
    order; ids unique; images with alt text; and no reference outside the file (no http(s)
    src or href, no script src, no CSS @import or url(http...), no fetch in scripts)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[tuple[str, tuple[int, int]]] = []
        self.errors: list[str] = []
        self.ids: Counter[str] = Counter()
        self.doctype = ""
        self.seen: Counter[str] = Counter()
        self.lang = None
        self.charset = False
        self.in_tag: str | None = None
        self.texts: dict[str, list[str]] = {"style": [], "script": [], "title": []}

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.seen[tag] += 1
        if "id" in a:
            self.ids[a["id"] or ""] += 1
        if tag == "html":
            self.lang = a.get("lang")
        if tag == "meta" and a.get("charset", "").lower() == "utf-8":
            self.charset = True
        for key in ("src", "href", "action", "poster", "data", "srcset"):
            value = a.get(key)
            if value and EXTERNAL.match(value):
                self.errors.append(f"external reference <{tag} {key}={value[:60]!r}>")
        if tag == "script" and a.get("src"):
            self.errors.append("a script loaded from a file")
        if tag == "link" and a.get("rel") == "stylesheet":
            self.errors.append("a style sheet loaded from a file")
        if tag == "img" and not a.get("alt"):
            self.errors.append(f"an image without alt text at line {self.getpos()[0]}")
        if "style" in a and re.search(r"url\(\s*['\"]?(https?:|//)", a["style"] or ""):
            self.errors.append("an inline style with an external url()")
        if tag not in VOID:
            self.stack.append((tag, self.getpos()))
        if tag in self.texts:
            self.in_tag = tag

    def handle_startendtag(self, tag, attrs) -> None:
        if tag not in VOID:
            self.errors.append(f"<{tag} /> is not a void element")
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        self.in_tag = None
        if tag in VOID:
            self.errors.append(f"</{tag}> closes a void element")
            return
        if not self.stack or self.stack[-1][0] != tag:
            open_tag = self.stack[-1] if self.stack else None
            self.errors.append(f"</{tag}> at line {self.getpos()[0]} closes {open_tag}")
            return
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.in_tag:
            self.texts[self.in_tag].append(data)


def check_html(text: str) -> Validator:
    """Assert that ``text`` is a valid, self-contained HTML document; returns the parse."""
    v = Validator()
    v.feed(text)
    v.close()
    assert text.lstrip().lower().startswith("<!doctype html>")
    assert v.doctype.lower() == "doctype html"
    assert v.lang == "en" and v.charset, "<html lang> and <meta charset=utf-8>"
    assert v.seen["html"] == v.seen["head"] == v.seen["body"] == v.seen["title"] == 1
    assert "".join(v.texts["title"]).strip()
    assert not v.stack, f"elements left open: {v.stack[:5]}"
    duplicated = [k for k, n in v.ids.items() if n > 1]
    assert not duplicated, f"duplicate ids: {duplicated}"
    assert not v.errors, v.errors[:10]
    css = "".join(v.texts["style"])
    assert "@import" not in css and not re.search(r"url\(\s*['\"]?(https?:|//)", css)
    js = "".join(v.texts["script"])
    for call in ("fetch(", "XMLHttpRequest", "import(", "WebSocket", "navigator.sendBeacon"):
        assert call not in js, f"the page's script uses {call}"
    assert not re.search(r"""(src|href)\s*=\s*["']?https?:""", text, re.I)
    return v


COMMENTED_HEADER = """# A tiny test office.
#
# Question: does the report keep these words?
"""


def commented_file(path: Path, **scenario) -> Path:
    """The small scenario as a commented file, as the shipped ones are."""
    data = small_data()
    data["scenario"].update(days=3, replications=2, **scenario)
    data["variants"] = {"staffed": {"checks": {"physical": {"servers": 5}}}}
    text = tomli_w.dumps(data)
    text = text.replace(
        "shipments_per_day = 120\n",
        "# Arrivals a day (a made-up airport;\n# the second comment line).\n"
        "shipments_per_day = 120\n",
    )
    text = text.replace(
        "prevalence = 0.05\n", "prevalence = 0.05   # WHO 2017 # with a hash inside\n"
    )
    text = text.replace("aeo_factor = 0.2\n", "aeo_factor = 0.2 # assumption: AEOs are vetted\n")
    text = text.replace(
        "[rosters.office]\n", '# Office hours (sources "Durations").\n[rosters.office]\n'
    )
    path.write_text(COMMENTED_HEADER + "\n" + text)
    return path


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A run, a comparison and a sweep written by the command line, with their reports."""
    root = tmp_path_factory.mktemp("report")
    file = commented_file(root / "office.toml")
    folders = {}
    for kind, args in {
        "run": ["run", file, "--quiet"],
        "compare": ["compare", file, "--quiet"],
        "sweep": ["sweep", file, "--vary", "policy.rates.red=0,0.15,0.3", "--quiet"],
    }.items():
        folders[kind] = root / kind
        assert main([str(a) for a in [*args, "--out", folders[kind]]]) == 0
    folders["file"] = file
    return folders


@pytest.mark.parametrize("kind", ["run", "compare", "sweep"])
def test_commands_write_a_self_contained_report(made, kind):
    folder = made[kind]
    text = (folder / "report.html").read_text()
    check_html(text)
    images = re.findall(r'<img src="data:image/png;base64,', text)
    pngs = sorted(p.stem for p in (folder / "figures").glob("*.png"))
    svgs = sorted(p.stem for p in (folder / "figures").glob("*.svg"))
    assert pngs == svgs and len(images) == len(pngs) >= 4
    if kind != "run":
        assert "tradeoff" in pngs
    for heading in (
        "What was simulated",
        "Key numbers",
        "Figures",
        "Tables",
        "Parameters and their sources",
        "Method",
        "How to reproduce",
    ):
        assert f">{heading}</h2>" in text, heading
    assert "95% CI" in text and "warm-up" in text and "common random numbers" in text.lower()
    assert "SeedSequence(11)" in text, "the seed"
    assert f"bordersim {kind}" in text, "the command that wrote it"
    assert sim.files.write.version("bordersim") in text


def test_report_shows_the_scenario_files_comments(made):
    text = (made["run"] / "report.html").read_text()
    assert "Question: does the report keep these words?" in text
    assert "Arrivals a day (a made-up airport; the second comment line)." in text
    assert "WHO 2017 # with a hash inside" in text
    assert '<span class="tag assumption">assumption</span> assumption: AEOs are vetted' in text
    assert "Office hours (sources &quot;Durations&quot;)." in text
    assert "<code>scenario.target_hours</code>" in text, "a value over several lines"
    assert "The scenario as it ran" in text


def test_report_says_what_changed_in_a_comparison_and_a_sweep(made):
    text = (made["compare"] / "report.html").read_text()
    assert "checks.physical.servers: 3 → 5" in text
    assert "vs small" in text
    sweep = (made["sweep"] / "report.html").read_text()
    assert "share selected for red (<code>policy.rates.red</code>): 0%, 15%, 30%" in sweep
    assert "bordersim explore" in sweep
    simulated = html.unescape(re.search(r'<section id="simulated">(.*?)</section>', sweep, re.S)[1])
    assert "0% to 30% to red (varied by the sweep)" in simulated, "the range, not one value"
    answer = html.unescape(re.search(r'<section id="answer">(.*?)</section>', sweep, re.S)[1])
    assert "What changes with share selected for red from 0% to 30% (3 points)?" in answer


def test_a_sweep_over_officers_says_their_range(tmp_path, capsys):
    """What was simulated says the swept officers' range, not the first point's number."""
    file = commented_file(tmp_path / "office.toml")
    vary = ["--vary", "checks.physical.servers=2,4,6"]
    out = tmp_path / "sweep"
    code, _, err = cli(
        capsys, "sweep", file, *vary, "--quiet", "--executor", "serial", "--no-report", "--out", out
    )
    assert code == 0, err
    simulated = describe(load_results(out))
    assert "physical: 2 to 6 officer(s) or machine(s) (varied by the sweep)" in simulated
    assert "physical: 2 officer(s)" not in simulated


def test_commented_parameters_reads_keys_tables_and_comments():
    header, rows = commented_parameters(
        '# Top.\n\n[a]\n# above\nx = 1  # beside\ny = "# not a comment"\n'
        "z = [\n  1,  # first\n  2,\n]\n\n# a table\n[a.b]\nw = { k = 1 }\n"
    )
    assert header == "Top."
    assert rows == [
        ("a.x", "1", "beside"),
        ("a.y", '"# not a comment"', ""),
        ("a.z", "[ 1, 2, ]", "first"),
        ("a.b", "", "a table"),
        ("a.b.w", "{ k = 1 }", ""),
    ]


def test_report_when_the_scenario_file_changed_or_went(made, tmp_path, capsys):
    folder = tmp_path / "run"
    shutil.copytree(made["run"], folder)
    file = Path(json.loads((folder / "manifest.json").read_text())["scenario_file"]["path"])
    assert file == made["file"].resolve()
    original = file.read_text()
    try:
        file.write_text(original + "\n# edited later\n")
        assert cli(capsys, "report", folder)[0] == 0
        text = (folder / "report.html").read_text()
        assert "has changed since this run" in text
        assert "Arrivals a day" not in text
        assert "<code>traffic.shipments_per_day</code>" in text, "the resolved scenario instead"
    finally:
        file.write_text(original)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest["scenario_file"]["path"] = str(tmp_path / "gone.toml")
    (folder / "manifest.json").write_text(json.dumps(manifest))
    assert cli(capsys, "report", folder)[0] == 0
    assert "cannot be read any more" in (folder / "report.html").read_text()


def test_no_report_and_python_api(tmp_path, capsys, made):
    code, out, err = cli(capsys, "run", made["file"], "--out", tmp_path / "bare", "--no-report")
    assert code == 0, err
    assert not (tmp_path / "bare" / "report.html").exists()
    assert not (tmp_path / "bare" / "figures").exists()
    assert "Report:" not in out
    code, out, _ = cli(capsys, "run", made["file"], "--out", tmp_path / "loud")
    assert f"Report: {tmp_path / 'loud' / 'report.html'}\nResults written to" in out
    result = sim.run(made["file"], progress=False)
    folder = result.save(tmp_path / "api")
    path = sim.write_report(folder, time="p90")
    text = path.read_text()
    check_html(text)
    assert "Arrivals a day" in text, "sim.run given a path remembers its file"
    assert "90th percentile" in text


def test_explore_page_for_a_sweep(made, capsys):
    code, out, err = cli(capsys, "explore", made["sweep"])
    assert code == 0, err
    path = made["sweep"] / "explore.html"
    assert f"written to {path}" in out
    text = path.read_text()
    v = check_html(text)
    [data_text] = re.findall(r'<script type="application/json" id="page-data">(.*?)</script>', text)
    data = json.loads(data_text.replace("<\\/", "</"))
    [lever] = data["levers"]
    assert lever["key"] == "policy.rates.red" and lever["values"] == ["0%", "15%", "30%"]
    assert [p["index"] for p in data["points"]] == [[0], [1], [2]]
    for p in data["points"]:
        assert {"trs", "illicit", "clearance", "cold", "queues"} <= set(p["figures"])
        assert p["numbers"]["hours"] > 0 and p["numbers"]["caught"] is not None
    assert "data:image/png" not in text, "the page draws its figures from its data"
    assert v.ids["lever-0"] == 1 and v.ids["hours"] == v.ids["caught"] == v.ids["spoiled"] == 1
    assert 'addEventListener("input"' in "".join(v.texts["script"])


def test_bad_results_folders_are_refused_clearly(tmp_path, capsys, made):
    (tmp_path / "empty").mkdir()
    (tmp_path / "file.txt").write_text("hello")
    (tmp_path / "damaged").mkdir()
    (tmp_path / "damaged" / "summary.json").write_text("{not json")
    cases = {
        tmp_path / "missing": "no such results folder",
        tmp_path / "file.txt": "is a file, not a results folder",
        tmp_path / "empty": "is not a bordersim results folder (no summary.json)",
        tmp_path / "damaged": "summary.json is damaged",
    }
    for command in ("report", "explore"):
        for folder, message in cases.items():
            code, out, err = cli(capsys, command, folder)
            assert code == 2, (command, folder, err)
            assert err.startswith("error: ") and message in err and "Traceback" not in err
    code, _, err = cli(capsys, "explore", made["run"])
    assert code == 2 and "holds a run, not a sweep" in err
    code, _, err = cli(capsys, "explore", made["compare"])
    assert code == 2 and "holds a comparison, not a sweep" in err
    assert not (tmp_path / "empty" / "report.html").exists()


def test_unfinished_sweep_then_resumed_gives_the_same_profiles(tmp_path, capsys, monkeypatch, made):
    args = ["sweep", made["file"], "--vary", "policy.rates.red=0,0.15,0.3", "--quiet"]
    saved = ExperimentStore.save
    calls = []

    def interrupt_after_one(self, i, result):
        if calls:
            raise KeyboardInterrupt
        calls.append(i)
        saved(self, i, result)

    monkeypatch.setattr(ExperimentStore, "save", interrupt_after_one)
    assert cli(capsys, *args, "--out", tmp_path / "part")[0] == 130
    monkeypatch.setattr(ExperimentStore, "save", saved)
    code, _, err = cli(capsys, "report", tmp_path / "part")
    assert code == 2 and "unfinished sweep" in err and "--resume" in err
    assert cli(capsys, *args, "--resume", tmp_path / "part")[0] == 0
    for name in ("00000.json", "00001.json", "00002.json"):
        assert (tmp_path / "part" / "profiles" / name).read_bytes() == (
            made["sweep"] / "profiles" / name
        ).read_bytes()
    check_html((tmp_path / "part" / "report.html").read_text())


def test_comparison_of_two_files_shows_each_files_parameters(tmp_path, capsys):
    first = commented_file(tmp_path / "first.toml")
    second = tmp_path / "second.toml"
    second.write_text(
        first.read_text()
        .replace('name = "small"', 'name = "other"')
        .replace("shipments_per_day = 120", "shipments_per_day = 90  # quieter (assumption)")
    )
    code, _, err = cli(capsys, "compare", first, second, "--out", tmp_path / "cmp", "--quiet")
    assert code == 0, err
    text = (tmp_path / "cmp" / "report.html").read_text()
    check_html(text)
    assert ">first.toml</h3>" in text and ">second.toml</h3>" in text
    later = text[text.index(">second.toml</h3>") :]
    assert "<td>90</td>" in later and "quieter (assumption)" in later
    summary = json.loads((tmp_path / "cmp" / "summary.json").read_text())
    assert [p["source"] for p in summary["points"]] == [0, 0, 1, 1]


def test_explore_page_over_two_levers(tmp_path, capsys, made):
    args = ["sweep", made["file"], "--vary", "policy.rates.red=0,0.2", "--quiet"]
    args += ["--vary", "checks.physical.servers=2,4", "--no-report", "--out", tmp_path / "grid"]
    assert cli(capsys, *args)[0] == 0
    assert cli(capsys, "explore", tmp_path / "grid", "--time", "p90")[0] == 0
    text = (tmp_path / "grid" / "explore.html").read_text()
    check_html(text)
    [raw] = re.findall(r'id="page-data">(.*?)</script>', text)
    data = json.loads(raw)
    assert [lever["key"] for lever in data["levers"]] == [
        "policy.rates.red",
        "checks.physical.servers",
    ]
    assert sorted(tuple(p["index"]) for p in data["points"]) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert data["time"] == "90th percentile"
    assert 'id="lever-1"' in text
