"""The public data set of Lövdal, Den Hartigh & Azzopardi (2021), day approach, as an imported cohort.

Lövdal SS, Den Hartigh RJR, Azzopardi G. "Injury prediction in competitive runners with machine
learning". *Int J Sports Physiol Perform* 16(10):1522-1531, 2021 (doi:10.1123/ijspp.2020-0518).
The data: "Replication Data for: Injury Prediction in Competitive Runners With Machine Learning",
DataverseNL, doi:10.34894/UWU9PV, CC0 1.0: 74 middle- and long-distance runners of a Dutch team
(27 women, 47 men), 2012-2019, daily training logs, two files. :func:`read_lovdal` reads the "day
approach" file, ``day_approach_maskedID_timeseries.csv``; the "week approach" file (weekly
aggregates, 3 weeks a row) cannot be turned back into days and is refused.

The format
----------
A CSV file with a header and 73 columns: ten metrics for each of seven days, then ``Athlete ID``
(a masked runner number), ``injury`` (0 or 1) and ``Date`` (a whole number of days). The metrics,
as the data set's README describes them:

=============================  ==================================================================
metric                         value
=============================  ==================================================================
``nr. sessions``               trainings completed that day
``total km``                   km run
``km Z3-4``                    km in intensity zones 3-4 (on or slightly above the threshold)
``km Z5-T1-T2``                km in zone 5 or intensive track intervals (T1 long, T2 short reps)
``km sprinting``               km of sprints
``strength training``          whether the day had a strength training (0/1)
``hours alternative``          hours of cross-training
``perceived exertion``         the athlete's rating of the day's main session; -0.01 on a rest day
``perceived trainingSuccess``  how well the session went; -0.01 on a rest day
``perceived recovery``         how rested the athlete felt before the session; -0.01 on a rest day
=============================  ==================================================================

The unsuffixed block is the oldest of the seven days, the blocks suffixed ``.1`` to ``.6`` the
following days, ``.6`` the newest (so ``total km.6``). Column names must be exactly these (case and
spaces as in the published file); their order does not matter. Every cell holds a number.

How the file is read, and on what evidence
------------------------------------------
Sources read: the authors' README (v2, 2024-04-19, which corrects v1), as copied beside the data in
public repositories; the paper's abstract; the first rows of the published file (its exact header,
and rows whose days slide by one block from one ``Date`` to the next: row(t) block k equals
row(t-1) block k+1); two independent public analyses of the file, one of which quotes the paper's
Methods. The paper's full text was not available; what rests on quotations of it is marked so.

- **Which days a row covers** (confirmed by the README). ``Date`` is the *event day*, "relative to
  the first record in the data set" (one day count for all runners), and the seven blocks are the
  seven days *before* it: ``.6`` is "the day before the event day", the unsuffixed block "seven days
  before the event day". A row with ``Date`` t covers days t-7 to t-1 (:data:`NEWEST_DAY_OFFSET`);
  ``Date`` is *not* the newest day of its window. The README says the paper's first version stated
  the order of the day suffixes the other way round; the README's order is the one the data follow.
- **Which day the injury flag refers to** (confirmed by the README). The flag says whether "this
  training setup resulted in an injury": an injury on the event day, ``Date``
  (:data:`INJURY_DAY_OFFSET`), the day after the window. The file does not give that day's training.
- **What an injury is** (partly confirmed). A running injury of any kind as the team's training
  logs recorded it: nothing in the data set or the abstract restricts it to a body part, so these
  are *not* calf strains (``manifest["outcome"]`` is ``"running injury"``). Each flagged row is
  one injury event, i.e. an onset: the Methods, as one analysis quotes them, took a healthy event
  only where "the athlete is fully fit 3 weeks before and 3 weeks after"; the analyses count 583
  flagged rows as 583 separate events, one finding each runner's previous row at least 22 days
  before a flagged one. So the days of an injury and of the return to training have no rows and are
  not in the log. Not confirmed: the paper's exact injury definition (time lost, a diagnosis or the
  athlete's report) and its layoffs: ``grade`` and ``layoff_days`` stay missing. Should two flagged
  event days of a runner follow each other within :data:`ONSET_GAP_DAYS`, they are read as one
  injury (the first day is its onset).
- **Dates** (a choice). The file has no calendar dates, only the day count; day ``d`` becomes
  ``start + d days`` with ``start`` (the day of ``Date`` 0) :data:`DEFAULT_ANCHOR` unless given.
  Weekdays and seasons are therefore not real; the manifest says so and records the anchor.

How the cohort is built
-----------------------
Each runner's daily log is rebuilt once from the overlapping rows: a day appears in up to seven rows
(as block ``.6`` of the row whose event is the next day, ``.5`` of the one after, ...). Where copies
of a day disagree, the copy from the row in which the day is newest (its ``.6`` block, the row with
the smallest ``Date``) is kept, and the days that disagree are counted per runner and metric
(``manifest["runners"][id]["window_disagreements"]``, one note per metric). Days no row covers
(the ``Date`` sequence skips days) are missing, not rest: nothing is invented, and each runner's
count is in the manifest.

``training_log``: per day with running (``total km`` > 0) up to three sessions: ``km Z3-4`` as
``tempo``, ``km Z5-T1-T2`` plus ``km sprinting`` as ``intervals``, the rest of ``total km`` as
``easy`` (never negative: a day whose zone km exceed its total gets no easy session, keeps its zone
km as given, and is counted in a note). Distances are rounded to 0.01 km; ``duration_min`` and
``elevation_gain_m`` are missing (the file has neither); ``shoe_id`` is 0. The day's other metrics
are kept on its first session (the easy one when there is one) as ``n_sessions``,
``strength_training``, ``hours_alternative``, ``perceived_exertion``,
``perceived_training_success``, ``perceived_recovery``, a rating of -0.01 read as missing. Days
without running km (rest, or only strength or cross-training, counted in a note) have no session.
``injuries``: one onset per injury. ``athletes``: one row per ``Athlete ID`` (as text, ``"0"``,
``"1"``, ...), every profile value missing. ``shoes``: empty.

A caution for models: the file holds the 7 days before each event, not whole seasons, and (as the
paper's Methods are quoted) a healthy event only where the runner was fit 3 weeks before and after
it, so the weeks before an injury are mostly absent from the rebuilt log. Features over more than 7
days (calfrisk's 28-day loads) can then tell injuries by the gap alone; a note gives the median
number of the 28 days before injuries, and before healthy event days, that the log has.

Bad input raises :class:`~calfrisk.exceptions.InputError` with one line naming the file, and the
row (its line in the file, the header being row 1) and column where there is one: a missing,
unknown or repeated column (the header is checked before any row is read), a week-approach file, a
cell that is not a number, a negative value (but a perceived rating's -0.01), an ``injury`` other
than 0 or 1, a ``Date`` or ``Athlete ID`` that is not a whole number, a runner's ``Date`` given
twice.

Examples
--------
One row: athlete 7 rested for six days, ran 8 km (2 of them in Z3-4) on the seventh, and was
injured the day after (``Date`` 30).

>>> import csv, pathlib, tempfile
>>> rest = [0, 0, 0, 0, 0, 0, 0, -0.01, -0.01, -0.01]
>>> run = [1, 8.0, 2.0, 0, 0, 0, 0, 0.11, 0.0, 0.17]
>>> path = pathlib.Path(tempfile.mkdtemp()) / "day_approach_maskedID_timeseries.csv"
>>> with path.open("w", newline="") as file:
...     csv.writer(file).writerows([DAY_COLUMNS, [*rest * 6, *run, 7, 1, 30]])
>>> cohort = read_lovdal(path)
>>> log = cohort.tables["training_log"]
>>> log[["athlete_id", "date", "distance_km", "session_type", "perceived_exertion"]]
  athlete_id       date  distance_km session_type  perceived_exertion
0          7 2012-01-30          6.0         easy                0.11
1          7 2012-01-30          2.0        tempo                <NA>
>>> cohort.tables["injuries"][["athlete_id", "date"]]
  athlete_id       date
0          7 2012-01-31
>>> cohort.manifest["outcome"], cohort.manifest["counts"]
('running injury', {'runners': 1, 'days': 7, 'sessions': 2, 'injuries': 1})
"""

