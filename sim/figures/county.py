"""Figures of one scenario run (daily flows, backlogs, lead times, load factors, the network map),
drawn from its results or from its written files; shared drawing and saving is in :mod:`sim.figures.base`."""

from __future__ import annotations

import functools
import os
import pathlib
from collections.abc import Mapping, Sequence

import matplotlib
import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.ticker import FuncFormatter

from sim.county.kpis import DAILY_COLUMNS
from sim.county.leadtime import LeadTimes
from sim.figures.base import PNG_DPI, new_axes, no_data, read_table, save_figures

__all__ = [
    "PNG_DPI",
    "draw_scenario_figures",
    "plot_backlog",
    "plot_daily_flows",
    "plot_lead_time",
    "plot_load_factors",
    "plot_network",
    "write_figures",
]

_FIGSIZE_WIDE = (10.0, 4.5)
_FIGSIZE_SMALL = (6.5, 4.5)
_FIGSIZE_MAP = (7.5, 7.5)


_DAY_LABEL = "Day of the KPI window, warm-up below 0 (d)"

def _col(daily: Mapping[str, np.ndarray], key: str) -> np.ndarray:
    try:
        return np.asarray(daily[key], dtype=float).ravel()
    except KeyError:
        raise KeyError(f"daily data is missing column {key!r}") from None


def _days(daily: Mapping[str, np.ndarray], n: int) -> np.ndarray:
    if "day" in daily:
        day = np.asarray(daily["day"]).ravel()
        if day.size != n:
            raise ValueError(f"'day' has {day.size} entries but data columns have {n}")
        return day
    return np.arange(n)


