"""``[traffic.batches]``: shipments that arrive together, by flight or vessel."""

from __future__ import annotations

from sim.schema.base import _Table


class Batches(_Table):
    """``[traffic.batches]``: shipments arrive together, by flight or vessel."""
