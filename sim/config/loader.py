"""Reading config files: YAML with the safe loader (duplicate keys refused), and the
top-level ``kind`` every config file states (scenario, experiment or rollout)."""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from sim.config.schema import fail
from sim.errors import InputError

CONFIG_KINDS = ("scenario", "experiment", "rollout")
"""Every config file states its kind in a top-level ``kind:`` key."""


class _StrictLoader(yaml.SafeLoader):
    """Safe YAML loader that also refuses duplicate keys."""


def _construct_mapping(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", key_node.start_mark)
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def read_yaml(path: str | os.PathLike) -> Any:
    """Parse a YAML file with the safe loader; every failure is an :class:`InputError`."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: file not found")
    if not p.is_file():
        raise InputError(f"{p}: not a file")
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: cannot be read: {exc}") from None
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        if "duplicate key" in str(exc.problem):
            raise InputError(f"{p}{where}: {exc.problem}: each key may appear once") from None
        raise InputError(f"{p}{where}: {exc.problem}: YAML tags that build Python objects are not allowed; "
                         "use plain mappings, lists, numbers and text") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(f"{p}{where}: not valid YAML: {problem}") from None


def guess_kind(data: Any) -> str:
    """The kind a config's keys suggest (for the message when ``kind`` is missing)."""
    if isinstance(data, Mapping) and ("strategies" in data or "region" in data):
        return "rollout"
    if isinstance(data, Mapping) and any(k in data for k in ("base", "levers", "uncertainties", "scenarios", "design")):
        return "experiment"
    return "scenario"


def config_kind(data: Any, where: str) -> str:
    """The stated ``kind`` of a config file's data: one of :data:`CONFIG_KINDS`."""
    if not isinstance(data, Mapping):
        raise fail(where, "", data, "expected a mapping of settings with a top-level kind")
    if "kind" not in data:
        guess = guess_kind(data)
        raise InputError(f"{where}: kind: missing: every config states its kind ({', '.join(CONFIG_KINDS)}); "
                         f"its keys suggest a {guess}: add `kind: {guess}`")
    kind = data["kind"]
    if kind not in CONFIG_KINDS:
        raise fail(where, "kind", kind, f"expected one of {', '.join(CONFIG_KINDS)}")
    return kind


def without_kind(data: Any, where: str, kind: str) -> Any:
    """``data`` without its ``kind`` key, which must be ``kind`` if given: the kind is
    not a setting (ids and hashes of resolved configs do not include it)."""
    if isinstance(data, Mapping) and "kind" in data:
        if data["kind"] != kind:
            raise fail(where, "kind", data["kind"], f"expected {kind} here")
        data = {k: v for k, v in data.items() if k != "kind"}
    return data


def read_config(path: str | os.PathLike, kind: str) -> Any:
    """A config file's data, which must state ``kind: <kind>``; the kind key removed."""
    data = read_yaml(path)
    stated = config_kind(data, str(path))
    if stated != kind:
        raise fail(str(path), "kind", stated, f"expected {kind} here (a {stated} config runs with `ruralsim run`)")
    return without_kind(data, str(path), kind)


