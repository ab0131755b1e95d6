"""Commands that produce the evidence: the findings document and the validation report."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from sim.cli.base import _fail_input, _fail_write, main, writable_file, writable_folder
from sim.errors import InputError


@main.command()
@click.option("--replications", type=click.IntRange(min=2, max=1000), default=5, show_default=True,
              help="Replications of every scenario of every experiment the findings read.")
@click.option("--out", "out_dir", default="results/findings", show_default=True,
              help="Where the experiments' results go (one folder each; resumable).")
@click.option("--doc", default="docs/findings.md", show_default=True, help="The findings document to write.")
@click.option("--readme", default=None,
              help="Also rewrite the findings' digest (every finding's statement) in this file, between its "
                   "lines <!-- findings:start --> and <!-- findings:end --> (make findings: README.md).")
@click.option("--experiments", "experiments_dir", default="experiments", show_default=True,
              help="The folder of shipped experiment configs (with sensitivity/).")
@click.option("--workers", type=click.IntRange(min=1, max=1024), default=None,
              help="Local worker processes (default: all cores).")
@click.option("--fresh", is_flag=True, help="Discard runs already in the results folders.")
@click.option("--quiet", is_flag=True, help="Print nothing but errors and the summary.")
def findings(replications: int, out_dir: str, doc: str, readme: str | None, experiments_dir: str,
             workers: int | None, fresh: bool, quiet: bool) -> None:
    """Re-run the shipped experiments and their sensitivities, and write the findings
    (numbers with 95% intervals, what drives each, when it flips) to DOC."""
    from sim.experiments.findings import digest_block, run_findings, write_digest, write_findings
    writable_file(doc, "--doc")   # before any run, as the readme's place and the results folder
    writable_folder(out_dir, make=False)
    try:
        if readme is not None:   # before any run: a file without its digest's place is refused at once
            digest_block(readme)
        found, meta = run_findings(experiments_dir, out_dir, replications, workers=workers, fresh=fresh,
                                   quiet=quiet)
    except InputError as exc:
        _fail_input(exc)
    except OSError as exc:
        _fail_write(Path(out_dir), exc)
    path = write_findings(found, meta, doc)
    if readme is not None:
        try:
            write_digest(found, meta, readme)
        except InputError as exc:   # checked before the runs; only a file changed since gets here
            _fail_input(exc)
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

    writable_folder(out_dir)

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
