"""The ``ruralsim`` command: a thin layer over :mod:`sim.experiments.single`.

Exit codes: 0 success, 1 a run failed, 2 bad input (one message, no traceback,
nothing written)."""
from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import click

from sim.config.scenario import config_kind, load_scenario, read_yaml
from sim.errors import InputError
from sim.reports.terminal import calibration_text, comparison_table, kpi_table, national_table


def load_checked(config: str, seed: int | None = None, replications: int | None = None):
    """The scenario of CONFIG with overrides, and its village file if it names one:
    everything that can be wrong with the input fails here, before anything runs."""
    from sim.county.network import load_villages
    sc = load_scenario(config)
    if seed is not None:
        sc = dataclasses.replace(sc, seed=seed)
    if replications is not None:
        sc = dataclasses.replace(sc, replications=replications)
    if sc.county.villages_csv:
        load_villages(sc.county.villages_csv)
    return sc


def _fail_input(exc: InputError) -> NoReturn:
    click.echo(f"error: {exc}", err=True)
    sys.exit(2)


def _fail_write(out: Path, exc: OSError) -> NoReturn:
    """A results folder that could not be written (a full disk, a read-only mount):
    one message, exit 1; the folder is marked incomplete or keeps whole run files."""
    click.echo(f"error: cannot write results to {out}/: {exc.strerror or exc} ({exc.filename or out})", err=True)
    sys.exit(1)


@contextlib.contextmanager
def _writing_results(out: Path) -> Iterator[None]:
    """Run a command's work on ``out``: bad input ends it with exit 2, a folder that
    cannot be written with exit 1, each as one message."""
    try:
        yield
    except InputError as exc:
        _fail_input(exc)
    except OSError as exc:
        _fail_write(out, exc)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ruralsim")
def main() -> None:
    """Simulate two-way rural commerce: parcels into villages, produce out to cities."""


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
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
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


def _reps_text(exp) -> str:
    r = exp.replications
    return str(r.min) if not r.sequential else f"{r.min}-{r.max} (sequential, to ±{r.relative_half_width:.0%})"


@main.command()
@click.argument("config", type=str)
@click.option("--out", "out_dir", type=str, default=None,
              help="Results folder (default: results/<config name>).")
@click.option("--seed", type=click.IntRange(min=0), default=None,
              help="Root seed (overrides the seed of a scenario or an experiment).")
@click.option("--replications", type=click.IntRange(min=1, max=100000), default=None,
              help="Replications (overrides a scenario's or an experiment's: a fixed N; an experiment's "
                   "sequential rule gets min = max = N).")
@click.option("--workers", type=click.IntRange(min=1, max=1024), default=None,
              help="Local worker processes for a scenario's replications or an experiment's runs "
                   "(default: all cores).")
@click.option("--scheduler", type=str, default=None, metavar="ADDRESS",
              help="Experiments: run on this Dask distributed scheduler instead (pip install 'ruralsim[dask]').")
@click.option("--fresh", is_flag=True, help="Experiments: discard runs already in the results folder "
              "(a scenario's results are always written anew).")
