"""Training end to end: the command line, MLflow tracking, model directories, bad input."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.utils.estimator_checks import parametrize_with_checks

from calfrisk.cli import main
from calfrisk.evaluate import athlete_bootstrap, expected_calibration_error, held_out_athletes
from calfrisk.model import BalancedBaggingClassifier, ZoneRuleClassifier
from calfrisk.persist import load_model
from tests.conftest import ROOT, run_cli

TINY = """
oracle: {n_rollouts: 8}
evaluation: {n_boot: 20}
models:
  gbm: {params: {max_iter: 20}}
  lovdal: {params: {n_bags: 2, max_iter: 16}}
"""


@pytest.fixture(scope="module")
def trained(small_cohort, tmp_path_factory):
    """One tracked training run on the small cohort, through the command line."""
    root = tmp_path_factory.mktemp("train")
    (root / "tiny.yaml").write_text(TINY)
    uri = f"sqlite:///{root / 'mlflow.db'}"
    mp = pytest.MonkeyPatch()
    mp.setenv("MLFLOW_TRACKING_URI", uri)
    mp.chdir(root)
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
    try:
        main(argv)
    except SystemExit as exc:
        assert exc.code == 0
    yield root, uri
    mp.undo()


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


def test_metrics_json_has_the_promised_shape(trained) -> None:
    root, _ = trained
    metrics = json.loads((root / "metrics.json").read_text())
    for model in ("gbm", "logistic", "acwr_zone", "ten_percent", "lovdal", "gbm_latent"):
        entry = metrics["models"][model]
        for key in ("roc_auc", "average_precision", "brier", "ece", "roc_auc_fraction_of_oracle"):
            assert np.isfinite(entry[key]), (model, key)
        low, high = entry["ci"]["roc_auc"]
        assert low <= entry["roc_auc"] <= high
    assert {"roc_auc", "average_precision"} <= set(metrics["oracle"])
    assert metrics["n_test_athletes"] == 30 and 0 < metrics["positive_rate"] < 0.1
    bands = metrics["bands"]["gbm"]  # predict's bands against what followed on the test days
    assert [b["band"] for b in bands] == ["low", "elevated", "high"]
    assert sum(b["days"] for b in bands) == metrics["n_test_rows"]


def test_model_directory_loads_without_mlflow_and_predicts(trained, small_tables) -> None:
    root, _ = trained
    code = (
        "import sys, pandas as pd\n"
        "from calfrisk.persist import load_model\n"
        "from calfrisk.panel import daily_panel\n"
        f"model, meta = load_model({str(root / 'model')!r})\n"
        "assert 'mlflow' not in sys.modules\n"
        "print(meta['horizon_days'])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "7"
    model, _ = load_model(root / "model")
    from calfrisk.panel import daily_panel

    panel = daily_panel(small_tables["training_log"], small_tables["athletes"], small_tables["injuries"])
    p = model.predict_proba(panel[panel["athlete_id"] < 3])[:, 1]
    assert ((p > 0) & (p < 1)).all()


def test_run_is_tracked_with_params_metrics_plots_and_champion(trained) -> None:
    _root, uri = trained
    import mlflow

    mlflow.set_tracking_uri(uri)
    runs = mlflow.search_runs(experiment_names=["test"])
    assert len(runs) == 1
    run = runs.iloc[0]
    assert run["params.models.gbm.params.max_iter"] == "20"
    assert run["params.data.horizon_days"] == "7"
    assert 0.5 < run["metrics.gbm.roc_auc"] < 1
    artifacts = {a.path for a in mlflow.MlflowClient().list_artifacts(run["run_id"])}
    assert {
        "roc.png",
        "precision_recall.png",
        "calibration.png",
        "metrics.json",
        "predictions.parquet",
    } <= artifacts
    from calfrisk.tracking import run_predictions

    predictions = run_predictions(run["run_id"])
    assert {"athlete_id", "date", "label", "gbm", "oracle"} <= set(predictions.columns)
    assert predictions["athlete_id"].nunique() == 30
    version = mlflow.MlflowClient().get_model_version_by_alias("calfrisk", "champion")
    model = mlflow.pyfunc.load_model("models:/calfrisk@champion")
    assert int(version.version) == 1 and model is not None


def test_compare_lists_the_runs(trained, capsys, monkeypatch) -> None:
    _root, uri = trained
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    code, out, _ = run_cli(["compare", "--experiment", "test", "--format", "json"], capsys)
    assert code == 0
    rows = json.loads(out)
    assert {r["model"] for r in rows} >= {"gbm", "logistic", "oracle"}
    code, out, _ = run_cli(["compare", "--experiment", "test", "--sort", "brier"], capsys)
    assert code == 0 and "gbm" in out
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


@pytest.mark.parametrize(
    ("setup", "needle"),
    [
        ("drop_truth", "truth.parquet"),
        ("drop_column", "distance_km"),
        ("horizon_zero", "horizon_days"),
        ("unknown_model", "unknown model"),
        ("models_flag", "--models"),
        ("horizon_too_long", "no eligible day: a day needs"),
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
        log = pd.read_parquet(data / "training_log.parquet").drop(columns="distance_km")
        shutil.rmtree(data / "training_log.parquet")
        log.to_parquet(data / "training_log.parquet")
    elif setup == "horizon_zero":
        config.write_text(TINY + "data: {horizon_days: 0}\n")
    elif setup == "horizon_too_long":
        config.write_text(TINY + "data: {horizon_days: 400}\n")
    elif setup == "unknown_model":
        config.write_text(TINY + "models: {xgboost: {params: {}}}\n")
    else:
        extra = ["--models", "gbm,forest"]
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlflow.db'}")
    code, _, err = run_cli(
        ["train", "--data", str(data), "--config", str(config), "--out", str(tmp_path / "m"), *extra], capsys
    )
    assert code == 2, err
    assert needle in err and err.count("\n") == 1
    assert not (tmp_path / "m").exists() and not (tmp_path / "mlflow.db").exists()


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
    argv = ["train", "--data", str(data), "--config", str(tmp_path / "tiny.yaml"), "--models", "gbm"]
    code, _out, err = run_cli([*argv, "--register", "future"], capsys)
    assert code == 0, err
    mlflow.set_tracking_uri(uri)
    logged = mlflow.artifacts.download_artifacts("models:/future@champion")
    example = Model.load(logged).load_input_example(logged)
    assert example["date"].max() <= today.isoformat()
    answer = mlflow.pyfunc.load_model("models:/future@champion").predict(example)
    assert len(answer) == 1 and 0 < answer["risk"].iloc[0] < 1


def test_example_log_moves_a_future_log_back_by_whole_weeks(small_tables) -> None:
    import datetime as dt

    from calfrisk.export import example_log

    as_is = example_log(small_tables, days=90, today=dt.date(2100, 1, 1))
    first = pd.to_datetime(small_tables["training_log"]["date"]).min()
    assert as_is["date"].min() >= first.strftime("%Y-%m-%d")
    for today in (first.date() + dt.timedelta(days=45), first.date() - dt.timedelta(days=400)):
        moved = example_log(small_tables, days=90, today=today)
        shift = pd.to_datetime(as_is["date"]) - pd.to_datetime(moved["date"])
        assert shift.nunique() == 1 and shift.iloc[0].days % 7 == 0
        # The smallest such move: a week less would put the last session after today.
        last = pd.Timestamp(moved["date"].iloc[-1]).date()
        assert last <= today < last + dt.timedelta(days=7)
        assert moved.drop(columns="date").equals(as_is.drop(columns="date"))


def _refuse_training(*args, **kwargs):
    raise AssertionError("training started: this should have been refused before it")


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--models", "logistic", "--out", "m"], "'--out'"),
        (["--models", "logistic", "--register", "x"], "'--register'"),
        (["--register", "x", "--no-tracking"], "--register needs tracking"),
        (["--register", "a/b"], "registered model name 'a/b'"),
        (["--metrics-json", "notes.txt/metrics.json"], "notes.txt is a file"),
        (["--metrics-json", "."], "is a directory"),
        (["--experiment", "gone"], "experiment 'gone': deleted"),
        (["--out", "notes.txt/model"], "notes.txt is a file"),
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
    monkeypatch.setattr("calfrisk.train.train_models", _refuse_training)
    code, _out, err = run_cli(["train", "--data", str(small_cohort[1]), *extra], capsys)
    assert code == 2 and err.count("\n") == 1 and needle in err, err


@settings(max_examples=30, deadline=None)
@given(ids=st.lists(st.integers(0, 30), min_size=4, max_size=200), seed=st.integers(0, 1000))
def test_no_athlete_is_in_both_train_and_test(ids: list[int], seed: int) -> None:
    athletes = np.array(ids)
    if len(np.unique(athletes)) < 2:
        return
    train, test = held_out_athletes(athletes, 0.3, seed)
    assert not set(athletes[train]) & set(athletes[test])
    assert len(train) + len(test) == len(athletes)


def test_ece_is_small_for_calibrated_and_large_for_miscalibrated_predictions() -> None:
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 0.1, 200_000)
    y = rng.random(p.size) < p
    # 15 bins of ~13,000 rows: the sampling error of a bin's rate is ~0.002, so ECE of a calibrated
    # model stays near 0.001; doubling every probability moves it to ~0.05.
    assert expected_calibration_error(y, p) < 0.003
    assert expected_calibration_error(y, 2 * p) > 0.03


def test_athlete_bootstrap_intervals_cover_the_estimate() -> None:
    rng = np.random.default_rng(1)
    athletes = np.repeat(np.arange(60), 50)
    p = rng.uniform(0, 0.2, athletes.size)
    y = (rng.random(athletes.size) < p).astype(int)
    table = athlete_bootstrap(y, {"m": p, "ref": p}, athletes, n_boot=100, relative_to="ref")
    for _, row in table.iterrows():
        assert row["low"] <= row["estimate"] <= row["high"]
    fraction = table[(table["model"] == "m") & (table["metric"] == "roc_auc_fraction")].iloc[0]
    assert fraction["estimate"] == 1.0 and fraction["low"] == fraction["high"] == 1.0


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(20, 300), levels=st.integers(2, 50))
def test_bootstrap_metrics_equal_scikit_learns_weighted_metrics(seed: int, n: int, levels: int) -> None:
    from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

    from calfrisk.evaluate import _Ranked

    rng = np.random.default_rng(seed)
    p = rng.integers(0, levels, n) / levels  # ties on purpose
    y = (rng.random(n) < 0.3).astype(int)
    y[:2] = [0, 1]
    w = rng.integers(0, 4, n).astype(float)
    w[:2] = 1.0
    got = _Ranked(y, p, 5).metrics(w)
    assert got["roc_auc"] == pytest.approx(roc_auc_score(y, p, sample_weight=w))
    assert got["average_precision"] == pytest.approx(average_precision_score(y, p, sample_weight=w))
    assert got["brier"] == pytest.approx(brier_score_loss(y, p, sample_weight=w))


@parametrize_with_checks([BalancedBaggingClassifier(n_bags=2, max_iter=5)])
def test_balanced_bagging_passes_scikit_learns_estimator_checks(estimator, check) -> None:
    check(estimator)


def test_zone_rule_follows_the_estimator_contract() -> None:
    from sklearn.base import clone

    rule = ZoneRuleClassifier(feature="week_change", edges=(0.1,))
    assert clone(rule).get_params() == rule.get_params()
    X = pd.DataFrame({"week_change": [0.0, 0.05, 0.2, 0.5] * 50})
    y = np.array([0, 0, 1, 0] * 50)
    assert rule.fit(X, y) is rule
    p = rule.predict_proba(X)[:, 1]
    # Rates shrunk toward the overall 25 %: the flagged zone is riskier than the other.
    assert p[2] > 0.25 > p[0]
    assert rule.predict(X).tolist()[:4] == [0, 0, 1, 1]


def test_registered_predictor_answers_the_scoring_protocol_with_risk_and_drivers(trained) -> None:
    """What `mlflow models serve` runs for POST /invocations, called in-process."""
    import mlflow
    from mlflow.pyfunc import scoring_server

    _root, uri = trained
    mlflow.set_tracking_uri(uri)
    model = mlflow.pyfunc.load_model("models:/calfrisk@champion")
    # Logged as code, not as a pickled object: loading it runs calfrisk's predictor_code.py.
    logged = Path(mlflow.artifacts.download_artifacts("models:/calfrisk@champion"))
    files = {p.name for p in logged.rglob("*")}
    assert "predictor_code.py" in files and "python_model.pkl" not in files
    log = pd.read_csv(ROOT / "examples" / "runner_log.csv")
    body = json.dumps(
        {
            "dataframe_split": {"columns": list(log.columns), "data": log.astype(object).values.tolist()},
            "params": {"age": 52.0, "sex": "M", "from": "2025-09-01", "to": "2025-09-03"},
        }
    )
    answer = scoring_server.invocations(body, "application/json", model, model.metadata.get_input_schema())
    assert answer.status == 200, answer.response
    days = json.loads(answer.response)["predictions"]
    assert [d["date"] for d in days] == ["2025-09-01", "2025-09-02", "2025-09-03"]
    for day in days:
        assert 0 < day["risk"] < 1 and day["band"] in {"low", "elevated", "high"}
        assert all({"factor", "contribution", "advice"} <= set(d) for d in day["drivers"])


def test_predict_takes_an_mlflow_model_uri(trained, capsys) -> None:
    _root, _uri = trained
    log = str(ROOT / "examples" / "runner_log.csv")
    code, out, err = run_cli(
        ["predict", log, "--model", "models:/calfrisk@champion", "--format", "json"], capsys
    )
    assert code == 0, err
    assert json.loads(out)[0]["date"] == pd.read_csv(log)["date"].iloc[-1]
    code, _out, err = run_cli(["predict", log, "--model", "models:/calfrisk@nosuchalias"], capsys)
    assert code == 2 and err.count("\n") == 1 and "models:/calfrisk@nosuchalias" in err


def test_mlflow_models_serve_answers_with_risk_and_drivers(trained, tmp_path) -> None:
    """The real server: `mlflow models serve` on the registered predictor, one POST /invocations."""
    import os
    import socket
    import time
    import urllib.request
    from pathlib import Path

    _root, uri = trained
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mlflow_cli = Path(sys.executable).parent / "mlflow"
    command = [
        str(mlflow_cli),
        "models",
        "serve",
        "-m",
        "models:/calfrisk@champion",
        "--env-manager",
        "local",
    ]
    # As in an activated environment: mlflow starts the server as `uvicorn` from PATH.
    path = os.pathsep.join([str(mlflow_cli.parent), os.environ.get("PATH", "")])
    env = {**os.environ, "PATH": path, "MLFLOW_TRACKING_URI": uri, "MLFLOW_DISABLE_TELEMETRY": "true"}
    log_file = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port)], env=env, stdout=log_file, stderr=log_file
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{base}/ping", timeout=2) as ping:
                    if ping.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    tail = (tmp_path / "serve.log").read_text()[-2000:]
                    raise AssertionError(f"mlflow models serve did not come up:\n{tail}") from None
                time.sleep(0.5)
        log = pd.read_csv(ROOT / "examples" / "runner_log.csv")
        body = json.dumps(
            {
                "dataframe_split": {"columns": list(log.columns), "data": log.astype(object).values.tolist()},
                "params": {"age": 52.0, "date": "2025-10-14"},
            }
        ).encode()
        request = urllib.request.Request(
            f"{base}/invocations", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            days = json.loads(answer.read())["predictions"]
    finally:
        server.terminate()
        server.wait(timeout=20)
        log_file.close()
    assert [d["date"] for d in days] == ["2025-10-14"]
    assert 0 < days[0]["risk"] < 1 and days[0]["band"] in {"low", "elevated", "high"}
    assert all({"factor", "contribution", "advice"} <= set(d) for d in days[0]["drivers"])


def test_compare_shows_only_the_models_each_run_has(tmp_path, monkeypatch) -> None:
    import mlflow

    from calfrisk.tracking import compare_runs

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


def test_gbm_is_calibrated_on_held_out_athletes() -> None:
    # The committed sample cohort: 40 held-out athletes, 11,960 days, 1.7 % positive. Positive days
    # come in runs (the 7 days before each strain), so the effective sample is ~1/7 of the days:
    # a bin of ~800 days has a rate known to ~0.012, and even a perfectly calibrated model shows an
    # ECE near 0.01 here (0.011 measured), so the ECE bound is loose. Calibration in the large is the
    # sharper check: the mean predicted risk within 25 % of the observed rate. The 199 positive days
    # come from 35 strains, so that rate is known to ~17 % (1/sqrt(35)): 25 % is 1.5 standard errors,
    # and predictions 1.5x too high (50 % off, 3 standard errors) fail it.
    from calfrisk.config import load_train_config
    from calfrisk.train import load_cohort, train_models

    tables, _ = load_cohort(ROOT / "data" / "synthetic" / "sample")
    overrides = {"models": {"gbm": {"params": {"max_iter": 60}}}, "evaluation": {"n_boot": 10}}
    result = train_models(tables, load_train_config(overrides=overrides), models=["gbm"])
    y, p = result.predictions["label"].to_numpy(), result.predictions["gbm"].to_numpy()
    assert expected_calibration_error(y, p) < 0.02
    assert abs(p.mean() - y.mean()) < 0.25 * y.mean()
    assert abs(1.5 * p.mean() - y.mean()) > 0.25 * y.mean()
