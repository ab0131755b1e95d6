"""The command group and what every command shares: checked loading of a config and
one message (exit 2 for bad input, 1 for a folder that cannot be written)."""
from __future__ import annotations

import contextlib
import dataclasses
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import NoReturn

import click

from sim.errors import InputError


def load_checked(config: str, seed: int | None = None, replications: int | None = None):
    """The scenario of CONFIG with overrides, and its village file if it names one:
    everything that can be wrong with the input fails here, before anything runs."""
    from sim.config.scenario import load_scenario
    from sim.county.network import check_township_keys, load_villages
    sc = load_scenario(config)
    if seed is not None:
        sc = dataclasses.replace(sc, seed=seed)
    if replications is not None:
        sc = dataclasses.replace(sc, replications=replications)
    if sc.county.villages_csv:
        load_villages(sc.county.villages_csv)
        check_township_keys(sc, config)
    return sc


def writable_folder(path: str | Path, option: str = "--out", make: bool = True) -> Path:
    """``path`` as a folder a command can write into (made now if missing, with ``make``),
    or one message and exit 2 before anything runs: a file in its place or in its way, or
    (with ``make``) a place no folder can be made."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        _fail_input(InputError(f"{option} {str(path)!r}: exists and is not a folder"))
    ancestor = p
    while not ancestor.exists() and ancestor != ancestor.parent:
        ancestor = ancestor.parent
    if not ancestor.is_dir():
        _fail_input(InputError(f"{option} {str(path)!r}: {ancestor} is not a folder"))
    if not make:
        return p
    try:
        p.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        _fail_input(InputError(f"{option} {str(path)!r}: cannot be made ({exc.strerror or exc}: "
                               f"{exc.filename or path})"))
    return p


def writable_file(path: str | Path, option: str) -> Path:
    """``path`` as a file a command can write, in a folder that exists, or one message and
    exit 2 before anything runs."""
    p = Path(path)
    if p.is_dir():
        _fail_input(InputError(f"{option} {str(path)!r}: is a folder; expected a file"))
    if not p.parent.is_dir():
        _fail_input(InputError(f"{option} {str(path)!r}: its folder {p.parent} does not exist"))
    return p


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


def _reps_text(exp) -> str:
    r = exp.replications
    return str(r.min) if not r.sequential else f"{r.min}-{r.max} (sequential, to ±{r.relative_half_width:.0%})"
