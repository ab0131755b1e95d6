"""Findings of the township tier, service frequency and bus lines (built like those of
:mod:`sim.experiments.findings`, from ``experiments/township_tier.yaml``,
``service_frequency.yaml``, ``bus_lines.yaml``, ``township_bus_lines.yaml``,
``township_fleets.yaml`` and their sensitivities)."""
from __future__ import annotations

import itertools

from sim.analysis.statistics import t_interval
from sim.experiments.finding import Finding, Interval, Result, and_list, and_list_text, moves

VEHICLES = ("van", "e_tricycle", "walking_tractor")
FLEETS = {"van": "vans alone", "e_tricycle": "e-tricycles alone", "e_tricycle_then_van": "e-tricycles, then a van"}


def township_tier(tt: Result, drivers: Result) -> Finding:
    cost = {v: tt.diff("cost_per_parcel_cny", {"name": f"two_tier_{v}"}, {"name": "one_tier_van"}) for v in VEHICLES}
    lead = {v: tt.diff("inbound_lead_time_mean_h", {"name": f"two_tier_{v}"}, {"name": "one_tier_van"})
            for v in VEHICLES}
    remote = {v: tt.diff("inbound_lead_time_remote_decile_h", {"name": f"two_tier_{v}"}, {"name": "one_tier_van"})
              for v in VEHICLES}
    # the township tier's own costs per parcel delivered (their whole cost), and the rest of the difference in
    # cost per parcel (mostly the village routes' fleets against the one-tier vans), replication by replication
    feeders = {v: tt.ratio("cost_feeders_cny", "inbound_parcels_delivered", f"two_tier_{v}") for v in VEHICLES}
    towns = {v: tt.ratio("cost_township_stations_cny", "inbound_parcels_delivered", f"two_tier_{v}")
             for v in VEHICLES}
    rest = {v: _rest(tt, v) for v in VEHICLES}
    spoil = {v: tt.mean("spoilage_rate", f"two_tier_{v}") for v in VEHICLES}
    spoil1 = {v: tt.mean("spoilage_rate", f"one_tier_{v}") for v in VEHICLES}
    pay = [150, 75, 0]
    flip = {p: drivers.diff("cost_per_parcel_cny", {"name": "two_tier_walking_tractor", "driver_per_day_cny": p},
                            {"name": "one_tier_van", "driver_per_day_cny": p}) for p in pay}
    cheapest = min(VEHICLES, key=lambda v: cost[v].mean)
    base_lead = tt.mean("inbound_lead_time_mean_h", "one_tier_van")
    two = next(sp for sp in tt.exp.scenarios if sp.name == "two_tier_e_tricycle").scenario
    trike_kg = two.vehicle_types["e_tricycle"].capacity_kg
    hours = {k: and_list_text([f"{int(h)}:{round(h % 1 * 60):02d}" for h in getattr(two.township, k)])
             for k in ("feeder_departures_h", "departures_h")}
    if all(cost[v].low > 0 for v in VEHICLES):
        dearer = (f"raises cost per parcel over vans from the hub by {cost[cheapest].text('CNY')} at the "
                  f"least (with {cheapest.replace('_', ' ')}s on the village leg)")
    else:   # a village-leg vehicle with which the tier is not (significantly) dearer: its difference, named
        dearer = (f"changes cost per parcel over vans from the hub by {cost[cheapest].text('CNY', signed=True)}"
                  f"{'' if cost[cheapest].significant else ' (not significant)'} with "
                  f"{cheapest.replace('_', ' ')}s on the village leg (the cheapest)")
    return Finding(
        "township_tier", "A township tier and the vehicle of the village leg",
        f"A township tier (vans feeding township stations, each serving its villages with its own routes) "
        f"{dearer} and {moves('mean lead time', lead[cheapest], base_lead, 'h', s='s')}; with e-tricycles on the "
        f"village leg "
        f"{spoil['e_tricycle'].text('', scale=100)}% of the produce spoils (vans from the hub: "
        f"{spoil1['van'].text('', scale=100)}%).",
        [(f"two tiers, {v.replace('_', ' ')}: cost per parcel vs one tier of vans", cost[v].text("CNY", signed=True))
         for v in VEHICLES]
        + [(f"two tiers, {v.replace('_', ' ')}: mean lead time", lead[v].text("h", signed=True)) for v in VEHICLES]
        + [(f"two tiers, {v.replace('_', ' ')}: most remote decile's lead time", remote[v].text("h", signed=True))
           for v in VEHICLES]
        + [(f"two tiers, {v.replace('_', ' ')}: the feeders' cost per parcel delivered", feeders[v].text("CNY"))
           for v in VEHICLES]
        + [(f"two tiers, {v.replace('_', ' ')}: the township stations' cost per parcel delivered",
            towns[v].text("CNY")) for v in VEHICLES]
        + [(f"two tiers, {v.replace('_', ' ')}: the rest of the difference in cost per parcel", rest[v].text(
            "CNY", signed=True)) for v in VEHICLES]
        + [(f"two tiers, {v.replace('_', ' ')}: spoilage", spoil[v].text("%", scale=100)) for v in VEHICLES]
        + [(f"one tier, {v.replace('_', ' ')}: spoilage", spoil1[v].text("%", scale=100)) for v in VEHICLES],
        f"Of the {cost[cheapest].text('CNY', signed=True)} with {cheapest.replace('_', ' ')}s, the feeders cost "
        f"{feeders[cheapest].text('CNY')} and the township stations (running cost and capital, `township.*`, [G], "
        f"and the transfer) {towns[cheapest].text('CNY')} a parcel delivered (their whole cost); the rest, "
        f"{rest[cheapest].text('CNY', signed=True)}, is mostly the townships' own village fleets (a vehicle and a "
        "driver a day per village route) against the one-tier vans' (with vans on the village leg "
        f"{rest['van'].text('CNY', signed=True)}). Spoilage "
        f"follows the village-leg vehicle's room for produce on the way back ({trike_kg:g} kg on an e-tricycle). The "
        f"feeders leave at {hours['feeder_departures_h']} and the village routes at {hours['departures_h']} "
        "(`township.feeder_departures_h`, `township.departures_h`).",
        _drivers_flip(flip),
        [(f"tractor drivers at {p} CNY/d: two tiers minus one tier, cost per parcel",
          flip[p].text("CNY", signed=True)) for p in pay],
        ["experiments/township_tier.yaml", "experiments/sensitivity/township_drivers.yaml"])


