"""Benchmark of the figures against the runs, as the command line does them, for a
scenario (experiments/baseline.yaml: 5 replications, 5 figures) and an experiment
(experiments/service_frequency.yaml: 30 runs, 34 figures): `ruralsim run CONFIG
--no-figures` and `ruralsim run CONFIG` (every run into a new folder, on 2 workers)
as interleaved pairs (median and range over at least 5 pairs; every pair in
results/bench/figures.csv).

The figures' cost is the second command's wall time less the first's (drawing them,
and importing matplotlib, which only figures need); the runs' is the first
command's runs (their wall time in its manifest, route planning included). Goal: the
figures cost less than the runs (ratio below 1), for each config.

Exit code 1 if a goal is missed.
"""
from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pairs import interleaved, spread, verdict, write_table

ROOT = Path(__file__).resolve().parents[1]
GOAL_RATIO = 1.0
WORKERS = 2


def _cli() -> list[str]:
    local = Path(sys.executable).parent / "ruralsim"
    return [str(local)] if local.exists() else [sys.executable, "-m", "sim.cli"]


def runs_wall_s(manifest: dict) -> float:
    """The runs' wall time a results folder's manifest records (a scenario's or an experiment's)."""
    return float(manifest["wall_time_s"] if "wall_time_s" in manifest else manifest["timings"]["wall_s"])


def timed_run(config: str, figures: bool, runs_s: list[float]) -> float:
    """Wall time of one `ruralsim run` into a new folder; the runs' own time (from its
    manifest) is appended to ``runs_s``."""
    out = Path(tempfile.mkdtemp(prefix="bench-figures-")) / "run"
    cmd = [*_cli(), "run", config, "--out", str(out), "--workers", str(WORKERS), "--quiet"]
    if not figures:
        cmd.append("--no-figures")
    try:
        t0 = time.perf_counter()
        subprocess.run(cmd, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
        runs_s.append(runs_wall_s(json.loads((out / "manifest.json").read_text())))
        if figures and not any((out / "figures").glob("*.png")):
            raise SystemExit(f"bench_figures: {' '.join(cmd)} wrote no figures")
    finally:
        shutil.rmtree(out.parent, ignore_errors=True)
    return wall


def measure(config: str, pairs: int) -> tuple[list[tuple[float, float]], list[float]]:
    """Interleaved pairs of wall times (without figures, with them) and the runs' time of each pair."""
    plain_runs: list[float] = []
    timed_run(config, True, [])   # warm the file cache once
    walls = interleaved(lambda: timed_run(config, False, plain_runs), lambda: timed_run(config, True, []), pairs)
    return walls, plain_runs


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--configs", nargs="+", default=[str(ROOT / "experiments" / "baseline.yaml"),
                                                     str(ROOT / "experiments" / "service_frequency.yaml")])
    ap.add_argument("--pairs", type=int, default=5)
    args = ap.parse_args(argv)
    pairs = max(5, args.pairs)
    rows, ok_all = [], True
    print(f"figures against runs ({WORKERS} workers), {pairs} interleaved pairs each:")
    for config in (str(Path(c).resolve()) for c in args.configs):   # the runs start in the project folder
        walls, runs = measure(config, pairs)
        ratios = [(b - a) / r for (a, b), r in zip(walls, runs, strict=True)]
        med, lo, hi = spread(ratios)
        ok = med < GOAL_RATIO
        ok_all &= ok
        rows += [(Path(config).name, i, round(a, 3), round(b, 3), round(b - a, 3), r, round((b - a) / r, 3))
                 for i, ((a, b), r) in enumerate(zip(walls, runs, strict=True))]
        print(f"  {Path(config).name}: `ruralsim run` without figures {spread([a for a, _ in walls])[0]:.2f} s, "
              f"with {spread([b for _, b in walls])[0]:.2f} s (medians); the runs {spread(runs)[0]:.2f} s")
        print(f"    figures : runs  median {med:.2f} (range {lo:.2f}-{hi:.2f})   goal < {GOAL_RATIO:g}   {verdict(ok)}")
    write_table("figures", ("config", "pair", "no_figures_wall_s", "with_figures_wall_s", "figures_s", "runs_s",
                            "figures_over_runs"), rows)
    print("  every pair: results/bench/figures.csv")
    return 0 if ok_all else 1


if __name__ == "__main__":
    sys.exit(main())
