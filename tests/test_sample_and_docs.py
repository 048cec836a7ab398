"""The committed sample cohort and example regenerate identically; the README and the docs hold together."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from calfrisk.config import load_cohort_config
from calfrisk.simulate import simulate_cohort
from tests.conftest import ROOT, read_tables

SAMPLE = ROOT / "data" / "synthetic" / "sample"


def test_sample_cohort_is_small_and_regenerates_identically(tmp_path: Path) -> None:
    size = sum(p.stat().st_size for p in SAMPLE.rglob("*") if p.is_file())
    assert size < 2 * 1024 * 1024
    cfg = load_cohort_config(ROOT / "configs" / "sample.yaml")
    assert load_cohort_config(SAMPLE / "config.yaml") == cfg
    simulate_cohort(cfg, tmp_path / "again", n_jobs=1)
    # Tables, not bytes: Parquet files carry the writer's version, which may differ from the committer's.
    committed, again = read_tables(SAMPLE), read_tables(tmp_path / "again")
    for name in committed:
        pd.testing.assert_frame_equal(again[name], committed[name])
    assert (tmp_path / "again" / "summary.json").read_text() == (SAMPLE / "summary.json").read_text()


def test_readme_is_one_screen_or_two_with_the_two_commands_first() -> None:
    readme = (ROOT / "README.md").read_text()
    assert len(readme.encode()) < 12 * 1024
    assert readme.index("make demo") < readme.index("make test") < readme.index("## A short tour")
    assert "not a diagnosis" in readme.lower() and "calfrisk predict" in readme


def test_every_risk_factor_of_the_config_is_documented_with_its_evidence() -> None:
    world = (ROOT / "docs" / "world.md").read_text()
    for factor in load_cohort_config().factors:
        assert f"| `{factor}` |" in world, factor


def test_relative_links_of_the_readme_point_at_files_that_exist() -> None:
    # The site's own links are checked by its strict build (`make docs`), generated pages included.
    import re

    pages = [ROOT / "README.md", ROOT / "CHANGELOG.md"]
    for page in pages:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text()):
            if "://" in target:
                continue
            assert (page.parent / target).exists(), f"{page.relative_to(ROOT)} links to missing {target}"


def test_example_runner_regenerates_identically_and_the_guide_documents_its_format(tmp_path: Path) -> None:
    from calfrisk.readers.own_csv import OWN_CSV_COLUMNS
    from calfrisk.simulate.export import EXAMPLE_ATHLETE, write_example

    write_example(SAMPLE, EXAMPLE_ATHLETE, tmp_path)
    for name in ("runner_log.csv", "runner_profile.yaml"):
        assert (tmp_path / name).read_text() == (ROOT / "examples" / name).read_text(), name
    guide = (ROOT / "docs" / "guide" / "predict.md").read_text()
    for column in OWN_CSV_COLUMNS:
        assert f"| `{column}` |" in guide, column


def test_notebooks_are_committed_without_outputs_and_listed_in_the_guide() -> None:
    import json

    guide = (ROOT / "docs" / "guide" / "notebooks.md").read_text()
    # Executed copies (``*_executed.ipynb``, see notebooks/README.md) are git-ignored, not checked.
    notebooks = sorted(p for p in (ROOT / "notebooks").glob("*.ipynb") if not p.stem.endswith("_executed"))
    assert [n.stem for n in notebooks] == [
        "01_feature_importance",
        "02_model_comparison",
        "03_runner_walkthrough",
        "04_real_cohort",
        "05_study_design",
    ]
    for path in notebooks:
        cells = json.loads(path.read_text())["cells"]
        for cell in cells:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None, path.name
        assert f"notebooks/{path.name}" in guide, path.name
