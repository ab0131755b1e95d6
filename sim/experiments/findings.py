"""Findings that follow from results. ``ruralsim findings`` (``make findings``) re-runs
the shipped experiments and the sensitivity experiments in ``experiments/sensitivity/``
through the run engine and writes ``docs/findings.md``: each finding with its numbers
and 95% intervals (paired over common random numbers where two designs are compared),
the assumption that drives it, and a sensitivity that shows when it flips. Nothing in
the text is typed in by hand: every number comes from the runs."""
from __future__ import annotations

import datetime as _dt
import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sim.experiments.finding import Finding, Interval, Result
from sim.experiments.finding import and_list as _and
from sim.experiments.findings_tiers import (
    bus_lines,
    service_frequency,
    township_bus_lines,
    township_fleets,
    township_tier,
)
from sim.experiments.spec import load_experiment


# ---- the findings ---------------------------------------------------------------------
def coverage_cost(inv: Result, alloc: Result) -> Finding:
    covs = [0.25, 0.5, 0.75, 1.0]
    cpp = {c: inv.mean("cost_per_parcel_cny", coverage_share=c, vehicles_per_route=1) for c in covs}
    best = min(covs, key=lambda c: cpp[c].mean)
    by_rule = {rule: {c: alloc.mean("cost_per_parcel_cny", rule, coverage_share=c) for c in covs}
               for rule in ("incremental", "kg")}
    best_rule = {rule: min(covs, key=lambda c: by_rule[rule][c].mean) for rule in by_rule}
    step = inv.diff("cost_per_parcel_cny", {"coverage_share": 1.0, "vehicles_per_route": 1},
                    {"coverage_share": 0.25, "vehicles_per_route": 1})
    trend = "falls" if step.high < 0 else ("rises" if step.low > 0 else "does not change significantly")
    # the lowest is named only as far as the paired difference to the next lowest supports it
    runner = min((c for c in covs if c != best), key=lambda c: cpp[c].mean)
    gap = inv.diff("cost_per_parcel_cny", {"coverage_share": runner, "vehicles_per_route": 1},
                   {"coverage_share": best, "vehicles_per_route": 1})
    tie = "" if gap.significant else (f" (not distinguishable from {runner:.0%}: "
                                      f"{gap.text('CNY', signed=True)} a parcel, paired)")
    return Finding(
        "coverage", "Station coverage and cost per parcel",
        f"With one van a route, cost per parcel is lowest at {best:.0%} of villages covered{tie}; from 25% to 100% "
        f"coverage it {trend} ({step.text('CNY', signed=True)} a parcel, paired).",
        [(f"cost per parcel at {c:.0%} coverage", cpp[c].text("CNY")) for c in covs],
        "How shared costs (vehicles, drivers, trunk, hub) are split between goods in and produce out "
        "(`costs.shared_allocation`, default `incremental`: produce pays only what it adds). Cost per "
        "parcel is an accounting quantity: quote it with its rule.",
        (f"Under the `kg` rule (shared costs split by kilograms moved, the rule of the first version) the lowest "
         f"cost per parcel is at {best_rule['kg']:.0%} coverage; under `incremental` at "
         f"{best_rule['incremental']:.0%}. The finding flips with the rule."
         if best_rule["kg"] != best_rule["incremental"] else
         f"The lowest cost per parcel is at {best_rule['kg']:.0%} coverage under the `kg` rule (shared costs split "
         f"by kilograms moved, the rule of the first version) as under `incremental`: the location of the minimum "
         f"does not depend on the rule."),
        [(f"{rule}: cost per parcel at {c:.0%}", by_rule[rule][c].text("CNY")) for rule in by_rule for c in covs],
        ["experiments/investment_sweep.yaml", "experiments/sensitivity/allocation.yaml"])


