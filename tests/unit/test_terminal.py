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


def test_the_kpi_table_gives_each_mean_the_digits_its_interval_supports():
    summary = [{"kpi": k, "mean": 708398.0, "ci95_half_width": 1011.0} for k in TABLE_KPIS]
    summary[0] = {"kpi": TABLE_KPIS[0], "mean": 92.0, "ci95_half_width": 0.0}            # never varies
    summary[1] = {"kpi": TABLE_KPIS[1], "mean": 0.17394, "ci95_half_width": 0.00607}
    summary[2] = {"kpi": TABLE_KPIS[2], "mean": 5.0, "ci95_half_width": float("nan")}   # one replication
    rows = [line.split()[-3:-1] for line in kpi_table(summary).splitlines()[1:4]]
    assert rows[0] == ["92", "0"] and rows[1] == ["0.1739", "0.0061"]
    assert kpi_table(summary).splitlines()[3].split()[-2:] == ["5.000", kpi(TABLE_KPIS[2]).unit]
    assert kpi_table(summary).splitlines()[4].split()[-3:-1] == ["708,400", "1,000"]


def test_no_comparisons_say_why():
    assert "no comparisons" in comparison_table([])


def test_the_kpi_table_keeps_its_columns_whatever_the_longest_label():
    summary = [{"kpi": k, "mean": 1234.5, "ci95_half_width": 0.5} for k in TABLE_KPIS]
    lines = kpi_table(summary).splitlines()
    end = lines[0].index("mean") + len("mean")   # numbers are right-aligned under the header
    for line, key in zip(lines[1:], TABLE_KPIS, strict=True):
        label = kpi(key).label
        assert line.startswith(label + "  "), line                        # a gap after even the longest label
        assert line[:end].endswith("1,234.50"), line                       # the mean ends under "mean"
