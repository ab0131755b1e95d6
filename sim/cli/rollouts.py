"""Commands for rollouts: comparing strategies and calibrating to reported points."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from sim.cli.base import _writing_results, main, writable_folder


@main.command()
@click.argument("experiment", type=str)
@click.option("--out", "out_dir", type=str, default=None, help="Results folder (default: results/<config name>).")
@click.option("--workers", type=click.IntRange(min=1, max=1024), default=None,
              help="Local worker processes (default: all cores).")
@click.option("--scheduler", type=str, default=None, metavar="ADDRESS", help="Run on this Dask scheduler instead.")
@click.option("--fresh", is_flag=True, help="Discard county runs already in the results folder.")
@click.option("--no-figures", is_flag=True, help="Write tables only (no report).")
@click.option("--counties", type=click.IntRange(min=1, max=5000), default=None,
              help="A quick preview: only the region's first N counties, the budget scaled to them.")
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
@click.option("--method", type=click.Choice(["least_squares", "history_matching"]), default=None,
              help="Override the config's calibration.method.")
@click.option("--doc", type=str, default=None, metavar="FILE.md",
              help="Also write the summary into FILE between its lines <!-- calibration:METHOD:start --> and "
                   "<!-- calibration:METHOD:end --> (make calibrate: docs/rollout.md).")
@click.option("--workers", type=click.IntRange(min=1, max=1024), default=None,
              help="Processes for the independent evaluations: the history match's samples, the fit's starts, the "
                   "leave-one-out refits (default: every core; the results are the same).")
@click.option("--apply", "apply_values", is_flag=True,
              help="Also write the fitted values into CONFIG: the numbers only, its comments and layout kept. Each "
                   "fitted key must be a plain number written in CONFIG itself (checked before the fit).")
def calibrate(config: str, targets: str, out_dir: str | None, hold_out: tuple[str, ...], leave_one_out: bool,
              method: str | None = None, doc: str | None = None, workers: int | None = None,
              apply_values: bool = False) -> None:
    """Fit the parameters of CONFIG's calibration section to reported points; writes
    fit.csv, residuals.csv, series.csv, fitted.yaml, the calibration figures, summary.md
    (what the fit found) and, with --leave-one-out, holdout.csv; with --apply, the fitted
    values into CONFIG."""
    from sim.rollout.calibrate import run_calibration
    out = writable_folder(out_dir or Path("results") / f"{Path(config).stem}_calibration", make=False)
    with _writing_results(out):
        res = run_calibration(config, targets, out, hold_out, leave_one_out, method, doc, workers, apply_values)
    from sim.reports.terminal import calibration_text
    click.echo(calibration_text(res))
    click.echo(f"{res['evaluations']} evaluations; results in {out}/")