def _drivers_flip(by_pay: dict[int, Interval]) -> str:
    """Whether the township tier with walking tractors on the village leg is dearer per
    parcel than vans from the hub, by the tractor drivers' day pay (CNY -> the paired
    difference), a direction claimed only where its interval excludes 0."""
    cheaper = sorted(p for p, d in by_pay.items() if d.high < 0)
    dearer = sorted(p for p, d in by_pay.items() if d.low > 0)
    none = sorted(p for p, d in by_pay.items() if not d.significant)
    tried = f"{min(by_pay)}-{max(by_pay)} CNY a day tried"
    lead = "With walking tractors on the village leg, the township tier"
    if len(dearer) == len(by_pay):
        return (f"{lead} stays dearer per parcel than vans from the hub "
                + ("even with unpaid drivers" if min(by_pay) == 0 else "at every pay") + f" ({tried}).")
    words = [(cheaper, "cheaper", "cheaper"), (dearer, "dearer", "dearer"),
             (none, "neither significantly cheaper nor dearer", "not significantly different")]
    parts: list[str] = []
    for pays, first, then in words:
        if pays:
            parts.append(f"{then} at {and_list(pays)}" if parts else
                         f"is {first} per parcel than vans from the hub when its drivers cost {and_list(pays)} CNY "
                         "a day")
    return f"{lead} {'; '.join(parts)} ({tried})."


def _rest(tt: Result, v: str):
    """Two tiers with ``v`` on the village leg minus one tier of vans, cost per parcel, less the feeders' and
    the township stations' cost per parcel delivered: paired replication by replication."""
    two, one = f"two_tier_{v}", "one_tier_van"
    per = tt.values("inbound_parcels_delivered", two)
    d = [a - b - (f + t) / n for a, b, f, t, n in zip(
        tt.values("cost_per_parcel_cny", two), tt.values("cost_per_parcel_cny", one),
        tt.values("cost_feeders_cny", two), tt.values("cost_township_stations_cny", two), per, strict=True)]
    m, hw, _ = t_interval(d)
    return Interval(m, hw)