def second_van(inv: Result, sens: Result) -> Finding:
    lead21 = inv.diff("inbound_lead_time_mean_h", {"coverage_share": 0.25, "vehicles_per_route": 2},
                      {"coverage_share": 0.25, "vehicles_per_route": 1})
    cost21 = inv.diff("cost_per_parcel_cny", {"coverage_share": 0.25, "vehicles_per_route": 2},
                      {"coverage_share": 0.25, "vehicles_per_route": 1})
    lead32 = inv.diff("inbound_lead_time_mean_h", {"coverage_share": 0.25, "vehicles_per_route": 3},
                      {"coverage_share": 0.25, "vehicles_per_route": 2})
    base = inv.mean("inbound_lead_time_mean_h", coverage_share=0.25, vehicles_per_route=1)
    two = sens.diff("inbound_lead_time_mean_h", {"name": "two_departures", "vehicles_per_route": 2},
                    {"name": "two_departures", "vehicles_per_route": 1})
    one = sens.diff("inbound_lead_time_mean_h", {"name": "one_departure", "vehicles_per_route": 2},
                    {"name": "one_departure", "vehicles_per_route": 1})
    third = ("a third changes it by " + lead32.text("h", signed=True)
             + (" (not significant)" if not lead32.significant else ""))
    return Finding(
        "second_van", "A second van a route",
        f"At 25% coverage a second van a route changes mean lead time by {lead21.text('h', signed=True)} "
        f"(from {base.text('h')}) for {cost21.text('CNY', signed=True)} a parcel; {third}.",
        [("lead time, one van", base.text("h")), ("second van: lead time", lead21.text("h", signed=True)),
         ("second van: cost per parcel", cost21.text("CNY", signed=True)),
         ("third van: lead time", lead32.text("h", signed=True))],
        "Vans leave the hub once a day (`lastmile.departures_h: [8]`) and routes are planned for 1.5 times a "
        "mean day's load: a second van carries what the first leaves behind at peaks.",
        (f"It does not flip with a second daily departure: the second van then changes lead time by "
         f"{two.text('h', signed=True)} (one departure: {one.text('h', signed=True)})."
         if two.significant and (two.mean < 0) == (one.mean < 0) else
         f"With two departures a day the second van changes lead time by {two.text('h', signed=True)} "
         f"(one departure: {one.text('h', signed=True)}): its benefit "
         + ("is no longer significant." if not two.significant else "changes sign.")),
        [("one departure: second van, lead time", one.text("h", signed=True)),
         ("two departures: second van, lead time", two.text("h", signed=True))],
        ["experiments/investment_sweep.yaml", "experiments/sensitivity/second_van.yaml"])


def backhaul(bh: Result, vol: Result) -> Finding:
    total = bh.diff("cost_total_cny", {"name": "two_way"}, {"name": "one_way"})
    spoil = bh.diff("spoilage_rate", {"name": "two_way"}, {"name": "one_way"})
    per_kg = bh.diff("cost_per_kg_out_cny", {"name": "two_way"}, {"name": "one_way"})
    levels = [12.5, 25.0, 50.0, 100.0]
    saving = {v: vol.diff("cost_total_cny", {"name": "two_way", "kg_per_resident_y": v},
                          {"name": "one_way", "kg_per_resident_y": v}) for v in levels}
    spoil_v = {v: vol.diff("spoilage_rate", {"name": "two_way", "kg_per_resident_y": v},
                           {"name": "one_way", "kg_per_resident_y": v}) for v in levels}
    spoil_text = _spoilage_by_volume(spoil_v)
    return Finding(
        "backhaul", "Filling the return legs with produce",
        f"Vans that bring produce back instead of hired pickups change the county's total cost by "
        f"{total.text('M CNY a year', scale=1e-6, signed=True)} and spoilage by "
        f"{spoil.text('points', scale=100, signed=True)}; the allocated cost per kg sold changes by "
        f"{per_kg.text('CNY', signed=True)}.",
        [("total cost, two-way minus one-way", total.text("M CNY/y", scale=1e-6, signed=True)),
         ("spoilage, two-way minus one-way", spoil.text("points", scale=100, signed=True)),
         ("cost per kg sold (allocated), two-way minus one-way", per_kg.text("CNY", signed=True))],
        "Pickups are hired vehicles of the vans' type paid per day used and per km; the vans' spare room at the "
        "harvest peak limits what they bring back. The saving in total cost does not depend on how shared costs "
        "are split; the cost per kg does.",
        _saving_by_volume(saving) + spoil_text,
        [(f"{v:g} kg/resident/y: total cost two-way minus one-way", saving[v].text("M CNY/y", scale=1e-6,
                                                                                  signed=True)) for v in levels]
        + [(f"{v:g} kg/resident/y: spoilage two-way minus one-way", spoil_v[v].text("points", scale=100,
                                                                                   signed=True)) for v in levels],
        ["experiments/backhaul.yaml", "experiments/sensitivity/produce_volume.yaml"])


