"""Strava bulk exports and Garmin Connect CSVs: headers, units, dates, numbers and their traps."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from calfrisk.readers import read_logs
from calfrisk.readers.strava import parse_strava_date
from calfrisk.readers.validate import without_distance_note
from tests.fixtures_logs import (
    STRAVA_HEADER,
    Run,
    fit_bytes,
    write_garmin_csv,
    write_strava_csv,
)
from tests.readers.support import assert_contract, error_of, read, write

MORNING = dt.datetime(2025, 3, 1, 6, 30)


def set_cells(path: Path, row: int, column: str, value: str = "") -> Path:
    """Set every ``column`` cell of spreadsheet ``row`` (the header is row 1), quoting as before."""
    text = path.read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    for i, name in enumerate(rows[0]):
        if name == column:
            rows[row - 1][i] = value
    buffer = io.StringIO(newline="")
    quoting = csv.QUOTE_ALL if text.startswith('"') else csv.QUOTE_MINIMAL  # Garmin quotes every cell
    csv.writer(buffer, quoting=quoting, lineterminator="\n").writerows(rows)
    return write(path, buffer.getvalue())


def runs(n: int = 3) -> list[Run]:
    return [
        Run(
            MORNING + dt.timedelta(days=2 * i, hours=i),
            5.0 + 3 * i,
            30.0 + 18 * i,
            20.0 + i,
            shoe=f"Shoe {i % 2}",
        )
        for i in range(n)
    ]


# --- Strava -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["new", "german", "german_long", "old"])
def test_strava_styles_read_the_same_runs(tmp_path: Path, style: str) -> None:
    path = write_strava_csv(tmp_path / "activities.csv", runs(), style=style)
    log = read(path)
    assert_contract(log.sessions)
    table = log.sessions
    assert table["start_time"].tolist() == [pd.Timestamp(r.start) for r in runs()]
    assert table["distance_km"].tolist() == pytest.approx([5.0, 8.0, 11.0])
    assert table["shoe"].tolist() == ["Shoe 0", "Shoe 1", "Shoe 0"]
    assert table["source"].tolist() == [f"{path} row {i}" for i in (2, 3, 4)]
    assert log.shoes == ("Shoe 0", "Shoe 1")
    assert any("kept in UTC" in note for note in log.notes)
    if style == "old":  # no moving time, no elevation in the old exports
        assert table["duration_min"].tolist() == pytest.approx([30.0, 48.0, 66.0], abs=0.01)
        assert table["elevation_gain_m"].isna().all()
        assert any("durations are elapsed times" in note for note in log.notes)
    else:
        assert table["duration_min"].tolist() == pytest.approx([30.0, 48.0, 66.0])
        assert table["elevation_gain_m"].tolist() == [20.0, 21.0, 22.0]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("May 29, 2022, 3:53:35 PM", dt.datetime(2022, 5, 29, 15, 53, 35)),
        ("Jan 1, 2023, 12:05:00 AM", dt.datetime(2023, 1, 1, 0, 5)),
        ("Sep 3, 2023, 12:00:01\u202fPM", dt.datetime(2023, 9, 3, 12, 0, 1)),
        ("2018-09-12 15:02:23", dt.datetime(2018, 9, 12, 15, 2, 23)),
        ("29.05.2022, 15:53:35", dt.datetime(2022, 5, 29, 15, 53, 35)),
        ("29. Mai 2022, 15:53:35", dt.datetime(2022, 5, 29, 15, 53, 35)),
        ("3. März 2022, 07:00:00", dt.datetime(2022, 3, 3, 7)),
        ("3. Dez. 2022, 07:00:00", dt.datetime(2022, 12, 3, 7)),
        ("29 mai 2022 à 15:53:35", None),
        ("Feb 30, 2022, 1:00:00 PM", None),
        ("Ma 3, 2022, 1:00:00 PM", None),
    ],
)
def test_strava_dates_in_every_known_form(text: str, expected: dt.datetime | None) -> None:
    assert parse_strava_date(text) == expected


def test_strava_keeps_runs_skips_the_rest_and_reads_multiline_descriptions(tmp_path: Path) -> None:
    activities = [
        Run(MORNING, 10.0, 55.0, description='Intervals:\n6 x 800 m, "hard"\nfelt good'),
        Run(MORNING + dt.timedelta(days=1), 40.0, 90.0, sport="Ride"),
        Run(MORNING + dt.timedelta(days=2), 12.0, 70.0, sport="Trail Run"),
        Run(MORNING + dt.timedelta(days=3), 5.0, 28.0, sport="Virtual Run"),
        Run(MORNING + dt.timedelta(days=4), 3.0, 40.0, sport="Walk"),
        Run(MORNING + dt.timedelta(days=5), 40.0, 90.0, sport="Ride"),
    ]
    path = write_strava_csv(tmp_path / "activities.csv", activities)
    log = read(path)
    assert log.sessions["distance_km"].tolist() == [10.0, 12.0, 5.0]
    assert log.sessions["source"].tolist() == [f"{path} row {i}" for i in (2, 4, 5)]  # spreadsheet rows
    assert log.skipped == {"Ride": 2, "Walk": 1}


def test_german_strava_types_are_runs(tmp_path: Path) -> None:
    kinds = ["Lauf", "Trailrun", "Virtueller Lauf", "Radfahrt"]
    path = write_strava_csv(
        tmp_path / "activities.csv",
        [Run(MORNING + dt.timedelta(days=i), 6.0, 33.0, sport=k) for i, k in enumerate(kinds)],
        style="german",
    )
    log = read(path)
    assert len(log.sessions) == 3 and log.skipped == {"Radfahrt": 1}


def test_strava_prefers_moving_time_and_falls_back_to_elapsed(tmp_path: Path) -> None:
    path = write_strava_csv(tmp_path / "activities.csv", [Run(MORNING, 10.0, 50.0)], moving_share=0.8)
    assert read(path).sessions["duration_min"].tolist() == pytest.approx([50.0])
    text = path.read_text(encoding="utf-8").replace(",3000.0,", ",,")  # empty moving time
    log = read(write(tmp_path / "no_moving.csv", text))
    assert log.sessions["duration_min"].tolist() == pytest.approx([62.5])
    assert any("1 run(s) without a moving time; their elapsed time is used" in note for note in log.notes)


def test_strava_distance_columns_must_agree(tmp_path: Path) -> None:
    path = write_strava_csv(tmp_path / "activities.csv", [Run(MORNING, 5.0, 30.0)], metres_factor=1300)
    message = error_of(lambda: read(path))
    assert message.startswith(
        f"{path} row 2, column 'Distance': the two Distance columns disagree (5 and 6500;"
    )


def test_strava_accepts_a_display_distance_in_miles(tmp_path: Path) -> None:
    path = write_strava_csv(tmp_path / "activities.csv", [Run(MORNING, 8.0467, 45.0)])
    text = path.read_text(encoding="utf-8").replace(",8.05,", ",5.00,")  # 8.0467 km shown as 5.00 mi
    assert read(write(tmp_path / "miles.csv", text)).sessions["distance_km"].tolist() == pytest.approx(
        [8.0467]
    )


def test_strava_single_distance_column_unit_is_told_from_time(tmp_path: Path) -> None:
    header = "Activity ID,Activity Date,Activity Type,Elapsed Time,Distance"
    metres = write(tmp_path / "m.csv", f'{header}\n1,"Mar 1, 2025, 6:30:00 AM",Run,1800,5000.0\n')
    km = write(tmp_path / "km.csv", f'{header}\n1,"Mar 1, 2025, 6:30:00 AM",Run,1800,5.0\n')
    for path, unit in ((metres, "metres"), (km, "km")):
        log = read(path)
        assert log.sessions["distance_km"].tolist() == [5.0]
        assert f"{path}: one Distance column, read as {unit} (told from distance against time)" in log.notes


def test_strava_gear_falls_back_to_the_gear_column(tmp_path: Path) -> None:
    path = write_strava_csv(tmp_path / "activities.csv", [Run(MORNING, 5.0, 30.0, shoe="Clifton")])
    cells = path.read_text(encoding="utf-8").split("\n")[1].split(",")
    cells[STRAVA_HEADER.index("Activity Gear")] = ""
    text = ",".join(STRAVA_HEADER) + "\n" + ",".join(cells) + "\n"
    assert read(write(tmp_path / "gear.csv", text)).sessions["shoe"].tolist() == ["Clifton"]


GOOD_STRAVA_ROW = '1,"Mar 1, 2025, 6:30:00 AM",Run,1800,5.00,5000.0'


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            '1,"1 mars 2025",Run,1800,5.00,5000.0',
            "row 2, column 'Activity Date': cannot read the date '1 mars 2025'",
        ),
        ('1,"Mar 1, 2025, 6:30:00 AM",Run,1800,5.00,abc', "row 2, column 'Distance': 'abc' is not a number"),
        (
            '1,"Mar 1, 2025, 6:30:00 AM",Run,0,5.00,5000.0',
            "row 2, column 'Elapsed Time': duration must be positive",
        ),
        (
            '1,"Mar 1, 2025, 6:30:00 AM",Run,1800,-5,-5000',
            "row 2, column 'Distance': distance must be positive",
        ),
        (
            '1,"Jun 3, 2025, 6:30:00 AM",Run,1800,5.00,5000.0',
            "column 'Activity Date': 2025-06-03 is after today",
        ),
        (
            '1,"Mar 1, 2025, 6:30:00 AM",Run,300,5.00,5000.0',
            "columns 'Distance' and 'Elapsed Time': 5 km in 5 min",
        ),
    ],
)
def test_strava_bad_cells_name_row_and_column(tmp_path: Path, row: str, expected: str) -> None:
    header = "Activity ID,Activity Date,Activity Type,Elapsed Time,Distance,Distance"
    assert len(read(write(tmp_path / "good.csv", f"{header}\n{GOOD_STRAVA_ROW}\n")).sessions) == 1
    path = write(tmp_path / "activities.csv", f"{header}\n{row}\n")
    message = error_of(lambda: read(path))
    assert message.startswith(f"{path} row 2") and expected in message


def test_strava_runs_without_a_distance_are_skipped_and_listed(tmp_path: Path) -> None:
    activities = [
        Run(MORNING, 10.0, 55.0),
        Run(MORNING + dt.timedelta(days=1), 0.0, 30.0),  # GPS off: 0.00 and 0.0
        Run(MORNING + dt.timedelta(days=2), 40.0, 90.0, sport="Ride"),
        Run(MORNING + dt.timedelta(days=3), 6.0, 45.0, sport="Trail Run"),  # no distance at all
        Run(MORNING + dt.timedelta(days=4), 5.0, 28.0),
    ]
    path = set_cells(write_strava_csv(tmp_path / "activities.csv", activities), 5, "Distance")
    log = read(path)
    assert log.sessions["distance_km"].tolist() == [10.0, 5.0]
    assert log.sessions["source"].tolist() == [f"{path} row 2", f"{path} row 6"]
    assert log.skipped == {"Ride": 1} and log.without_distance == 2
    assert f"{path}: 2 run(s) without a distance skipped (rows 3, 5)" in log.notes


def test_a_long_list_of_rows_without_a_distance_is_cut_short() -> None:
    assert without_distance_note("a.csv", list(range(2, 14))) == (
        "a.csv: 12 run(s) without a distance skipped (rows 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 and 2 more)"
    )


def test_strava_lone_distance_column_of_zeros_needs_no_unit(tmp_path: Path) -> None:
    header = "Activity ID,Activity Date,Activity Type,Elapsed Time,Distance"
    rows = ['1,"Mar 1, 2025, 6:30:00 AM",Run,1800,0', '2,"Mar 2, 2025, 6:30:00 AM",Run,1800,5000.0']
    path = write(tmp_path / "activities.csv", "\n".join([header, *rows]) + "\n")
    log = read(path)
    assert log.sessions["distance_km"].tolist() == [5.0]
    assert f"{path}: 1 run(s) without a distance skipped (row 2)" in log.notes
    zeros = write(tmp_path / "zeros.csv", f"{header}\n{rows[0]}\n")
    assert (
        error_of(lambda: read(zeros)) == f"{zeros}: no running sessions; skipped 1 run(s) without a distance"
    )


def test_strava_utc_dates_get_a_day_of_slack_over_today(tmp_path: Path) -> None:
    # 01:00 UTC tomorrow is this evening in the Americas.
    path = write_strava_csv(tmp_path / "activities.csv", [Run(dt.datetime(2025, 6, 2, 1, 0), 5.0, 30.0)])
    assert len(read(path).sessions) == 1


def test_strava_missing_columns_are_named(tmp_path: Path) -> None:
    path = write(tmp_path / "activities.csv", 'Activity ID,Activity Date,Activity Type\n1,"x",Run\n')
    assert error_of(lambda: read(path)) == f"{path}: missing the distance column 'Distance'"


def _export(folder: Path, run: Run) -> None:
    write_strava_csv(folder / "activities.csv", [run])
    (folder / "activities").mkdir(parents=True)
    (folder / "activities" / "2000.fit").write_bytes(fit_bytes(run))  # the same run: never read twice
    write(folder / "profile.csv", "Athlete ID,Email Address\n1,a@b.c\n")
    write(
        folder / "shoes.csv", "Shoe Name,Shoe Brand,Shoe Model,Shoe Default Sport Types\nPeg,Nike,P40,Run\n"
    )


def test_strava_export_folder_and_zip_read_activities_csv_only(tmp_path: Path) -> None:
    run = Run(MORNING, 10.0, 55.0)
    _export(tmp_path / "export", run)
    archive = tmp_path / "export_123.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for file in sorted((tmp_path / "export").rglob("*")):
            if file.is_file():
                zipped.write(file, Path("Strava Export") / file.relative_to(tmp_path / "export"))
    for path, source in (
        (tmp_path / "export", f"{tmp_path / 'export' / 'activities.csv'} row 2"),
        (archive, f"{archive}:Strava Export/activities.csv row 2"),
    ):
        log = read(path)
        assert log.sessions["source"].tolist() == [source]
        assert log.duplicates == 0
        assert any("Strava export; read" in note for note in log.notes)
    # Inside a folder of other logs, the export is still read once.
    assert len(read(tmp_path).sessions) == 1


def test_a_zip_without_activities_csv_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "other.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("notes.txt", "hello")
    assert error_of(lambda: read(archive)) == f"{archive}: a zip without activities.csv (not a Strava export)"
    broken = tmp_path / "broken.zip"
    broken.write_bytes(archive.read_bytes()[:30])
    assert "broken.zip" in error_of(lambda: read(broken))


# --- Garmin -------------------------------------------------------------------------------------------


def garmin_runs() -> list[Run]:
    return [
        Run(MORNING, 10.0, 55.0, 80.0, sport="Running"),
        Run(MORNING + dt.timedelta(days=1), 40.0, 90.0, sport="Cycling"),
        Run(MORNING + dt.timedelta(days=2), 8.0, 48.0, 0.0, sport="Treadmill Running"),
        Run(MORNING + dt.timedelta(days=3), 0.5, 45.0, sport="Strength Training"),
        Run(MORNING + dt.timedelta(days=4), 21.1, 118.0, 350.0, sport="Trail Running"),
    ]


@pytest.mark.parametrize(
    ("units", "decimal", "german"),
    [("km", ".", False), ("mi", ".", False), ("km", ",", False), ("mi", ",", True), ("km", ".", True)],
)
def test_garmin_units_are_inferred_from_steps_and_stride(
    tmp_path: Path, units: str, decimal: str, german: bool
) -> None:
    path = write_garmin_csv(
        tmp_path / "Activities.csv", garmin_runs(), units=units, decimal=decimal, german=german
    )
    log = read(path)
    assert_contract(log.sessions)
    table = log.sessions
    assert table["distance_km"].tolist() == pytest.approx([10.0, 8.0, 21.1], abs=0.01)
    assert table["duration_min"].tolist() == pytest.approx([55.0, 48.0, 118.0])
    assert table["elevation_gain_m"].tolist() == pytest.approx([80.0, 0.0, 350.0], abs=0.2)
    assert table["start_time"].tolist()[0] == pd.Timestamp(MORNING)  # local time, kept as given
    assert table["shoe"].isna().all()
    assert log.skipped == {"Cycling": 1, "Strength Training": 1}
    word = "km" if units == "km" else "miles"
    assert any(f"distances read as {word}" in n and "Steps x Avg Stride Length" in n for n in log.notes)
    assert any("decimal comma" in note for note in log.notes) == (decimal == ",")


def test_garmin_units_from_pace_in_another_unit(tmp_path: Path) -> None:
    path = write_garmin_csv(tmp_path / "Activities.csv", garmin_runs(), units="km", pace_unit="mi")
    log = read(path)
    assert log.sessions["distance_km"].tolist() == pytest.approx([10.0, 8.0, 21.1])
    assert any("km" in note and "Avg Pace per mile" in note for note in log.notes)


def test_garmin_units_that_cannot_be_inferred_must_be_given(tmp_path: Path) -> None:
    columns = ["Activity Type", "Date", "Title", "Distance", "Time", "Avg Pace", "Total Ascent"]
    path = write_garmin_csv(tmp_path / "Activities.csv", garmin_runs(), units="mi", columns=columns)
    message = error_of(lambda: read(path))
    assert message.startswith(f"{path}: Garmin Connect does not say whether distances are in km or miles")
    # The library names its parameter, not a flag.
    assert message.endswith("give its `units`, 'km' or 'mi'") and "--" not in message
    log = read(path, units="mi")
    assert log.sessions["distance_km"].tolist() == pytest.approx([10.0, 8.0, 21.1], abs=0.01)
    assert log.sessions["elevation_gain_m"].tolist() == pytest.approx([80.0, 0.0, 350.0], abs=0.2)
    assert f"{path}: distances read as miles and elevations as feet (as given)" in log.notes


def test_garmin_runs_without_a_distance_are_skipped_before_units_are_inferred(tmp_path: Path) -> None:
    treadmill = [
        Run(MORNING + dt.timedelta(days=5 + i), 0.0, 40.0, sport="Treadmill Running") for i in range(2)
    ]
    path = write_garmin_csv(tmp_path / "Activities.csv", garmin_runs() + treadmill, units="mi")
    path = set_cells(path, 8, "Distance", "--")  # Garmin's missing value
    log = read(path)
    assert log.sessions["distance_km"].tolist() == pytest.approx([10.0, 8.0, 21.1], abs=0.01)
    assert log.without_distance == 2 and log.skipped == {"Cycling": 1, "Strength Training": 1}
    assert f"{path}: 2 run(s) without a distance skipped (rows 7, 8)" in log.notes
    assert any("distances read as miles" in note for note in log.notes)


def test_garmin_file_of_runs_without_a_distance_needs_no_units(tmp_path: Path) -> None:
    treadmill = [
        Run(MORNING, 0.0, 40.0, sport="Treadmill Running"),
        Run(MORNING, 30.0, 60.0, sport="Cycling"),
    ]
    path = write_garmin_csv(tmp_path / "Activities.csv", treadmill)
    assert error_of(lambda: read(path)) == (
        f"{path}: no running sessions; skipped 1 run(s) without a distance and 1 other activities (1 Cycling)"
    )


def test_garmin_negative_distance_is_still_an_error(tmp_path: Path) -> None:
    header = '"Activity Type","Date","Distance","Time"'
    path = write(
        tmp_path / "Activities.csv", f'{header}\n"Running","2025-03-01 06:30:00","-5.00","00:30:00"\n'
    )
    assert "row 2, column 'Distance': distance must be positive, got -5 km" in error_of(
        lambda: read(path, units="km")
    )


def test_garmin_quoted_thousands_separators_and_missing_values(tmp_path: Path) -> None:
    header = '"Activity Type","Date","Distance","Time","Moving Time","Total Ascent","Calories"'
    rows = [
        '"Running","2025-03-01 06:30:00","1,024.50","100:00:00","--:--:--","--","4,808"',
        '"Running","2025-03-02 06:30:00","10.00","--:--:--","00:55:00.5","1,200","612"',
    ]
    path = write(tmp_path / "Activities.csv", "\n".join([header, *rows]) + "\n")
    message = error_of(lambda: read(path, units="km"))
    assert message.startswith(f"{path} row 2, column 'Distance': 1024.5 km is implausible")
    path = write(tmp_path / "Activities.csv", "\n".join([header, rows[1]]) + "\n")
    row = read(path, units="km").sessions.iloc[0]
    assert row["duration_min"] == pytest.approx(55 + 0.5 / 60)  # moving time; Time is missing
    assert row["elevation_gain_m"] == 1200.0


def test_garmin_mixed_decimal_marks_are_refused(tmp_path: Path) -> None:
    header = '"Activity Type","Date","Distance","Time","Aerobic TE"'
    text = f'{header}\n"Running","2025-03-01 06:30:00","10,50","00:55:00","3.1"\n'
    path = write(tmp_path / "Activities.csv", text)
    assert "mixes decimal commas ('10,50') and decimal points ('3.1')" in error_of(
        lambda: read(path, units="km")
    )


def test_garmin_bad_date_and_time_name_row_and_column(tmp_path: Path) -> None:
    header = '"Activity Type","Date","Distance","Time"'
    bad_date = write(tmp_path / "a.csv", f'{header}\n"Running","7/4/2020 15:36","5.00","00:30:00"\n')
    assert f"{bad_date} row 2, column 'Date': cannot read the date '7/4/2020 15:36'" in error_of(
        lambda: read(bad_date, units="km")
    )
    bad_time = write(tmp_path / "b.csv", f'{header}\n"Running","2025-03-01 06:30:00","5.00","half an hour"\n')
    assert f"{bad_time} row 2, column 'Time': 'half an hour' is not a time" in error_of(
        lambda: read(bad_time, units="km")
    )


def test_garmin_sessions_after_today_are_refused(tmp_path: Path) -> None:
    path = write_garmin_csv(
        tmp_path / "Activities.csv", [Run(dt.datetime(2025, 6, 2, 7), 5.0, 30.0, sport="Running")]
    )
    assert "is after today (2025-06-01)" in error_of(lambda: read(path))
    assert len(read_logs([path], today=dt.date(2025, 6, 2)).sessions) == 1
