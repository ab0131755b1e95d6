"""Commands that run a config (scenario, experiment, rollout, national year), redraw
its figures, and suggest a warm-up."""
from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path

import click

from sim.cli.base import _fail_input, _writing_results, load_checked, main
from sim.cli.rollouts import compare
from sim.errors import InputError


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
        from sim.config.scenario import config_kind, read_yaml
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
            from sim.experiments.spec import check_township_ids, load_experiment
            exp = load_experiment(config, seed=seed, replications=replications)
            check_township_ids(exp)
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
        from sim.reports.terminal import kpi_table
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
        from sim.reports.terminal import national_table
        click.echo(national_table(res["regions"], "region"))
        click.echo(national_table(res["remoteness"], "remoteness_class"))
    if not quiet:
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
        from sim.reports.terminal import comparison_table
        click.echo(comparison_table(res.tables["comparisons"]))
        click.echo(f"results written to {out}/")
    if res.failed:
        click.echo(f"{res.failed} run(s) failed: see {out / 'failures.csv'}; run the same command again to retry them",
                   err=True)
        sys.exit(1)


@main.command()
@click.argument("results_dir", type=str)
def plot(results_dir: str) -> None:
    """Redraw the figures of RESULTS_DIR (a scenario's, an experiment's or a national year's results folder)
    from its files."""
    from sim.figures.redraw import redraw
    try:
        paths = redraw(Path(results_dir))
    except InputError as exc:
        _fail_input(exc)
    click.echo(f"{len(paths)} figure files written to {Path(results_dir) / 'figures'}/")




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
