"""Result folders as untrusted input: a folder received from someone else can make ``report``
and ``explore`` read only regular files inside it, each within its size cap, can bring into a
report no file of yours it does not already know byte for byte, cannot make the report delete
or overwrite anything outside it, and cannot break the pages' markup or script. Everything
wrong gives one message naming the folder and the file, and exit status 2.

Figures are stubbed out (one small figure, or none) so that every test takes well under a
second: the figures themselves are tested in test_plots.py and test_report.py."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import threading
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.figure import Figure
from test_report import check_html, commented_file

from sim.files import read
from sim.files.read import load_results
from sim.files.write import OutputError
from sim.present import explore, plots, report
from sim.present.markup import script_json

from conftest import cli

SECRET = "TOP-SECRET-LINE: not for the report"
HOSTILE = '<!--<script>alert(1)</script>"&\u2028\u2029</SCRIPT ><b id=pwn>'


@pytest.fixture(scope="module")
def written(tmp_path_factory) -> dict[str, Path]:
    """A run, a comparison and a sweep written by the command line (no reports), to copy."""
    from sim.cli import main

    root = tmp_path_factory.mktemp("untrusted")
    file = commented_file(root / "office.toml")
    folders = {"file": file}
    for kind, args in {
        "run": ["run", file],
        "compare": ["compare", file],
        "sweep": ["sweep", file, "--vary", "policy.rates.red=0,0.15,0.3"],
    }.items():
        folders[kind] = root / kind
        assert (
            main([str(a) for a in [*args, "--out", folders[kind], "--quiet", "--no-report"]]) == 0
        )
    return folders


@pytest.fixture
def quick(monkeypatch):
    """Figures stubbed: the report draws one small figure."""

    def one_figure(saved, time="mean"):
        fig = Figure(figsize=(1, 1))
        fig.add_subplot().plot([0, 1], [0, 1])
        return {"trs": (fig, "A small figure.")}

    monkeypatch.setattr(plots, "run_figures", one_figure)


def copy_of(written: dict[str, Path], kind: str, tmp_path: Path) -> Path:
    folder = tmp_path / kind
    shutil.copytree(written[kind], folder)
    return folder


def edit_json(path: Path, change) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def finishes(seconds: float, fn, *args) -> Any:
    """``fn(*args)`` run in a thread that must finish within ``seconds``: its result, or the
    exception it raised."""
    out: list[Any] = []

    def target() -> None:
        try:
            out.append(fn(*args))
        except Exception as exc:  # handed back to the test
            out.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still running after {seconds} s"
    return out[0]


def refused(capsys, folder: Path, *words: str, commands=("report", "explore")) -> None:
    """Each command exits 2 with one clean message naming the folder and ``words``."""
    for command in commands:
        code, out, err = cli(capsys, command, folder)
        assert code == 2, (command, out, err)
        assert err.startswith("error: ") and err.count("\n") == 1, err
        assert str(folder) in err, err
        for word in words:
            assert word in err, (word, err)


# --------------------------------------------------------------------------- the manifest


@pytest.fixture
def secret(tmp_path) -> Path:
    path = tmp_path / "elsewhere" / "secret.toml"
    path.parent.mkdir()
    path.write_text(f"# {SECRET}\nkey = 1\n")
    return path


def fifo(path: Path) -> Path:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes on this system")
    os.mkfifo(path)
    return path


@pytest.mark.parametrize(
    ("path", "digest", "note"),
    [
        ("SECRET", "", "records no SHA-256"),
        ("SECRET", None, "records no SHA-256"),
        ("SECRET", "0" * 64, "has changed since this run"),
        ("/etc/passwd", "", "records no SHA-256"),
        ("/etc/passwd", "0" * 64, "has changed since this run"),
        ("/dev/zero", "", "records no SHA-256"),
        ("/dev/zero", "0" * 64, "a character device, not a regular file"),
        ("FIFO", "0" * 64, "a named pipe (FIFO), not a regular file"),
        ("../../etc/passwd", "0" * 64, "does not give its absolute path"),
        ("BIG", "0" * 64, "more than the 64 MB a scenario file may be"),
    ],
)
def test_the_manifest_cannot_bring_your_files_into_the_report(
    written, tmp_path, secret, quick, path, digest, note
):
    folder = copy_of(written, "run", tmp_path)
    if path == "FIFO":
        path = str(fifo(tmp_path / "pipe.toml"))
    elif path == "BIG":
        big = tmp_path / "big.toml"
        with open(big, "wb") as fh:
            fh.truncate(read.TOML_CAP + 1)  # sparse: nothing is written
        path = str(big)
    path = str(secret) if path == "SECRET" else path
    edit_json(
        folder / "manifest.json", lambda m: m.update(scenario_file={"path": path, "sha256": digest})
    )
    result = finishes(20, report.write_report, folder)
    assert result == folder / "report.html", result
    text = result.read_text()
    check_html(text)
    assert SECRET not in text and "root:x:0:0" not in text
    assert note in text
    assert "<code>traffic.shipments_per_day</code>" in text, "the scenario as it ran instead"


def test_a_file_the_writer_already_had_is_shown(written, tmp_path, secret, quick):
    """A recorded hash that matches: the folder's writer had these very bytes, so showing
    them tells them nothing (the case of every folder bordersim writes)."""
    folder = copy_of(written, "run", tmp_path)
    digest = hashlib.sha256(secret.read_bytes()).hexdigest()
    edit_json(
        folder / "manifest.json",
        lambda m: m.update(scenario_file={"path": str(secret), "sha256": digest}),
    )
    assert SECRET in report.write_report(folder).read_text()


def test_a_comparison_skips_only_the_files_it_must_not_open(written, tmp_path, quick):
    folder = copy_of(written, "compare", tmp_path)
    manifest = json.loads((folder / "manifest.json").read_text())
    good = manifest["scenario_files"][0]
    manifest["scenario_files"] = [{"path": "/etc/passwd", "sha256": ""}, good]
    (folder / "manifest.json").write_text(json.dumps(manifest))
    edit_json(folder / "summary.json", lambda s: [p.update(source=1) for p in s["points"]])
    text = report.write_report(folder).read_text()
    assert "root:x:0:0" not in text and "records no SHA-256" in text
    assert "Arrivals a day" in text, "the good file's comments are still shown"


# --------------------------------------------------------------------------- files in the folder


def link(path: Path, target: Path | str) -> None:
    path.unlink(missing_ok=True)
    os.symlink(target, path)


def test_files_named_inside_the_folder_must_stay_inside(written, tmp_path, secret, capsys, quick):
    folder = copy_of(written, "compare", tmp_path)
    summary = json.loads((folder / "summary.json").read_text())
    cases = {
        str(secret): "is an absolute path, outside the folder",
        "/dev/zero": "is an absolute path, outside the folder",
        "../elsewhere/secret.toml": "climbs out of the folder with '..'",
        "scenarios/../../elsewhere/secret.toml": "climbs out of the folder with '..'",
    }
    for name, message in cases.items():
        summary["points"][1]["scenario_file"] = name
        (folder / "summary.json").write_text(json.dumps(summary))
        refused(capsys, folder, name, message, commands=("report",))
    summary["points"][1]["scenario_file"] = "scenarios/out.toml"
    (folder / "summary.json").write_text(json.dumps(summary))
    link(folder / "scenarios" / "out.toml", secret)
    refused(capsys, folder, "scenarios/out.toml", "leads outside the folder", commands=("report",))
    assert not (folder / "report.html").exists()


@pytest.mark.parametrize(
    ("name", "make", "words"),
    [
        ("summary.json", "outside", "leads outside the folder"),
        ("summary.json", "loop", "is a loop of symbolic links"),
        ("summary.json", "fifo", "is a named pipe (FIFO), not a regular file"),
        ("summary.json", "folder", "is a folder, not a regular file"),
        ("summary.json", "huge", "more than the 512 MB it may be"),
        ("summary.json", "damaged", "summary.json is damaged"),
        ("summary.json", "deep", "summary.json is damaged"),
        ("summary.json", "shape", "summary.json is not one bordersim wrote"),
        ("manifest.json", "damaged", "manifest.json is damaged"),
        ("manifest.json", "list", "manifest.json is damaged"),
        ("manifest.json", "huge", "more than the 16 MB it may be"),
        ("manifest.json", "zero", "leads outside the folder"),
        ("experiment.json", "fifo", "is a named pipe (FIFO), not a regular file"),
        ("scenario.toml", "outside", "leads outside the folder"),
        ("scenario.toml", "zero", "leads outside the folder"),
        ("scenario.toml", "huge", "more than the 64 MB it may be"),
        ("profiles/00001.json", "fifo", "is a named pipe (FIFO), not a regular file"),
        ("profiles/00001.json", "huge", "more than the 64 MB it may be"),
        ("profiles", "outside", "leads outside the folder"),
    ],
)
def test_a_malformed_folder_is_refused_clearly(
    written, tmp_path, secret, capsys, quick, name, make, words
):
    folder = copy_of(written, "sweep", tmp_path)
    path = folder / name
    if make == "outside":
        shutil.rmtree(path) if path.is_dir() else path.unlink()
        link(path, secret.parent if name == "profiles" else secret)
    elif make == "zero":
        link(path, "/dev/zero")
    elif make == "loop":
        link(path, path)
    elif make == "fifo":
        path.unlink()
        fifo(path)
    elif make == "folder":
        path.unlink()
        path.mkdir()
    elif make == "huge":
        with open(path, "r+b") as fh:
            fh.truncate(600_000_000)  # sparse: refused before a byte is read
    elif make == "damaged":
        path.write_text('{"points": [')
    elif make == "list":
        path.write_text("[1, 2]")
    elif make == "deep":
        path.write_text("[" * 100_000 + "]" * 100_000)
    elif make == "shape":
        edit_json(path, lambda s: s["points"][0].update(metrics={"shipments": "many"}))
    bare = name.split("/")[-1] if make in ("fifo", "huge") else name
    finishes(20, refused, capsys, folder, bare, words)


def test_a_value_of_the_wrong_type_is_refused_clearly(written, tmp_path, capsys, quick):
    folder = copy_of(written, "sweep", tmp_path)
    edit_json(
        folder / "summary.json",
        lambda s: s["points"][0]["metrics"]["interception_rate"].update(mean="high"),
    )
    refused(capsys, folder, "holds a value bordersim does not write")


def test_a_damaged_profile_only_leaves_its_figures_out(written, tmp_path, quick):
    folder = copy_of(written, "run", tmp_path)
    (folder / "profile.json").write_text('{"not": "a profile"}')
    assert load_results(folder).points[0].profile is None
    assert "no saved distributions" in report.write_report(folder).read_text()


def test_links_inside_the_folder_are_followed(written, tmp_path, quick):
    folder = copy_of(written, "run", tmp_path)
    (folder / "kept").mkdir()
    (folder / "summary.json").rename(folder / "kept" / "summary.json")
    link(folder / "summary.json", "kept/summary.json")
    outer = tmp_path / "outer-link"
    link(outer, folder)
    assert load_results(outer).kind == "run", "the folder itself may be reached by a link"


# --------------------------------------------------------------------------- figures


def slides(tmp_path: Path) -> dict[Path, bytes]:
    """A folder of someone's PNG and SVG files, some named as the report names its own."""
    target = tmp_path / "slides"
    target.mkdir()
    files = {}
    for name in ("trs.png", "tradeoff.svg", "queues-01.png", "my-chart.png", "notes.svg"):
        files[target / name] = f"mine: {name}".encode()
        (target / name).write_bytes(files[target / name])
    return files


