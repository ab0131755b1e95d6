"""Adoption per village (internet use, working-age share), village promoters, the
cross-subsidy policy, and honest monthly samples (stratified days, spoilage)."""
from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import yaml

from sim.errors import InputError
from sim.rollout.adoption import bass_share
from sim.rollout.sampling import DAYS_PER_MONTH, Sampling, inclusion, month_blocks, month_days, strata_bounds
from sim.rollout.simulate import adoption_params, geographies, schedule_for, simulate_county
from sim.rollout.spec import load_rollout
from sim.rollout.villages import VillageInputs, village_ceilings


def config(tmp_path: Path, **extra) -> Path:
    data = {"kind": "rollout", "name": "tiny_villages", "base": {"start_doy": 250},
            "region": {"counties": 2, "seed": 5, "villages": {"min": 12, "max": 16},
                       "area_km2": {"min": 200, "max": 300}, "extent_km": 100},
            "horizon_m": 5, "sample_days": 3, "warmup_days": 1, "replications": 1,
            "budget_per_year_cny": 1.0e8,
            "adoption": {"p": 0.05, "q": 0.3, "ceiling": 0.6, "parcels_per_adopter_y": 8.0},
            "economics": {"cross_subsidy_per_parcel_cny": 1.0},
            "strategies": {"largest": {"village_order": "largest_first"}}}
    data.update(extra)
    p = tmp_path / "rollout.yaml"
    p.write_text(yaml.safe_dump(data, sort_keys=False))
    return p


def months_of(ro, strategy=None, c: int = 0) -> tuple[list[dict], object, object]:
    s = strategy or ro.strategies[0]
    geos = geographies(ro, ro.operating_models[s.operating_model])
    sched = schedule_for(ro, s, geos)
    one = type(sched)(sched.hub_month[[c]], [sched.station_month[c]], [sched.vehicles[c]], sched.capex[[c]])
    return simulate_county(ro, s, 0, 0, geos[c], one)["months"], geos[c], one


# ---- per-village ceilings -------------------------------------------------------------
def test_village_ceilings_follow_internet_use_and_working_age_by_hand():
    cfg = VillageInputs(reference_internet_use=0.3, reference_working_age_share=0.5, internet_elasticity=1.0,
                        working_age_elasticity=0.5)
    got = village_ceilings(0.6, cfg, np.array([0.3, 0.15, 0.45, 0.3, 0.0]), np.array([0.5, 0.5, 0.8, 0.125, 0.5]))
    # 0.6 * (iu / 0.3) * sqrt(wa / 0.5), capped at 1; no internet at all: a tiny positive ceiling
    assert got[:4] == pytest.approx([0.6, 0.3, 1.0, 0.3])       # 0.6 * 1.5 * sqrt(1.6) = 1.138 -> 1
    assert 0 < got[4] <= 1e-6


def test_ceilings_come_from_the_villages_csv_columns_and_drive_adoption(tmp_path):
    vdir = tmp_path / "villages"
    vdir.mkdir()
    iu = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6]
    lines = ["id,township,x_km,y_km,residents,road_class,internet_use,working_age_share"]
    lines += [f"v{i},t{i % 2},{i * 2.0},{1.0 + i},1000,asphalt,{u},0.55" for i, u in enumerate(iu)]
    (vdir / "C0001.csv").write_text("\n".join(lines) + "\n")
    ro = load_rollout(config(tmp_path, region={"counties": 1, "seed": 5, "villages_dir": "villages"},
                             village_inputs={"reference_internet_use": 0.3, "reference_working_age_share": 0.55},
                             horizon_m=12))
    _, ceiling, _ = adoption_params(ro, ro.strategies[0], geographies(ro, ro.operating_models["self_run"])[0])
    assert ceiling == pytest.approx([0.2, 0.4, 0.6, 0.8, 1.0, 1.0])   # 0.6 * iu / 0.3, capped at 1
    months, _geo, sched = months_of(ro)
    m = ro.horizon_m - 1
    opened = sched.station_month[0]
    expect = sum(1000 * bass_share(m - o + 0.5, 0.05, 0.3, cap) for o, cap in zip(opened, [0.2, 0.4, 0.6, 0.8, 1, 1],
                                                                                  strict=True) if 0 <= o <= m)
    assert months[m]["adopters"] == pytest.approx(expect)


def test_generated_villages_draw_their_inputs_within_the_region_ranges(tmp_path):
    ro = load_rollout(config(tmp_path, village_inputs={"internet_use": {"min": 0.2, "max": 0.4},
                                                       "working_age_share": 0.55,
                                                       "reference_working_age_share": 0.55}))
    geo = geographies(ro, ro.operating_models["self_run"])[0]
    _, ceiling, _ = adoption_params(ro, ro.strategies[0], geo)
    # ceiling = 0.6 * iu / 0.301 with iu in [0.2, 0.4]
    assert np.all(ceiling >= 0.6 * 0.2 / 0.301 - 1e-12) and np.all(ceiling <= 0.6 * 0.4 / 0.301 + 1e-12)
    assert np.ptp(ceiling) > 0.05


