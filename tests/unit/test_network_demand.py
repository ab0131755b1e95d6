"""Geography, stations, roads, demand and harvest."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import with_
from scipy import stats

from sim.analysis.statistics import summarize, t_interval
from sim.config.scenario import CalendarEvent, CountyConfig, Crop, DemandConfig, Scenario
from sim.county.demand import daily_means, draw_counts, order_chunks, order_segments, season_multiplier
from sim.county.harvest import daily_offers_kg, harvest_share, season_length_d
from sim.county.network import Network, build_network, generate_villages, load_villages, road_matrices, select_stations
from sim.county.planning import plan
from sim.errors import InputError


def test_generated_county_has_the_configured_shape():
    cfg = CountyConfig()
    ids, township, xy, residents, road, town_xy = generate_villages(cfg, np.random.default_rng(3))
    assert len(ids) == 370 and len(set(ids)) == 370 and town_xy.shape == (20, 2)
    assert set(township) == set(range(20))  # every township has villages
    assert residents.mean() == pytest.approx(1000, rel=0.08)
    assert np.percentile(residents, 90) / np.percentile(residents, 10) == pytest.approx(2.8, rel=0.25)
    dist_seat = np.hypot(*town_xy.T)
    radius = np.sqrt(2000 / np.pi)                     # 25.2 km: the county is a disc of 2,000 km2
    assert dist_seat.max() <= radius and dist_seat.min() < 0.35 * radius
    shares = np.bincount(road, minlength=5)[1:] / 370
    assert shares == pytest.approx([0.35, 0.26, 0.26, 0.13], abs=0.07)
    # each township's villages fill about a disc of its share of the area, 100 km2: the median
    # distance to the seat is then sqrt(100 / (2 pi)) = 3.99 km (census: median 3 km, 1-10)
    assert np.median(np.hypot(*(xy - town_xy[township]).T)) == pytest.approx(3.99, rel=0.15)


def test_station_selection():
    res = np.array([5.0, 50, 20, 40, 10])
    xy = np.array([[1.0, 0], [9, 0], [2, 0], [3, 0], [0.5, 0]])
    rng = np.random.default_rng(0)
    assert list(np.flatnonzero(select_stations(res, xy, 0.4, "largest_first", rng))) == [1, 3]
    assert list(np.flatnonzero(select_stations(res, xy, 0.4, "nearest_first", rng))) == [0, 4]
    assert select_stations(res, xy, 0.6, "random", rng).sum() == 3
    assert select_stations(res, xy, 0.0, "largest_first", rng).sum() == 0


def tiny_net(classes=(1, 1)) -> Network:
    return Network(("A", "B"), np.array([0, 1]), np.array([[10.0, 0.0], [10.0, 1.0]]), np.array([100.0, 100.0]),
                   np.array(classes), np.array([[10.0, 0.0], [0.0, 20.0]]), np.array([True, True]))


def test_road_distance_takes_the_township_detour_only_when_shorter():
    sc = Scenario()
    van = sc.vehicle_types["van"]
    net = tiny_net()
    dist, time = road_matrices(net, np.array([0, 1]), sc, van)
    cv, cc = sc.county.village_road_circuity, sc.county.county_road_circuity
    assert np.allclose(dist, dist.T) and np.all(np.diag(dist) == 0)
    # hub -> A: A sits on its township seat, so the county road (1.3) beats the village road (1.6)
    assert dist[0, 1] == pytest.approx(10 * cc)
    assert time[0, 1] == pytest.approx(10 * cc / van.speed_kmh["county"])
    # A -> B: 1 km apart by village road, far shorter than via B's distant seat
    assert dist[1, 2] == pytest.approx(1 * cv)
    assert time[1, 2] == pytest.approx(1 * cv / van.speed_kmh["cement"])
    # a slower surface at one end slows the direct trip
    _, t_gravel = road_matrices(tiny_net((1, 3)), np.array([0, 1]), sc, van)
    assert t_gravel[1, 2] == pytest.approx(1 * cv / van.speed_kmh["gravel"])


def test_villages_csv_loads_and_bad_rows_are_named(tmp_path):
    p = tmp_path / "v.csv"
    p.write_text("id,township,x_km,y_km,residents,road_class\nA,T1,1,2,100,cement\nB,T2,3,4,250,gravel\n")
    ids, _, _, residents, road, _ = load_villages(str(p))
    assert ids == ("A", "B") and list(residents) == [100, 250] and list(road) == [1, 3]
    sc = with_(Scenario(), "county", villages_csv=str(p))
    net = build_network(sc, np.random.default_rng(0))
    assert net.n == 2
    bad = {
        "id,township,x_km,y_km,residents\nA,T,1,2,3\n": "missing column(s) road_class",
        "id,township,x_km,y_km,residents,road_class\nA,T,1,2,-3,cement\n": "line 2: residents -3 is not allowed",
        "id,township,x_km,y_km,residents,road_class\nA,T,1,2,3,mud\n": "line 2: road_class 'mud'",
        "id,township,x_km,y_km,residents,road_class\nA,T,1,2,3,cement\nA,T,1,2,3,cement\n": "line 3: id 'A'",
        "id,township,x_km,y_km,residents,road_class\n,T,1,2,3,cement\n": "line 2: id is empty",
        "id,township,x_km,y_km,residents,road_class\n": "no villages",
    }
    for text, needle in bad.items():
        p.write_text(text)
        with pytest.raises(InputError, match=None) as exc:
            load_villages(str(p))
        assert needle in str(exc.value) and str(p) in str(exc.value)


def test_season_multiplier_wraps_and_multiplies():
    cfg = DemandConfig(calendar=(CalendarEvent("a", 364, 4, 2.0), CalendarEvent("b", 1, 1, 3.0)))
    m = season_multiplier(cfg, start_doy=362, horizon_d=6)  # doy 362,363,364,365,1,2
    assert list(m) == [1, 1, 2, 2, 6, 2]


def test_daily_means_follow_residents_calendar_and_growth():
    sc = Scenario(horizon_d=365, start_doy=1, warmup_d=0)
    res = np.array([1000.0, 500.0])
    m = daily_means(sc, res)
    assert m[100, 0] == pytest.approx(1000 * 5 / 365)
    assert m[314, 0] / m[100, 0] == pytest.approx(3.0)  # 11 November
    g = with_(sc, "demand", growth_per_y=0.4, calendar=())
    mg = daily_means(g, res)
    assert mg[-1, 1] / mg[0, 1] == pytest.approx(1.4 ** (364 / 365))


def test_the_warm_up_is_simulated_before_the_window_on_the_calendar():
    """start_doy is the window's first day; the run starts warmup_d days earlier,
    and growth counts from the window's first day."""
    sc = Scenario(horizon_d=100, start_doy=320, warmup_d=10)   # window from 16 November
    assert sc.run_days == 110 and sc.first_doy == 310          # the run from 6 November
    res = np.array([365.0])
    m = daily_means(sc, res)
    assert m.shape == (110, 1)
    # Singles' Day (x3, 11-16 November) is run days 5..10, window days -5..0
    assert list(np.flatnonzero(np.isclose(m[:, 0], 3 * 5.0))) == [5, 6, 7, 8, 9, 10]
    g = with_(sc, "demand", growth_per_y=0.4, calendar=())
    mg = daily_means(g, res)[:, 0]
    assert mg[10] == pytest.approx(5.0) and mg[0] == pytest.approx(5.0 * 1.4 ** (-10 / 365))
    # a window opening on 5 January after 10 days starts the run on 361 (wraps the year)
    assert Scenario(start_doy=5, warmup_d=10).first_doy == 360


