"""The config reference in docs/reference.md is generated from the schemas and must be current."""
from pathlib import Path

from sim.cli import reference_markdown

ROOT = Path(__file__).resolve().parents[2]


def test_config_reference_is_current():
    text = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
    assert reference_markdown() in text, "run: ruralsim reference --update docs/reference.md"


def test_reference_documents_every_kind_and_what_a_rollout_replaces():
    text = reference_markdown()
    for kind in ("scenario", "experiment", "rollout"):
        assert f"### `kind: {kind}`" in text
    for key in ("`region.villages.min`", "`strategies.NAME.village_order`", "`replications.relative_half_width`",
                "`design.method`", "`hub.sorters`", "`stations.coverage_share` (by"):
        assert key in text, key