def _frequency_drivers(sf: Result, cost: dict) -> str:
    """What drives the cost of serving remote villages every other day, tier by tier, from the
    runs' routes and last-mile trips (the sign can differ between the tiers)."""
    parts = []
    more = {}
    for t in (1, 2):
        routes = [sf.mean("routes", tiers=t, remote_every_d=k).mean for k in (1, 2)]
        trips = [sf.mean("lastmile_trips", tiers=t, remote_every_d=k) for k in (1, 2)]
        more[t] = trips[1].low > trips[0].high
        way = "rises" if cost[t, 2].low > 0 else "falls" if cost[t, 2].high < 0 else "does not change significantly"
        drawn = (f"{routes[0]:.0f} routes become {routes[1]:.0f}" if round(routes[0]) != round(routes[1])
                 else f"the {routes[0]:.0f} routes stay")
        parts.append(f"with {t} tier{'s' if t > 1 else ''} cost per parcel {way}: {drawn} and last-mile trips a "
                     f"year go from {trips[0].text()} to {trips[1].text()}")
    why = ""
    if more[1] and not more[2]:
        why = (" In one tier the remote villages get routes of their own instead of sharing the near villages' "
               "(a route carrying two days of parcels fills its vehicle with fewer villages), so there are more "
               "trips, not fewer; with two tiers each township's routes serve its own villages already, and the "
               "remote townships' run half as often.")
    return ("Routes that run every k days take turns, so a vehicle and driver serve k routes (`service`, [G]), and "
            "each is planned for k days of parcels. What that does to cost depends on how the routes are drawn: "
            + "; ".join(parts) + "." + why)


def _spoilage_room(sf: Result, room: Result) -> tuple[str, list[tuple[str, str]]]:
    """Why one-tier spoilage need not rise with the service interval: the vans' room for
    produce on the way back against the interval, from the vans as shipped (``sf``) and
    the same service with vans of more room (``room``, routes unchanged). Returns the
    words for what drives the finding and the rows for its table."""
    caps = sorted({float(v) for s in room.exp.scenarios for k, v in s.values.items() if k.endswith("capacity_kg")})
    small, large = caps[0], caps[-1]
    ks = (1, 2, 3)
    ship = [sf.mean("spoilage_rate", tiers=1, remote_every_d=k) for k in ks]
    roomy = [room.mean("spoilage_rate", remote_every_d=k, capacity_kg=large) for k in ks]
    routes = [sf.mean("routes", tiers=1, remote_every_d=k).mean for k in ks]
    same_routes = all(room.mean("routes", remote_every_d=k, capacity_kg=large).mean
                      == room.mean("routes", remote_every_d=k, capacity_kg=small).mean for k in ks)
    room_less = [room.diff("spoilage_rate", {"remote_every_d": k, "capacity_kg": large},
                           {"remote_every_d": k, "capacity_kg": small}) for k in ks]
    wait = room.diff("spoilage_rate", {"remote_every_d": 3, "capacity_kg": large},
                     {"remote_every_d": 1, "capacity_kg": large})
    pct = [iv.text("%", scale=100) for iv in ship]
    text = (f" With one tier spoilage is {pct[0]} daily, {pct[1]} every other day and {pct[2]} every third day")
    if all(d.high < 0 for d in room_less) and same_routes:
        share = min(-d.mean / s.mean for d, s in zip(room_less, ship, strict=True) if s.mean > 0)
        text += (f": the vans' room for produce on the way back ({small:,.0f} kg, `vehicle_types.van.capacity_kg`, "
                 f"[G]) sets most of it (vans of {large:,.0f} kg on the same routes remove at least {share:.0%} of "
                 f"it at each interval), and the routes drawn for less frequent service add vans ({routes[0]:.0f}, "
                 f"{routes[1]:.0f} and {routes[2]:.0f} routes)")
        if wait.significant:
            size = Interval(abs(wait.mean), wait.half_width).text("points", scale=100)
            text += (f"; with room to spare, serving every third day instead of daily "
                     f"{'adds' if wait.mean > 0 else 'removes'} {size}")
    text += "."
    rows = ([(f"1 tier, vans of {small:,.0f} kg, every {k} day(s): spoilage", ship[i].text("%", scale=100))
             for i, k in enumerate(ks)]
            + [(f"1 tier, vans of {large:,.0f} kg, every {k} day(s): spoilage", roomy[i].text("%", scale=100))
               for i, k in enumerate(ks)])
    return text, rows


