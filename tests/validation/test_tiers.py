"""The township-tier, service-frequency and bus-line validation cases: the fast ones
pass; the slow ones (make validate) pass or are registered known disagreements."""
from __future__ import annotations

import pytest

from sim.validation import judge
from sim.validation.tiers import CASES


@pytest.mark.parametrize("case", [c for c in CASES if not c.slow], ids=lambda c: c.name)
def test_fast_tier_cases_pass(case, tmp_path):
    results = case.run(tmp_path)
    assert results and all(r.passed for r in results), [(r.case, r.simulated, r.expected, r.note) for r in results]


@pytest.mark.slow
@pytest.mark.parametrize("case", [c for c in CASES if c.slow], ids=lambda c: c.name)
def test_slow_tier_cases_pass_or_are_known(case, tmp_path):
    verdict = judge(case.run(tmp_path))
    assert not verdict.failed, [(r.case, r.simulated, r.expected, r.note) for r in verdict.failed]