# ---- promoters ------------------------------------------------------------------------
def test_promoters_raise_adoption_and_cost_what_the_config_says(tmp_path):
    strategies = {"plain": {"village_order": "largest_first"},
                  "promoted": {"village_order": "largest_first", "promoters": True}}
    ro = load_rollout(config(tmp_path, strategies=strategies,
                             promoters={"pay_per_order_cny": 1.5, "p_factor": 3.0, "ceiling_added": 0.2}))
    geo = geographies(ro, ro.operating_models["self_run"])[0]
    p, ceiling, waiting = adoption_params(ro, ro.strategies[1], geo)
    assert np.all(p == pytest.approx(0.15)) and np.all(ceiling == pytest.approx(0.8))
    assert np.all(waiting == pytest.approx(0.6))       # a village without a station waits at its own ceiling
    plain, _, _ = months_of(ro, ro.strategies[0])
    promoted, _, _ = months_of(ro, ro.strategies[1])
    open_months = [m for m, r in enumerate(plain) if r["stations_open"] and r["hub_open"]]
    assert open_months
    for m in open_months:
        assert promoted[m]["adopters"] > plain[m]["adopters"]
        assert promoted[m]["promoter_cost_cny"] == pytest.approx(1.5 * promoted[m]["parcels_delivered"])
        assert plain[m]["promoter_cost_cny"] == 0.0
        assert promoted[m]["net_cash_cny"] == pytest.approx(
            promoted[m]["revenue_cny"] + promoted[m]["subsidy_cny"] + promoted[m]["cross_subsidy_cny"]
            - promoted[m]["opex_cny"] - promoted[m]["capex_cny"])
        assert promoted[m]["opex_cny"] >= promoted[m]["promoter_cost_cny"]


# ---- cross-subsidy policy ---------------------------------------------------------------
def test_cross_subsidy_stops_after_the_stated_months(tmp_path):
    ro = load_rollout(config(tmp_path, cross_subsidy_policy={"months": 2}))
    months, _, sched = months_of(ro)
    hub = int(sched.hub_month[0])
    paid = [m for m, r in enumerate(months) if r["cross_subsidy_cny"] > 0]
    assert paid == [hub, hub + 1]
    for m in paid:
        assert months[m]["cross_subsidy_cny"] == pytest.approx(1.0 * months[m]["parcels_delivered"])


def test_cross_subsidy_stops_after_the_month_volume_reaches_the_level(tmp_path):
    free, _, _ = months_of(load_rollout(config(tmp_path)))
    delivered = [r["parcels_delivered"] for r in free]
    level = sorted(d for d in delivered if d > 0)[1]          # reached in some month, not the first with parcels
    first = next(m for m, d in enumerate(delivered) if d >= level)
    months, _, _ = months_of(load_rollout(config(tmp_path, cross_subsidy_policy={"until_parcels_per_month": level})))
    for m, r in enumerate(months):
        expect = r["parcels_delivered"] if m <= first else 0.0
        assert r["cross_subsidy_cny"] == pytest.approx(expect), m
    assert [r["parcels_delivered"] for r in months] == pytest.approx(delivered)   # the policy is money only


# ---- honest monthly samples ----------------------------------------------------------------
def test_stratified_blocks_fall_in_their_strata_and_weigh_the_whole_month():
    samp = Sampling("stratified", 3)
    for month in range(24):
        days = month_days(182, month)
        assert days in (30, 31)
        bounds = strata_bounds(days, 3)
        blocks = month_blocks(samp, 4, 2, 11, "C0001", month, days)
        assert [b.index for b in blocks] == [0, 1, 2]
        assert sum(b.weight for b in blocks) == pytest.approx(DAYS_PER_MONTH / 4)
        for b in blocks:
            assert bounds[b.index] <= b.offset_d < bounds[b.index + 1]
    assert sum(month_days(182, m) for m in range(12)) == 365


def test_stratified_days_are_sampled_in_proportion_and_peaks_are_not_misread():
    # a 30-day month in 3 strata of 10 days, blocks of 5: every day is in a block with probability 5/10
    samp = Sampling("stratified", 3)
    assert inclusion(samp, 5, 30) == pytest.approx(np.full(30, 0.5))
    # empirically, over many months' draws
    hits = np.zeros(30)
    draws = 3000
    for m in range(draws):
        for b in month_blocks(samp, 5, 1, 3, "C0001", m, 30):
            hits[np.arange(b.offset_d, b.offset_d + 5) % 30] += 1
    assert np.all(np.abs(hits / draws - 0.5) < 4 * math.sqrt(0.25 / draws))
    # a month with a 4x peak on days 20-26 (the Spring Festival run-up): the first days miss it, while the
    # stratified estimate, averaged over every start, is the month's true total (scaled to 365/12 days)
    x = np.ones(30)
    x[20:27] = 4.0
    truth = x.sum() * DAYS_PER_MONTH / 30
    first = month_blocks(Sampling(), 5, 1, 3, "C0001", 0, 30)[0]
    assert x[first.offset_d:first.offset_d + 5].sum() * first.weight == pytest.approx(5 * DAYS_PER_MONTH / 5)
    bounds = strata_bounds(30, 3)
    expect = 0.0
    for j in range(3):
        starts = range(bounds[j], bounds[j + 1])
        w = (bounds[j + 1] - bounds[j]) / 5 * DAYS_PER_MONTH / 30
        expect += np.mean([x[np.arange(s, s + 5) % 30].sum() * w for s in starts])
    assert expect == pytest.approx(truth)


