"""read_lovdal: files in the day-approach format, built here from daily logs (never the real data)."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calfrisk.exceptions import InputError, ParameterError
from calfrisk.ingest.cohort import write_cohort
from calfrisk.ingest.lovdal import (
    DAY_COLUMNS,
    DEFAULT_ANCHOR,
    METRICS,
    NO_TRAINING,
    read_lovdal,
)

FILE = "day_approach_maskedID_timeseries.csv"
PERCEIVED = ["perceived exertion", "perceived trainingSuccess", "perceived recovery"]
# The week-approach file's first columns and its last ones, as published.
WEEK_HEADER = [
    "nr. sessions",
    "nr. rest days",
    "total kms",
    "max km one day",
    "total km Z3-Z4-Z5-T1-T2",
    "nr. tough sessions (effort in Z5, T1 or T2)",
    "avg exertion",
    "min exertion",
    "max exertion",
    "Athlete ID",
    "injury",
    "rel total kms week 0_1",
    "Date",
]


def daily_log(days: range, seed: int) -> pd.DataFrame:
    """A runner's days: rest, easy days and quality days, in whole 0.1 km; index = the day count."""
    rng = np.random.default_rng(seed)
    n = len(days)
    total = np.round(
        rng.choice([0.0, 0.0, 6.0, 10.0, 14.0], n) + rng.integers(0, 30, n) / 10 * (rng.random(n) > 0.3), 1
    )
    total[total < 1] = 0.0
    quality = (rng.random(n) < 0.4) & (total > 0)
    tempo = np.where(quality, np.round(total * 0.3, 1), 0.0)
    z5 = np.where(quality & (rng.random(n) < 0.5), np.round(total * 0.2, 1), 0.0)
    sprint = np.where(quality & (rng.random(n) < 0.3), 0.4, 0.0)
    strength = (rng.random(n) < 0.3).astype(float)
    alternative = np.where(rng.random(n) < 0.2, 1.0, 0.0)
    trained = (total > 0) | (strength > 0) | (alternative > 0)

    def rating(low: float, high: float) -> np.ndarray:
        return np.where(trained, np.round(rng.uniform(low, high, n), 2), NO_TRAINING)

    return pd.DataFrame(
        {
            "nr. sessions": (total > 0).astype(float) + strength + alternative,
            "total km": total,
            "km Z3-4": tempo,
            "km Z5-T1-T2": z5,
            "km sprinting": sprint,
            "strength training": strength,
            "hours alternative": alternative,
            "perceived exertion": rating(0.05, 0.15),
            "perceived trainingSuccess": rating(0.0, 0.1),
            "perceived recovery": rating(0.1, 0.2),
        },
        index=pd.Index(list(days), name="day"),
    )


def windows(
    logs: dict[int, pd.DataFrame], events: dict[int, list[int]] | None = None, injured=()
) -> pd.DataFrame:
    """The day-approach rows: for each event day t, the runner's days t-7 .. t-1 (``.6`` = t-1).

    ``events`` defaults to every event day whose 7 days are all in the log; ``injured`` lists
    (athlete, Date) pairs flagged 1.
    """
    rows = []
    for athlete, log in logs.items():
        days = log.index.to_numpy()
        dates = events[athlete] if events else range(days.min() + 7, days.max() + 2)
        for date in dates:
            block = log.loc[date - 7 : date - 1]
            assert len(block) == 7, f"event day {date} of athlete {athlete} lacks days"
            rows.append([*block.to_numpy().ravel(), athlete, int((athlete, date) in injured), date])
    return pd.DataFrame(rows, columns=list(DAY_COLUMNS))


def write(frame: pd.DataFrame, path: Path, columns: list[str] | None = None) -> Path:
    """Write rows as the published file does: floats as ``1.0``, the ids as whole numbers."""
    columns = list(frame.columns) if columns is None else columns
    out = frame[columns].copy()
    for name in ("Athlete ID", "injury", "Date"):
        if name in out:
            out[name] = out[name].astype(int)
    out.to_csv(path, index=False)
    return path


