"""JSON Schema (draft 2020-12) of a config kind, generated from its schema dataclasses,
so editors complete and check keys (``ruralsim schema``)."""
from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from typing import Any

from sim.config.schema import _MISSING, _default, is_dataclass_type, to_data

SCENARIO_REF = "#/$defs/scenario"
"""Where experiment and rollout schemas find the scenario schema (their inline base and
overrides are scenario mappings)."""
BASE_JSON = {"anyOf": [{"type": "string", "description": "A scenario file, relative to this file"},
                       {"$ref": SCENARIO_REF}, {"type": "null"}]}


def json_schema(cls: type, title: str = "", top: Mapping | None = None, required: list | None = None,
                defs: Mapping[str, type] | None = None) -> dict:
    """A JSON Schema (draft 2020-12) of dataclass ``cls``: types, defaults, descriptions
    with units and sources, bounds, enums; unknown keys are refused. ``top`` adds
    properties at the top level (e.g. ``kind``), ``required`` keys that must be given,
    ``defs`` schema classes other fields refer to (``#/$defs/<name>``)."""
    out = _json_object(cls, None)
    if top:
        out["properties"] = {**top, **out["properties"]}
    if required:
        out["required"] = list(required) + out.get("required", [])
    out = {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": title or cls.__name__, **out}
    if defs:
        out["$defs"] = {name: _json_object(c, None) for name, c in defs.items()}
    return out


def _json_object(cls: type, defaults: Any) -> dict:
    hints = typing.get_type_hints(cls)
    props, required = {}, []
    for f in dataclasses.fields(cls):
        default = getattr(defaults, f.name) if defaults is not None else _default(f)
        if f.default is _MISSING and f.default_factory is _MISSING and defaults is None:
            required.append(f.name)
        props[f.name] = _json_field(hints[f.name], f.metadata, default,
                                    has_default=f.default is not _MISSING or f.default_factory is not _MISSING)
    out = {"type": "object", "description": (cls.__doc__ or "").strip().split("\n\n")[0].replace("\n", " "),
           "properties": props, "additionalProperties": False}
    if required:
        out["required"] = required
    return out


def _json_field(tp: Any, meta: Mapping, default: Any, has_default: bool = True) -> dict:
    out = _json_type(tp, meta, default)
    doc = meta.get("doc", "")
    if doc:
        unit = f" [{meta['unit']}]" if meta.get("unit") else ""
        source = f" Source: {meta['source']}." if meta.get("source") else ""
        shown = f" Default: {meta['shown']}." if meta.get("shown") else ""
        out["description"] = f"{doc}{unit}.{shown}{source}"
    if has_default and not meta.get("shown"):  # a computed default is described, not stated
        out["default"] = to_data(default)
    return out


def _json_type(tp: Any, meta: Mapping, default: Any) -> dict:
    if meta.get("json"):
        return dict(meta["json"])
    if tp is Any:
        return {}
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        inner = next(a for a in args if a is not type(None))
        return {"anyOf": [_json_type(inner, meta, default), {"type": "null"}]}
    if is_dataclass_type(tp):
        obj = _json_object(tp, default)
        short = getattr(tp, "SHORT_JSON", None)
        if getattr(tp, "from_short", None) is not None and short:
            return {"anyOf": [dict(short), obj]}
        return obj
    if origin in (tuple, list):
        arr = {"type": "array", "items": _json_type(args[0], meta, None)}
        if meta.get("one_or_list"):
            return {"anyOf": [_json_type(args[0], meta, None), arr]}
        return arr
    if origin is dict:
        val = args[1]
        return {"type": "object", "additionalProperties": _json_type(val, {} if dataclasses.is_dataclass(val) else meta,
                                                                      None)}
    if tp is bool:
        return {"type": "boolean"}
    if tp in (int, float):
        out: dict = {"type": "integer" if tp is int else "number"}
        lo, hi = meta.get("lo"), meta.get("hi")
        if lo is not None:
            out["exclusiveMinimum" if meta.get("lo_open") else "minimum"] = lo
        if hi is not None:
            out["exclusiveMaximum" if meta.get("hi_open") else "maximum"] = hi
        return out
    if tp is str:
        out = {"type": "string"}
        if meta.get("choices"):
            out["enum"] = list(meta["choices"])
        return out
    raise TypeError(f"schema type {tp!r} has no JSON Schema")  # pragma: no cover
