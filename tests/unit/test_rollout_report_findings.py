"""What the rollout report opens with (sim.reports.headline, sim.reports.rollout): sentences built
from the results the report reads, the config's question where it has one, and a plain warning
where coverage saturates for every strategy (as it can in a preview on a few counties)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")  # tests only

from sim.reports import rollout as rr
from sim.reports.headline import findings, saturation

NAN = float("nan")


def _row(s, kpi, mean, rank, hib=True, diff=NAN, lo=NAN, hi=NAN, sig=False, hw=NAN, n=3):
    return {"strategy": s, "kpi": kpi, "n": n, "mean": mean, "ci95_half_width": hw, "diff_vs_baseline": diff,
            "diff_ci95_low": lo, "diff_ci95_high": hi, "significant_holm": sig, "rank": rank, "higher_is_better": hib}


# NPV by hand: b leads with -30 M +- 2 M, +40 M [+35 M, +45 M] above the baseline a (-70 M), significant;
# c is the next best after b at -69 M (b ahead of c by 39 M). Nobody breaks even in 60 months.
NPV = [_row("a", "npv_cny", -70e6, 3, hw=1e6), _row("b", "npv_cny", -30e6, 1, diff=40e6, lo=35e6, hi=45e6,
                                                    sig=True, hw=2e6),
       _row("c", "npv_cny", -69e6, 2, diff=1e6, lo=-1e6, hi=3e6, hw=1e6)]
NEVER = [_row(s, "break_even_month", NAN, NAN, hib=False, n=0) for s in "abc"]


def _monthly(rates: dict[str, float], months: int = 24) -> list[dict]:
    """Coverage min(1, rate x (m + 1)) in two replications."""
    return [{"strategy": s, "replication": r, "month": m, "residents_covered_share": min(1.0, rate * (m + 1))}
            for s, rate in rates.items() for r in (0, 1) for m in range(months)]


def test_npv_leader_margin_and_interval_come_from_the_rows():
    found = findings({"baseline": "a"}, NPV + NEVER, [], ["a", "b", "c"], 60, 40)
    first = found["sentences"][0]
    assert first.startswith("b has the highest net present value, -30.0 ± 2.0 million CNY")
    assert "40.0 million CNY more than the baseline a" in first
    assert "95% interval 35.0 to 45.0 million CNY, significant after Holm correction" in first
    assert "the next best, c, is 39.0 million CNY behind" in first
    assert found["sentences"][1].startswith("No strategy breaks even within the 60-month horizon")
    assert found["question"] is None


def test_a_leading_baseline_is_compared_with_the_runner_up():
    rows = [_row("a", "npv_cny", 10e6, 1), _row("b", "npv_cny", 7e6, 2, diff=-3e6, lo=-5e6, hi=-1e6),
            _row("c", "npv_cny", 2e6, 3, diff=-8e6, lo=-9e6, hi=-7e6, sig=True)]
    first = findings({"baseline": "a"}, rows, [], ["a", "b", "c"], 60, 40)["sentences"][0]
    assert first.startswith("a has the highest net present value, 10.0 million CNY")
    assert "3.0 million CNY more than the next best, b (95% interval 1.0 to 5.0 million CNY)" in first
    assert "significant" not in first      # b's difference is not significant after Holm


def test_break_even_names_who_breaks_even_and_when():
    rows = [_row("a", "break_even_month", 41.0, 2, hib=False), _row("b", "break_even_month", 30.0, 1, hib=False),
            _row("c", "break_even_month", NAN, 3, hib=False, n=0)]
    text = findings({"baseline": "a"}, rows, [], ["a", "b", "c"], 60, 40)["sentences"][-1]
    assert text == "2 of 3 strategies break even within the 60-month horizon: b (month 30), a (month 41); c does not."


def test_where_the_ranking_flips():
    ranking = {"breakeven": [
        {"tier": "accounting", "input": "partner_fee_per_parcel_cny", "label": "Partner fee per parcel (CNY)",
         "low": 1.0, "base": 2.5, "high": 5.0, "leader_at_base": "b", "challenger": "a", "break_even": 3.71,
         "within_range": True, "other_leader_share": 0.25},
        {"tier": "accounting", "input": "revenue_per_parcel_cny", "label": "Revenue per parcel (CNY)",
         "low": 2.5, "base": 5.0, "high": 7.5, "leader_at_base": "b", "challenger": "", "break_even": NAN,
         "within_range": False, "other_leader_share": 0.25}]}
    found = findings({"baseline": "a", "ranking": ranking}, NPV, [], ["a", "b", "c"], 60, 40)
    text = next(s for s in found["sentences"] if "passes" in s)
    assert "passes from b to a if partner fee per parcel rises above 3.71 CNY (base 2.5 CNY" in text
    assert "revenue" not in text.lower()          # no flip within its range: not named as one
    assert "25%" in text
    ranking["breakeven"][0]["within_range"] = False
    found = findings({"baseline": "a", "ranking": ranking}, NPV, [], ["a", "b", "c"], 60, 40)
    assert any("no single input moves the lead in NPV away from b" in s for s in found["sentences"])


def test_with_two_tiers_each_flip_and_share_says_its_tier():
    ranking = {"breakeven": [
        {"tier": "accounting", "input": "fee", "label": "Partner fee per parcel (CNY)", "low": 1.0, "base": 2.5,
         "high": 5.0, "leader_at_base": "b", "challenger": "a", "break_even": 4.0, "within_range": True,
         "other_leader_share": 0.25},
        {"tier": "runs", "input": "fee", "label": "Partner fee per parcel (CNY)", "low": 1.0, "base": 2.5,
         "high": 5.0, "leader_at_base": "b", "challenger": "a", "break_even": 3.5, "within_range": True,
         "other_leader_share": 2 / 9}]}
    text = next(s for s in findings({"baseline": "a", "ranking": ranking}, NPV, [], ["a", "b"], 60, 40)["sentences"]
                if "passes" in s)
    assert "rises above 4 CNY (base 2.5 CNY, sampled 1 to 5 CNY; accounting tier)" in text
    assert "rises above 3.5 CNY (base 2.5 CNY, sampled 1 to 5 CNY; runs tier)" in text
    assert "another strategy leads in 25% of the accounting tier's and 22% of the runs tier's samples" in text


def test_saturation_month_per_strategy():
    # a reaches 1 at month 4 (rate 0.2: 5 x 0.2), b at month 9, c never (rate 0.01 over 24 months)
    sat = saturation(_monthly({"a": 0.2, "b": 0.1, "c": 0.01}))
    assert sat == {"a": 4, "b": 9, "c": None}


def test_saturated_preview_says_so_with_the_budget():
    manifest = {"config": {"description": "Which  rollout\nreaches whom?", "budget_per_year_cny": 4.0e7,
                           "region": {"counties": 40}}}
    meta = {"baseline": "a", "manifest": manifest}
    found = findings(meta, NPV, _monthly({"a": 0.2, "b": 0.1, "c": 0.25}), ["a", "b", "c"], 24, 8)
    assert found["question"] == "Which rollout reaches whom?"
    text, preview = found["sentences"][-2:]
    assert "Coverage saturates for every strategy" in text and "by month 9 of 24" in text
    assert "c first, by month 3" in text
    # the preview's budget is the region's scaled to its counties: 40 M CNY x 8 / 40
    assert "preview on 8 of the config's 40 counties" in preview and "8.0 million CNY a year" in preview
    # the whole region: no preview sentence; a strategy that never saturates: no saturation sentence
    assert not any("preview" in s for s in findings(meta, NPV, _monthly({"a": 0.2}), ["a"], 24, 40)["sentences"])
    unsaturated = findings(meta, NPV, _monthly({"a": 0.2, "b": 0.01}), ["a", "b"], 24, 8)["sentences"]
    assert not any("saturates" in s for s in unsaturated)
    assert "preview on 8 of the config's 40 counties" in unsaturated[-1]     # said whether it saturates or not


def test_report_opens_with_the_findings_and_the_question(tmp_path):
    manifest = {"config": {"description": "Which rollout reaches whom, at what cost?"}}
    meta = {"name": "Opening", "baseline": "a", "horizon_m": 24, "map_months": [], "manifest": manifest}
    res = rr.write_rollout_report(tmp_path, meta, _monthly({"a": 0.2, "b": 0.1, "c": 0.25}), NPV + NEVER, [], [], [])
    md = res["markdown"].read_text(encoding="utf-8")
    html = res["html"].read_text(encoding="utf-8")
    head = md[:md.index("## Summary")]
    assert head.startswith("# Rollout strategy comparison: Opening\n\n## What the comparison found\n")
    assert "**Question:** Which rollout reaches whom, at what cost?" in head
    assert "b has the highest net present value" in head and "No strategy breaks even" in head
    assert "Coverage saturates for every strategy" in head
    assert html.index("Which rollout reaches whom") < html.index("b has the highest net present value") \
        < html.index('id="summary"')
