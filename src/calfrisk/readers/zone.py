"""Start times a source gives in UTC only, read on the runner's own clock when they name their zone.

Strava's ``activities.csv`` and device files without an offset (a FIT file with no
``local_timestamp``, GPX or TCX times in ``Z``) give start times in UTC only. calfrisk never guesses
a time zone; kept in UTC, an early run in Sydney or a late one in California falls on the
neighbouring calendar day, and every daily feature with it. A runner who names their zone (an IANA
name such as ``Europe/Berlin``) gets those starts converted to it, daylight saving included.
Sessions that already carry local time are left alone.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from calfrisk.exceptions import ParameterError
from calfrisk.readers.validate import Batch

__all__ = ["find_zone", "load_zone", "to_local"]


def find_zone(name: str) -> zoneinfo.ZoneInfo | None:
    """The IANA time zone called ``name``, or None if there is none by that name."""
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def load_zone(name: str) -> zoneinfo.ZoneInfo:
    """The IANA time zone called ``name``.

    Parameters
    ----------
    name : str
        An IANA zone name, e.g. ``'Europe/Berlin'``, ``'America/Los_Angeles'`` or ``'UTC'``.

    Returns
    -------
    zoneinfo.ZoneInfo

    Raises
    ------
    InputError
        ``name`` is not a known zone (one line, naming it).
    """
    zone = find_zone(name)
    if zone is None:
        example = "an IANA name such as Europe/Berlin or America/New_York"
        raise ParameterError("timezone", repr(name), f"not a time zone (give {example})")
    return zone


def to_local(batch: Batch, zone: zoneinfo.ZoneInfo) -> int:
    """Convert the batch's UTC-only start times to wall-clock time in ``zone``, in place.

    Parameters
    ----------
    batch : Batch
        One input's sessions. Those with a UTC start and no local time are converted and marked
        local; the batch loses its ``'utc'`` flag once none is left in UTC.
    zone : zoneinfo.ZoneInfo
        The runner's time zone.

    Returns
    -------
    int
        Sessions converted.
    """
    converted = 0
    for session in batch.sessions:
        if session.local or session.utc is None or not session.timed:
            continue
        session.start_time = session.utc.replace(tzinfo=dt.UTC).astimezone(zone).replace(tzinfo=None)
        session.local = True
        converted += 1
    if all(s.local or not s.timed for s in batch.sessions):
        batch.flags.discard("utc")
    return converted
