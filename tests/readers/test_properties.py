"""Properties of the readers: round trips, order independence, duplicates counted once."""

from __future__ import annotations

import datetime as dt
import gzip
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calfrisk.exceptions import InputError
from calfrisk.readers import read_logs
from calfrisk.readers.elevation import GAIN_THRESHOLD_M
from calfrisk.schema import SESSION_TYPES
from tests.fixtures_logs import Run, write_fit, write_gpx, write_own_csv, write_strava_csv, write_tcx

TODAY = dt.date(2025, 6, 1)
FIRST_DAY = dt.datetime(2024, 1, 1)


@st.composite
def own_sessions(draw: st.DrawFn) -> pd.DataFrame:
    """Tables in the own format: any dates (with or without a time), plausible values, optional cells."""
    n = draw(st.integers(1, 12))
    rows = []
    for _ in range(n):
        day = FIRST_DAY + dt.timedelta(days=draw(st.integers(0, 500)))
        if draw(st.booleans()):
            day += dt.timedelta(seconds=draw(st.integers(0, 86399)))
        km = draw(st.floats(0.5, 100.0))
        rows.append(
            {
                "date": day,
                "distance_km": km,
                "duration_min": km * draw(st.floats(2.5, 15.0)),
                "elevation_gain_m": draw(st.none() | st.floats(0.0, 30.0).map(lambda m, km=km: m * km)),
                "session_type": draw(st.none() | st.sampled_from(SESSION_TYPES)),
                "shoe": draw(st.none() | st.text("abcXYZ 09-,\"'", min_size=1, max_size=12).map(str.strip)),
                "rpe": draw(st.none() | st.floats(1.0, 10.0)),
            }
        )
    table = pd.DataFrame(rows)
    table["shoe"] = table["shoe"].replace("", None)
    return table


@settings(max_examples=40, deadline=None)
@given(sessions=own_sessions())
def test_own_csv_round_trips(sessions: pd.DataFrame) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = write_own_csv(Path(folder) / "log.csv", sessions)
        table = read_logs([path], today=TODAY).sessions
    expected = sessions.assign(row=range(2, len(sessions) + 2))
    expected = expected.sort_values(["date", "row"], kind="stable").reset_index(drop=True)
    assert table["start_time"].tolist() == expected["date"].dt.floor("s").tolist()
    assert table["source"].tolist() == [f"{path} row {r}" for r in expected["row"]]
    for column in ("distance_km", "duration_min", "elevation_gain_m", "rpe"):
        assert table[column].tolist() == pytest.approx(expected[column].astype(float).tolist(), nan_ok=True)
    for column in ("session_type", "shoe"):
        assert _values(table[column]) == _values(expected[column])


def _values(column: pd.Series) -> list[object]:
    return [None if pd.isna(v) else v for v in column]


@st.composite
def runs(draw: st.DrawFn, max_runs: int = 4) -> list[Run]:
    """Runs on distinct days, moving steadily, with whole-second durations."""
    days = draw(st.lists(st.integers(0, 400), min_size=1, max_size=max_runs, unique=True))
    out = []
    for day in days:
        km = round(draw(st.floats(1.0, 25.0)), 2)
        seconds = round(km * draw(st.floats(3.0, 8.0)) * 60)
        start = FIRST_DAY + dt.timedelta(days=day, seconds=draw(st.integers(5 * 3600, 20 * 3600)))
        out.append(Run(start, km, seconds / 60, float(draw(st.integers(0, 300)))))
    return out


def _write_device(folder: Path, index: int, run: Run, kind: str, gz: bool) -> Path:
    name = folder / f"{index:02d}.{kind}" if not gz else folder / f"{index:02d}.{kind}.gz"
    writer = {"fit": write_fit, "gpx": write_gpx, "tcx": write_tcx}[kind]
    return writer(name, run, gz=gz)


@settings(max_examples=15, deadline=None)
@given(
    activities=runs(),
    formats=st.lists(
        st.tuples(st.sampled_from(["fit", "gpx", "tcx"]), st.booleans()), min_size=4, max_size=4
    ),
)
def test_device_files_in_a_folder_read_back_their_runs(
    activities: list[Run], formats: list[tuple[str, bool]]
) -> None:
    kinds = {}
    with tempfile.TemporaryDirectory() as folder:
        for i, (run, (kind, gz)) in enumerate(zip(activities, formats, strict=False)):
            _write_device(Path(folder), i, run, kind, gz)
            kinds[run.start] = kind
        log = read_logs([folder], today=TODAY)
    expected = sorted(activities, key=lambda r: r.start)
    table = log.sessions
    assert table["start_time"].tolist() == [pd.Timestamp(r.start) for r in expected]
    assert table["distance_km"].tolist() == pytest.approx([r.distance_km for r in expected], rel=1e-3)
    assert table["duration_min"].tolist() == pytest.approx([r.duration_min for r in expected], rel=1e-3)
    # FIT gives the device's total; a GPX or TCX track's one climb counts once it passes the dead band.
    gains = [
        r.elevation_gain_m if kinds[r.start] == "fit" or r.elevation_gain_m >= GAIN_THRESHOLD_M else 0.0
        for r in expected
    ]
    assert table["elevation_gain_m"].tolist() == pytest.approx(gains, abs=1.0)
    assert log.duplicates == 0


