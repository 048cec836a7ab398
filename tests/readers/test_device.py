"""FIT, GPX and TCX files: values, sports, time zones, gzip, and broken files."""

from __future__ import annotations

import datetime as dt
import gzip
import io
from pathlib import Path

import pandas as pd
import pytest

from tests.fixtures_logs import Run, fit_bytes, tcx_text, write_fit, write_gpx, write_tcx
from tests.readers.support import assert_contract, error_of, read, write

START = dt.datetime(2025, 3, 1, 6, 30)  # UTC
RUN = Run(START, 10.0, 55.0, 80.0)


# --- FIT ----------------------------------------------------------------------------------------------


def test_fit_session_gives_distance_timer_time_ascent_and_start(tmp_path: Path) -> None:
    log = read(write_fit(tmp_path / "run.fit", RUN))
    assert_contract(log.sessions)
    row = log.sessions.iloc[0]
    assert (row["distance_km"], row["duration_min"], row["elevation_gain_m"]) == (10.0, 55.0, 80.0)
    assert row["start_time"] == pd.Timestamp(START)
    assert row["source"] == str(tmp_path / "run.fit")
    expected = (
        f"1 input(s) ({tmp_path / 'run.fit'}) give start times in UTC only: they are kept in UTC, "
        "no time zone guessed (--timezone reads them on the runner's clock)"
    )
    assert log.notes == (expected,)


def test_fit_local_timestamp_gives_local_time(tmp_path: Path) -> None:
    log = read(write_fit(tmp_path / "run.fit.gz", Run(START, 10.0, 55.0, offset_h=-4.5), gz=True))
    assert log.sessions["start_time"].tolist() == [pd.Timestamp(START) - pd.Timedelta(hours=4.5)]
    assert log.notes == ()


def test_fit_sports_running_and_treadmill_count_cycling_is_skipped(tmp_path: Path) -> None:
    write_fit(tmp_path / "a.fit", RUN, sub_sport="treadmill")
    write_fit(tmp_path / "b.fit", Run(START + dt.timedelta(days=1), 40.0, 80.0), sport="cycling")
    write_fit(tmp_path / "c.fit", Run(START + dt.timedelta(days=2), 12.0, 70.0), sub_sport="trail")
    log = read(tmp_path)
    assert log.sessions["distance_km"].tolist() == [10.0, 12.0]
    assert log.skipped == {"cycling": 1}


def test_fit_without_a_session_is_summed_from_its_records(tmp_path: Path) -> None:
    log = read(write_fit(tmp_path / "run.fit", RUN, session=False))
    row = log.sessions.iloc[0]
    assert (row["distance_km"], row["duration_min"], row["elevation_gain_m"]) == (10.0, 55.0, 80.0)
    assert any("record no sport: read as runs" in note for note in log.notes)


def test_only_cycling_fit_files_say_what_was_skipped(tmp_path: Path) -> None:
    path = write_fit(tmp_path / "ride.fit", RUN, sport="cycling")
    assert (
        error_of(lambda: read(path)) == f"{path}: no running sessions; skipped 1 other activities (1 cycling)"
    )


def test_broken_fit_files_are_reported_by_name(tmp_path: Path) -> None:
    data = fit_bytes(RUN)
    truncated = tmp_path / "truncated.fit"
    truncated.write_bytes(data[: len(data) - 20])
    assert (
        error_of(lambda: read(truncated))
        == f"{truncated}: truncated FIT file (it ends before its declared size)"
    )
    crc = tmp_path / "crc.fit"
    crc.write_bytes(data[:-2] + bytes([data[-2] ^ 0xFF, data[-1]]))
    assert error_of(lambda: read(crc)) == f"{crc}: corrupted FIT file (its CRC checksum does not match)"
    stub = tmp_path / "stub.fit"
    stub.write_bytes(data[:10])
    assert "not a FIT file (no FIT signature" in error_of(lambda: read(stub))
    garbage = tmp_path / "garbage.fit.gz"
    garbage.write_bytes(gzip.compress(b"this is not a fit file at all"))
    assert error_of(lambda: read(garbage)).startswith(f"{garbage}: not a FIT file")