def test_a_linked_figures_folder_is_refused_and_its_target_kept(written, tmp_path, capsys):
    folder = copy_of(written, "run", tmp_path)
    files = slides(tmp_path)
    link(folder / "figures", tmp_path / "slides")
    refused(capsys, folder, "figures is a symbolic link", commands=("report",))
    assert {p: p.read_bytes() for p in (tmp_path / "slides").iterdir()} == files


def test_the_report_deletes_only_its_own_old_figures(written, tmp_path, quick):
    folder = copy_of(written, "run", tmp_path)
    files = slides(tmp_path)
    out = folder / "figures"
    out.mkdir()
    (out / "my-chart.png").write_bytes(b"mine")
    (out / "old-notes.svg").write_bytes(b"mine")
    (out / "queues-03.svg").write_bytes(b"an old figure")
    link(out / "tradeoff.png", tmp_path / "slides" / "tradeoff.svg")
    link(out / "trs.png", tmp_path / "slides" / "trs.png")
    report.write_report(folder)
    assert {p: p.read_bytes() for p in (tmp_path / "slides").iterdir()} == files
    left = sorted(p.name for p in out.iterdir())
    assert left == ["my-chart.png", "old-notes.svg", "trs.png", "trs.svg"]
    assert not (out / "trs.png").is_symlink() and (out / "trs.png").read_bytes()[:4] == b"\x89PNG"


