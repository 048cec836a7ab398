"""MLflow runs: what a training run logs, comparing runs, and stores that do not exist."""

from __future__ import annotations

import json

import numpy as np
import pytest

from calfrisk.learn.sampling import athlete_side
from tests.conftest import ROOT, run_cli


@pytest.mark.slow
def test_run_is_tracked_with_params_metrics_plots_and_champion(trained, monkeypatch) -> None:
    _root, uri = trained
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    import mlflow

    mlflow.set_tracking_uri(uri)
    runs = mlflow.search_runs(experiment_names=["test"])
    assert len(runs) == 1
    run = runs.iloc[0]
    assert run["params.models.gbm.params.n_estimators"] == "20"
    assert run["params.data.horizon_days"] == "7"
    assert run["params.sampling.train.negative_rate"] == "1.0"
    # The sample's counts: every eligible day kept at the default rate, nothing thinned.
    assert run["metrics.sampling.train.rows"] == run["metrics.sampling.train.eligible_days"] > 0
    assert run["metrics.sampling.test.thinning"] == 1.0
    assert 0.5 < run["metrics.gbm.roc_auc"] < 1
    artifacts = {a.path for a in mlflow.MlflowClient().list_artifacts(run["run_id"])}
    assert {
        "roc.png",
        "precision_recall.png",
        "calibration.png",
        "metrics.json",
        "predictions.parquet",
    } <= artifacts
    from calfrisk.tracking.runs import run_predictions

    predictions = run_predictions(run["run_id"])
    assert {"athlete_id", "date", "label", "gbm", "oracle"} <= set(predictions.columns)
    assert predictions["athlete_id"].nunique() == int(athlete_side(np.arange(150), 0.2, seed=0).sum())
    version = mlflow.MlflowClient().get_model_version_by_alias("calfrisk", "champion")
    model = mlflow.pyfunc.load_model("models:/calfrisk@champion")
    assert int(version.version) == 1 and model is not None


@pytest.mark.slow
def test_compare_lists_the_runs(trained, capsys, monkeypatch) -> None:
    _root, uri = trained
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    code, out, _ = run_cli(["compare", "--experiment", "test", "--format", "json"], capsys)
    assert code == 0
    rows = json.loads(out)
    assert {r["model"] for r in rows} >= {"gbm", "logistic", "oracle"}
    code, out, _ = run_cli(["compare", "--experiment", "test", "--sort", "brier"], capsys)
    assert code == 0 and "gbm" in out
    code, out, _ = run_cli(
        ["compare", "--experiment", "test", "--sort", "calibration_slope", "--format", "json"], capsys
    )
    slopes = [abs(r["calibration_slope"] - 1) for r in json.loads(out)]
    assert code == 0 and slopes == sorted(slopes)  # the nearest to a calibrated model's first
    assert {"roc_auc_skill_vs_oracle", "log_loss_skill_vs_oracle", "calibration_intercept"} <= set(rows[0])
    code, _, err = run_cli(["compare", "--experiment", "test", "--sort", "auc"], capsys)
    assert code == 2 and err.count("\n") == 1 and "--sort auc: not a metric of the table" in err
    code, _, err = run_cli(["compare", "--experiment", "nothing-here"], capsys)
    assert code == 2 and "nothing-here" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["compare", "--experiment", "demo"],
        ["predict", "examples/runner_log.csv", "--model", "models:/calfrisk@champion"],
    ],
)
def test_reading_a_store_that_does_not_exist_creates_none(argv, tmp_path, capsys, monkeypatch) -> None:
    # Looking things up must not leave an empty mlflow.db behind (nor mlflow's INFO lines).
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.chdir(tmp_path)
    argv = [str(ROOT / a) if a.startswith("examples/") else a for a in argv]
    code, _out, err = run_cli(argv, capsys)
    assert code == 2 and err.count("\n") == 1 and "no MLflow store at mlflow.db" in err, err
    assert list(tmp_path.iterdir()) == []


def test_compare_shows_only_the_models_each_run_has(tmp_path, monkeypatch) -> None:
    import mlflow

    from calfrisk.tracking.runs import compare_runs

    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    mlflow.set_tracking_uri(f"sqlite:///{tmp_path / 'mlflow.db'}")
    mlflow.set_experiment("mixed")
    with mlflow.start_run():
        mlflow.log_metrics({"gbm.roc_auc": 0.78, "logistic.roc_auc": 0.77, "oracle.roc_auc": 0.80})
    with mlflow.start_run():
        mlflow.log_metrics({"gbm.roc_auc": 0.75})
    table = compare_runs("mixed")
    assert sorted(table["model"]) == ["gbm", "gbm", "logistic", "oracle"]
    assert table["roc_auc"].notna().all()


def test_a_run_without_an_oracle_logs_the_models_metrics_alone() -> None:
    # An imported cohort's run: "oracle" is None in the metrics, and no oracle metric is logged.
    from types import SimpleNamespace

    from calfrisk.tracking.runs import _run_metrics

    metrics = {
        "models": {"gbm": {"roc_auc": 0.7, "ci": {"roc_auc": [0.6, 0.8]}}},
        "oracle": None,
        **dict.fromkeys(("n_test_athletes", "n_train_athletes", "n_train_rows", "n_test_rows"), 10),
        "positive_rate": 0.01,
    }
    logged = _run_metrics(SimpleNamespace(metrics=metrics, timings={"total_s": 1.0}))
    assert logged["gbm.roc_auc"] == 0.7 and logged["gbm.roc_auc.ci_low"] == 0.6
    assert not [k for k in logged if k.startswith("oracle")]
