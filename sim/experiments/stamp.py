"""What makes a results folder what it is: the resolved config, the contents of every
input file the config reads, and the code version. A folder's stamp is written when it
is started; a run into it with any of the three changed is refused unless ``--fresh``,
so results are never silently resumed from other inputs or other code. A scenario's id
is stamped the same way from its parameters and input files (:func:`scenario_id`)."""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import platform
import sys
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

from sim.config.loader import a_kind
from sim.config.scenario import Scenario, scenario_data, scenario_input_files
from sim.errors import InputError

STAMP_FILE = "stamp.json"
#: the packages whose versions a manifest records
PACKAGES = ("ruralsim", "simpy", "numpy", "scipy", "matplotlib", "click", "PyYAML")


RESULT_PACKAGES = ("numpy", "simpy", "scipy")
"""The packages whose versions can change a run's numbers (random draws, events, statistics):
a folder's stamp records them, so an upgrade is never resumed into an earlier run's results."""


def package_versions() -> dict:
    """Python's version and each of :data:`PACKAGES`' ("not installed" if missing)."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def result_packages() -> str:
    """:func:`loaded_result_packages` in words ("numpy 2.4.6, scipy 1.17.1, simpy 4.1.2"), for
    documents that quote results and messages that compare versions: a fit or a run can come
    out differently under other versions."""
    return ", ".join(f"{name} {version}" for name, version in loaded_result_packages().items())


def loaded_result_packages() -> dict[str, str]:
    """The versions of :data:`RESULT_PACKAGES` this process runs: an imported module's own
    ``__version__`` (a long-lived worker keeps what it imported), else the installed one."""
    out = {}
    for name in sorted(RESULT_PACKAGES):
        version = getattr(sys.modules.get(name), "__version__", None)
        if version is None:
            try:
                version = metadata.version(name)
            except metadata.PackageNotFoundError:
                version = "not installed"
        out[name] = str(version)
    return out


def worker_identity() -> dict:
    """What a worker must share with the process that stamps its results: the code it has
    loaded and the versions of the packages that can change a run's numbers."""
    return {"code": loaded_code_version(), "packages": loaded_result_packages()}


@functools.lru_cache(maxsize=1)
def loaded_code_version() -> str:
    """:func:`code_version` as it was when this process first asked: the code it has loaded
    (a long-lived worker keeps running the modules it imported, whatever the files say now)."""
    return code_version()


def code_version() -> str:
    """Package version plus a hash of every module of the package (recursively, with
    their paths), so results from other code are noticed."""
    from sim import __version__
    h = hashlib.sha256()
    root = Path(__file__).resolve().parents[1]
    for p in sorted(root.rglob("*.py")):
        h.update(p.relative_to(root).as_posix().encode())
        h.update(p.read_bytes())
    return f"{__version__}+{h.hexdigest()[:12]}"


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes, or of a folder's files (names and bytes, sorted).
    A file's hash is remembered while its inode, size, modification and status-change
    times stay the same, so an experiment whose scenarios share one villages CSV reads it
    once (an edit that keeps the size and puts the modification time back still changes
    the status-change time, which no tool can set)."""
    p = Path(path)
    if p.is_file():
        st = p.stat()
        return _file_sha256(str(p.resolve()), st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
    return _tree_sha256(p)


@functools.lru_cache(maxsize=256)
def _file_sha256(path: str, ino: int, size: int, mtime_ns: int, ctime_ns: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def _tree_sha256(p: Path) -> str:
    """A folder's files (names and bytes, sorted); "missing" for nothing there."""
    if not p.is_dir():
        return "missing"
    h = hashlib.sha256()
    for f in sorted(q for q in p.rglob("*") if q.is_file()):
        h.update(f.relative_to(p).as_posix().encode() + b"\0")
        h.update(hashlib.sha256(f.read_bytes()).digest())
    return h.hexdigest()