@click.option("--no-figures", is_flag=True, help="Write tables only.")
@click.option("--counties", type=click.IntRange(min=1, max=5000), default=None,
              help="Rollouts and national years: a quick preview on N counties (a national year samples every "
                   "region in proportion).")
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
def run(config: str, out_dir: str | None, seed: int | None, replications: int | None, workers: int | None,
        scheduler: str | None, fresh: bool, no_figures: bool, quiet: bool, counties: int | None = None) -> None:
    """Run CONFIG, by its top-level `kind:`: a scenario (its replications: runs.csv, summary.csv, daily.csv,
    manifest.json, figures/), an experiment (every scenario and replication, resumable:
    runs/, runs.csv, summary.csv, comparisons.csv, failures.csv, manifest.json, figures/), a rollout
    (as `ruralsim compare`) or a national year (every county-year, resumable: runs/, counties.csv,
    regions.csv, remoteness.csv, failures.csv, manifest.json, figures/)."""
    try:
        kind = config_kind(read_yaml(config), config)
        if counties is not None and kind in ("scenario", "experiment"):
            raise InputError(f"{config}: --counties applies to rollout and national configs")
        if kind == "national":
            if seed is not None or replications is not None:
                raise InputError(f"{config}: --seed and --replications do not apply to a national year (one "
                                 "county-year per county); set seed in the config")
            _run_national(config, out_dir, workers, scheduler, fresh, no_figures, quiet, counties)
            return
        if kind == "rollout":
            if seed is not None:
                raise InputError(f"{config}: --seed applies to scenario and experiment configs; "
                                 "set seed in the rollout")
            ctx = click.get_current_context()
            ctx.invoke(compare, experiment=config, out_dir=out_dir, workers=workers, scheduler=scheduler,
                       fresh=fresh, no_figures=no_figures, quiet=quiet, replications=replications, counties=counties)
            return
        if kind == "experiment":
            from sim.experiments.spec import load_experiment
            exp = load_experiment(config, seed=seed, replications=replications)
        else:
            if scheduler:
                raise InputError(f"{config}: --scheduler applies to experiment and rollout configs "
                                 "(a scenario's replications run on the local pool: --workers)")
            exp = None
            sc = load_checked(config, seed, replications)
    except InputError as exc:
        _fail_input(exc)
    out = Path(out_dir) if out_dir else Path("results") / Path(config).stem
    if out.exists() and not out.is_dir():
        _fail_input(InputError(f"--out {str(out)!r}: exists and is not a folder"))
    if exp is not None:
        _run_experiment(exp, out, workers, scheduler, fresh, no_figures, quiet)
        return

    def progress(done: int, total: int) -> None:
        if not quiet:
            click.echo(f"replication {done}/{total} done", err=True)

    from sim.experiments.single import run_into
    try:
        with _writing_results(out):
            result = run_into(sc, out, figures=not no_figures, progress=progress,
                          workers=workers or os.cpu_count() or 1)
    except Exception as exc:  # a failed run: the model's fault, so show where
        click.echo(f"run failed: {type(exc).__name__}: {exc}", err=True)
        click.echo(traceback.format_exc(), err=True)
        sys.exit(1)
    if not quiet:
        click.echo(f"scenario '{sc.name}': {sc.replications} replications of {sc.horizon_d} days "
                   f"(after {sc.warmup_d} warm-up days) in {result.wall_s:.1f} s")
        click.echo(kpi_table(result.summary))
        click.echo(f"results written to {out}/")


def _run_national(config: str, out_dir: str | None, workers, scheduler, fresh, no_figures, quiet,
                  counties: int | None) -> None:
    """A national year: every county-year, streamed to the results folder; exit 1 if one failed."""
    from sim.rollout.national import run_national
    from sim.rollout.national_spec import load_national
    default = Path("results") / (Path(config).stem + ("_preview" if counties is not None else ""))
    out = Path(out_dir) if out_dir else default
    with _writing_results(out):
        nat = load_national(config).preview(counties)
        res = run_national(nat, out, workers=workers, scheduler=scheduler, fresh=fresh, quiet=quiet,
                           figures=not no_figures)
    if not quiet and res["regions"]:
        click.echo(national_table(res["regions"], "region"))
        click.echo(national_table(res["remoteness"], "remoteness_class"))
    click.echo(f"national year '{nat.name}': {res['counties']:,} county-years, {res['tasks_run']:,} run now "
               f"({res['engine']}, {res['wall_s']:.1f} s); tables in {out}/")
    if res["failures"]:
        click.echo(f"{len(res['failures'])} county-year(s) failed: see {out / 'failures.csv'}; run the same command "
                   "again to retry them", err=True)
        sys.exit(1)


def _run_experiment(exp, out: Path, workers, scheduler, fresh, no_figures, quiet) -> None:
    from sim.experiments.sweep import run_experiment
    with _writing_results(out):
        res = run_experiment(exp, out, workers=workers, scheduler=scheduler, fresh=fresh, quiet=quiet,
                             figures=not no_figures)
    if not quiet:
        runs = len(res.tables["runs"])
        click.echo(f"experiment '{exp.name}': {len(exp.scenarios)} scenarios, {runs} runs done, "
                   f"{res.failed} failed ({res.engine}, {res.wall_s:.1f} s)")
        click.echo(comparison_table(res.tables["comparisons"]))
        click.echo(f"results written to {out}/")
    if res.failed:
        click.echo(f"{res.failed} run(s) failed: see {out / 'failures.csv'}; run the same command again to retry them",
                   err=True)
        sys.exit(1)