from __future__ import annotations

import csv
import datetime as dt
import difflib
import re
from pathlib import Path

import numpy as np
import pandas as pd

from calfrisk.exceptions import InputError, ParameterError
from calfrisk.ingest.cohort import ImportedCohort, imported_tables

__all__ = [
    "DAY_COLUMNS",
    "DEFAULT_ANCHOR",
    "EXTRA_COLUMNS",
    "INJURY_DAY_OFFSET",
    "METRICS",
    "NEWEST_DAY_OFFSET",
    "NO_TRAINING",
    "ONSET_GAP_DAYS",
    "read_lovdal",
]

#: The ten daily metrics, in the file's order within a day's block.
METRICS: tuple[str, ...] = (
    "nr. sessions",
    "total km",
    "km Z3-4",
    "km Z5-T1-T2",
    "km sprinting",
    "strength training",
    "hours alternative",
    "perceived exertion",
    "perceived trainingSuccess",
    "perceived recovery",
)
#: Day blocks' suffixes, oldest day first: ``""`` is seven days before the event day, ``".6"`` the day
#: before it.
SUFFIXES: tuple[str, ...] = ("", ".1", ".2", ".3", ".4", ".5", ".6")
_IDS = ("Athlete ID", "injury", "Date")
#: The day-approach file's 73 columns, in the published order.
DAY_COLUMNS: tuple[str, ...] = (*(m + s for s in SUFFIXES for m in METRICS), *_IDS)
#: The metrics kept on a day's first session, by their column names in ``training_log``.
EXTRA_COLUMNS: dict[str, str] = {
    "nr. sessions": "n_sessions",
    "strength training": "strength_training",
    "hours alternative": "hours_alternative",
    "perceived exertion": "perceived_exertion",
    "perceived trainingSuccess": "perceived_training_success",
    "perceived recovery": "perceived_recovery",
}