def _canonical(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: _canonical(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {str(k): _canonical(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_canonical(v) for v in obj]
    if isinstance(obj, Path):
        return str(obj)
    return obj


def config_sha256(resolved: Any) -> str:
    """SHA-256 of a resolved config (dataclasses and plain data, canonical JSON)."""
    text = json.dumps(_canonical(resolved), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def input_hashes(files: Iterable[str | Path]) -> dict[str, str]:
    """{path: SHA-256 of its contents} for every input file (a folder counts as its files)."""
    return {str(Path(f).resolve()): file_sha256(f) for f in sorted({str(Path(f).resolve()) for f in files})}


def make_stamp(kind: str, name: str, resolved: Any, files: Iterable[str | Path],
               preview: int | None = None) -> dict:
    """A folder's stamp: kind, name, the resolved config's hash, every input file's
    hash and the code version; for a preview on some counties (part of the resolved
    config) also their number, so that a refusal can say what differs."""
    stamp: dict[str, Any] = {"kind": kind, "name": name, "config_sha256": config_sha256(resolved),
             "inputs_sha256": input_hashes(files), "code_version": code_version(),
             "packages": loaded_result_packages()}
    if preview is not None:
        stamp["preview_counties"] = preview
    return stamp


def check_inputs_unchanged(stamp: Mapping) -> None:
    """Refuse to call a folder complete when an input file changed while its runs ran (the
    runs then read a mix of the old and the new file): an :class:`InputError` naming it."""
    stamped = stamp.get("inputs_sha256") or {}
    now = input_hashes(p for p in stamped if Path(p).exists())
    changed = [p for p in sorted(stamped) if now.get(p) != stamped[p]]
    if changed:
        raise InputError(f"{changed[0]}: changed while the runs were running (the results would mix the file as it "
                         "was and as it is): run again with --fresh" + (f" ({len(changed) - 1} more file(s) "
                                                                        "changed too)" if len(changed) > 1 else ""))


def stamp_digest(stamp: Mapping) -> str:
    """A short digest of a whole stamp, written into every run file."""
    return hashlib.sha256(json.dumps(dict(stamp), sort_keys=True).encode()).hexdigest()[:16]


def stamp_changes(old: Mapping, new: Mapping) -> list[str]:
    """What differs between a folder's stamp and the current one, in words."""
    out = []
    if old.get("kind") != new.get("kind"):
        out.append(f"{a_kind(str(old.get('kind') or 'different'))} config, not {a_kind(str(new.get('kind')))} one")
    was, now = old.get("preview_counties"), new.get("preview_counties")
    if was != now:   # which explains a different config hash
        def scope(n: Any) -> str:
            return f"a preview on {n} counties" if n else "the whole region"
        out.append(f"{scope(was)} (now {scope(now)})")
    elif old.get("config_sha256") != new.get("config_sha256"):
        out.append("a different config (resolved settings)")
    old_in, new_in = old.get("inputs_sha256") or {}, new.get("inputs_sha256") or {}
    for path in sorted(set(old_in) | set(new_in)):
        if path not in new_in:
            out.append(f"input file {path}, which the config no longer reads")
        elif path not in old_in:
            out.append(f"no input file {path}")
        elif old_in[path] != new_in[path]:
            out.append(f"other contents of input file {path}")
    if old.get("code_version") != new.get("code_version"):
        out.append(f"code version {old.get('code_version')} (now {new.get('code_version')})")
    was_pk, now_pk = old.get("packages") or {}, new.get("packages") or {}
    for name in sorted(set(was_pk) | set(now_pk)):
        if was_pk.get(name) != now_pk.get(name):
            out.append(f"{name} {was_pk.get(name, 'not recorded')} (now {now_pk.get(name, 'not recorded')})")
    return out


SECTIONS_OUT_OF_ID_AT_DEFAULT = ("network", "township", "service", "buses")
"""Scenario sections added after ids were first issued, left out of a scenario's id
while they hold their defaults (which keep the model as it was), so earlier ids stay."""

KEYS_OUT_OF_ID_AT_DEFAULT = (("stations", "hand_over_first"),)
"""Keys of earlier sections added later, left out of the id in the same way."""


def scenario_id(sc: Scenario) -> str:
    """A stable id from a scenario's parameters (name and replications excluded) and
    the contents of the files it reads (its villages CSV): other villages, another id."""
    d = scenario_data(sc)
    d.pop("name", None)
    d.pop("replications", None)
    defaults = scenario_data(Scenario())
    for section in SECTIONS_OUT_OF_ID_AT_DEFAULT:
        if d.get(section) == defaults[section]:
            d.pop(section)
    for section, key in KEYS_OUT_OF_ID_AT_DEFAULT:
        if d[section].get(key) == defaults[section][key]:
            d[section].pop(key)
    for vehicle in d.get("vehicle_types", {}).values():   # a key added later, out of the id while unset
        if vehicle.get("range_km") is None:
            vehicle.pop("range_km", None)
    files = input_hashes(scenario_input_files(sc))
    if files:
        d["input_files_sha256"] = sorted(files.values())
        # the file by its contents, not its path: a path relative to the working directory would give the same
        # scenario another id when run from elsewhere
        d["county"]["villages_csv"] = "(by contents)"
    return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()[:12]
