"""`calfrisk train` end to end: same bytes, the files it writes, bad input refused before the work."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from calfrisk.learn.sampling import athlete_side
from calfrisk.predict.persist import load_model
from tests.conftest import TINY, run_cli


@pytest.mark.slow
def test_same_data_and_seed_give_the_same_bytes(trained, small_cohort, tmp_path, capsys) -> None:
    # The model file, its metadata and the metrics of a second run (untracked, all models) are
    # byte for byte those of the tracked run: every split, bag, booster and bootstrap is seeded.
    root, _ = trained
    argv = ["train", "--data", str(small_cohort[1]), "--config", str(root / "tiny.yaml"), "--no-tracking"]
    argv += ["--out", str(tmp_path / "model"), "--metrics-json", str(tmp_path / "metrics.json")]
    code, out, err = run_cli(argv, capsys)
    assert code == 0, err
    assert "Held-out athletes" in out and "gbm: predict's bands against what followed" in out
    for name in ("model/model.pkl", "model/metadata.json", "metrics.json"):
        assert (tmp_path / name).read_bytes() == (root / name).read_bytes(), name


@pytest.mark.slow
def test_metrics_json_has_the_promised_shape(trained) -> None:
    root, _ = trained
    metrics = json.loads((root / "metrics.json").read_text())
    for model in ("gbm", "logistic", "acwr_zone", "ten_percent", "lovdal", "gbm_latent"):
        entry = metrics["models"][model]
        keys = (
            "roc_auc",
            "average_precision",
            "brier",
            "log_loss",
            "ece",
            "roc_auc_fraction_of_oracle",
            "roc_auc_skill_vs_oracle",
            "log_loss_skill_vs_oracle",
            "calibration_intercept",
            "calibration_slope",
            "top_decile_observed",
            "top_decile_predicted",
            "net_benefit_top5",
        )
        for key in keys:
            assert np.isfinite(entry[key]), (model, key)
        for key in (
            "roc_auc",
            "roc_auc_skill_vs_oracle",
            "calibration_slope",
            *(["roc_auc_minus_gbm"] if model != "gbm" else []),
        ):
            low, high = entry["ci"][key]
            assert low <= entry[key] <= high, (model, key)
        # The chance-corrected share is below the plain ratio whenever the model trails the oracle.
        assert entry["roc_auc_skill_vs_oracle"] <= entry["roc_auc_fraction_of_oracle"] + 1e-12
    assert {"roc_auc", "average_precision", "calibration_slope"} <= set(metrics["oracle"])
    assert "roc_auc_skill_vs_oracle" not in metrics["oracle"]
    # The held-out athletes are those the stable hash sends to the test side (33 of 150 here).
    held_out = int(athlete_side(np.arange(150), 0.2, seed=0).sum())
    assert metrics["n_test_athletes"] == held_out and 0 < metrics["positive_rate"] < 0.1
    bands = metrics["bands"]["gbm"]  # predict's bands against what followed on the test days
    assert [b["band"] for b in bands] == ["low", "elevated", "high"]
    assert all({"observed_low", "observed_high", "agrees"} <= set(b) for b in bands)
    assert sum(b["days"] for b in bands) == metrics["n_test_rows"]


@pytest.mark.slow
def test_model_directory_loads_without_mlflow_and_predicts(trained, small_tables) -> None:
    root, _ = trained
    code = (
        "import sys, pandas as pd\n"
        "from calfrisk.predict.persist import load_model\n"
        "from calfrisk.learn.panel import daily_panel\n"
        f"model, meta = load_model({str(root / 'model')!r})\n"
        "assert 'mlflow' not in sys.modules\n"
        "print(meta['horizon_days'])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "7"
    model, _ = load_model(root / "model")
    from calfrisk.learn.panel import daily_panel

    panel = daily_panel(small_tables["training_log"], small_tables["athletes"], small_tables["injuries"])
    p = model.predict_proba(panel[panel["athlete_id"] < 3])[:, 1]
    assert ((p > 0) & (p < 1)).all()


@pytest.mark.parametrize(
    ("setup", "needle"),
    [
        ("drop_truth", "truth.parquet"),
        ("drop_column", "distance_km"),
        ("horizon_zero", "horizon_days"),
        ("unknown_model", "unknown model"),
        ("old_param", "models.gbm.params: GradientBoostedTrees.__init__() got an unexpected keyword"),
        ("constraint", "models.gbm.params.monotone_constraints: 'speed' is not a feature"),
        ("thin_folds", "of calibration fold"),
        ("models_flag", "--models"),
        ("horizon_too_long", "no eligible day: a day needs"),
        ("drop_part", "truth.parquet/part-00001.parquet: missing (the other tables have this part)"),
        ("one_file", "shoes.parquet: one file where the other tables have parts"),
        ("bad_rate", "key 'sampling.train.negative_rate': Input should be greater than 0"),
    ],
)
def test_bad_input_is_one_line_exit_2_nothing_logged(
    small_cohort, tmp_path, capsys, monkeypatch, setup, needle
):
    data = tmp_path / "data"
    shutil.copytree(small_cohort[1], data)
    config = tmp_path / "c.yaml"
    config.write_text(TINY)
    extra: list[str] = []
    if setup == "drop_truth":
        shutil.rmtree(data / "truth.parquet")
    elif setup == "drop_column":
        for part in sorted((data / "training_log.parquet").glob("part-*.parquet")):
            pd.read_parquet(part).drop(columns="distance_km").to_parquet(part)
    elif setup == "drop_part":
        (data / "truth.parquet" / "part-00001.parquet").unlink()
    elif setup == "one_file":
        shoes = pd.read_parquet(data / "shoes.parquet")
        shutil.rmtree(data / "shoes.parquet")
        shoes.to_parquet(data / "shoes.parquet")
    elif setup == "bad_rate":
        config.write_text(TINY + "sampling: {train: {negative_rate: 0}}\n")
    elif setup == "horizon_zero":
        config.write_text(TINY + "data: {horizon_days: 0}\n")
    elif setup == "horizon_too_long":
        config.write_text(TINY + "data: {horizon_days: 400}\n")
    elif setup == "unknown_model":
        config.write_text(TINY + "models: {xgboost: {params: {}}}\n")
    elif setup == "old_param":  # scikit-learn's name, from before the booster was XGBoost
        config.write_text(TINY + "models: {gbm: {params: {max_iter: 20}}}\n")
    elif setup == "thin_folds":  # 60 folds of two training athletes: some hold no strain
        config.write_text(TINY + "data: {n_folds: 60}\n")
    elif setup == "constraint":
        config.write_text(TINY + "models: {gbm: {params: {monotone_constraints: {speed: 1}}}}\n")
    else:
        extra = ["--models", "gbm,forest"]
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    code, _, err = run_cli(
        ["train", "--data", str(data), "--config", str(config), "--out", str(tmp_path / "m"), *extra], capsys
    )
    assert code == 2, err
    assert needle in err and err.count("\n") == 1
    assert not (tmp_path / "m").exists() and not (tmp_path / "mlflow.db").exists()


@pytest.mark.slow
def test_a_cohort_that_runs_past_today_trains_and_its_served_example_scores(tmp_path, capsys, monkeypatch):
    """A simulated cohort may end after today; its served model's example must still read as a real log."""
    import datetime as dt

    import mlflow
    from mlflow.models import Model

    from calfrisk.simulate import simulate_cohort
    from tests.conftest import small_config

    today = dt.date.today()
    cfg = small_config(n_athletes=64, start_date=today - dt.timedelta(days=40), n_days=120)
    data = tmp_path / "future"
    simulate_cohort(cfg, data, n_jobs=1)
    assert pd.read_parquet(data / "training_log.parquet")["date"].max().date() > today
    (tmp_path / "tiny.yaml").write_text(TINY)
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.chdir(tmp_path)  # MLflow puts the artifacts under the working folder
    argv = ["train", "--data", str(data), "--config", str(tmp_path / "tiny.yaml"), "--models", "gbm"]
    code, _out, err = run_cli([*argv, "--register", "future"], capsys)
    assert code == 0, err
    mlflow.set_tracking_uri(uri)
    logged = mlflow.artifacts.download_artifacts("models:/future@champion")
    example = Model.load(logged).load_input_example(logged)
    assert example["date"].max() <= today.isoformat()
    answer = mlflow.pyfunc.load_model("models:/future@champion").predict(example)
    # An enriched test cohort: relative figures only (no absolute risk).
    assert len(answer) == 1 and answer["risk"].isna().all() and answer["vs_average"].iloc[0] > 0


