"""The ``calibration:`` section of a rollout config: which of its numbers ``ruralsim
calibrate`` fits (dotted key paths with bounds), checked against the config itself, and
how a value is written back into the config's data, or into its file (``--apply``:
the numbers only, comments and layout kept). The fit is :mod:`sim.rollout.calibrate`."""
from __future__ import annotations

import codecs
import copy
import dataclasses
import math
import os
from pathlib import Path
from typing import Any

from sim.config.schema import REQUIRED, FieldError, fail, spec
from sim.errors import InputError
from sim.files import atomic_write_text


@dataclasses.dataclass(frozen=True)
class CalibrationConfig:
    """Parameters fitted to reported points by bounded least squares, or constrained by
    history matching (``method``). ``starts`` and ``diff_step`` are used only by least
    squares; ``samples``, ``cutoff``, ``obs_sd_rel`` and ``model_sd_rel`` only by history
    matching (``seed`` by both)."""
    parameters: dict[str, tuple[float, ...]] = spec(REQUIRED, "Parameters fitted: a dotted key path of this config "
                                                    "(list items by index, e.g. entry.schedule.1.1) -> [lo, hi]",
                                                    source="")
    strategy: str | None = spec(None, "The strategy whose counts are fitted", optional=True,
                                shown="the baseline strategy", source="")
    starts: int = spec(16, "Latin hypercube points tried; least squares starts from the best", lo=1, hi=10_000,
                       source="")
    seed: int = spec(0, "Seed of the Latin hypercube", lo=0, source="")
    method: str = spec("least_squares", "How the parameters are fitted: bounded least squares on relative residuals, "
                       "or history matching (the non-implausible region of a Latin hypercube)",
                       choices=("least_squares", "history_matching"), source="")
    samples: int = spec(1000, "History matching: Latin hypercube points evaluated", lo=10, hi=1_000_000, source="")
    cutoff: float = spec(3.0, "History matching: a point is implausible where I = |model - reported| / "
                         "sqrt(var_obs + var_model) reaches this at any fitted point", lo=0.5, hi=10.0,
                         source="Pukelsheim's three-sigma rule (at least 95% of any unimodal distribution)")
    obs_sd_rel: float = spec(0.05, "History matching: standard deviation of a reported figure's error, relative to "
                             "it", unit="share", lo=0.0, hi=1.0,
                             source="[G] reported as rounded figures ('more than 6,000 villages')")
    model_sd_rel: float = spec(0.05, "History matching: standard deviation of the model's discrepancy, relative to "
                               "the reported figure", unit="share", lo=0.0, hi=1.0, source="[G]")
    diff_step: float = spec(0.02, "Relative step of the finite differences (counts are whole numbers, so the "
                            "step must span several of them)", lo=1e-6, hi=0.5, source="")

    def check(self) -> None:
        if self.method == "history_matching" and self.obs_sd_rel == 0 and self.model_sd_rel == 0:
            raise FieldError("obs_sd_rel", 0, "expected obs_sd_rel or model_sd_rel above 0 for history matching "
                                              "(the implausibility divides by their variance)")
        if not self.parameters:
            raise FieldError("parameters", {}, "expected a mapping of dotted key path: [lo, hi]")
        for path, b in self.parameters.items():
            if len(b) != 2 or not b[0] < b[1]:
                raise FieldError(f"parameters.{path}", list(b), "expected [lo, hi] with lo < hi")


def resolve(cfg: Any, path: str) -> Any:
    """The value at dotted ``path`` of a built config (dataclasses, mappings, lists by
    index); KeyError naming the first part that does not exist."""
    node = cfg
    for i, part in enumerate(path.split(".")):
        where = ".".join(path.split(".")[:i + 1])
        if dataclasses.is_dataclass(node) and not isinstance(node, type):
            names = [f.name for f in dataclasses.fields(node)]
            if part not in names:
                raise KeyError(f"no key {where!r}" + (f" (keys: {', '.join(names)})" if names else ""))
            node = getattr(node, part)
        elif isinstance(node, dict):
            if part not in node:
                raise KeyError(f"no key {where!r} (keys: {', '.join(map(str, node))})")
            node = node[part]
        elif isinstance(node, (list, tuple)):
            if not part.isdigit() or int(part) >= len(node):
                raise KeyError(f"no item {where!r} (a list of {len(node)})")
            node = node[int(part)]
        elif node is None:
            prev = ".".join(path.split(".")[:i])
            raise KeyError(f"{prev!r} is not set in the config: set it (its defaults are in the reference) to "
                           "fit a number inside it")
        else:
            raise KeyError(f"{'.'.join(path.split('.')[:i])!r} is a number, not a section")
    return node


