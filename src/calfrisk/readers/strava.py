"""Strava bulk export: ``activities.csv`` (alone, in the unpacked export folder, or in the zip).

What the reader relies on (see ``formats.md``):

- Columns are found by name, never by position, in the three header styles seen: English
  (``Activity ID``, ``Activity Date``, ``Activity Type``, ``Distance``, ``Moving Time``,
  ``Elapsed Time``, ``Elevation Gain``, ``Activity Gear``/``Gear``, ``Perceived Exertion``), German
  (``Aktivitäts-ID``, ``Aktivitätsdatum``, ``Aktivitätsart``, ``Distanz``, ``Bewegungszeit``,
  ``Verstrichene Zeit``, ``Höhenzunahme``, ``Aktivitätsausrüstung``) and the lower-case exports
  made before mid-2019 (``id,date,name,type,description,elapsed_time,distance,...``, distance in
  metres, no moving time).
- ``Distance`` appears twice: display km rounded to 2 decimals, then metres. The metres are used and
  checked against the first (≈ 1000 x, or ≈ 1609 x when the account displays miles). With a single
  ``Distance`` column its unit is told from distance against time (metres per second and km per
  second differ a thousandfold), and a note says so.
- ``Activity Date`` is UTC in any of ``May 29, 2022, 3:53:35 PM``, ``2018-09-12 15:02:23``,
  ``29.05.2022, 15:53:35`` or ``29. Mai 2022, 15:53:35``; times stay in UTC (no zone is guessed)
  and a note says so, unless the runner names their zone (:mod:`calfrisk.readers.zone`).
- Only runs count (``Run``, ``Trail Run``, ``Virtual Run``, German ``Lauf``, ``Trailrun``,
  ``Virtueller Lauf``); other types are counted as skipped. Moving time is preferred over elapsed.
- Manual entries and runs recorded with GPS off have a distance of 0 (or none): they are skipped and
  one note lists their rows. A negative distance is still an error.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import statistics
from dataclasses import dataclass

from calfrisk.exceptions import InputError
from calfrisk.readers.tabular import Table, parse_number, read_table
from calfrisk.readers.validate import (
    Batch,
    Session,
    check_session,
    lacks_distance,
    location,
    without_distance_note,
)

__all__ = ["RUN_TYPES", "looks_like_strava", "parse_strava_date", "read_strava"]

#: Strava activity types that are runs (compared case-insensitively).
RUN_TYPES = frozenset(
    {"run", "trail run", "trailrun", "virtual run", "virtualrun", "lauf", "virtueller lauf", "trail-lauf"}
)

_ID = ("Activity ID", "Aktivitäts-ID", "id")
_DATE = ("Activity Date", "Aktivitätsdatum", "date")
_TYPE = ("Activity Type", "Aktivitätsart", "type")
_DISTANCE = ("Distance", "Distanz", "distance")
_MOVING = ("Moving Time", "Bewegungszeit", "moving_time")
_ELAPSED = ("Elapsed Time", "Verstrichene Zeit", "elapsed_time")
_ELEVATION = ("Elevation Gain", "Höhenzunahme", "elevation_gain")
_GEAR = ("Activity Gear", "Aktivitätsausrüstung", "Gear", "Ausrüstung", "gear")
_RPE = ("Perceived Exertion",)

_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january",),
            ("february", "februar"),
            ("march", "märz", "maerz", "mrz"),
            ("april",),
            ("may", "mai"),
            ("june", "juni"),
            ("july", "juli"),
            ("august",),
            ("september", "sept"),
            ("october", "oktober"),
            ("november",),
            ("december", "dezember"),
        ],
        start=1,
    )
    for name in names
}
_ENGLISH = re.compile(r"([^\W\d]+)\.? (\d{1,2}), (\d{4}),? (\d{1,2}):(\d{2}):(\d{2}) ?([AaPp][Mm])")
_GERMAN_NUMERIC = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4}),? (\d{1,2}):(\d{2}):(\d{2})")
_GERMAN_LONG = re.compile(r"(\d{1,2})\. ?([^\W\d]+)\.? (\d{4}),? (\d{1,2}):(\d{2}):(\d{2})")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})Z?")
_DATE_FORMS = (
    "'May 29, 2022, 3:53:35 PM', '2018-09-12 15:02:23', '29.05.2022, 15:53:35', '29. Mai 2022, 15:53:35'"
)


def looks_like_strava(header: list[str]) -> bool:
    """A Strava ``activities.csv`` header, new (English or German) or old (lower-case)."""
    names = {h.casefold() for h in header}
    if {"activity id", "aktivitäts-id"} & names:
        return True
    return {"id", "date", "type", "elapsed_time", "distance"} <= names


def _month(word: str) -> int | None:
    word = word.casefold().rstrip(".")
    if len(word) < 3:
        return None
    matches = {n for name, n in _MONTHS.items() if name.startswith(word)}
    return matches.pop() if len(matches) == 1 else None


def parse_strava_date(text: str) -> dt.datetime | None:
    """Read a Strava ``Activity Date`` in any of the known forms; None if it is none of them."""
    # Newer exports put a narrow no-break space before AM/PM.
    text = re.sub(r"\s+", " ", text.replace("\u202f", " ").replace("\u00a0", " ")).strip()
    try:
        if m := _ENGLISH.fullmatch(text):
            month_name, day, year, hour, minute, second, half = m.groups()
            month, hour12 = _month(month_name), int(hour)
            if month is None or not 1 <= hour12 <= 12:
                return None
            hour24 = hour12 % 12 + (12 if half.casefold() == "pm" else 0)
            return dt.datetime(int(year), month, int(day), hour24, int(minute), int(second))
        if m := _ISO.fullmatch(text):
            return dt.datetime(*map(int, m.groups()))
        if m := _GERMAN_NUMERIC.fullmatch(text):
            day, month, year, hour, minute, second = map(int, m.groups())
            return dt.datetime(year, month, day, hour, minute, second)
        if m := _GERMAN_LONG.fullmatch(text):
            day, month_name, year, hour, minute, second = m.groups()
            month = _month(month_name)
            if month is None:
                return None
            return dt.datetime(int(year), month, int(day), int(hour), int(minute), int(second))
    except ValueError:  # e.g. 31 February
        return None
    return None


def _lone_distance_km_per_unit(
    table: Table, distance: int, times: list[int], runs: list[tuple[int, list[str]]]
) -> float | None:
    """Unit of a lone ``Distance`` column, in km per unit (0.001: metres), from distance against time.

    None when no run has a distance (they are all skipped: the unit does not matter).
    """
    speeds, measured = [], False
    for row, cells in runs:
        value = parse_number(cells[distance], where=location(table.name, row, table.header[distance]))
        seconds, _ = _cell(table, row, cells, times)
        measured = measured or bool(value)
        if value and seconds:
            speeds.append(value / seconds)
    if not measured:
        return None
    if not speeds:
        raise InputError(f"{table.name}: one Distance column and no times: cannot tell km from metres")
    # Runs move at 1-7 m/s; read as km per second that would be 0.001-0.007: a thousandfold apart.
    return 0.001 if statistics.median(speeds) > 0.03 else 1.0


def _cell(table: Table, row: int, cells: list[str], positions: list[int]) -> tuple[float | None, str]:
    """The first non-empty number among columns of one name, and that column's name."""
    for i in positions:
        value = parse_number(cells[i], where=location(table.name, row, table.header[i]))
        if value is not None:
            return value, table.header[i]
    return None, table.header[positions[0]] if positions else ""


