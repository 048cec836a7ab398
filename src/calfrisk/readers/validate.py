"""What every reader hands back, and the checks every session passes.

A format reader turns one input into a :class:`Batch`: the running sessions it found (one
:class:`Session` each, already checked by :func:`check_session`), the activities it skipped and the
facts the user must be told. :func:`session_frame` turns sessions into the table of
:data:`calfrisk.schema.RUN_LOG_COLUMNS`.

Error messages name the place: ``activities.csv row 14, column 'Distance': ...`` for tables (rows are
numbered as a spreadsheet shows them, the header being row 1) and ``run.fit: ...`` for device files.

Exports and device files hold runs without a distance (0 or missing: manual entries, GPS switched
off, a treadmill without a foot pod). Their readers skip such runs (:func:`lacks_distance`) and
record them in :attr:`Batch.without_distance`: one such row would otherwise stop the whole read with
an error. In calfrisk's own CSV, written by hand, a distance of 0 or none stays an error.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from calfrisk.exceptions import InputError
from calfrisk.schema import RUN_LOG_COLUMNS, SESSION_TYPES

__all__ = [
    "FASTEST_PACE_MIN_PER_KM",
    "LONGEST_SESSION_KM",
    "LONGEST_SESSION_MIN",
    "Batch",
    "Session",
    "check_session",
    "lacks_distance",
    "location",
    "session_frame",
    "without_distance_note",
]

#: A pace faster than this (min/km) is a unit or data error, not a run (the men's mile record is 2:23).
FASTEST_PACE_MIN_PER_KM = 2.0
#: A single session longer than this (km) is a data error (multi-day races are logged per day).
LONGEST_SESSION_KM = 300.0
#: A single session longer than this (minutes, 100 hours) is a data error.
LONGEST_SESSION_MIN = 6000.0


@dataclass(slots=True)
class Session:
    """One running session as a reader found it.

    Attributes
    ----------
    start_time : datetime
        Naive. Local wall-clock time when ``local`` is true, else UTC; midnight when ``timed`` is false.
    distance_km, duration_min : float
        Distance and moving time (elapsed time when the source has no other); NaN when missing
        (which :func:`check_session` reports).
    elevation_gain_m, rpe : float or None
        Optional values; None when the source does not give them.
    session_type, shoe : str or None
        Optional labels; None when the source does not give them.
    source : str
        Where the row came from, e.g. ``'activities.csv row 12'`` or ``'run.fit'``.
    utc : datetime or None
        The start in UTC (naive) when the source says it, for matching the same run across inputs.
    local : bool
        ``start_time`` is local time.
    timed : bool
        The source gives a time of day (false for date-only rows).
    """

    start_time: dt.datetime
    distance_km: float
    duration_min: float
    source: str
    elevation_gain_m: float | None = None
    session_type: str | None = None
    shoe: str | None = None
    rpe: float | None = None
    utc: dt.datetime | None = None
    local: bool = True
    timed: bool = True


@dataclass
class Batch:
    """What one input yields.

    Attributes
    ----------
    name : str
        The input as named in messages (a path, or ``export.zip:activities.csv``).
    rank : int
        Preference when the same run appears in two inputs: lower wins (own CSV 0, exports 1,
        device files 2), so the row with the runner's own labels is kept whatever the input order.
    sessions : list of Session
        The running sessions, in file order.
    skipped : Counter
        Activity type → number of non-running activities skipped.
    notes : list of str
        Facts the user must be told (what was assumed).
    flags : set of str
        Facts shared by many files, summarised once across inputs: ``'utc'`` (start times kept in
        UTC), ``'no_sport'`` (no sport recorded, read as a run), ``'no_distance'`` (a run without
        a distance skipped).
    without_distance : list of str
        Where each running activity without a distance was found (``'activities.csv row 14'``,
        ``'run.fit'``); skipped, not in ``sessions``.
    """

    name: str
    rank: int
    sessions: list[Session] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    flags: set[str] = field(default_factory=set)
    without_distance: list[str] = field(default_factory=list)


def location(name: str, row: int | None = None, column: str | None = None) -> str:
    """``name``, ``name row 14`` or ``name row 14, column 'Distance'``: where a problem is."""
    where = name if row is None else f"{name} row {row}"
    return where if column is None else f"{where}, column '{column}'"


def lacks_distance(km: float | None) -> bool:
    """Whether a run's distance is missing (None or NaN) or exactly 0; negative is not (an error)."""
    return km is None or math.isnan(km) or km == 0


def without_distance_note(name: str, rows: list[int], limit: int = 10) -> str:
    """The note on a table's runs without a distance, listing the first ``limit`` rows.

    E.g. ``'activities.csv: 2 run(s) without a distance skipped (rows 14, 30)'``.
    """
    listed = ", ".join(str(r) for r in rows[:limit])
    more = f" and {len(rows) - limit} more" if len(rows) > limit else ""
    label = "row" if len(rows) == 1 else "rows"
    return f"{name}: {len(rows)} run(s) without a distance skipped ({label} {listed}{more})"


