"""The docs stay true: the config reference in docs/reference.md is generated from the
schemas and current, the README opens with the two commands, and every file the README
and docs/ name in backticks exists."""
import re
from pathlib import Path

from sim.cli import reference_markdown

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```.*?^```", re.S | re.M)
CODE_SPAN = re.compile(r"`([^`\n]+)`")
FILE_NAME = re.compile(r"^[\w./-]+\.(?:py|yaml)$")


def named_files(text: str) -> set[str]:
    """Every word of an inline code span that names a .py or .yaml file (fenced code
    blocks are examples and are skipped)."""
    text = FENCE.sub("", text)
    return {word for span in CODE_SPAN.findall(text) for word in span.split() if FILE_NAME.match(word)}


def test_config_reference_is_current():
    text = (ROOT / "docs" / "reference.md").read_text(encoding="utf-8")
    assert reference_markdown() in text, "run: ruralsim reference --update docs/reference.md"


def test_reference_documents_every_kind_and_what_a_rollout_replaces():
    text = reference_markdown()
    for kind in ("scenario", "experiment", "rollout", "national"):
        assert f"### `kind: {kind}`" in text
    for key in ("`region.villages.min`", "`strategies.NAME.village_order`", "`replications.relative_half_width`",
                "`design.method`", "`hub.sorters`", "`stations.coverage_share` (by"):
        assert key in text, key


def test_readme_shows_the_two_commands_first():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_section = readme.index("\n## ", readme.index("## Two commands") + 1)
    assert readme.index("make run") < first_section
    assert readme.index("make test") < first_section


def test_the_docs_exist_and_the_readme_links_them():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in ("model", "configs", "experiments", "rollout", "national", "outputs", "validation", "testing"):
        assert (ROOT / "docs" / f"{name}.md").is_file()
        assert f"(docs/{name}.md)" in readme
    assert "(docs/reference.md)" in readme


def test_the_file_check_sees_code_spans_only():
    text = "`sim/cli.py` and `python bench/import_graph.py --dot`, not sim/x.py\n```\n`sim/y.py`\n```\n"
    assert named_files(text) == {"sim/cli.py", "bench/import_graph.py"}


def test_every_file_named_in_backticks_exists():
    missing = []
    for doc in DOCS:
        for name in sorted(named_files(doc.read_text(encoding="utf-8"))):
            if not (ROOT / name).is_file():
                missing.append(f"{doc.relative_to(ROOT)}: `{name}`")
    assert not missing, "named in the docs but not in the repository (use the path from the root):\n" + "\n".join(
        missing)


def test_the_experiment_example_in_the_docs_is_a_valid_config(tmp_path):
    from sim.experiments.spec import load_experiment

    text = (ROOT / "docs" / "experiments.md").read_text(encoding="utf-8")
    example = text[text.index("```yaml\n") + len("```yaml\n"):]
    example = example[:example.index("```")]
    assert "base: baseline.yaml" in example
    path = tmp_path / "example.yaml"
    path.write_text(example.replace("base: baseline.yaml", f"base: {ROOT / 'experiments' / 'baseline.yaml'}"),
                    encoding="utf-8")
    exp = load_experiment(path)
    assert len(exp.scenarios) == 4 * 3 * 2 * 2
    baseline = next(s for s in exp.scenarios if s.id == exp.baseline_id)
    assert baseline.name == "one_way" and baseline.values["stations.coverage_share"] == 0.25


def test_validation_doc_lists_every_known_disagreement():
    from sim.validation.known import KNOWN

    text = (ROOT / "docs" / "validation.md").read_text(encoding="utf-8")
    section = text[text.index("## Known disagreements"):]
    listed = set(re.findall(r"^- `(\w+)`", section, re.M))
    assert listed == set(KNOWN), f"docs/validation.md lists {sorted(listed)}; sim/validation/known.py {sorted(KNOWN)}"
