"""Golden back-tests: four small configs (a one-tier scenario, a two-tier scenario with every
township path in use, an experiment sweep, a rollout)
run through the command line, and the tables they write compared byte for byte with
the copies committed under ``golden/``.

Regenerate (only with a stated reason in the commit message) with::

    .venv/bin/python tests/back/golden.py
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
CONFIGS = HERE / "configs"
GOLDEN = HERE / "golden"

# config name -> the tables compared
TABLES = {
    "scenario": ("runs.csv", "summary.csv", "daily.csv", "villages.csv", "trips.csv", "lead_time_hist.csv"),
    "township": ("runs.csv", "summary.csv", "daily.csv", "villages.csv", "trips.csv", "lead_time_hist.csv"),
    "sweep": ("runs.csv", "summary.csv", "comparisons.csv"),
    "rollout": ("monthly.csv", "runs.csv", "outcomes.csv", "counties.csv", "equity.csv"),
}


def produce(name: str, out: Path) -> Path:
    """Run the golden config ``name`` into ``out`` through the command line."""
    from click.testing import CliRunner

    from sim.cli import main

    args = ["run", str(CONFIGS / f"{name}.yaml"), "--out", str(out), "--no-figures", "--quiet"]
    if name not in ("scenario", "township"):
        args += ["--workers", "1"]
    result = CliRunner().invoke(main, args, catch_exceptions=False)
    if result.exit_code != 0:
        raise RuntimeError(f"golden config {name} failed (exit {result.exit_code}): {result.output}")
    return out


def regenerate() -> None:
    for name, tables in TABLES.items():
        tmp = GOLDEN / f".{name}.tmp"
        if tmp.exists():
            shutil.rmtree(tmp)
        produce(name, tmp)
        dest = GOLDEN / name
        if dest.exists():
            shutil.rmtree(dest)
        dest.mkdir(parents=True)
        for t in tables:
            shutil.copyfile(tmp / t, dest / t)
        shutil.rmtree(tmp)
        print(f"{dest}: {', '.join(tables)}")


if __name__ == "__main__":
    sys.path.insert(0, str(HERE.parents[1]))
    regenerate()
