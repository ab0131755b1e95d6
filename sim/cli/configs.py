"""Commands about configs: the reference, JSON Schemas, and checking a config."""
from __future__ import annotations

import click

from sim.cli.base import _fail_input, _reps_text, load_checked, main, writable_folder
from sim.errors import InputError


def config_schemas() -> dict[str, type]:
    """The schema dataclass of each config kind."""
    from sim.config.scenario import Scenario
    from sim.experiments.spec import ExperimentConfig
    from sim.rollout.national_spec import NationalConfig
    from sim.rollout.spec import RolloutConfig
    return {"scenario": Scenario, "experiment": ExperimentConfig, "rollout": RolloutConfig,
            "national": NationalConfig}


def config_notes() -> dict[str, str]:
    """What each kind replaces in its base scenario (keys there that do nothing)."""
    from sim.rollout.national_spec import NATIONAL_GOVERNED
    from sim.rollout.spec import ROLLOUT_GOVERNED
    governed = "; ".join(f"`{k}` (by {v})" for k, v in ROLLOUT_GOVERNED.items())
    national_governed = "; ".join(f"`{k}` (by {v})" for k, v in NATIONAL_GOVERNED.items())
    return {"experiment": "The base scenario's `seed`, `replications` and `warmup_d` are replaced by the "
                          "experiment's `seed`, `replications` and `warmup_d` (which default to the base's).",
            "rollout": "A county's scenario is the base with its operating model's overrides, resized to the county; "
                       f"the rollout replaces these base keys: {governed}. Setting one of them to a non-default value "
                       "in `operating_models` or an inline `base` is refused; in a base scenario file it is ignored.",
            "national": "A county's scenario is the base resized to the county (one county-year each, the base's "
                        "`horizon_d`, `warmup_d` and `start_doy`); the national year replaces these base keys: "
                        f"{national_governed}. Setting one of them to a non-default value in an inline `base` is "
                        "refused; in a base scenario file it is ignored."}


def reference_markdown() -> str:
    """The generated block of docs/reference.md."""
    from sim.config.reference import config_reference_markdown
    return config_reference_markdown(config_schemas(), config_notes())


def kind_json_schemas() -> dict[str, dict]:
    """A JSON Schema (draft 2020-12) of each config kind, from its schema dataclasses."""
    from sim.config.jsonschema import json_schema
    schemas = config_schemas()
    return {kind: json_schema(cls, f"ruralsim {kind} config",
                              top={"kind": {"const": kind, "description": "The config's kind."}}, required=["kind"],
                              defs=None if kind == "scenario" else {"scenario": schemas["scenario"]})
            for kind, cls in schemas.items()}


@main.command()
@click.option("--update", "path", type=str, default=None, metavar="FILE",
              help="Rewrite the generated block of FILE (e.g. docs/reference.md) instead of printing.")
def reference(path: str | None) -> None:
    """Print the config reference of every kind (every key, default, unit, source) as Markdown."""
    from sim.config.reference import update_reference
    if path:
        try:
            changed = update_reference(path, reference_markdown())
        except (OSError, ValueError) as exc:
            _fail_input(InputError(f"{path}: cannot update the generated reference: {exc}"))
        click.echo(f"{path}: {'updated' if changed else 'already up to date'}")
    else:
        click.echo(reference_markdown())


@main.command()
@click.option("--kind", type=click.Choice(["scenario", "experiment", "rollout", "national"]), default=None,
              help="Only this kind (default: every kind).")
@click.option("--out", "out_dir", type=str, default="schemas", show_default=True,
              help="Folder for <kind>.schema.json.")
def schema(kind: str | None, out_dir: str) -> None:
    """Write the JSON Schema (draft 2020-12) of each config kind, for editors to complete and check keys."""
    import json

    from sim.files import atomic_write_text
    out = writable_folder(out_dir)
    for k, sch in kind_json_schemas().items():
        if kind in (None, k):
            atomic_write_text(out / f"{k}.schema.json", json.dumps(sch, indent=2) + "\n")
            click.echo(f"{out / f'{k}.schema.json'}")


@main.command()
@click.argument("config", type=str)
def check(config: str) -> None:
    """Validate CONFIG (its top-level `kind:` says scenario, experiment, rollout or
    national) without running it."""
    try:
        from sim.config.scenario import config_kind, read_yaml
        kind = config_kind(read_yaml(config), config)
        if kind == "national":
            from sim.rollout.national_spec import load_national
            nat = load_national(config)
            n = sum(r.counties for _, r in nat.regions)
            click.echo(f"{config}: ok (national year '{nat.name}', {len(nat.regions)} regions, {n:,} county-years "
                       f"of {nat.base.horizon_d} days, stations in {nat.coverage_share:.1%} of villages)")
            return
        if kind == "rollout":
            from sim.rollout.spec import load_rollout
            from sim.rollout.spec import read_inputs as read_rollout_inputs
            ro = load_rollout(config)
            counties = read_rollout_inputs(ro)
            click.echo(f"{config}: ok (rollout '{ro.name}', {len(ro.strategies)} strategies x {counties} counties x "
                       f"{ro.replications} replications = {len(ro.strategies) * counties * ro.replications:,} county "
                       f"runs of {ro.horizon_m} months)")
            return
        if kind == "experiment":
            from sim.experiments.spec import load_experiment
            from sim.experiments.spec import read_inputs as read_experiment_inputs
            exp = load_experiment(config)
            read_experiment_inputs(exp)
            most = len(exp.scenarios) * exp.replications.max
            click.echo(f"{config}: ok (experiment '{exp.name}', {len(exp.scenarios)} scenarios, "
                       f"{_reps_text(exp)} replications each: at most {most:,} runs)")
            return
        sc = load_checked(config)
    except InputError as exc:
        _fail_input(exc)
    click.echo(f"{config}: ok (scenario '{sc.name}', {sc.replications} replications, {sc.horizon_d} days)")