def service_frequency(sf: Result, room: Result) -> Finding:
    gap = {(t, k): sf.diff("inbound_lead_time_remote_decile_h", {"tiers": t, "remote_every_d": k},
                           {"tiers": t, "remote_every_d": 1}) for t in (1, 2) for k in (2, 3)}
    gini = {(t, k): sf.mean("inbound_lead_time_village_gini", tiers=t, remote_every_d=k) for t in (1, 2)
            for k in (1, 2, 3)}
    cost = {(t, k): sf.diff("cost_per_parcel_cny", {"tiers": t, "remote_every_d": k},
                            {"tiers": t, "remote_every_d": 1}) for t in (1, 2) for k in (2, 3)}
    same = all((gap[2, k].low > 0) == (gap[1, k].low > 0) for k in (2, 3))
    far_km = sf.exp.scenarios[0].scenario.service.remote_from_km
    base_gap = sf.mean("inbound_lead_time_remote_decile_h", tiers=1, remote_every_d=1)
    remote_lead = moves("the most remote decile's mean lead time", gap[1, 2], base_gap, "h", s="s")
    spoil_text, spoil_rows = _spoilage_room(sf, room)
    return Finding(
        "service_frequency", "Serving remote villages every second or third day",
        f"Serving villages {far_km:g} km or more from the county seat every other day instead of daily "
        f"{remote_lead} and changes cost per parcel by {cost[1, 2].text('CNY', signed=True)}; the Gini of "
        f"villages' lead times goes from {gini[1, 1].text()} to {gini[1, 2].text()}.",
        [(f"{t} tier{'s' if t > 1 else ''}, every {k} days: most remote decile's lead time",
          gap[t, k].text("h", signed=True)) for t in (1, 2) for k in (2, 3)]
        + [(f"{t} tier{'s' if t > 1 else ''}, every {k} days: cost per parcel", cost[t, k].text("CNY", signed=True))
           for t in (1, 2) for k in (2, 3)]
        + [(f"{t} tier{'s' if t > 1 else ''}, every {k} day(s): Gini of villages' lead times", gini[t, k].text())
           for t in (1, 2) for k in (1, 2, 3)],
        _frequency_drivers(sf, cost) + spoil_text,
        "With two tiers (the townships' own routes run less often, the feeders daily) every other day changes the "
        f"most remote decile's mean lead time by {gap[2, 2].text('h', signed=True)}: "
        + ("the lead-time effect keeps its sign" if same else "the lead-time effect changes sign")
        + _cost_sign_text(cost),
        spoil_rows, ["experiments/service_frequency.yaml", "experiments/sensitivity/service_van_room.yaml"])


def _cost_sign_text(cost: dict) -> str:
    """Whether serving remote villages every other day moves cost per parcel the same way in
    both tiers (signs claimed only where the interval excludes zero)."""
    def sign(iv: Interval) -> int:
        return 1 if iv.low > 0 else -1 if iv.high < 0 else 0
    one, two = sign(cost[1, 2]), sign(cost[2, 2])
    if one and two and one != two:
        return (f"; the cost effect does not: cost per parcel {'rises' if one > 0 else 'falls'} with one tier "
                f"({cost[1, 2].text('CNY', signed=True)}) and {'rises' if two > 0 else 'falls'} with two "
                f"({cost[2, 2].text('CNY', signed=True)}).")
    return "."


