"""Reading the CSV files a config names (villages, counties, schedules): UTF-8 with or
without a byte-order mark, every failure one :class:`InputError` naming the file and
line, a limit on rows stated before anything is built, and ids that become parts of
file paths checked to be plain names."""
from __future__ import annotations

import csv
import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from sim.errors import InputError

SAFE_NAME = re.compile(r"^\w[\w.-]{0,79}$")
"""A name that may become part of a file path: letters, digits, _ . - (no separators,
no leading dot), at most 80 characters."""


def check_name(name: str, where: str, key: str) -> str:
    """``name`` if it is safe as a path part, else an :class:`InputError`."""
    if not isinstance(name, str) or not SAFE_NAME.match(name) or ".." in name:
        shown = repr(name) if len(repr(name)) <= 80 else repr(name)[:77] + "..."
        raise InputError(f"{where}: {key}: {shown} is not allowed: expected a name of letters, digits, '_', '.' "
                         "and '-' (no path separators, not starting with '.', at most 80 characters)")
    return name


def read_rows(path: str | Path, columns: Sequence[str], what: str, max_rows: int) -> Iterator[tuple[int, dict]]:
    """(line number, row) of every data row of the CSV ``path`` with at least ``columns``;
    ``what`` names the file's role in messages (e.g. "villages file (county.villages_csv)")."""
    p = Path(path)
    if not p.is_file():
        noun, _, key = what.partition(" (")
        raise InputError(f"{p}: {noun} not found" + (f" ({key}" if key else ""))
    try:
        with p.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.DictReader(fh)
            cols = tuple(c.strip() for c in (reader.fieldnames or ()))
            reader.fieldnames = list(cols)
            missing = [c for c in columns if c not in cols]
            if missing:
                raise InputError(f"{p}: line 1: missing column(s) {', '.join(missing)}; expected columns "
                                 f"{', '.join(columns)}")
            for n, row in enumerate(reader, start=1):
                line = reader.line_num
                if n > max_rows:
                    raise InputError(f"{p}: line {line}: more than {max_rows:,} rows is not allowed in a {what}")
                if None in row:
                    raise InputError(f"{p}: line {line}: more fields than the {len(cols)} columns of the header")
                yield line, row
    except UnicodeDecodeError as exc:
        raise InputError(f"{p}: not UTF-8 text (byte {exc.start} of a line near there); save it as UTF-8") from None
    except csv.Error as exc:
        raise InputError(f"{p}: not a readable CSV file: {exc}") from None
    except OSError as exc:
        raise InputError(f"{p}: cannot be read: {exc.strerror or exc}") from None


def number(row: dict, key: str, p: Path, line: int, *, lo: float | None = None, hi: float | None = None,
           lo_open: bool = False, whole: bool = False) -> float:
    """A finite number from a CSV cell within [lo, hi] (or (lo, hi]); ``whole`` numbers
    only if asked."""
    raw = row.get(key)
    try:
        val = float(raw)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InputError(f"{p}: line {line}: {key} {raw!r} is not allowed: expected a number") from None
    bad = not (val == val and abs(val) != float("inf"))
    bad = bad or (lo is not None and (val < lo or (lo_open and val == lo))) or (hi is not None and val > hi)
    bad = bad or (whole and not float(val).is_integer())
    if bad:
        left = "(" if lo_open else "["
        rng = f"{left}{lo if lo is not None else '-inf'}, {hi if hi is not None else 'inf'}]"
        shown = str(raw).strip() if len(str(raw)) <= 40 else str(raw)[:37] + "..."
        raise InputError(f"{p}: line {line}: {key} {shown} is not allowed: expected a "
                         f"{'whole ' if whole else ''}number in {rng}")
    return val
