"""The one template engine of the reports: jinja2 templates shipped in ``sim/reports/templates``,
rendered from a plain context with the package's one number format for people."""
from __future__ import annotations

import functools
from collections.abc import Mapping

from sim.files import plus_minus, short_number


def number(value) -> str:
    """A value for a report cell: text as it is, numbers by :func:`sim.files.short_number`
    ("n/a" for a missing or non-finite number)."""
    if isinstance(value, str):
        return value
    if value is None:
        return "n/a"
    return short_number(float(value))


def mean_pm(mean, half_width) -> str:
    """A mean with its half-width for a report cell (:func:`sim.files.plus_minus`; the mean
    alone where there is no half-width)."""
    if mean is None:
        return "n/a"
    return plus_minus(float(mean), float("nan") if half_width is None else float(half_width))


def md_escape(text) -> str:
    """Text safe inside a Markdown table cell (backslashes and pipes escaped, line breaks as spaces)."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


@functools.cache
def _environment():
    import jinja2
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("sim.reports", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, undefined=jinja2.StrictUndefined)
    env.filters["num"] = number
    env.filters["md"] = md_escape
    env.filters["pm"] = mean_pm
    return env


def render(template: str, context: Mapping) -> str:
    """``template`` (a file name under ``sim/reports/templates``) rendered with ``context``;
    ``.html.j2`` templates escape every value, Markdown templates escape with the ``md`` filter."""
    return _environment().get_template(template).render(**context)
