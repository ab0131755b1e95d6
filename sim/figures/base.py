"""What every figure shares: new axes of a given size, the empty-data panel, one print-readable
style, KPI and factor labels with units, reading written tables back, and the atomic,
byte-reproducible save of each figure as PNG and SVG.

Figures use only the object-oriented API (``matplotlib.figure.Figure``, never ``pyplot``), so
they need no display, keep no global figure state and work under any backend.
"""
from __future__ import annotations

import contextlib
import csv
import math
import multiprocessing
import os
import pathlib
import re
import tempfile
import textwrap
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING, Any

import matplotlib
from matplotlib.axes import Axes
from matplotlib.axis import Axis
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from sim.analysis import registry
from sim.config.scenario import Scenario
from sim.config.schema import field_meta
from sim.errors import InputError
from sim.files import remove_figures

if TYPE_CHECKING:  # the names of matplotlib's rc settings (matplotlib >= 3.9), for type checking only
    from matplotlib.typing import RcKeyType

PNG_DPI = 120
#: Fixed salt for SVG element ids so that identical data give byte-identical SVG files.
SVG_HASHSALT = "ruralsim-plots"

#: Font sizes (points) readable when a figure 7-10 in wide is printed on an A4 page; relative sizes
#: ("small" = 0.83 x, "x-small" = 0.69 x) scale from ``font.size``.
STYLE: dict[RcKeyType, Any] = {
    "font.size": 10.0,
    "axes.titlesize": 11.0,
    "axes.labelsize": 10.0,
    "xtick.labelsize": 9.0,
    "ytick.labelsize": 9.0,
    "legend.fontsize": 9.0,
    "figure.titlesize": 12.0,
}

# unit suffixes of config field names (factor paths) -> (unit, keep the suffix word)
_UNIT_SUFFIXES: tuple[tuple[str, str, bool], ...] = (
    ("_cny", "CNY", False), ("_kg", "kg", False), ("_km", "km", False), ("_h", "h", False),
    ("_d", "d", False), ("_y", "per year", False), ("_share", "share", False), ("_rate", "share", True),
)

#: Config field names whose words alone do not say what they set -> the words a label uses instead
#: (the unit still comes from the suffix): ``service.remote_every_d`` -> "remote villages served every (d)".
_FACTOR_WORDS: dict[str, str] = {
    "tiers": "network tiers",
    "every_d": "villages served every",
    "remote_every_d": "remote villages served every",
    "remote_from_km": "villages remote from",
    "vehicles_per_route": "vehicles per route",
    "parcels_per_resident_y": "demand",
    "kg_per_resident_y": "produce",
    "ambient_c": "ambient temperature",
    "cold_c": "cold-chain temperature",
    "capacity_parcels_per_run": "capacity per run",
    "capacity_kg_per_run": "capacity per run",
}

#: Words of field names a label spells out.
_WORD_TEXT: dict[str, str] = {"doy": "day of year", "co2": "CO2", "cv": "CV"}

#: Units of pure numbers (a Gini index, a class): shown without a unit.
_NO_UNIT = frozenset({"-", ""})


@contextlib.contextmanager
def figure_style() -> Iterator[None]:
    """Draw inside this to get the house style (it is read when artists are created)."""
    with matplotlib.rc_context({**STYLE, "svg.hashsalt": SVG_HASHSALT}):
        yield


def new_axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    """``ax`` itself, or the axes of a new figure of ``figsize`` inches (constrained layout)."""
    if ax is not None:
        return ax
    fig = Figure(figsize=figsize, layout="constrained")
    return fig.add_subplot()