def expected_km(logs: dict[int, pd.DataFrame], start: dt.date = DEFAULT_ANCHOR) -> pd.Series:
    """Per (athlete, date, type) km as read_lovdal should split them, from the daily logs."""
    parts = []
    for athlete, log in logs.items():
        run = log[log["total km"] > 0]
        dates = [pd.Timestamp(start + dt.timedelta(days=int(d))) for d in run.index]
        zones = run["km Z3-4"] + run["km Z5-T1-T2"] + run["km sprinting"]
        for kind, km in (
            ("easy", (run["total km"] - zones).clip(lower=0)),
            ("tempo", run["km Z3-4"]),
            ("intervals", run["km Z5-T1-T2"] + run["km sprinting"]),
        ):
            parts.append(
                pd.DataFrame({"athlete_id": str(athlete), "date": dates, "type": kind, "km": km.round(2)})
            )
    out = pd.concat(parts)
    return out[out["km"] > 0].set_index(["athlete_id", "date", "type"])["km"].sort_index()


def read_km(cohort) -> pd.Series:
    log = cohort.tables["training_log"]
    out = log.assign(type=log["session_type"].astype(str), athlete_id=log["athlete_id"].astype(str))
    return out.set_index(["athlete_id", "date", "type"])["distance_km"].sort_index()


@pytest.fixture
def logs() -> dict[int, pd.DataFrame]:
    return {
        0: daily_log(range(0, 40), seed=1),
        3: daily_log(range(-5, 30), seed=2),
        11: daily_log(range(100, 125), seed=3),
    }


def test_round_trip(tmp_path, logs):
    injured = {(3, 20), (11, 124)}
    path = write(windows(logs, injured=injured), tmp_path / FILE)
    cohort = read_lovdal(path)

    pd.testing.assert_series_equal(
        read_km(cohort), expected_km(logs), check_names=False, check_index_type=False
    )
    injuries = cohort.tables["injuries"]
    assert list(injuries["athlete_id"]) == ["11", "3"]
    # The flag is for the event day, Date itself: the day after the row's 7 days.
    assert list(injuries["date"].dt.date) == [DEFAULT_ANCHOR + dt.timedelta(days=124), dt.date(2012, 1, 21)]
    assert injuries[["grade", "layoff_days"]].isna().all().all()
    assert list(cohort.tables["athletes"]["athlete_id"]) == ["0", "11", "3"]
    assert cohort.tables["athletes"].drop(columns="athlete_id").isna().all().all()
    assert cohort.tables["shoes"].empty

    log = cohort.tables["training_log"]
    assert log[["duration_min", "elevation_gain_m"]].isna().all().all() and (log["shoe_id"] == 0).all()
    manifest = cohort.manifest
    assert manifest["outcome"] == "running injury"
    assert manifest["source"] == {"format": "lovdal-day-approach", "file": FILE, "anchor": "2012-01-01"}
    assert manifest["skipped"] == {}
    assert manifest["counts"] == {
        "runners": 3,
        "days": sum(len(log) for log in logs.values()),
        "sessions": len(log),
        "injuries": 2,
    }
    runner = manifest["runners"]["3"]  # its days run from day -5, before the anchor
    assert runner["first_day"] == "2011-12-27" and runner["last_day"] == "2012-01-30"
    assert runner["missing_days"] == 0 and runner["window_disagreements"] == {}
    assert any("not calf strains" in note for note in manifest["notes"])
    assert "Overlapping rows agree on every day." in manifest["notes"]
    json.dumps(manifest)  # JSON-ready as it is
    write_cohort(cohort, tmp_path / "cohort")
    assert json.loads((tmp_path / "cohort" / "manifest.json").read_text())["counts"] == manifest["counts"]


def test_anchor_places_the_days(tmp_path, logs):
    path = write(windows({0: logs[0]}), tmp_path / FILE)
    cohort = read_lovdal(path, start=dt.date(2016, 3, 1))
    assert cohort.tables["training_log"]["date"].min() >= pd.Timestamp("2016-03-01")
    assert cohort.manifest["source"]["anchor"] == "2016-03-01"
    assert expected_km({0: logs[0]}, dt.date(2016, 3, 1)).equals(read_km(cohort))


