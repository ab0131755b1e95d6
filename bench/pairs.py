"""Honest benchmark figures: two measurements taken as interleaved pairs (the order
alternating, so a busy machine slows both sides alike), each goal a ratio within a
pair, reported as the median and range over the pairs; and a table of every pair
written to ``results/bench/``."""
from __future__ import annotations

import csv
import statistics
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "results" / "bench"


def interleaved(first: Callable[[], float], second: Callable[[], float], pairs: int) -> list[tuple[float, float]]:
    """``pairs`` pairs (first(), second()), the order alternating from pair to pair."""
    out = []
    for i in range(pairs):
        if i % 2 == 0:
            a = first()
            b = second()
        else:
            b = second()
            a = first()
        out.append((a, b))
    return out


def spread(values: Sequence[float]) -> tuple[float, float, float]:
    """Median, smallest and largest."""
    return statistics.median(values), min(values), max(values)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def write_table(name: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> Path:
    """results/bench/<name>.csv: one row per pair."""
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.csv"
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(columns)
        w.writerows(rows)
    return path
