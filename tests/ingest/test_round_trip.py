"""The round trip: a simulated cohort written as real exports, imported, scores as the original."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from calfrisk.simulate.export import runner_log
from calfrisk.tables import load_cohort
from tests.conftest import ROOT, run_cli
from tests.fixtures_logs import write_fit, write_strava_csv
from tests.ingest.test_runners import PROFILE, _runs, _shoe

pytestmark = pytest.mark.slow

SAMPLE = ROOT / "data" / "synthetic" / "sample"
#: Every day scored (no sampling: the two cohorts' ids differ, and so would their sampled days).
EVERY_DAY = """
sampling: {train: {negative_rate: 1.0}, test: {negative_rate: 1.0}}
oracle: {n_rollouts: 8}
evaluation: {n_boot: 20}
"""


def _write_study(root: Path) -> None:
    """The committed sample's 200 runners: most as own CSVs, every fourth as a Strava export, three
    as FIT files; with their injuries, profiles and shoes' km as a study would record them."""
    tables, _ = load_cohort(SAMPLE)
    ids = tables["athletes"]["athlete_id"].tolist()
    fit, strava = set(ids[3:12:4]), set(ids[1::4])
    for a in ids:
        folder = root / "runners" / f"r{a}"
        log = tables["training_log"][tables["training_log"]["athlete_id"] == a]
        if a in fit:
            for i, run in enumerate(_runs(log)):
                write_fit(folder / f"{i:04d}.fit.gz", run, gz=True)
        elif a in strava:
            write_strava_csv(folder / "activities.csv", _runs(log))
        else:
            folder.mkdir(parents=True)
            runner_log(tables, a).to_csv(folder / "log.csv", index=False)
    injuries = tables["injuries"]
    injuries.assign(
        athlete_id="r" + injuries["athlete_id"].astype(str), date=injuries["date"].dt.strftime("%Y-%m-%d")
    )[["athlete_id", "date", "grade", "layoff_days"]].to_csv(root / "injuries.csv", index=False)
    athletes = tables["athletes"]
    athletes.assign(athlete_id="r" + athletes["athlete_id"].astype(str))[["athlete_id", *PROFILE]].to_csv(
        root / "athletes.csv", index=False
    )
    worn = tables["training_log"].groupby("athlete_id")["shoe_id"].unique()
    shoes = tables["shoes"][(tables["shoes"]["km"] > 0) & ~tables["shoes"]["athlete_id"].isin(fit)]
    shoes = shoes[[s in worn[a] for a, s in zip(shoes["athlete_id"], shoes["shoe_id"], strict=True)]]
    pd.DataFrame(
        {"athlete_id": "r" + shoes["athlete_id"].astype(str), "shoe": [_shoe(s) for s in shoes["shoe_id"]],
         "km_before": shoes["km"]}
    ).to_csv(root / "shoes.csv", index=False)  # fmt: skip


def test_a_model_scores_the_same_on_the_cohort_and_on_its_exports(
    trained, tmp_path, capsys, monkeypatch
) -> None:
    root, uri = trained
    _write_study(tmp_path)
    (tmp_path / "every_day.yaml").write_text(EVERY_DAY)
    imported = tmp_path / "imported"
    code, _, err = run_cli(
        ["import", str(tmp_path / "runners"), "--injuries", str(tmp_path / "injuries.csv"),
         "--athletes", str(tmp_path / "athletes.csv"), "--shoes", str(tmp_path / "shoes.csv"),
         "--timezone", "UTC", "--out", str(imported)],
        capsys,
    )  # fmt: skip
    assert code == 0, err
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    monkeypatch.chdir(root)
    scores = {}
    for name, data in (("simulated", SAMPLE), ("imported", imported)):
        out = tmp_path / f"{name}.json"
        code, _, err = run_cli(
            ["evaluate", "--model", "models:/calfrisk@champion", "--data", str(data), "--config",
             str(tmp_path / "every_day.yaml"), "--experiment", "roundtrip", "--metrics-json", str(out)],
            capsys,
        )  # fmt: skip
        assert code == 0, err
        scores[name] = json.loads(out.read_text())
    simulated, real = scores["simulated"], scores["imported"]
    # The simulated cohort has its oracle; the imported one has none, and says so.
    assert simulated["oracle"] is not None and real["oracle"] is None
    auc = {k: v["models"]["gbm"]["roc_auc"] for k, v in scores.items()}
    # The same runners, days and strains, read back from their exports: the ranking is the same up
    # to what the exports cannot carry (session types outside the own CSV, the FIT runners' shoes).
    assert abs(auc["simulated"] - auc["imported"]) < 0.005, auc
    assert real["n_test_athletes"] == simulated["n_test_athletes"] == 200
    assert abs(real["n_test_rows"] / simulated["n_test_rows"] - 1) < 0.05

    from calfrisk.tracking.runs import _mlflow

    runs = _mlflow(reading=True).search_runs(
        experiment_names=["roundtrip"], filter_string="tags.`calfrisk.kind` = 'evaluation'"
    )
    assert len(runs) == 2 and runs["tags.calfrisk.model_run_id"].notna().all()
