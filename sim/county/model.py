"""One county wired once: the network and its routes, then its components (the
order and produce sources, trunk, hub, last mile and stations) and the SimPy
processes of daily demand and harvest. Running it leaves each component answering
for what it holds and did, from which :mod:`sim.county.kpis` computes the KPIs and
:mod:`sim.county.conservation` checks that nothing was lost."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import simpy

from sim.config.scenario import LastMileConfig, Scenario
from sim.county import demand, harvest
from sim.county.batches import Lots
from sim.county.boxes import CityOrders
from sim.county.buses import ProduceOnly, bus_config, bus_vehicle
from sim.county.frequency import service_days
from sim.county.hub import Hub, HubActivity
from sim.county.lastmile import LastMile
from sim.county.planning import Plan, plan
from sim.county.quality import Quality
from sim.county.rng import Streams
from sim.county.sorting import UnitDraws
from sim.county.stations import StationActivity, Stations
from sim.county.township import Feeders, TownshipActivity, Townships, outlet_villages
from sim.county.triplog import LastMileActivity
from sim.county.trunk import Trunk, TrunkActivity


@dataclass(frozen=True)
class Activity:
    """What every component did over the KPI window."""
    orders: demand.OrderActivity
    offers: harvest.OfferActivity
    trunk: TrunkActivity
    hub: HubActivity
    lastmile: LastMileActivity
    stations: StationActivity
    feeders: LastMileActivity | None = None        # two tiers: the feeder routes
    townships: TownshipActivity | None = None      # two tiers: the township stations
    buses: LastMileActivity | None = None          # bus lines added to the vans (or township vehicles)


@dataclass
class DayLog:
    """End-of-day snapshots of the stocks (one entry per day)."""
    warehouse_parcels: list
    hub_parcels: list
    station_kg: list
    hub_kg: list


class CountyModel:
    """A county for one replication: build, :meth:`run`, then read the components."""

    def __init__(self, scenario: Scenario, replication: int, the_plan: Plan | None = None, *,
                 trace: bool = False, monitor_h: float | None = None,
                 demand_scale: np.ndarray | None = None, produce_scale: np.ndarray | None = None):
        """``trace``: record every trunk run, sort lot, vehicle trip, station arrival,
        collection and sale in ``trace_log`` as (time h, kind, details); with two tiers
        also the feeders' as ``feeder_...`` (stops named by township) and each township
        station's finished transfers (``transfer_done``). ``monitor_h``:
        sample the stocks every so many hours into ``samples`` (for Little's law).
        ``demand_scale`` and ``produce_scale`` multiply each village's orders and
        produce (a rollout's adoption shares)."""
        self.scenario = scenario
        self.replication = replication
        self.plan = the_plan if the_plan is not None else plan(scenario)
        self.streams = Streams(scenario.seed, replication)
        self.env = simpy.Environment()
        net, sc = self.plan.network, scenario
        self.horizon_h = 24.0 * sc.run_days  # warm-up, then the KPI window; time 0 is the run's start
        # demand and harvest drawn for every village ahead of the run (common random numbers
        # across station coverage), then restricted to served villages
        means = demand.daily_means(sc, net.residents if demand_scale is None else net.residents * demand_scale)
        counts = demand.draw_counts(sc.demand, means, self.streams["orders"])
        outlet = outlet_villages(sc, net)
        if outlet.any():   # residents of villages without a station who collect at their township's
            counts[:, outlet] = self.streams["outlets"].binomial(counts[:, outlet], sc.township.outlet_collect_share)
        counts[:, ~(net.served | outlet)] = 0
        self.orders = demand.Orders(counts)
        offers_kg = harvest.daily_offers_kg(sc,
                                            net.residents if produce_scale is None else net.residents * produce_scale,
                                            self.plan.grows, self.streams["harvest"])
        offers_kg[:, :, ~net.served] = 0.0
        self.offers = harvest.Offers(offers_kg)
        # city customers' orders for boxes (produce_parcels.demand: orders), drawn ahead of the run
        self.city_orders = CityOrders(sc, self.streams["box_orders"]) if sc.produce_parcels.demand == "orders" else None
        self.spoiled: list[tuple[float, float]] = []  # (time h, kg)
        self.spoiled_crops: list[np.ndarray] = []     # kg per crop, one entry per entry of ``spoiled``
        self.spoiled_parcel_kg: list[float] = []      # of which produce parcels
        # bought at the stations by the local trader: (time h, kg per crop, CNY per crop)
        self.traded: list[tuple[float, np.ndarray, np.ndarray]] = []
        # components
        shelf_h = np.array([c.shelf_life_d * 24.0 for c in sc.crops])
        self.quality = Quality(sc.market, sc.crops, sc.first_doy)
        cold_factor = self.quality.cold_factor
        self.shelf_h = shelf_h
        feeder = self.plan.feeder
        # the routes that leave the hub: the village routes, or with two tiers the feeders
        self.hub_routes = len(self.plan.routes) if feeder is None else len(feeder.routes)
        self.hub = Hub(self.env, sc.hub, self.plan.route_of_village if feeder is None else feeder.hub_route_of_village,
                       self.hub_routes,
                       UnitDraws(self.streams["sorting"], sc.hub.sort_time_distribution, sc.hub.sort_time_cv),
                       cold_factor, surge=sc.surge)
        self.trunk = Trunk(self.env, sc.trunk, sc.city, self.hub, sc.demand.parcel_kg, self._spoil, surge=sc.surge)
        if sc.market.reefer_trunk:
            self.trunk.reefer_factor = self.quality.reefer_factor
        if self.city_orders is not None and self.city_orders.at_hub:
            self.hub.packer = self._pack_at_hub
        if sc.market.hold_at_cold_store and sc.hub.cold_store_kg > 0:
            self.hub.holder = self._hold
        lm_cfg = sc.lastmile if feeder is None else self.tier_config(village=True)
        vehicle = sc.vehicle_types[lm_cfg.vehicle_type]
        replacing = sc.buses.mode == "replacing"
        if replacing:
            lm_cfg, vehicle = bus_config(sc), bus_vehicle(sc)
        available, travel = self._fleet_draws(lm_cfg, len(self.plan.routes), "fleet", "travel")
        # the days each village route runs (None: every day)
        self.service = None if sc.service.daily else service_days(sc, net, self.plan.routes)
        if self.service is not None:
            available &= self.service[None]
        soonest = sc.stations.hand_over_first == "soonest_to_spoil"
        self.stations = Stations(self.env, net.n, self._spoil, cold_room_kg=sc.stations.cold_room_kg,
                                 cold_factor=cold_factor, soonest_first=soonest)
        self.feeders: Feeders | None = None
        self.townships: Townships | None = None
        source: Hub | Townships = self.hub
        if feeder is not None:
            self.townships = source = Townships(self.env, self.plan.route_of_village, len(self.plan.routes),
                                                len(feeder.open_townships), sc.township.storage_kg,
                                                Stations(self.env, net.n, self._spoil,
                                                         cold_room_kg=sc.township.cold_room_kg,
                                                         cold_factor=cold_factor, room_of=net.township,
                                                         soonest_first=soonest),
                                                sc.township.outlet_pickup_delay_h)
            f_cfg = self.tier_config(village=False)
            f_available, f_travel = self._fleet_draws(f_cfg, len(feeder.routes), "feeder_fleet", "feeder_travel")
            self.feeders = Feeders(self.env, f_cfg, sc.vehicle_types[f_cfg.vehicle_type], feeder.routes, self.hub,
                                   sc.demand.parcel_kg, len(net.township_xy_km), sc.run_days, f_available, f_travel,
                                   self.townships.store, surge=sc.surge, townships=self.townships,
                                   township_of_village=np.where(net.served | outlet, net.township, -1),
                                   transfer_h=sc.township.transfer_h,
                                   transfer_parcels_per_h=sc.township.transfer_parcels_per_h)
        # the village routes' vehicles take parcels from the hub, or with two tiers from the township stations,
        # which answer the same calls
        self.lastmile = LastMile(self.env, lm_cfg, vehicle, self.plan.routes, source, sc.demand.parcel_kg,  # type: ignore[arg-type]
                                 net.n, sc.run_days, available, travel, self.stations,
                                 surge=None if replacing else sc.surge,
                                 route_vehicles=None if replacing or self.plan.route_vehicle is None
                                 else [sc.vehicle_types[name] for name in self.plan.route_vehicle])
        self.lastmile.serve_day = self.service
        self.buses: LastMile | None = None
        if self.plan.bus_lines is not None:   # buses added to the vans: they collect produce on every run
            b_cfg, lines = bus_config(sc), self.plan.bus_lines
            b_available, b_travel = self._fleet_draws(b_cfg, len(lines), "bus_fleet", "bus_travel")
            # the produce goes to the hub, or with two tiers to the line's township station for the feeders
            drop = ProduceOnly(self.hub if self.townships is None else self.townships, len(lines))
            self.buses = LastMile(self.env, b_cfg, bus_vehicle(sc), lines, drop,  # type: ignore[arg-type]
                                  sc.demand.parcel_kg, net.n, sc.run_days, b_available, b_travel, self.stations)
        self.days = DayLog([], [], [], [])
        # served villages in route and stop order: a day's orders come out grouped by route
        self._ordering = np.concatenate([r.stops for r in self.plan.routes]).astype(np.int64) \
            if self.plan.routes else np.empty(0, np.int64)
        if feeder is not None:  # grouped by the hub's routes, the feeders'; outlet villages too
            self._ordering = np.concatenate([self._ordering, np.flatnonzero(outlet)])
            self._ordering = self._ordering[np.argsort(feeder.hub_route_of_village[self._ordering], kind="stable")]
        self._ordering_route = self.hub.route_of_village[self._ordering]
        # growers with a station (offers elsewhere were zeroed above)
        self._growers = [np.flatnonzero(offers_kg[c].any(axis=0)) for c in range(len(sc.crops))]
        self._offer_days: npt.NDArray[np.bool_] = np.any(offers_kg, axis=2)  # (crops, days)
        self.ran = False
        self._trace: list = []  # what _record appends to, shown as trace_log when tracing
        self.trace_log: list | None = self._trace if trace else None
        if trace:
            for component in (self.trunk, self.hub, self.lastmile):
                component.tracer = self._record
            if self.feeders is not None:
                self.feeders.tracer = self._record_feeder
        self.monitor_h = monitor_h
        self.samples: dict[str, list] = {k: [] for k in ("t_h", "hub_parcels", "vehicle_parcels", "station_kg",
                                                          "hub_ambient_kg", "cold_kg")}

    @property
    def components(self) -> tuple:
        """Every component that answers for its activity, sources first."""
        tiers: tuple = () if self.feeders is None else (self.feeders, self.townships)
        tiers += () if self.buses is None else (self.buses,)
        return (self.orders, self.offers, self.trunk, self.hub, self.lastmile, self.stations, *tiers)

    def activity(self) -> Activity:
        """What the components did since the KPI window started (the end of the
        warm-up, or the start of the run)."""
        return Activity(self.orders.activity(), self.offers.activity(), self.trunk.activity(), self.hub.activity(),
                        self.lastmile.activity(), self.stations.activity(),
                        feeders=None if self.feeders is None else self.feeders.activity(),
                        townships=None if self.townships is None else self.townships.activity(),
                        buses=None if self.buses is None else self.buses.activity())

    def tier_config(self, village: bool) -> LastMileConfig:
        """With two tiers, the `lastmile` keys with the vehicles, fleet and schedule of
        the village routes (``village``) or of the feeders, from the `township` keys."""
        sc, tw = self.scenario, self.scenario.township
        if village:
            return dataclasses.replace(sc.lastmile, vehicle_type=tw.vehicle_type,
                                       vehicles_per_route=tw.vehicles_per_route, departures_h=tw.departures_h,
                                       max_route_h=tw.max_route_h)
        return dataclasses.replace(sc.lastmile, vehicle_type=tw.feeder_vehicle_type,
                                   vehicles_per_route=tw.feeder_vehicles_per_route,
                                   departures_h=tw.feeder_departures_h, max_route_h=tw.feeder_max_route_h)

    def _fleet_draws(self, cfg: LastMileConfig, n_routes: int, fleet: str, travel: str):
        """Vehicle availability (own vehicles, days, routes) and travel-time factors
        (own then extra vehicles, days, routes, departure slots) from the named streams."""
        sc = self.scenario
        # vehicle-major draws: adding vehicles leaves the first vehicles' days unchanged (common random numbers)
        available = self.streams[fleet].random((cfg.vehicles_per_route, sc.run_days, n_routes)) < cfg.availability
        cv = cfg.travel_time_cv
        s2 = np.log1p(cv**2)
        # a travel-time factor per (vehicle, day, route, departure slot), vehicle-major like availability;
        # the extra vehicles a route may hire come after its own
        slots = len(set(cfg.departures_h) | set(cfg.pickup_departures_h))
        extra = sc.surge.extra_vehicles_max if sc.surge.enabled else 0
        shape = (cfg.vehicles_per_route + extra, sc.run_days, n_routes, slots)
        factors = self.streams[travel].lognormal(-s2 / 2, np.sqrt(s2), shape) if cv > 0 else np.ones(shape)
        return available, factors

    def _record(self, kind: str, t: float, **details) -> None:
        self._trace.append((round(float(t), 9), kind, details))

    def _record_feeder(self, kind: str, t: float, **details) -> None:
        """A feeder's event: its kind prefixed ``feeder_`` (but ``transfer_done``, the
        township station's), its stop named as the township it is."""
        if "village" in details:
            details["township"] = details.pop("village")
        self._record(kind if kind == "transfer_done" else f"feeder_{kind}", t, **details)

    def _monitor(self, every_h: float):
        """Process: sample the stocks every ``every_h`` hours."""
        # an offset off the hour, so samples never coincide with scheduled departures and arrivals
        yield self.env.timeout(0.0137 * every_h)
        while True:
            now = self.env.now
            s = self.samples
            s["t_h"].append(now)
            s["hub_parcels"].append(self.hub.parcels_in_hub)
            s["vehicle_parcels"].append(self.lastmile.parcels_aboard(now))
            s["station_kg"].append(self.stations.kg_waiting(now))
            s["hub_ambient_kg"].append(self.hub.ambient_kg)
            s["cold_kg"].append(self.hub.cold_kg)
            yield self.env.timeout(every_h)

    def _spoil(self, lots: Lots) -> None:
        if len(lots):
            self.spoiled.append((float(self.env.now), lots.total_kg))
            self.spoiled_crops.append(np.bincount(lots.crop, weights=lots.kg, minlength=len(self.scenario.crops)))
            self.spoiled_parcel_kg.append(float(lots.kg[lots.channel == 1].sum()))

    def _to_trader(self) -> None:
        """``market.trader_takes_uncollected``: the local trader buys what has waited at
        the stations ``trader_wait_h`` or longer, at its share of the day's price."""
        lots = self.stations.to_trader(self.scenario.market.trader_wait_h)
        if len(lots):
            n = len(self.scenario.crops)
            price = self.scenario.market.trader_price_share * self.quality.price_at(
                lots.crop, np.full(len(lots), float(self.env.now)))
            self.traded.append((float(self.env.now), np.bincount(lots.crop, weights=lots.kg, minlength=n),
                                np.bincount(lots.crop, weights=lots.kg * price, minlength=n)))

    def _pack_at_hub(self) -> None:
        """``produce_parcels.packing: hub``: as produce arrives at the hub, pack what is
        still unfilled of each crop's city orders of the day (placed at its offer hour)."""
        orders, now = self.city_orders, float(self.env.now)
        assert orders is not None
        day = min(int(now // 24.0), self.scenario.run_days - 1)
        for c, crop in enumerate(self.scenario.crops):
            left = int(orders.ordered[c, day] - orders.filled[c, day])
            if left > 0 and now >= 24.0 * day + crop.offer_h:
                placed = 24.0 * day + crop.offer_h
                n = orders.fill(self.hub.ambient, c, day, now, left, placed)
                if left > n:
                    orders.fill(self.hub.cold, c, day, now + orders.packing_h * n, left - n, placed)

    def traded_kg(self, since_h: float = -1.0) -> float:
        """Kilograms the trader bought at the stations after ``since_h`` (default: the whole run)."""
        return float(sum(kg.sum() for t, kg, _ in self.traded if t > since_h))

    def _hold(self, crop: np.ndarray, cold_expiry_h: np.ndarray, now: float, t_market: float) -> np.ndarray:
        """The hub's holding policy (``market.hold_at_cold_store``): cold-store lots to keep."""
        sc = self.scenario
        return self.quality.hold(crop, cold_expiry_h, now, t_market - now, sc.hub.cold_cost_per_kg_d,
                                 sc.market.hold_horizon_d)

    def _day(self, run_days: int):
        """Process: at each midnight, log the day that ended, clear out spoiled produce,
        open the KPI window on its first day (after ``warmup_d`` days), then place the
        new day's orders and produce offers."""
        sc = self.scenario
        rng_times = self.streams["order_times"]
        offer_h = np.array([c.offer_h for c in sc.crops])
        segments = demand.order_segments(sc.demand, [h - sc.trunk.cutoff_before_departure_h
                                                     for h in sc.trunk.departures_h])
        for day in range(run_days):
            if day:
                yield self.env.timeout(24.0)
                self._end_of_day()
            if day == sc.warmup_d and day:
                for component in self.components:
                    component.reset_window()
            counts = self.orders.place(day)[self._ordering]
            offers_kg = self.offers.place(day)
            if counts.any():
                self.trunk.order(demand.order_chunks(sc.demand, day, self._ordering, self._ordering_route,
                                                     self.hub_routes, counts, segments, rng_times))
            for c, idx in enumerate(self._growers):
                if not self._offer_days[c, day]:
                    continue
                kg = offers_kg[c, idx]
                pick = kg > 0
                t = 24.0 * day + offer_h[c]
                lots = Lots(idx[pick], c, t, t + self.shelf_h[c], kg[pick])
                share = sc.crops[c].parcel_share
                if share > 0:  # the parcel channel's part of each lot, beside the bulk part
                    parcels = Lots._wrap(lots.a.copy())
                    parcels.a[Lots.KG] *= share
                    parcels.a[Lots.CHANNEL] = 1.0
                    lots.a[Lots.KG] -= parcels.a[Lots.KG]
                    lots = Lots._wrap(np.concatenate([parcels.a, lots.a[:, lots.a[Lots.KG] > 0]], axis=1))
                self.stations.offer(lots)
            if self.city_orders is not None and not self.city_orders.at_hub:
                for c in range(len(sc.crops)):
                    self.city_orders.fill(self.stations.lots, c, day, 24.0 * day + offer_h[c])

    def _end_of_day(self) -> None:
        self.stations.purge()
        if self.scenario.market.trader_takes_uncollected:
            self._to_trader()
        if self.townships is not None:
            self.townships.store.purge()
        self._spoil(self.hub.purge())
        self.days.warehouse_parcels.append(self.trunk.warehouse_parcels)
        self.days.hub_parcels.append(self.hub.parcels_in_hub)
        self.days.station_kg.append(self.stations.produce_kg)
        self.days.hub_kg.append(self.hub.produce_kg)

    def run(self) -> CountyModel:
        """Simulate the warm-up and the KPI window; the state is left as it is at the end."""
        if self.ran:
            raise RuntimeError("a CountyModel runs once; build a new one for another run")
        sc = self.scenario
        self.env.process(self._day(sc.run_days))
        if self.monitor_h:
            self.env.process(self._monitor(self.monitor_h))
        self.trunk.start(sc.run_days)
        self.lastmile.start(sc.run_days)
        if self.feeders is not None:
            self.feeders.start(sc.run_days)
        if self.buses is not None:
            self.buses.start(sc.run_days)
        self.env.run(until=self.horizon_h)
        self._end_of_day()
        self._trace.sort(key=lambda e: e[0])   # components may record an instant's events late (sorting)
        self.ran = True
        return self
