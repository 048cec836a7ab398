"""Elevation gain with a dead band: the pure function's properties, and what the device readers report."""

from __future__ import annotations

import datetime as dt
import gzip
import itertools
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calfrisk.readers.elevation import GAIN_THRESHOLD_M, elevation_gain
from tests.fixtures_logs import Run, write_fit, write_gpx, write_tcx
from tests.readers.support import SAMPLES, read

H = GAIN_THRESHOLD_M
START = dt.datetime(2025, 3, 1, 6, 30)


@st.composite
def noise(draw: st.DrawFn, n: int) -> tuple[list[float], float]:
    """``n`` zero-mean values within ``±amplitude``, ``amplitude`` below H/2; and that amplitude."""
    amplitude = draw(st.floats(0.0, 0.499)) * H
    raw = np.array(draw(st.lists(st.floats(-1.0, 1.0), min_size=n, max_size=n)))
    centred = raw - raw.mean()
    peak = np.abs(centred).max()
    # A peak of a few ulps would overflow the scale: such noise is no noise.
    values = centred * (amplitude / peak) if peak > 1e-9 else np.zeros_like(centred)
    return values.tolist(), amplitude


def _positive_steps(values: list[float]) -> float:
    return sum(max(b - a, 0.0) for a, b in itertools.pairwise(values))


# --- the pure function --------------------------------------------------------------------------------


@settings(max_examples=60, deadline=None)
@given(
    steps=st.lists(st.floats(0.0, 15.0), min_size=1, max_size=150),
    base=st.floats(-400.0, 4000.0),
    data=st.data(),
)
def test_noise_below_half_the_band_leaves_a_monotone_climb_as_it_is(
    steps: list[float], base: float, data: st.DataObject
) -> None:
    climb = float(np.sum(steps))
    truth = base + np.concatenate([[0.0], np.cumsum(steps)])
    wobble, amplitude = data.draw(noise(len(truth)))
    gain = elevation_gain((truth + wobble).tolist())
    assert gain is not None
    # No drop reaches H, so one climb runs from the lowest start to the highest end: only the two
    # ends' noise (each within the amplitude) can move it. A climb short of the band may not count.
    if climb >= H + 2 * amplitude:
        assert abs(gain - climb) <= 2 * amplitude + 1e-6
    else:
        assert gain <= climb + 2 * amplitude + 1e-6
    # Summing every rise would have counted the noise as climbing.
    assert gain <= _positive_steps((truth + wobble).tolist()) + 1e-6


@settings(max_examples=60, deadline=None)
@given(level=st.floats(-400.0, 4000.0), n=st.integers(1, 150), data=st.data())
def test_a_flat_noisy_track_climbs_nothing(level: float, n: int, data: st.DataObject) -> None:
    wobble, _ = data.draw(noise(n))
    assert elevation_gain([level + w for w in wobble]) == 0.0


@settings(max_examples=50, deadline=None)
@given(
    n=st.integers(1, 30),
    plateau=st.integers(1, 20),
    rolling=st.booleans(),
    base=st.floats(-400.0, 4000.0),
)
def test_n_real_20_m_climbs_count_n_times_20_m(n: int, plateau: int, rolling: bool, base: float) -> None:
    # A staircase of n 20 m steps, or n hills of 20 m up and down again, each level held a while.
    levels = [20.0 * (i + 1) for i in range(n)] if not rolling else [20.0, 0.0] * n
    series = [base] * plateau + [base + level for level in levels for _ in range(plateau)]
    assert elevation_gain(series) == pytest.approx(20.0 * n)


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.floats(-100.0, 100.0), min_size=1, max_size=100))
def test_a_zero_band_sums_every_rise_and_a_wider_band_never_counts_more(values: list[float]) -> None:
    assert elevation_gain(values, threshold=0.0) == pytest.approx(_positive_steps(values), abs=1e-6)
    assert elevation_gain(values) <= _positive_steps(values) + 1e-6  # type: ignore[operator]


def test_missing_altitudes_are_left_out_and_the_band_must_be_valid() -> None:
    assert elevation_gain([]) is None
    assert elevation_gain([None, math.nan, None]) is None
    # Up 30 m, down 10 m (a descent: the low restarts there), up 11 m.
    assert elevation_gain([100.0, None, 130.0, math.nan, math.inf, 120.0, 131.0]) == 41.0
    for bad in (-1.0, math.nan, math.inf):
        with pytest.raises(ValueError, match="threshold must be a finite number >= 0"):
            elevation_gain([1.0, 2.0], threshold=bad)


# --- the device readers -------------------------------------------------------------------------------

#: A flat run at 100 m whose altitude wobbles by up to ±2 m (a fixed seed: the same file every time),
#: with three real hills of 20 m, each climbed and descended over 15 points.
_RNG = np.random.default_rng(20250301)
_HILL = np.concatenate([np.linspace(0.0, 20.0, 15), np.linspace(20.0, 0.0, 15)])
HILLY = (
    100.0
    + np.concatenate([np.zeros(20), _HILL, np.zeros(20), _HILL, np.zeros(20), _HILL, np.zeros(20)])
    + _RNG.uniform(-2.0, 2.0, 170)
).round(1)
#: Three climbs of 20 m, each counted from a low to a top that the noise moves by up to 2 m.
HILLY_GAIN = 60.0
HILLY_TOLERANCE = 3 * 2 * 2.0
HILLY_RUN = Run(START, 8.0, 45.0, elevation_gain_m=None)


