"""Citations of the project's sources page in a report: a scenario's comment that cites
``sources "Volumes"`` links to that section, quoted at the end of the parameters, so a reader
sees what a number rests on without the repository at hand."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from sim.present.markup import esc

SOURCES_PAGE = Path(__file__).resolve().parents[2] / "docs" / "sources.md"
"""The project's account of the figures it uses (present in a checkout of the repository)."""

CITATION = re.compile(r"sources (?:&quot;|\")([^\"&<>]{1,80})(?:&quot;|\")")
"""A citation of a section in a comment, as written (``sources "Volumes"``) or escaped."""


def anchor(title: str) -> str:
    """The id of a cited section in the report."""
    return "source-" + re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


@cache
def sections(path: Path = SOURCES_PAGE) -> dict[str, str]:
    """The sources page's sections by title (``##`` and ``###`` headings), as Markdown text;
    empty when the page is not there (an installed copy without the repository)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        return {}
    out: dict[str, str] = {}
    title = None
    body: list[str] = []
    for line in text.splitlines():
        m = re.match(r"^#{2,3} (.+)$", line)
        if m:
            if title:
                out[title] = "\n".join(body).strip()
            title, body = m.group(1).strip(), []
        elif title:
            body.append(line)
    if title:
        out[title] = "\n".join(body).strip()
    return out


def link_citations(escaped: str) -> str:
    """Escaped comment text with each citation of a known section made a link to it."""

    def link(m: re.Match) -> str:
        title = m.group(1)
        if title not in sections():
            return m.group(0)
        return f'<a class="cite" href="#{anchor(title)}">{m.group(0)}</a>'

    return CITATION.sub(link, escaped)


def _markup(markdown: str) -> str:
    """A section's Markdown as HTML: paragraphs and bullet lists, ``*emphasis*`` and
    ``code``; everything escaped."""
    blocks: list[str] = []
    items: list[str] = []
    para: list[str] = []

    def inline(text: str) -> str:
        text = esc(text)
        text = re.sub(r"`([^`]+)`", r"<code>\1</code>", text)
        return re.sub(r"\*([^*]+)\*", r"<em>\1</em>", text)

    def flush_para() -> None:
        if para:
            blocks.append(f"<p>{inline(' '.join(para))}</p>")
            para.clear()

    def flush_items() -> None:
        if items:
            blocks.append("<ul>" + "".join(f"<li>{inline(i)}</li>" for i in items) + "</ul>")
            items.clear()

    for line in markdown.splitlines():
        stripped = line.strip()
        if not stripped:
            flush_para()
            flush_items()
        elif stripped.startswith("- "):
            flush_para()
            items.append(stripped[2:])
        elif items and line.startswith("  "):
            items[-1] += " " + stripped
        else:
            flush_items()
            para.append(stripped)
    flush_para()
    flush_items()
    return "\n".join(blocks)


def cited_sections(markup: str) -> str:
    """The sections cited in ``markup`` (in the order first cited), quoted from the sources
    page with their anchors; empty when none is cited or the page is not there."""
    known = sections()
    titles = list(dict.fromkeys(m.group(1) for m in CITATION.finditer(markup)))
    titles = [t for t in titles if t in known]
    if not titles:
        return ""
    parts = [
        '<h3 id="sources-cited">Sources cited</h3>',
        '<p class="note">From the sources page of the project (docs/sources.md), where each figure '
        "the scenarios rest on is given with its source and year.</p>",
    ]
    for title in titles:
        parts.append(f'<section class="source" id="{anchor(title)}"><h4>{esc(title)}</h4>')
        parts.append(_markup(known[title]) + "</section>")
    return "\n".join(parts)
