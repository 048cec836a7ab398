"""`calfrisk predict` end to end: formats, plot, safety, bad input, and no mlflow on the way."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import ROOT, run_cli
from tests.fixtures_logs import Run, fit_bytes, write_garmin_csv, write_strava_csv

LOG = ROOT / "examples" / "runner_log.csv"
PROFILE = ROOT / "examples" / "runner_profile.yaml"


def _predict(model: Path, *args: str) -> list[str]:
    return ["predict", str(LOG), "--model", str(model), "--profile", str(PROFILE), *args]


def test_table_shows_risk_drivers_notes_and_the_disclaimer(sample_model, capsys) -> None:
    code, out, err = run_cli(_predict(sample_model, "--date", "2025-10-14"), capsys)
    assert code == 0, err
    assert "Risk of a calf strain within 7 days" in out and "2025-10-14" in out
    assert "What drives the risk on 2025-10-14" in out or "nothing raises the risk" in out
    assert "not a diagnosis" in out and "doctor" in out


def test_json_is_a_list_of_days_with_the_promised_keys(sample_model, capsys) -> None:
    code, out, err = run_cli(
        _predict(sample_model, "--from", "2025-10-01", "--to", "2025-10-14", "--format", "json"), capsys
    )
    assert code == 0, err
    days = json.loads(out)
    assert len(days) == 14 and days[0]["date"] == "2025-10-01" and days[-1]["date"] == "2025-10-14"
    for day in days:
        assert {"athlete_id", "date", "risk", "band", "drivers"} <= set(day)
        for driver in day["drivers"]:
            assert {"factor", "contribution", "advice"} <= set(driver)
    assert "not a diagnosis" in err  # stdout stays machine-readable


def test_csv_is_flat_and_the_default_day_is_the_last_of_the_log(sample_model, capsys) -> None:
    code, out, err = run_cli(_predict(sample_model, "--format", "csv"), capsys)
    assert code == 0, err
    table = pd.read_csv(__import__("io").StringIO(out))
    assert list(table["date"]) == [pd.read_csv(LOG)["date"].iloc[-1]]
    assert {"risk", "band", "driver_1_factor", "driver_1_advice"} <= set(table.columns)


def test_plot_is_a_png_and_flags_override_the_profile(sample_model, tmp_path: Path, capsys) -> None:
    plot = tmp_path / "risk.png"
    args = _predict(
        sample_model, "--from", "2025-03-01", "--to", "2025-12-31", "--plot", str(plot), "--age", "30"
    )
    code, _out, err = run_cli([*args, "--format", "json"], capsys)
    assert code == 0, err
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert list(tmp_path.iterdir()) == [plot]  # nothing half-written beside it


def test_a_strava_log_is_read_on_the_runners_clock_with_timezone(
    sample_model, tmp_path: Path, capsys
) -> None:
    # Evening runs in Los Angeles are the next morning in UTC: named, the zone puts them back.
    start = dt.datetime(2025, 3, 1, 3, 0)  # UTC = 19:00 the evening before in Los Angeles
    runs = [Run(start + dt.timedelta(days=d), 8.0, 45.0) for d in range(0, 60, 2)]
    strava = write_strava_csv(tmp_path / "activities.csv", runs)
    last_utc = (start + dt.timedelta(days=58)).date()
    args = ["predict", str(strava), "--model", str(sample_model), "--age", "40", "--format", "json"]
    code, out, err = run_cli(args, capsys)
    assert code == 0, err
    assert json.loads(out)[-1]["date"] == str(last_utc) and "kept in UTC" in err
    code, out, err = run_cli([*args, "--timezone", "America/Los_Angeles"], capsys)
    assert code == 0, err
    assert json.loads(out)[-1]["date"] == str(last_utc - dt.timedelta(days=1))
    assert "converted to America/Los_Angeles" in err
    profile = tmp_path / "profile.yaml"  # the same zone from the runner's profile
    profile.write_text("timezone: America/Los_Angeles\n")
    code, out, err = run_cli([*args, "--profile", str(profile)], capsys)
    assert code == 0, err
    assert json.loads(out)[-1]["date"] == str(last_utc - dt.timedelta(days=1))


def test_predict_with_a_model_directory_never_imports_mlflow(sample_model) -> None:
    code = (
        "import sys\nfrom calfrisk.cli.commands import main\n"
        f"sys.argv = ['calfrisk', 'predict', {str(LOG)!r}, '--model', {str(sample_model)!r}]\n"
        "try:\n    main()\nexcept SystemExit as exc:\n    assert not exc.code, exc.code\n"
        "slow = {'mlflow', 'numba', 'skops', 'shap', 'matplotlib'} & set(sys.modules)\n"
        "assert not slow, slow\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, cwd=ROOT)


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


BAD_LOGS = {
    "empty": ("empty.csv", lambda p: _write(p, ""), "empty"),
    "unknown-format": ("notes.txt", lambda p: _write(p, "ran 5k today, felt good\n"), "notes.txt"),
    "missing-columns": ("log.csv", lambda p: _write(p, "date,distance_km\n2025-05-01,5\n"), "duration_min"),
    "negative-distance": (
        "log.csv",
        lambda p: _write(p, "date,distance_km,duration_min\n2025-05-01,-5,30\n"),
        "distance",
    ),
    "future-date": (
        "log.csv",
        lambda p: _write(p, "date,distance_km,duration_min\n2099-05-01,5,30\n"),
        "after today",
    ),
    "only-rides": (
        "activities.csv",
        lambda p: write_strava_csv(p, [Run(dt.datetime(2025, 5, 1, 7), 40.0, 90.0, sport="Ride")] * 2),
        "no running sessions; skipped 2 other activities (2 Ride)",
    ),
    "truncated-fit": (
        "run.fit",
        lambda p: p.write_bytes(fit_bytes(Run(dt.datetime(2025, 5, 1, 7), 10.0, 50.0))[:-40]),
        "run.fit",
    ),
    "garmin-units-unknown": (
        "Activities.csv",
        lambda p: write_garmin_csv(
            p,
            [Run(dt.datetime(2025, 5, 1, 7), 10.0, 50.0)],
            columns=["Activity Type", "Date", "Title", "Distance", "Time", "Elev Gain"],
        ),
        "give its `--units`, 'km' or 'mi'",
    ),
    "corrupt-gzip": ("run.gpx.gz", lambda p: p.write_bytes(gzip.compress(b"<gpx></gpx>")[:12]), "run.gpx.gz"),
}


@pytest.mark.parametrize("case", list(BAD_LOGS))
def test_bad_logs_get_one_line_exit_2_and_no_output_file(
    sample_model, tmp_path: Path, capsys, case: str
) -> None:
    name, write, expected = BAD_LOGS[case]
    path = tmp_path / name
    write(path)
    plot = tmp_path / "out.png"
    code, out, err = run_cli(
        ["predict", str(path), "--model", str(sample_model), "--plot", str(plot)], capsys
    )
    assert code == 2, (out, err)
    assert err.count("\n") == 1 and "Traceback" not in err
    assert expected.lower() in err.lower(), err
    assert not plot.exists()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--date", "2025-10-01", "--from", "2025-09-01"], "either --date or --from/--to"),
        (["--shoe-km", "Pegasus"], "NAME=KM"),
        (["--shoe-km", "Pegasis=300"], "'Pegasis'"),
        (["--date", "2099-01-01"], "future"),
        (["--date", "2025-01-20"], "needs 28 days"),
        (["--age", "5"], "--age"),
        (["--plot", "risk.jpg"], "PNG"),
        (["--timezone", "Europe/Bremen"], "--timezone 'Europe/Bremen': not a time zone"),
    ],
)
def test_bad_flags_get_one_line_and_exit_2(sample_model, capsys, args: list[str], expected: str) -> None:
    code, _out, err = run_cli(["predict", str(LOG), "--model", str(sample_model), *args], capsys)
    assert code == 2 and err.count("\n") == 1 and expected in err, err


def test_a_tampered_or_missing_model_is_refused(sample_model, tmp_path: Path, capsys) -> None:
    copy = tmp_path / "model"
    shutil.copytree(sample_model, copy)
    data = bytearray((copy / "model.pkl").read_bytes())
    data[100] ^= 0xFF
    (copy / "model.pkl").write_bytes(bytes(data))
    code, _out, err = run_cli(["predict", str(LOG), "--model", str(copy)], capsys)
    assert code == 2 and "hash" in err and err.count("\n") == 1
    code, _out, err = run_cli(["predict", str(LOG), "--model", str(tmp_path / "nothing")], capsys)
    assert code == 2 and "not a calfrisk model directory" in err


def test_one_watch_file_is_refused_with_what_to_give_instead(sample_model, tmp_path: Path, capsys) -> None:
    run = tmp_path / "run.fit"
    run.write_bytes(fit_bytes(Run(dt.datetime(2025, 5, 1, 7), 10.0, 50.0)))
    code, _out, err = run_cli(["predict", str(run), "--model", str(sample_model)], capsys)
    assert code == 2 and err.count("\n") == 1, err
    assert "needs 28 days of log" in err and "a folder of your watch's files" in err
    assert "calfrisk predict history.csv today.fit" in err


def test_readme_history_and_todays_fit_file_score_the_fit_files_day(
    sample_model, tmp_path: Path, capsys
) -> None:
    """The README's example: a CSV history up to yesterday and today's run as a FIT file."""
    readme = (ROOT / "README.md").read_text()
    assert "calfrisk predict history.csv 2026-03-14-morning-run.fit --profile me.yaml" in readme
    log = pd.read_csv(LOG)
    last = log.iloc[-1]
    history = tmp_path / "history.csv"
    log.iloc[:-1].to_csv(history, index=False)
    today = dt.date.fromisoformat(last["date"])
    # The watch records UTC and its UTC offset: 07:30 local in UTC+1.
    start = dt.datetime.combine(today, dt.time(6, 30))
    watch = Run(start, float(last["distance_km"]), float(last["duration_min"]), offset_h=1.0)
    fit = tmp_path / f"{today}-morning-run.fit"
    fit.write_bytes(fit_bytes(watch))

    def scored(*logs: Path, day: dt.date | None = None) -> dict:
        extra = ["--date", str(day)] if day else []
        args = [*map(str, logs), "--profile", str(PROFILE), "--model", str(sample_model), "--format", "json"]
        code, out, err = run_cli(["predict", *args, *extra], capsys)
        assert code == 0, err
        (answer,) = json.loads(out)
        return answer

    both = scored(history, fit)
    assert both["date"] == str(today)
    # The FIT's run counts in the day's load exactly as the same run written in the CSV.
    assert both["km_7d"] == pytest.approx(scored(LOG)["km_7d"], abs=0.02)
    alone = scored(history, day=today)
    assert both["km_7d"] - alone["km_7d"] == pytest.approx(last["distance_km"], abs=0.02)


@pytest.mark.slow
def test_predict_takes_an_mlflow_model_uri(trained, capsys, monkeypatch) -> None:
    _root, uri = trained
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    log = str(ROOT / "examples" / "runner_log.csv")
    code, out, err = run_cli(
        ["predict", log, "--model", "models:/calfrisk@champion", "--format", "json"], capsys
    )
    assert code == 0, err
    assert json.loads(out)[0]["date"] == pd.read_csv(log)["date"].iloc[-1]
    code, _out, err = run_cli(["predict", log, "--model", "models:/calfrisk@nosuchalias"], capsys)
    assert code == 2 and err.count("\n") == 1 and "models:/calfrisk@nosuchalias" in err