def read_strava(data: bytes, name: str, *, today: dt.date) -> Batch:
    """Read a Strava ``activities.csv``.

    Parameters
    ----------
    data : bytes
        The file's content.
    name : str
        The file as named in messages and in the ``source`` column.
    today : date
        Sessions after this day are bad input.

    Returns
    -------
    Batch
        The runs; other activity types counted in ``skipped``.

    Raises
    ------
    InputError
        A missing column, an unreadable date or number, the two distance columns disagreeing, or an
        implausible value (named by row and column). Runs without a distance are skipped, not errors.
    """
    table = read_table(data, name)
    cols = _columns(table, name)
    batch = Batch(name=name, rank=1, notes=list(table.notes))
    runs = []
    for row, cells in table.rows:
        kind = cells[cols.type]
        if kind.casefold() in RUN_TYPES:
            runs.append((row, cells))
        else:
            batch.skipped[kind or "(no type)"] += 1
    km_per_unit = 0.001
    if cols.display is None and not cols.old and runs:
        inferred = _lone_distance_km_per_unit(table, cols.metres, cols.elapsed or cols.moving, runs)
        if inferred is not None:
            km_per_unit = inferred
            unit = "metres" if km_per_unit == 0.001 else "km"
            batch.notes.append(
                f"{name}: one Distance column, read as {unit} (told from distance against time)"
            )
    fell_back = 0
    without_distance: list[int] = []
    for row, cells in runs:
        km, distance_name = _distance_km(table, name, row, cells, cols, km_per_unit)
        if lacks_distance(km):
            without_distance.append(row)
            batch.without_distance.append(location(name, row))
            continue
        session, columns, elapsed_used = _session(table, name, row, cells, cols, km, distance_name)
        fell_back += elapsed_used
        batch.sessions.append(check_session(session, where=session.source, today=today, columns=columns))
    if without_distance:
        batch.notes.append(without_distance_note(name, without_distance))
    if batch.sessions:
        batch.flags.add("utc")  # Strava gives start times in UTC only
    if batch.sessions and not cols.moving:
        batch.notes.append(f"{name}: no moving time in this export; durations are elapsed times")
    elif fell_back:
        batch.notes.append(f"{name}: {fell_back} run(s) without a moving time; their elapsed time is used")
    return batch


