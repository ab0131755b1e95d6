"""Tables printed at the end of a run (sim.reports.terminal)."""
from __future__ import annotations

from sim.analysis.registry import kpi
from sim.reports.terminal import TABLE_KPIS, comparison_table, kpi_table


def _row(scenario: str, kpi: str = "cost_per_parcel_cny", diff: float = -1.5) -> dict:
    return {"scenario": scenario, "kpi": kpi, "mean_diff": diff, "ci95_low": diff - 0.1, "ci95_high": diff + 0.1,
            "significant_holm": True}


def test_long_scenario_names_that_differ_only_at_the_end_stay_apart():
    names = ["stations.coverage_share=0.75,lastmile.vehicles_per_route=2",
             "stations.coverage_share=0.75,lastmile.vehicles_per_route=3"]
    lines = comparison_table([_row(n) for n in names]).splitlines()
    assert len(lines) == 3
    assert lines[1].startswith(names[0] + " ") and lines[2].startswith(names[1] + " ")
    # the columns line up: every row's KPI starts where the header's does
    col = lines[0].index("KPI")
    assert all(line[col:].startswith("cost_per_parcel_cny") for line in lines[1:])


def test_no_comparisons_say_why():
    assert "no comparisons" in comparison_table([])


def test_the_kpi_table_keeps_its_columns_whatever_the_longest_label():
    summary = [{"kpi": k, "mean": 1234.5, "ci95_half_width": 0.5} for k in TABLE_KPIS]
    lines = kpi_table(summary).splitlines()
    end = lines[0].index("mean") + len("mean")   # numbers are right-aligned under the header
    for line, key in zip(lines[1:], TABLE_KPIS, strict=True):
        label = kpi(key).label
        assert line.startswith(label + "  "), line                        # a gap after even the longest label
        assert line[:end].endswith("1,234"), line                          # the mean ends under "mean"
