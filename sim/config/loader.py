"""Reading config files: YAML with the safe loader (duplicate keys refused), and the
top-level ``kind`` every config file states (scenario, experiment, rollout or national)."""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from sim.config.schema import fail
from sim.errors import InputError

CONFIG_KINDS = ("scenario", "experiment", "rollout", "national")
"""Every config file states its kind in a top-level ``kind:`` key."""


MAX_ALIASES = 100
"""YAML aliases (``*name``) a config may use: enough for sharing a block, never a bomb."""
MAX_DEPTH = 50
"""How deeply a config's mappings and lists may nest."""
MAX_NODES = 200_000
"""Values a config may hold once its aliases are expanded (an alias bomb stays small on
disk and explodes in memory: it is measured before anything is built)."""
MAX_BYTES = 2_000_000
"""The largest config file read (configs are a few kB; data go in CSV files)."""


class _StrictLoader(yaml.SafeLoader):
    """Safe YAML loader that also refuses duplicate keys, keys that are not plain
    values, more than :data:`MAX_ALIASES` aliases and nesting deeper than
    :data:`MAX_DEPTH` (an alias bomb or a deep nest is refused before it is built)."""

    def __init__(self, stream):
        super().__init__(stream)
        self._aliases = 0
        self._depth = 0

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                mark = self.peek_event().start_mark
                raise yaml.composer.ComposerError(None, None, f"more than {MAX_ALIASES} aliases (*name): a config "
                                                  "may share a block a few times, not expand without limit", mark)
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise yaml.composer.ComposerError(None, None, f"nested more than {MAX_DEPTH} levels deep", mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def compose_document(self):
        node = super().compose_document()
        if node is None:
            return None
        size = _expanded_size(node, {})
        if size > MAX_NODES:
            raise yaml.composer.ComposerError(None, None, f"{'more than ' if size >= 10 * MAX_NODES else ''}"
                                              f"{size:,} values once its aliases are expanded; a config "
                                              f"may hold at most {MAX_NODES:,}", node.start_mark)
        return node


def _expanded_size(node, memo: dict) -> int:
    """Values under ``node`` with every alias expanded (shared nodes counted each time
    they are used; memoised, so the count itself never expands anything)."""
    key = id(node)
    if key in memo:
        return memo[key]
    if isinstance(node, yaml.SequenceNode):
        n = 1 + sum(_expanded_size(child, memo) for child in node.value)
    elif isinstance(node, yaml.MappingNode):
        n = 1 + sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    else:
        n = 1
    memo[key] = min(n, 10 * MAX_NODES)
    return memo[key]


def _construct_mapping(loader, node, deep=False):
    seen = set()
    for key_node, _ in node.value:
        if not isinstance(key_node, yaml.ScalarNode):
            raise yaml.constructor.ConstructorError(None, None, "a key that is a mapping or a list: keys are "
                                                    "names", key_node.start_mark)
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
        size = p.stat().st_size
        if size > MAX_BYTES:
            raise InputError(f"{p}: {size:,} bytes is not allowed: a config file may have at most "
                             f"{MAX_BYTES:,} bytes (put data in CSV files)")
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{p}: cannot be read: not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise InputError(f"{p}: cannot be read: {exc.strerror or exc}") from None
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except RecursionError:
        raise InputError(f"{p}: not allowed: nested too deeply to read (at most {MAX_DEPTH} levels)") from None
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = str(exc.problem)
        if "duplicate key" in problem:
            raise InputError(f"{p}{where}: {problem}: each key may appear once") from None
        if "keys are names" in problem:
            raise InputError(f"{p}{where}: {problem}") from None
        raise InputError(f"{p}{where}: {exc.problem}: YAML tags that build Python objects are not allowed; "
                         "use plain mappings, lists, numbers and text") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InputError(f"{p}{where}: not valid YAML: {problem}") from None


def a_kind(kind: str) -> str:
    """``kind`` with its article: "a scenario", "an experiment"."""
    return f"an {kind}" if kind[:1] in "aeiou" else f"a {kind}"


def guess_kind(data: Any) -> str:
    """The kind a config's keys suggest (for the message when ``kind`` is missing)."""
    if isinstance(data, Mapping) and "regions" in data:
        return "national"
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
                         f"its keys suggest {a_kind(guess)}: add `kind: {guess}`")
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
        raise fail(str(path), "kind", stated,
                   f"expected {kind} here ({a_kind(stated)} config runs with `ruralsim run`)")
    return without_kind(data, str(path), kind)


