"""The rollout comparison report: one context (what was compared, the outcome table, the figures
with their captions, the notes) rendered to Markdown and to one self-contained HTML file from the
templates ``rollout.md.j2`` and ``rollout.html.j2``; the figures come from :mod:`sim.figures.rollout`
and :mod:`sim.figures.equity`. Identical inputs give byte-identical files."""

from __future__ import annotations

import base64
import math
import os
import pathlib
from collections.abc import Mapping, Sequence

from sim.figures.base import as_bool, as_float, kpi_label, save_figures
from sim.figures.equity import plot_coverage_maps, plot_equity
from sim.figures.ranking import plot_ranking_breakeven
from sim.figures.rollout import (
    join_key,
    month_of,
    plot_cash_flow,
    plot_cost_per_parcel,
    plot_cost_vs_volume,
    plot_coverage,
    plot_gini,
    reported_points,
    strategy_order,
)
from sim.figures.stations import plot_report_calibration, plot_stations, stations_panels
from sim.files import atomic_write_text, in_interval, plus_minus, short_number
from sim.reports.headline import findings
from sim.reports.inputs import assumption_rows, lever_table, provenance_rows
from sim.reports.render import render
from sim.reports.stations import stations_section
from sim.reports.summary import summary

__all__ = ["FIGURE_STEMS", "MAPS_STEM", "OUTCOMES_PER_TABLE", "outcome_table_markdown", "outcome_tables",
           "write_rollout_report"]

#: Fewer replications than this get a warning in the report.
FEW_REPLICATIONS = 5

#: Figures of :func:`write_rollout_report` besides the coverage maps, in report order.
FIGURE_STEMS = ("coverage_residents", "coverage_villages", "cost_per_parcel", "cost_vs_volume",
                "cash_flow", "equity", "gini")

#: The coverage maps: small multiples, strategies (rows) x map months (columns); with more than
#: ``MAPS_PER_FIGURE`` strategies the rows are split over figures ``coverage_maps``,
#: ``coverage_maps_2``, ... so that each prints legibly on one A4 page.
MAPS_STEM = "coverage_maps"

#: At most this many strategies (rows of maps) per coverage-map figure.
MAPS_PER_FIGURE = 4

#: What the time-series figures' captions say about telling the strategies apart.
STYLE_NOTE = ("“≈ name” in the legend: the line lies on that strategy's line (at every month within 1% of the "
              "range most values span, their 5th to 95th percentile).")

#: The ranking-sensitivity figure (only with ``meta["ranking"]``).
RANKING_STEM = "ranking_sensitivity"

#: Counties, stations and agents over the months (only with ``stations`` rows).
STATIONS_STEM = "stations"

#: The baseline's stations open against the reported points (only with both).
CALIBRATION_STEM = "calibration"

#: Outcomes per printed table (1 + 2 x this many columns).
OUTCOMES_PER_TABLE = 3


# ------------------------------------------------------------------------------------ outcome table

def _signed(v: float) -> str:
    s = short_number(v)
    return "+" + s if math.isfinite(v) and v > 0 else s


def _rank_text(v: float) -> str:
    if not math.isfinite(v):
        return "–"
    return str(int(v)) if float(v).is_integer() else f"{v:.1f}"