def trunk(tr: Result) -> Finding:
    levels = [1, 2, 3, 4, 6]
    out: dict[str, dict[int, Interval]] = {}
    stop: dict[str, int | None] = {}
    for name in ("surge", "no_surge"):
        out[name] = {k: tr.mean("spoilage_rate", name, trucks_per_departure=k) for k in levels}
        stop[name] = None
        for a, b in itertools.pairwise(levels):
            if not tr.diff("spoilage_rate", {"name": name, "trucks_per_departure": b},
                           {"name": name, "trucks_per_departure": a}).high < 0:
                stop[name] = a
                break

    def stops(name: str) -> str:
        return (f"{stop[name]} trucks a departure" if stop[name] is not None
                else f"more than {levels[-1]} trucks a departure")

    return Finding(
        "trunk", "Trunk capacity and spoilage at full coverage",
        f"With every village covered, spoilage stops falling at {stops('surge')} when spot trucks can be hired at "
        f"peaks (at 2 trucks {out['surge'][2].text('', scale=100)}% is spoiled), and at {stops('no_surge')} "
        f"without surge capacity (at 2 trucks {out['no_surge'][2].text('', scale=100)}%).",
        [(f"{name}: spoilage with {k} trucks", out[name][k].text("%", scale=100)) for name in out for k in levels],
        "The trunk's scheduled capacity (`trunk.trucks_per_departure`) and whether spot trucks are hired when what "
        "waits exceeds it (`surge`).",
        "The number of trucks at which spoilage stops falling is the flip point; it is read off the paired "
        "differences between successive truck counts (the first step whose 95% interval includes no fall).",
        [], ["experiments/sensitivity/trunk.yaml"])


