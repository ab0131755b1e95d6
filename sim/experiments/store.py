"""The results folder as a run store, for experiments and rollouts alike: one stamp
(``stamp.json``) saying what the folder holds, one file per finished run under
``runs/`` (written atomically before it counts as done), one file per failed run under
``failures/``, and one way to start again (``--fresh``)."""
from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

from sim.errors import InputError
from sim.experiments.stamp import STAMP_FILE, stamp_changes, stamp_digest
from sim.files import atomic_write_text

Key = tuple[str, ...]


class RunStore:
    """``DIR/runs/<k0>/.../<kn>.json`` for finished runs and
    ``DIR/failures/<k0>_..._<kn>.json`` for failed ones; ``key_of`` gives a run
    record's key. Every record carries the folder's stamp digest; a record with
    another digest is not counted as done (it is run again)."""

    def __init__(self, root: Path, key_of: Callable[[Mapping], Key], digest: str):
        self.root = Path(root)
        self.key_of = key_of
        self.digest = digest

    def run_path(self, key: Key) -> Path:
        return self.root.joinpath("runs", *key[:-1], f"{key[-1]}.json")

    def failure_path(self, key: Key) -> Path:
        return self.root / "failures" / f"{'_'.join(key)}.json"

    def read(self, key: Key) -> dict | None:
        """The finished run ``key``, or None if it is not done under this stamp."""
        p = self.run_path(key)
        if not p.exists():
            return None
        rec = json.loads(p.read_text())
        return rec if rec.get("stamp") == self.digest else None

    def records(self) -> Iterator[dict]:
        """Every finished run of this stamp, in path order."""
        for p in sorted((self.root / "runs").rglob("*.json")):
            rec = json.loads(p.read_text())
            if rec.get("stamp") == self.digest:
                yield rec

    def failures(self) -> list[dict]:
        return [json.loads(p.read_text()) for p in sorted((self.root / "failures").glob("*.json"))]

    def write(self, rec: dict, default: Callable | None = None) -> None:
        """Record a finished (``rec["ok"]``) or failed run; a success clears an
        earlier failure of the same run."""
        key = self.key_of(rec)
        rec = {**rec, "stamp": self.digest}
        text = json.dumps(rec, sort_keys=True, default=default) + "\n"
        if rec["ok"]:
            atomic_write_text(self.run_path(key), text)
            fp = self.failure_path(key)
            if fp.exists():
                fp.unlink()
        else:
            atomic_write_text(self.failure_path(key), text)

    def clean_temporaries(self) -> None:
        for p in self.root.rglob(".*.tmp"):
            p.unlink()


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
    for name in outputs + (STAMP_FILE, "experiment.json", "rollout.json"):
        if (out / name).is_file():
            (out / name).unlink()


def prepare_folder(out: Path, stamp: dict, fresh: bool, key_of: Callable[[Mapping], Key],
                   outputs: tuple[str, ...] = ()) -> RunStore:
    """Start or resume a results folder. A folder stamped with another config, other
    input files or another code version is refused unless ``fresh`` (which removes
    the runs and the named ``outputs`` the program wrote there)."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {str(out)!r}: exists and is not a folder")
    marker = out / STAMP_FILE
    if not fresh:
        if marker.exists():
            old = json.loads(marker.read_text())
            changed = stamp_changes(old, stamp)
            if changed:
                raise InputError(f"{out}: was started with {'; '.join(changed)}; use --fresh to discard its runs "
                                 "and start again, or another --out")
        elif (out / "runs").exists() or (out / "runs.csv").exists():
            raise InputError(f"{out}: holds results without a stamp (an unknown config or an older version); "
                             "use --fresh to replace them, or another --out")
    else:
        _remove_runs(out, outputs)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(marker, json.dumps(stamp, indent=2, sort_keys=True) + "\n")
    store = RunStore(out, key_of, stamp_digest(stamp))
    store.clean_temporaries()
    return store