#: The newest day of a row's window is ``Date`` plus this: the README's block ``.6`` is "the day before
#: the event day" and ``Date`` "indicates the event day".
NEWEST_DAY_OFFSET: int = -1
#: A flagged row's injury happens on ``Date`` plus this: the event day, the day after the window.
INJURY_DAY_OFFSET: int = 0
#: Flagged event days of a runner at most this many days apart are one injury, its onset the first.
#: The paper's rows are separate events, so this should merge nothing in the published file.
ONSET_GAP_DAYS: int = 1
#: The perceived ratings' mark for a day without training; read as missing.
NO_TRAINING: float = -0.01
#: The calendar day given to ``Date`` 0 by default: the data set begins in 2012, on a day it does not
#: publish.
DEFAULT_ANCHOR: dt.date = dt.date(2012, 1, 1)

_DAYS = len(SUFFIXES)
_HISTORY = 28  # the days before a scored day that calfrisk's chronic-load features read
_KM = ("total km", "km Z3-4", "km Z5-T1-T2", "km sprinting")
_PERCEIVED = ("perceived exertion", "perceived trainingSuccess", "perceived recovery")
_TOL = 1e-9  # copies of a day are numbers read from text: equal to far below the file's 0.01
_SUFFIX = re.compile(r"^(.*?)(?:\.(\d+))?$")
#: Column names of the week-approach file (without their week suffix), none of them a day-approach name.
_WEEK_NAMES = frozenset(
    {
        "nr. rest days",
        "total kms",
        "max km one day",
        "total km Z3-Z4-Z5-T1-T2",
        "nr. tough sessions (effort in Z5, T1 or T2)",
        "nr. days with interval session",
        "total km Z3-4",
        "max km Z3-4 one day",
        "total km Z5-T1-T2",
        "max km Z5-T1-T2 one day",
        "total hours alternative training",
        "nr. strength trainings",
        "avg exertion",
        "min exertion",
        "max exertion",
        "avg training success",
        "min training success",
        "max training success",
        "avg recovery",
        "min recovery",
        "max recovery",
    }
)


def _where(path: Path, line: int, column: str) -> str:
    return f"{path} row {line}, column '{column}'"


def _base(name: str) -> str:
    """A column's metric: its name without the day (or week) suffix."""
    match = _SUFFIX.fullmatch(name)
    return match.group(1) if match else name


def _looks_weekly(header: list[str]) -> bool:
    bases = [_base(name.strip()) for name in header]
    # Several weekly names, not one typo, make a week file; "week" only appears in its column names.
    return sum(base in _WEEK_NAMES for base in bases) >= 3 or any("week" in n.casefold() for n in header)