def bus_lines(bl: Result, fee: Result) -> Finding:
    sold = {m: bl.diff("outbound_produce_sold_kg", {"name": f"buses_{m}"}, {"name": "vans"}) for m in
            ("added", "replacing")}
    base_sold = bl.mean("outbound_produce_sold_kg", "vans")
    cost = {m: bl.diff("cost_per_parcel_cny", {"name": f"buses_{m}"}, {"name": "vans"}) for m in
            ("added", "replacing")}
    base_cost = bl.mean("cost_per_parcel_cny", "vans")
    fees = [1.0, 2.0, 3.0]
    by_fee = {f: fee.diff("cost_per_parcel_cny", {"name": "buses_replacing", "fee_per_parcel_cny": f},
                          {"name": "vans", "fee_per_parcel_cny": f}) for f in fees}
    bus = next(sp for sp in bl.exp.scenarios if sp.name == "buses_replacing").scenario.buses
    runs = len(bus.departures_h)
    together = [m for m in ("added", "replacing") if cost[m].high < 0 and sold[m].low > 0]
    return Finding(
        "bus_lines", "Passenger bus lines added to the vans or replacing them",
        f"Bus lines added to the vans (collecting produce on {_count(runs)} run{'s' if runs > 1 else ''} a day) "
        f"{moves('produce sold', sold['added'], base_sold, 't', 1e-3)} and "
        f"{_cost_effect(cost['added'], 'leave', 'change')}; replacing the vans they "
        f"{moves('cost per parcel', cost['replacing'], base_cost, 'CNY')} and "
        f"{moves('produce sold', sold['replacing'], base_sold, 't', 1e-3)}. "
        + ("Neither reproduces Hunan's -20% cost with +30% outbound together." if not together else
           f"Buses {together[0]} give lower cost and more produce out together, the direction of Hunan's shared "
           f"routes (-20% cost, +30% outbound)."),
        [(f"buses {m}: produce sold", sold[m].text("t", scale=1e-3, signed=True)) for m in ("added", "replacing")]
        + [(f"buses {m}: cost per parcel", cost[m].text("CNY", signed=True)) for m in ("added", "replacing")],
        f"Buses added carry produce only (the vans keep every parcel); buses replacing carry "
        f"{bus.capacity_parcels_per_run} parcels and {bus.capacity_kg_per_run:g} kg a run (`buses.*`, [G]), so "
        f"produce waits for room in the harvest. The fee per parcel ({bus.fee_per_parcel_cny:g} CNY, [G]) against "
        f"the vans' day costs decides the cost.",
        _fee_flip("the vans", by_fee),
        [(f"fee {f:g} CNY/parcel: buses replacing minus vans, cost per parcel", by_fee[f].text("CNY", signed=True))
         for f in fees],
        ["experiments/bus_lines.yaml", "experiments/sensitivity/bus_fee.yaml"])


def _zero(by_x: dict) -> float:
    """Where a difference that grows with x crosses zero, by linear interpolation
    between the two tried values around it."""
    xs = sorted(by_x)
    for a, b in itertools.pairwise(xs):
        da, db = by_x[a].mean, by_x[b].mean
        if da < 0 <= db:
            return a + (0.0 - da) * (b - a) / (db - da)
    return float("nan")


def _fee_flip(replaced: str, by_fee: dict) -> str:
    """When buses replacing ``replaced`` stop being cheaper per parcel, from the paired
    differences by fee (CNY a parcel): a fee is dearer when its whole interval is above 0."""
    fees = sorted(by_fee)
    dearer = [f for f in fees if by_fee[f].low > 0]
    tried = f"{fees[0]:g}-{fees[-1]:g} CNY a parcel"
    if not dearer:
        return f"Replacing {replaced} stays cheaper per parcel at every fee tried ({tried})."
    first = min(dearer)
    if first == fees[0]:
        return f"Replacing {replaced} is dearer per parcel from a fee of {first:g} CNY a parcel."
    below = max(f for f in fees if f < first)
    return (f"Replacing {replaced} stops being cheaper per parcel between fees of {below:g} and {first:g} CNY a "
            f"parcel (about {_zero(by_fee):.1f} CNY by linear interpolation).")


def _count(n: int) -> str:
    return ("one", "two", "three", "four", "five", "six")[n - 1] if 1 <= n <= 6 else str(n)


def _cost_effect(d: Interval, leave: str, change: str) -> str:
    """What a paired difference in cost per parcel does, in words read off it (``leave`` and
    ``change``: the verb's form): unchanged only where it is exactly none (the same parcels on
    the same vehicles), else the difference, marked where its interval includes 0."""
    if abs(d.mean) < 1e-9 and abs(d.half_width) < 1e-9:   # float remnants of none, as Interval.text
        return f"{leave} cost per parcel unchanged"
    return (f"{change} cost per parcel by {d.text('CNY', signed=True)}"
            + ("" if d.significant else " (not significant)"))


