"""What a rollout report rests on, as tables for people: the assumptions (input, value with unit,
source), the levers of each strategy, and the provenance of the run (date, code version, config
hash, input file hashes, seeds, replications) from the results folder's manifest."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from sim.files import short_number

__all__ = ["assumption_rows", "lever_table", "provenance_rows", "value_text"]


def value_text(value, unit: str = "") -> str:
    """A config value for a table: numbers by :func:`sim.files.short_number` (integers as they
    are), lists joined by commas, text as it is; the unit after it."""
    if isinstance(value, bool):
        text = "yes" if value else "no"
    elif isinstance(value, int):
        text = f"{value:,}"
    elif isinstance(value, float):
        text = f"{int(value):,}" if value.is_integer() and (abs(value) >= 1 or value == 0) else short_number(value)
    elif isinstance(value, list | tuple):
        text = ", ".join(value_text(v) for v in value) or "none"
    elif value is None:
        text = "n/a"
    else:
        text = str(value)
    return f"{text} {unit}".strip() if unit and unit != "-" else text


def assumption_rows(assumptions: Sequence[Mapping] | None) -> list[list[str]]:
    """Rows [input, value with unit, source] of the assumptions table; ``[G]`` where a source is
    missing."""
    return [[str(a.get("input", "")), value_text(a.get("value"), str(a.get("unit") or "")),
             str(a.get("source") or "").strip() or "[G]"] for a in assumptions or ()]


def lever_table(levers: Mapping[str, Mapping] | None, order: Sequence[str], baseline: str | None) -> dict:
    """Header and rows of the strategies' levers (one row per strategy, in report order)."""
    levers = dict(levers or {})
    keys = list(dict.fromkeys(k for s in order for k in levers.get(s, {})))
    body = [[s + (" (baseline)" if s == baseline else "")] + [value_text(levers[s].get(k)) for k in keys]
            for s in order if s in levers]
    return {"header": ["Strategy"] + [k[:1].upper() + k[1:] for k in keys], "body": body}


def _short_paths(paths: Sequence[str]) -> dict[str, str]:
    """Each path relative to the folder all of them share (the base name for one file)."""
    paths = list(paths)
    if not paths:
        return {}
    try:
        root = os.path.commonpath([os.path.dirname(p) for p in paths])
    except ValueError:
        return {p: os.path.basename(p) for p in paths}
    return {p: os.path.relpath(p, root) if root else p for p in paths}


def provenance_rows(manifest: Mapping | None) -> list[list[str]]:
    """Rows [item, value] of the provenance table from a rollout's ``manifest.json``; an empty
    list without one."""
    if not manifest:
        return []
    m = dict(manifest)
    rows = [["Date (UTC)", str(m.get("finished_utc") or m.get("started_utc") or "n/a")],
            ["Code version", str(m.get("code_version") or "n/a")],
            ["Config hash (SHA-256 of the resolved settings)", str(m.get("config_sha256") or "n/a")]]
    inputs = dict(m.get("inputs_sha256") or {})
    for path, short in _short_paths(sorted(inputs)).items():
        rows.append([f"Input file {short} (SHA-256)", str(inputs[path])])
    rows.append(["Root seed", str(m.get("seed", "n/a"))])
    if m.get("seeds"):
        rows.append(["Random streams", str(m["seeds"])])
    rows.append(["Replications per strategy", str(m.get("replications", "n/a"))])
    packages = m.get("packages") or {}
    if packages:
        rows.append(["Packages", ", ".join(f"{k} {v}" for k, v in sorted(dict(packages).items()))])
    return rows
