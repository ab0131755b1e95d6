"""The theory cases, in report order: the hub's sorting queue (queues: Erlang C,
Kingman, D/M/1 and D/Gamma/1 exact), tour and fleet lengths (routes: exact tours,
BHH, Daganzo), daily order counts (orders: Poisson, negative binomial, season) and
t-interval coverage on synthetic data and on the model's output (coverage)."""
from __future__ import annotations

from sim.validation.core import Case
from sim.validation.coverage import run_model_coverage, run_t_coverage
from sim.validation.orders import run_order_counts
from sim.validation.queues import run_erlang_c_fast, run_erlang_c_slow, run_kingman, run_kingman_fast
from sim.validation.routes import run_bhh, run_county_tours, run_daganzo, run_exact_gap

CASES: list[Case] = [
    Case("erlang_c_fast", "theory", False, run_erlang_c_fast),
    Case("erlang_c_slow", "theory", True, run_erlang_c_slow),
    Case("kingman_fast", "theory", False, run_kingman_fast),
    Case("kingman", "theory", True, run_kingman),
    Case("exact_gap", "theory", False, run_exact_gap),
    Case("county_tours", "theory", False, run_county_tours),
    Case("bhh", "theory", True, run_bhh),
    Case("daganzo", "theory", True, run_daganzo),
    Case("order_counts", "theory", False, run_order_counts),
    Case("t_coverage", "statistics", True, run_t_coverage),
    Case("model_coverage", "statistics", True, run_model_coverage),
]