def no_data(ax: Axes, message: str) -> None:
    """Write ``message`` in grey in the middle of an empty panel."""
    ax.text(0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center", color="0.4")


def kpi_label(name: str) -> str:
    """A registered KPI's label with its unit (none for a pure number such as a Gini index);
    ``KeyError`` for a name that is not registered."""
    return registry.label(name)


def kpi_axis_label(name: str, unit: str | None = None) -> str:
    """A registered KPI's label for a figure: :func:`kpi_label`, with ``unit`` (e.g. "million CNY";
    "" for none) in place of the registered unit if given."""
    if unit is None:
        return registry.label(name)
    label = registry.kpi(name).label
    return label if unit in _NO_UNIT else f"{label} ({unit})"


#: Words that keep their capital letter inside a sentence.
_PROPER_NOUNS = frozenset({"Gini"})


def in_sentence(label: str) -> str:
    """A label as a phrase inside a sentence: first letter lower case unless the word is an
    abbreviation or a name ("Total cost" -> "total cost", "CO2 emitted" and "Gini of ..." stay)."""
    first = label.split(" ", 1)[0]
    if len(first) > 1 and first[0].isupper() and not (first[1].isupper() or first[1].isdigit()) \
            and first not in _PROPER_NOUNS:
        return label[0].lower() + label[1:]
    return label


def money_scale(values: Iterable[float], unit: str) -> tuple[float, str]:
    """(divisor, unit) that keeps amounts in CNY short on an axis, so that matplotlib writes no
    offset text ("1e6") that could run into the axis label: million or thousand CNY from the
    largest finite absolute value; (1, ``unit``) for other units."""
    if unit != "CNY":
        return 1.0, unit
    finite = [abs(float(v)) for v in values if math.isfinite(float(v))]
    top = max(finite, default=0.0)
    if top >= 1e6:
        return 1e6, "million CNY"
    if top >= 1e4:
        return 1e3, "thousand CNY"
    return 1.0, unit


def plain_ticks(axis: Axis, most: int | None = None) -> None:
    """Tick labels of ``axis`` as plain numbers, no offset text (it could run into the axis
    label), with thousands separators once they reach 10,000 (450,000 km, not 450000); at
    most ``most`` intervals between ticks if given."""
    axis.set_major_formatter(FuncFormatter(_plain_tick))
    if most is not None:
        axis.set_major_locator(MaxNLocator(nbins=most))


def _plain_tick(value: float, _pos=None) -> str:
    text = f"{value:,.0f}" if abs(value) >= 1e4 else f"{value:.6g}"
    return text.replace("-", "\u2212")   # a true minus sign, as matplotlib's own labels


def kpi_unit(name: str) -> str:
    """The registered unit of a KPI."""
    return registry.kpi(name).unit


def wrap_title(text: str, width: int = 70) -> str:
    """``text`` broken into lines of at most ``width`` characters (a title wider than its figure
    would be cut off); existing line breaks are kept."""
    return "\n".join(textwrap.fill(line, width) for line in text.split("\n"))


def legend_below(ax: Axes, own_figure: bool, fontsize: str = "small", ncols: int = 2) -> None:
    """The legend of ``ax`` below everything else: in its own figure (``own_figure``), a figure
    legend under the axis title that the constrained layout makes room for (placed below the
    axes by an offset, it ran into the axis title of a short figure or left a gap under a tall
    one); in a caller's figure, inside the axes where it covers least."""
    if own_figure:
        handles, labels = ax.get_legend_handles_labels()
        ax.figure.legend(handles, labels, loc="outside lower center", fontsize=fontsize, ncols=ncols)
    else:
        ax.legend(fontsize=fontsize, ncols=ncols, loc="best")


def short_name(path: str) -> str:
    """Last component of a dotted factor path (``"stations.coverage_share"`` -> ``"coverage_share"``)."""
    return str(path).rsplit(".", 1)[-1]


def factor_label(path: str) -> str:
    """Label of a lever or uncertainty. A scenario key with a declared unit: its name without the
    words that spell the unit, and the unit (``crops.0.price_cny_per_kg`` -> "price (CNY/kg)",
    ``hub.cost_per_day_cny`` -> "cost per day (CNY/d)"); other names by their suffix:
    ``stations.coverage_share`` -> "coverage (share)", ``demand.growth_rate`` -> "growth rate (share)",
    ``lastmile.vehicles`` -> "vehicles". Names whose words alone read badly take theirs from a table
    (``service.remote_every_d`` -> "remote villages served every (d)"). An undotted registered KPI
    name gets its label (:func:`kpi_label`)."""
    if str(path) in registry.KPIS:
        return kpi_label(str(path))
    name = short_name(path)
    meta = field_meta(Scenario, str(path))
    if meta is not None and meta.get("unit"):   # a scenario key: its declared unit, its name without it
        words = _FACTOR_WORDS.get(name) or _words_without_unit(name, meta["unit"])
        return f"{_entry(str(path))}{words} ({meta['unit']})"
    for suffix, unit, keep in _UNIT_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            stem = name if keep else name[: -len(suffix)]
            return f"{_entry(str(path))}{_FACTOR_WORDS.get(name, _words(stem))} ({unit})"
    return _entry(str(path)) + _FACTOR_WORDS.get(name, _words(name))


#: Lists of config entries -> what one entry is called in a label ("crop 2: shelf life (d)").
_ENTRY_NAMES = {"crops": "crop", "calendar": "event"}
#: Mappings of named config entries: the entry's name leads its keys' labels ("van: speed (km/h)").
_NAMED_ENTRIES = frozenset({"vehicle_types", "by_township", "by_village"})


def _entry(path: str) -> str:
    """Which entry of a list or named mapping a key path sets, as a label's lead ("crop 1: "), or ""."""
    parts = path.split(".")
    if len(parts) >= 3 and parts[-2].isdigit():
        return f"{_ENTRY_NAMES.get(parts[-3], parts[-3])} {int(parts[-2]) + 1}: "
    if len(parts) >= 3 and parts[-3] in _NAMED_ENTRIES:
        return f"{parts[-2].replace('_', ' ')}: "
    return ""


def _words(name: str) -> str:
    return " ".join(_WORD_TEXT.get(w, w) for w in name.strip("_").split("_"))


def _words_without_unit(name: str, unit: str) -> str:
    """A field name's words without the trailing ones that spell its unit:
    ``price_cny_per_kg`` (CNY/kg) -> "price", ``sort_rate_parcels_per_h`` (parcels/h) -> "sort rate",
    ``speed_kmh`` (km/h) -> "speed"; at least one word is kept."""
    spelled = {t.lower() for t in re.split(r"[/ ]+", unit) if t} | {"per"}
    if "km/h" in unit:
        spelled.add("kmh")
    words = name.split("_")
    while len(words) > 1 and words[-1].lower() in spelled:
        words.pop()
    return _words("_".join(words))


def label_name(label: str) -> str:
    """A label without its trailing unit: "Cost per parcel in (CNY)" -> "Cost per parcel in"."""
    return label.rsplit(" (", 1)[0] if label.endswith(")") else label


def as_float(value) -> float:
    """A table value as float (NaN if missing or not a number)."""
    if value is None:
        return float("nan")
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def as_bool(value) -> bool:
    """A table value as bool ("true"/"1"/"yes" strings, non-zero numbers; NaN is False)."""
    if isinstance(value, str):
        return value.strip().lower() in {"true", "1", "yes", "y"}
    try:
        return bool(value) and not (isinstance(value, float) and math.isnan(value))
    except (TypeError, ValueError):
        return False


_TEXT = {"scenario_id", "scenario", "baseline_id", "kpi", "error", "traceback", "id", "road_class"}


def _value(text: str):
    if text in ("true", "false"):
        return text == "true"
    try:
        f = float(text)
    except ValueError:
        return text
    plain = "." not in text and "e" not in text.lower() and text not in ("nan", "inf")
    return int(f) if f.is_integer() and plain else f


def read_table(path: pathlib.Path) -> list[dict]:
    """A written CSV table as rows, numbers and booleans converted back (text columns kept)."""
    if not path.is_file():
        raise InputError(f"{path}: file not found (is this an experiment's results folder?)")
    with path.open(newline="", encoding="utf-8") as fh:
        return [{k: (v if k in _TEXT else _value(v)) for k, v in row.items()} for row in csv.DictReader(fh)]


def atomic_savefig(fig: Figure, path: pathlib.Path, fmt: str, **kwargs) -> None:
    """Save ``fig`` as ``fmt`` to ``path`` through a temporary file in the same folder, so readers
    see the old file or the new one, never half a file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fig.savefig(fh, format=fmt, **kwargs)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def save_figures(out: pathlib.Path, makers: Iterable, workers: int | None = None,
                 prune: bool = False) -> list[pathlib.Path]:
    """Draw each (file stem, function returning Axes) in the house style and write it as PNG
    (dpi ``PNG_DPI``) and SVG, atomically and byte-reproducibly (fixed SVG hash salt, no date).
    The figures are drawn in parallel on a process pool of ``workers`` (default: every core,
    at most one per figure); the files are the same whatever the number. With ``prune`` (a
    folder of figures only), figure files in ``out`` this call did not write are removed: an
    earlier draw's figures that this one has no longer (stale) never stay beside the new ones.
    Returns the written paths, sorted."""
    written = _save_figures(out, makers, workers)
    if prune:
        remove_figures(out, keep=written)
    return written


def _save_figures(out: pathlib.Path, makers: Iterable, workers: int | None) -> list[pathlib.Path]:
    global _PENDING
    makers = list(makers)
    n = min(len(makers), workers or os.cpu_count() or 1)
    if n <= 1 or "fork" not in multiprocessing.get_all_start_methods() or multiprocessing.current_process().daemon:
        return sorted(p for i in range(len(makers)) for p in _save_one(out, makers[i]))
    # forked workers inherit the drawing functions (closures over the tables) and matplotlib
    # already imported: nothing is pickled but an index and the written paths
    _PENDING = makers
    try:
        with ProcessPoolExecutor(max_workers=n, mp_context=multiprocessing.get_context("fork")) as pool:
            done = list(pool.map(_save_pending, [out] * len(makers), range(len(makers))))
    finally:
        _PENDING = []
    return sorted(p for paths in done for p in paths)


_PENDING: list = []
"""The figures a pool is drawing (set in the parent just before its workers are forked)."""


def _save_pending(out: pathlib.Path, i: int) -> list[pathlib.Path]:
    return _save_one(out, _PENDING[i])


def _save_one(out: pathlib.Path, maker) -> list[pathlib.Path]:
    stem, make = maker
    with figure_style():
        fig = make().figure
        png = out / f"{stem}.png"
        svg = out / f"{stem}.svg"
        atomic_savefig(fig, png, "png", dpi=PNG_DPI)
        # the layout the PNG was drawn with serves the SVG too: laid out once, the two files agree
        # and the second costs one pass less
        fig.set_layout_engine("none")
        atomic_savefig(fig, svg, "svg", metadata={"Date": None})
    return [png, svg]
