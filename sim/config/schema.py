"""A small typed-schema engine: frozen dataclasses whose fields carry unit, range,
allowed values and the source of their default, built from plain YAML data with
messages that name the file, the key path, the value and what is allowed.

The scenario schema lives in :mod:`sim.config.scenario`; the experiment and rollout
schemas are declared the same way next to their loaders; :mod:`sim.config.jsonschema`
turns any of them into a JSON Schema for editors.
"""
from __future__ import annotations

import dataclasses
import difflib
import math
import re
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeGuard

from sim.errors import InputError

_MISSING = dataclasses.MISSING


REQUIRED = dataclasses.MISSING
"""The default of a field that must be given (its message names the key)."""


class FieldError(ValueError):
    """Raised by a schema class's ``check()`` to blame one key: the message becomes
    ``<file>: <path>.<key>: <value> is not allowed: <allowed>``."""

    def __init__(self, key: str, value: Any, allowed: str):
        super().__init__(f"{key} {value!r} is not allowed: {allowed}")
        self.key, self.value, self.allowed = key, value, allowed


def suggest(key: Any, options, cutoff: float = 0.5) -> str | None:
    """The valid name nearest to ``key`` (for "did you mean ...?"), or None."""
    near = difflib.get_close_matches(str(key), [str(o) for o in options], n=1, cutoff=cutoff)
    return near[0] if near else None


