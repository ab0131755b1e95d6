"""Named random streams. Each stream's generator is seeded from (root seed,
replication, stream name) and never from the scenario, so replication r of every
scenario sees the same demand and harvest: common random numbers."""
from __future__ import annotations

import zlib

import numpy as np

STREAMS = ("network", "orders", "order_times", "harvest", "sorting", "fleet", "travel",
           "feeder_fleet", "feeder_travel", "outlets",
           "bus_fleet", "bus_travel", "box_orders")

NETWORK_REPLICATION = -1
"""The county's geography is drawn once per root seed, the same in every replication."""


def stream_key(name: str) -> int:
    """A stable 32-bit number for a stream name (the same on every machine and run)."""
    return zlib.crc32(name.encode("utf-8"))


def generator(seed: int, replication: int, name: str) -> np.random.Generator:
    """The generator of stream ``name`` in ``replication`` under root ``seed``."""
    rep = replication if replication >= 0 else 2**32 - 1
    ss = np.random.SeedSequence([int(seed), int(rep), stream_key(name)])
    return np.random.Generator(np.random.PCG64(ss))


class Streams:
    """All named streams of one replication."""

    def __init__(self, seed: int, replication: int):
        self.seed = seed
        self.replication = replication
        self._cache: dict[str, np.random.Generator] = {}

    def __getitem__(self, name: str) -> np.random.Generator:
        if name not in STREAMS:
            raise KeyError(f"unknown random stream {name!r}; known: {', '.join(STREAMS)}")
        if name not in self._cache:
            rep = NETWORK_REPLICATION if name == "network" else self.replication
            self._cache[name] = generator(self.seed, rep, name)
        return self._cache[name]