def test_figures_that_is_a_file_is_refused(written, tmp_path, capsys):
    folder = copy_of(written, "run", tmp_path)
    (folder / "figures").write_text("not a folder")
    refused(capsys, folder, "figures is not a folder", commands=("report",))


# --------------------------------------------------------------------------- escaping


def hostile_sweep(
    written: dict[str, Path], tmp_path: Path, key: str = "scenario.description"
) -> Path:
    """The sweep with text that tries to break out of HTML and of the script element in
    every value, label, note, name and description it holds (and its key, if given so)."""
    folder = copy_of(written, "sweep", tmp_path)

    def change(s: dict[str, Any]) -> None:
        for i, p in enumerate(s["points"]):
            p["values"] = {key: f"{HOSTILE}{i}"}
            p["label"] = f"label {HOSTILE} {i}"
        s["notes"] = [f"note {HOSTILE}"]

    edit_json(folder / "summary.json", change)
    edit_json(folder / "experiment.json", lambda plan: plan.update(keys=[key]))
    text = (folder / "scenario.toml").read_text()
    text = text.replace('name = "small"', f"name = {json.dumps('small ' + HOSTILE)}", 1)
    text = text.replace('description = ""', f"description = {json.dumps(HOSTILE)}", 1)
    (folder / "scenario.toml").write_text(text)
    return folder