@pytest.mark.parametrize("dist,k", [("poisson", None), ("negative_binomial", 4.0)])
def test_order_counts_have_the_configured_mean_and_dispersion(dist, k):
    cfg = DemandConfig(distribution=dist, dispersion_k=k or 10.0)
    mean = 12.0
    x = draw_counts(cfg, np.full(200000, mean), np.random.default_rng(5))
    assert x.mean() == pytest.approx(mean, rel=0.01)
    expected_var = mean if dist == "poisson" else mean + mean**2 / k
    assert x.var() == pytest.approx(expected_var, rel=0.03)


def test_order_chunks_are_uniform_over_the_window_and_split_at_cutoffs():
    cfg = DemandConfig(order_window_h=(8.0, 22.0))
    segs = order_segments(cfg, [16.0, 20.0 - 24.0, 30.0])  # 16:00; -4:00 = 20:00; 30:00 = 06:00 (outside)
    assert segs == [(8.0, 16.0), (16.0, 20.0), (20.0, 22.0)]
    villages = np.array([4, 9, 2])
    route = np.array([0, 0, 1])
    chunks = order_chunks(cfg, 3, villages, route, 2, np.array([3000, 1000, 500]), segs, np.random.default_rng(1))
    assert len(chunks) == 3
    t = np.concatenate([c.t_order for c in chunks])
    v = np.concatenate([c.village for c in chunks])
    assert len(t) == 4500 and (v == 4).sum() == 3000 and (v == 2).sum() == 500
    for c, (a, b) in zip(chunks, segs, strict=True):
        assert c.t_order.min() >= 72 + a and c.t_order.max() < 72 + b
        # grouped by route: route 0's villages first, then route 1's
        assert set(c.village[: c.bounds[1]]) <= {4, 9} and set(c.village[c.bounds[1]:]) <= {2}
        assert c.bounds[-1] == len(c)
    assert stats.kstest((t - 80) / 14, "uniform").pvalue > 0.001
    # the stretches get their share of each village's orders
    assert len(chunks[0]) / 4500 == pytest.approx(8 / 14, abs=0.03)