def township_bus_lines(tb: Result, fee: Result) -> Finding:
    modes = ("added", "replacing")
    sold = {m: tb.diff("outbound_produce_sold_kg", {"name": f"township_buses_{m}"}, {"name": "two_tier"})
            for m in modes}
    cost = {m: tb.diff("cost_per_parcel_cny", {"name": f"township_buses_{m}"}, {"name": "two_tier"}) for m in modes}
    lead = {m: tb.diff("inbound_lead_time_mean_h", {"name": f"township_buses_{m}"}, {"name": "two_tier"})
            for m in modes}
    spoil = {m: tb.diff("spoilage_rate", {"name": f"township_buses_{m}"}, {"name": "two_tier"}) for m in modes}
    base_sold = tb.mean("outbound_produce_sold_kg", "two_tier")
    base_cost = tb.mean("cost_per_parcel_cny", "two_tier")
    fees = [1.0, 3.0, 5.0]
    by_fee = {f: fee.diff("cost_per_parcel_cny", {"name": "township_buses_replacing", "fee_per_parcel_cny": f},
                          {"name": "two_tier", "fee_per_parcel_cny": f}) for f in fees}
    bus = next(sp for sp in tb.exp.scenarios if sp.name == "township_buses_added").scenario
    b, tw = bus.buses, bus.vehicle_types[bus.township.vehicle_type]
    village_leg = bus.township.vehicle_type.replace("e_", "e-").replace("_", " ")
    return Finding(
        "township_bus_lines", "Bus lines from the township stations (two tiers)",
        f"In the two-tier county, {b.lines_per_township} bus lines from each township station "
        f"{moves('produce sold', sold['added'], base_sold, 't', 1e-3)} when added to the township vehicles, "
        f"{_cost_effect(cost['added'], 'leaving', 'changing')}; replacing them they "
        f"{moves('cost per parcel', cost['replacing'], base_cost, 'CNY')} and "
        f"{moves('produce sold', sold['replacing'], base_sold, 't', 1e-3)}"
        + (": lower cost and more produce out together, the direction of Hunan's shared routes."
           if cost["replacing"].high < 0 and sold["replacing"].low > 0 else
           ": lower cost and more produce out do not come together."),
        [(f"township buses {m}: produce sold", sold[m].text("t", scale=1e-3, signed=True)) for m in modes]
        + [(f"township buses {m}: cost per parcel", cost[m].text("CNY", signed=True)) for m in modes]
        + [(f"township buses {m}: spoilage", spoil[m].text("points", scale=100, signed=True)) for m in modes]
        + [(f"township buses {m}: mean lead time", lead[m].text("h", signed=True)) for m in modes],
        f"The two-tier baseline's village leg is {village_leg}s of {tw.capacity_kg:g} kg, which leave most "
        f"produce at the stations to spoil in the harvest; {len(b.departures_h)} bus runs a "
        f"day through every village ({b.capacity_kg_per_run:g} kg a run, `buses.*`, [G]) collect it. Buses "
        "replacing the township vehicles save their vehicles and drivers and cost the fee "
        f"({b.fee_per_parcel_cny:g} CNY a parcel, [G]).",
        _fee_flip("the township vehicles", by_fee),
        [(f"fee {f:g} CNY/parcel: township buses replacing minus two tiers, cost per parcel",
          by_fee[f].text("CNY", signed=True)) for f in fees],
        ["experiments/township_bus_lines.yaml", "experiments/sensitivity/township_bus_fee.yaml"])