def _check_header(path: Path) -> list[str]:
    """The header, checked against :data:`DAY_COLUMNS` before any row is read."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as file:
            header = next(csv.reader(file), None)
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    if not header:
        raise InputError(f"{path}: empty (no header)")
    expected = set(DAY_COLUMNS)
    if set(header) != expected and _looks_weekly(header):
        raise InputError(
            f"{path}: a week-approach file: only the day-approach file "
            "(day_approach_maskedID_timeseries.csv) is supported"
        )
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise InputError(f"{path}: column {name!r} appears twice")
        seen.add(name)
    missing = [c for c in DAY_COLUMNS if c not in seen]
    unknown = [name for name in header if name not in expected]
    if unknown:
        described = []
        for name in unknown:
            close = difflib.get_close_matches(name, missing or DAY_COLUMNS, n=1, cutoff=0.6)
            described.append(f"{name!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise InputError(
            f"{path}: unknown column(s) {', '.join(described)}; a day-approach file has the 73 columns "
            "of calfrisk.ingest.lovdal.DAY_COLUMNS"
        )
    if missing:
        shown = ", ".join(repr(c) for c in missing[:5]) + (
            f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        )
        raise InputError(f"{path}: missing column(s) {shown}")
    return header


def _first_bad_cell(path: Path) -> InputError:
    """The error naming the first cell (in row, then column order) that is not a finite number."""
    text = pd.read_csv(
        path, dtype=str, keep_default_na=False, skip_blank_lines=False, encoding="utf-8-sig"
    ).fillna("")
    cells = text.to_numpy(dtype=object)
    blank = (cells == "").all(axis=1)
    parsed = np.column_stack([pd.to_numeric(text[c], errors="coerce").to_numpy(float) for c in text.columns])
    bad = ~np.isfinite(parsed) & ~blank[:, None]
    row, column = np.unravel_index(int(np.argmax(bad)), bad.shape)
    if not bad[row, column]:  # the two parsers disagree on some cell: no place to name
        return InputError(f"{path}: cells that are not numbers")
    cell = str(cells[row, column]).strip()
    reason = "empty" if not cell else f"{cell!r} is not a number"
    return InputError(f"{_where(path, int(row) + 2, str(text.columns[column]))}: {reason}")


def _read_numbers(path: Path) -> pd.DataFrame:
    """Every cell as a float; the index is the row's line in the file minus 2."""
    try:
        frame = pd.read_csv(path, dtype="float64", skip_blank_lines=False, encoding="utf-8-sig")
    except pd.errors.ParserError as exc:
        raise InputError(f"{path}: not a CSV table ({str(exc).strip().splitlines()[-1]})") from None
    except ValueError:
        raise _first_bad_cell(path) from None
    # A blank line is a row of NaN here; dropping it keeps the other rows' line numbers.
    frame = frame[frame.notna().any(axis=1)]
    if not np.isfinite(frame.to_numpy()).all():
        raise _first_bad_cell(path)
    if frame.empty:
        raise InputError(f"{path}: a header but no rows")
    return frame


def _first(bad: np.ndarray, frame: pd.DataFrame, columns: list[str]) -> tuple[int, str, float] | None:
    """(line, column, value) of the first True of ``bad`` (rows x ``columns``), or None."""
    if not bad.any():
        return None
    row, j = np.unravel_index(int(np.argmax(bad)), bad.shape)
    return int(frame.index[row]) + 2, columns[j], float(frame[columns[j]].iloc[row])