def _refuse_training(*args, **kwargs):
    raise AssertionError("training started: this should have been refused before it")


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--models", "logistic", "--out", "m"], "--out m: only the gradient boosting"),
        (["--models", "logistic", "--register", "x"], "--register x: only the gradient boosting"),
        (["--register", "x", "--no-tracking"], "--register needs tracking"),
        (["--register", "a/b"], "--register 'a/b': MLflow needs"),
        (
            ["--metrics-json", "notes.txt/metrics.json"],
            "--metrics-json notes.txt/metrics.json: notes.txt is a file",
        ),
        (["--metrics-json", "."], "is a directory"),
        (["--experiment", "gone"], "--experiment 'gone': deleted"),
        (["--out", "notes.txt/model"], "--out notes.txt/model: notes.txt is a file"),
        (["--models", "gbm,forest"], "--models 'forest': not a configured model"),
        (["--data", "nowhere"], "--data nowhere: no such folder"),
    ],
)
def test_what_the_end_of_a_run_needs_is_checked_before_it_starts(
    small_cohort, tmp_path, capsys, monkeypatch, extra, needle
):
    import mlflow

    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("not a folder\n")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    if "gone" in extra:
        mlflow.set_tracking_uri(uri)
        client = mlflow.MlflowClient()
        client.delete_experiment(client.create_experiment("gone"))
        capsys.readouterr()  # mlflow's own lines while creating the store, not the command's
    monkeypatch.setattr("calfrisk.tracking.training.train_models", _refuse_training)
    data = [] if "--data" in extra else ["--data", str(small_cohort[1])]
    code, _out, err = run_cli(["train", *data, *extra], capsys)
    assert code == 2 and err.count("\n") == 1 and needle in err, err
