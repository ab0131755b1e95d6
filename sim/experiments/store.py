"""The results folder as a run store, for experiments and rollouts alike: one stamp
(``stamp.json``) saying what the folder holds, one file per finished run under
``runs/`` (written atomically before it counts as done), one file per failed run under
``failures/``, and one way to start again (``--fresh``)."""
from __future__ import annotations

import fcntl
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from sim.config.csvread import SAFE_NAME
from sim.config.loader import a_kind
from sim.errors import InputError
from sim.experiments.stamp import STAMP_FILE, stamp_changes, stamp_digest
from sim.files import atomic_write_text, remove_figures

Key = tuple[str, ...]
LOCK_FILE = ".lock"


class RunStore:
    """``DIR/runs/<k0>/.../<kn>.json`` for finished runs and
    ``DIR/failures/<k0>_..._<kn>.json`` for failed ones; ``key_of`` gives a run
    record's key. Every record carries the folder's stamp digest, its own key and a
    checksum of its contents. A file that cannot be read, fails its checksum, sits
    at another run's path or carries another stamp is not used: it is noted in
    ``problems`` (path -> reason) and the run is done again."""

    def __init__(self, root: Path, key_of: Callable[[Mapping], Key], digest: str):
        self.root = Path(root)
        self.key_of = key_of
        self.digest = digest
        self.problems: dict[str, str] = {}
        self._lock: Any = None

    def run_path(self, key: Key) -> Path:
        _check_key(key)
        return self.root.joinpath("runs", *key[:-1], f"{key[-1]}.json")

    def failure_path(self, key: Key) -> Path:
        _check_key(key)
        return self.root / "failures" / f"{'_'.join(key)}.json"

    def read(self, key: Key) -> dict | None:
        """The finished run ``key``, or None if it is not (usably) done under this stamp."""
        p = self.run_path(key)
        if not p.exists():
            return None
        rec, why = _checked(p, key, self.key_of)
        if rec is not None and rec.get("stamp") != self.digest:
            rec, why = None, "written for another stamp (other inputs or code)"
        if rec is None:
            self.problems[str(p)] = why
        return rec

    def records(self) -> Iterator[dict]:
        """Every usable finished run, in path order."""
        runs = self.root / "runs"
        for p in sorted(runs.rglob("*.json")):
            rec = self.read(p.relative_to(runs).with_suffix("").parts)
            if rec is not None:
                yield rec

    def failures(self) -> list[dict]:
        out = []
        for p in sorted((self.root / "failures").glob("*.json")):
            try:
                out.append(json.loads(p.read_text()))
            except (OSError, ValueError):
                continue  # an unreadable failure record: the run is simply tried again
        return out

    def write(self, rec: dict, default: Callable | None = None) -> None:
        """Record a finished (``rec["ok"]``) or failed run; a success clears an
        earlier failure of the same run."""
        key = self.key_of(rec)
        body = {**rec, "stamp": self.digest, "key": list(key)}
        body.pop("sha256", None)
        text = _dump(body, default)
        body["sha256"] = hashlib.sha256(text.encode()).hexdigest()
        if rec["ok"]:
            atomic_write_text(self.run_path(key), _dump(body, default) + "\n")
            self.problems.pop(str(self.run_path(key)), None)
            fp = self.failure_path(key)
            if fp.exists():
                fp.unlink()
        else:
            atomic_write_text(self.failure_path(key), _dump(body, default) + "\n")

    def clean_temporaries(self) -> None:
        for p in self.root.rglob(".*.tmp"):
            p.unlink()

    def close(self) -> None:
        """Release the folder's lock."""
        if self._lock is not None:
            self._lock.close()
            self._lock = None


def _check_key(key: Key) -> None:
    """Every part of a run's key is a plain name: nothing is ever written outside the
    results folder (names are also refused where the config gives them)."""
    for part in key:
        if not SAFE_NAME.match(str(part)) or ".." in str(part):
            raise InputError(f"{part!r} is not allowed as part of a results path: expected a name of letters, "
                             "digits, '_', '.' and '-'")


def _dump(body: Mapping, default: Callable | None) -> str:
    return json.dumps(body, sort_keys=True, default=default)


