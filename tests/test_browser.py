"""The report and the trainer's page in a real browser: Debian's chromium (which .ci/run
installs where it is missing), driven by Playwright through its executable path; Playwright
never downloads a browser of its own here. Skipped, saying why, where either is missing.

The screenshot test saves PNGs a person can look at under pytest's temporary folder, and
nowhere else: the path is printed (run with -s to see it; pytest keeps the last few runs'
folders, or name one with --basetemp)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_overload import HEAVY, overloaded_sweep
from test_report import commented_file
from test_untrusted_folders import HOSTILE, hostile_sweep

from sim.cli import main

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if not CHROMIUM.is_file():
    pytest.skip(
        f"no chromium at {CHROMIUM}: install Debian's chromium (apt-get install chromium; "
        ".ci/run does) to run the browser tests",
        allow_module_level=True,
    )
sync_api = pytest.importorskip(
    "playwright.sync_api",
    reason="Playwright for Python is missing: make test installs it (or, in the project's "
    "folder, pip install -e '.[test]')",
)


@pytest.fixture(scope="module")
def pages(tmp_path_factory):
    """A run's report, and a sweep's report and trainer's page."""
    root = tmp_path_factory.mktemp("browser")
    file = commented_file(root / "office.toml")
    assert main(["run", str(file), "--out", str(root / "run"), "--quiet"]) == 0
    sweep = root / "sweep"
    args = ["sweep", str(file), "--vary", "policy.rates.red=0,0.1,0.2,0.3", "--out", str(sweep)]
    assert main([*args, "--quiet"]) == 0
    assert main(["explore", str(sweep)]) == 0
    return {
        "run": root / "run" / "report.html",
        "sweep": sweep / "report.html",
        "explore": sweep / "explore.html",
        "root": root,
    }


@pytest.fixture(scope="module")
def engine():
    """A fresh headless chromium (a profile of its own in a temporary folder), closed
    afterwards."""
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=FLAGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def browser(engine):
    """A window of 1400 by 900 pixels, JavaScript on."""
    context = engine.new_context(viewport={"width": 1400, "height": 900})
    try:
        yield context
    finally:
        context.close()


class Watched:
    """A page with everything that went wrong in it: console errors, script errors, failed
    loads, and any request that would need a network."""

    def __init__(self, context, path: Path):
        self.page = context.new_page()
        self.problems: list[str] = []
        self.page.on(
            "console",
            lambda m: (
                self.problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None
            ),
        )
        self.page.on("pageerror", lambda e: self.problems.append(f"script error: {e}"))
        self.page.on("requestfailed", lambda r: self.problems.append(f"failed: {r.url[:80]}"))
        self.page.on(
            "request",
            lambda r: (
                None
                if r.url.startswith(("file:", "data:"))
                else self.problems.append(f"network request: {r.url}")
            ),
        )
        self.page.goto(path.as_uri(), wait_until="load")

    def images_drawn(self) -> bool:
        return self.page.evaluate(
            "Array.from(document.images).every(i => i.complete && i.naturalWidth > 1)"
        )


@pytest.mark.parametrize("which", ["run", "sweep", "explore"])
def test_pages_load_without_errors(browser, pages, which):
    w = Watched(browser, pages[which])
    try:
        assert w.page.title()
        assert w.images_drawn(), "every figure decodes"
        assert not w.problems, w.problems
    finally:
        w.page.close()


def test_moving_the_slider_changes_the_numbers(browser, pages):
    w = Watched(browser, pages["explore"])
    page = w.page
    try:

        def shown() -> dict[str, str]:
            ids = ("now-0", "hours", "caught", "spoiled", "more")
            numbers = {k: page.text_content(f"#{k}") or "" for k in ids}
            numbers["figure"] = page.inner_html("figure[data-slot=tradeoff] svg")
            return numbers

        before = shown()
        assert before["hours"] not in ("", "n/a") and "<circle" in before["figure"]
        page.focus("#lever-0")
        page.keyboard.press("Home")
        low = shown()
        page.keyboard.press("End")
        high = shown()
        assert (low["now-0"], high["now-0"]) == ("0%", "30%")
        assert low["hours"] != high["hours"], "hours to clear follow the slider"
        assert low["more"] != high["more"] and low["figure"] != high["figure"]
        page.click("#prev")
        assert shown()["now-0"] == "20%", "the arrow buttons step through the values"
        assert not w.problems, w.problems
    finally:
        page.close()