def cold_rooms(cc: Result, shelf: Result) -> Finding:
    rooms = [1000, 2000, 4000]
    dry: dict = {"reefer_trunk": False}
    none: dict = {"cold_store_kg": 0, "cold_room_kg": 0, **dry}
    diffs = {kg: cc.diff("spoilage_rate", {"cold_store_kg": 0, "cold_room_kg": kg, **dry}, none) for kg in rooms}
    per_kg = {kg: cc.diff("cost_per_kg_out_cny", {"cold_store_kg": 0, "cold_room_kg": kg, **dry}, none)
              for kg in rooms}
    hub_only = {"cold_store_kg": 50000, "cold_room_kg": 0, **dry}
    hub = cc.diff("spoilage_rate", hub_only, none)
    hub_q = cc.diff("produce_quality_sold_mean", hub_only, none)
    hub_gain = cc.diff("farmer_income_gain_cny", hub_only, none)
    reefer = cc.diff("produce_quality_sold_mean", {"cold_store_kg": 0, "cold_room_kg": 0, "reefer_trunk": True}, none)
    rooms_gain = cc.diff("farmer_income_gain_cny", {"cold_store_kg": 0, "cold_room_kg": 2000, **dry}, none)
    gain0 = cc.mean("farmer_income_gain_cny", None, **none)
    lives = [5.0, 7.0, 10.0, 14.0]
    rules = {"oldest": "oldest first", "soonest_to_spoil": "soonest to spoil first"}
    save = {(d, rule): shelf.diff("spoilage_rate", {"shelf_life_d": d, "cold_room_kg": 2000, "hand_over_first": rule},
                                  {"shelf_life_d": d, "cold_room_kg": 0, "hand_over_first": rule})
            for rule in rules for d in lives}
    sc = cc.exp.scenarios[0].scenario   # the settings the driver names, read off the experiment
    lives_d = sorted({c.shelf_life_d for c in sc.crops})
    life_text = f"{lives_d[0]:g}-{lives_d[-1]:g} days" if len(lives_d) > 1 else f"{lives_d[0]:g} days"
    return Finding(
        "cold_rooms", "Cold rooms at the stations, a cold store at the hub, reefer trunks",
        f"With the whole harvest season inside the KPI window and quality decaying with time and temperature, "
        f"station cold rooms of 1-4 t change spoilage by "
        f"{diffs[1000].text('', scale=100, signed=True)} to {diffs[4000].text('points', scale=100, signed=True)} "
        f"at {per_kg[1000].text('', signed=True)} to {per_kg[4000].text('CNY', signed=True)} per kg sold; a 50 t "
        f"cold store at the hub changes spoilage by {hub.text('points', scale=100, signed=True)} but the quality "
        f"of what is sold by {hub_q.text('', signed=True)}. Farmers earn "
        f"{gain0.text('CNY', signed=True)} against the local trader without any cold chain.",
        [(f"{kg / 1000:g} t cold rooms: spoilage", diffs[kg].text("points", scale=100, signed=True)) for kg in rooms]
        + [(f"{kg / 1000:g} t cold rooms: cost per kg sold", per_kg[kg].text("CNY", signed=True)) for kg in rooms]
        + [("no cold chain: farmers' income gain over the local trader", gain0.text("CNY", signed=True)),
           ("50 t hub cold store: spoilage", hub.text("points", scale=100, signed=True)),
           ("50 t hub cold store: quality sold", hub_q.text("", signed=True)),
           ("50 t hub cold store: farmers' income gain", hub_gain.text("CNY", signed=True)),
           ("2 t cold rooms: farmers' income gain", rooms_gain.text("CNY", signed=True)),
           ("reefer trunks: quality sold", reefer.text("", signed=True))],
        "Where produce waits: at the stations for room on the vans (cold rooms help there) or at the hub for a "
        "trunk (a hub cold store helps there). A lot is lost when its quality falls below half "
        f"(`market.loss_quality`), after its shelf life at ambient temperature (`crops.*.shelf_life_d`, {life_text} "
        "[G]); cooling slows decay by the Q10 law (`market.q10`, [G]); the price is proportional to quality [G]; "
        f"the trader pays {sc.market.trader_price_share:.0%} of the price [G]. Both experiments turn on settings "
        "the other findings leave off: "
        "quality decay (`market.quality_decay`), the hub holding cold-stored produce while a later day pays more "
        "(`market.hold_at_cold_store`), a lemon price swinging 30% round its mean (`crops.0.price_amplitude`, [G]) "
        "and a 5% operator commission (`market.commission_share`, [G]). A hub cold store can raise quality and "
        "income only where quality decays and a later day pays more, and the farmers' income against the trader "
        "depends on all four: with them off (the default scenario) quality sold is 1 and farmers earn more "
        "through the network than from the trader (`farmer_income_gain_cny` in the results of `make run`).",
        _cold_room_flip({d: save[d, "oldest"] for d in lives})
        + " With the produce that will spoil soonest handed over first instead of the oldest "
          "(`stations.hand_over_first`), the rooms change spoilage by " + ", ".join(
            f"{save[d, 'soonest_to_spoil'].text('points', scale=100, signed=True)} at {d:g} days" for d in lives)
        + ": the finding depends on the stations' hand-over rule as well as on the shelf life.",
        [(f"shelf life {d:g} d, {name}: 2 t cold rooms, spoilage",
          save[d, rule].text("points", scale=100, signed=True)) for rule, name in rules.items() for d in lives],
        ["experiments/cold_chain.yaml", "experiments/sensitivity/shelf_life.yaml"])


