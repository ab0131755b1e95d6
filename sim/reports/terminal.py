"""Tables for a terminal: the headline KPIs of a scenario run and the paired
comparisons of an experiment, as ``ruralsim run`` prints them (labels and units from
the KPI registry, numbers in the one format for people)."""
from __future__ import annotations

from sim.analysis.registry import kpi
from sim.files import in_interval, mean_and_half_width, short_number

TABLE_KPIS = ("villages_served", "residents_served_share", "inbound_parcels_delivered", "inbound_lead_time_mean_h",
              "inbound_lead_time_p95_h", "outbound_produce_sold_kg", "spoilage_rate", "farmer_revenue_cny",
              "vehicle_km", "lastmile_load_factor_in", "lastmile_load_factor_out", "cost_per_parcel_cny",
              "cost_per_kg_out_cny", "cost_total_cny")
"""The headline KPIs of ``ruralsim run``'s table; labels and units come from :mod:`sim.analysis.registry`."""

NATIONAL_TABLE_KPIS = ("counties", "villages_served", "inbound_parcels_delivered", "inbound_lead_time_mean_h",
                       "spoilage_rate", "cost_per_parcel_cny", "cost_per_kg_out_cny")
"""The columns of a national year's terminal tables (by region and by remoteness class)."""


def kpi_table(summary: list[dict]) -> str:
    """A short plain-text table: mean and 95% half-width of the headline KPIs."""
    by = {row["kpi"]: row for row in summary}
    w = max(len(kpi(key).label) for key in TABLE_KPIS) + 2   # the longest label and two spaces
    lines = [f"{'KPI':<{w}}{'mean':>12}{'± 95% CI':>14}  unit"]
    for key in TABLE_KPIS:
        row, k = by[key], kpi(key)
        mean_text, hw_text = mean_and_half_width(row["mean"], row["ci95_half_width"])
        lines.append(f"{k.label:<{w}}{mean_text:>12}{hw_text:>14}  {k.unit}")
    return "\n".join(lines)


def comparison_table(rows: list[dict], limit: int = 30) -> str:
    """Paired differences against the baseline, marking those significant after Holm."""
    if not rows:
        return "(no comparisons: one scenario, or no baseline)"
    # as wide as the longest name shown (scenario names of a design carry every lever's value)
    w = min(max(len("scenario"), *(len(r["scenario"]) for r in rows[:limit])), 80) + 1
    k = min(max(len("KPI"), *(len(r["kpi"]) for r in rows[:limit])), 40) + 1
    lines = [f"{'scenario':<{w}}{'KPI':<{k}}{'diff vs baseline':>18}{'95% CI':>24}  Holm"]
    for r in rows[:limit]:
        diff, ci = in_interval(r["mean_diff"], r["ci95_low"], r["ci95_high"]).split(" ", 1)
        lines.append(f"{r['scenario'][:w - 1]:<{w}}{r['kpi'][:k - 1]:<{k}}{diff:>18}"
                     f"{ci:>24}  {'*' if r['significant_holm'] else ''}")
    if len(rows) > limit:
        lines.append(f"... {len(rows) - limit} more in comparisons.csv")
    return "\n".join(lines)


def national_table(rows: list[dict], group: str) -> str:
    """A national year's group table (regions or remoteness classes, then the country)."""
    heads = [kpi(k) for k in NATIONAL_TABLE_KPIS]
    widths = [max(18, len(h.label) + 2) for h in heads]   # whole labels: "Cost per parcel delivered"
    lines = [f"{group:<18}" + "".join(f"{h.label:>{w}}" for h, w in zip(heads, widths, strict=True)),
             f"{'':<18}" + "".join(f"{h.unit:>{w}}" for h, w in zip(heads, widths, strict=True))]
    for r in rows:
        cells = [f"{int(v):,}" if float(v).is_integer() else short_number(float(v))
                 for v in (r[k] for k in NATIONAL_TABLE_KPIS)]
        lines.append(f"{str(r[group])[:17]:<18}" + "".join(f"{c:>{w}}" for c, w in zip(cells, widths, strict=True)))
    return "\n".join(lines)


def calibration_text(res: dict) -> str:
    """The fitted parameters and the residual at every reported point (fitted, held out
    and, with leave-one-out, each point when it was held out) of ``ruralsim calibrate``."""
    if "history" in res:
        return _history_text(res)
    lines = [f"{r['parameter']:<40} {r['fitted']:>12.4g}   [{r['lo']:g}, {r['hi']:g}]" for r in res["fit"]]
    lines += [f"month {r['month']:>3} {r['quantity']:<16} reported {r['reported']:>10,.0f}  model "
              f"{r['model']:>10,.0f}  {100 * r['residual_rel']:+6.1f}%" + ("  (held out)" if r["held_out"] else "")
              for r in res["residuals"]]
    lines += [f"held out month {r['month']:>3} {r['quantity']:<16} model {r['model']:>10,.0f}  "
              f"{100 * r['residual_rel']:+6.1f}%  (the others within {100 * r['max_abs_residual_fitted']:.1f}%)"
              for r in res["holdout"]]
    return "\n".join(lines)


def _history_text(res: dict) -> str:
    """A history match: the retained share, each parameter's retained range within its
    bounds, each point's range of retained predictions and, with leave-one-out, each point's
    range when it was held out."""
    hist = res["history"]
    lines = [f"retained (not implausible): {100 * hist['retained_share']:.1f}% of {res['evaluations']} samples"]
    lines += [f"{r['parameter']:<40} retained {r['retained_min']:>10.4g} - {r['retained_max']:<10.4g} "
              f"of [{r['lo']:g}, {r['hi']:g}]; least implausible {r['least_implausible']:.4g}"
              for r in hist["parameters"]]
    lines += [f"month {r['month']:>3} {r['quantity']:<16} reported {r['reported']:>10,.0f}  retained model "
              f"{r['retained_model_min']:>10,.0f} - {r['retained_model_max']:<10,.0f}  least implausible "
              f"{r['least_implausible_model']:,.0f} (I = {r['implausibility']:.2f})" + ("  (held out)" if r["held_out"]
                                                                                         else "")
              for r in hist["points"]]
    lines += [f"held out month {r['month']:>3} {r['quantity']:<16} retained by the others "
              f"{100 * r['retained_share']:.1f}%, model {r['retained_model_min']:,.0f} - {r['retained_model_max']:,.0f}"
              f" ({'contains' if r['reported_inside'] else 'misses'} {r['reported']:,.0f})" for r in res["holdout"]]
    return "\n".join(lines)