def _perturbed(run: Run, shift_s: int, stretch: float) -> Run:
    return Run(run.start + dt.timedelta(seconds=shift_s), run.distance_km * stretch, run.duration_min, 50.0)


@settings(max_examples=20, deadline=None)
@given(
    activities=runs(max_runs=5),
    recorded=st.lists(st.booleans(), min_size=5, max_size=5),
    shift=st.integers(-110, 110),
    stretch=st.floats(0.975, 1.025),
)
def test_a_run_in_strava_and_in_a_fit_file_is_counted_once(
    activities: list[Run], recorded: list[bool], shift: int, stretch: float
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        strava = write_strava_csv(Path(folder) / "export" / "activities.csv", activities)
        watch = Path(folder) / "watch"
        watch.mkdir()
        copies = [run for run, keep in zip(activities, recorded, strict=False) if keep]
        for i, run in enumerate(copies):
            write_fit(watch / f"{i}.fit", _perturbed(run, shift, stretch))
        log = read_logs([strava, watch] if copies else [strava], today=TODAY)
    assert len(log.sessions) == len(activities)
    assert log.duplicates == len(copies)
    assert log.sessions["source"].str.contains("activities.csv").all()  # the export's row is kept
    assert log.sessions["distance_km"].tolist() == pytest.approx(
        [r.distance_km for r in sorted(activities, key=lambda r: r.start)]
    )


@settings(max_examples=15, deadline=None)
@given(activities=runs(max_runs=4), order=st.permutations(range(5)), data=st.data())
def test_reading_inputs_in_another_order_gives_the_same_table(
    activities: list[Run], order: list[int], data: st.DataObject
) -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        own = pd.DataFrame(
            {
                "date": [r.start for r in activities],
                "distance_km": [r.distance_km for r in activities],
                "duration_min": [r.duration_min for r in activities],
                "session_type": ["easy"] * len(activities),
            }
        )
        inputs = [
            write_own_csv(folder / "own.csv", own.iloc[: data.draw(st.integers(1, len(activities)))]),
            write_strava_csv(folder / "activities.csv", activities),
            write_fit(folder / "a.fit", activities[0]),
            write_gpx(folder / "b.gpx", activities[-1]),
            write_tcx(folder / "c.tcx", activities[len(activities) // 2]),
        ]
        logs = [read_logs(inputs, today=TODAY), read_logs([inputs[i] for i in order], today=TODAY)]
    first, second = logs
    pd.testing.assert_frame_equal(first.sessions, second.sessions)
    assert first.duplicates == second.duplicates
    assert first.skipped == second.skipped


DAMAGE_RUN = Run(dt.datetime(2024, 3, 1, 6, 30), 10.0, 55.0, 80.0, shoe="Peg")


def _intact(kind: str, folder: Path) -> bytes:
    writers = {
        "fit": lambda: write_fit(folder / "x.fit", DAMAGE_RUN),
        "gpx": lambda: write_gpx(folder / "x.gpx", DAMAGE_RUN),
        "tcx": lambda: write_tcx(folder / "x.tcx", DAMAGE_RUN),
        "csv": lambda: write_strava_csv(folder / "x.csv", [DAMAGE_RUN]),
    }
    return writers[kind]().read_bytes()


@settings(max_examples=60, deadline=None)
@given(
    kind=st.sampled_from(["fit", "gpx", "tcx", "csv"]),
    cut=st.floats(0.0, 1.0),
    changes=st.lists(st.tuples(st.floats(0.0, 1.0), st.integers(0, 255)), max_size=3),
    gz=st.booleans(),
)
def test_a_damaged_file_is_read_or_refused_with_an_input_error(
    kind: str, cut: float, changes: list[tuple[float, int]], gz: bool
) -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        data = bytearray(_intact(kind, folder))
        for where, value in changes:
            data[int(where * (len(data) - 1))] = value
        data = data[: max(1, int(cut * len(data)))] if cut < 0.9 else data
        path = folder / f"damaged.{kind}"
        path.write_bytes(gzip.compress(bytes(data)) if gz else bytes(data))
        try:
            read_logs([path], today=TODAY)
        except InputError as error:
            assert str(path) in str(error) and "\n" not in str(error)