def check_calibration(cfg: Any, where: str) -> None:
    """Every fitted path names a number of the config (not inside calibration), the
    fitted strategy exists, and the current value lies within the bounds' type."""
    cal = cfg.calibration
    for path, (lo, hi) in cal.parameters.items():
        key = f"calibration.parameters.{path}"
        if path.split(".")[0] == "calibration":
            raise fail(where, key, [lo, hi], "expected a key path outside the calibration section")
        if path in ("horizon_m", "replications", "sample_days", "warmup_days"):
            raise fail(where, key, [lo, hi], "expected a parameter of the model's counts: the horizon sets the "
                                             "targets' months, and sampling does not change the counts")
        try:
            value = resolve(cfg, path)
        except KeyError as exc:
            raise fail(where, key, [lo, hi], f"expected a key path of a number in this config: {exc.args[0]}") \
                from None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise fail(where, key, [lo, hi], f"expected a key path of a number; {path} is {value!r}")
        if not (math.isfinite(lo) and math.isfinite(hi)):
            raise fail(where, key, [lo, hi], "expected finite bounds")
    if cal.strategy is not None and cal.strategy not in cfg.strategies:
        raise fail(where, "calibration.strategy", cal.strategy, f"expected one of {', '.join(cfg.strategies)}")


def with_values(data: dict, values: dict[str, float], whole: dict[str, bool]) -> dict:
    """A copy of the config's data with each dotted path set to its value (rounded
    where the key takes whole numbers); sections missing from the data are added."""
    out = copy.deepcopy(data)
    for path, v in values.items():
        parts = path.split(".")
        node: Any = out
        for part in parts[:-1]:
            if isinstance(node, list):
                node = node[int(part)]
            else:
                if not isinstance(node.get(part), (dict, list)):
                    node[part] = {}
                node = node[part]
        val: Any = round(v) if whole.get(path) else float(v)
        if isinstance(node, list):
            node[int(parts[-1])] = val
        else:
            node[parts[-1]] = val
    return out


# ---- fitted values written into the config file (--apply) ------------------------------
_NUMBER_TAGS = ("tag:yaml.org,2002:int", "tag:yaml.org,2002:float")


def number_text(v: float, whole: bool) -> str:
    """A fitted value as written into a config: a whole number as an integer, any other
    to 6 significant digits, always with a decimal point (which YAML needs to read
    ``1.0e-05`` as a number)."""
    if whole:
        return str(round(v))
    mantissa, e, exponent = f"{v:.6g}".partition("e")
    if "." not in mantissa:
        mantissa += ".0"
    return mantissa + (f"e{exponent}" if e else "")


def number_spans(text: str, paths: list[str], where: str) -> dict[str, tuple[int, int]]:
    """Where each dotted key path's number is written in the YAML ``text``: (first
    character, one past the last). InputError, naming the file and the key, unless each
    is a plain number (not quoted, not inherited from ``base:``) at its own place."""
    import yaml
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    spans: dict[str, tuple[int, int]] = {}
    for path in paths:
        node = root
        for part in path.split("."):
            if isinstance(node, yaml.MappingNode):
                hits = [v for k, v in node.value if isinstance(k, yaml.ScalarNode) and k.value == part]
                node = hits[-1] if hits else None
            elif isinstance(node, yaml.SequenceNode) and part.isdigit() and int(part) < len(node.value):
                node = node.value[int(part)]
            else:
                node = None
        if not (isinstance(node, yaml.ScalarNode) and node.style is None and node.tag in _NUMBER_TAGS):
            raise fail(where, f"calibration.parameters.{path}", path,
                       "expected, for --apply, a number written plainly in this file at that key path (not "
                       "inherited from base:, not quoted): set it here, or copy the fitted value by hand")
        span = (node.start_mark.index, node.end_mark.index)
        if span in spans.values():
            raise fail(where, f"calibration.parameters.{path}", path,
                       "expected, for --apply, a number of its own (it is the same YAML node as another fitted key)")
        spans[path] = span
    return spans


def _keep_comment_column(text: str, a: int, b: int, new: str) -> tuple[str, int]:
    """``new`` for ``text[a:b]``, with the spaces before a comment that follows it on its line
    adjusted so the comment keeps its column where there is room (at least one space stays);
    and the end of the span it replaces."""
    line_rest = text[b:].split("\n", 1)[0]
    gap = len(line_rest) - len(line_rest.lstrip(" "))
    if not gap or not line_rest[gap:].startswith("#"):
        return new, b
    return new + " " * max(1, gap - (len(new) - (b - a))), b + gap


def write_values(path: str | os.PathLike, values: dict[str, float], whole: dict[str, bool]) -> dict[str, float]:
    """Write each fitted value into the config file at ``path`` (:func:`number_text`),
    changing nothing else (a comment after a value keeps its column where there is
    room), atomically. Returns the values as written."""
    p = Path(path)
    raw = p.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{p}: cannot be read: not UTF-8 text (byte {exc.start})") from None
    spans = number_spans(text, list(values), str(p))
    written = {k: number_text(v, whole.get(k, False)) for k, v in values.items()}
    for key, (a, b) in sorted(spans.items(), key=lambda kv: -kv[1][0]):
        new, b = _keep_comment_column(text, a, b, written[key])
        text = text[:a] + new + text[b:]
    atomic_write_text(p, ("\ufeff" if raw.startswith(codecs.BOM_UTF8) else "") + text)
    return {k: float(t) for k, t in written.items()}