def test_the_lever_reads_as_words_and_percent_and_starts_at_the_files_value(browser, pages):
    """The file selects 10% for red: the page opens there, says what the lever is in words,
    and no figure's label shows a raw share such as 0.1."""
    w = Watched(browser, pages["explore"])
    page = w.page
    try:
        assert page.text_content("label[for=lever-0]") == "share selected for red (percent)"
        assert page.text_content("#now-0") == "10%"
        assert page.input_value("#lever-0") == "1"
        assert page.get_attribute("#lever-0", "aria-valuetext") == "10%"
        labels = page.eval_on_selector_all(
            "figure[data-slot=tradeoff] text.point-label", "ts => ts.map(t => t.textContent)"
        )
        assert set(labels) == {"0%", "10%", "20%", "30%"}
        assert "policy.rates.red" not in page.inner_text("main")
        assert not w.problems, w.problems
    finally:
        page.close()


BOXES = """figs => figs.map(f => ({
  slot: f.getAttribute("data-slot"),
  shown: f.offsetParent !== null,
  boxes: Array.from(f.querySelectorAll("svg text")).map(t => {
    const b = t.getBoundingClientRect();
    return [t.textContent, b.left, b.top, b.right, b.bottom];
  }),
}))"""


def overlapping(boxes: list) -> list[tuple[str, str]]:
    out = []
    for i, (a, ax0, ay0, ax1, ay1) in enumerate(boxes):
        for b, bx0, by0, bx1, by1 in boxes[i + 1 :]:
            if min(ax1, bx1) - max(ax0, bx0) > 0.5 and min(ay1, by1) - max(ay0, by0) > 0.5:
                out.append((a, b))
    return out


@pytest.mark.parametrize("present", [False, True])
def test_no_two_labels_of_a_figure_overlap(browser, pages, present):
    """Every figure at every point, as the browser lays its text out, in both modes."""
    w = Watched(browser, pages["explore"])
    page = w.page
    try:
        if present:
            page.click("#present")
            assert "present" in page.get_attribute("body", "class")
        page.focus("#lever-0")
        page.keyboard.press("Home")
        for step in range(4):
            figures = page.eval_on_selector_all("figure[data-slot]", BOXES)
            drawn = [f for f in figures if f["shown"]]
            assert {f["slot"] for f in drawn} >= {"tradeoff", "trs", "queues", "clearance"}
            for f in drawn:
                assert len(f["boxes"]) > 4, f["slot"]
                assert not overlapping(f["boxes"]), (step, f["slot"], overlapping(f["boxes"]))
            page.keyboard.press("ArrowRight")
        assert not w.problems, w.problems
    finally:
        page.close()


def test_presentation_mode_from_the_address(browser, pages):
    w = Watched(browser, pages["explore"])
    plain = w.page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    w.page.close()
    page = browser.new_page()
    try:
        page.goto(pages["explore"].as_uri() + "?present", wait_until="load")
        large = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        assert large > plain * 1.2
        assert page.get_attribute("#present", "aria-pressed") == "true"
    finally:
        page.close()