def _outcome_table(outcomes: Sequence[Mapping], baseline: str | None, horizon_m: int | None = None):
    """Header and rows of the outcome table; each cell is a list of (text, bold) segments.
    A break-even month that is missing means the strategy did not break even within the
    horizon: it reads "not within N months"."""
    rows = [r for r in outcomes or () if r.get("strategy") is not None and r.get("kpi") is not None]
    strategies = strategy_order(rows, baseline=baseline)
    kpis = list(dict.fromkeys(str(r["kpi"]) for r in rows))
    cell = {(str(r["strategy"]), str(r["kpi"])): r for r in rows}
    direction = {}
    for k in kpis:
        flags = [r.get("higher_is_better") for r in rows
                 if str(r["kpi"]) == k and r.get("higher_is_better") is not None]
        direction[k] = (" ↑" if as_bool(flags[0]) else " ↓") if flags else ""
    header = ["Strategy"]
    for k in kpis:
        header += [f"{kpi_label(k)}{direction[k]}", "rank"]
    body = []
    for s in strategies:
        is_base = baseline is not None and s == str(baseline)
        line = [[(s + (" (baseline)" if is_base else ""), False)]]
        for k in kpis:
            r = cell.get((s, k))
            if r is None:
                line += [[("n/a", False)], [("–", False)]]
                continue
            mean, hw = as_float(r.get("mean")), as_float(r.get("ci95_half_width"))
            text = plus_minus(mean, hw)
            if k == "break_even_month" and not math.isfinite(mean):
                text = f"not within {horizon_m} months" if horizon_m else "not within the horizon"
            segs = [(text, False)]
            diff = as_float(r.get("diff_vs_baseline"))
            if not is_base and math.isfinite(diff):
                lo, hi = as_float(r.get("diff_ci95_low")), as_float(r.get("diff_ci95_high"))
                segs += [("; ", False),
                         (f"Δ {in_interval(diff, lo, hi, signed=True)}", as_bool(r.get("significant_holm")))]
            line += [segs, [(_rank_text(as_float(r.get("rank"))), False)]]
        body.append(line)
    return header, body


def outcome_tables(outcomes: Sequence[Mapping], baseline: str | None, horizon_m: int | None = None,
                   per_table: int = OUTCOMES_PER_TABLE) -> list[dict]:
    """The outcome table split so that it prints: ``per_table`` outcomes per table (1 + 2 *
    ``per_table`` columns: strategy, then value and rank per outcome), each ``{"header", "body"}``."""
    header, body = _outcome_table(outcomes, baseline, horizon_m)
    n = (len(header) - 1) // 2
    tables = []
    for start in range(0, n, max(1, per_table)):
        cols = [0] + [c for k in range(start, min(n, start + per_table)) for c in (1 + 2 * k, 2 + 2 * k)]
        tables.append({"header": [header[c] for c in cols], "body": [[line[c] for c in cols] for line in body]})
    return tables


def outcome_table_markdown(outcomes: Sequence[Mapping], baseline: str | None) -> str:
    """The outcomes as Markdown tables of ``OUTCOMES_PER_TABLE`` outcomes each: one row per strategy
    (baseline first, marked "(baseline)"), per KPI a column "mean ± 95% CI half width" followed by
    "; Δ diff [low, high]" against the baseline for non-baseline strategies (bold if significant after
    Holm correction) and a rank column (1 = best; ties share a rank; "–" where every strategy has the
    same value). KPI headers carry ↑ (higher is better) or ↓. Missing values show as "n/a" / "–".
    Tables are separated by a blank line; the text ends in a newline."""
    return "\n".join(render("outcome_table.md.j2", {"table": t}) for t in outcome_tables(outcomes, baseline))


# ------------------------------------------------------------------------------------------ report

def map_groups(order: Sequence[str], per: int = MAPS_PER_FIGURE) -> list[list[str]]:
    """The strategies split into as few consecutive groups of at most ``per`` as possible, of
    sizes differing by at most one (7 by 4: 4 and 3), one coverage-map figure each."""
    order = list(order)
    if not order:
        return []
    n = math.ceil(len(order) / max(1, per))
    size, extra = divmod(len(order), n)
    groups, start = [], 0
    for k in range(n):
        end = start + size + (1 if k < extra else 0)
        groups.append(order[start:end])
        start = end
    return groups