def township_fleets(tf: Result, rng: Result) -> Finding:
    cost = {n: tf.mean("cost_per_parcel_cny", n) for n in ("van", "e_tricycle", "e_tricycle_then_van")}
    spoil = {n: tf.mean("spoilage_rate", n) for n in ("van", "e_tricycle", "e_tricycle_then_van")}
    d_cost = tf.diff("cost_per_parcel_cny", {"name": "e_tricycle_then_van"}, {"name": "e_tricycle"})
    d_spoil = tf.diff("spoilage_rate", {"name": "e_tricycle_then_van"}, {"name": "e_tricycle"})
    ranges = [12.0, 16.0, 30.0]
    by_range = {r: (rng.diff("cost_per_parcel_cny", {"name": "e_tricycle_then_van", "range_km": r},
                             {"name": "e_tricycle", "range_km": r}),
                    rng.diff("spoilage_rate", {"name": "e_tricycle_then_van", "range_km": r},
                             {"name": "e_tricycle", "range_km": r})) for r in ranges}
    # vans alone: named cheapest only where the paired difference to the next cheapest fleet supports it
    runner = min(("e_tricycle", "e_tricycle_then_van"), key=lambda n: cost[n].mean)
    van_gap = tf.diff("cost_per_parcel_cny", {"name": runner}, {"name": "van"})
    vans = ("vans alone stay cheapest" if cost["van"].mean < cost[runner].mean and van_gap.significant else
            "vans alone are not significantly cheaper" if cost["van"].mean < cost[runner].mean else
            f"vans alone are dearer than {FLEETS[runner]}")
    vt = next(sp for sp in tf.exp.scenarios if sp.name == "e_tricycle_then_van").scenario.vehicle_types
    charge, van_kg, tri_kg = vt["e_tricycle"].range_km, vt["van"].capacity_kg, vt["e_tricycle"].capacity_kg
    return Finding(
        "township_fleets", "A township fleet of two types: e-tricycles where they reach, a van beyond",
        f"In the two-tier county with e-tricycles on a {charge:g} km daily charge, giving every township a van for the "
        f"villages its e-tricycles cannot reach changes cost per parcel by {d_cost.text('CNY', signed=True)} and "
        f"spoilage by {d_spoil.text('points', scale=100, signed=True)} against e-tricycles alone (which then run "
        f"routes beyond their charge); {vans} ({cost['van'].text('CNY')} a parcel, "
        f"{spoil['van'].text('%', scale=100)} spoiled).",
        [(f"{FLEETS[n]}: cost per parcel", cost[n].text("CNY")) for n in cost]
        + [(f"{FLEETS[n]}: spoilage", spoil[n].text("%", scale=100)) for n in spoil],
        f"The e-tricycle's charge (`vehicle_types.e_tricycle.range_km`, {charge:g} km here, [G]) decides which "
        f"villages get the van; the van's room ({van_kg:g} kg against {tri_kg:g} kg) collects produce the "
        "e-tricycles leave to spoil, and its day costs are the price (`vehicle_types`, [G]).",
        _range_flip({r: by_range[r][0] for r in ranges})
        + ": the longer the charge, the fewer villages need the van and the closer the two fleets come.",
        [(f"charge {r:g} km: mixed minus e-tricycles alone, cost per parcel", by_range[r][0].text("CNY", signed=True))
         for r in ranges]
        + [(f"charge {r:g} km: mixed minus e-tricycles alone, spoilage",
            by_range[r][1].text("points", scale=100, signed=True)) for r in ranges],
        ["experiments/township_fleets.yaml", "experiments/sensitivity/tricycle_range.yaml"])


def _range_flip(by_range: dict[float, Interval]) -> str:
    """Where the mixed fleet is cheaper or dearer per parcel than e-tricycles alone, by the
    e-tricycle's charge (km -> the paired difference), a direction claimed only where its
    interval excludes 0."""
    cheaper = [r for r, d in by_range.items() if d.high < 0]
    dearer = [r for r, d in by_range.items() if d.low > 0]
    none = [r for r, d in by_range.items() if not d.significant]
    if len(dearer) == len(by_range):
        return "The mixed fleet is dearer per parcel than e-tricycles alone at every charge tried"
    if len(cheaper) == len(by_range):
        return "The mixed fleet is cheaper per parcel than e-tricycles alone at every charge tried"
    parts: list[str] = []
    for rs, word in ((cheaper, "cheaper"), (dearer, "dearer"), (none, "not significantly different")):
        if rs:
            parts.append(f"{word} at {and_list(rs)} km" if parts else
                         f"The mixed fleet is {word} per parcel than e-tricycles alone at a charge of "
                         f"{and_list(rs)} km")
    return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]
