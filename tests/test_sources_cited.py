"""Citations of docs/sources.md: every section a scenario, doc or policy cites exists, and a
report links each citation to the section it quotes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sim.present.markup import esc
from sim.present.sources import CITATION, anchor, cited_sections, link_citations, sections

ROOT = Path(__file__).resolve().parents[1]
CITING = [
    *sorted((ROOT / "scenarios").glob("*.toml")),
    *sorted((ROOT / "docs").glob("*.md")),
    *sorted((ROOT / "sim").rglob("*.py")),
]


@pytest.mark.parametrize("path", CITING, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_cited_section_of_the_sources_page_exists(path):
    known = sections()
    # A citation may break across lines in a comment: join the lines of a file first.
    text = re.sub(r"\s*\n\s*#?\s*", " ", path.read_text(encoding="utf-8"))
    missing = [m.group(1) for m in CITATION.finditer(text) if m.group(1) not in known]
    assert not missing, f"{path.name} cites sections not in docs/sources.md: {missing}"


def test_a_citation_links_to_its_section_quoted_in_the_report():
    cell = link_citations(esc('50 t a day (sources "Volumes"); see also sources "No such"'))
    assert f'href="#{anchor("Volumes")}"' in cell
    assert "No such" in cell and cell.count("<a ") == 1  # an unknown section stays text
    quoted = cited_sections(cell)
    assert f'id="{anchor("Volumes")}"' in quoted
    assert "Miami" in quoted  # the section's own words
    assert "<script" not in cited_sections(esc('sources "<script>"'))


def test_no_citation_no_sources_block():
    assert cited_sections("nothing cited here") == ""