def test_harvest_curve_sums_to_one_season_and_peaks_3_to_5x_the_yearly_mean():
    crop = Crop()
    assert season_length_d(crop) == 123
    share = harvest_share(crop, 1, 365)
    assert share.sum() == pytest.approx(1.0)
    assert np.all(share[31:273] == 0)  # February to September: no lemons
    assert 3.0 <= share.max() * 365 <= 5.0


def test_daily_offers_by_grower_and_variation():
    sc = Scenario(start_doy=1, warmup_d=0, crops=(Crop(daily_cv=0.5, kg_per_resident_y=30.0),))
    grows = np.array([[True, False]])
    kg = daily_offers_kg(sc, np.array([1000.0, 1000.0]), grows, np.random.default_rng(2))
    assert kg.shape == (1, 365, 2) and np.all(kg[0, :, 1] == 0)
    assert kg[0, :, 0].sum() == pytest.approx(30 * 1000, rel=0.1)


def test_routes_cover_served_villages_within_capacity():
    sc = Scenario()
    p = plan(sc)
    served = set(np.flatnonzero(p.network.served))
    on_routes = [v for r in p.routes for v in r.stops]
    assert sorted(on_routes) == sorted(served)
    van = sc.vehicle_types["van"]
    per_day = p.network.residents * sc.demand.parcels_per_resident_y / 365 * sc.lastmile.planning_load_factor
    for r in p.routes:
        if len(r.stops) > 1:
            assert per_day[r.stops].sum() <= van.capacity_parcels + 1e-9
            assert per_day[r.stops].sum() * sc.demand.parcel_kg <= van.capacity_kg + 1e-9
        assert len(r.leg_km) == len(r.stops) + 1


def test_summary_statistics():
    rows = [{"x": v, "y": float("nan") if i == 0 else v} for i, v in enumerate([1.0, 2.0, 3.0, 4.0])]
    s = {r["kpi"]: r for r in summarize(rows, ["x", "y"])}
    assert s["x"]["mean"] == 2.5 and s["x"]["n"] == 4
    assert s["x"]["ci95_half_width"] == pytest.approx(stats.t.ppf(0.975, 3) * np.std([1, 2, 3, 4], ddof=1) / 2)
    assert s["y"]["n"] == 3 and s["y"]["mean"] == 3.0
    assert np.isnan(t_interval([1.0])[1])


