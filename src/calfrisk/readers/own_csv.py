"""calfrisk's own training-log CSV: the format a runner can write by hand.

The format
----------
A UTF-8 text file (a byte-order mark is allowed; Windows-1252 is read with a note), comma-separated
(a file whose header holds semicolons or tabs and no commas uses those instead), with a header row
and one row per running session. Column names are matched case-insensitively after stripping
surrounding spaces; their order does not matter.

======================  ========  =================================================================
column                  required  value
======================  ========  =================================================================
``date``                yes       ``YYYY-MM-DD``, or a local date-time ``YYYY-MM-DDTHH:MM`` or
                                  ``YYYY-MM-DDTHH:MM:SS`` (a space may replace the ``T``). No time
                                  zone suffix: times are the runner's local time.
``distance_km``         yes       distance in kilometres, > 0 (a dot is the decimal mark; see below)
``duration_min``        yes       moving time in minutes, > 0
``elevation_gain_m``    no        total ascent in metres, >= 0
``session_type``        no        one of ``easy``, ``long``, ``tempo``, ``intervals``, ``hills``,
                                  ``race`` (any case)
``shoe``                no        the shoe's name, free text
``rpe``                 no        perceived exertion, a number from 1 to 10
======================  ========  =================================================================

A file separated by semicolons or tabs (as spreadsheets in comma-decimal locales save CSV) may use
a decimal comma instead (``8,2``), the same in every number, and a note says so; in a
comma-separated file the decimal mark is a dot. No number is ever grouped in thousands.

Units are in the names, so nothing is guessed. An empty optional cell is missing (NA); an empty
required cell is an error. Any other column is an error naming it (so a typo such as
``distnace_km`` is caught rather than ignored), as is a column given twice. Rows that are entirely
empty are skipped. A date-only row starts at midnight and never matches a timed session in another
input except on the same day (see :func:`calfrisk.readers.read_logs`).

Example::

    date,distance_km,duration_min,elevation_gain_m,session_type,shoe,rpe
    2025-03-01,8.2,46.5,60,easy,Pegasus 40,4
    2025-03-02T07:15,21.1,118,210,long,Pegasus 40,
"""

from __future__ import annotations

import datetime as dt
import difflib
import math
import re

from calfrisk.exceptions import InputError
from calfrisk.readers.tabular import MISSING, Table, parse_number, read_table
from calfrisk.readers.validate import Batch, Session, check_session, location
from calfrisk.schema import SESSION_TYPES

__all__ = ["OWN_CSV_COLUMNS", "OWN_CSV_REQUIRED", "looks_like_own_csv", "read_own_csv"]

#: The own format's columns and what they hold.
OWN_CSV_COLUMNS: dict[str, str] = {
    "date": "YYYY-MM-DD, or local YYYY-MM-DDTHH:MM[:SS] (T or a space)",
    "distance_km": "kilometres, > 0",
    "duration_min": "moving time in minutes, > 0",
    "elevation_gain_m": "metres of ascent, >= 0 (optional)",
    "session_type": f"one of {', '.join(SESSION_TYPES)} (optional)",
    "shoe": "the shoe's name (optional)",
    "rpe": "perceived exertion 1-10 (optional)",
}
#: Columns every own CSV must have.
OWN_CSV_REQUIRED: tuple[str, ...] = ("date", "distance_km", "duration_min")

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?")


def looks_like_own_csv(header: list[str]) -> bool:
    """A header meant as the own format: it names one of its unit-bearing columns."""
    # Close matches count too, so that a typo is reported as a typo rather than as an unknown format.
    units = ["distance_km", "duration_min", "elevation_gain_m"]
    return any(difflib.get_close_matches(h.strip().casefold(), units, n=1, cutoff=0.8) for h in header)


def _columns(table: Table) -> dict[str, int]:
    positions: dict[str, int] = {}
    unknown = []
    for i, raw in enumerate(table.header):
        key = raw.strip().casefold()
        if key in positions:
            raise InputError(f"{table.name}: column {raw!r} appears twice")
        if key in OWN_CSV_COLUMNS:
            positions[key] = i
        else:
            close = difflib.get_close_matches(key, OWN_CSV_COLUMNS, n=1)
            unknown.append(f"{raw!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
    if unknown:
        raise InputError(
            f"{table.name}: unknown column(s) {', '.join(unknown)}; "
            f"the columns are {', '.join(OWN_CSV_COLUMNS)}"
        )
    missing = [c for c in OWN_CSV_REQUIRED if c not in positions]
    if missing:
        raise InputError(f"{table.name}: missing required column(s) {', '.join(missing)}")
    return positions


def _date(text: str, where: str) -> tuple[dt.datetime, bool]:
    if not _DATE.fullmatch(text):
        raise InputError(
            f"{where}: {text!r} is not a date (write YYYY-MM-DD or a local time YYYY-MM-DDTHH:MM, "
            "no time zone)"
        )
    try:
        return dt.datetime.fromisoformat(text.replace(" ", "T")), len(text) > 10
    except ValueError:
        raise InputError(f"{where}: {text!r} is not a valid date") from None


def _or_nan(value: float | None) -> float:
    return math.nan if value is None else value


#: The own format's number columns.
_NUMBERS = ("distance_km", "duration_min", "elevation_gain_m", "rpe")


def _decimal_mark(table: Table, columns: list[int]) -> str:
    """``','`` when a file separated by semicolons or tabs writes decimal commas, else ``'.'``."""
    if table.delimiter == ",":
        return "."
    cells = [row[i] for _, row in table.rows for i in columns]
    comma = next((c for c in cells if "," in c), None)
    point = next((c for c in cells if "." in c), None)
    if comma is not None and point is not None:
        raise InputError(f"{table.name}: mixes decimal commas ({comma!r}) and decimal points ({point!r})")
    return "," if comma is not None else "."


def read_own_csv(data: bytes, name: str, *, today: dt.date) -> Batch:
    """Read a log in calfrisk's own CSV format (see the module docstring).

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
        One session per row.

    Raises
    ------
    InputError
        Unknown, repeated or missing columns, or a bad cell (named by row and column).
    """
    table = read_table(data, name)
    positions = _columns(table)
    headers = {key: table.header[i] for key, i in positions.items()}
    batch = Batch(name=name, rank=0, notes=list(table.notes))
    decimal = _decimal_mark(table, [i for key, i in positions.items() if key in _NUMBERS])
    if decimal == ",":
        batch.notes.append(
            f"{name}: numbers read with a decimal comma (the file is separated by semicolons or tabs)"
        )
    for row, cells in table.rows:
        cell = {key: cells[i] for key, i in positions.items()}

        def where(key: str, row: int = row) -> str:
            return location(name, row, headers[key])

        def number(key: str, cell: dict[str, str] = cell) -> float | None:
            return parse_number(cell.get(key, ""), where=where(key), decimal=decimal) if key in cell else None

        for key in OWN_CSV_REQUIRED:
            if cell[key] in MISSING:
                raise InputError(f"{where(key)}: empty, but the column is required")
        start, timed = _date(cell["date"], where("date"))
        kind = cell.get("session_type", "").casefold() or None
        session = Session(
            start_time=start,
            distance_km=_or_nan(number("distance_km")),
            duration_min=_or_nan(number("duration_min")),
            elevation_gain_m=number("elevation_gain_m"),
            session_type=kind,
            shoe=cell.get("shoe") or None,
            rpe=number("rpe"),
            source=location(name, row),
            timed=timed,
        )
        batch.sessions.append(check_session(session, where=location(name, row), today=today, columns=headers))
    return batch
