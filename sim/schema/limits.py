"""Limits on what a scenario may hold, checked before any expensive work: the size of a file,
the parts of a dotted key, the nesting of tables and lists, the length of lists and text, the
size of whole numbers. A hostile or mistaken file is refused in bounded time and memory with
one message naming the key and the limit, never parsed or validated at length.
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from sim.schema.errors import key_path, show_value

MAX_FILE_BYTES = 20_000_000
"""Largest scenario file (an empirical distribution of a million values fits)."""
MAX_KEY_PARTS = 32
"""Most parts of one dotted key or table header (``a.b.c`` has 3); a scenario needs about 7."""
MAX_DEPTH = 32
"""Most tables and lists nested in one another; a scenario needs about 8."""
MAX_LIST_ITEMS = 1_000_000
"""Most items of one list (an empirical distribution's values)."""
MAX_TEXT_CHARS = 100_000
"""Longest text value."""
MAX_INT = 2**63 - 1
"""Largest whole number in size: TOML integers have 64 bits."""

LIMITS: list[tuple[str, str]] = [
    ("file size", f"at most {MAX_FILE_BYTES:,} bytes ({MAX_FILE_BYTES // 1_000_000} MB)"),
    ("dotted key or table header", f"at most {MAX_KEY_PARTS} parts (`a.b.c` has 3)"),
    ("nesting", f"tables and lists at most {MAX_DEPTH} levels deep"),
    ("list", f"at most {MAX_LIST_ITEMS:,} items (the values of an empirical distribution)"),
    ("text", f"at most {MAX_TEXT_CHARS:,} characters"),
    ("whole number", f"at most {MAX_INT:,} in size (64 bits, as TOML says)"),
    ("dates and times", "not scenario values (write text in quotes)"),
]
"""Each limit in words, for the reference (docs/scenario-reference.md)."""

_OPENERS = re.compile(r"\"\"\"|'''|[\"'#]")
_BASIC = re.compile(r'(?:[^"\\\n]|\\.)*"')
_ML_BASIC = re.compile(r'(?:[^"\\]|\\[\s\S]|"(?!""))*""""{0,2}')
_DOT_SPACE = re.compile(r"[ \t]+\.[ \t]*|\.[ \t]+")
_PART = r"[^\s.=\[\]{},]*"
# A chain of more than MAX_KEY_PARTS parts, matched only from its start (the lookbehind), so
# that the scan stays linear.
_LONG_KEY = re.compile(
    r"(?<![^\s=\[\]{},])" + _PART + r"(?:\." + _PART + "){" + str(MAX_KEY_PARTS) + ",}"
)


def _without_strings(text: str) -> str | None:
    """``text`` with each string replaced by ``"`` (and its newlines) and comments dropped;
    None when a string is not closed (the TOML parser then says where). Linear in the text."""
    out: list[str] = []
    pos = 0
    while True:
        m = _OPENERS.search(text, pos)
        if m is None:
            out.append(text[pos:])
            return "".join(out)
        out.append(text[pos : m.start()])
        opener, start = m.group(), m.end()
        if opener == "#":
            end = text.find("\n", start)
            end = len(text) if end < 0 else end
        elif opener == '"':
            closed = _BASIC.match(text, start)
            end = closed.end() if closed else -1
        elif opener == "'":
            line_end = text.find("\n", start)
            end = text.find("'", start, len(text) if line_end < 0 else line_end)
            end = end + 1 if end >= 0 else -1
        elif opener == '"""':
            closed = _ML_BASIC.match(text, start)
            end = closed.end() if closed else -1
        else:
            close = text.find("'''", start)
            end = close + 3 if close >= 0 else -1
            while 0 <= end < min(len(text), close + 5) and text[end] == "'":
                end += 1  # up to two quotes end the string's text
        if end < 0:
            return None
        if opener != "#":
            out.append('"' + "\n" * text.count("\n", m.start(), end))
        pos = end


def key_parts_problem(text: str) -> str | None:
    """Why a TOML text's keys are too long (a dotted key or header of more than
    :data:`MAX_KEY_PARTS` parts), or None; found by a linear scan before parsing, since
    parsing such keys takes time and memory that grow with the square of their parts."""
    code = _without_strings(text)
    if code is None:
        return None
    code = _DOT_SPACE.sub(".", code)  # newlines stay, so lines keep their numbers
    m = _LONG_KEY.search(code)
    if m is None:
        return None
    line = code.count("\n", 0, m.start()) + 1
    return (
        f"line {line}: a dotted key or table header has more than {MAX_KEY_PARTS} parts; "
        f"at most {MAX_KEY_PARTS} are allowed"
    )


def profile_weights(values: Sequence[float]) -> np.ndarray:
    """Relative weights divided by their mean (mean 1), scaled first by a power of two, which
    is exact, so that neither the mean overflows (24 x 1e308) nor underflows (5e-324)."""
    weights = np.asarray(values, dtype=float)
    top = float(np.max(weights))
    if top > 0:
        weights = np.ldexp(weights, -math.frexp(top)[1])
    return weights / np.mean(weights)


def raw_problems(data: Any) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Every value of parsed data that breaks a limit (or is a date or time), and every nan or
    inf, as two lists of (key path, message); walked without recursion, never below
    :data:`MAX_DEPTH`, a long list of finite numbers checked at once."""
    limits: list[tuple[str, str]] = []
    non_finite: list[tuple[str, str]] = []
    stack: list[tuple[Any, tuple[Any, ...]]] = [(data, ())]
    while stack:
        value, loc = stack.pop()
        if isinstance(value, dict | list | tuple) and len(loc) >= MAX_DEPTH:
            msg = f"nested too deeply: tables and lists at most {MAX_DEPTH} levels deep"
            limits.append((key_path(loc), msg))
        elif isinstance(value, dict):
            stack += [(item, (*loc, key)) for key, item in reversed(value.items())]
        elif isinstance(value, list | tuple):
            if len(value) > MAX_LIST_ITEMS:
                msg = f"has {len(value):,} items; at most {MAX_LIST_ITEMS:,} are allowed"
                limits.append((key_path(loc), msg))
            elif not _plain_numbers(value):
                stack += [(item, (*loc, i)) for i, item in reversed(list(enumerate(value)))]
        elif isinstance(value, float) and not math.isfinite(value):
            msg = f"must be a finite number (not nan or inf), got {show_value(value)}"
            non_finite.append((key_path(loc), msg))
        else:
            msg = _scalar_problem(value)
            if msg:
                limits.append((key_path(loc), msg))
    return limits, non_finite


def _plain_numbers(values: list[Any] | tuple[Any, ...]) -> bool:
    """Whether a long list holds only finite numbers of ordinary size, checked at once rather
    than item by item (bools pass here; validation reads their kind later)."""
    if len(values) < 64:
        return False
    try:
        array = np.asarray(values)
    except (ValueError, OverflowError, TypeError):
        return False
    if array.ndim != 1 or array.dtype.kind not in "biuf":
        return False
    return array.dtype.kind != "f" or bool(np.isfinite(array).all())


def _scalar_problem(value: Any) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_INT:
        return (
            f"must be a number of ordinary size (a whole number at most {MAX_INT} in size), "
            f"got {show_value(value)}"
        )
    if isinstance(value, str) and len(value) > MAX_TEXT_CHARS:
        return f"is {len(value):,} characters long; at most {MAX_TEXT_CHARS:,} are allowed"
    if isinstance(value, datetime.date | datetime.time):
        return f"dates and times are not scenario values (write text in quotes), got {value}"
    return None


def holds_date(value: Any) -> bool:
    """Whether a parsed TOML value is, or holds, a date or time (no scenario value is one)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, datetime.date | datetime.time):
            return True
        if isinstance(item, dict):
            stack += item.values()
        elif isinstance(item, list | tuple):
            stack += item
    return False
