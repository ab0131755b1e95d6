"""Validation of the generated county's geometry: its villages span the area the
config states (the convex hull of the villages against ``county.area_km2``), for
counties from 500 to 5,000 km2. The expected value is the input itself; the
tolerance (15%, stated before the run) allows for the convex hull of a finite set
of points falling short of the region they fill: the deficit shrinks like n^(-2/3)
(Renyi & Sulanke 1963) and is about 6-7% for the default 370 villages."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from sim.config.scenario import CountyConfig
from sim.county.network import generate_villages
from sim.county.rng import generator
from sim.validation.core import Case, CaseResult, mean_ci

AREA_TOLERANCE = 0.15
AREAS_KM2 = (500.0, 1000.0, 2000.0, 3000.0, 5000.0)
COUNTIES_PER_AREA = 20


def hull_area(points: np.ndarray) -> float:
    """Area of the convex hull of 2-D points (Andrew's monotone chain, shoelace)."""
    pts = sorted(map(tuple, np.asarray(points, dtype=float)))

    def cross(o, a, b) -> float:
        return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])

    lower: list = []
    for p in pts:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], p) <= 0:
            lower.pop()
        lower.append(p)
    upper: list = []
    for p in reversed(pts):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], p) <= 0:
            upper.pop()
        upper.append(p)
    hull = np.array(lower[:-1] + upper[:-1])
    x, y = hull[:, 0], hull[:, 1]
    return float(0.5 * abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))))


def county_area(figures: Path) -> list[CaseResult]:
    out = []
    for area in AREAS_KM2:
        ratios = []
        for c in range(COUNTIES_PER_AREA):
            cfg = CountyConfig(area_km2=area)
            _, _, xy, _, _, _ = generate_villages(cfg, generator(20240601, c, f"county_area_{area:g}"))
            ratios.append(hull_area(xy) / area)
        m, hw = mean_ci(ratios)
        worst = float(min(ratios))
        out.append(CaseResult(
            f"county_area_{area:g}km2", "theory",
            f"The convex hull of a generated county's villages (default townships and villages) covers its "
            f"configured area of {area:g} km2.", 1.0, "county.area_km2 (the input)", m, hw,
            f"every one of {COUNTIES_PER_AREA} counties within {AREA_TOLERANCE:.0%} of the area",
            all(abs(r - 1.0) <= AREA_TOLERANCE for r in ratios), unit="hull / area",
            replications=COUNTIES_PER_AREA, note=f"smallest ratio {worst:.3f}"))
    return out


CASES = [Case("county_area", "theory", False, county_area)]