def test_the_replay_plays_and_pauses(browser, pages):
    w = Watched(browser, pages["explore"])
    page = w.page
    try:

        def frame() -> int:
            return int(page.get_attribute("#replay-svg", "data-frame"))

        assert page.locator("#replay").is_visible() and frame() == 0
        clock = page.text_content("#replay-svg .clock")
        # Time 0 is Monday 00:00 of week 1: day 1 is a Monday, day 5 a Friday, day 8 Monday.
        start = re.fullmatch(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), day (\d+), 00:00", clock)
        assert start, clock
        weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
        assert start.group(1) == weekdays[(int(start.group(2)) - 1) % 7], clock
        page.click("#play")
        page.wait_for_function("document.getElementById('replay-svg').dataset.frame > 5")
        assert page.text_content("#play").endswith("Pause")
        page.click("#play")
        paused = frame()
        page.wait_for_timeout(400)
        assert frame() == paused, "the replay stops on pause"
        moved = page.text_content("#replay-svg .clock")
        assert moved != clock, "the clock moved"
        assert re.fullmatch(r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), day \d+, \d\d:\d\d", moved), moved
        assert page.text_content("#play").endswith("Play")
        assert not w.problems, w.problems
    finally:
        page.close()


def test_without_javascript_the_page_says_so(engine, pages):
    context = engine.new_context(java_script_enabled=False, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    try:
        page.goto(pages["explore"].as_uri(), wait_until="load")
        notice = page.locator("#nojs")
        assert notice.is_visible() and "JavaScript is off" in notice.inner_text()
        assert page.text_content("#now-0") == "10%"
        assert page.text_content("#hours") not in ("", "n/a")
        assert page.text_content("#caught") not in ("", "n/a")
        assert not page.locator("figure[data-slot=tradeoff]").is_visible()
        assert not page.locator("#play").is_visible()
    finally:
        context.close()


def test_hostile_text_in_a_sweep_is_shown_as_text(browser, pages, tmp_path, monkeypatch):
    """Values that try to end the page's script or open a comment are data: the script runs
    and shows them as they were written."""
    from sim.present import explore

    folder = hostile_sweep({"sweep": pages["explore"].parent}, tmp_path)
    w = Watched(browser, explore.write_explorer(folder))
    try:
        assert w.page.text_content("#now-0") in [f"{HOSTILE}{i}" for i in range(4)]
        assert w.page.title().startswith(f"small {HOSTILE}: ") and HOSTILE in w.page.title()[9:]
        assert w.page.query_selector("#pwn") is None
        assert w.page.text_content("#hours") not in ("", "n/a"), "the script ran"
        assert not w.problems, w.problems
    finally:
        w.page.close()


def test_an_overloaded_point_shows_its_warning_card(browser, tmp_path):
    """Sliding onto an overloaded point shows a large warning with its reason and a badge that
    keeps it off the frontier; sliding away hides the warning."""
    folder = overloaded_sweep(tmp_path)
    w = Watched(browser, folder / "explore.html")
    page = w.page
    try:
        page.focus("#lever-0")
        page.keyboard.press("End")
        assert page.text_content("#now-0") == "60%"
        card = page.locator("#overload")
        assert card.is_visible()
        words = card.inner_text()
        assert "OVERLOADED" in words and "still inside at the end" in words
        assert page.text_content("#pareto").startswith("OVERLOADED")
        assert "at least" in page.text_content("#hours-what")
        page.screenshot(path=str(tmp_path / "explore-overloaded.png"))
        page.keyboard.press("Home")
        assert not card.is_visible(), "no warning for a point that keeps up"
        assert page.text_content("#pareto").startswith("on the frontier")
        assert HEAVY == 2 and not w.problems, w.problems
    finally:
        page.close()


def test_screenshots_a_person_can_look_at(browser, pages):
    shots = []
    for which, size in (("explore", (1400, 900)), ("run", (1200, 900))):
        w = Watched(browser, pages[which])
        try:
            w.page.set_viewport_size({"width": size[0], "height": size[1]})
            path = pages["root"] / f"{which}.png"
            w.page.screenshot(path=str(path), full_page=True)
            shots.append(path)
        finally:
            w.page.close()
    for path in shots:
        data = path.read_bytes()
        assert data.startswith(b"\x89PNG") and len(data) > 50_000
        assert int.from_bytes(data[16:20], "big") >= 1200
        print(f"screenshot: {path}")