def test_extra_metrics_on_the_first_session_and_no_training_mark_missing(tmp_path):
    log = daily_log(range(0, 10), seed=5)
    log.loc[3] = [0, 0, 0, 0, 0, 0, 0, NO_TRAINING, NO_TRAINING, NO_TRAINING]  # rest
    log.loc[4] = [2, 10.0, 3.0, 1.0, 0.4, 1, 0, 0.12, NO_TRAINING, 0.17]  # a run, one rating not given
    log.loc[5] = [1, 0, 0, 0, 0, 0, 1.5, 0.08, 0.0, 0.18]  # cross-training only
    log.loc[6] = [1, 4.0, 4.0, 0, 0, 0, 0, 0.1, 0.0, 0.16]  # tempo only: its row carries the metrics
    cohort = read_lovdal(write(windows({5: log}), tmp_path / FILE))
    out = cohort.tables["training_log"].set_index(["date", "session_type"])
    day4 = out.loc[pd.Timestamp("2012-01-05")]
    assert list(day4.index.astype(str)) == ["easy", "tempo", "intervals"]
    assert day4["distance_km"].tolist() == [5.6, 3.0, 1.4]
    easy = day4.loc["easy"]
    assert (easy["n_sessions"], easy["strength_training"], easy["perceived_exertion"]) == (2, 1, 0.12)
    assert pd.isna(easy["perceived_training_success"]) and easy["perceived_recovery"] == 0.17
    assert day4.loc[["tempo", "intervals"], ["n_sessions", "perceived_exertion"]].isna().all().all()
    assert str(out["perceived_exertion"].dtype) == "Float64"
    day6 = out.loc[pd.Timestamp("2012-01-07")]
    assert list(day6.index.astype(str)) == ["tempo"] and day6["perceived_recovery"].iloc[0] == 0.16
    assert pd.Timestamp("2012-01-04") not in out.index.get_level_values("date")  # rest: no row
    assert pd.Timestamp("2012-01-06") not in out.index.get_level_values("date")  # cross-training only
    assert any("no running km are rest days for running" in note for note in cohort.manifest["notes"])
    assert any("read as missing" in note for note in cohort.manifest["notes"])


def test_windows_that_disagree_keep_the_newest_copy_and_are_counted(tmp_path, logs):
    log = logs[0].copy()
    log.loc[[20, 29], ["total km", "km Z3-4", "km Z5-T1-T2", "km sprinting", "hours alternative"]] = 0.0
    log.loc[[20, 29], "total km"] = 8.0  # running days: the kept hours sit on their easy session
    rows = windows({0: log})
    at = rows.set_index("Date")
    # Day 20 is block .6 of Date 21, block .4 of Date 23 and block .1 of Date 26.
    at.loc[23, "total km.4"] = 13.0  # an older copy disagrees: not kept
    at.loc[26, "km Z3-4.1"] = 1.0
    at.loc[21, "hours alternative.6"] = 2.5  # the newest copy itself differs: kept
    at.loc[30, "hours alternative.6"] = 3.0  # day 29: newest copy differs too
    cohort = read_lovdal(write(at.reset_index()[list(DAY_COLUMNS)], tmp_path / FILE))

    assert cohort.manifest["runners"]["0"]["window_disagreements"] == {
        "total km": 1,
        "km Z3-4": 1,
        "hours alternative": 2,
    }
    # The changed older copies were not used.
    pd.testing.assert_series_equal(
        read_km(cohort), expected_km({0: log}), check_names=False, check_index_type=False
    )
    out = cohort.tables["training_log"].set_index("date")
    assert out.loc[pd.Timestamp("2012-01-21"), "hours_alternative"] == 2.5  # day 20
    assert out.loc[pd.Timestamp("2012-01-30"), "hours_alternative"] == 3.0  # day 29
    notes = [n for n in cohort.manifest["notes"] if n.startswith("Overlapping rows disagree")]
    assert len(notes) == 3
    assert "on 2 days of 1 runner in 'hours alternative'" in " ".join(notes)