def _merged_legend(ax: Axes, twin: Axes, ncols: int = 3) -> None:
    """One legend for both axes, in a band of headroom above the data: both y ranges are
    widened so every line stays below the legend, whatever the data's shape."""
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = twin.get_legend_handles_labels()
    rows = -(-len(l1 + l2) // ncols)
    data_share = 1.0 - (0.07 * rows + 0.06)   # legend rows of small text plus its padding
    for a in (ax, twin):
        finite = [y[np.isfinite(y)] for y in (np.asarray(ln.get_ydata(), dtype=float) for ln in a.lines)]
        peak = max((float(y.max()) for y in finite if y.size), default=0.0)
        if peak > 0:
            a.set_ylim(0.0, peak / data_share)
    ax.legend(h1 + h2, l1 + l2, loc="upper left", fontsize="small", ncols=ncols)


def _set_day_xlim(ax: Axes, day: np.ndarray) -> None:
    if day.size:
        lo, hi = float(np.min(day)), float(np.max(day))
        if hi > lo:
            ax.set_xlim(lo, hi)


def plot_daily_flows(daily: Mapping[str, np.ndarray], ax: Axes | None = None) -> Axes:
    """Parcels in (ordered, delivered; left axis) and produce out (offered, sold, spoiled; right axis, kg).

    Returns the primary (left) axes; the right axis is ``ax`` 's twin.
    """
    return _two_axes(daily, ax, "Daily flows",
                     [("parcels_ordered", "tab:blue", "parcels ordered"),
                      ("parcels_delivered", "tab:cyan", "parcels delivered")], "Parcels in (parcels/day)",
                     [("produce_offered_kg", "tab:orange", "produce offered"),
                      ("produce_sold_kg", "tab:green", "produce sold"),
                      ("produce_spoiled_kg", "tab:red", "produce spoiled")], "Produce out (kg/day)")


def plot_backlog(daily: Mapping[str, np.ndarray], ax: Axes | None = None) -> Axes:
    """Hub and city-warehouse parcel backlog (left axis) and village-station produce backlog (right axis, kg)."""
    return _two_axes(daily, ax, "End-of-day backlog",
                     [("hub_backlog_parcels", "tab:blue", "hub backlog (parcels)"),
                      ("warehouse_backlog_parcels", "tab:purple", "warehouse backlog (parcels)")],
                     "Parcel backlog (parcels)",
                     [("station_backlog_kg", "tab:green", "station produce backlog (kg)")],
                     "Produce backlog at stations (kg)")


def _two_axes(daily: Mapping[str, np.ndarray], ax: Axes | None, title: str, left: list[tuple[str, str, str]],
              left_label: str, right: list[tuple[str, str, str]], right_label: str) -> Axes:
    """Daily series of ``daily`` by day, (column, colour, legend label) each: ``left`` on the
    left axis, ``right`` on a twin right axis, both from 0, one legend above the data."""
    ax = new_axes(ax, _FIGSIZE_WIDE)
    day = _days(daily, _col(daily, left[0][0]).size)
    # each legend entry names its axis: the two scales differ
    for column, color, label in left:
        ax.plot(day, _col(daily, column), color=color, lw=1.0, label=f"{label} (left)")
    ax.set_xlabel(_DAY_LABEL)
    ax.set_ylabel(left_label)
    twin = ax.twinx()
    for column, color, label in right:
        twin.plot(day, _col(daily, column), color=color, lw=1.0, label=f"{label} (right)")
    twin.set_ylabel(right_label)
    ax.set_ylim(bottom=0)
    twin.set_ylim(bottom=0)
    _set_day_xlim(ax, day)
    ax.set_title(title)
    _merged_legend(ax, twin)
    return ax


def _finite(values) -> np.ndarray:
    arr = np.asarray(values, dtype=float).ravel()
    return arr[np.isfinite(arr)]


def plot_lead_time(lead_time_h, ax: Axes | None = None) -> Axes:
    """Histogram of per-parcel lead time (order to arrival at the village station, hours).

    ``lead_time_h`` is an array of lead times, or a histogram with ``counts``, ``bin_h``,
    ``mean_h`` and ``quantile_h(q)`` (:class:`sim.county.leadtime.LeadTimes`). Mean and 95th
    percentile are drawn as labelled vertical lines. Non-finite values are ignored; an
    empty input gives an empty plot with a "no parcels delivered" note.
    """
    ax = new_axes(ax, _FIGSIZE_SMALL)
    ax.set_xlabel("Lead time, order to village station (h)")
    ax.set_ylabel("Parcels (count)")
    ax.set_title("Parcel lead time")
    if hasattr(lead_time_h, "counts"):
        counts = np.asarray(lead_time_h.counts)
        n = int(counts.sum())
        if n == 0:
            no_data(ax, "no parcels delivered")
            return ax
        last = int(np.flatnonzero(counts)[-1]) + 1
        # at most ~100 bars, each a round number of hours wide (0.96 h bars read oddly)
        raw_h = last * float(lead_time_h.bin_h) / 100
        nice_h = next((w for w in (0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 3.0, 6.0, 12.0, 24.0) if w >= raw_h), raw_h)
        step = max(1, round(nice_h / float(lead_time_h.bin_h)))
        starts = np.arange(0, last, step)
        binned = np.add.reduceat(counts[:last], starts)
        edges = np.append(starts, last) * lead_time_h.bin_h
        ax.stairs(binned, edges, fill=True, color="tab:blue", alpha=0.75, label=f"parcels (n={n:,})")
        mean, p95 = float(lead_time_h.mean_h), float(lead_time_h.quantile_h(0.95))
        width = step * float(lead_time_h.bin_h)
    else:
        lt = _finite(lead_time_h)
        if lt.size == 0:
            no_data(ax, "no parcels delivered")
            return ax
        edges = np.histogram_bin_edges(lt, bins="auto")
        if edges.size > 101:  # heavy tails can make "auto" produce thousands of bins
            edges = np.histogram_bin_edges(lt, bins=100)
        ax.hist(lt, bins=edges.tolist(), color="tab:blue", alpha=0.75, label=f"parcels (n={lt.size:,})")
        mean = float(np.mean(lt))
        p95 = float(np.percentile(lt, 95))
        width = float(edges[1] - edges[0]) if edges.size > 1 else 0.0
    if width > 0:   # a count depends on the bar's width: say it
        ax.set_ylabel(f"Parcels per {width:g} h bar (count)")
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:,.0f}"))
    ax.axvline(mean, color="black", ls="--", lw=1.2, label=f"mean = {mean:.1f} h")
    ax.axvline(p95, color="tab:red", ls=":", lw=1.5, label=f"95th percentile = {p95:.1f} h")
    ax.legend(fontsize="small")
    return ax


