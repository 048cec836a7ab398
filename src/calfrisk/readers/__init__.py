"""Runners' real training logs, read into one table.

:func:`read_logs` reads any mix of calfrisk's own CSV (:mod:`calfrisk.readers.own_csv`), a Strava
bulk export (the zip, the unpacked folder or its ``activities.csv``; :mod:`~calfrisk.readers.strava`),
a Garmin Connect ``Activities.csv`` (:mod:`~calfrisk.readers.garmin`), and FIT, GPX or TCX files,
gzipped or not, alone or in folders (:mod:`~calfrisk.readers.device`). Formats are told from the
content (:mod:`~calfrisk.readers.detect`). Every input becomes rows of
:data:`calfrisk.schema.RUN_LOG_COLUMNS`; the same run found in two inputs is kept once
(:mod:`~calfrisk.readers.combine`). Bad input raises :class:`~calfrisk.exceptions.InputError` with a
one-line message naming the file, and the row and column where there is one. Runs without a distance
in exports and device files (manual entries, GPS off) are skipped and listed in a note; in the own CSV
they are an error. Elevation gain from device tracks ignores altitude noise
(:mod:`~calfrisk.readers.elevation`).

The device-file libraries (fitdecode, gpxpy, tcxreader) are imported only when such a file is read.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from calfrisk.exceptions import InputError
from calfrisk.readers.combine import combine
from calfrisk.readers.detect import Input, find_inputs
from calfrisk.readers.device import read_device
from calfrisk.readers.garmin import read_garmin
from calfrisk.readers.own_csv import OWN_CSV_COLUMNS, OWN_CSV_REQUIRED, read_own_csv
from calfrisk.readers.strava import read_strava
from calfrisk.readers.validate import Batch, session_frame
from calfrisk.readers.zone import load_zone, to_local

__all__ = ["OWN_CSV_COLUMNS", "OWN_CSV_REQUIRED", "UNITS", "RunLog", "read_logs"]

#: Distance units a Garmin ``Activities.csv`` may be in (elevation follows: m with km, ft with mi).
UNITS: tuple[str, ...] = ("km", "mi")


@dataclass(frozen=True, eq=False)  # a DataFrame has no single truth value to compare by
class RunLog:
    """A runner's log, read from one or more inputs.

    Attributes
    ----------
    sessions : DataFrame
        Exactly :data:`~calfrisk.schema.RUN_LOG_COLUMNS`, one row per running session, sorted by
        ``start_time`` (then ``source``, rows in number order), index 0..n-1.
    skipped : dict of str to int
        Activity type (as the source names it, e.g. ``'Ride'``, ``'cycling'``) → number of
        non-running activities left out.
    notes : tuple of str
        Facts the user must be told, one sentence each: what was assumed (units, time zones, the
        decimal mark), what was left out, how many duplicate sessions were dropped.
    duplicates : int
        Sessions dropped because the same run was already read from another input.
    shoes : tuple of str
        The shoe names seen, in order of first use.
    without_distance : int
        Runs left out of exports and device files because their distance is 0 or missing.
    """

    sessions: pd.DataFrame
    skipped: dict[str, int]
    notes: tuple[str, ...]
    duplicates: int = 0
    shoes: tuple[str, ...] = ()
    without_distance: int = 0


def _read(item: Input, *, today: dt.date, units: str | None) -> Batch:
    if item.kind == "own_csv":
        return read_own_csv(item.data, item.name, today=today)
    if item.kind == "strava":
        return read_strava(item.data, item.name, today=today)
    if item.kind == "garmin":
        return read_garmin(item.data, item.name, today=today, units=units)
    return read_device(item.data, item.name, item.kind, today=today)


def _natural(text: str) -> tuple[tuple[str, int], ...]:
    """Sort key that puts ``row 9`` before ``row 10``."""
    parts = re.split(r"(\d+)", text)
    return tuple((parts[i], int(parts[i + 1]) if i + 1 < len(parts) else -1) for i in range(0, len(parts), 2))


def _listing(names: list[str], limit: int = 3) -> str:
    return ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _flag_notes(batches: list[Batch]) -> list[str]:
    notes = []
    utc = [b.name for b in batches if "utc" in b.flags]
    if utc:
        notes.append(
            f"{len(utc)} input(s) ({_listing(utc)}) give start times in UTC only: they are kept in UTC, "
            "no time zone guessed (--timezone reads them on the runner's clock)"
        )
    for flag, text in (
        ("no_sport", "record no sport: read as runs"),
        # GPS altitude drifts by tens of metres within minutes; the dead band removes jitter only.
        (
            "track_altitude",
            "give no climbing total: it is summed from their recorded altitudes, which GPS drift can "
            "inflate (a flat run may read as hilly): read the hills driver with care",
        ),
    ):
        names = [b.name for b in batches if flag in b.flags]
        if names:
            notes.append(f"{len(names)} device file(s) ({_listing(names)}) {text}")
    # Tables name their rows in a note of their own; device files are listed here, once for all.
    places = [place for b in batches if "no_distance" in b.flags for place in b.without_distance]
    if places:
        notes.append(f"{len(places)} run(s) in device files without a distance skipped ({_listing(places)})")
    return notes


def read_logs(
    paths: Sequence[str | Path] | str | Path,
    *,
    units: str | None = None,
    today: dt.date | None = None,
    timezone: str | None = None,
) -> RunLog:
    """Read training logs into one table of running sessions.

    Parameters
    ----------
    paths : sequence of str or Path
        Files (own CSV, Strava ``activities.csv``, Garmin ``Activities.csv``, FIT, GPX, TCX, each
        optionally ``.gz``), folders of such files, or Strava export zips. A single path is
        accepted too.
    units : {'km', 'mi'}, optional
        The distance unit of Garmin Connect CSVs, which do not say; elevation follows (m with km,
        ft with mi). By default it is inferred where the file allows it.
    today : date, optional
        Sessions after this day are bad input. Default: the current date.
    timezone : str, optional
        The runner's IANA time zone (e.g. ``'Europe/Berlin'``). Start times a source gives in UTC
        only (Strava, device files without an offset) are converted to it; without it they stay
        in UTC and a note says so (see :mod:`~calfrisk.readers.zone`).

    Returns
    -------
    RunLog
        The sessions and what the user must be told.

    Raises
    ------
    InputError
        A missing, empty, unreadable or unrecognised file; a missing column; a bad or implausible
        value (named by file, row and column); no running session at all (saying what was skipped);
        unknown ``units`` or ``timezone``.

    Examples
    --------
    >>> import tempfile, pathlib, datetime
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "log.csv").write_text("date,distance_km,duration_min\\n2025-03-01,8.2,46.5\\n")
    >>> log = read_logs([folder / "log.csv"], today=datetime.date(2025, 3, 2))
    >>> log.sessions[["date", "distance_km", "duration_min"]]
            date  distance_km  duration_min
    0 2025-03-01          8.2          46.5
    """
    if units is not None and units not in UNITS:
        raise InputError(f"units must be 'km' or 'mi', got {units!r}")
    zone = load_zone(timezone) if timezone is not None else None
    if isinstance(paths, str | Path):
        paths = [paths]
    if not paths:
        raise InputError("no input files given")
    if today is None:
        today = dt.date.today()
    elif isinstance(today, dt.datetime):
        today = today.date()
    items, notes = _inputs(paths)
    batches = [_read(item, today=today, units=units) for item in items]
    converted = {b.name: n for b in batches if zone is not None and (n := to_local(b, zone))}
    sessions, dropped, combine_notes = combine(batches)
    skipped: Counter[str] = Counter()
    for batch in batches:
        skipped.update(batch.skipped)
    without_distance = sum(len(batch.without_distance) for batch in batches)
    given = _listing([str(p) for p in paths])
    if not sessions:
        raise _nothing_to_read(given, skipped, without_distance)
    notes += [note for batch in batches for note in batch.notes]
    notes += _flag_notes(batches)
    if converted:
        notes.append(
            f"{sum(converted.values())} start time(s) given in UTC only ({_listing(list(converted))}) "
            f"converted to {zone.key} (--timezone)"
        )
    notes += combine_notes
    if dropped:
        notes.append(
            f"{dropped} duplicate session(s) dropped: the same run in two inputs "
            "(start within 2 minutes, distance within 3 %)"
        )
    sessions.sort(key=lambda s: (s.start_time, _natural(s.source)))
    table = session_frame(sessions)
    shoes = tuple(dict.fromkeys(s.shoe for s in sessions if s.shoe is not None))
    return RunLog(
        sessions=table,
        skipped=dict(skipped),
        notes=tuple(notes),
        duplicates=dropped,
        shoes=shoes,
        without_distance=without_distance,
    )


def _inputs(paths: Sequence[str | Path]) -> tuple[list[Input], list[str]]:
    """Every input the paths hold, each once (a file named twice, or inside a folder also given)."""
    items: list[Input] = []
    notes: list[str] = []
    seen: set[str] = set()
    for path in paths:
        found, found_notes = find_inputs(path)
        notes += found_notes
        for item in found:
            if item.key not in seen:
                seen.add(item.key)
                items.append(item)
    return items, notes


def _nothing_to_read(given: str, skipped: Counter[str], without_distance: int) -> InputError:
    """The error for inputs that hold no running session, saying what they held instead."""
    reasons = []
    if without_distance:
        reasons.append(f"{without_distance} run(s) without a distance")
    if skipped:
        kinds = ", ".join(
            f"{n} {kind}" for kind, n in sorted(skipped.items(), key=lambda kv: (-kv[1], kv[0]))
        )
        reasons.append(f"{sum(skipped.values())} other activities ({kinds})")
    if reasons:
        return InputError(f"{given}: no running sessions; skipped {' and '.join(reasons)}")
    return InputError(f"{given}: no sessions found")
