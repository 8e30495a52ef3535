"""Keep a run's resident memory close to what it holds (glibc's allocator only).

glibc serves a large block from the heap, not from its own mapping, once a block that size has
been freed (its mmap threshold rises up to 32 MB), and keeps freed heap blocks for reuse. A
replication of a million shipments allocates and frees many temporaries of a few megabytes
(the selection plan, the metrics' masks), so its resident memory would grow with garbage.
:func:`bound_heap` fixes the threshold at glibc's initial 128 KiB for the process (unless
``MALLOC_MMAP_THRESHOLD_`` is set in the environment, which glibc then honours), so that large
blocks go back to the system when freed; :func:`release_freed_memory` hands back the heap's
free pages after a phase. Elsewhere both do nothing.
"""

from __future__ import annotations

import ctypes
import os
import sys

M_MMAP_THRESHOLD = -3  # mallopt's parameter number, from glibc's malloc.h
MMAP_THRESHOLD = 128 * 1024


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None)
        libc.malloc_trim, libc.mallopt  # noqa: B018 (both exist only in glibc)
    except (OSError, AttributeError):  # not glibc (musl, say)
        return None
    return libc


_LIBC = _libc()
_bounded = False


def bound_heap() -> None:
    """Serve blocks of 128 KiB and more from their own mappings from now on (once a process)."""
    global _bounded
    if _bounded or _LIBC is None or "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return
    _LIBC.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
    _bounded = True


def release_freed_memory() -> None:
    """Return the heap's free pages to the operating system."""
    if _LIBC is not None:
        _LIBC.malloc_trim(0)