def test_corrupt_gzip_is_reported_by_name(tmp_path: Path) -> None:
    data = gzip.compress(fit_bytes(RUN))
    cut = tmp_path / "cut.fit.gz"
    cut.write_bytes(data[: len(data) // 2])
    assert error_of(lambda: read(cut)).startswith(f"{cut}: corrupt gzip file (")
    flipped = tmp_path / "flipped.gpx.gz"
    flipped.write_bytes(data[:-8] + bytes(b ^ 0xFF for b in data[-8:]))
    assert error_of(lambda: read(flipped)).startswith(f"{flipped}: corrupt gzip file (")
    plain = tmp_path / "plain.tcx.gz"
    plain.write_bytes(tcx_text(RUN).encode())
    assert error_of(lambda: read(plain)) == f"{plain}: corrupt gzip file (no gzip signature)"


def test_device_runs_without_a_distance_are_skipped_and_listed_once(tmp_path: Path) -> None:
    write_fit(tmp_path / "a.fit", Run(START, 0.0, 40.0), sub_sport="treadmill")  # no foot pod
    write_gpx(tmp_path / "b.gpx", Run(START + dt.timedelta(days=1), 0.0, 30.0))  # standing still
    write_tcx(tmp_path / "c.tcx", Run(START + dt.timedelta(days=2), 0.0, 30.0))
    write_fit(tmp_path / "d.fit", Run(START + dt.timedelta(days=3), 10.0, 55.0))
    log = read(tmp_path)
    assert log.sessions["source"].tolist() == [str(tmp_path / "d.fit")]
    assert log.without_distance == 3 and log.skipped == {}
    files = ", ".join(str(tmp_path / name) for name in ("a.fit", "b.gpx", "c.tcx"))
    assert f"3 run(s) in device files without a distance skipped ({files})" in log.notes
    only = tmp_path / "a.fit"
    assert error_of(lambda: read(only)) == f"{only}: no running sessions; skipped 1 run(s) without a distance"


# --- GPX ----------------------------------------------------------------------------------------------


def test_gpx_distance_moving_time_climb_and_start(tmp_path: Path) -> None:
    log = read(write_gpx(tmp_path / "run.gpx", RUN))
    row = log.sessions.iloc[0]
    assert row["distance_km"] == pytest.approx(10.0, rel=1e-6)
    assert row["duration_min"] == pytest.approx(55.0)
    assert row["elevation_gain_m"] == pytest.approx(80.0, abs=0.5)
    assert row["start_time"] == pd.Timestamp(START)
    assert any("kept in UTC" in note for note in log.notes)


def test_gpx_with_leading_whitespace_gzip_and_an_offset(tmp_path: Path) -> None:
    path = write_gpx(
        tmp_path / "run.gpx.gz", Run(START, 10.0, 55.0, offset_h=2), gz=True, leading_whitespace="\n \t"
    )
    log = read(path)
    assert log.sessions["start_time"].tolist() == [pd.Timestamp(START) + pd.Timedelta(hours=2)]
    assert log.notes == ()


def test_gpx_type_tells_the_sport(tmp_path: Path) -> None:
    write_gpx(tmp_path / "strava.gpx", RUN, gpx_type="9")  # Strava's code for a run
    write_gpx(tmp_path / "ride.gpx", Run(START + dt.timedelta(days=1), 30.0, 60.0), gpx_type="cycling")
    write_gpx(tmp_path / "unknown.gpx", Run(START + dt.timedelta(days=2), 5.0, 30.0), gpx_type=None)
    log = read(tmp_path)
    assert len(log.sessions) == 2 and log.skipped == {"cycling": 1}
    assert f"1 device file(s) ({tmp_path / 'unknown.gpx'}) record no sport: read as runs" in log.notes


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('<?xml version="1.0"?><gpx version="1.1"><trk><trkseg><trkpt lat="1" lon="2">', "malformed GPX"),
        (
            '<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"></gpx>',
            "a GPX file without track points",
        ),
        (
            '<gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1"><trk><trkseg>'
            '<trkpt lat="50" lon="8"/><trkpt lat="50.01" lon="8"/></trkseg></trk></gpx>',
            "a GPX track without timestamps",
        ),
    ],
)
def test_bad_gpx_is_reported_by_name(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path / "bad.gpx", text)
    message = error_of(lambda: read(path))
    assert message.startswith(f"{path}: {expected}")