def plot_load_factors(load_in: np.ndarray, load_out: np.ndarray, ax: Axes | None = None) -> Axes:
    """Per-trip utilisation of last-mile vehicles by direction, as side-by-side boxplots with the mean marked.

    ``load_in``: inbound trips (parcels leaving the hub); ``load_out``: outbound trips (produce arriving
    back at the hub). Values are fractions of capacity (may exceed 1). Empty arrays are allowed. A
    direction with empty trips (load 0: a van back without produce) gives their share under its box,
    where a median of 0 would otherwise hide on the axis.
    """
    ax = new_axes(ax, _FIGSIZE_SMALL)
    groups = [("Inbound\n(parcels)", _finite(load_in), "tab:blue"),
              ("Outbound\n(produce)", _finite(load_out), "tab:green")]
    positions = [1, 2]
    ticklabels = []
    for pos, (name, data, colour) in zip(positions, groups, strict=True):
        empty = f", {np.mean(data <= 0.0):.0%} empty" if data.size and (data <= 0.0).any() else ""
        ticklabels.append(f"{name}\nn={data.size:,} trips{empty}")
        if data.size == 0:
            ax.text(pos, 0.5, "no trips", ha="center", va="center", color="0.4")
            continue
        bp = ax.boxplot(data, positions=[pos], widths=0.5, patch_artist=True, manage_ticks=False,
                        medianprops={"color": "black"},
                        flierprops={"marker": ".", "markersize": 3, "markeredgecolor": colour})
        for box in bp["boxes"]:
            box.set_facecolor(colour)
            box.set_alpha(0.5)
        mean = float(np.mean(data))
        ax.plot([pos], [mean], marker="D", color="white", markeredgecolor="black", ls="none",
                zorder=5, label="mean" if not any(line.get_label() == "mean" for line in ax.lines) else None)
        # beside the box, clear of its median line
        ax.annotate(f"mean {mean:.2f}", (pos, mean), xytext=(pos + 0.28, mean), textcoords="data",
                    va="center", fontsize="small")
    ax.axhline(1.0, color="0.5", ls="--", lw=1.0, label="capacity")
    ax.set_xticks(positions, ticklabels)
    ax.set_xlim(0.4, 2.6)
    ymax = max([1.05] + [float(g[1].max()) * 1.05 for g in groups if g[1].size])
    ax.set_ylim(0, ymax)
    ax.set_ylabel("Load factor (share of vehicle capacity)")
    ax.set_title("Last-mile vehicle utilisation per trip")
    ax.legend(loc="upper right", fontsize="small")
    return ax


def plot_network(hub_xy, village_xy, residents, served, routes: Sequence[Sequence[int]],
                 township_xy=None, ax: Axes | None = None) -> Axes:
    """Map of the county: hub (star), villages sized by residents (served filled, unserved hollow grey),
    township seats (squares) and each route as a closed hub -> villages -> hub polyline in its own colour.

    Empty routes are skipped (no polyline). Always draws two village scatters (served, unserved) even if
    one class is empty, so the artist layout is predictable.
    """
    own = ax is None
    ax = new_axes(ax, _FIGSIZE_MAP)
    hub = np.asarray(hub_xy, dtype=float).reshape(2)
    vxy = np.asarray(village_xy, dtype=float).reshape(-1, 2)
    n = vxy.shape[0]
    res = np.asarray(residents, dtype=float).ravel() if residents is not None else np.ones(n)
    srv = np.asarray(served, dtype=bool).ravel() if served is not None else np.ones(n, dtype=bool)
    if res.size != n or srv.size != n:
        raise ValueError(f"residents ({res.size}) and served ({srv.size}) must match villages ({n})")

    # routes underneath the markers
    # the route colours leave out the greys (the unserved villages' colour)
    cmap = matplotlib.colormaps["tab20" if len(routes) > 9 else "tab10"]
    palette = [cmap(i) for i in range(cmap.N) if i not in ((14, 15) if cmap.N == 20 else (7,))]
    for k, route in enumerate(routes):
        idx = np.asarray(route, dtype=int).ravel()
        if idx.size == 0:
            continue
        if idx.min() < 0 or idx.max() >= n:
            raise ValueError(f"route {k} has a village index outside 0..{n - 1}")
        pts = np.vstack([hub, vxy[idx], hub])
        ax.plot(pts[:, 0], pts[:, 1], color=palette[k % len(palette)], lw=1.2, alpha=0.85, zorder=1,
                label=f"route {k}")

    rmax = float(np.max(res)) if res.size and np.max(res) > 0 else 1.0
    sizes = 8.0 + 140.0 * np.clip(res, 0, None) / rmax
    ax.scatter(vxy[srv, 0], vxy[srv, 1], s=sizes[srv], c="#1b2a4a", edgecolors="black",
               linewidths=0.4, zorder=3, label="village served (area ~ residents)")
    ax.scatter(vxy[~srv, 0], vxy[~srv, 1], s=sizes[~srv], facecolors="none", edgecolors="0.55",
               linewidths=0.8, zorder=3, label="village unserved")
    if township_xy is not None:
        txy = np.asarray(township_xy, dtype=float).reshape(-1, 2)
        # white with a black edge: no route's colour
        ax.scatter(txy[:, 0], txy[:, 1], marker="s", s=45, c="white", edgecolors="black",
                   linewidths=1.0, zorder=4, label="township seat")
    ax.scatter([hub[0]], [hub[1]], marker="*", s=320, c="gold", edgecolors="black", linewidths=0.8,
               zorder=5, label="county hub")

    ax.set_aspect("equal", adjustable="datalim")
    ax.set_xlabel("x (km)")
    ax.set_ylabel("y (km)")
    ax.set_title(f"County network: {int(srv.sum())}/{n} villages served, "
                 f"{sum(1 for r in routes if len(r))} routes")
    # legend shows point classes only (one entry per route would swamp it)
    handles = [h for h in ax.get_legend_handles_labels()[0] if not isinstance(h, Line2D)]
    if own:   # below the map, which has villages everywhere a legend inside could go
        ax.figure.legend(handles=handles, loc="outside lower center", fontsize="small", markerscale=0.7, ncols=4)
    else:
        ax.legend(handles=handles, loc="best", fontsize="small", markerscale=0.7)
    return ax