def _spoilage_by_volume(by_volume: dict[float, Interval]) -> str:
    """Backhaul's effect on spoilage by produce volume (kg per grower resident a year ->
    the paired difference, a share), a sign claimed only where its interval excludes 0."""
    lower = [v for v, i in by_volume.items() if i.high < 0]
    higher = [v for v, i in by_volume.items() if i.low > 0]
    none = [v for v, i in by_volume.items() if not i.significant]
    listed = ", ".join(f"{v:g} kg: {i.text('points', scale=100, signed=True)}" for v, i in by_volume.items())
    if lower and higher:
        return (f" Its effect on spoilage flips with produce volume: lower spoilage at {_and(lower)} kg per "
                f"grower resident a year, higher at {_and(higher)}"
                + (f", no significant difference at {_and(none)}" if none else "")
                + " (the vans' spare room at the peak runs out).")
    if not none:
        return f" Its effect on spoilage has the same sign at every volume tried ({listed})."
    parts = ([f"lower spoilage at {_and(lower)}"] if lower else []) + \
        ([f"higher spoilage at {_and(higher)}"] if higher else []) + [f"no significant difference at {_and(none)}"]
    return f" By produce volume it brings {'; '.join(parts)} kg per grower resident a year ({listed})."


def _saving_by_volume(by_volume: dict[float, Interval]) -> str:
    """Whether backhaul saves money at each produce volume (kg per grower resident a year ->
    the paired difference in total cost), a saving or a loss claimed only where its interval
    excludes 0."""
    dearer = [v for v, i in by_volume.items() if i.low > 0]
    none = [v for v, i in by_volume.items() if not i.significant]
    if not dearer and not none:
        return (f"Backhaul saves money at every produce volume tried ({_and(list(by_volume))} kg per grower "
                f"resident a year).")
    parts = ([f"costs more at {_and(dearer)}"] if dearer else []) + \
        ([f"makes no significant difference at {_and(none)}"] if none else [])
    return f"Backhaul {' and '.join(parts)} kg per grower resident a year."


def _cold_room_flip(by_life: dict[float, Interval]) -> str:
    """Where 2 t cold rooms lower spoilage, make no significant difference or raise it,
    by shelf life (days -> the paired difference in spoilage, a share)."""
    def days(ds: list[float]) -> str:
        return _and(ds) + " days"
    lower = [d for d, i in by_life.items() if i.high < 0]
    none = [d for d, i in by_life.items() if not i.significant]
    raise_ = [d for d, i in by_life.items() if i.low > 0]
    if not none and not raise_:
        return f"2 t station cold rooms lower spoilage at every shelf life tried ({days(sorted(by_life))})."
    parts = [f"lower spoilage at a shelf life of {days(lower)}"] if lower else []
    if none:
        parts.append(f"make no significant difference at {days(none)}")
    if raise_:
        parts.append("raise it at " + ", ".join(
            f"{d:g} days ({by_life[d].text('points', scale=100, signed=True)})" for d in raise_))
    text = "2 t station cold rooms " + "; ".join(parts) + "."
    if raise_:
        text += (" The vans' room at the harvest peak is the bottleneck: produce the rooms keep still waits for it, "
                 "some of it past even its cold shelf life, and leaves the cold with little of a short ambient shelf "
                 "life left, so more of it spoils at the hub waiting for a trunk.")
    return text


