"""The ``ruralsim`` command: a thin layer over the library (:mod:`sim.experiments`,
:mod:`sim.rollout`, :mod:`sim.validation`), one module per group of commands.

Exit codes: 0 success, 1 a run failed, 2 bad input (one message, no traceback,
nothing written)."""
from sim.cli import configs, evidence, rollouts, running  # noqa: F401  (each registers its commands)
from sim.cli.base import main
from sim.cli.configs import config_notes, config_schemas, kind_json_schemas, reference_markdown

__all__ = ["config_notes", "config_schemas", "kind_json_schemas", "main", "reference_markdown"]
