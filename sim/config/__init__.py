"""Typed configs: the schema engine, the scenario schema and the reference generated from it."""