def _figure_plan(meta, monthly, outcomes, equity, counties, coverage_map, reported, stations=()):
    """Everything :func:`write_rollout_report` derives from its inputs before drawing: title, baseline,
    strategy order, horizon, map months, notes, reported points and the figures as
    (stem, title, caption, function drawing the figure)."""
    monthly, outcomes, equity = list(monthly or ()), list(outcomes or ()), list(equity or ())
    counties, coverage_map = list(counties or ()), list(coverage_map or ())
    meta = dict(meta or {})
    name = str(meta.get("name") or "Rollout strategy comparison")
    baseline = meta.get("baseline")
    baseline = None if baseline is None else str(baseline)
    order = strategy_order(monthly, outcomes, equity, coverage_map, baseline=baseline)
    months_seen = sorted({m for m in (month_of(r.get("month")) for r in monthly) if m is not None})
    horizon = month_of(meta.get("horizon_m"))
    if horizon is None:
        horizon = months_seen[-1] + 1 if months_seen else 0
    map_months = meta.get("map_months")
    if map_months is None:
        mm = [m for m in (month_of(r.get("month")) for r in coverage_map) if m is not None]
        map_months = [max(mm)] if mm else []
    map_months = list(dict.fromkeys(m for m in (month_of(v) for v in map_months) if m is not None))
    notes = [str(n) for n in meta.get("notes") or ()]
    pts = reported_points(reported)

    # ---- figures and captions
    band = "(line = mean over replications, band = min-max). " + STYLE_NOTE
    figures: list[tuple[str, str, str, object]] = [
        ("coverage_residents", "Coverage of residents",
         "Share of the region's residents covered by e-commerce service each month, per strategy " + band,
         lambda: plot_coverage(monthly, "residents_covered_share", ax=None, strategies=order)),
        ("coverage_villages", "Villages covered",
         "Number of villages with a service point each month, per strategy"
         + (" (black markers: publicly reported figures). " if pts else ". ") + STYLE_NOTE,
         lambda: plot_coverage(monthly, "villages_covered", reported=pts, strategies=order)),
        ("cost_per_parcel", "Cost per parcel",
         "Cost per delivered parcel each month, per strategy (gaps: months without parcels). " + STYLE_NOTE,
         lambda: plot_cost_per_parcel(monthly, strategies=order)),
        ("cost_vs_volume", "Cost per parcel against volume",
         "Monthly cost per parcel against parcels delivered (log scale), with each strategy's "
         "log-log slope: negative means cost falls as volume grows.",
         lambda: plot_cost_vs_volume(monthly, strategies=order)),
        ("cash_flow", "Cumulative cash flow",
         "Cumulative net cash flow per strategy (dashed black: zero), with the month each strategy breaks even. "
         + STYLE_NOTE,
         lambda: plot_cash_flow(monthly, strategies=order)),
        ("equity", "Equity by remoteness",
         "Mean lead time (solid lines, upper band, left axis) and share of residents covered at the end "
         "(dashed lines, lower band, right axis) by remoteness "
         "decile, 1 = nearest the hub, 10 = most remote; one colour and marker per strategy.",
         lambda: plot_equity(equity, strategies=order)),
        ("gini", "Inequality of access",
         "Gini coefficient of access across villages each month (0 = equal access), per strategy; "
         "no line before the first station opens (no access anywhere: undefined). " + STYLE_NOTE,
         lambda: plot_gini(monthly, strategies=order)),
    ]
    if order and map_months:
        groups = map_groups(order)
        for k, group in enumerate(groups):
            part = f" ({k + 1} of {len(groups)})" if len(groups) > 1 else ""
            figures.append((MAPS_STEM if k == 0 else f"{MAPS_STEM}_{k + 1}", "Coverage maps" + part,
                            "Share of residents covered per county, one small map per strategy (rows: "
                            f"{', '.join(group)}) and month (columns: {', '.join(str(m) for m in map_months)}); "
                            "the first replication; circle area ∝ residents, grey = no data; panel titles give the "
                            "resident-weighted coverage.",
                            lambda group=group: plot_coverage_maps(counties, coverage_map, group, map_months)))
    stations = list(stations or ())
    if stations:
        wage = meta.get("reservation_wage_cny")
        panels = stations_panels(stations)
        caption = "Counties entered and stations open"
        if panels["closed"]:
            caption += ", stations closed by attrition to date"
        if panels["income"]:
            caption += (", and the agents' monthly income over open stations (median thick, 10th percentile thin"
                        + (f", reservation wage {as_float(wage):,.0f} CNY a month dotted" if wage is not None else "")
                        + ")")
        caption += ", per strategy " + band
        if not panels["income"]:
            caption += " Station attrition is not modelled in this run, so agents' income is not shown."
        figures.append((STATIONS_STEM, "Counties, stations and agents", caption,
                        lambda: plot_stations(stations, strategies=order, reservation_wage_cny=wage)))
        if pts and baseline is not None and any(str(r.get("strategy")) == baseline for r in stations):
            figures.append((CALIBRATION_STEM, "Model against reported figures",
                            f"Villages with an open station in the baseline strategy ({baseline}; line, mean over "
                            "replications) against the reported figures of the config (points).",
                            lambda: plot_report_calibration(stations, baseline, pts)))
    ranking = meta.get("ranking") or {}
    if ranking.get("breakeven"):
        figures.append((RANKING_STEM, "Sensitivity of the ranking",
                        "Each guessed input's sampled range (Latin hypercube), its base value (black) and the value "
                        "at which another strategy takes the lead by NPV, the other inputs at their base values "
                        "(red; grey text: outside the range).",
                        lambda: plot_ranking_breakeven(ranking["breakeven"])))
    return {"name": name, "baseline": baseline, "order": order, "horizon": horizon, "map_months": map_months,
            "notes": notes, "pts": pts, "figures": figures, "meta": meta, "stations": stations}


