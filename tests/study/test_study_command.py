"""``calfrisk study`` end to end on a tiny design: outputs, MLflow runs, resume, the same bytes."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from calfrisk.config.study import load_study_design
from calfrisk.engine import Engine
from calfrisk.study.run import plan_study, run_study
from tests.conftest import run_cli

TINY = """
name: tiny
seed: 5
train:
  latent: []
  models: {gbm: {params: {n_estimators: 100}}}
  evaluation: {n_boot: 30, folds_below: 0}
  oracle: {n_rollouts: 8}
  sampling: {train: {negative_rate: 0.1}, test: {negative_rate: 0.05}}
scenarios:
  - {name: base}
  - {name: same, description: the base world written out, overrides: {effects: {age: {hazard_ratio: 1.4}}}}
  - {name: no_prior, overrides: {effects: {prior_strain: {hazard_ratio: 1.0}}}}
sweep: {train_runners: 1500, eval_runners: 600, days: 365, replicates: 2, models: [gbm, logistic],
        importance_repeats: 1, evidence_ends: []}
power: {runners: [300, 600], days: [182, 365], replicates: 2, alpha: 0.05,
        model_auc: {model: gbm, runners: [1000], replicates: 1}}
"""


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """The tiny study run once by the command (two threads), tracked in a store of its own."""
    root = tmp_path_factory.mktemp("study")
    design = root / "study.yaml"
    design.write_text(TINY)
    out = root / "out"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{root / 'mlflow.db'}")
        from calfrisk.cli.commands import main

        try:
            main(["study", "--design", str(design), "--out", str(out), "--experiment", "tiny", "--jobs", "2"])
            code = 0
        except SystemExit as exc:
            code = exc.code
    assert code == 0
    return {"design": design, "out": out, "uri": f"sqlite:///{root / 'mlflow.db'}"}


@pytest.mark.slow
def test_the_outputs_hold_what_the_issue_asks(study: dict) -> None:
    out = study["out"]
    results = pd.read_parquet(out / "results.parquet")
    transport = results[results["analysis"] == "transport"]
    # One row per scenario x replicate x model; the summary pools the replicates' runners.
    assert len(transport) == 3 * 2 * 2
    assert set(transport["scenario"]) == {"base", "same", "no_prior"}
    power = results[results["analysis"] == "power"]
    assert len(power) == 2 * 2 * 2 * 15  # replicates x runners x days x covariates
    summary = json.loads((out / "summary.json").read_text())
    assert set(summary["power"]["age"]) == {"300", "600"}
    assert all(0 <= p <= 1 for e in summary["power"].values() for p in e.values())
    assert {"warmup", "stretching", "sex"} <= set(summary["type1"])
    assert set(summary["coverage"]) >= {"age", "warmup"}
    base = summary["transport"]["base"]["gbm"]
    assert {"roc_auc", "roc_auc_skill_vs_oracle", "calibration_slope"} <= set(base)
    assert summary["riley"]["runners"] > 0 and summary["model_auc"]["1000"]["replicates"] == 1
    for name in ("power.png", "transport.png", "design.json"):
        assert (out / name).stat().st_size > 0


@pytest.mark.slow
def test_the_base_world_written_out_transports_with_no_loss(study: dict) -> None:
    summary = json.loads((study["out"] / "summary.json").read_text())
    transport = summary["transport"]
    for model in ("gbm", "logistic"):
        # The same rules, the same seed: the same runners, strains and figures (common random numbers).
        same, base = transport["same"][model], transport["base"][model]
        assert same["roc_auc"] == base["roc_auc"] and same["calibration_slope"] == base["calibration_slope"]
        assert same["skill_change_vs_reference"] == 0.0
        assert base["verdict"] == "transports"
    # New runners of the base world score as the training's own held-out runners did, within noise.
    trained = json.loads((study["out"] / "models" / "metrics.json").read_text())["models"]["gbm"]
    new = transport["base"]["gbm"]
    half = (trained["ci"]["roc_auc"][1] - trained["ci"]["roc_auc"][0]) / 2 + (
        new["roc_auc_high"] - new["roc_auc_low"]
    ) / 2
    assert abs(new["roc_auc"] - trained["roc_auc"]) < half


@pytest.mark.slow
def test_mlflow_holds_a_parent_run_and_a_child_per_scenario(study: dict, capsys, monkeypatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", study["uri"])
    code, printed, err = run_cli(["compare", "--experiment", "tiny", "--format", "json"], capsys)
    assert code == 0, err
    rows = json.loads(printed)
    data = {row["data"] for row in rows}
    assert {"study tiny: base", "study tiny: same", "study tiny: no_prior"} <= data
    assert {row["model"] for row in rows} == {"gbm", "logistic"}
    import mlflow

    runs = mlflow.search_runs(experiment_names=["tiny"])
    parents = runs[runs["tags.calfrisk.kind"] == "study"]
    children = runs[runs["tags.calfrisk.kind"] == "study-scenario"]
    assert len(parents) == 1 and len(children) == 3
    assert set(children["tags.mlflow.parentRunId"]) == set(parents["run_id"])


@pytest.mark.slow
def test_a_resumed_study_runs_only_what_is_missing_and_writes_the_same_bytes(study: dict) -> None:
    out = study["out"]
    before = {name: (out / name).read_bytes() for name in ("results.parquet", "summary.json")}
    plan = plan_study(load_study_design(study["design"]), study["design"])
    # Interrupted before these finished: one task of each kind. They run again on one thread
    # (the first run had two), and the study's files are the same bytes.
    missing = ["model_auc-n1000-r0000", "power-r0001", "transport-no_prior-r0000"]
    for key in missing:
        (out / "parts" / f"{key}.parquet").unlink()
    resumed = run_study(plan, out, engine=Engine("threads", n_jobs=1))
    assert resumed.ran == missing
    assert len(resumed.resumed) == len(plan.tasks) - len(missing)
    assert {name: (out / name).read_bytes() for name in before} == before


@pytest.mark.slow
def test_another_design_does_not_write_into_a_study_folder(study: dict, tmp_path: Path, capsys) -> None:
    other = tmp_path / "other.yaml"
    other.write_text(TINY.replace("seed: 5", "seed: 6"))
    args = ["study", "--design", str(other), "--out", str(study["out"]), "--no-tracking"]
    code, _, err = run_cli(args, capsys)
    assert code == 2
    assert "holds another study's results (`--overwrite` replaces them)" in err
    assert err.count("\n") == 1


POWER_ONLY = """
name: power_only
seed: 9
scenarios: [{name: base}]
sweep: null
power: {runners: [300, 600], days: [182], replicates: 3, model_auc: {replicates: 0, runners: []}}
"""


@pytest.mark.slow
def test_a_local_dask_cluster_gives_the_bytes_of_threads(tmp_path: Path, capsys) -> None:
    design = tmp_path / "study.yaml"
    design.write_text(POWER_ONLY)
    files = {}
    for name, extra in (("threads", ["--jobs", "2"]), ("dask", ["--engine", "dask"])):
        out = tmp_path / name
        code, _, err = run_cli(
            ["study", "--design", str(design), "--out", str(out), "--no-tracking", *extra], capsys
        )
        assert code == 0, err
        files[name] = {f: (out / f).read_bytes() for f in ("results.parquet", "summary.json", "power.png")}
    assert files["threads"] == files["dask"]
