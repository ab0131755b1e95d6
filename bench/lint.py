"""`make lint`: ruff on sim/, tests/ and bench/, mypy on sim/, held to a ratchet.

The findings that sim/ and tests/ had when the lint configuration was introduced are
counted per rule in bench/lint_baseline.json. A run fails if any rule has more findings
than its baseline count, or if a file that is already clean (CLEAN below) has any
finding. Counts only go down: after fixing findings, record the new counts with
`make lint-baseline` (or `python bench/lint.py --update`) and commit the file.

Usage: python bench/lint.py [--update]   (run from the repository root)."""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "bench" / "lint_baseline.json"
RUFF_PATHS = ("sim", "tests", "bench")
# files (or folders, ending in /) that must stay free of findings
CLEAN = ("bench/", "sim/__init__.py", "sim/errors.py", "sim/files.py")


def _tool(name: str) -> str:
    """The tool beside this Python (the project's venv), else the one on PATH."""
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else name


def ruff_findings() -> list[tuple[str, str, int]]:
    """(file relative to the root, rule, line) of every ruff finding."""
    proc = subprocess.run([_tool("ruff"), "check", "--output-format", "json", *RUFF_PATHS],
                          cwd=ROOT, capture_output=True, text=True)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"ruff failed (exit {proc.returncode}):\n{proc.stderr}")
    out = []
    for item in json.loads(proc.stdout or "[]"):
        path = Path(item["filename"])
        rel = path.relative_to(ROOT).as_posix() if path.is_absolute() else path.as_posix()
        out.append((rel, item["code"] or "syntax-error", item["location"]["row"]))
    return out


def mypy_findings() -> list[tuple[str, str, int]]:
    """(file, error code, line) of every mypy error; mypy reads its files and options from pyproject.toml."""
    proc = subprocess.run([_tool("mypy"), "--output", "json"], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode not in (0, 1):
        raise SystemExit(f"mypy failed (exit {proc.returncode}):\n{proc.stdout}{proc.stderr}")
    out = []
    for line in proc.stdout.splitlines():
        if not line.startswith("{"):
            continue
        item = json.loads(line)
        if item["severity"] == "error":
            out.append((item["file"], item["code"] or "error", item["line"]))
    return out


def is_clean_file(path: str) -> bool:
    return any(path.startswith(c) if c.endswith("/") else path == c for c in CLEAN)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="record today's counts as the new baseline")
    args = parser.parse_args(argv)

    found = {"ruff": ruff_findings(), "mypy": mypy_findings()}
    counts = {tool: dict(sorted(Counter(rule for _, rule, _ in items).items())) for tool, items in found.items()}
    if args.update:
        BASELINE.write_text(json.dumps(counts, indent=2) + "\n", encoding="utf-8")
        print(f"wrote {BASELINE.relative_to(ROOT)}: " + ", ".join(f"{t} {sum(c.values())}" for t, c in counts.items()))
        return 0

    baseline = json.loads(BASELINE.read_text(encoding="utf-8")) if BASELINE.exists() else {}
    failed = False
    for tool, items in found.items():
        dirty = [f"{path}:{line}: {rule}" for path, rule, line in items if is_clean_file(path)]
        if dirty:
            failed = True
            print(f"{tool}: findings in files that must stay clean ({len(dirty)}):")
            print("\n".join(f"  {d}" for d in dirty))
        allowed = baseline.get(tool, {})
        print(f"{tool}: {sum(counts[tool].values())} findings (baseline {sum(allowed.values())})")
        for rule in sorted(set(counts[tool]) | set(allowed), key=lambda r: (-counts[tool].get(r, 0), r)):
            now, was = counts[tool].get(rule, 0), allowed.get(rule, 0)
            mark = "  MORE THAN BASELINE" if now > was else ("  (fewer: make lint-baseline)" if now < was else "")
            failed |= now > was
            print(f"  {rule:<16}{now:>5}{mark}")
            if now > was:
                for path, r, line in items:
                    if r == rule:
                        print(f"      {path}:{line}")
    print("lint: FAIL" if failed else "lint: ok")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
