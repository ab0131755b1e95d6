"""Experiments: the spec, designs, the run engine (store, executors, progress) and tables."""