def produce_channels(ch: Result) -> Finding:
    shares = [0.1, 0.25, 0.5]
    base = next(s for s in ch.exp.scenarios if s.id == ch.exp.baseline_id).scenario.produce_parcels.price_factor
    high = max(s.scenario.produce_parcels.price_factor for s in ch.exp.scenarios)

    def diff(kpi: str, x: float, factor: float = base) -> Interval:
        return ch.diff(kpi, {"parcel_share": x, "price_factor": factor}, {"parcel_share": 0, "price_factor": factor})

    gain = {x: diff("farmer_income_gain_cny", x) for x in shares}
    rev = {x: diff("operator_produce_revenue_cny", x) for x in shares}
    load = {x: diff("lastmile_load_factor_out", x) for x in shares}
    dear = {x: diff("farmer_income_gain_cny", x, high) for x in shares}
    pp = ch.exp.scenarios[0].scenario.produce_parcels
    fee_per_kg = pp.express_fee_per_box_cny / pp.box_kg
    crop = ch.exp.scenarios[0].scenario.crops[0]   # the crop the parcel share is set for (crops.0)
    price = crop.price_cny_per_kg
    return Finding(
        "produce_channels", "Produce parcels beside bulk sales",
        f"Selling half of the {crop.name} crop as boxes to city customers instead of in bulk changes farmers' "
        f"income gain over the local trader by {gain[0.5].text('CNY', signed=True)} and the operator's produce "
        f"revenue by {rev[0.5].text('CNY', signed=True)} a year; the vans' load factor out changes by "
        f"{load[0.5].text('', signed=True)}.",
        [(f"parcel share {x:g}: farmers' income gain", gain[x].text("CNY", signed=True)) for x in shares]
        + [(f"parcel share {x:g}: operator's produce revenue", rev[x].text("CNY", signed=True)) for x in shares]
        + [(f"parcel share {x:g}: van load factor out", load[x].text("", signed=True)) for x in shares],
        f"A box pays the sender's express fee ({pp.express_fee_per_box_cny:g} CNY per {pp.box_kg:g} kg box, "
        f"{fee_per_kg:g} CNY/kg, from the 2015 express revenue per parcel) and earns the day's price x "
        f"`produce_parcels.price_factor` ({base:g} [G]) x quality; boxes go first onto vans and trucks.",
        f"By the prices alone boxes pay farmers once price_factor > 1 + {fee_per_kg:g} / {price:g} = "
        f"{1 + fee_per_kg / price:.2f} at the mean {crop.name} price; at {high:g} the gain from half the "
        f"{crop.name} crop in boxes "
        f"is {dear[0.5].text('CNY', signed=True)}.",
        [(f"price factor {high:g}, parcel share {x:g}: farmers' income gain", dear[x].text("CNY", signed=True))
         for x in shares],
        ["experiments/produce_channels.yaml"])


NOT_YET = [
    ("Fleet from the county hub: vans, e-tricycles, walking tractors, buses (`experiments/fleet_mix.yaml`)",
     "Every vehicle there runs from the county hub, and a 'bus' is a van route with a fee per parcel. Local "
     "vehicles are compared on the village leg of the township tier (`experiments/township_tier.yaml`) and "
     "passenger buses as timetabled lines (`experiments/bus_lines.yaml`), above."),
    ("Rollout strategies (`experiments/rollout_strategies.yaml`)",
     "Self-run against an express partner rests on a guessed partner fee per parcel: `make report` computes the fee "
     "at which the ranking flips (`--ranking-sensitivity`), but from 2 replications a strategy, and "
     "the calibrated pace (`make calibrate`, `docs/rollout.md`) misses some of the reported points it is not "
     "fitted to by tens of per cent (its leave-one-out table). The rankings become findings with a full-size ranking "
     "run and a calibration that predicts what it was not fitted to."),
]


@dataclass(frozen=True)
class Plan:
    """Which experiment configs the findings read (relative to ``experiments/``)."""
    configs: dict[str, str]
    builders: Sequence[tuple[Callable[..., Finding], tuple[str, ...]]]


