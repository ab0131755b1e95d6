"""Closed forms the model is checked against: Erlang C for the hub's sorting queue
and Little's law."""
from __future__ import annotations


def erlang_c(servers: int, offered_load: float) -> float:
    """Probability that an arrival waits in an M/M/c queue with ``servers`` servers
    and offered load a = lambda/mu (requires a < c)."""
    c, a = servers, offered_load
    if not 0 <= a < c:
        raise ValueError(f"offered load {a!r} must be in [0, {c}) for a stable M/M/{c} queue")
    # numerically stable: build the terms a^k/k! iteratively
    term, total = 1.0, 1.0
    for k in range(1, c):
        term *= a / k
        total += term
    last = term * a / c * c / (c - a)  # a^c/c! * c/(c-a)
    return last / (total + last)


def mmc_mean_wait(servers: int, arrival_rate: float, service_rate: float) -> float:
    """Mean time in queue (before service) of an M/M/c queue: C(c, a) / (c mu - lambda)."""
    a = arrival_rate / service_rate
    return erlang_c(servers, a) / (servers * service_rate - arrival_rate)