def _context(plan: dict, monthly, outcomes, counties, fig_dir: pathlib.Path) -> dict:
    """What both the Markdown and the HTML report show, from the plan and the drawn figures."""
    baseline, pts = plan["baseline"], plan["pts"]
    reps = sorted({str(join_key(r.get("replication", 0))) for r in monthly})
    kpis = list(dict.fromkeys(str(r["kpi"]) for r in outcomes if r.get("kpi") is not None))
    residents = sum(v for v in (as_float(c.get("residents")) for c in counties) if math.isfinite(v))
    compared = [
        "Strategies: " + (", ".join(s + (" (baseline)" if s == baseline else "") for s in plan["order"]) or "none"),
        f"Horizon: {plan['horizon']} months; {len(reps)} replication{'s' if len(reps) != 1 else ''} per strategy."
        + (f" Warning: with fewer than {FEW_REPLICATIONS} replications the intervals are wide and a ranking may "
           "not hold in a longer run." if len(reps) < FEW_REPLICATIONS else ""),
        f"Region: {len(counties)} counties, {short_number(float(residents))} residents.",
    ]
    if kpis:
        compared.append("Outcome measures: " + ", ".join(kpi_label(k) for k in kpis) + ".")
    if pts:
        compared.append("Reported public figures (month: villages): "
                        + ", ".join(f"{int(m) if float(m).is_integer() else m}: {short_number(v)}" for m, v in pts)
                        + ".")
    table_key = [("Each cell: mean ± 95% confidence half-width over replications; for other strategies also "
                  f"Δ = difference from the baseline{f' ({baseline})' if baseline else ''} with its 95% confidence "
                  "interval, ", False), ("bold", True),
                 (" where significant after Holm correction. ↑ higher is better, ↓ lower is better; rank 1 = best; "
                  "ties share a rank; an outcome that is the same for every strategy is not ranked (–).", False)]
    tables = outcome_tables(outcomes, baseline, plan["horizon"])
    figures = [{"stem": stem, "title": title, "caption": caption,
                "png_base64": base64.b64encode((fig_dir / f"{stem}.png").read_bytes()).decode("ascii")}
               for stem, title, caption, _ in plan["figures"]]
    meta = plan["meta"]
    found = findings(meta, outcomes, monthly, plan["order"], plan["horizon"], len(counties))
    title = plan["name"] if meta.get("name") is None else f"Rollout strategy comparison: {plan['name']}"
    return {"name": plan["name"], "title": title, "findings": found, "baseline": baseline, "compared": compared,
            "table_key": table_key,
            "has_outcomes": bool(outcomes), "tables": tables, "figures": figures, "notes": plan["notes"],
            "summary": summary(outcomes, baseline, plan["horizon"], meta.get("levers")),
            "levers": lever_table(meta.get("levers"), plan["order"], baseline),
            "assumptions": assumption_rows(meta.get("assumptions")),
            "provenance": provenance_rows(meta.get("manifest")),
            "ranking": _ranking_section(meta.get("ranking")),
            "stations": stations_section(plan["stations"], plan["order"], plan["pts"], baseline)}


