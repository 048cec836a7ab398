"""Shared fixtures: small seeded cohorts, simulated once per test session."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import settings

from calfrisk.config import CohortConfig, load_cohort_config
from calfrisk.schema import TABLES
from calfrisk.simulate import CohortSummary, simulate_cohort

ROOT = Path(__file__).resolve().parents[1]

# Property tests draw the same examples on every run (a fixed seed, like every statistical test
# here), so CI is reproducible; HYPOTHESIS_PROFILE=explore searches afresh each run.
settings.register_profile("calfrisk", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "calfrisk"))


def run_cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run ``calfrisk argv`` in-process; return exit code, stdout, stderr."""
    from calfrisk.cli import main

    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def small_config(**cohort: object) -> CohortConfig:
    """The default config, shrunk: 3 chunks of 64 athletes (the last one short), 120 days."""
    values = {"n_athletes": 150, "n_days": 120, "chunk_size": 64, "burn_in_days": 28, "seed": 7}
    values.update(cohort)
    return load_cohort_config(overrides={"cohort": values})


def read_tables(folder: Path) -> dict[str, pd.DataFrame]:
    """The four simulator tables of ``folder``."""
    return {name: pd.read_parquet(folder / f"{name}.parquet") for name in TABLES}


@pytest.fixture(scope="session")
def small_cohort(tmp_path_factory: pytest.TempPathFactory) -> tuple[CohortConfig, Path, CohortSummary]:
    """A multi-chunk cohort written to disk: config, folder, summary."""
    cfg = small_config()
    out = tmp_path_factory.mktemp("cohort") / "small"
    summary = simulate_cohort(cfg, out, n_jobs=1)
    return cfg, out, summary


@pytest.fixture(scope="session")
def small_tables(small_cohort: tuple[CohortConfig, Path, CohortSummary]) -> dict[str, pd.DataFrame]:
    """The small cohort's tables as DataFrames."""
    return read_tables(small_cohort[1])


@pytest.fixture(scope="session")
def sample_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A model directory trained (gradient boosting only, 60 stumps) on the committed sample cohort."""
    from calfrisk.config import load_train_config
    from calfrisk.persist import save_model
    from calfrisk.train import load_cohort, model_metadata, train_models

    data = ROOT / "data" / "synthetic" / "sample"
    tables, cohort = load_cohort(data)
    overrides = {"models": {"gbm": {"params": {"max_iter": 60}}}, "latent": [], "evaluation": {"n_boot": 10}}
    result = train_models(tables, load_train_config(overrides=overrides), models=["gbm"])
    out = tmp_path_factory.mktemp("model") / "model"
    return save_model(result.pipelines["gbm"], out, model_metadata(result, cohort, data))
