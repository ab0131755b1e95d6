"""The report template engine (sim.reports.render): one number format, escaping per output."""
import math

import pytest

from sim.reports.render import md_escape, mean_pm, number, render


@pytest.mark.parametrize("value, text", [
    (1234567.8, "1,234,568"), (12.345, "12.3"), (0.5, "0.500"), (0.00123, "0.00123"), (0.0, "0.000"),
    (math.nan, "n/a"), (None, "n/a"), ("< 0", "< 0"),
])
def test_number(value, text):
    assert number(value) == text


@pytest.mark.parametrize("mean, half_width, text", [
    (0.133, 0.00367, "0.1330 ± 0.0037"), (173.5, 1.94, "173.5 ± 1.9"), (4.5, None, "4.500"), (None, 0.1, "n/a"),
])
def test_mean_with_its_half_width(mean, half_width, text):
    assert mean_pm(mean, half_width) == text


def test_md_escape_keeps_a_table_cell_one_cell():
    assert md_escape("a|b\\c\nd") == "a\\|b\\\\c d"


def test_outcome_table_template_escapes_markdown():
    md = render("outcome_table.md.j2", {"table": {"header": ["Strategy", "x|y"],
                                                  "body": [[[("a|b", False)], [("1", False), ("2", True)]]]}})
    assert md == "| Strategy | x\\|y |\n|:---|---:|\n| a\\|b | 1**2** |\n"


def test_html_template_escapes_every_value():
    ctx = {"name": "<script>x</script>", "baseline": "<xb>", "compared": ["a & b"],
           "table_key": [("k", False), ("bold", True)], "has_outcomes": False, "tables": [],
           "figures": [{"stem": "s", "title": "t", "caption": 'say "hi"', "png_base64": "AAAA"}], "notes": [],
           "summary": {"rows": [{"outcome": "<xo>", "leads": "<xl>", "value": "1", "versus": "2", "verdict": "v",
                                 "significant": False, "drivers": "<xd>"}], "constant": [], "wins": [("<xw>", 1)]},
           "levers": {"header": ["Strategy"], "body": [["<xs>"]]}, "assumptions": [["<xi>", "1", "[G]"]],
           "provenance": [["<xp>", "x"]], "title": "<script>x</script><xt>",
           "findings": {"question": "<xq>", "sentences": ["<xf> & more"]}}
    html = render("rollout.html.j2", ctx)
    assert "<script>" not in html and "&lt;script&gt;" in html and "a &amp; b" in html
    for raw in ("<xb>", "<xo>", "<xl>", "<xd>", "<xw>", "<xs>", "<xi>", "<xp>", "<xt>", "<xq>", "<xf>"):
        assert raw not in html and raw.replace("<", "&lt;").replace(">", "&gt;") in html
    assert "<strong>bold</strong>" in html and 'src="data:image/png;base64,AAAA"' in html
    assert render("rollout.md.j2", ctx).startswith("# <script>x</script><xt>\n")  # Markdown is not HTML-escaped
    without = {k: v for k, v in ctx.items() if k not in ("title", "findings")}   # the name is the title then
    assert render("rollout.md.j2", without).startswith("# <script>x</script>\n")
    assert "What the comparison found" not in render("rollout.html.j2", without)


def test_unknown_context_keys_fail_loudly():
    with pytest.raises(Exception, match="table"):
        render("outcome_table.md.j2", {})