def write_figures(out_dir: str | os.PathLike, daily: Mapping[str, np.ndarray], lead_time_h: LeadTimes | np.ndarray,
                  load_in: np.ndarray, load_out: np.ndarray, network: Mapping,
                  workers: int | None = None, replications: int = 1) -> list[pathlib.Path]:
    """Write all figures as PNG (dpi 120) and SVG into ``out_dir`` (created if needed).

    ``network`` holds keys hub_xy, village_xy, residents, served, routes and optionally township_xy.
    The flows, lead times and load factors are one replication's: with ``replications`` > 1
    their titles say "replication 1 of N" (the county and its network are every replication's).
    Files are written atomically (temporary file + ``os.replace``) and deterministically (fixed SVG
    hash salt, no date metadata), so identical data give byte-identical files. Returns the sorted paths.
    """
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    note = f" (replication 1 of {replications})" if replications > 1 else ""
    makers = {   # the longest to draw first, so two workers finish close together
        "daily_flows": functools.partial(_noted, plot_daily_flows, note, daily),
        "backlog": functools.partial(_noted, plot_backlog, note, daily),
        "network_map": lambda: plot_network(
            network["hub_xy"], network["village_xy"], network["residents"], network["served"],
            network["routes"], network.get("township_xy"),
        ),
        "lead_time": functools.partial(_noted, plot_lead_time, note, lead_time_h),
        "load_factors": functools.partial(_noted, plot_load_factors, note, load_in, load_out),
    }
    return save_figures(out, makers.items(), workers, prune=True)


def _noted(plot, note: str, *args) -> Axes:
    """``plot(*args)`` with ``note`` added to its title."""
    ax = plot(*args)
    if note:
        ax.set_title(ax.get_title() + note)
    return ax


def draw_scenario_figures(out: pathlib.Path, workers: int | None = None) -> list[pathlib.Path]:
    """A scenario's figures into ``out/figures``, drawn from its written files alone (daily.csv,
    lead_time_hist.csv, trips.csv and villages.csv), in parallel on ``workers`` processes
    (default: every core)."""
    out = pathlib.Path(out)
    daily = {k: np.array([row[k] for row in read_table(out / "daily.csv")]) for k in DAILY_COLUMNS}
    hist_rows = read_table(out / "lead_time_hist.csv")
    lead = LeadTimes.from_bins([r["lead_time_from_h"] for r in hist_rows], [r["parcels"] for r in hist_rows])
    trips = read_table(out / "trips.csv")
    v = read_table(out / "villages.csv")
    xy = np.array([[r["x_km"], r["y_km"]] for r in v]).reshape(-1, 2)
    served = np.array([bool(r["served"]) for r in v], dtype=bool)
    routes: dict[int, list] = {}
    for i, r in enumerate(v):
        if r["route"] >= 0:
            routes.setdefault(int(r["route"]), []).append((int(r["stop"]), i))
    town_xy = np.array(sorted({(r["township_x_km"], r["township_y_km"]) for r in v})).reshape(-1, 2)
    network = dict(hub_xy=(0.0, 0.0), village_xy=xy, residents=np.array([r["residents"] for r in v], float),
                   served=served, routes=[[i for _, i in sorted(routes[k])] for k in sorted(routes)],
                   township_xy=town_xy)
    return write_figures(out / "figures", daily, lead, np.array([r["load_factor_in"] for r in trips], float),
                         np.array([r["load_factor_out"] for r in trips], float), network, workers,
                         replications=len(read_table(out / "runs.csv")))