# --- TCX ----------------------------------------------------------------------------------------------


def test_tcx_fixture_is_what_tcxreader_reads() -> None:
    from tcxreader.tcxreader import TCXReader

    exercise = TCXReader().read(io.BytesIO(tcx_text(RUN).encode()), only_gps=False)  # type: ignore[arg-type]
    assert exercise.activity_type == "Running"
    assert exercise.distance == pytest.approx(10_000.0)
    assert exercise.duration == pytest.approx(55 * 60)
    assert exercise.ascent == pytest.approx(80.0)
    assert len(exercise.laps) == 2


def test_tcx_distance_lap_time_climb_and_start(tmp_path: Path) -> None:
    log = read(write_tcx(tmp_path / "run.tcx", RUN))
    row = log.sessions.iloc[0]
    assert row["distance_km"] == pytest.approx(10.0)
    assert row["duration_min"] == pytest.approx(55.0)
    assert row["elevation_gain_m"] == pytest.approx(80.0)
    assert row["start_time"] == pd.Timestamp(START)


def test_tcx_lower_case_sport_whitespace_gzip_and_offset(tmp_path: Path) -> None:
    run = Run(START, 10.0, 55.0, 80.0, offset_h=9)
    path = write_tcx(tmp_path / "run.tcx.gz", run, sport="running", gz=True, leading_whitespace="\r\n  ")
    log = read(path)
    assert log.sessions["start_time"].tolist() == [pd.Timestamp(START) + pd.Timedelta(hours=9)]
    # Local time is known, so the only note is about climbing summed from the track's altitudes.
    assert len(log.notes) == 1 and "recorded altitudes" in log.notes[0]


def test_tcx_other_sports_are_skipped(tmp_path: Path) -> None:
    write_tcx(tmp_path / "ride.tcx", RUN, sport="Biking")
    write_tcx(tmp_path / "run.tcx", Run(START + dt.timedelta(days=1), 8.0, 45.0))
    log = read(tmp_path)
    assert len(log.sessions) == 1 and log.skipped == {"Biking": 1}


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda text: text[: len(text) // 2], "malformed XML"),
        (lambda text: text.replace(' Sport="Running"', ""), "a TCX activity without its Sport attribute"),
        (lambda text: text.replace("<Time>2025", "<Time>yesterday 2025", 1), "cannot read the TCX file"),
    ],
)
def test_bad_tcx_is_reported_by_name(tmp_path: Path, edit: object, expected: str) -> None:
    path = write(tmp_path / "bad.tcx", edit(tcx_text(RUN)))  # type: ignore[operator]
    assert error_of(lambda: read(path)).startswith(f"{path}: {expected}")


def test_climbing_summed_from_track_altitudes_is_flagged_but_a_device_total_is_not(tmp_path: Path) -> None:
    from calfrisk.readers import read_logs

    run = Run(dt.datetime(2025, 5, 3, 7, 0), 10.0, 55.0, elevation_gain_m=120.0)
    hilly = [100.0 + 30.0 * (i % 2) for i in range(12)]
    track = read_logs([write_gpx(tmp_path / "gpx" / "run.gpx", run, altitudes=hilly)])
    assert any("summed from their recorded altitudes" in note for note in track.notes)
    device = read_logs([write_fit(tmp_path / "fit" / "run.fit", run)])
    assert not any("recorded altitudes" in note for note in device.notes)