def test_gaps_are_missing_days_not_rest(tmp_path, logs):
    events = {0: [*range(8, 21), *range(30, 41)]}  # they cover days 1-19 and 23-39: not 20, 21, 22
    cohort = read_lovdal(write(windows({0: logs[0]}, events), tmp_path / FILE))
    runner = cohort.manifest["runners"]["0"]
    assert runner["missing_days"] == 3 and runner["days_logged"] == 19 + 17
    dates = set(cohort.tables["training_log"]["date"].dt.date)
    assert not dates & {DEFAULT_ANCHOR + dt.timedelta(days=d) for d in (20, 21, 22)}
    assert any("3 days inside the logs of 1 runner" in note for note in cohort.manifest["notes"])


def test_an_isolated_injury_row_as_the_paper_builds_them(tmp_path, logs):
    # Healthy events only when fully fit 3 weeks around: the injury row's days overlap no other row.
    events = {0: [*range(8, 12), 39]}
    cohort = read_lovdal(write(windows({0: logs[0]}, events, injured={(0, 39)}), tmp_path / FILE))
    injuries = cohort.tables["injuries"]
    assert list(injuries["date"].dt.date) == [dt.date(2012, 2, 9)]  # day 39, the event day
    runner = cohort.manifest["runners"]["0"]
    # Days 1-10 and 32-38 are logged: 21 days between them are missing, and the event day is not logged.
    assert runner["last_day"] == "2012-02-08" and runner["missing_days"] == 21
    # Before the onset 7 of 28 days are logged (days 32-38), before the healthy event days 7 to 10.
    notes = cohort.manifest["notes"]
    assert "the rebuilt log has a median of 7 (before the file's healthy event days: 8.5)" in " ".join(notes)
    assert any(note.startswith("Fewer days are logged before injuries") for note in notes)


def test_consecutive_flagged_days_are_one_onset(tmp_path, logs):
    injured = {(0, 15), (0, 16), (0, 30)}
    cohort = read_lovdal(write(windows({0: logs[0]}, injured=injured), tmp_path / FILE))
    assert list(cohort.tables["injuries"]["date"].dt.date) == [dt.date(2012, 1, 16), dt.date(2012, 1, 31)]
    assert any("1 flagged event day within 1 day(s)" in note for note in cohort.manifest["notes"])


def test_zones_exceeding_the_total(tmp_path, logs):
    log = logs[0].copy()
    log.loc[10, ["total km", "km Z3-4", "km Z5-T1-T2", "km sprinting"]] = [5.0, 4.0, 1.5, 0.5]
    log.loc[12, ["total km", "km Z3-4", "km Z5-T1-T2", "km sprinting"]] = [0.0, 2.0, 0.0, 0.0]
    cohort = read_lovdal(write(windows({0: log}), tmp_path / FILE))
    out = cohort.tables["training_log"]
    day10 = out[out["date"] == pd.Timestamp("2012-01-11")]
    assert day10["session_type"].astype(str).tolist() == ["tempo", "intervals"]
    assert day10["distance_km"].tolist() == [4.0, 2.0]
    assert (out["date"] != pd.Timestamp("2012-01-13")).all()
    assert cohort.manifest["runners"]["0"]["zones_exceed_total_days"] == 1
    notes = " ".join(cohort.manifest["notes"])
    assert "On 1 day the zone km" in notes and "1 day give zone km but 0 total km" in notes


def test_shuffled_columns_read_the_same(tmp_path, logs):
    rows = windows(logs)
    order = list(np.random.default_rng(0).permutation(list(DAY_COLUMNS)))
    shuffled = read_lovdal(write(rows, tmp_path / "shuffled.csv", order))
    plain = read_lovdal(write(rows, tmp_path / FILE))
    for name in ("training_log", "injuries", "athletes"):
        pd.testing.assert_frame_equal(shuffled.tables[name], plain.tables[name])