def _checked(path: Path, key: Key, key_of: Callable[[Mapping], Key]) -> tuple[dict | None, str]:
    """A run file's record if it is whole and is the run its path says, else (None, why)."""
    try:
        rec = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        return None, f"unreadable ({type(exc).__name__})"
    if not isinstance(rec, dict) or "sha256" not in rec:
        return None, "not a run record (no checksum)"
    claimed = rec.pop("sha256")
    if hashlib.sha256(_dump(rec, None).encode()).hexdigest() != claimed:
        return None, "checksum mismatch (the file was changed or damaged)"
    try:
        own = tuple(str(k) for k in key_of(rec))
    except (KeyError, TypeError, ValueError):
        return None, "not a run record (no identity)"
    if own != tuple(key) or tuple(rec.get("key", ())) != tuple(key):
        return None, f"holds run {'/'.join(own)}, not {'/'.join(key)}"
    return rec, ""


def _remove_runs(out: Path, outputs: tuple[str, ...]) -> None:
    """Remove what the program wrote: run and failure records, their temporaries and
    the named output files; other files are left where they are."""
    for sub in ("runs", "failures"):
        folder = out / sub
        if not folder.exists():
            continue
        for p in sorted(folder.rglob("*"), reverse=True):
            if p.is_file() and (p.suffix == ".json" or p.name.endswith(".tmp")):
                p.unlink()
            elif p.is_dir() and not any(p.iterdir()):
                p.rmdir()
        if not any(folder.iterdir()):
            folder.rmdir()
    for name in (*outputs, STAMP_FILE, "experiment.json", "rollout.json"):
        if (out / name).is_file():
            (out / name).unlink()
    remove_figures(out / "figures")


def lock_folder(out: Path) -> Any:
    """Create ``out`` if needed (proving it can be written) and take its lock: a second
    run into the same folder is refused while the first holds it."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        fh = open(out / LOCK_FILE, "a+", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"--out {str(out)!r}: cannot write there: {exc.strerror or exc}") from None
    try:
        fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.close()
        raise InputError(f"{out}: another run is writing to this folder; wait for it to finish, "
                         "or use another --out") from None
    return fh


def folder_kind(out: Path) -> str | None:
    """What a results folder holds, from its stamp or manifest (None: nothing of ours)."""
    for name in (STAMP_FILE, "manifest.json"):
        p = out / name
        if p.is_file():
            try:
                kind = json.loads(p.read_text()).get("kind")
            except (OSError, ValueError, AttributeError):
                return "unknown"
            return kind if isinstance(kind, str) else "unknown"
    return None


def prepare_folder(out: Path, stamp: dict, fresh: bool, key_of: Callable[[Mapping], Key],
                   outputs: tuple[str, ...] = ()) -> RunStore:
    """Start or resume a results folder. A folder stamped with another config, other
    input files or another code version is refused unless ``fresh`` (which removes
    the runs, the named ``outputs`` and the figures the program wrote there); a folder holding
    another kind of results is refused, ``fresh`` or not. The folder stays locked
    until the store is closed."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {str(out)!r}: exists and is not a folder")
    kind = folder_kind(out) if out.exists() else None
    if kind is not None and kind != stamp["kind"]:
        raise InputError(f"{out}: holds the results of {a_kind(kind)}, not of {a_kind(stamp['kind'])}; "
                         "use another --out")
    lock = lock_folder(out)
    try:
        marker = out / STAMP_FILE
        if not fresh:
            if marker.exists():
                try:
                    old = json.loads(marker.read_text())
                except (OSError, ValueError):
                    old = {}
                changed = stamp_changes(old, stamp)
                if changed:
                    raise InputError(f"{out}: was started with {'; '.join(changed)}; use --fresh to discard its "
                                     "runs and start again, or another --out")
            elif (out / "runs").exists() or (out / "runs.csv").exists():
                raise InputError(f"{out}: holds results without a stamp (an unknown config or an older version); "
                                 "use --fresh to replace them, or another --out")
        else:
            _remove_runs(out, outputs)
        atomic_write_text(marker, json.dumps(stamp, indent=2, sort_keys=True) + "\n")
    except BaseException:
        lock.close()
        raise
    store = RunStore(out, key_of, stamp_digest(stamp))
    store._lock = lock
    store.clean_temporaries()
    return store


def mark_incomplete(out: Path, kind: str, name: str, started: str) -> None:
    """Say in ``manifest.json`` that the folder's tables are being written: a kill or a
    full disk from here on leaves a folder that says it is incomplete (the finished
    manifest, written last, says ``complete``)."""
    atomic_write_text(out / "manifest.json", json.dumps({"kind": kind, "name": name, "status": "incomplete",
                                                         "started_utc": started}, indent=2) + "\n")