def test_first_days_sampling_is_the_default(tmp_path):
    ro = load_rollout(config(tmp_path))
    assert ro.sampling == Sampling("first_days", 2)
    assert month_blocks(ro.sampling, 3, 1, 0, "C0001", 4, 30)[0].offset_d == 1


def test_strata_that_do_not_fit_the_month_are_refused(tmp_path):
    with pytest.raises(InputError, match=r"sampling.*strata.*5 is not allowed.*sample_days is 7"):
        load_rollout(config(tmp_path, sample_days=7, sampling={"method": "stratified", "strata": 5}))


def test_spoilage_shows_when_the_shelf_life_is_shorter_than_the_sample(tmp_path):
    # harvest from 1 October; produce kept 1 day spoils in a 5-day sample, one kept 10 days cannot
    base = {"start_doy": 280, "crops": [{"shelf_life_d": 1.0, "cold_shelf_life_d": 1.0}]}
    short = load_rollout(config(tmp_path, base=base, sample_days=5, warmup_days=2, horizon_m=3))
    months, _, _ = months_of(short)
    assert sum(r["produce_spoiled_kg"] for r in months) > 0
    base = {"start_doy": 280, "crops": [{"shelf_life_d": 10.0, "cold_shelf_life_d": 40.0}]}
    long_ = load_rollout(config(tmp_path, base=base, sample_days=5, warmup_days=2, horizon_m=3))
    months, _, _ = months_of(long_)
    assert sum(r["produce_sold_kg"] for r in months) > 0
    assert sum(r["produce_spoiled_kg"] for r in months) == 0.0


def test_stratified_months_run_every_block(tmp_path):
    first, _, _ = months_of(load_rollout(config(tmp_path)))
    strat, _, _ = months_of(load_rollout(config(tmp_path, sampling={"method": "stratified", "strata": 3})))
    assert [r["stations_open"] for r in strat] == [r["stations_open"] for r in first]
    served = [m for m, r in enumerate(first) if r["hub_open"] and r["stations_open"]]
    assert all(strat[m]["parcels_delivered"] > 0 for m in served)
    assert [strat[m]["parcels_delivered"] for m in served] != pytest.approx([first[m]["parcels_delivered"]
                                                                             for m in served])


def test_the_report_states_the_new_inputs_where_they_are_used(tmp_path):
    from sim.rollout.assumptions import assumptions, levers
    plain = load_rollout(config(tmp_path))
    assert not any("promoters." in r["input"] or "village_inputs" in r["input"] for r in assumptions(plain))
    ro = load_rollout(config(tmp_path, village_inputs={}, cross_subsidy_policy={"months": 24},
                             sampling={"method": "stratified", "strata": 3},
                             strategies={"a": {"village_order": "largest_first", "promoters": True},
                                         "b": {"village_order": "largest_first"}}))
    rows = {r["input"]: r for r in assumptions(ro)}
    assert rows["Promoter pay per order (promoters.pay_per_order_cny)"]["value"] == 1.0
    assert rows["Cross-subsidy paid for (cross_subsidy_policy.months)"]["value"] == 24
    assert rows["Parts of the month sampled (sampling.strata)"]["value"] == 3
    assert "CNNIC" in rows["Reference internet use (village_inputs.reference_internet_use)"]["source"]
    assert levers(ro)["a"]["promoters"] == "yes" and levers(ro)["b"]["promoters"] == "no"


def test_the_new_options_give_the_same_tables_with_1_or_2_workers(tmp_path):
    from sim.rollout.compare import run_compare
    ro = load_rollout(config(tmp_path, village_inputs={}, cross_subsidy_policy={"months": 3}, horizon_m=4,
                             sampling={"method": "stratified", "strata": 2},
                             strategies={"a": {"village_order": "largest_first", "promoters": True},
                                         "b": {"village_order": "remote_first"}}))
    run_compare(ro, tmp_path / "w1", workers=1, quiet=True)
    run_compare(ro, tmp_path / "w2", workers=2, quiet=True)
    for name in ("monthly.csv", "runs.csv", "counties.csv"):
        assert (tmp_path / "w1" / name).read_bytes() == (tmp_path / "w2" / name).read_bytes()
