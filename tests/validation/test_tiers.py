"""The township-tier and service-frequency validation cases pass."""
from __future__ import annotations

import pytest

from sim.validation.tiers import CASES


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_tier_cases_pass(case, tmp_path):
    results = case.run(tmp_path)
    assert results and all(r.passed for r in results), [(r.case, r.simulated, r.expected, r.note) for r in results]
