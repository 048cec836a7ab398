"""``calfrisk import``: a cohort folder from runners' files, or from the Lövdal file; errors as one line."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from calfrisk.simulate.export import runner_log
from calfrisk.tables import load_cohort, open_cohort
from tests.conftest import ROOT, run_cli

SAMPLE = ROOT / "data" / "synthetic" / "sample"


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """120 of the committed sample's runners as own CSVs (no profile given), and their injuries."""
    tables, _ = load_cohort(SAMPLE)
    root = tmp_path_factory.mktemp("study")
    chosen = tables["athletes"]["athlete_id"].iloc[:120]
    for a in chosen:
        (root / "runners" / f"r{a}").mkdir(parents=True)
        runner_log(tables, a).to_csv(root / "runners" / f"r{a}" / "log.csv", index=False)
    injuries = tables["injuries"][tables["injuries"]["athlete_id"].isin(chosen)]
    injuries.assign(
        athlete_id="r" + injuries["athlete_id"].astype(str), date=injuries["date"].dt.strftime("%Y-%m-%d")
    )[["athlete_id", "date", "grade", "layoff_days"]].to_csv(root / "injuries.csv", index=False)
    return root


def test_import_then_train_without_an_oracle(study: Path, tmp_path: Path, capsys) -> None:
    out, mapping = tmp_path / "cohort", tmp_path / "keys" / "pseudonyms.csv"
    args = ["import", str(study / "runners"), "--injuries", str(study / "injuries.csv"), "--out", str(out)]
    code, printed, err = run_cli([*args, "--pseudonymise", str(mapping), "--jobs", "2"], capsys)
    assert code == 0, err
    assert "runners imported" in printed and "120" in printed
    dataset = open_cohort(out)
    assert dataset.config is None and dataset.manifest["outcome"] == "calf strain"
    keys = pd.read_csv(mapping)
    assert len(keys) == 120 and not (
        set(keys["athlete_id"]) & set(pd.read_parquet(out / "athletes.parquet")["athlete_id"])
    )
    metrics = tmp_path / "metrics.json"
    train = ["train", "--data", str(out), "--models", "gbm,logistic", "--metrics-json", str(metrics)]
    code, printed, err = run_cli([*train, "--no-tracking", "--out", str(tmp_path / "model")], capsys)
    assert code == 0, err
    assert "No oracle" in " ".join(printed.split())
    result = json.loads(metrics.read_text())
    assert result["oracle"] is None
    # No profile given: the models work from the logs alone, and still rank the days.
    assert 0.6 < result["models"]["gbm"]["roc_auc"] < 0.95
    assert result["models"]["logistic"]["roc_auc"] > 0.6


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        ([], "--injuries is required"),
        (["--injuries", "{injuries}", "--start", "2020-01-01"], "--start is for --format lovdal"),
        (["--injuries", "{injuries}", "--pseudonymise", "{out}/keys.csv"], "out of the cohort folder"),
        (["--injuries", "{missing}"], "no such file"),
        (["--injuries", "{injuries}", "--timezone", "Mars/Olympus"], "Mars/Olympus"),
        (["--injuries", "{injuries}", "--format", "lovdal"], "--injuries is for --format runners"),
    ],
)
def test_bad_imports_are_one_line_exit_2_nothing_written(study, tmp_path, capsys, extra, needle) -> None:
    out = tmp_path / "cohort"
    paths = {"injuries": study / "injuries.csv", "missing": tmp_path / "none.csv", "out": out}
    args = ["import", str(study / "runners"), "--out", str(out), *[a.format(**paths) for a in extra]]
    code, _, err = run_cli(args, capsys)
    assert code == 2, err
    assert needle in err and err.count("\n") == 1
    assert not out.exists()


def test_an_empty_runners_folder_is_one_line(tmp_path: Path, capsys) -> None:
    (tmp_path / "runners").mkdir()
    (tmp_path / "injuries.csv").write_text("athlete_id,date\n")
    code, _, err = run_cli(
        [
            "import",
            str(tmp_path / "runners"),
            "--injuries",
            str(tmp_path / "injuries.csv"),
            "--out",
            str(tmp_path / "c"),
        ],
        capsys,
    )
    assert code == 2 and "no runner" in err and err.count("\n") == 1
    assert not (tmp_path / "c").exists()


def test_import_the_lovdal_format(tmp_path: Path, capsys) -> None:
    from tests.ingest.test_lovdal import daily_log, windows, write

    logs = {0: daily_log(range(0, 60), seed=1), 3: daily_log(range(10, 80), seed=2)}
    path = write(windows(logs, injured={(3, 50)}), tmp_path / "day_approach_maskedID_timeseries.csv")
    out = tmp_path / "cohort"
    code, printed, err = run_cli(["import", "--format", "lovdal", str(path), "--out", str(out)], capsys)
    assert code == 0, err
    assert "running injurys, not calf strains" not in printed
    assert "are running injuries, not calf strains" in " ".join(printed.split())
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["outcome"] == "running injury" and manifest["counts"]["injuries"] == 1
    # The days the windows cover are recorded, so that a day no window covers is not read as rest.
    assert "days" in open_cohort(out).parts[0]
    assert len(pd.read_parquet(out / "days.parquet")) == manifest["counts"]["days"]
    code, _, err = run_cli(["import", "--format", "lovdal", str(path), "--out", str(out)], capsys)
    assert code == 2 and "--overwrite" in err


@pytest.mark.parametrize("fault", ["missing column", "week approach", "bad cell"])
def test_a_bad_lovdal_file_is_one_line_exit_2_nothing_written(tmp_path: Path, capsys, fault: str) -> None:
    from tests.ingest.test_lovdal import daily_log, windows, write

    frame = windows({0: daily_log(range(0, 30), seed=1)})
    if fault == "missing column":
        frame = frame.drop(columns=["km Z3-4.2"])
    elif fault == "week approach":
        frame = frame.rename(columns={c: f"{c} week 0" for c in frame.columns[:70]})
    else:
        frame = frame.astype({"total km.3": object})
        frame.loc[2, "total km.3"] = "ten"
    path = write(frame, tmp_path / "day.csv")
    out = tmp_path / "cohort"
    code, _, err = run_cli(["import", "--format", "lovdal", str(path), "--out", str(out)], capsys)
    assert code == 2 and err.count("\n") == 1 and "day.csv" in err, err
    assert not out.exists()


def test_a_runner_with_only_cycling_is_refused_when_no_runner_remains(tmp_path: Path, capsys) -> None:
    import datetime as dt

    from tests.fixtures_logs import Run, write_strava_csv

    write_strava_csv(
        tmp_path / "runners" / "cyclist" / "activities.csv",
        [Run(dt.datetime(2025, 3, 1, 7), 40.0, 90.0, sport="Ride")],
    )
    (tmp_path / "injuries.csv").write_text("athlete_id,date\n")
    out = tmp_path / "cohort"
    args = [
        "import",
        str(tmp_path / "runners"),
        "--injuries",
        str(tmp_path / "injuries.csv"),
        "--out",
        str(out),
    ]
    code, _, err = run_cli(args, capsys)
    assert code == 2 and "cyclist" in err and "no running sessions" in err and err.count("\n") == 1
    assert not out.exists()
