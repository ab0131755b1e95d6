"""The ``ruralsim`` command: a thin layer over :mod:`sim.experiments.scenario`.

Exit codes: 0 success, 1 a run failed, 2 bad input (one message, no traceback,
nothing written)."""
from __future__ import annotations

import datetime as _dt
import math
import sys
import traceback
from pathlib import Path

import click

from sim.config.scenario import load_scenario, read_yaml
from sim.experiments.spec import is_experiment, load_experiment
from sim.errors import InputError
from sim.analysis.registry import kpi
from sim.files import short_number
from sim.county.network import load_villages
from sim.experiments.scenario import run_scenario, with_overrides, write_results

TABLE_KPIS = ("villages_served", "residents_served_share", "inbound_parcels_delivered", "inbound_lead_time_mean_h",
              "inbound_lead_time_p95_h", "outbound_produce_sold_kg", "spoilage_rate", "farmer_revenue_cny",
              "vehicle_km", "lastmile_load_factor_in", "lastmile_load_factor_out", "cost_per_parcel_cny",
              "cost_per_kg_out_cny", "cost_total_cny")
"""The headline KPIs of ``ruralsim run``'s table; labels and units come from :mod:`sim.analysis.registry`."""



def kpi_table(summary: list[dict]) -> str:
    """A short plain-text table: mean and 95% half-width of the headline KPIs."""
    by = {row["kpi"]: row for row in summary}
    lines = [f"{'KPI':<30}{'mean':>16}{'± 95% CI':>14}  unit"]
    for key in TABLE_KPIS:
        row, k = by[key], kpi(key)
        hw = row["ci95_half_width"]
        hw_text = short_number(hw) if math.isfinite(hw) else ""
        lines.append(f"{k.label:<30}{short_number(row['mean']):>16}{hw_text:>14}  {k.unit}")
    return "\n".join(lines)


def load_checked(config: str, seed: int | None = None, replications: int | None = None):
    """The scenario of CONFIG with overrides, and its village file if it names one:
    everything that can be wrong with the input fails here, before anything runs."""
    sc = with_overrides(load_scenario(config), seed, replications)
    if sc.county.villages_csv:
        load_villages(sc.county.villages_csv)
    return sc


def _fail_input(exc: InputError) -> None:
    click.echo(f"error: {exc}", err=True)
    sys.exit(2)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="ruralsim")
def main() -> None:
    """Simulate two-way rural commerce: parcels into villages, produce out to cities."""


@main.command()
@click.option("--update", "readme", type=str, default=None, metavar="README",
              help="Rewrite the generated block of this README instead of printing.")
def reference(readme: str | None) -> None:
    """Print the config reference (every field, default, unit, source) as Markdown."""
    from sim.config.reference import config_reference_markdown, update_readme
    if readme:
        changed = update_readme(readme)
        click.echo(f"{readme}: {'updated' if changed else 'already up to date'}")
    else:
        click.echo(config_reference_markdown())


@main.command()
@click.argument("config", type=str)
def check(config: str) -> None:
    """Validate CONFIG (a scenario or an experiment) without running it."""
    try:
        data = read_yaml(config)
        from sim.rollout.spec import is_rollout, load_rollout
        if is_rollout(data):
            ro = load_rollout(config)
            click.echo(f"{config}: ok (rollout '{ro.name}', {len(ro.strategies)} strategies, {ro.horizon_m} months, "
                       f"{ro.replications} replications)")
            return
        if is_experiment(data):
            exp = load_experiment(config)
            click.echo(f"{config}: ok (experiment '{exp.name}', {len(exp.scenarios)} scenarios, "
                       f"{_reps_text(exp)} replications each)")
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
@click.option("--seed", type=click.IntRange(min=0), default=None, help="Root seed (overrides a scenario config).")
@click.option("--replications", type=click.IntRange(min=1, max=100000), default=None,
              help="Replications (overrides a scenario config).")
@click.option("--workers", type=click.IntRange(min=1, max=1024), default=None,
              help="Experiments: local worker processes (default: all cores).")