@main.command()
@click.argument("results_dir", type=str)
def plot(results_dir: str) -> None:
    """Redraw an experiment's figures from the files in RESULTS_DIR."""
    from sim.figures.redraw import redraw
    try:
        paths = redraw(Path(results_dir))
    except InputError as exc:
        _fail_input(exc)
    click.echo(f"{len(paths)} figure files written to {Path(results_dir) / 'figures'}/")


@main.command()
@click.argument("experiment", type=str)
@click.option("--out", "out_dir", type=str, default=None, help="Results folder (default: results/<config name>).")
@click.option("--workers", type=click.IntRange(min=1, max=1024), default=None,
              help="Local worker processes (default: all cores).")
@click.option("--scheduler", type=str, default=None, metavar="ADDRESS", help="Run on this Dask scheduler instead.")
@click.option("--fresh", is_flag=True, help="Discard county runs already in the results folder.")
@click.option("--no-figures", is_flag=True, help="Write tables only (no report).")
@click.option("--counties", type=click.IntRange(min=1, max=5000), default=None,
              help="A quick preview: only the region's first N counties.")
@click.option("--replications", type=click.IntRange(min=1, max=1000), default=None,
              help="A quick preview: this many replications instead of the config's.")
@click.option("--ranking-sensitivity", "ranking_n", type=click.IntRange(min=0, max=100000), default=0,
              help="Latin-hypercube samples of the accounting inputs, re-evaluated on the stored outputs.")
@click.option("--ranking-runs", type=click.IntRange(min=0, max=1000), default=0,
              help="Samples of every input (capital, adoption too), each a rollout run at preview size.")
@click.option("--quiet", is_flag=True, help="Print nothing but errors and the summary.")
def compare(experiment: str, out_dir: str | None, workers: int | None, scheduler: str | None, fresh: bool,
            no_figures: bool, quiet: bool, counties: int | None = None, replications: int | None = None,
            ranking_n: int = 0, ranking_runs: int = 0) -> None:
    """Compare rollout strategies over a region: every (strategy, replication, county)
    runs month by month; writes monthly.csv, outcomes.csv, counties.csv, equity.csv,
    runs.csv, report.md and a self-contained report.html (with --ranking-sensitivity or
    --ranking-runs also ranking_samples.csv and ranking_breakeven.csv). Exit 1 if a county
    run fails."""
    from sim.rollout.compare import run_rollout
    from sim.rollout.spec import load_rollout
    out = Path(out_dir) if out_dir else Path("results") / Path(experiment).stem
    with _writing_results(out):
        ro = load_rollout(experiment).preview(counties, replications)
        tables = run_rollout(ro, out, workers=workers, scheduler=scheduler, fresh=fresh, quiet=quiet,
                             report=not no_figures, ranking=(ranking_n, ranking_runs) if ranking_n or ranking_runs
                             else None)
    counties = len({r["county_id"] for r in tables["counties"]})
    report = tables["report"]
    click.echo(f"rollout '{ro.name}': {len(ro.strategies)} strategies x {ro.replications} replications x "
               f"{counties} counties, {tables['tasks_run']} county runs in {tables['wall_s']:.1f} s"
               + (f"; report: {report['markdown']} and {report['html']}" if report else f"; tables in {out}/"))
    if tables["failures"]:
        click.echo(f"{len(tables['failures'])} county run(s) failed: see {out / 'failures.csv'}", err=True)
        sys.exit(1)


@main.command()
@click.argument("config", type=str)
@click.option("--targets", type=str, required=True, metavar="FILE.csv",
              help="Reported points: month, villages / counties / stations_closed, optional hold_out.")
@click.option("--out", "out_dir", type=str, default=None, help="Folder (default: results/<config name>_calibration).")
@click.option("--hold-out", "hold_out", type=str, multiple=True, metavar="MONTH[:QUANTITY]",
              help="Hold a reported point out of the fit (repeatable).")
@click.option("--leave-one-out", is_flag=True, help="Also refit with each fitted point held out in turn.")
def calibrate(config: str, targets: str, out_dir: str | None, hold_out: tuple[str, ...], leave_one_out: bool) -> None:
    """Fit the parameters of CONFIG's calibration section to reported points; writes
    fit.csv, residuals.csv, series.csv, fitted.yaml, the calibration figures and, with
    --leave-one-out, holdout.csv."""
    from sim.rollout.calibrate import run_calibration
    out = Path(out_dir) if out_dir else Path("results") / f"{Path(config).stem}_calibration"
    with _writing_results(out):
        res = run_calibration(config, targets, out, hold_out, leave_one_out)
    click.echo(calibration_text(res))
    click.echo(f"{res['evaluations']} evaluations; results in {out}/")


