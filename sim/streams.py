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
from array import array
from collections.abc import Callable
from typing import Any

import numpy as np

SHIFT = 12
BLOCK = 1 << SHIFT  # 4096 ids a block
MASK = BLOCK - 1


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
    """Variates indexed by shipment id, drawn lazily in blocks of ``BLOCK`` ids.

    Block ``b`` holds the variates of ids ``b * BLOCK`` to ``(b + 1) * BLOCK - 1``, drawn from
    its own generator (the stream's name and ``b``), so any id's variate is the same whatever
    order ids are asked for in, one at a time (``u[i]``) or many at once (:meth:`take`), and
    a block can be dropped and drawn again. At most ``KEEP`` blocks are kept (the oldest drawn
    goes first): shipments are served roughly in arrival order, so memory stays bounded
    however long the run. Blocks of floats are kept as ``array('d')``: 8 bytes a variate, and
    indexing one gives a plain Python float.
    """

    __slots__ = ("_streams", "_name", "_draw", "_blocks")

    KEEP = 64

    def __init__(
        self, streams: Streams, name: str, draw: Callable[[np.random.Generator, int], np.ndarray]
    ):
        self._streams = streams
        self._name = name
        self._draw = draw
        self._blocks: dict[int, Any] = {}

    def _values(self, b: int) -> np.ndarray:
        rng = np.random.default_rng(self._streams._child(self._name, b))
        return np.asarray(self._draw(rng, BLOCK))

    def _block(self, b: int) -> Any:
        values = self._values(b)
        if values.dtype == np.float64 and values.ndim == 1:
            block = array("d", values.tobytes())
        else:  # anything else keeps exactly what the draw gave
            block = values.tolist()
        blocks = self._blocks
        if len(blocks) >= self.KEEP:
            del blocks[next(iter(blocks))]
        blocks[b] = block
        return block

    def __getitem__(self, i: int) -> float:
        try:
            return self._blocks[i >> SHIFT][i & MASK]
        except KeyError:
            return self._block(i >> SHIFT)[i & MASK]

    def forget(self) -> None:
        """Drop the blocks kept (they are drawn again, identically, if asked for)."""
        self._blocks.clear()

    def take(self, ids: np.ndarray) -> np.ndarray:
        """The variates of many ids at once (a float64 array), the same as ``u[i]`` for each.
        Blocks drawn here are not kept."""
        ids = np.asarray(ids, dtype=np.int64)
        out = np.empty(ids.size)
        if not ids.size:
            return out
        blocks = ids >> SHIFT
        order = np.argsort(blocks, kind="stable")
        sorted_blocks = blocks[order]
        edges = np.flatnonzero(np.diff(sorted_blocks)) + 1
        for chunk in np.split(order, edges):
            b = int(blocks[chunk[0]])
            kept = self._blocks.get(b)
            if kept is None:
                values = np.asarray(self._values(b), dtype=np.float64)
            elif isinstance(kept, array):
                values = np.frombuffer(kept, dtype=np.float64)
            else:
                values = np.asarray(kept, dtype=np.float64)
            out[chunk] = values[ids[chunk] & MASK]
        return out
