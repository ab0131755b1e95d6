"""Start-up time of the command line: wall time of `ruralsim --help` as a ratio to
`python -c "import numpy"` (the floor of any command that touches an array).

The two commands run as interleaved pairs after one warm-up each, so a busy machine
slows both alike; the ratio is the median over the pairs. Goal: ratio <= 2.
Prints the ratio and exits 1 if the goal is missed.

Usage: python bench/bench_cli.py [--pairs N]"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

GOAL_RATIO = 2.0


def wall_s(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="ruralsim --help start-up time, relative to importing numpy")
    parser.add_argument("--pairs", type=int, default=7, help="interleaved pairs (at least 5)")
    args = parser.parse_args(argv)
    if args.pairs < 5:
        parser.error(f"--pairs {args.pairs}: at least 5 pairs are needed for a stable median")
    local = Path(sys.executable).parent / "ruralsim"
    cli = [str(local) if local.exists() else "ruralsim", "--help"]
    floor = [sys.executable, "-c", "import numpy"]
    wall_s(cli), wall_s(floor)  # warm the file cache
    cli_s, floor_s, ratios = [], [], []
    for _ in range(args.pairs):
        a, b = wall_s(cli), wall_s(floor)
        cli_s.append(a)
        floor_s.append(b)
        ratios.append(a / b)
    ratio = statistics.median(ratios)
    ok = ratio <= GOAL_RATIO
    print(f"ruralsim --help          {statistics.median(cli_s) * 1000:7.0f} ms (median of {args.pairs})")
    print(f"python -c 'import numpy' {statistics.median(floor_s) * 1000:7.0f} ms")
    print(f"ratio {ratio:.2f} (goal <= {GOAL_RATIO:g})   {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