def _check_values(frame: pd.DataFrame, path: Path) -> None:
    """Whole-number ids and days, 0/1 flags, no negative metric but the perceived ratings' mark."""
    ids = list(_IDS)
    values = frame[ids].to_numpy()
    found = _first(values != np.round(values), frame, ids)
    if found:
        line, column, value = found
        raise InputError(f"{_where(path, line, column)}: {value:g} is not a whole number")
    found = _first(~np.isin(frame[["injury"]].to_numpy(), (0.0, 1.0)), frame, ["injury"])
    if found:
        line, column, value = found
        raise InputError(f"{_where(path, line, column)}: {value:g} is not 0 or 1")
    for names, unit in (
        ([c for c in DAY_COLUMNS if _base(c) in _KM], " km"),
        ([c for c in DAY_COLUMNS[: -len(_IDS)] if _base(c) not in _PERCEIVED], ""),
    ):
        found = _first(frame[names].to_numpy() < 0, frame, names)
        if found:
            line, column, value = found
            raise InputError(f"{_where(path, line, column)}: {value:g}{unit} is negative")
    perceived = [c for c in DAY_COLUMNS if _base(c) in _PERCEIVED]
    values = frame[perceived].to_numpy()
    found = _first((values < 0) & (np.abs(values - NO_TRAINING) > _TOL), frame, perceived)
    if found:
        line, column, value = found
        raise InputError(
            f"{_where(path, line, column)}: {value:g} is negative and not {NO_TRAINING:g}, "
            "the file's mark for a day without training"
        )
    duplicated = frame.duplicated(["Athlete ID", "Date"]).to_numpy()
    if duplicated.any():
        row = int(np.argmax(duplicated))
        athlete, date = frame["Athlete ID"].iloc[row], frame["Date"].iloc[row]
        same = (frame["Athlete ID"] == athlete) & (frame["Date"] == date)
        first = int(frame.index[int(np.argmax(same.to_numpy()))]) + 2
        raise InputError(
            f"{_where(path, int(frame.index[row]) + 2, 'Date')}: athlete {athlete:g} has Date {date:g} "
            f"already on row {first}"
        )


