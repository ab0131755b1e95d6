"""Figures: county, experiment and rollout figures drawn from results files."""
