"""calfrisk.readers: the API, the own CSV, inputs combined, bad input, lazy imports, the real samples."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from calfrisk.exceptions import InputError
from calfrisk.readers import OWN_CSV_COLUMNS, read_logs
from tests.fixtures_logs import Run, write_fit, write_gpx, write_own_csv, write_strava_csv
from tests.readers.support import SAMPLES, TODAY, assert_contract, error_of, read, write

# --- own CSV -----------------------------------------------------------------------------------------


def test_own_csv_reads_every_column_with_the_contract_dtypes(tmp_path: Path) -> None:
    path = write(
        tmp_path / "log.csv",
        " Date , Distance_KM ,duration_min,elevation_gain_m,session_type,shoe,rpe\n"
        "2025-03-02T07:15,21.1,118,210,Long,Pegasus 40,\n"
        "2025-03-01,8.2,46.5,60,easy,Pegasus 40,4\n"
        "2025-03-03 18:00:30,5,25,,,,\n",
    )
    log = read(path)
    table = log.sessions
    assert_contract(table)
    assert table["distance_km"].tolist() == [8.2, 21.1, 5.0]
    assert table["start_time"].tolist() == [
        pd.Timestamp("2025-03-01"),
        pd.Timestamp("2025-03-02 07:15"),
        pd.Timestamp("2025-03-03 18:00:30"),
    ]
    assert table["session_type"].tolist()[:2] == ["easy", "long"]
    assert table["session_type"].isna().tolist() == [False, False, True]
    assert table["elevation_gain_m"].isna().tolist() == [False, False, True]
    assert table["rpe"].isna().tolist() == [False, True, True]
    assert table["source"].tolist() == [f"{path} row 3", f"{path} row 2", f"{path} row 4"]
    assert log.shoes == ("Pegasus 40",)
    assert log.skipped == {} and log.duplicates == 0 and log.notes == ()


def test_own_csv_accepts_semicolons_a_bom_and_gzip(tmp_path: Path) -> None:
    (tmp_path / "log.csv").write_bytes(
        b"\xef\xbb\xbfdate;distance_km;duration_min\r\n2025-03-01;8.2;46.5\r\n"
    )
    sessions = pd.DataFrame(
        {"date": [pd.Timestamp("2025-03-02 06:00")], "distance_km": [5.0], "duration_min": [30.0]}
    )
    write_own_csv(tmp_path / "more.csv.gz", sessions, gz=True)
    table = read(tmp_path / "log.csv", tmp_path / "more.csv.gz").sessions
    assert table["distance_km"].tolist() == [8.2, 5.0]


def test_own_csv_separated_by_semicolons_may_use_decimal_commas(tmp_path: Path) -> None:
    # What a spreadsheet in a comma-decimal locale saves: ';' between cells, ',' before decimals.
    text = "date;distance_km;duration_min;elevation_gain_m;rpe\n2025-03-01;8,2;46,5;60;4\n"
    text += "2025-03-02;10;55,25;;\n"
    log = read(write(tmp_path / "log.csv", text))
    assert log.sessions["distance_km"].tolist() == [8.2, 10.0]
    assert log.sessions["duration_min"].tolist() == [46.5, 55.25]
    assert any("decimal comma" in note for note in log.notes)
    tabbed = read(write(tmp_path / "tabs.csv", text.replace(";", "\t")))
    assert tabbed.sessions["distance_km"].tolist() == [8.2, 10.0]
    mixed = write(tmp_path / "mixed.csv", "date;distance_km;duration_min\n2025-03-01;8,2;46.5\n")
    with pytest.raises(InputError, match=r"mixes decimal commas \('8,2'\) and decimal points \('46.5'\)"):
        read(mixed)


def test_own_csv_format_is_documented_with_its_columns() -> None:
    import calfrisk.readers.own_csv as own

    for column in OWN_CSV_COLUMNS:
        assert f"``{column}``" in (own.__doc__ or "")


OWN = "date,distance_km,duration_min"
BAD_OWN_CSV = [
    ("date,distnace_km,duration_min\n2025-03-01,5,30", "unknown column(s) 'distnace_km' (did you mean"),
    (f"{OWN},mood\n2025-03-01,5,30,ok", "unknown column(s) 'mood'"),
    ("date,distance_km\n2025-03-01,5", "missing required column(s) duration_min"),
    ("date,distance_km,Distance_km,duration_min\n2025-03-01,5,5,30", "column 'Distance_km' appears twice"),
    (f"{OWN}\n", "a header but no rows"),
    (f"{OWN}\n2025-03-01,,30", "row 2, column 'distance_km': empty, but the column is required"),
    (
        f"{OWN}\n2025-03-01,5,30\n2025-03-02,-5,30",
        "row 3, column 'distance_km': distance must be positive, got -5",
    ),
    (f"{OWN}\n2025-03-01,0,30", "row 2, column 'distance_km': distance must be positive, got 0 km"),
    (f"{OWN}\n2025-03-01,5,0", "row 2, column 'duration_min': duration must be positive, got 0 min"),
    (f"{OWN}\n2025-03-01,5,abc", "row 2, column 'duration_min': 'abc' is not a number"),
    (f'{OWN}\n2025-03-01,"5,2",30', "row 2, column 'distance_km': '5,2' is not a number"),
    (f"{OWN}\n01/03/2025,5,30", "row 2, column 'date': '01/03/2025' is not a date"),
    (f"{OWN}\n2025-02-30,5,30", "row 2, column 'date': '2025-02-30' is not a valid date"),
    (f"{OWN}\n2025-03-01T07:00+01:00,5,30", "row 2, column 'date': '2025-03-01T07:00+01:00' is not a date"),
    (f"{OWN}\n2025-06-02,5,30", "row 2, column 'date': 2025-06-02 is after today (2025-06-01)"),
    (
        f"{OWN}\n2025-03-01,10,15",
        "row 2, columns 'distance_km' and 'duration_min': 10 km in 15 min is a pace of 1:30",
    ),
    (f"{OWN}\n2025-03-01,350,3000", "row 2, column 'distance_km': 350 km is implausible for one session"),
    (f"{OWN},elevation_gain_m\n2025-03-01,5,30,-3", "column 'elevation_gain_m': elevation gain must be >= 0"),
    (
        f"{OWN},elevation_gain_m\n2025-03-01,5,30,6000",
        "elevation gain 6000 m exceeds the distance run (5 km)",
    ),
    (f"{OWN},rpe\n2025-03-01,5,30,11", "row 2, column 'rpe': RPE must be between 1 and 10, got 11"),
    (
        f"{OWN},session_type\n2025-03-01,5,30,jog",
        "column 'session_type': unknown session type 'jog' (use one of",
    ),
    (f"{OWN}\n2025-03-01,5,30,7", "row 2: 4 cells but the header has 3 columns"),
]


@pytest.mark.parametrize(("text", "expected"), BAD_OWN_CSV)
def test_own_csv_bad_input_names_the_file_row_column_and_problem(
    tmp_path: Path, text: str, expected: str
) -> None:
    path = write(tmp_path / "log.csv", text)
    message = error_of(lambda: read(path))
    assert message.startswith(str(path))
    assert expected in message


# --- inputs, formats and errors that do not belong to one format -------------------------------------


def test_bad_paths_and_options_are_reported(tmp_path: Path) -> None:
    assert "no such file or folder" in error_of(lambda: read(tmp_path / "missing.csv"))
    assert error_of(lambda: read_logs([])) == "no input files given"
    assert "units must be 'km' or 'mi', got 'miles'" in error_of(lambda: read(tmp_path, units="miles"))
    empty = write(tmp_path / "empty.csv", "")
    assert error_of(lambda: read(empty)) == f"{empty}: the file is empty"
    (tmp_path / "sub").mkdir()
    assert "no training logs in this folder" in error_of(lambda: read(tmp_path / "sub"))
    unknown = write(tmp_path / "notes.csv", "when,what\nmonday,run\n")
    message = error_of(lambda: read(unknown))
    assert message.startswith(f"{unknown}: unknown format (header: 'when, what')")
    binary = tmp_path / "blob.bin"
    binary.write_bytes(b"\x00\x01\x02binary")
    assert "unknown format (binary content" in error_of(lambda: read(binary))
    xml = write(tmp_path / "other.xml", "<?xml version='1.0'?><kml/>")
    assert "neither GPX nor TCX" in error_of(lambda: read(xml))


def test_a_file_of_other_sports_only_says_what_was_skipped(tmp_path: Path) -> None:
    runs = [Run(dt.datetime(2025, 3, 1, 7), 30.0, 60.0, sport="Ride")] * 2 + [
        Run(dt.datetime(2025, 3, 2, 7), 3.0, 40.0, sport="Walk")
    ]
    path = write_strava_csv(tmp_path / "activities.csv", runs)
    message = error_of(lambda: read(path))
    assert message == f"{path}: no running sessions; skipped 3 other activities (2 Ride, 1 Walk)"


def test_a_file_of_runs_without_a_distance_says_why_it_has_no_sessions(tmp_path: Path) -> None:
    # Manual entries and GPS-off runs: Strava exports them with a distance of 0.
    runs = [
        Run(dt.datetime(2025, 3, 1, 7), 0.0, 30.0),
        Run(dt.datetime(2025, 3, 2, 7), 0.0, 45.0),
        Run(dt.datetime(2025, 3, 3, 7), 30.0, 60.0, sport="Ride"),
    ]
    path = write_strava_csv(tmp_path / "activities.csv", runs[:2])
    assert error_of(lambda: read(path)) == f"{path}: no running sessions; skipped 2 run(s) without a distance"
    path = write_strava_csv(tmp_path / "activities.csv", runs)
    assert error_of(lambda: read(path)) == (
        f"{path}: no running sessions; skipped 2 run(s) without a distance and 1 other activities (1 Ride)"
    )
    # With another input holding runs, they are read and the skipped ones noted.
    own = write(tmp_path / "own.csv", "date,distance_km,duration_min\n2025-03-04,8,45\n")
    log = read(path, own)
    assert len(log.sessions) == 1 and log.without_distance == 2
    assert f"{path}: 2 run(s) without a distance skipped (rows 2, 3)" in log.notes


def test_a_folder_reads_every_log_and_lists_what_it_ignored(tmp_path: Path) -> None:
    write_fit(tmp_path / "watch" / "a.fit", Run(dt.datetime(2025, 3, 1, 7), 10.0, 55.0))
    write_gpx(tmp_path / "watch" / "b.gpx.gz", Run(dt.datetime(2025, 3, 2, 7), 8.0, 45.0), gz=True)
    write(tmp_path / "README.txt", "my runs")
    write(tmp_path / ".hidden.csv", "junk")
    log = read(tmp_path)
    assert len(log.sessions) == 2
    assert f"{tmp_path}: 1 file(s) of other kinds ignored (README.txt)" in log.notes


def test_the_same_file_given_twice_is_read_once(tmp_path: Path) -> None:
    path = write(tmp_path / "log.csv", "date,distance_km,duration_min\n2025-03-01,8.2,46.5\n")
    log = read(path, tmp_path, path)
    assert len(log.sessions) == 1 and log.duplicates == 0


def test_a_duplicate_run_across_inputs_is_kept_once_with_the_values_of_both(tmp_path: Path) -> None:
    # The same run: Strava (UTC, shoe) and the watch's FIT (UTC plus the device's offset, climb).
    run = Run(dt.datetime(2025, 3, 1, 6, 30), 10.0, 55.0, elevation_gain_m=None, shoe="Pegasus")
    strava = write_strava_csv(tmp_path / "activities.csv", [run])
    watch = Run(dt.datetime(2025, 3, 1, 6, 31), 10.2, 55.5, elevation_gain_m=80.0, offset_h=1)
    fit = write_fit(tmp_path / "run.fit", watch)
    log = read(fit, strava)
    assert log.duplicates == 1
    assert len(log.sessions) == 1
    row = log.sessions.iloc[0]
    assert row["source"] == f"{strava} row 2"  # exports win over device files
    assert row["shoe"] == "Pegasus" and row["elevation_gain_m"] == 80.0
    assert row["start_time"] == pd.Timestamp("2025-03-01 07:31")  # the device's local time
    assert any(note.startswith("1 duplicate session(s) dropped") for note in log.notes)


def test_runs_that_only_look_alike_are_kept(tmp_path: Path) -> None:
    strava = write_strava_csv(tmp_path / "activities.csv", [Run(dt.datetime(2025, 3, 1, 6, 30), 10.0, 55.0)])
    later = write_fit(tmp_path / "later.fit", Run(dt.datetime(2025, 3, 1, 6, 33), 10.0, 55.0))
    longer = write_fit(tmp_path / "longer.fit", Run(dt.datetime(2025, 3, 1, 6, 30), 10.4, 57.0))
    own = write(tmp_path / "own.csv", "date,distance_km,duration_min\n2025-03-01,10,55\n2025-03-01,10,55\n")
    log = read(strava, later, longer)
    assert len(log.sessions) == 3 and log.duplicates == 0
    # Two equal rows of one file are two runs; each matches at most one run of another file.
    log = read(own, later)
    assert len(log.sessions) == 2 and log.duplicates == 1


def test_a_date_only_row_matches_a_timed_copy_on_the_same_day(tmp_path: Path) -> None:
    own = write(tmp_path / "own.csv", "date,distance_km,duration_min,session_type\n2025-03-01,10,55,tempo\n")
    fit = write_fit(tmp_path / "run.fit", Run(dt.datetime(2025, 3, 1, 17, 0), 10.1, 55.0, offset_h=1))
    log = read(own, fit)
    assert len(log.sessions) == 1 and log.duplicates == 1
    row = log.sessions.iloc[0]
    assert row["session_type"] == "tempo" and row["start_time"] == pd.Timestamp("2025-03-01 18:00")


def test_local_and_utc_only_copies_are_not_merged_but_noted(tmp_path: Path) -> None:
    own = write(tmp_path / "own.csv", "date,distance_km,duration_min\n2025-03-01T08:30,10,55\n")
    strava = write_strava_csv(tmp_path / "activities.csv", [Run(dt.datetime(2025, 3, 1, 7, 30), 10.0, 55.0)])
    log = read(own, strava)
    assert len(log.sessions) == 2
    assert any("one gives UTC and the other local time" in note for note in log.notes)


# --- start-up cost and the real samples ---------------------------------------------------------------


def test_importing_the_readers_does_not_import_the_device_libraries() -> None:
    probe = "import sys, calfrisk.readers\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = {name.split(".")[0] for name in out.stdout.split()}
    assert not loaded & {"fitdecode", "gpxpy", "tcxreader", "fit_tool"}


needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"no real samples at {SAMPLES}")


@needs_samples
def test_real_strava_activities_csv_is_one_run_of_3322_metres() -> None:
    log = read_logs([SAMPLES / "strava_export_activities.csv"], today=TODAY)
    assert_contract(log.sessions)
    (row,) = log.sessions.itertuples()
    assert row.distance_km == pytest.approx(3.32295)  # the metres column, 3322.95 (display: 3.32)
    assert row.duration_min == pytest.approx(1411 / 60)  # moving time, not the 1428 s elapsed
    assert row.start_time == pd.Timestamp("2022-05-29 15:53:35")  # UTC, as Strava gives it
    assert row.elevation_gain_m == pytest.approx(61.878849)
    assert any("UTC" in note for note in log.notes)


@needs_samples
def test_real_fit_is_the_same_run_on_the_local_clock() -> None:
    log = read_logs([SAMPLES / "strava_export_12866632127.fit.gz"], today=TODAY)
    (row,) = log.sessions.itertuples()
    # session: running, 3322.95 m, 1428.038 s timer, 109 m ascent, start 15:53:35 UTC; the activity
    # message's local_timestamp is two hours ahead.
    assert row.distance_km == pytest.approx(3.32295)
    assert row.duration_min == pytest.approx(1428.038 / 60)
    assert row.elevation_gain_m == 109.0
    assert row.start_time == pd.Timestamp("2022-05-29 17:53:35")
    assert log.notes == () and log.skipped == {}


@needs_samples
def test_real_gpx_is_a_run_of_3032_trackpoints() -> None:
    import gpxpy

    path = SAMPLES / "slither_polar_m400_running.gpx"
    gpx = gpxpy.parse(path.read_text(encoding="utf-8"))
    assert gpx.get_track_points_no() == 3032
    log = read_logs([path], today=TODAY)
    (row,) = log.sessions.itertuples()
    assert row.start_time == pd.Timestamp("2020-10-26 17:07:30")
    assert row.distance_km == pytest.approx(gpx.length_2d() / 1000)
    assert 6.5 < row.distance_km < 7.5
    assert 45 < row.duration_min < 3041.019 / 60  # moving time, under the elapsed 50:41
    assert any("record no sport: read as runs" in note for note in log.notes)
    # A flat run in Bremen. Every rise summed gives 748 m, gpxpy's smoothed uphill 630.5 m; the 5 m
    # dead band removes the 1-3 m jitter between fixes. The altitudes are whole metres, so the gain
    # is exact. What remains is GPS altitude drifting 20-50 m down and back within a minute or two
    # (altitudes -50 to 26 m), which no dead band narrower than those swings can tell from real
    # hills: this run's climb is still far too high (see calfrisk.readers.elevation).
    assert gpx.get_uphill_downhill().uphill == pytest.approx(630.5)
    assert row.elevation_gain_m == 516.0


@needs_samples
def test_the_samples_folder_reads_the_strava_run_once() -> None:
    log = read_logs([SAMPLES], today=TODAY)
    assert len(log.sessions) == 2 and log.duplicates == 1
    strava = log.sessions[log.sessions["source"].str.contains("activities.csv")].iloc[0]
    assert strava["distance_km"] == pytest.approx(3.32295)
    assert strava["start_time"] == pd.Timestamp("2022-05-29 17:53:35")  # local, from the FIT
