"""One table from many inputs: the same run found in two inputs is kept once.

Two sessions from different files are the same run when their distances agree within 3 % and
their starts within 2 minutes, compared in UTC when both sources give it, else on the same clock
(both local). A date-only session (the own CSV without a time) matches on its day. Sessions whose
clocks cannot be compared (UTC only against local only) are never merged; a note points at the
likely pairs. Within one file nothing is merged: two equal runs on one day are two runs.

Which copy is kept does not depend on the order of the inputs: the lowest :attr:`Batch.rank`
(own CSV, then exports, then device files), then the file name, then the row. The kept copy takes
the values it lacks (elevation gain, session type, shoe, RPE; a local start time) from the other.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from calfrisk.readers.validate import Batch, Session

__all__ = ["MAX_DISTANCE_GAP", "MAX_START_GAP", "combine"]

#: Largest start-time difference between two copies of one run.
MAX_START_GAP = dt.timedelta(minutes=2)
#: Largest relative distance difference between two copies of one run.
MAX_DISTANCE_GAP = 0.03


@dataclass
class _Kept:
    name: str
    session: Session
    absorbed: set[str] = field(default_factory=set)


def _close_distance(a: Session, b: Session) -> bool:
    return abs(a.distance_km - b.distance_km) <= MAX_DISTANCE_GAP * max(a.distance_km, b.distance_km)


def _same_run(a: Session, b: Session) -> bool | None:
    """True or False; None when the clocks cannot be compared (UTC only against local only)."""
    if not _close_distance(a, b):
        return False
    if not (a.timed and b.timed):
        return a.start_time.date() == b.start_time.date()
    if a.utc is not None and b.utc is not None:
        return abs(a.utc - b.utc) <= MAX_START_GAP
    if a.local and b.local:
        return abs(a.start_time - b.start_time) <= MAX_START_GAP
    return None if abs(a.start_time - b.start_time) <= dt.timedelta(hours=14) else False


def _merge(kept: Session, other: Session) -> None:
    for name in ("elevation_gain_m", "session_type", "shoe", "rpe"):
        if getattr(kept, name) is None:
            setattr(kept, name, getattr(other, name))
    if kept.utc is None:
        kept.utc = other.utc
    # A local start time beats a UTC one or none; a date-only row keeps its day.
    better = other.local and other.timed and not (kept.local and kept.timed)
    if better and (kept.timed or other.start_time.date() == kept.start_time.date()):
        kept.start_time, kept.local, kept.timed = other.start_time, True, True


def combine(batches: list[Batch]) -> tuple[list[Session], int, list[str]]:
    """Concatenate the batches' sessions, dropping copies of one run found in two files.

    Returns
    -------
    sessions : list of Session
        The kept sessions (merged where a copy was dropped), in no particular order.
    dropped : int
        Copies dropped.
    notes : list of str
        Likely copies that could not be compared (their clocks differ).
    """
    order = sorted(
        ((b.rank, b.name, i, s) for b in batches for i, s in enumerate(b.sessions)), key=lambda t: t[:3]
    )
    by_day: dict[dt.date, list[_Kept]] = defaultdict(list)
    kept: list[_Kept] = []
    dropped = 0
    unsure: list[tuple[str, str]] = []
    for _, name, _, session in order:
        day = session.start_time.date()
        # UTC and local clocks differ by up to 14 hours: the neighbouring days hold the candidates.
        candidates = [k for d in (-1, 0, 1) for k in by_day[day + dt.timedelta(days=d)]]
        match, maybe = None, None
        for candidate in candidates:
            if candidate.name == name or name in candidate.absorbed:
                continue
            same = _same_run(candidate.session, session)
            if same:
                match = candidate
                break
            if same is None:
                maybe = candidate
        if match is None:
            entry = _Kept(name=name, session=session)
            kept.append(entry)
            by_day[day].append(entry)
            if maybe is not None:
                unsure.append((maybe.session.source, session.source))
        else:
            _merge(match.session, session)
            match.absorbed.add(name)
            dropped += 1
    notes = []
    if unsure:
        shown = "; ".join(f"{a} and {b}" for a, b in unsure[:2]) + ("; ..." if len(unsure) > 2 else "")
        notes.append(
            f"{len(unsure)} session(s) match a run of equal distance in another input within 14 hours, "
            f"but one gives UTC and the other local time, so they were not merged ({shown}): "
            "check for runs counted twice"
        )
    return [k.session for k in kept], dropped, notes
