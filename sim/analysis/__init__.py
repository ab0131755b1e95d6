"""Statistics, queueing formulas, economics and sensitivity analysis."""