@pytest.mark.parametrize("area", [500.0, 1000.0, 2000.0, 3500.0, 5000.0])
@pytest.mark.parametrize("townships, villages", [(20, 370), (11, 209), (40, 600)])
def test_a_generated_county_fills_its_area(area, townships, villages):
    """The convex hull of the villages is within 15% of the county's area (and no
    village lies outside the disc of that area): 1,000 and 3,000 km2 counties differ."""
    from scipy.spatial import ConvexHull

    from sim.config.scenario import CountyConfig
    from sim.county.network import generate_villages

    for seed in range(5):
        cfg = CountyConfig(area_km2=area, townships=townships, villages=villages)
        _, township, xy, _, _, town_xy = generate_villages(cfg, np.random.default_rng(seed))
        hull = ConvexHull(xy).volume
        assert abs(hull / area - 1.0) <= 0.15, (area, townships, villages, seed, hull)
        radius = np.sqrt(area / np.pi)
        assert np.hypot(*xy.T).max() <= radius * (1 + 1e-9)
        # every village belongs to its nearest township seat
        d = np.hypot(xy[:, None, 0] - town_xy[None, :, 0], xy[:, None, 1] - town_xy[None, :, 1])
        assert np.array_equal(np.argmin(d, axis=1), township)


def test_small_counties_still_reach_their_edge():
    """With few villages the hull is necessarily smaller; the extent (the disc through
    the farthest village) still matches the area within 15%."""
    from sim.config.scenario import CountyConfig
    from sim.county.network import generate_villages

    for area in (500.0, 5000.0):
        for seed in range(10):
            _, _, xy, _, _, _ = generate_villages(CountyConfig(area_km2=area, townships=3, villages=25),
                                                  np.random.default_rng(seed))
            extent = np.pi * np.hypot(*xy.T).max() ** 2
            assert abs(extent / area - 1.0) <= 0.15


def test_terrain_sets_circuity_and_speed_and_overrides_win():
    from sim.config.scenario import scenario_from_data

    net = tiny_net()
    nodes = np.array([0, 1])
    out = {}
    for terrain in ("plain", "hilly", "mountain"):
        sc = scenario_from_data({"county": {"terrain": terrain}}, "t.yaml")
        out[terrain] = road_matrices(net, nodes, sc, sc.vehicle_types["van"])
    # hub -> A runs on the county road: 10 km straight, circuity 1.2 / 1.3 / 1.5
    assert [out[t][0][0, 1] for t in ("plain", "hilly", "mountain")] == pytest.approx([12.0, 13.0, 15.0])
    # and at the van's county speed (50 km/h) times 1.1 / 1.0 / 0.75
    assert out["plain"][1][0, 1] == pytest.approx(12.0 / (50 * 1.1))
    assert out["mountain"][1][0, 1] == pytest.approx(15.0 / (50 * 0.75))
    sc = scenario_from_data({"county": {"terrain": "mountain", "circuity_county": 1.25}}, "t.yaml")
    dist, _ = road_matrices(net, nodes, sc, sc.vehicle_types["van"])
    assert dist[0, 1] == pytest.approx(12.5)


def test_villages_lie_as_far_from_their_township_seat_as_equal_cells_imply():
    """Township seats tile the disc into cells of about area / townships each; for a
    village uniform in a round cell of area A the median distance to its centre is
    sqrt(A / (2 pi)) (half the area lies within it): about 4.0 km for the baseline's
    2,000 km2 and 20 townships (docs/model.md)."""
    from sim.config.scenario import CountyConfig
    from sim.county.network import generate_villages

    for area, townships in ((2000.0, 20), (1000.0, 10), (3000.0, 40)):
        medians = []
        for seed in range(20):
            cfg = CountyConfig(area_km2=area, townships=townships, villages=370)
            _, township, xy, _, _, town_xy = generate_villages(cfg, np.random.default_rng(seed))
            medians.append(np.median(np.hypot(*(xy - town_xy[township]).T)))
        expected = np.sqrt(area / townships / (2 * np.pi))
        assert abs(np.mean(medians) / expected - 1.0) < 0.1, (area, townships, np.mean(medians), expected)
