"""Garmin Connect "Export CSV": ``Activities.csv``.

What the reader relies on (see ``formats.md``):

- Columns are found by name, English or German: ``Activity Type``/``Aktivitätstyp``,
  ``Date``/``Datum`` (local time ``YYYY-MM-DD HH:MM:SS``), ``Distance``/``Distanz``, ``Moving Time``/
  ``Zeit in Bewegung``, ``Time``/``Zeit``, ``Elapsed Time``/``Verstrichene Zeit``, ``Total Ascent``/
  ``Elev Gain``/``Positiver Höhenunterschied``/``Anstieg gesamt``. Moving time is preferred, then
  the timer time, then elapsed time. There is no shoe column.
- ``--`` and ``--:--:--`` are missing values. Numbers are quoted and may carry thousands separators
  (``"4,808"``) or decimal commas (``"5,81"``): the file's decimal mark is told from the cells that
  can only be read one way (``5,81``, ``3.6``); a file with none reads ``,`` as a thousands
  separator. A decimal comma is reported in a note.
- Distance and elevation follow the account's unit setting (km and m, or miles and feet) and the
  file does not say which. ``units`` settles it; otherwise it is inferred only where the file proves
  it: from ``Avg Pace`` against ``Time``/``Distance`` when pace and distance are in different units,
  or from ``Steps`` (or ``Avg Run Cadence`` x time) x ``Avg Stride Length`` against ``Distance``
  (stride in m or ft). Pace alone cannot decide: with both in miles, or both in km, time over
  distance equals the pace either way. What was assumed goes in a note; if nothing decides,
  an error asks for the ``units`` (``--units km|mi`` on the command line).
- Only running types count (``Running``, ``Treadmill Running``, ``Trail Running``, ``Track Running``,
  ``Indoor Running``, German ``Laufen``, ``Laufband``, ...; never skiing); others are skipped.
- Runs with a ``Distance`` of ``0.00`` or ``--`` (a treadmill without a foot pod, GPS off, a manual
  entry) are skipped, before units are inferred, and one note lists their rows. A negative distance
  is still an error.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import statistics
from dataclasses import dataclass

from calfrisk.exceptions import InputError
from calfrisk.readers.tabular import Table, parse_clock, parse_number, read_table
from calfrisk.readers.validate import (
    Batch,
    Session,
    check_session,
    lacks_distance,
    location,
    without_distance_note,
)

__all__ = ["KM_PER_MILE", "is_running_type", "looks_like_garmin", "read_garmin"]

#: Kilometres per international mile.
KM_PER_MILE = 1.609344
_M_PER_FT = 0.3048

_TYPE = ("Activity Type", "Aktivitätstyp")
_DATE = ("Date", "Datum")
_DISTANCE = ("Distance", "Distanz")
_MOVING = ("Moving Time", "Zeit in Bewegung")
_TIMER = ("Time", "Activity Time", "Zeit")
_ELAPSED = ("Elapsed Time", "Verstrichene Zeit")
_ASCENT = ("Total Ascent", "Elev Gain", "Positiver Höhenunterschied", "Anstieg gesamt")
_PACE = ("Avg Pace", "Ø Pace")
_STEPS = ("Steps", "Schritte")
_STRIDE = ("Avg Stride Length", "Ø Schrittlänge")
_CADENCE = ("Avg Run Cadence", "Ø Schrittfrequenz (Laufen)")

_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{1,2}:\d{2}(:\d{2})?")
_COMMA_DECIMAL = re.compile(r"[+-]?\d+,(\d{1,2}|\d{4,})|[+-]?\d{1,3}(\.\d{3})+,\d+")
_POINT_DECIMAL = re.compile(r"[+-]?\d+\.(\d{1,2}|\d{4,})|[+-]?\d{1,3}(,\d{3})+\.\d+")


def looks_like_garmin(header: list[str]) -> bool:
    """A Garmin Connect ``Activities.csv`` header (English or German)."""
    names = {h.casefold() for h in header}
    return {"activity type", "date"} <= names or {"aktivitätstyp", "datum"} <= names


def is_running_type(kind: str) -> bool:
    """Whether a Garmin activity type is running (treadmill, trail and track running included)."""
    kind = kind.casefold()
    if "ski" in kind or "langlauf" in kind:  # cross-country skiing is "Skilanglauf"
        return False
    return "running" in kind or re.search(r"\brun\b", kind) is not None or "lauf" in kind


def _decimal_mark(table: Table) -> str:
    cells = [c for _, row in table.rows for c in row]
    comma = next((c for c in cells if _COMMA_DECIMAL.fullmatch(c)), None)
    point = next((c for c in cells if _POINT_DECIMAL.fullmatch(c)), None)
    if comma and point:
        raise InputError(f"{table.name}: mixes decimal commas ({comma!r}) and decimal points ({point!r})")
    return "," if comma else "."


def _median_near(ratios: list[float], target: float, tolerance: float) -> bool:
    return bool(ratios) and abs(statistics.median(ratios) / target - 1) <= tolerance


def _infer_units(table: Table, runs: list[tuple[int, list[str]]], decimal: str) -> tuple[str, str] | None:
    """``(unit, evidence)`` when the file proves km or miles, else None."""

    def number(cells: list[str], names: tuple[str, ...], row: int) -> float | None:
        i = table.first(*names)
        if i is None:
            return None
        return parse_number(
            cells[i], where=location(table.name, row, table.header[i]), decimal=decimal, grouping=True
        )

    def clock_min(cells: list[str], names: tuple[str, ...], row: int) -> float | None:
        i = table.first(*names)
        seconds = (
            None if i is None else parse_clock(cells[i], where=location(table.name, row, table.header[i]))
        )
        return None if seconds is None else seconds / 60

    pace_ratios, stride_m = [], []
    for row, cells in runs:
        distance = number(cells, _DISTANCE, row)
        if not distance:
            continue
        minutes = clock_min(cells, _TIMER, row) or clock_min(cells, _MOVING, row)
        pace = clock_min(cells, _PACE, row)
        if minutes and pace:
            pace_ratios.append(minutes / distance / pace)
        stride = number(cells, _STRIDE, row)
        steps = number(cells, _STEPS, row)
        cadence = number(cells, _CADENCE, row)
        if not steps and cadence and minutes:
            steps = cadence * minutes
        if stride and steps:
            stride_m.append(distance / (steps * stride))
    # Pace and distance in different units: time over distance is off the pace by 1.609.
    if _median_near(pace_ratios, 1 / KM_PER_MILE, 0.1):
        return "km", "Avg Pace per mile against Time/Distance"
    if _median_near(pace_ratios, KM_PER_MILE, 0.1):
        return "mi", "Avg Pace per km against Time/Distance"
    # Distance over steps is the stride: a km file gives 1000 x stride (m), a mile file 5280 x (ft).
    evidence = "Steps x Avg Stride Length against Distance"
    if _median_near(stride_m, 1 / 1000, 0.15):
        return "km", evidence
    if _median_near(stride_m, _M_PER_FT / (KM_PER_MILE * 1000), 0.15) or _median_near(
        stride_m, 1 / (KM_PER_MILE * 1000), 0.15
    ):
        return "mi", evidence
    return None


def _start(text: str, where: str) -> dt.datetime:
    if not _DATE_RE.fullmatch(text):
        raise InputError(f"{where}: cannot read the date {text!r} (expected YYYY-MM-DD HH:MM:SS)")
    try:
        return dt.datetime.fromisoformat(text.replace(" ", "T"))
    except ValueError:
        raise InputError(f"{where}: {text!r} is not a valid date") from None


def read_garmin(data: bytes, name: str, *, today: dt.date, units: str | None = None) -> Batch:
    """Read a Garmin Connect ``Activities.csv``.

    Parameters
    ----------
    data : bytes
        The file's content.
    name : str
        The file as named in messages and in the ``source`` column.
    today : date
        Sessions after this day are bad input.
    units : {'km', 'mi'}, optional
        The account's distance unit (elevation follows: m with km, ft with mi). Inferred when the
        file allows it (see the module docstring).

    Returns
    -------
    Batch
        The running sessions; other types counted in ``skipped``.

    Raises
    ------
    InputError
        A missing column, an unreadable cell, units that cannot be inferred, or an implausible value.
        Runs without a distance are skipped, not errors.
    """
    table = read_table(data, name)
    cols = _columns(table, name)
    batch = Batch(name=name, rank=1, notes=list(table.notes))
    runs = []
    for row, cells in table.rows:
        if is_running_type(cells[cols.type]):
            runs.append((row, cells))
        else:
            batch.skipped[cells[cols.type] or "(no type)"] += 1
    if not runs:
        return batch
    decimal = _decimal_mark(table)
    if decimal == ",":
        batch.notes.append(f"{name}: numbers read with a decimal comma")
    # Skipped before inferring units: a distance of 0 or none is the same in km and in miles.
    runs = _with_distance(table, name, runs, cols, decimal, batch)
    if not runs:
        return batch
    km_per_unit, m_per_unit = _unit_factors(table, name, runs, decimal, units, batch)
    for row, cells in runs:
        session, columns = _session(table, name, row, cells, cols, decimal, km_per_unit, m_per_unit)
        batch.sessions.append(check_session(session, where=session.source, today=today, columns=columns))
    return batch


@dataclass(frozen=True)
class _Columns:
    """Where an export keeps what the reader needs (positions in its header)."""

    type: int
    date: int
    distance: int
    times: list[int]  # moving, timer, elapsed: the first that a row fills is its duration
    ascent: int | None


def _columns(table: Table, name: str) -> _Columns:
    type_col = table.require("activity type", *_TYPE)
    date_col = table.require("date", *_DATE)
    distance_col = table.require("distance", *_DISTANCE)
    times = [i for names in (_MOVING, _TIMER, _ELAPSED) if (i := table.first(*names)) is not None]
    if not times:
        raise InputError(f"{name}: missing the time column 'Moving Time' (or 'Time', 'Elapsed Time')")
    return _Columns(type_col, date_col, distance_col, times, table.first(*_ASCENT))


def _with_distance(table: Table, name: str, runs: list, cols: _Columns, decimal: str, batch: Batch) -> list:
    """The runs that have a distance; the others are skipped with a note naming their rows."""
    without_distance = []
    for row, cells in runs:
        where = location(name, row, table.header[cols.distance])
        if lacks_distance(parse_number(cells[cols.distance], where=where, decimal=decimal, grouping=True)):
            without_distance.append(row)
            batch.without_distance.append(location(name, row))
    if not without_distance:
        return runs
    batch.notes.append(without_distance_note(name, without_distance))
    skipped_rows = set(without_distance)
    return [(row, cells) for row, cells in runs if row not in skipped_rows]


def _unit_factors(
    table: Table, name: str, runs: list, decimal: str, units: str | None, batch: Batch
) -> tuple[float, float]:
    """km per distance unit and metres per elevation unit, as given or inferred, said in a note."""
    if units is None:
        inferred = _infer_units(table, runs, decimal)
        if inferred is None:
            raise InputError(
                f"{name}: Garmin Connect does not say whether distances are in km or miles and this "
                "file cannot tell (it needs Avg Pace, or Steps and Avg Stride Length): "
                "give its `units`, 'km' or 'mi'"
            )
        units, evidence = inferred
        how = f"inferred from {evidence}"
    else:
        how = "as given"
    words = "km and elevations as metres" if units == "km" else "miles and elevations as feet"
    batch.notes.append(f"{name}: distances read as {words} ({how})")
    return (1.0, 1.0) if units == "km" else (KM_PER_MILE, _M_PER_FT)


def _session(
    table: Table,
    name: str,
    row: int,
    cells: list[str],
    cols: _Columns,
    decimal: str,
    km_per_unit: float,
    m_per_unit: float,
) -> tuple[Session, dict[str, str]]:
    """A run's session and the column each value came from."""

    def number(i: int) -> float | None:
        return parse_number(
            cells[i], where=location(name, row, table.header[i]), decimal=decimal, grouping=True
        )

    seconds, time_col = None, cols.times[0]
    for time_col in cols.times:
        seconds = parse_clock(cells[time_col], where=location(name, row, table.header[time_col]))
        if seconds:
            break
    distance = number(cols.distance)
    gain = None if cols.ascent is None else number(cols.ascent)
    session = Session(
        start_time=_start(cells[cols.date], location(name, row, table.header[cols.date])),
        distance_km=math.nan if distance is None else distance * km_per_unit,
        duration_min=math.nan if seconds is None else seconds / 60,
        elevation_gain_m=None if gain is None else gain * m_per_unit,
        source=location(name, row),
    )
    columns = {
        "date": table.header[cols.date],
        "distance_km": table.header[cols.distance],
        "duration_min": table.header[time_col],
        "elevation_gain_m": table.header[cols.ascent] if cols.ascent is not None else "",
    }
    return session, columns
