"""The committed sample cohort regenerates identically; the README documents every column."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from calfrisk.config import load_cohort_config
from calfrisk.schema import ATHLETE_COLUMNS, INJURY_COLUMNS, SHOE_COLUMNS, TRAINING_LOG_COLUMNS, TRUTH_COLUMNS
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


def test_readme_documents_every_column_and_the_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    for columns in (ATHLETE_COLUMNS, TRAINING_LOG_COLUMNS, INJURY_COLUMNS, TRUTH_COLUMNS, SHOE_COLUMNS):
        for column in columns:
            assert f"`{column}`" in readme, column
    factors = load_cohort_config().factors
    for factor in factors:
        assert f"| `{factor}` |" in readme, factor
    assert readme.index("make demo") < readme.index("## Architecture")
    assert "make test" in readme


def test_example_runner_regenerates_identically_and_the_readme_documents_its_format(tmp_path: Path) -> None:
    from calfrisk.readers.own_csv import OWN_CSV_COLUMNS
    from calfrisk.simulate.export import EXAMPLE_ATHLETE, write_example

    write_example(SAMPLE, EXAMPLE_ATHLETE, tmp_path)
    for name in ("runner_log.csv", "runner_profile.yaml"):
        assert (tmp_path / name).read_text() == (ROOT / "examples" / name).read_text(), name
    readme = (ROOT / "README.md").read_text()
    for column in OWN_CSV_COLUMNS:
        assert f"| `{column}` |" in readme, column
    assert "calfrisk predict" in readme and "not a diagnosis" in readme


def test_notebooks_are_committed_without_outputs_and_linked_from_the_readme() -> None:
    import json

    readme = (ROOT / "README.md").read_text()
    # Executed copies (``*_executed.ipynb``, see notebooks/README.md) are git-ignored, not checked.
    notebooks = sorted(p for p in (ROOT / "notebooks").glob("*.ipynb") if not p.stem.endswith("_executed"))
    assert [n.stem for n in notebooks] == [
        "01_feature_importance",
        "02_model_comparison",
        "03_runner_walkthrough",
    ]
    for path in notebooks:
        cells = json.loads(path.read_text())["cells"]
        for cell in cells:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None, path.name
        assert f"notebooks/{path.name}" in readme, path.name
