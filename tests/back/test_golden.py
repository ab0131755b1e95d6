"""The golden back-tests: every refactoring keeps these tables byte-identical (or
regenerates them in the same commit, with the reason in its message)."""
from __future__ import annotations

import difflib

import pytest
from golden import GOLDEN, TABLES, produce


@pytest.mark.parametrize("name", sorted(TABLES))
def test_tables_match_golden(name, tmp_path):
    out = produce(name, tmp_path / name)
    for table in TABLES[name]:
        want = (GOLDEN / name / table).read_text()
        got = (out / table).read_text()
        if got != want:
            diff = "".join(list(difflib.unified_diff(want.splitlines(True), got.splitlines(True),
                                                     f"golden/{name}/{table}", f"now/{table}", n=0))[:40])
            pytest.fail(f"{name}/{table} differs from the golden copy:\n{diff}")