@main.command()
@click.option("--replications", type=click.IntRange(min=2, max=1000), default=5, show_default=True,
              help="Replications of every scenario of every experiment the findings read.")
@click.option("--out", "out_dir", default="results/findings", show_default=True,
              help="Where the experiments' results go (one folder each; resumable).")
@click.option("--doc", default="docs/findings.md", show_default=True, help="The findings document to write.")
@click.option("--experiments", "experiments_dir", default="experiments", show_default=True,
              help="The folder of shipped experiment configs (with sensitivity/).")
@click.option("--workers", type=click.IntRange(min=1, max=1024), default=None,
              help="Local worker processes (default: all cores).")
@click.option("--fresh", is_flag=True, help="Discard runs already in the results folders.")
@click.option("--quiet", is_flag=True, help="Print nothing but errors and the summary.")
def findings(replications: int, out_dir: str, doc: str, experiments_dir: str, workers: int | None, fresh: bool,
             quiet: bool) -> None:
    """Re-run the shipped experiments and their sensitivities, and write the findings
    (numbers with 95% intervals, what drives each, when it flips) to DOC."""
    from sim.experiments.findings import run_findings, write_findings
    try:
        found, meta = run_findings(experiments_dir, out_dir, replications, workers=workers, fresh=fresh,
                                   quiet=quiet)
    except InputError as exc:
        _fail_input(exc)
    except OSError as exc:
        _fail_write(Path(out_dir), exc)
    path = write_findings(found, meta, doc)
    click.echo(f"{len(found)} findings from {sum(e['runs'] for e in meta['experiments'].values())} runs: {path}")


@main.command()
@click.option("--out", "out_dir", default="results/validation", show_default=True, help="Report folder.")
@click.option("--fast", is_flag=True, help="Only the fast cases (those that also run in the tests).")
@click.option("--quiet", is_flag=True, help="Print nothing but the summary line.")
def validate(out_dir: str, fast: bool, quiet: bool) -> None:
    """Run the validation suite and write OUT/report.md with its figures. Exit 1 if a
    case fails that is not a registered known disagreement (sim/validation/known.py)."""
    from sim.validation import cases, judge
    from sim.validation.report import write_validation_report

    def progress(case, seconds):
        if not quiet:
            click.echo(f"{case.name}: {seconds:.1f} s", err=True)

    results = write_validation_report(cases(fast), Path(out_dir), fast_only=fast, progress=progress)
    verdict = judge(results)
    passed = sum(r.passed for r in results)
    click.echo(f"{passed} of {len(results)} checks pass, {len(verdict.known_failing)} known disagreements; "
               f"report: {Path(out_dir) / 'report.md'}")
    for r in verdict.known_failing:
        click.echo(f"known disagreement {r.case}")
    for r in verdict.now_agree:
        click.echo(f"notice: {r.case} now agrees: remove it from the known list")
    for r in verdict.failed:
        click.echo(f"FAIL {r.case}: {r.note.splitlines()[0] if r.note else ''}"[:200])
    if verdict.failed:
        sys.exit(1)


@main.command()
@click.argument("results_dir", type=str)
@click.option("--column", default="hub_backlog_parcels", show_default=True,
              help="The daily.csv column to analyse.")
def warmup(results_dir: str, column: str) -> None:
    """Suggest a warm-up (warmup_d) by MSER-5 on a daily series of a scenario's results.

    daily.csv covers every simulated day from the run's empty start (warm-up days
    numbered below 0), so the days MSER-5 truncates from its start are the warm-up
    the run needs; if that exceeds the run's own warmup_d, the KPI window opened too early."""
    from sim.analysis.statistics import mser5
    from sim.files import read_csv_columns
    path = Path(results_dir) / "daily.csv"
    try:
        table = read_csv_columns(path)
    except InputError as exc:
        _fail_input(exc)
    if column not in table:
        _fail_input(InputError(f"{path}: no column {column!r}; columns: {', '.join(table)}"))
    d = mser5(table[column])
    had = -int(min(table["day"])) if "day" in table and len(table["day"]) else 0
    verdict = "enough" if d <= had else "too short"
    click.echo(f"MSER-5 on {column}: truncate the first {d} days (set warmup_d: {d}); "
               f"this run's warm-up of {had} days is {verdict}")


if __name__ == "__main__":  # pragma: no cover
    main()
