"""Give the memory a phase of a run has freed back to the operating system (glibc only).

glibc keeps freed heap blocks for reuse, and serves blocks of up to 32 MB from its heap once a
block that size has been freed (its mmap threshold rises), so without this a long run's
resident memory would still hold the temporaries of its earlier phases (the selection plan, the
run's growing columns) when the metrics need room. ``malloc_trim`` hands the heap's free pages
back; where there is no glibc, :func:`release_freed_memory` does nothing.
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable


def _malloc_trim() -> Callable[[int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):  # not glibc (musl, say)
        return None


_TRIM = _malloc_trim()


def release_freed_memory() -> None:
    """Return the heap's free pages to the operating system."""
    if _TRIM is not None:
        _TRIM(0)
