"""Writing results: CSV and JSON files written atomically (a temporary file in the
same folder, then renamed), with numbers formatted so that the same results give
byte-identical files."""
from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np


def fmt(value) -> str:
    """A number as the shortest text that reads back to the same value."""
    if isinstance(value, (bool, np.bool_)):
        return "true" if value else "false"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        if v.is_integer() and abs(v) < 1e15:
            return f"{v:.1f}"
        return repr(v)
    return str(value)


def short_number(x: float) -> str:
    """A number for people to read in tables and labels: thousands separated, a few digits
    (three significant ones below 0.01, so small values do not read as 0.000)."""
    if not math.isfinite(x):
        return "n/a"
    if 0 < abs(x) < 0.01:
        return f"{x:.3g}"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    if abs(x) >= 10:
        return f"{x:.1f}"
    return f"{x:.3f}"


def supported_decimals(half_width: float, mean: float = 0.0) -> int | None:
    """Decimals that give a half-width two significant digits: the digits an interval
    supports (negative: whole tens, hundreds...). None where there is no half-width to go
    by: missing, 0, or float noise (under 1e-9 of ``mean``: a value that never varies)."""
    if not (math.isfinite(half_width) and half_width > 1e-9 * max(abs(mean), 1e-3)):
        return None
    return 1 - math.floor(math.log10(half_width))


def at_decimals(x: float, decimals: int, signed: bool = False) -> str:
    """``x`` rounded to ``decimals`` (negative: to whole tens, hundreds...), thousands
    separated; never "-0". ``signed``: a plus sign on a positive number."""
    x = round(x, decimals) + 0.0   # + 0.0 turns a -0.0 into 0.0
    return f"{'+' if signed and x > 0 else ''}{x:,.{max(decimals, 0)}f}"


def plus_minus(mean: float, half_width: float, signed: bool = False) -> str:
    """'mean ± half-width' for people: the half-width to two significant digits and the
    mean to the same decimal place, the digits the interval supports (6.175 ± 0.0079
    reads 6.1750 ± 0.0079; 708,398 ± 1,011 reads 708,400 ± 1,000). A half-width of 0
    (or float noise: under 1e-9 of the mean) reads "± 0" and a missing one is left out,
    the mean then as :func:`short_number` gives it (a whole mean with a half-width of 0
    reads whole: 92 ± 0). ``signed``: a plus sign on a positive mean (a difference)."""
    m, hw = mean_and_half_width(mean, half_width, signed)
    return f"{m} ± {hw}" if hw else m


def mean_and_half_width(mean: float, half_width: float, signed: bool = False) -> tuple[str, str]:
    """The two texts of :func:`plus_minus` apart, for tables with a column each (the
    half-width's text empty where it is missing)."""
    decimals = supported_decimals(half_width, mean) if math.isfinite(mean) else None
    if decimals is None:
        tail = "0" if math.isfinite(mean) and math.isfinite(half_width) else ""
        if tail and mean.is_integer():   # a whole number that never varies (villages served) reads whole
            return at_decimals(mean, 0, signed), tail
        return f"{'+' if signed and mean > 0 else ''}{short_number(mean)}", tail
    return at_decimals(mean, decimals, signed), at_decimals(half_width, decimals)


def in_interval(value: float, low: float, high: float, signed: bool = False) -> str:
    """'value [low, high]' (a difference and its 95% interval) in the digits the interval
    supports, as :func:`plus_minus`: its half-width, (high - low) / 2, to two significant
    digits (-1.3766 [-1.3805, -1.3727]; 5 [2, 8] reads 5.0 [2.0, 8.0]). ``signed``: plus
    signs on positive numbers."""
    decimals = supported_decimals((high - low) / 2, value) if math.isfinite(value) else None

    def text(v: float) -> str:
        if decimals is None or not math.isfinite(v):
            return ("+" if signed and v > 0 else "") + short_number(v)
        return at_decimals(v, decimals, signed)
    return f"{text(value)} [{text(low)}, {text(high)}]"


def atomic_write_text(path: str | os.PathLike, text: str) -> Path:
    """Write ``text`` to ``path`` so that readers see the old file or the new one, never half."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, p)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    return p


FIGURE_SUFFIXES = (".png", ".svg")


def marked_span(path: str | os.PathLike, start: str, end: str, what: str, option: str) -> tuple[str, int, int]:
    """The text of ``path`` and the span between its lines ``start`` and ``end``, where a
    generated block (``what``, e.g. "the findings' digest") goes. Raises InputError
    naming ``option`` (the command's option that names the file) if the file cannot be
    read or does not hold the two lines once each, in that order."""
    from sim.errors import InputError
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{p}: file not found ({option} names the file where {what} is rewritten)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: cannot be read: {exc}") from None
    i, j = text.find(start), text.find(end)
    if i < 0 or j < i or text.count(start) != 1 or text.count(end) != 1:
        raise InputError(f"{p}: {what} goes between one line {start} and one later line {end}; the file does not "
                         "have them (add the two lines where it belongs)")
    return text, i + len(start), j


def replace_marked(path: str | os.PathLike, start: str, end: str, block: str, what: str, option: str) -> Path:
    """Rewrite the span between the lines ``start`` and ``end`` of ``path`` with ``block``
    (:func:`marked_span`); the rest of the file stays as it is."""
    text, i, j = marked_span(path, start, end, what, option)
    return atomic_write_text(path, text[:i] + "\n" + block + text[j:])


def remove_figures(folder: str | os.PathLike, keep: Iterable[str | os.PathLike] | None = None) -> list[Path]:
    """Remove the figure files (PNG, SVG) in ``folder`` but those in ``keep``, so a folder
    never holds figures an earlier draw made and this one did not (another figure set,
    other tables); other files stay. Without ``keep`` (every figure goes) the folder goes
    too if that leaves it empty. Returns what was removed."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    kept = {Path(p).resolve() for p in keep or ()}
    gone = [p for p in sorted(folder.iterdir())
            if p.is_file() and p.suffix in FIGURE_SUFFIXES and p.resolve() not in kept]
    for p in gone:
        p.unlink()
    if keep is None and not any(folder.iterdir()):
        folder.rmdir()
    return gone


def csv_text(columns: Sequence[str], rows: Iterable[Mapping]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    for row in rows:
        w.writerow([fmt(row[c]) for c in columns])
    return buf.getvalue()


def write_csv(path, columns: Sequence[str], rows: Iterable[Mapping]) -> Path:
    return atomic_write_text(path, csv_text(columns, rows))


def write_columns_csv(path, table: Mapping[str, np.ndarray]) -> Path:
    """A table given as columns (equal-length arrays) to CSV."""
    cols = list(table)
    n = len(next(iter(table.values()))) if table else 0
    rows = ({c: table[c][i] for c in cols} for i in range(n))
    return write_csv(path, cols, rows)


def write_json(path, data) -> Path:
    return atomic_write_text(path, json.dumps(data, indent=2, sort_keys=True, default=_json_default) + "\n")


def _json_default(obj):
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.floating):
        return float(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def read_csv_columns(path) -> dict[str, list[float]]:
    """A numeric CSV as columns (for re-analysis of written results)."""
    from sim.errors import InputError
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: file not found")
    with p.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    if not rows:
        raise InputError(f"{p}: no rows")
    try:
        return {k: [float(r[k]) for r in rows] for k in rows[0]}
    except ValueError as exc:
        raise InputError(f"{p}: not a numeric table: {exc}") from None
