"""Overrides of a resolved scenario by key path: the experiment's levers, named
scenarios and a rollout's operating models change a scenario's plain data through
these, and every path is checked against the settings that exist."""
from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from sim.config.schema import fail, suggest
from sim.errors import InputError


def deep_merge(base: dict, override: Mapping) -> dict:
    out = copy.deepcopy(base)
    for k, v in override.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), dict):
            out[k] = deep_merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


def _split_path(path: str) -> list:
    return [int(p) if p.isdigit() else p for p in path.split(".")]


def set_path(data: dict, path: str, value: Any) -> dict:
    """Copy of ``data`` with the dotted ``path`` set (numeric parts index lists)."""
    out = copy.deepcopy(data)
    node = out
    parts = _split_path(path)
    for p in parts[:-1]:
        node = node[p]
    node[parts[-1]] = value
    return out


def get_path(data: Any, path: str) -> Any:
    """The value at the dotted ``path`` of ``data`` (numeric parts index lists)."""
    for p in _split_path(path):
        data = data[p]
    return data


def leaf_paths(data: Mapping, prefix: str = "") -> list[str]:
    """The dotted key paths of a nested mapping's values that are not (non-empty) mappings."""
    out: list[str] = []
    for k, v in data.items():
        path = f"{prefix}{k}"
        out += leaf_paths(v, path + ".") if isinstance(v, Mapping) and v else [path]
    return out


def check_path(data: dict, path: str, where: str, key: str) -> None:
    """The dotted ``path`` must name a setting of the scenario; else name the nearest."""
    node: Any = data
    walked: list[str] = []
    for p in _split_path(path):
        if isinstance(node, list):
            if not isinstance(p, int) or not 0 <= p < len(node):
                raise fail(where, f"{key}.{path}", path, f"'{'.'.join(walked)}' is a list of {len(node)}; "
                                                      f"use an index 0..{len(node) - 1}")
        elif isinstance(node, Mapping):
            m = re.fullmatch(r"(\w+)\[(\d+)\]", str(p))
            if p not in node and m and m.group(1) in node:   # crops[0] written for crops.0
                dotted = re.sub(r"\[(\d+)\]", r".\1", path)
                raise InputError(f"{where}: {key}.{path}: unknown setting; list entries are numbered with dots: "
                                 f"'{dotted}'")
            if p not in node:
                near = suggest(p, node)
                here = ".".join(walked)
                if near:
                    hint = f"; did you mean '{'.'.join([*walked, near])}'?"
                elif not node:   # a mapping of named entries (townships, villages) the base has none of
                    hint = f"; '{here}' has no entries in the base scenario: add '{p}' there to vary it"
                else:
                    shown = ", ".join(map(str, list(node)[:12])) + (", ..." if len(node) > 12 else "")
                    hint = f" (keys of '{here or 'the scenario'}': {shown})"
                raise InputError(f"{where}: {key}.{path}: unknown setting{hint}")
        else:
            raise InputError(f"{where}: {key}.{path}: '{'.'.join(walked)}' is a value, not a section")
        node = node[p]
        walked.append(str(p))
    if isinstance(node, (Mapping, list)):
        raise InputError(f"{where}: {key}.{path}: is a section; name one of its settings")