def _rebuild_days(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Each runner's days, once: the copy from the row where the day is newest, and which days disagree.

    Returns
    -------
    days : DataFrame
        ``athlete`` (int), ``day`` (the day count), and the ten :data:`METRICS` as given.
    disagree : ndarray of bool, shape (days, 10)
        Whether the day's copies of a metric differ (from the kept one).
    """
    n = len(frame)
    values = (
        frame[[m + s for s in SUFFIXES for m in METRICS]].to_numpy(float).reshape(n * _DAYS, len(METRICS))
    )
    block = np.tile(np.arange(_DAYS), n)
    athlete = np.repeat(frame["Athlete ID"].to_numpy(np.int64), _DAYS)
    # Block k of a row with Date t is day t + NEWEST_DAY_OFFSET - (6 - k).
    day = np.repeat(frame["Date"].to_numpy(np.int64), _DAYS) + NEWEST_DAY_OFFSET - (_DAYS - 1 - block)
    order = np.lexsort((block, day, athlete))
    athlete, day, values = athlete[order], day[order], values[order]
    starts = np.flatnonzero(np.r_[True, (athlete[1:] != athlete[:-1]) | (day[1:] != day[:-1])])
    newest = np.r_[starts[1:], len(day)] - 1  # sorted by block within a day: the last copy is the newest
    kept = values[newest]
    copy_of = np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(day)]))
    disagree = np.logical_or.reduceat(np.abs(values - kept[copy_of]) > _TOL, starts, axis=0)
    days = pd.DataFrame(kept, columns=list(METRICS))
    days.insert(0, "day", day[starts])
    days.insert(0, "athlete", athlete[starts])
    days["copies"] = np.diff(np.r_[starts, len(day)])
    return days, disagree


def _sessions(days: pd.DataFrame, dates: np.ndarray) -> tuple[pd.DataFrame, dict[str, np.ndarray], int]:
    """The training log's rows, per-day flags for the notes, and the ratings of -0.01 made missing."""
    total = days["total km"].to_numpy()
    tempo = days["km Z3-4"].to_numpy()
    intervals = days["km Z5-T1-T2"].to_numpy() + days["km sprinting"].to_numpy()
    running = total > 0
    exceed = running & (tempo + intervals > total + _TOL)
    easy = np.maximum(total - tempo - intervals, 0.0)
    km = np.round(np.column_stack([easy, tempo, intervals]), 2)
    has = running[:, None] & (km > 0)
    day_of, kind = np.nonzero(has)  # row-major: a day's sessions in the order easy, tempo, intervals
    first = np.r_[True, day_of[1:] != day_of[:-1]] if len(day_of) else np.zeros(0, bool)
    log = pd.DataFrame(
        {
            "athlete_id": days["athlete"].to_numpy()[day_of].astype(str),
            "date": dates[day_of],
            "distance_km": km[day_of, kind],
            "duration_min": np.nan,
            "elevation_gain_m": np.nan,
            "session_type": np.array(["easy", "tempo", "intervals"])[kind],
            "shoe_id": 0,
        }
    )
    marks = 0
    for metric, column in EXTRA_COLUMNS.items():
        value = days[metric].to_numpy()[day_of]
        if metric in _PERCEIVED:
            mark = np.abs(value - NO_TRAINING) <= _TOL
            marks += int((mark & first).sum())
            value = np.where(mark, np.nan, value)
        log[column] = pd.array(np.where(first, value, np.nan), dtype="Float64")
    other = days["nr. sessions"].gt(0) | days["strength training"].gt(0) | days["hours alternative"].gt(0)
    flags = {
        "exceed": exceed,
        "zones_without_total": ~running & (tempo + intervals > _TOL),
        "other_only": ~running & other.to_numpy(),
    }
    return log, flags, marks


def _onsets(frame: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """One row per injury, and how many flagged rows were merged into an earlier one.

    A flagged event day within :data:`ONSET_GAP_DAYS` of the runner's previous flagged day continues
    that injury; the onset is the first day of the run.
    """
    flagged = frame.loc[frame["injury"] == 1, ["Athlete ID", "Date"]].astype(np.int64)
    flagged = flagged.sort_values(["Athlete ID", "Date"])
    athlete = flagged["Athlete ID"].to_numpy()
    day = flagged["Date"].to_numpy() + INJURY_DAY_OFFSET
    new = (
        np.r_[True, (athlete[1:] != athlete[:-1]) | (np.diff(day) > ONSET_GAP_DAYS)]
        if len(day)
        else np.zeros(0, bool)
    )
    return pd.DataFrame({"athlete": athlete[new], "day": day[new]}), int((~new).sum())


def _logged_before(days: pd.DataFrame, athlete: np.ndarray, day: np.ndarray) -> np.ndarray:
    """How many of the :data:`_HISTORY` days before each (athlete, day) the rebuilt log has."""
    # days is sorted by athlete, then day: one sorted key, and a window is a difference of two searches.
    span = np.int64(10**7)
    keys = days["athlete"].to_numpy(np.int64) * span + days["day"].to_numpy(np.int64)
    query = athlete.astype(np.int64) * span + day.astype(np.int64)
    return np.searchsorted(keys, query) - np.searchsorted(keys, query - _HISTORY)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" + ("" if count == 1 else "s")


def _per_runner(
    frame: pd.DataFrame,
    days: pd.DataFrame,
    disagree: np.ndarray,
    flags: dict[str, np.ndarray],
    log: pd.DataFrame,
    onsets: pd.DataFrame,
    ids: np.ndarray,
    start: dt.date,
) -> tuple[dict[str, object], pd.DataFrame, pd.DataFrame]:
    """Each runner's figures for the manifest; the days per runner and the disagreements per metric."""
    # Groupbys over days, not loops over rows.
    by_day = pd.DataFrame({"athlete": days["athlete"], "day": days["day"], "exceed": flags["exceed"]})
    per_day = by_day.groupby("athlete").agg(
        first=("day", "min"), last=("day", "max"), logged=("day", "size"), exceed=("exceed", "sum")
    )
    per_day["missing"] = per_day["last"] - per_day["first"] + 1 - per_day["logged"]
    disagreements = pd.DataFrame(disagree, columns=list(METRICS)).groupby(days["athlete"].to_numpy()).sum()
    rows = frame.groupby(frame["Athlete ID"].astype(np.int64)).size()
    sessions = log.groupby("athlete_id").size()
    injured = onsets.groupby("athlete").size()

    def iso(day: int) -> str:
        return (start + dt.timedelta(days=int(day))).isoformat()

    runners: dict[str, object] = {}
    for athlete in ids:
        key, figures = str(athlete), per_day.loc[athlete]
        runners[key] = {
            "rows": int(rows.get(athlete, 0)),
            "first_day": iso(figures["first"]),
            "last_day": iso(figures["last"]),
            "days_logged": int(figures["logged"]),
            "missing_days": int(figures["missing"]),
            "sessions": int(sessions.get(key, 0)),
            "injuries": int(injured.get(athlete, 0)),
            "window_disagreements": {m: int(c) for m, c in disagreements.loc[athlete].items() if c},
            "zones_exceed_total_days": int(figures["exceed"]),
        }

    return runners, per_day, disagreements


def _notes(
    frame: pd.DataFrame,
    days: pd.DataFrame,
    ids: np.ndarray,
    start: dt.date,
    disagree: np.ndarray,
    disagreements: pd.DataFrame,
    per_day: pd.DataFrame,
    flags: dict[str, np.ndarray],
    marks: int,
    onsets: pd.DataFrame,
    merged: int,
) -> list[str]:
    """The manifest's notes: what the rebuilt log is, and everything read in a way worth saying."""
    notes = [
        f"Each of the file's {len(frame)} rows holds a runner's 7 days before its event day (Date); the "
        f"days were rebuilt once from the overlapping rows: {len(days)} days of {len(ids)} runners.",
        f"The file gives no calendar dates: day counts were placed from the anchor {start.isoformat()} "
        "(Date 0), so weekdays and seasons are not real.",
        "These injuries are running injuries of any kind, as the data set's authors recorded them, not "
        "calf strains: a model trained on them predicts running injury, not calf strain.",
        "An injury's date is its row's event day (Date), the day after its 7 days; the file does not give "
        "that day's training, and the days of the injury and the return to training have no rows.",
    ]
    counted = disagree.sum(axis=0)
    for j, metric in enumerate(METRICS):
        if counted[j]:
            runners_with = int((disagreements[metric] > 0).sum())
            notes.append(
                f"Overlapping rows disagree on {_plural(int(counted[j]), 'day')} of "
                f"{_plural(runners_with, 'runner')} in '{metric}': the copy from the row where the day is "
                "newest (its .6 block) was kept."
            )
    if not counted.any():
        notes.append("Overlapping rows agree on every day.")
    missing, gappy = int(per_day["missing"].sum()), int((per_day["missing"] > 0).sum())
    exceed, other_only = int(flags["exceed"].sum()), int(flags["other_only"].sum())
    if missing:
        notes.append(
            f"{_plural(missing, 'day')} inside the logs of {_plural(gappy, 'runner')} "
            "are covered by no row (the Date sequence skips them): left missing, not read as rest."
        )
    if exceed:
        notes.append(
            f"On {_plural(exceed, 'day')} the zone km (Z3-4 + Z5-T1-T2 + sprinting) exceed "
            "the total km: no easy session, the zone km kept as given, so those days' sessions add up to "
            "more than the file's total."
        )
    if flags["zones_without_total"].any():
        notes.append(
            f"{_plural(int(flags['zones_without_total'].sum()), 'day')} give zone km but 0 total km: no "
            "session (the total is taken as the truth)."
        )
    if other_only:
        notes.append(
            f"{_plural(other_only, 'day')} with strength or cross-training but no running "
            "km are rest days for running (no session; their ratings are not kept)."
        )
    if marks:
        notes.append(
            f"{_plural(marks, 'perceived rating')} of {NO_TRAINING:g} (the mark of no training) on days with "
            "running read as missing."
        )
    if len(onsets):
        healthy = frame["injury"].to_numpy() == 0
        onset_history = np.median(
            _logged_before(days, onsets["athlete"].to_numpy(), onsets["day"].to_numpy())
        )
        healthy_history = np.median(
            _logged_before(days, frame["Athlete ID"].to_numpy()[healthy], frame["Date"].to_numpy()[healthy])
            if healthy.any()
            else [np.nan]
        )
        notes.append(
            f"Of the {_HISTORY} days before an injury the rebuilt log has a median of {onset_history:g} "
            f"(before the file's healthy event days: {healthy_history:g})."
        )
        if onset_history < healthy_history:
            notes.append(
                "Fewer days are logged before injuries than before healthy event days (the data set's "
                "authors took a healthy event only where the runner was fit 3 weeks before and after it, "
                "as the paper's Methods are quoted): features reaching back past a row's 7 days can tell "
                "injuries by that gap alone."
            )
    if merged:
        notes.append(
            f"{_plural(merged, 'flagged event day')} within {ONSET_GAP_DAYS} day(s) of a runner's previous "
            "one merged into its injury (one onset each)."
        )
    notes.append(
        "Sessions: each running day's km split into easy (the total minus the zone km), tempo (Z3-4) and "
        "intervals (Z5-T1-T2 + sprinting); duration and climbing are not in the file (missing); shoe 0."
    )
    return notes


#: The share of a metric's days seen in several rows that may disagree before the file is refused:
#: windows that disagree that often are columns out of place (a shuffled or mislabelled header).
MAX_DISAGREEMENT = 0.2


def _check_agreement(days: pd.DataFrame, disagree: np.ndarray, path: Path) -> None:
    """Refuse a file whose overlapping windows disagree on most days: its columns are out of place."""
    several = days["copies"].to_numpy() > 1
    if several.sum() < 20:  # too few days seen twice to tell
        return
    share = disagree[several].mean(axis=0)
    worst = int(np.argmax(share))
    if share[worst] > MAX_DISAGREEMENT:
        raise InputError(
            f"{path}: the overlapping 7-day blocks disagree on {share[worst]:.0%} of the days of "
            f"'{METRICS[worst]}' (a day's copies in consecutive rows should be equal): columns shuffled "
            "or mislabelled?"
        )


def read_lovdal(path: str | Path, *, start: dt.date = DEFAULT_ANCHOR) -> ImportedCohort:
    """Read the day-approach file of Lövdal et al. (2021) as an imported cohort.

    See the module docstring for the format, the reading of the data set, and the tables made.

    Parameters
    ----------
    path : str or Path
        ``day_approach_maskedID_timeseries.csv`` (any name).
    start : date, default :data:`DEFAULT_ANCHOR`
        The calendar day of ``Date`` 0. The file gives no dates, so this only places the days.

    Returns
    -------
    ImportedCohort
        Tables in their stored types (:func:`~calfrisk.ingest.cohort.imported_tables`) and the
        manifest: ``source`` (format, file name, anchor), ``outcome`` ``"running injury"``,
        ``runners`` (per runner: rows, first and last day, days logged and missing, sessions,
        injuries, window disagreements by metric, days whose zones exceed the total), ``skipped``
        (empty), ``notes``, ``counts``.

    Raises
    ------
    InputError
        A missing file; a missing, unknown or repeated column; a week-approach file; a cell that is
        not a number; a negative value (a perceived rating's -0.01 aside); an ``injury`` other than
        0/1; a ``Date`` or ``Athlete ID`` that is not whole; a runner's ``Date`` given twice. The
        message is one line naming the file, and the row (line in the file, header = row 1) and
        column where there is one.
    ParameterError
        If ``start`` is not a date.
    """
    path = Path(path)
    if isinstance(start, dt.datetime):
        start = start.date()
    if not isinstance(start, dt.date):
        raise ParameterError("start", start, "not a date (the calendar day of Date 0)")
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    _check_header(path)
    frame = _read_numbers(path)
    _check_values(frame, path)

    days, disagree = _rebuild_days(frame)
    _check_agreement(days, disagree, path)
    dates = np.datetime64(start, "D") + days["day"].to_numpy().astype("timedelta64[D]")
    log, flags, marks = _sessions(days, dates)
    onsets, merged = _onsets(frame)
    onset_dates = np.datetime64(start, "D") + onsets["day"].to_numpy().astype("timedelta64[D]")
    injuries = pd.DataFrame({"athlete_id": onsets["athlete"].astype(str), "date": onset_dates})
    ids = np.unique(frame["Athlete ID"].to_numpy(np.int64))
    # The days the rows cover: a day between them is missing, neither rest nor scored.
    seen = pd.DataFrame({"athlete_id": days["athlete"].astype(str).to_numpy(), "date": dates})
    people = pd.DataFrame({"athlete_id": ids.astype(str)})
    tables = imported_tables(people, log, injuries, pd.DataFrame(), days=seen)

    runners, per_day, disagreements = _per_runner(frame, days, disagree, flags, log, onsets, ids, start)
    notes = _notes(frame, days, ids, start, disagree, disagreements, per_day, flags, marks, onsets, merged)
    manifest = {
        "source": {"format": "lovdal-day-approach", "file": path.name, "anchor": start.isoformat()},
        "outcome": "running injury",
        "runners": runners,
        "skipped": {},
        "notes": notes,
        "counts": {
            "runners": len(ids),
            "days": len(days),
            "sessions": len(tables["training_log"]),
            "injuries": len(tables["injuries"]),
        },
    }
    return ImportedCohort(tables, manifest)