class Scripts(HTMLParser):
    """The text of every script element, as a browser splits the page."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[str] = []
        self.ids: list[str] = []
        self.inside = False

    def handle_starttag(self, tag, attrs) -> None:
        self.ids += [v or "" for k, v in attrs if k == "id"]
        if tag == "script":
            self.inside = True
            self.scripts.append("")

    def handle_endtag(self, tag) -> None:
        self.inside = False

    def handle_data(self, data) -> None:
        if self.inside:
            self.scripts[-1] += data


def scripts_of(text: str) -> Scripts:
    parser = Scripts()
    parser.feed(text)
    parser.close()
    return parser


def test_explore_embeds_hostile_values_as_data(written, tmp_path, quick):
    folder = hostile_sweep(written, tmp_path)
    saved = load_results(folder)
    assert saved.name.endswith(HOSTILE)
    text = explore.write_explorer(folder).read_text()
    check_html(text)
    page = scripts_of(text)
    assert len(page.scripts) == 2 and "pwn" not in page.ids
    assert text.count("<script") == 2 and text.lower().count("</script") == 2
    data = json.loads(page.scripts[0])
    assert data == json.loads(json.dumps(explore.page_data(saved)))
    assert data["levers"][0]["values"] == [f"{HOSTILE}{i}" for i in range(3)]
    assert data["points"][1]["label"] == f"label {HOSTILE} 1"
    assert data["name"] == f"small {HOSTILE}"


def test_a_hostile_key_is_data_too(written, tmp_path, quick):
    key = f"scenario.description{HOSTILE}"
    folder = hostile_sweep(written, tmp_path, key)
    text = explore.write_explorer(folder).read_text()
    check_html(text)
    page = scripts_of(text)
    assert len(page.scripts) == 2 and "pwn" not in page.ids
    assert json.loads(page.scripts[0])["levers"][0]["key"] == key
    text = report.write_report(folder).read_text()
    check_html(text)
    assert "<script" not in text.lower() and f"<code>{esc_hostile()}" not in text
    assert f"<code>scenario.description{esc_hostile()}</code>" in text


def test_report_escapes_every_value_from_the_folder(written, tmp_path, quick):
    folder = hostile_sweep(written, tmp_path)
    text = report.write_report(folder).read_text()
    check_html(text)
    assert "<script" not in text.lower() and "<!--" not in text and "<b id=pwn>" not in text
    assert f'<p class="question">{esc_hostile()}0' in text, "the description"
    assert f"<li>note {esc_hostile()}</li>" in text


def esc_hostile() -> str:
    from sim.present.markup import esc

    return esc(HOSTILE)


JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=60, deadline=None)
@given(JSON)
def test_any_value_round_trips_through_a_script_element(value):
    payload = script_json(value)
    assert not re.search("[<>&\u2028\u2029]", payload)
    page = scripts_of(f'<p>a</p><script type="application/json">{payload}</script><p>b</p>')
    assert page.scripts == [payload], "the element ends where it should"
    assert json.loads(page.scripts[0]) == value


@given(st.text(alphabet="<>!-/&scriptSCRIPT\u2028\u2029 '\"", max_size=40))
def test_markup_like_text_round_trips_through_a_script_element(text):
    payload = script_json({"value": text, "values": [text, text + "</script>"]})
    page = scripts_of(f"<script>{payload}</script><p>after</p>")
    assert json.loads(page.scripts[0])["values"] == [text, text + "</script>"]


def test_numbers_that_are_not_finite_become_null():
    assert json.loads(script_json([float("nan"), float("inf"), {"x": -float("inf")}, 1.5])) == [
        None,
        None,
        {"x": None},
        1.5,
    ]


def test_read_inside_errors_are_output_errors(tmp_path):
    with pytest.raises(OutputError, match="is not the name of a file"):
        read.read_inside(tmp_path, "", 10)
    (tmp_path / "a.json").write_text("12345678901")
    with pytest.raises(OutputError, match="is 11 bytes, more than the 10 bytes it may be"):
        read.read_inside(tmp_path, "a.json", 10)
    assert read.read_inside(tmp_path, "missing.json", 10) is None