def assert_one_line(error: pytest.ExceptionInfo, *parts: str) -> None:
    message = str(error.value)
    assert "\n" not in message
    for part in parts:
        assert part in message, message


def test_bad_headers(tmp_path, logs):
    rows = windows({0: logs[0]})
    path = write(rows.drop(columns="km Z3-4.2"), tmp_path / "a.csv")
    with pytest.raises(InputError) as error:
        read_lovdal(path)
    assert_one_line(error, "a.csv", "missing column", "'km Z3-4.2'")

    path = write(rows.rename(columns={"total km.3": "Total km.3"}), tmp_path / "b.csv")
    with pytest.raises(InputError) as error:
        read_lovdal(path)
    assert_one_line(error, "b.csv", "unknown column", "'Total km.3' (did you mean 'total km.3'?)")

    path = write(rows.rename(columns={"km Z5-T1-T2.6": "km Z5-T1-T2 .6"}), tmp_path / "c.csv")
    with pytest.raises(InputError) as error:
        read_lovdal(path)
    assert_one_line(error, "c.csv", "'km Z5-T1-T2 .6' (did you mean 'km Z5-T1-T2.6'?)")

    path = tmp_path / "d.csv"
    path.write_text(",".join([*DAY_COLUMNS, "total km"]) + "\n")
    with pytest.raises(InputError) as error:
        read_lovdal(path)
    assert_one_line(error, "d.csv", "column 'total km' appears twice")


def test_a_week_approach_file_is_refused(tmp_path):
    path = tmp_path / "week_approach_maskedID_timeseries.csv"
    with path.open("w", newline="") as file:
        csv.writer(file).writerows(
            [WEEK_HEADER, [5.0, 2.0, 22.2, 16.4, 11.8, 1.0, 0.1, 0.08, 0.11, 0, 0, 0.7, 0]]
        )
    with pytest.raises(InputError) as error:
        read_lovdal(path)
    assert_one_line(
        error,
        "week_approach_maskedID_timeseries.csv: a week-approach file: only the day-approach file "
        "(day_approach_maskedID_timeseries.csv) is supported",
    )


@pytest.mark.parametrize(
    ("column", "cell", "expected"),
    [
        ("total km.2", "abc", "row 5, column 'total km.2': 'abc' is not a number"),
        ("km sprinting", "", "row 5, column 'km sprinting': empty"),
        ("km Z3-4.5", "-1.0", "row 5, column 'km Z3-4.5': -1 km is negative"),
        ("hours alternative.1", "-2", "row 5, column 'hours alternative.1': -2 is negative"),
        (
            "perceived recovery.3",
            "-0.5",
            "row 5, column 'perceived recovery.3': -0.5 is negative and not -0.01",
        ),
        ("injury", "2", "row 5, column 'injury': 2 is not 0 or 1"),
        ("Date", "12.5", "row 5, column 'Date': 12.5 is not a whole number"),
    ],
)
def test_bad_cells_name_the_row_and_column(tmp_path, logs, column, cell, expected):
    path = write(windows({0: logs[0]}), tmp_path / FILE)
    lines = path.read_text().splitlines()
    cells = lines[4].split(",")  # line 5 of the file: the 4th data row
    cells[DAY_COLUMNS.index(column)] = cell
    lines[4] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as error:
        read_lovdal(path)
    assert_one_line(error, f"{FILE} {expected}")


def test_a_duplicate_row_names_both_rows(tmp_path, logs):
    rows = windows({0: logs[0]})
    rows = pd.concat([rows, rows.iloc[[2]]], ignore_index=True)
    with pytest.raises(InputError) as error:
        read_lovdal(write(rows, tmp_path / FILE))
    assert_one_line(
        error, FILE, f"row {len(rows) + 1}, column 'Date'", "athlete 0 has Date 9 already on row 4"
    )


