"""Named random streams spawned from one seed.

``SeedSequence(seed)`` spawns one child per replication; each purpose (arrivals, attributes,
each check's service times, ...) then gets its own stream keyed by its *name*, not by the
order in which streams are asked for. Adding a check to a scenario therefore leaves every
other stream untouched, and two policies run on the same replication see the same shipments
(common random numbers).

Per-shipment streams (``Streams.per_shipment``) go one step further: the k-th variate belongs
to shipment k whatever order shipments are served in, so a shipment examined under two
policies gets the same service time and the same detection draw.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import numpy as np

BLOCK = 4096


def _key(name: str) -> int:
    return zlib.crc32(name.encode("utf-8"))


def replication_seeds(seed: int, replications: int) -> list[np.random.SeedSequence]:
    """One seed sequence per replication, the same for every policy, variant and sweep point."""
    return np.random.SeedSequence(seed).spawn(replications)


class Streams:
    """The random streams of one replication."""

    def __init__(self, seed_seq: np.random.SeedSequence):
        self._root = seed_seq

    def _child(self, name: str, *extra: int) -> np.random.SeedSequence:
        root = self._root
        return np.random.SeedSequence(root.entropy, spawn_key=(*root.spawn_key, _key(name), *extra))

    def rng(self, name: str) -> np.random.Generator:
        """A generator for one named purpose."""
        return np.random.default_rng(self._child(name))

    def per_shipment(
        self, name: str, draw: Callable[[np.random.Generator, int], np.ndarray] | None = None
    ) -> PerShipment:
        """Variates indexed by shipment id; ``draw(rng, n)`` defaults to uniforms on [0, 1)."""
        return PerShipment(self, name, draw or (lambda rng, n: rng.random(n)))


class PerShipment:
    """Variates indexed by shipment id, drawn lazily in blocks of ``BLOCK`` ids."""

    __slots__ = ("_streams", "_name", "_draw", "_blocks")

    def __init__(
        self, streams: Streams, name: str, draw: Callable[[np.random.Generator, int], np.ndarray]
    ):
        self._streams = streams
        self._name = name
        self._draw = draw
        self._blocks: dict[int, list[float]] = {}

    def __getitem__(self, i: int) -> float:
        b, k = divmod(i, BLOCK)
        block = self._blocks.get(b)
        if block is None:
            rng = np.random.default_rng(self._streams._child(self._name, b))
            block = self._blocks[b] = self._draw(rng, BLOCK).tolist()
        return block[k]