PLAN = Plan(
    configs={"investment": "investment_sweep.yaml", "allocation": "sensitivity/allocation.yaml",
             "second_van": "sensitivity/second_van.yaml", "backhaul": "backhaul.yaml",
             "produce_volume": "sensitivity/produce_volume.yaml", "trunk": "sensitivity/trunk.yaml",
             "cold_chain": "cold_chain.yaml", "shelf_life": "sensitivity/shelf_life.yaml",
             "produce_channels": "produce_channels.yaml",
             "township_tier": "township_tier.yaml", "township_drivers": "sensitivity/township_drivers.yaml",
             "service_frequency": "service_frequency.yaml", "service_van_room": "sensitivity/service_van_room.yaml",
             "bus_lines": "bus_lines.yaml",
             "bus_fee": "sensitivity/bus_fee.yaml", "township_bus_lines": "township_bus_lines.yaml",
             "township_bus_fee": "sensitivity/township_bus_fee.yaml", "township_fleets": "township_fleets.yaml",
             "tricycle_range": "sensitivity/tricycle_range.yaml"},
    builders=((coverage_cost, ("investment", "allocation")), (second_van, ("investment", "second_van")),
              (backhaul, ("backhaul", "produce_volume")), (trunk, ("trunk",)),
              (cold_rooms, ("cold_chain", "shelf_life")), (produce_channels, ("produce_channels",)),
              (township_tier, ("township_tier", "township_drivers")),
              (service_frequency, ("service_frequency", "service_van_room")),
              (bus_lines, ("bus_lines", "bus_fee")), (township_bus_lines, ("township_bus_lines", "township_bus_fee")),
              (township_fleets, ("township_fleets", "tricycle_range"))),
)


def run_findings(experiments_dir: str | Path, out: str | Path, replications: int, *, workers: int | None = None,
                 fresh: bool = False, quiet: bool = False) -> tuple[list[Finding], dict]:
    """Run every experiment the findings read (each into ``out/<name>``, resumable) at
    ``replications`` and build the findings."""
    from sim.experiments.sweep import run_experiment
    results: dict[str, Result] = {}
    meta: dict = {"replications": replications, "experiments": {}}
    for key, rel in PLAN.configs.items():
        exp = load_experiment(Path(experiments_dir) / rel, replications=replications)
        res = run_experiment(exp, Path(out) / key, workers=workers, fresh=fresh, quiet=quiet, figures=False)
        if res.failed:
            raise RuntimeError(f"{rel}: {res.failed} run(s) failed; see {Path(out) / key / 'failures.csv'}")
        results[key] = Result(exp, res.tables["runs"])
        meta["experiments"][key] = {"config": f"experiments/{rel}", "scenarios": len(exp.scenarios),
                                    "runs": len(res.tables["runs"])}
    findings = [build(*(results[k] for k in keys)) for build, keys in PLAN.builders]
    return findings, meta


def write_findings(findings: list[Finding], meta: dict, path: str | Path) -> Path:
    """docs/findings.md from the findings (rendered by the reports' template engine)."""
    from sim.experiments.stamp import code_version, result_packages
    from sim.files import atomic_write_text
    from sim.reports.render import render
    text = render("findings.md.j2", {
        "findings": findings, "not_yet": NOT_YET, "meta": meta, "code_version": code_version(),
        "packages": result_packages(), "date": _dt.date.today().isoformat()})
    return atomic_write_text(path, text)


DIGEST_START = "<!-- findings:start -->"
DIGEST_END = "<!-- findings:end -->"


def digest_block(path: str | Path) -> tuple[str, int, int]:
    """The file ``path`` (the README) and where the findings' digest goes in it: (its text,
    the span between the lines DIGEST_START and DIGEST_END); InputError if it has no place."""
    from sim.files import marked_span
    return marked_span(path, DIGEST_START, DIGEST_END, "the findings' digest", "--readme")


def write_digest(findings: list[Finding], meta: dict, path: str | Path) -> Path:
    """Rewrite the findings' digest in ``path`` (the README): every finding's statement with
    its 95% intervals, between the DIGEST_START and DIGEST_END lines; the rest of the file
    stays as it is."""
    from sim.files import replace_marked
    from sim.reports.render import render
    block = render("findings_digest.md.j2", {"findings": findings, "meta": meta})
    return replace_marked(path, DIGEST_START, DIGEST_END, block, "the findings' digest", "--readme")
