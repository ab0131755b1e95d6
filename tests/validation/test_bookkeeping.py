"""Bookkeeping identities of the model, kept as tests rather than validation cases:
they follow from conservation, so they check the books, not the model against the world.
With no vehicles nothing is delivered; Little's law holds at every store over a run that
starts and ends empty; a KPI window opened after a warm-up closes its books."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from sim.config.scenario import CalendarEvent, CountyConfig, Crop, Scenario
from sim.county.kpis import evaluate, run_replication
from sim.county.model import CountyModel


def _replace(sc: Scenario, section: str, **changes) -> Scenario:
    return dataclasses.replace(sc, **{section: dataclasses.replace(getattr(sc, section), **changes)})


def test_no_vehicles_delivers_nothing_and_the_backlog_grows_at_the_arrival_rate():
    sc = Scenario(horizon_d=60, start_doy=100, warmup_d=0, replications=1,
                  county=CountyConfig(area_km2=600, townships=6, villages=60))
    sc = _replace(_replace(sc, "lastmile", vehicles_per_route=0), "stations", coverage_share=0.5)
    sc = _replace(sc, "surge", enabled=False)   # no extra vehicles either
    res = run_replication(sc, 0)
    d = res.daily
    assert res.kpis["inbound_parcels_delivered"] == 0
    backlog = np.asarray(d["warehouse_backlog_parcels"]) + np.asarray(d["hub_backlog_parcels"])
    # every parcel ordered waits: the end-of-day backlog is the running total of orders
    assert backlog[-1] == pytest.approx(np.sum(d["parcels_ordered"]), abs=0)
    slope = np.polyfit(d["day"], backlog, 1)[0]
    assert slope == pytest.approx(float(np.mean(d["parcels_ordered"])), rel=0.01)


def test_littles_law_at_every_store_over_a_run_that_starts_and_ends_empty():
    """Orders stop 30 days and the harvest 38 days before the end, so the run starts
    and ends empty: L (samples every 0.1 h) equals lambda W (flows) at every store up to
    the sampling error."""
    horizon = 160
    stop = CalendarEvent("orders_stop", start_doy=(274 - 1 + 130) % 365 + 1, duration_d=30, multiplier=0.0)
    sc = Scenario(horizon_d=horizon, start_doy=274, warmup_d=0, replications=1,
                  county=CountyConfig(area_km2=800, townships=8, villages=120), crops=(Crop(),))
    sc = _replace(sc, "demand", calendar=(*Scenario().demand.calendar, stop))
    sc = _replace(sc, "hub", cold_store_kg=20000.0)
    sc = _replace(sc, "stations", coverage_share=0.5)
    model = CountyModel(sc, 0, monitor_h=0.1).run()
    res = evaluate(model)
    assert res.kpis["inbound_parcels_in_system"] == 0
    assert res.kpis["outbound_produce_in_system_kg"] <= 1e-6
    T = model.horizon_h
    s = {k: np.array(v, float) for k, v in model.samples.items()}
    st, hub, led = model.stations, model.hub, model.lastmile.ledger
    dep = np.concatenate([np.full(len(c), t) for t, c in zip(led.depart_h, led.stop_parcels, strict=True)])
    cnt = np.concatenate(led.stop_parcels)
    arr = np.concatenate(led.stop_arrivals_h)
    stores = {  # L from samples, lambda x W from the flows' time stamps
        "hub": (s["hub_parcels"].mean(), hub.time_in_hub_h / T),
        "vehicles": (s["vehicle_parcels"].mean(), float((cnt * (arr - dep)).sum()) / T),
        "stations": (s["station_kg"].mean(), (st.out_kg_h - st.in_kg_h) / T),
        "cold store": (s["cold_kg"].mean(), (hub.cold_out_kg_h - hub.cold_in_kg_h) / T),
    }
    for name, (L, lam_w) in stores.items():
        assert lam_w > 0, name
        assert L == pytest.approx(lam_w, rel=0.02), name


@pytest.mark.parametrize("replication,start,warm", [(0, 290, 14), (1, 330, 40), (2, 20, 7), (3, 182, 28)])
def test_window_books_close_from_the_kpis_alone(replication, start, warm):
    """Windows opening at different points of the year (mid-harvest included), after
    warm-ups of 7 to 40 days: ordered + in system at start = delivered + in system at end
    (parcels, exactly); offered + in system at start = sold + spoiled + in system (kg)."""
    sc = Scenario(horizon_d=45, start_doy=start, warmup_d=warm, replications=1,
                  county=CountyConfig(area_km2=400, townships=4, villages=40))
    k = evaluate(CountyModel(sc, replication).run()).kpis
    assert (k["inbound_parcels_ordered"] + k["inbound_parcels_in_system_start"]
            == k["inbound_parcels_delivered"] + k["inbound_parcels_in_system"])
    came = k["outbound_produce_offered_kg"] + k["outbound_produce_in_system_start_kg"]
    went = k["outbound_produce_sold_kg"] + k["outbound_produce_spoiled_kg"] + k["outbound_produce_in_system_kg"]
    assert went == pytest.approx(came, rel=1e-9, abs=1e-9)
