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
    from calfrisk.cli.commands import main

    try:
        main(argv)
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def small_config(**cohort: object) -> CohortConfig:
    """The default config, shrunk: 3 chunks of 64 athletes (the last one short), 120 days.

    Enriched x9 (the old default world: x15 at the old base rate): 150 runner-seasons hold a
    handful of strains at the real rate, too few for the mechanics these tests check.
    """
    values = {"n_athletes": 150, "n_days": 120, "chunk_size": 64, "burn_in_days": 28, "seed": 7}
    values.update(cohort)
    return load_cohort_config(overrides={"cohort": values, "injury": {"enrichment": 9.0}})


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
    """A model directory trained (gradient boosting only, 150 stumps) on the committed sample cohort."""
    from calfrisk.config import load_train_config
    from calfrisk.tracking.training import run_training

    overrides = {
        "models": {"gbm": {"params": {"n_estimators": 150}}},
        "sampling": KEEP_EVERY_DAY,
        "latent": [],
        "evaluation": {"n_boot": 10, "folds_below": 0},  # one fit: the hash holdout
        "oracle": {"n_rollouts": 4},  # the oracle does not touch the model; kept cheap
    }
    out = tmp_path_factory.mktemp("model") / "model"
    run = run_training(
        ROOT / "data" / "synthetic" / "sample",
        load_train_config(overrides=overrides),
        models=["gbm"],
        out_dir=out,
        tracking=False,
    )
    return run.model_dir


#: A train config small enough for tests: few rollouts, bootstrap draws and boosting iterations.
#: Sampling that keeps every eligible day: the train config's default is set for a 60,000-runner cohort.
KEEP_EVERY_DAY = {"train": {"negative_rate": 1.0}, "test": {"negative_rate": 1.0}}

TINY = """
sampling: {train: {negative_rate: 1.0}, test: {negative_rate: 1.0}}
oracle: {n_rollouts: 8}
evaluation: {n_boot: 20, folds_below: 0}  # the hash holdout: one fit per model
models:
  gbm: {params: {n_estimators: 20}}
  lovdal: {params: {n_bags: 2, max_iter: 16}}
"""


@pytest.fixture(scope="session")
def trained(small_cohort, tmp_path_factory) -> tuple[Path, str]:
    """One tracked training run on the small cohort, through the command line: its folder and store."""
    from calfrisk.cli import main

    root = tmp_path_factory.mktemp("train")
    (root / "tiny.yaml").write_text(TINY)
    uri = f"sqlite:///{root / 'mlflow.db'}"
    # The store, and the artifacts MLflow puts under the working folder, stay in ``root``; tests
    # that read the store point MLFLOW_TRACKING_URI at it themselves.
    argv = [
        "train",
        "--data",
        str(small_cohort[1]),
        "--config",
        "tiny.yaml",
        "--experiment",
        "test",
        "--out",
        "model",
        "--metrics-json",
        "metrics.json",
        "--register",
        "calfrisk",
    ]
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLFLOW_TRACKING_URI", uri)
        mp.chdir(root)
        try:
            main(argv)
        except SystemExit as exc:
            assert exc.code == 0
    return root, uri