def test_the_noisy_track_climbs_its_hills_where_summing_every_rise_counts_the_noise() -> None:
    assert elevation_gain(HILLY.tolist()) == pytest.approx(HILLY_GAIN, abs=HILLY_TOLERANCE)  # 68.6 m
    # What tcxreader reports (gpxpy nearly): 125.4 m, beyond anything the three hills explain.
    assert _positive_steps(HILLY.tolist()) > HILLY_GAIN + HILLY_TOLERANCE


@pytest.mark.parametrize("kind", ["gpx", "tcx", "fit records", "fit without total_ascent"])
def test_device_tracks_count_real_hills_not_altitude_noise(tmp_path: Path, kind: str) -> None:
    altitudes = HILLY.tolist()
    if kind == "gpx":
        path = write_gpx(tmp_path / "run.gpx", HILLY_RUN, altitudes=altitudes)
    elif kind == "tcx":
        path = write_tcx(tmp_path / "run.tcx", HILLY_RUN, altitudes=altitudes)
    else:
        run = Run(START, 8.0, 45.0, elevation_gain_m=61.0)
        session = kind == "fit without total_ascent"
        path = write_fit(tmp_path / "run.fit", run, altitudes=altitudes, session=session, total_ascent=False)
    (gain,) = read(path).sessions["elevation_gain_m"]
    # FIT stores altitude in steps of 0.2 m: each of the three climbs' two ends may move by 0.1 m.
    assert gain == pytest.approx(elevation_gain(altitudes), abs=0.6 if kind.startswith("fit") else 1e-9)
    assert gain == pytest.approx(HILLY_GAIN, abs=HILLY_TOLERANCE)


def test_a_fit_total_ascent_is_the_device_s_own_and_is_kept(tmp_path: Path) -> None:
    run = Run(START, 8.0, 45.0, elevation_gain_m=61.0)
    path = write_fit(tmp_path / "run.fit", run, altitudes=HILLY.tolist())
    assert read(path).sessions["elevation_gain_m"].tolist() == [61.0]


def _two_session_fit(first_climb: float, second_climb: float) -> bytes:
    """A FIT file of two runs an hour apart, without total_ascent, each climbing over its records."""
    from fit_tool.fit_file_builder import FitFileBuilder
    from fit_tool.profile.messages.file_id_message import FileIdMessage
    from fit_tool.profile.messages.record_message import RecordMessage
    from fit_tool.profile.messages.session_message import SessionMessage
    from fit_tool.profile.profile_type import FileType, Manufacturer, Sport

    def ms(moment: dt.datetime) -> int:
        return round(moment.replace(tzinfo=dt.UTC).timestamp() * 1000)

    builder = FitFileBuilder(auto_define=True)
    file_id = FileIdMessage()
    file_id.type = FileType.ACTIVITY
    file_id.manufacturer = Manufacturer.DEVELOPMENT.value
    file_id.time_created = ms(START)
    builder.add(file_id)
    for start, climb in ((START, first_climb), (START + dt.timedelta(hours=1), second_climb)):
        for i in range(11):
            record = RecordMessage()
            record.timestamp = ms(start + dt.timedelta(minutes=3 * i))
            record.altitude = 200.0 + climb * i / 10
            builder.add(record)
        session = SessionMessage()
        session.timestamp = ms(start + dt.timedelta(minutes=30))
        session.start_time = ms(start)
        session.sport = Sport.RUNNING
        session.total_distance = 5000.0
        session.total_timer_time = 1800.0
        builder.add(session)
    return builder.build().to_bytes()


def test_each_session_of_a_fit_file_climbs_its_own_records(tmp_path: Path) -> None:
    path = tmp_path / "double.fit"
    path.write_bytes(_two_session_fit(40.0, 0.0))
    log = read(path)
    assert log.sessions["elevation_gain_m"].tolist() == pytest.approx([40.0, 0.0])


# --- the real samples ---------------------------------------------------------------------------------

needs_samples = pytest.mark.skipif(not SAMPLES.is_dir(), reason=f"no real samples at {SAMPLES}")


@needs_samples
def test_real_fit_records_with_the_band_come_near_the_device_s_own_total() -> None:
    import fitdecode

    data = gzip.decompress((SAMPLES / "strava_export_12866632127.fit.gz").read_bytes())
    with fitdecode.FitReader(data) as reader:
        altitudes = [
            frame.get_value("enhanced_altitude")
            for frame in reader
            if isinstance(frame, fitdecode.FitDataMessage) and frame.name == "record"
        ]
    # A Garmin Venu Sq (GPS altitude) that filtered its own total to 109 m; every rise sums to 139 m.
    assert _positive_steps(altitudes) == pytest.approx(139.0)
    assert elevation_gain(altitudes) == pytest.approx(120.6)