@dataclass(frozen=True)
class _Columns:
    """Where an export keeps what the reader needs (positions in its header)."""

    date: int
    type: int
    metres: int  # the last Distance column: metres in exports with two
    display: int | None  # the first of two Distance columns: km (or miles) as shown, rounded
    moving: list[int]
    elapsed: list[int]
    elevation: list[int]
    rpe: list[int]
    gear: list[int]
    old: bool  # the lower-case header of exports before mid-2019 (distance in metres)


def _columns(table: Table, name: str) -> _Columns:
    date_col = table.require("date", *_DATE)
    type_col = table.require("activity type", *_TYPE)
    distances = table.find(*_DISTANCE)
    if not distances:
        raise InputError(f"{name}: missing the distance column 'Distance'")
    moving, elapsed = table.find(*_MOVING), table.find(*_ELAPSED)
    if not moving and not elapsed:
        raise InputError(f"{name}: missing the time column 'Moving Time' (or 'Elapsed Time')")
    return _Columns(
        date=date_col,
        type=type_col,
        metres=distances[-1],
        display=distances[0] if len(distances) > 1 else None,
        moving=moving,
        elapsed=elapsed,
        elevation=table.find(*_ELEVATION),
        rpe=table.find(*_RPE),
        gear=[i for names in _GEAR for i in table.find(names)],
        old=table.first("elapsed_time") is not None and table.first("Activity ID") is None,
    )


def _distance_km(
    table: Table, name: str, row: int, cells: list[str], cols: _Columns, km_per_unit: float
) -> tuple[float | None, str]:
    """A run's km and the column it came from; the two Distance columns must agree."""
    metres_name = table.header[cols.metres]
    value = parse_number(cells[cols.metres], where=location(name, row, metres_name))
    km = None if value is None else value * km_per_unit
    if cols.display is None:
        return km, metres_name
    display_name = table.header[cols.display]
    shown = parse_number(cells[cols.display], where=location(name, row, display_name))
    if km is None:
        return shown, display_name
    if shown is not None and not any(
        abs(km / factor - shown) <= 0.006 + 0.001 * shown for factor in (1.0, 1.609344)
    ):
        raise InputError(
            f"{location(name, row, metres_name)}: the two Distance columns disagree "
            f"({shown:g} and {value:g}; the second should be about 1000 x the first, in metres)"
        )
    return km, metres_name


def _session(
    table: Table, name: str, row: int, cells: list[str], cols: _Columns, km: float, distance_name: str
) -> tuple[Session, dict[str, str], bool]:
    """A run's session, the column each value came from, and whether elapsed time stood in for moving."""
    start = parse_strava_date(cells[cols.date])
    if start is None:
        raise InputError(
            f"{location(name, row, table.header[cols.date])}: cannot read the date {cells[cols.date]!r} "
            f"(known forms: {_DATE_FORMS})"
        )
    seconds, time_name = _cell(table, row, cells, cols.moving)
    elapsed_used = False
    if not seconds:
        seconds, time_name = _cell(table, row, cells, cols.elapsed)
        elapsed_used = bool(cols.moving)
    gain, gain_name = _cell(table, row, cells, cols.elevation)
    exertion, rpe_name = _cell(table, row, cells, cols.rpe)
    session = Session(
        start_time=start,
        distance_km=km,
        duration_min=math.nan if seconds is None else seconds / 60,
        elevation_gain_m=gain,
        shoe=next((cells[i] for i in cols.gear if cells[i]), None),
        rpe=exertion,
        source=location(name, row),
        utc=start,
        local=False,
    )
    columns = {
        "date": table.header[cols.date],
        "distance_km": distance_name,
        "duration_min": time_name,
        "elevation_gain_m": gain_name,
        "rpe": rpe_name,
    }
    return session, columns, elapsed_used