@click.option("--scheduler", type=str, default=None, metavar="ADDRESS",
              help="Experiments: run on this Dask distributed scheduler instead (pip install 'ruralsim[dask]').")
@click.option("--fresh", is_flag=True, help="Experiments: discard runs already in the results folder "
              "(a scenario's results are always written anew).")
@click.option("--no-figures", is_flag=True, help="Write tables only.")
@click.option("--quiet", is_flag=True, help="Print nothing but errors.")
def run(config: str, out_dir: str | None, seed: int | None, replications: int | None, workers: int | None,
        scheduler: str | None, fresh: bool, no_figures: bool, quiet: bool) -> None:
    """Run CONFIG: a scenario (its replications: runs.csv, summary.csv, daily.csv,
    manifest.json, figures/) or an experiment (every scenario and replication, resumable:
    runs/, runs.csv, summary.csv, comparisons.csv, failures.csv, manifest.json, figures/)."""
    try:
        data = read_yaml(config)
        from sim.rollout.spec import is_rollout
        if is_rollout(data):
            if seed is not None or replications is not None:
                raise InputError(f"{config}: --seed and --replications apply to scenario configs")
            ctx = click.get_current_context()
            ctx.invoke(compare, experiment=config, out_dir=out_dir, workers=workers, scheduler=scheduler,
                       fresh=fresh, quiet=quiet)
            return
        if is_experiment(data):
            if seed is not None or replications is not None:
                raise InputError(f"{config}: --seed and --replications apply to scenario configs; "
                                 "set seed and replications in the experiment")
            exp = load_experiment(config)
        else:
            if scheduler or workers:
                raise InputError(f"{config}: --workers and --scheduler apply to experiment configs "
                                 "(a scenario's replications run in this process)")
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
    started = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")

    def progress(done: int, total: int) -> None:
        if not quiet:
            click.echo(f"replication {done}/{total} done", err=True)

    try:
        result = run_scenario(sc, progress)
        write_results(result, out, figures=not no_figures, started=started)
    except InputError as exc:
        _fail_input(exc)
    except Exception as exc:  # a failed run: the model's fault, so show where
        click.echo(f"run failed: {type(exc).__name__}: {exc}", err=True)
        click.echo(traceback.format_exc(), err=True)
        sys.exit(1)
    if not quiet:
        click.echo(f"scenario '{sc.name}': {sc.replications} replications of {sc.horizon_d} days "
                   f"in {result.wall_s:.1f} s")
        click.echo(kpi_table(result.summary))
        click.echo(f"results written to {out}/")


def _run_experiment(exp, out: Path, workers, scheduler, fresh, no_figures, quiet) -> None:
    from sim.experiments.sweep import run_experiment
    try:
        res = run_experiment(exp, out, workers=workers, scheduler=scheduler, fresh=fresh, quiet=quiet,
                             figures=not no_figures)
    except InputError as exc:
        _fail_input(exc)
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


