"""The KPI registry: every KPI the package writes is registered, with a unit and a direction."""
import pytest

from sim.analysis import registry
from sim.county.kpis import KPI_COLUMNS
from sim.rollout.compare import OUTCOMES

MONTHLY_FIGURE_MEASURES = ("villages_covered_share", "residents_covered_share", "villages_covered",
                           "parcels_delivered", "cost_per_parcel_cny", "cumulative_cash_cny", "lead_time_mean_h",
                           "gini_access", "coverage_share")


@pytest.mark.parametrize("name", KPI_COLUMNS + tuple(k for k, _ in OUTCOMES) + MONTHLY_FIGURE_MEASURES)
def test_every_kpi_is_registered_with_a_unit(name):
    k = registry.kpi(name)
    assert k.name == name and k.unit.strip() and k.label.strip() and k.doc.strip()
    # a pure number (unit "-": a Gini index) is labelled without a unit
    assert registry.label(name) == (k.label if k.unit == "-" else f"{k.label} ({k.unit})")


def test_run_kpis_follow_the_runs_table_order():
    assert registry.RUN_KPIS == KPI_COLUMNS


def test_label_reads_for_people():
    assert registry.label("inbound_lead_time_mean_h") == "Lead time, mean (h)"
    assert registry.label("gini_access") == "Gini coefficient of access"
    assert registry.label("cost_per_parcel_cny") == "Cost per parcel delivered (CNY)"


@pytest.mark.parametrize("name, better", [
    ("inbound_lead_time_mean_h", False), ("inbound_lead_time_p95_h", False), ("cost_per_parcel_cny", False),
    ("spoilage_rate", False), ("co2_kg", False), ("gini_access_end", False),
    ("residents_served_share", True), ("villages_covered_share_end", True), ("residents_covered_share_end", True),
    ("npv_cny", True), ("farmer_revenue_cny", True), ("lastmile_load_factor_in", True),
])
def test_direction(name, better):
    assert registry.higher_is_better(name) is better


def test_rollout_outcome_directions_come_from_the_registry():
    assert OUTCOMES == tuple((k, registry.higher_is_better(k)) for k in registry.ROLLOUT_OUTCOMES)
    assert all(isinstance(h, bool) for _, h in OUTCOMES)


@pytest.mark.parametrize("name", ["lead_time_h", "inbound_lead_time_mean", "served", "", "Cost_per_parcel_cny"])
def test_unknown_names_are_errors_not_guesses(name):
    with pytest.raises(KeyError, match="unknown KPI"):
        registry.kpi(name)
    with pytest.raises(KeyError):
        registry.label(name)


def test_unknown_name_suggests_the_nearest():
    with pytest.raises(KeyError, match="inbound_lead_time_mean_h"):
        registry.kpi("inbound_lead_time_mean")


def test_registry_is_read_only():
    with pytest.raises(TypeError):
        registry.KPIS["x"] = None  # type: ignore[index]
