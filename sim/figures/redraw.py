"""Redrawing a results folder's figures from its written files alone (a scenario's,
an experiment's or a national year's tables and manifest.json)."""
from __future__ import annotations

import json
from pathlib import Path

from sim.errors import InputError
from sim.figures.base import read_table

__all__ = ["read_table", "redraw"]


def redraw(folder: Path) -> list[Path]:
    """Redraw the figures of a scenario's, an experiment's or a national year's results folder
    (a rollout's are drawn again by ``ruralsim compare``, which says so)."""
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise InputError(f"{manifest_path}: file not found (is this a results folder?)")
    try:
        manifest = json.loads(manifest_path.read_text())
    except ValueError as exc:
        raise InputError(f"{manifest_path}: not valid JSON ({exc})") from None
    if manifest.get("kind") == "rollout":
        source = manifest.get("source") or "CONFIG"
        raise InputError(f"{folder}: a rollout's results folder: its figures and report are drawn again by "
                         f"`ruralsim compare {source} --out {folder}` (it keeps every county run the folder holds "
                         "and rebuilds the tables, figures and report)")
    if manifest.get("kind") == "national":
        from sim.figures.national import draw_national_figures
        for name in ("regions.csv", "remoteness.csv"):
            if not (folder / name).is_file():
                raise InputError(f"{folder / name}: file not found (needed to redraw a national year's figures)")
        return draw_national_figures(folder, manifest.get("preview_counties"))
    if "experiment" not in manifest:
        from sim.figures.county import draw_scenario_figures
        for name in ("daily.csv", "lead_time_hist.csv", "trips.csv", "villages.csv"):
            if not (folder / name).is_file():
                raise InputError(f"{folder / name}: file not found (needed to redraw a scenario's figures)")
        return draw_scenario_figures(folder)
    try:
        levers, uncertainties = manifest["levers"], manifest["uncertainties"]
        kpis, baseline = manifest["kpis"], manifest["baseline_id"]
    except (ValueError, KeyError) as exc:
        raise InputError(f"{manifest_path}: not an experiment manifest ({exc})") from None
    from sim.figures.experiment import write_experiment_figures
    return write_experiment_figures(folder / "figures", read_table(folder / "summary.csv"),
                                    read_table(folder / "comparisons.csv"), read_table(folder / "runs.csv"),
                                    levers, uncertainties, kpis, baseline)