def _fail(where: str, columns: tuple[str | None, ...], message: str) -> InputError:
    named = [c for c in columns if c]
    if len(named) == 1:
        return InputError(f"{where}, column '{named[0]}': {message}")
    if named:
        return InputError(f"{where}, columns {' and '.join(repr(c) for c in named)}: {message}")
    return InputError(f"{where}: {message}")


def _pace(minutes_per_km: float) -> str:
    seconds = round(minutes_per_km * 60)
    return f"{seconds // 60}:{seconds % 60:02d}"


def check_session(
    session: Session,
    *,
    where: str,
    today: dt.date,
    columns: dict[str, str] | None = None,
) -> Session:
    """Check one session's values; return it unchanged.

    Parameters
    ----------
    session : Session
        The session.
    where : str
        Its place for messages: ``'activities.csv row 14'`` or ``'run.fit'``.
    today : date
        Sessions after this day are bad input (UTC start times get one day of slack: a late
        evening run in the Americas is tomorrow in UTC).
    columns : dict, optional
        Session field → the source column it came from, to name it in messages.

    Raises
    ------
    InputError
        A non-positive or implausible distance or duration, a pace faster than
        :data:`FASTEST_PACE_MIN_PER_KM`, a negative or impossible elevation gain, an RPE outside
        1-10, an unknown session type, or a date after ``today``.
    """
    col = (columns or {}).get
    km, minutes = session.distance_km, session.duration_min
    if math.isnan(km):
        raise _fail(where, (col("distance_km"),), "no distance given")
    if not (math.isfinite(km) and km > 0):
        raise _fail(where, (col("distance_km"),), f"distance must be positive, got {km:g} km")
    if km > LONGEST_SESSION_KM:
        raise _fail(
            where,
            (col("distance_km"),),
            f"{km:g} km is implausible for one session (over {LONGEST_SESSION_KM:g} km): check the units",
        )
    if math.isnan(minutes):
        raise _fail(where, (col("duration_min"),), "no duration given")
    if not (math.isfinite(minutes) and minutes > 0):
        raise _fail(where, (col("duration_min"),), f"duration must be positive, got {minutes:g} min")
    if minutes > LONGEST_SESSION_MIN:
        raise _fail(
            where,
            (col("duration_min"),),
            f"{minutes:g} min is implausible for one session (over {LONGEST_SESSION_MIN / 60:g} hours)",
        )
    if minutes / km < FASTEST_PACE_MIN_PER_KM:
        raise _fail(
            where,
            (col("distance_km"), col("duration_min")),
            f"{km:g} km in {minutes:g} min is a pace of {_pace(minutes / km)} min/km, faster than "
            f"{_pace(FASTEST_PACE_MIN_PER_KM)} min/km: check the distance and time units",
        )
    gain = session.elevation_gain_m
    if gain is not None:
        if not (math.isfinite(gain) and gain >= 0):
            raise _fail(where, (col("elevation_gain_m"),), f"elevation gain must be >= 0, got {gain:g} m")
        if gain > km * 1000:
            raise _fail(
                where,
                (col("elevation_gain_m"),),
                f"elevation gain {gain:g} m exceeds the distance run ({km:g} km): check the units",
            )
    if session.rpe is not None and not (1 <= session.rpe <= 10):
        raise _fail(where, (col("rpe"),), f"RPE must be between 1 and 10, got {session.rpe:g}")
    if session.session_type is not None and session.session_type not in SESSION_TYPES:
        raise _fail(
            where,
            (col("session_type"),),
            f"unknown session type {session.session_type!r} (use one of {', '.join(SESSION_TYPES)})",
        )
    latest = today if session.local else today + dt.timedelta(days=1)
    if session.start_time.date() > latest:
        raise _fail(
            where,
            (col("date"),),
            f"{session.start_time.date().isoformat()} is after today ({today.isoformat()})",
        )
    return session


def session_frame(sessions: list[Session]) -> pd.DataFrame:
    """The sessions as a :data:`~calfrisk.schema.RUN_LOG_COLUMNS` table, in the given order."""
    start = pd.Series(
        np.array([s.start_time for s in sessions], dtype="datetime64[ms]"), dtype="datetime64[ms]"
    )

    def floats(name: str) -> pd.Series:
        values = [getattr(s, name) for s in sessions]
        return pd.Series(np.array([np.nan if v is None else v for v in values], dtype=np.float64))

    def strings(name: str) -> pd.Series:
        return pd.Series([getattr(s, name) for s in sessions], dtype="string")

    table = pd.DataFrame(
        {
            "date": start.dt.floor("D"),
            "start_time": start,
            "distance_km": floats("distance_km"),
            "duration_min": floats("duration_min"),
            "elevation_gain_m": floats("elevation_gain_m"),
            "session_type": strings("session_type"),
            "shoe": strings("shoe"),
            "rpe": floats("rpe"),
            "source": strings("source"),
        }
    )
    return table[list(RUN_LOG_COLUMNS)]
