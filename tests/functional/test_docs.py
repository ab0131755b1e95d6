"""The README's config reference is generated from the schema and must be current."""
from pathlib import Path

from sim.config.reference import config_reference_markdown

ROOT = Path(__file__).resolve().parents[2]


def test_readme_config_reference_is_current():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert config_reference_markdown() in readme, "run: ruralsim reference --update README.md"


def test_readme_shows_the_two_commands_first():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.index("make run") < readme.index("## The model")
    assert readme.index("make test") < readme.index("## The model")