def spec(default: Any, doc: str, *, unit: str = "", lo: float | None = None,
         hi: float | None = None, lo_open: bool = False, hi_open: bool = False,
         choices: tuple | None = None, source: str = "[G]", factory: bool = False,
         optional: bool = False, one_or_list: bool = False, json: dict | None = None,
         shown: str | None = None, type_text: str | None = None):
    """A dataclass field with its meaning, unit, allowed range and the source of its
    default (``[G]`` marks an assumption, ``[D]`` a derived figure). ``default=REQUIRED``
    makes the key mandatory; ``one_or_list`` lets a list field take a single value;
    ``json`` is the JSON Schema of a free-form field; ``shown`` is the default as the
    reference states it when it is computed (e.g. "the base scenario's"); ``type_text`` its
    type as the reference states it when the field takes more than its type hint says."""
    meta = dict(doc=doc, unit=unit, lo=lo, hi=hi, lo_open=lo_open, hi_open=hi_open,
                choices=choices, source=source, optional=optional, one_or_list=one_or_list,
                json=json, shown=shown, type_text=type_text)
    if default is REQUIRED:
        return dataclasses.field(metadata=meta)
    if factory:
        return dataclasses.field(default_factory=default, metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def is_dataclass_type(tp: Any) -> TypeGuard[type]:
    """True if ``tp`` is a dataclass class (a type hint), not an instance of one."""
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def fail(where: str, path: str, value: Any, allowed: str) -> InputError:
    """The one message of a bad value: `<file>: <key.path>: <value> is not allowed: <allowed>`."""
    shown = repr(value)
    if len(shown) > 80:
        shown = shown[:77] + "..."
    return InputError(f"{where}: {path or '(top level)'}: {shown} is not allowed: {allowed}")


def _range_text(meta: Mapping) -> str:
    lo, hi = meta.get("lo"), meta.get("hi")
    left = "(" if meta.get("lo_open") else "["
    right = ")" if meta.get("hi_open") else "]"
    lo_s = "-inf" if lo is None else f"{lo:g}"
    hi_s = "inf" if hi is None else f"{hi:g}"
    if lo is None:
        left = "("
    if hi is None:
        right = ")"
    return f"{left}{lo_s}, {hi_s}{right}"


def _check_range(x: float, meta: Mapping, where: str, path: str, kind: str) -> None:
    lo, hi = meta.get("lo"), meta.get("hi")
    bad = (lo is not None and (x < lo or (meta.get("lo_open") and x == lo))) or \
          (hi is not None and (x > hi or (meta.get("hi_open") and x == hi)))
    if bad:
        unit = f" {meta['unit']}" if meta.get("unit") else ""
        raise fail(where, path, x, f"expected {kind} in {_range_text(meta)}{unit}")


def _yaml_number_hint(value: str) -> str:
    """YAML 1.1 reads 2e7 and 2.0e7 as text; say how to write the number."""
    m = re.fullmatch(r"([-+]?\d+)(\.\d*)?[eE]([-+]?)(\d+)", value.strip())
    if m:
        written = f"{m.group(1)}{m.group(2) or '.0'}e{m.group(3) or '+'}{m.group(4)}"
        return f" (YAML reads {value} as text: write {written} or {float(value):.12g})"
    return f" (YAML reads {value} as text: write 1.5e+6 or 1500000)"


def _convert(tp: Any, value: Any, meta: Mapping, where: str, path: str) -> Any:
    if tp is Any:
        return value
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        if value is None:
            return None
        return _convert(inner[0], value, meta, where, path)
    if is_dataclass_type(tp):
        return build(tp, value, where, path)
    if origin in (tuple, list):
        if not isinstance(value, (list, tuple)):
            if not meta.get("one_or_list"):
                raise fail(where, path, value, "expected a list")
            value = [value]
        item_tp = args[0]
        items = tuple(_convert(item_tp, v, meta, where, f"{path}[{i}]")
                      for i, v in enumerate(value))
        return items
    if origin is dict:
        if not isinstance(value, Mapping):
            raise fail(where, path, value, "expected a mapping of name: value")
        _, val_tp = args
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                raise fail(where, f"{path}", k, "expected text keys")
            out[k] = _convert(val_tp, v, meta, where, f"{path}.{k}")
        return out
    if tp is bool:
        if not isinstance(value, bool):
            raise fail(where, path, value, "expected true or false")
        return value
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                raise fail(where, path, value, f"expected a whole number in {_range_text(meta)}")
        _check_range(value, meta, where, path, "a whole number")
        return value
    if tp is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            hint = ""
            if isinstance(value, str):
                try:
                    float(value)
                    hint = _yaml_number_hint(value)
                except ValueError:
                    pass
            raise fail(where, path, value, f"expected a number in {_range_text(meta)}"
                        + (f" {meta['unit']}" if meta.get("unit") else "") + hint)
        value = float(value)
        if not math.isfinite(value):
            raise fail(where, path, value, "expected a finite number")
        _check_range(value, meta, where, path, "a number")
        return value
    if tp is str:
        if not isinstance(value, str):
            raise fail(where, path, value, "expected text"
                        + (f", one of {', '.join(meta['choices'])}" if meta.get("choices") else ""))
        if meta.get("choices") and value not in meta["choices"]:
            near = suggest(value, meta["choices"], 0.4)
            raise fail(where, path, value, f"expected one of {', '.join(meta['choices'])}"
                        + (f" (did you mean '{near}'?)" if near else ""))
        return value
    raise TypeError(f"schema type {tp!r} at {path} is not supported")  # pragma: no cover


def build(cls: type, data: Any, where: str, path: str = "", base: Any = None) -> Any:
    """Build dataclass ``cls`` from ``data`` (a mapping from YAML). Unknown keys name
    the nearest valid key. ``base`` is an instance whose values replace the class
    defaults (used for named entries that refine a default entry)."""
    short = getattr(cls, "from_short", None)
    if short is not None and data is not None and not isinstance(data, Mapping):
        return short(data, where, path)
    if data is None:
        data = {}
    if not isinstance(data, Mapping):
        keys = ", ".join(f.name for f in dataclasses.fields(cls))
        raise fail(where, path, data, f"expected a mapping with keys {keys}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for key in data:
        if key not in fields:
            near = suggest(key, fields)
            hint = f"; did you mean '{near}'?" if near else ""
            valid = ", ".join(fields)
            raise InputError(f"{where}: {_join(path, str(key))}: unknown key{hint} "
                             f"(valid keys here: {valid})")
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for name, f in fields.items():
        sub = _join(path, name)
        tp = hints[name]
        if name in data:
            value = data[name]
            if value is None and not f.metadata.get("optional"):
                raise fail(where, sub, value, "a value is required here")
            default_obj = getattr(base, name) if base is not None else _default(f)
            kwargs[name] = _convert_with_default(tp, value, default_obj, f.metadata, where, sub)
        elif base is not None:
            kwargs[name] = getattr(base, name)
        elif f.default is _MISSING and f.default_factory is _MISSING:
            raise fail(where, sub, None, f"a value is required here: {_allowed_text(tp, f.metadata)}")
    obj = cls(**kwargs)
    check = getattr(obj, "check", None)
    if check is not None:
        try:
            check()
        except FieldError as exc:
            raise fail(where, _join(path, exc.key), exc.value, exc.allowed) from None
        except ValueError as exc:   # a message naming its own keys
            raise InputError(f"{where}: {path + ': ' if path else ''}{exc}") from None
    return obj


def _allowed_text(tp: Any, meta: Mapping) -> str:
    name = _type_name(tp)
    if meta.get("choices"):
        return f"{name}, one of {', '.join(meta['choices'])}"
    if meta.get("lo") is not None or meta.get("hi") is not None:
        return f"{name} in {_range_text(meta)}" + (f" {meta['unit']}" if meta.get("unit") else "")
    return name


def _default(f: dataclasses.Field) -> Any:
    if f.default is not _MISSING:
        return f.default
    if f.default_factory is not _MISSING:
        return f.default_factory()
    return None


def _convert_with_default(tp, value, default_obj, meta, where, path):
    """Nested dataclasses refine their default instance; dicts of dataclasses refine
    the default entry of the same name (a new name starts from the class defaults)."""
    if is_dataclass_type(tp):
        return build(tp, value, where, path, base=default_obj)
    if typing.get_origin(tp) is dict:
        val_tp = typing.get_args(tp)[1]
        if is_dataclass_type(val_tp):
            if not isinstance(value, Mapping):
                raise fail(where, path, value, "expected a mapping of name: settings")
            out = dict(default_obj or {})
            for k, v in value.items():
                if not isinstance(k, str) or not k:
                    raise fail(where, path, k, "expected a non-empty text name")
                out[k] = build(val_tp, v, where, _join(path, k), base=out.get(k))
            return out
    return _convert(tp, value, meta, where, path)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def to_data(obj: Any) -> Any:
    """The resolved config as plain data (mappings, lists, numbers, text) for YAML/JSON."""
    if dataclasses.is_dataclass(obj):
        return {f.name: to_data(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, Mapping):
        return {k: to_data(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_data(v) for v in obj]
    return obj


def reference_rows(cls: type, prefix: str = "", defaults: Any = None) -> list[tuple[str, str, str, str, str]]:
    """(key path, type, default, unit, meaning and source) for every field: the config
    reference (docs/reference.md) is generated from this. ``defaults`` is the instance
    whose values are this section's defaults (a field may refine its class's)."""
    rows = []
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        path = _join(prefix, f.name)
        tp = hints[f.name]
        default = getattr(defaults, f.name) if defaults is not None else _default(f)
        meta = f.metadata
        if is_dataclass_type(tp):
            if meta.get("doc"):
                rows.append((path, "mapping", "(see below)", "", f"{meta['doc']}."))
            rows.extend(reference_rows(tp, path, default))
            continue
        kind = meta.get("type_text") or _type_name(tp)
        allowed = ""
        if meta.get("choices"):
            allowed = f" One of: {', '.join(meta['choices'])}."
        elif meta.get("lo") is not None or meta.get("hi") is not None:
            allowed = f" Range {_range_text(meta)}."
        required = defaults is None and f.default is _MISSING and f.default_factory is _MISSING
        shown = meta.get("shown") or ("(required)" if required else _show_default(default))
        source = meta.get("source", "")
        rows.append((path, kind, shown, meta.get("unit", ""),
                     f"{meta.get('doc', '')}.{allowed}" + (f" Source: {source}." if source else "")))
        origin = typing.get_origin(tp)
        args = typing.get_args(tp)
        item = None
        if origin in (typing.Union, types.UnionType):
            inner = next(a for a in args if a is not type(None))
            if is_dataclass_type(inner):
                rows.extend(reference_rows(inner, path))
        if origin in (tuple, list) and is_dataclass_type(args[0]):
            item = args[0]
            rows.extend(reference_rows(item, f"{path}[]"))
        if origin is dict and is_dataclass_type(args[1]):
            rows.extend(reference_rows(args[1], f"{path}.NAME"))
    return rows


def field_meta(cls: type, path: str) -> Mapping | None:
    """The metadata (doc, unit, range...) of the field at dotted ``path`` below ``cls``
    (list entries by index, named entries by name: ``crops.0.shelf_life_d``,
    ``vehicle_types.van.speed_kmh``), or None if no field is there."""
    tp: Any = cls
    meta: Mapping | None = None
    parts = str(path).split(".")
    i = 0
    while i < len(parts):
        tp = _unwrap(tp)
        origin, args = typing.get_origin(tp), typing.get_args(tp)
        if origin in (tuple, list) and parts[i].isdigit():
            tp, i = args[0], i + 1
            continue
        if origin is dict:
            tp, i = args[1], i + 1
            continue
        if not is_dataclass_type(tp):
            return None
        fields = {f.name: f for f in dataclasses.fields(tp)}
        if parts[i] not in fields:
            return None
        meta, tp, i = fields[parts[i]].metadata, typing.get_type_hints(tp)[parts[i]], i + 1
    return meta


def _unwrap(tp: Any) -> Any:
    """``X | None`` -> ``X``."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return next(a for a in typing.get_args(tp) if a is not type(None))
    return tp


def _type_name(tp: Any) -> str:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in args if a is not type(None)]
        return f"{_type_name(inner[0])} or null"
    if origin in (tuple, list):
        return f"list of {_type_name(args[0])}"
    if origin is dict:
        return f"mapping of {_type_name(args[1])}"
    if dataclasses.is_dataclass(tp):
        return "mapping"
    if tp is Any:
        return "any"
    return {int: "int", float: "float", bool: "bool", str: "text"}.get(tp, str(tp))


def _show_default(default: Any) -> str:
    if dataclasses.is_dataclass(default):
        return "(see below)"
    if isinstance(default, Mapping):
        if default and all(dataclasses.is_dataclass(v) for v in default.values()):
            return ", ".join(default)
        return ", ".join(f"{k}: {v:g}" if isinstance(v, float) else f"{k}: {v}"
                         for k, v in default.items())
    if isinstance(default, (list, tuple)):
        if default and dataclasses.is_dataclass(default[0]):
            return ", ".join(getattr(d, "name", "?") for d in default)
        return "[" + ", ".join(f"{v:g}" if isinstance(v, float) else str(v) for v in default) + "]"
    if default is None:
        return "null"
    if isinstance(default, bool):
        return "true" if default else "false"
    if isinstance(default, float):
        return f"{default:g}"
    return str(default)

