"""--timezone: start times given in UTC only, read on the runner's clock; local times left alone."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from calfrisk.exceptions import InputError
from calfrisk.predict.profile import load_profile
from calfrisk.readers import read_logs
from calfrisk.readers.validate import Batch, Session
from calfrisk.readers.zone import load_zone, to_local
from tests.fixtures_logs import Run, write_fit, write_strava_csv

TODAY = dt.date(2025, 12, 31)


def test_strava_utc_starts_move_to_the_runners_day_with_daylight_saving(tmp_path: Path) -> None:
    # 20:30 UTC is 07:30 next morning in Sydney in January (UTC+11) and 06:30 in July (UTC+10).
    runs = [
        Run(dt.datetime(2025, 1, 14, 20, 30), 8.0, 45.0),
        Run(dt.datetime(2025, 7, 14, 20, 30), 8.0, 45.0),
    ]
    strava = write_strava_csv(tmp_path / "activities.csv", runs)
    kept = read_logs([strava], today=TODAY)
    moved = read_logs([strava], today=TODAY, timezone="Australia/Sydney")
    assert kept.sessions["start_time"].tolist() == [pd.Timestamp(r.start) for r in runs]
    assert moved.sessions["start_time"].tolist() == [
        pd.Timestamp("2025-01-15 07:30"),
        pd.Timestamp("2025-07-15 06:30"),
    ]
    assert moved.sessions["date"].tolist() == [pd.Timestamp("2025-01-15"), pd.Timestamp("2025-07-15")]
    assert any("kept in UTC" in note for note in kept.notes)
    assert not any("kept in UTC" in note for note in moved.notes)
    assert "2 start time(s) given in UTC only" in " ".join(moved.notes)
    assert "converted to Australia/Sydney" in " ".join(moved.notes)


def test_device_local_time_is_left_alone(tmp_path: Path) -> None:
    # A FIT file that records its offset is already on the runner's clock: the zone changes nothing.
    fit = write_fit(tmp_path / "run.fit", Run(dt.datetime(2025, 3, 1, 6, 30), 10.0, 55.0, offset_h=1))
    bare = write_fit(tmp_path / "bare.fit", Run(dt.datetime(2025, 3, 2, 6, 30), 10.0, 55.0))
    log = read_logs([fit, bare], today=TODAY, timezone="America/Los_Angeles")
    assert log.sessions["start_time"].tolist() == [
        pd.Timestamp("2025-03-01 07:30"),  # its own offset, not Los Angeles'
        pd.Timestamp("2025-03-01 22:30"),  # UTC only: 06:30 UTC is 22:30 the evening before in LA
    ]
    assert any("1 start time(s) given in UTC only" in note for note in log.notes)


def test_a_utc_copy_matches_its_local_copy_once_the_zone_is_known(tmp_path: Path) -> None:
    # Without a zone the clocks cannot be compared and both copies stay; with it they are one run.
    own = tmp_path / "own.csv"
    own.write_text("date,distance_km,duration_min\n2025-03-01T08:30,10,55\n")
    strava = write_strava_csv(tmp_path / "activities.csv", [Run(dt.datetime(2025, 3, 1, 7, 30), 10.0, 55.0)])
    assert len(read_logs([own, strava], today=TODAY).sessions) == 2
    log = read_logs([own, strava], today=TODAY, timezone="Europe/Berlin")
    assert len(log.sessions) == 1 and log.duplicates == 1


@pytest.mark.parametrize("name", ["Mars/Olympus_Mons", "", "../etc/passwd", "Europe/"])
def test_an_unknown_zone_is_one_line_naming_it(name: str) -> None:
    with pytest.raises(InputError) as caught:
        load_zone(name)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(f"timezone {name!r}: not a time zone")


def test_the_profile_can_name_the_zone_and_a_bad_one_names_its_file(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.yaml", tmp_path / "bad.yaml"
    good.write_text("age: 40\ntimezone: Asia/Kolkata\n")
    bad.write_text("age: 40\ntimezone: Asia/Bremen\n")
    assert load_profile(good).timezone == "Asia/Kolkata"
    assert load_profile(good, {"timezone": "UTC"}).timezone == "UTC"  # a flag overrides the file
    with pytest.raises(InputError) as caught:
        load_profile(bad)
    reason = "not a time zone (give an IANA name such as Europe/Berlin)"
    assert str(caught.value) == f"{bad}: key 'timezone': {reason} (got 'Asia/Bremen')"


@given(
    moment=st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2060, 1, 1)),
    zone=st.sampled_from(
        ["UTC", "Europe/Berlin", "America/St_Johns", "Asia/Kathmandu", "Pacific/Kiritimati"]
    ),
)
def test_conversion_keeps_the_instant(moment: dt.datetime, zone: str) -> None:
    # Converted starts are the same instants on another clock: back in UTC they are unchanged.
    tz = zoneinfo.ZoneInfo(zone)
    batch = Batch(name="x", rank=1, sessions=[Session(moment, 5.0, 30.0, "x", utc=moment, local=False)])
    batch.flags.add("utc")
    assert to_local(batch, tz) == 1
    (session,) = batch.sessions
    assert session.local and session.utc == moment and "utc" not in batch.flags
    back = session.start_time.replace(tzinfo=tz, fold=0).astimezone(dt.UTC).replace(tzinfo=None)
    again = session.start_time.replace(tzinfo=tz, fold=1).astimezone(dt.UTC).replace(tzinfo=None)
    assert moment in (back, again)  # in the hour a clock goes back, the wall time occurs twice
    assert abs(session.start_time.date() - moment.date()) <= dt.timedelta(days=1)
    assert to_local(batch, tz) == 0  # already local: nothing more to convert
