"""Station attrition: a village agent's monthly income (pay, commission per parcel,
services) against a reservation wage; a station below it for ``grace_m`` months in a
row closes, and may reopen once its income would reach the wage. Income uses the
closed-form adoption volumes, so the stations open each month are known before any
county is simulated (and cheaply, for calibration)."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sim.config.schema import spec
from sim.rollout.adoption import bass_share

INCOME_BIN_CNY = 10.0
"""Width of the agent income histogram's bins (quantiles are exact to half a bin)."""
INCOME_BINS = 10_000    # the last bin holds every income above 100,000 CNY a month


@dataclass(frozen=True)
class AttritionConfig:
    """A village agent's monthly income against the wage that keeps the station open."""
    pay_per_month_cny: float = spec(450.0, "The platform's fixed pay to an agent", unit="CNY/month", lo=0,
                                    source="400-500 CNY/month part-time (Zhejiang government)")
    commission_per_parcel_cny: float = spec(1.0, "The agent's commission per parcel of the village", unit="CNY/parcel",
                                            lo=0, source="[G] courier piece rate ~1 CNY per delivery (China Daily)")
    services_per_month_cny: float = spec(0.0, "Other income of the station (payments, tickets, produce)",
                                         unit="CNY/month", lo=0, source="[G]")
    reservation_wage_cny: float = spec(1500.0, "Income below which the agent gives the station up",
                                       unit="CNY/month", lo=0, source="[G] half a migrant worker's 3,072 CNY/month "
                                       "(NBS 2015): a part-time job beside farming")
    grace_m: int = spec(6, "Months in a row below the wage before the station closes", unit="months", lo=1, hi=240,
                        source="[G]")
    reopen: bool = spec(True, "A closed station reopens the month after its income would reach the wage",
                        source="")


def agent_income(attr: AttritionConfig, residents, share, parcels_per_adopter_y: float) -> np.ndarray:
    """Monthly income (CNY) of the agents of villages with ``residents`` of whom ``share``
    shop online, each ordering ``parcels_per_adopter_y`` parcels a year."""
    parcels_m = np.asarray(residents, dtype=float) * np.asarray(share, dtype=float) * parcels_per_adopter_y / 12.0
    return attr.pay_per_month_cny + attr.services_per_month_cny + attr.commission_per_parcel_cny * parcels_m


def station_status(attr: AttritionConfig, opened: np.ndarray, residents: np.ndarray, p: float, q: float,
                   ceiling: float, parcels_per_adopter_y: float, horizon_m: int) -> tuple[np.ndarray, np.ndarray]:
    """Which stations are open each month, and their agents' incomes.

    ``opened`` is each village's first opening month (-1: never). From its first month a
    station's residents adopt along the Bass curve at mid-month (as the rollout's
    closed-form adoption), whether or not it is open later. A station open in month m
    whose income is below ``reservation_wage_cny`` in ``grace_m`` months in a row
    (counted while open) is closed from the next month; a closed one reopens (with
    ``reopen``) the month after one in which its income would reach the wage.
    Returns ``(open, income)``, both ``(horizon_m, villages)``; income is 0 before the
    first opening.
    """
    n = len(opened)
    months = np.arange(horizon_m)[:, None]
    started_all = (opened >= 0) & (opened <= months)
    share = np.where(started_all, bass_share(np.where(started_all, months - opened + 0.5, 0.0), p, q, ceiling), 0.0)
    income = np.where(started_all, agent_income(attr, residents, share, parcels_per_adopter_y), 0.0)
    is_open = np.zeros((horizon_m, n), dtype=bool)
    state = np.zeros(n, dtype=bool)
    below = np.zeros(n, dtype=np.int64)
    none = np.zeros(n, dtype=bool)
    for m in range(horizon_m):
        started = started_all[m]
        new = opened == m
        state |= new
        below[new] = 0
        open_m = state & started
        is_open[m] = open_m
        ok = income[m] >= attr.reservation_wage_cny
        below = np.where(open_m & ~ok, below + 1, 0)
        close = open_m & (below >= attr.grace_m)
        back = started & ~open_m & ok if attr.reopen else none
        state = (state & ~close) | back
        below[back] = 0
    return is_open, income


def income_histogram(income: np.ndarray) -> list:
    """Agents by monthly income in bins of INCOME_BIN_CNY, sparse as [[bin, agents], ...]."""
    b = np.minimum(np.floor(np.asarray(income) / INCOME_BIN_CNY), INCOME_BINS - 1).astype(np.int64)
    h = np.bincount(b, minlength=INCOME_BINS)
    nz = np.flatnonzero(h)
    return [[int(i), int(h[i])] for i in nz]


def income_quantile(hist: np.ndarray, q: float) -> float:
    """The q-quantile of income from a summed histogram (bin centres; nan when empty)."""
    total = hist.sum()
    if total <= 0:
        return float("nan")
    k = int(np.searchsorted(np.cumsum(hist), q * total, side="left"))
    return (min(k, len(hist) - 1) + 0.5) * INCOME_BIN_CNY


class StationTally:
    """A region's stations month by month, summed one county record at a time: counties
    entered, stations open and closed, and the agents' income distribution (stations.csv)."""

    def __init__(self, horizon_m: int):
        self.counties = np.zeros(horizon_m, dtype=np.int64)
        self.open = np.zeros(horizon_m, dtype=np.int64)
        self.closed = np.zeros(horizon_m, dtype=np.int64)
        self.income = np.zeros((horizon_m, INCOME_BINS), dtype=np.int64)
        self.has_income = False

    def add(self, rec: dict) -> None:
        for m, row in enumerate(rec["months"]):
            self.counties[m] += bool(row["hub_open"])
            self.open[m] += row["stations_open"]
            self.closed[m] += row.get("stations_closed", 0)
        for m, sparse in enumerate(rec.get("income_hist") or []):
            self.has_income = True
            for b, k in sparse:
                self.income[m, b] += k

    def rows(self, strategy: str, replication: int) -> list[dict]:
        nan = float("nan")
        return [{"strategy": strategy, "replication": replication, "month": m,
                 "counties_entered": int(self.counties[m]), "stations_open": int(self.open[m]),
                 "stations_closed": int(self.closed[m]),
                 "agent_income_p10_cny": income_quantile(self.income[m], 0.1) if self.has_income else nan,
                 "agent_income_median_cny": income_quantile(self.income[m], 0.5) if self.has_income else nan}
                for m in range(len(self.open))]
