"""``ruralsim calibrate --apply``: fitted values written into the config file as numbers
YAML reads back, with nothing else in the file changed (expected texts written by hand),
and keys it cannot rewrite refused with the file and key named, the file untouched."""
from __future__ import annotations

import pytest
import yaml

from sim.errors import InputError
from sim.rollout.calibration import number_spans, number_text, write_values

CONFIG = """\
kind: rollout   # a comment that stays
entry:
  schedule: [[0, 0], [11, 150]]      # counties entered by month
  launch_villages: 11                # [C] the comment keeps its column
  villages_per_month: 20.5 # [C] no room: one space stays
strategies:
  s: {county_target: 0.3, village_order: largest_first}
attrition:
  reservation_wage_cny: 1500.0
  grace_m: "3"
"""


@pytest.mark.parametrize(("value", "whole", "text"), [
    (110.6518, False, "110.652"), (0.257754, False, "0.257754"), (1e-5, False, "1.0e-05"),
    (2.0, False, "2.0"), (1234567.0, False, "1.23457e+06"), (7.6, True, "8"), (-3.0, True, "-3")])
def test_number_text_by_hand_reads_back_as_a_number(value, whole, text):
    assert number_text(value, whole) == text
    back = yaml.safe_load(text)
    assert isinstance(back, int if whole else float)


def test_only_the_fitted_numbers_change(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_text(CONFIG, encoding="utf-8")
    written = write_values(p, {"entry.schedule.1.1": 110.6518, "entry.launch_villages": 8.2,
                               "strategies.s.county_target": 0.257754, "attrition.reservation_wage_cny": 848.31},
                           {"entry.launch_villages": True})
    assert written == {"entry.schedule.1.1": 110.652, "entry.launch_villages": 8.0,
                       "strategies.s.county_target": 0.257754, "attrition.reservation_wage_cny": 848.31}
    expected = (CONFIG.replace("[11, 150]", "[11, 110.652]").replace("launch_villages: 11 ", "launch_villages: 8  ")
                .replace("county_target: 0.3", "county_target: 0.257754")
                .replace("reservation_wage_cny: 1500.0", "reservation_wage_cny: 848.31"))
    assert p.read_text(encoding="utf-8") == expected
    write_values(p, {"entry.villages_per_month": 32.0578}, {})
    assert "  villages_per_month: 32.0578 # [C] no room: one space stays\n" in p.read_text(encoding="utf-8")


def test_a_byte_order_mark_is_kept(tmp_path):
    p = tmp_path / "c.yaml"
    p.write_bytes(b"\xef\xbb\xbf" + CONFIG.encode())
    write_values(p, {"entry.launch_villages": 9}, {"entry.launch_villages": True})
    assert p.read_bytes() == b"\xef\xbb\xbf" + CONFIG.replace("launch_villages: 11 ", "launch_villages: 9  ").encode()


@pytest.mark.parametrize(("path", "why"), [
    ("attrition.grace_m", "quoted"), ("entry.counties_per_month", "not written in the file (a default or base:)"),
    ("entry.schedule.2.1", "no such list item"), ("strategies.s.village_order", "not a number")])
def test_keys_it_cannot_rewrite_are_refused_and_the_file_left_alone(tmp_path, path, why):
    p = tmp_path / "c.yaml"
    p.write_text(CONFIG, encoding="utf-8")
    with pytest.raises(InputError, match=rf"{p}.*calibration\.parameters\.{path}.*--apply"):
        write_values(p, {"entry.launch_villages": 9, path: 2.0}, {})
    assert p.read_text(encoding="utf-8") == CONFIG, why


def test_one_node_shared_by_two_keys_is_refused():
    text = "a: &n 5\nb: *n\n"
    with pytest.raises(InputError, match=r"calibration\.parameters\.b.*same YAML node"):
        number_spans(text, ["a", "b"], "c.yaml")