def comparison_table(rows: list[dict], limit: int = 30) -> str:
    """Paired differences against the baseline, marking those significant after Holm."""
    if not rows:
        return "(no comparisons: one scenario, or no baseline)"
    lines = [f"{'scenario':<34}{'KPI':<28}{'diff vs baseline':>18}{'95% CI':>24}  Holm"]
    for r in rows[:limit]:
        ci = f"[{short_number(r['ci95_low'])}, {short_number(r['ci95_high'])}]"
        lines.append(f"{r['scenario'][:33]:<34}{r['kpi'][:27]:<28}{short_number(r['mean_diff']):>18}{ci:>24}  "
                     f"{'*' if r['significant_holm'] else ''}")
    if len(rows) > limit:
        lines.append(f"... {len(rows) - limit} more in comparisons.csv")
    return "\n".join(lines)


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
@click.option("--quiet", is_flag=True, help="Print nothing but errors and the summary.")
def compare(experiment: str, out_dir: str | None, workers: int | None, scheduler: str | None, fresh: bool,
            quiet: bool) -> None:
    """Compare rollout strategies over a region: every (strategy, replication, county)
    runs month by month; writes monthly.csv, outcomes.csv, counties.csv, equity.csv,
    runs.csv, report.md and a self-contained report.html. Exit 1 if a county run fails."""
    import os
    from sim.rollout.compare import run_compare
    from sim.rollout.spec import load_rollout
    from sim.reports.rollout import write_rollout_report
    try:
        ro = load_rollout(experiment)
        out = Path(out_dir) if out_dir else Path("results") / Path(experiment).stem
        tables = run_compare(ro, out, workers=workers or os.cpu_count() or 1, scheduler=scheduler, fresh=fresh,
                             quiet=quiet)
    except InputError as exc:
        _fail_input(exc)
    counties = [r for r in tables["counties"] if r["strategy"] == ro.baseline]
    notes = [f"Each month is a {ro.sample_days}-day sample (after {ro.warmup_days} warm-up days) scaled to the month; "
             "routes are planned for mature demand when stations open.",
             "Capital is spent by the schedule (strict priority order within the yearly budget); operating costs, "
             "revenue, subsidies and cross-subsidies come from the monthly simulations.",
             "Gini of access: across all villages, weighted by residents, of the share of a village's residents "
             "who shop online through a station (0 without one).",
             f"Spoilage is understated: a {ro.sample_days}-day monthly sample is shorter than produce's shelf life, "
             "so produce that would wait longer does not spoil within it."]
    paths = write_rollout_report(out, {"name": ro.name, "baseline": ro.baseline, "horizon_m": ro.horizon_m,
                                       "map_months": list(ro.map_months), "notes": notes},
                                 tables["monthly"], tables["outcomes"], tables["equity"], counties,
                                 tables["coverage_map"], reported=[list(r) for r in ro.reported] or None)
    click.echo(f"rollout '{ro.name}': {len(ro.strategies)} strategies x {ro.replications} replications x "
               f"{len(counties)} counties, {tables['tasks_run']} county runs in {tables['wall_s']:.1f} s; "
               f"report: {paths['markdown']} and {paths['html']}")
    if tables["failures"]:
        click.echo(f"{len(tables['failures'])} county run(s) failed: see {out / 'failures.csv'}", err=True)
        sys.exit(1)


@main.command()
@click.option("--out", "out_dir", default="results/validation", show_default=True, help="Report folder.")
@click.option("--fast", is_flag=True, help="Only the fast cases (those that also run in the tests).")
@click.option("--quiet", is_flag=True, help="Print nothing but the summary line.")
def validate(out_dir: str, fast: bool, quiet: bool) -> None:
    """Run the validation suite and write OUT/report.md with its figures. Exit 1 if a case fails."""
    from sim.validation import cases
    from sim.validation.report import write_validation_report

    def progress(case, seconds):
        if not quiet:
            click.echo(f"{case.name}: {seconds:.1f} s", err=True)

    results = write_validation_report(cases(fast), Path(out_dir), fast_only=fast, progress=progress)
    failed = [r for r in results if not r.passed]
    click.echo(f"{len(results) - len(failed)} of {len(results)} checks pass; report: {Path(out_dir) / 'report.md'}")
    for r in failed:
        click.echo(f"FAIL {r.case}: {r.note.splitlines()[0] if r.note else ''}"[:200])
    if failed:
        sys.exit(1)


@main.command()
@click.argument("results_dir", type=str)
@click.option("--column", default="hub_backlog_parcels", show_default=True,
              help="The daily.csv column to analyse.")
def warmup(results_dir: str, column: str) -> None:
    """Suggest a warm-up (warmup_d) by MSER-5 on a daily series of a scenario's results."""
    from sim.files import read_csv_columns
    from sim.analysis.statistics import mser5
    path = Path(results_dir) / "daily.csv"
    try:
        table = read_csv_columns(path)
    except InputError as exc:
        _fail_input(exc)
    if column not in table:
        _fail_input(InputError(f"{path}: no column {column!r}; columns: {', '.join(table)}"))
    d = mser5(table[column])
    click.echo(f"MSER-5 on {column}: truncate the first {d} days (set warmup_d: {d})")


if __name__ == "__main__":  # pragma: no cover
    main()
