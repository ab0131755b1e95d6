"""Rollout over years and many counties: spec, region, strategies, adoption, the region run."""