def _ranking_section(ranking: Mapping | None) -> dict | None:
    """The ranking-sensitivity section: its sentences and a table of break-even values."""
    if not ranking or not ranking.get("breakeven"):
        return None
    body = []
    for r in ranking["breakeven"]:
        be = as_float(r.get("break_even"))
        body.append([str(r.get("label") or r.get("input")), str(r.get("tier")),
                     f"{short_number(as_float(r.get('low')))}-{short_number(as_float(r.get('high')))}",
                     short_number(as_float(r.get("base"))),
                     (short_number(be) + ("" if as_bool(r.get("within_range")) else " (outside)"))
                     if math.isfinite(be) else "none", str(r.get("challenger") or "–"),
                     _signed(as_float(r.get("npv_gap_change_cny")))])
    return {"lines": list(ranking.get("lines") or ()),
            "table": {"header": ["Input", "Tier", "Range", "Base", "Break-even", "Takes the lead",
                                 "Change of the lead's margin over the range (CNY)"], "body": body}}


def write_rollout_report(out_dir: str | os.PathLike, meta: Mapping, monthly: Sequence[Mapping],
                         outcomes: Sequence[Mapping], equity: Sequence[Mapping], counties: Sequence[Mapping],
                         coverage_map: Sequence[Mapping], reported=None, stations: Sequence[Mapping] = ()) -> dict:
    """Write the comparison report into ``out_dir`` (created if needed):

    * ``figures/<stem>.png`` (dpi 120) and ``.svg`` for ``FIGURE_STEMS`` and ``MAPS_STEM`` (the coverage
      maps as small multiples: one panel per strategy and month of ``meta["map_months"]``, at most
      ``MAPS_PER_FIGURE`` strategies a figure: ``MAPS_STEM``, ``MAPS_STEM_2``, ...);
    * ``report.md``: title; what the comparison found (:func:`sim.reports.headline.findings`: the
      config's question where it has a ``description``, the NPV leader and its margin, break-even,
      where the ranking sensitivity flips the lead, and whether coverage saturates for every
      strategy); a one-page summary generated from the outcome rows (per outcome the
      leading strategy, its difference from the baseline with its 95% interval and whether it is
      significant; outcomes the same for every strategy named, not ranked; the strategies' levers);
      what was compared; the assumptions with their sources; the outcome tables
      (``OUTCOMES_PER_TABLE`` outcomes each); each figure with a one-line caption; the notes; the
      provenance;
    * ``report.html``: the same content as one self-contained file (PNG images embedded as base64
      data URIs, an inline style sheet with print rules, no scripts or external links).

    ``meta`` keys: ``name``, ``description``, ``baseline``, ``horizon_m``, ``map_months``, ``notes``, ``levers``
    ({strategy: {lever: value}}), ``assumptions`` ([{input, value, unit, source}]) and ``manifest``
    (the results folder's ``manifest.json``) (all optional; the horizon defaults to the months in
    ``monthly``, the map months to the last mapped month).
    Files are written atomically and deterministically: identical inputs give byte-identical files.
    Returns ``{"markdown": path, "html": path, "figures": [sorted PNG and SVG paths]}``.
    """
    out = pathlib.Path(out_dir)
    fig_dir = out / "figures"
    fig_dir.mkdir(parents=True, exist_ok=True)
    monthly, outcomes, equity = list(monthly or ()), list(outcomes or ()), list(equity or ())
    counties, coverage_map = list(counties or ()), list(coverage_map or ())
    plan = _figure_plan(meta, monthly, outcomes, equity, counties, coverage_map, reported, stations)
    written = save_figures(fig_dir, [(stem, make) for stem, _, _, make in plan["figures"]], prune=True)
    context = _context(plan, monthly, outcomes, counties, fig_dir)
    md_path = atomic_write_text(out / "report.md", render("rollout.md.j2", context))
    html_path = atomic_write_text(out / "report.html", render("rollout.html.j2", context))
    return {"markdown": md_path, "html": html_path, "figures": written}
