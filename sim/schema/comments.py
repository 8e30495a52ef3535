"""A scenario file's own words: the comments beside and above its tables and keys, read so
that what a person wrote in the file names what it sets (variants, parameters)."""

from __future__ import annotations

import re
from typing import Any

from sim.schema.tables import LABEL_LENGTH, VARIANT_WORDS


def commented_parameters(text: str) -> tuple[str, list[tuple[str, str, str]]]:
    """A scenario file's own words: its opening comment, and ``(key, value as written,
    comment)`` for every table and key, the comment being the one on its line or the comment
    lines just above it."""
    header: list[str] = []
    rows: list[tuple[str, str, str]] = []
    table = ""
    pending: list[str] = []
    seen_content = False
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        stripped = lines[i].strip()
        i += 1
        if not stripped:
            if not seen_content and pending:
                header += pending + [""]
            pending = []
            continue
        if stripped.startswith("#"):
            if not stripped.startswith("#:"):  # "#:schema ..." and the like: for tools
                pending.append(stripped.lstrip("#").strip())
            continue
        seen_content = True
        m = re.match(r"^\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$", stripped)
        if m:
            table = m.group(1).replace('"', "").replace("'", "")
            note = (m.group(2) or "").lstrip("#").strip()
            comment = " ".join([*pending, note]).strip()
            if comment:
                rows.append((table, "", comment))
            pending = []
            continue
        m = re.match(r"^([A-Za-z0-9_\-.\"' ]+?)\s*=\s*(.*)$", stripped)
        if not m:
            pending = []
            continue
        key = m.group(1).replace('"', "").replace("'", "").replace(" ", "")
        value, note = _split_comment(m.group(2))
        depth = _depth(value)
        while depth > 0 and i < len(lines):
            more, more_note = _split_comment(lines[i].strip())
            i += 1
            value += " " + more
            note = note or more_note
            depth += _depth(more)
        full = f"{table}.{key}" if table else key
        rows.append((full, value.strip(), note or " ".join(pending).strip()))
        pending = []
    return "\n".join(header).strip(), rows


def _split_comment(text: str) -> tuple[str, str]:
    """A TOML value and the comment after it (a # outside quotes)."""
    quote = None
    for k, ch in enumerate(text):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "#":
            return text[:k].rstrip(), text[k + 1 :].strip()
    return text.rstrip(), ""


def _depth(text: str) -> int:
    depth, quote = 0, None
    for ch in text:
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
    return depth


def _first_clause(text: str) -> str:
    """The words of ``text`` up to its first full stop, semicolon or colon, cut at a word
    boundary to fit a label (never mid-word)."""
    clause = re.split(r"(?<=[a-z0-9)%])[.;:](?:\s|$)", text.strip(), maxsplit=1)[0].strip()
    if len(clause) <= LABEL_LENGTH:
        return clause
    words = clause[: LABEL_LENGTH - 1].rsplit(" ", 1)[0]
    return words.rstrip(",;:") + "…"


def variant_comments(text: str) -> dict[str, str]:
    """The comment above (or beside) each ``[variants.<name>...]`` table of a scenario file:
    the first such table of each variant that has one."""
    _, rows = commented_parameters(text)
    out: dict[str, str] = {}
    for key, _, comment in rows:
        parts = key.split(".")
        if len(parts) >= 2 and parts[0] == "variants" and comment and parts[1] not in out:
            out[parts[1]] = comment
    return out


def fill_variant_words(data: dict[str, Any], text: str) -> dict[str, Any]:
    """``data`` with each variant lacking a label or description given them from its
    comment in ``text``: the first clause as label, the whole comment as description. Data
    without variants, or with every variant's words set, comes back as it was."""
    variants = data.get("variants")
    if not isinstance(variants, dict) or not variants:
        return data
    comments = variant_comments(text)
    filled = dict(variants)
    for name, table in variants.items():
        comment = comments.get(str(name))
        if not comment or not isinstance(table, dict):
            continue
        info = table.get("scenario") if isinstance(table.get("scenario"), dict) else {}
        table = dict(table)
        for key, words in zip(VARIANT_WORDS, (_first_clause(comment), comment), strict=True):
            if key not in table and key not in info:
                table[key] = words
        filled[name] = table
    return {**data, "variants": filled}