def test_blank_lines_keep_the_line_numbers(tmp_path, logs):
    path = write(windows({0: logs[0]}), tmp_path / FILE)
    lines = path.read_text().splitlines()
    lines.insert(2, "")
    cells = lines[6].split(",")
    cells[0] = "x"
    lines[6] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(InputError) as error:
        read_lovdal(path)
    assert_one_line(error, "row 7, column 'nr. sessions': 'x' is not a number")


def test_start_must_be_a_date(tmp_path, logs):
    path = write(windows({0: logs[0]}), tmp_path / FILE)
    with pytest.raises(ParameterError, match="start 2016-03-01: not a date"):
        read_lovdal(path, start="2016-03-01")
    cohort = read_lovdal(path, start=dt.datetime(2016, 3, 1, 12, 30))
    assert cohort.manifest["source"]["anchor"] == "2016-03-01"


def test_no_such_file_and_no_rows(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        read_lovdal(tmp_path / "nothing.csv")
    path = tmp_path / FILE
    path.write_text(",".join(DAY_COLUMNS) + "\n")
    with pytest.raises(InputError, match="a header but no rows"):
        read_lovdal(path)


@settings(max_examples=25, deadline=None)
@given(
    data=st.lists(
        st.lists(
            st.tuples(
                st.integers(0, 300),  # total km, in 0.1 km
                st.integers(0, 100),  # Z3-4, in 0.1 km
                st.integers(0, 60),  # Z5-T1-T2
                st.integers(0, 10),  # sprinting
                st.sampled_from([0.05, 0.1, NO_TRAINING]),  # a perceived rating
            ),
            min_size=7,
            max_size=30,
        ),
        min_size=1,
        max_size=3,
    ),
    first=st.integers(-20, 200),
)
def test_any_daily_log_round_trips(tmp_path_factory, data, first):
    logs = {}
    for athlete, days in enumerate(data):
        km = np.array([d[:4] for d in days], dtype=float) / 10
        rating = np.array([d[4] for d in days])
        log = pd.DataFrame(0.0, index=pd.Index(range(first, first + len(days))), columns=list(METRICS))
        log[["total km", "km Z3-4", "km Z5-T1-T2", "km sprinting"]] = km
        log["nr. sessions"] = (km[:, 0] > 0).astype(float)
        log[PERCEIVED] = np.repeat(rating[:, None], len(PERCEIVED), axis=1)
        logs[athlete * 7] = log
    path = write(windows(logs), tmp_path_factory.mktemp("lovdal") / FILE)
    cohort = read_lovdal(path)

    got = read_km(cohort)
    want = expected_km({a: log[log["total km"] > 0] for a, log in logs.items()})
    pd.testing.assert_series_equal(got, want, check_names=False, check_index_type=False)
    # A day's first session carries its rating, the no-training mark read as missing.
    firsts = cohort.tables["training_log"].groupby(["athlete_id", "date"]).head(1)
    for row in firsts.itertuples():
        day = (row.date.date() - DEFAULT_ANCHOR).days
        rating = logs[int(row.athlete_id)].loc[day, "perceived exertion"]
        assert pd.isna(row.perceived_exertion) if rating == NO_TRAINING else row.perceived_exertion == rating
    assert cohort.manifest["counts"]["days"] == sum(len(log) for log in logs.values())
    assert cohort.manifest["counts"]["sessions"] == len(want)
    assert all(
        r["missing_days"] == 0 and r["window_disagreements"] == {}
        for r in cohort.manifest["runners"].values()
    )


def test_a_header_whose_names_are_shuffled_over_the_data_is_refused(tmp_path, logs):
    # The names in another order than the data (not the columns reordered): each day's copies in
    # consecutive rows then disagree, which a file with its names in place never does.
    rows = windows(logs)
    renamed = rows.rename(columns={"total km.3": "km Z3-4.3", "km Z3-4.3": "total km.3"})
    with pytest.raises(InputError) as error:
        read_lovdal(write(renamed, tmp_path / FILE))
    assert_one_line(error, FILE, "disagree", "shuffled")
