"""Device files: FIT (fitdecode), GPX (gpxpy) and TCX (tcxreader), one activity each.

fitdecode, gpxpy and tcxreader are imported inside the functions that need them, so that importing
:mod:`calfrisk.readers` stays fast.

- FIT: each ``session`` message is an activity (a multisport file has several): ``sport`` tells
  running (``sub_sport`` treadmill, trail or track included) from the rest; distance from
  ``total_distance`` (else average speed x timer time), time from ``total_timer_time`` (else
  ``total_elapsed_time``), ``total_ascent`` (the device's own, already filtered total),
  ``start_time``. Without a session message, the laps are summed, else the records (last distance,
  first to last timestamp). Without any ``total_ascent``, the climb comes from the records'
  ``enhanced_altitude``/``altitude`` (those from the session's start to the next session's) through
  :func:`~calfrisk.readers.elevation.elevation_gain`. A truncated file or a CRC mismatch is an error.
- GPX: distance along the track in 2-D (``length_2d``: noisy GPS elevation inflates ``length_3d``,
  by 7 % on the Polar sample), moving time from gpxpy (pauses left out; elapsed time if it finds no
  movement), elevation gain from the points' elevations through
  :func:`~calfrisk.readers.elevation.elevation_gain` (gpxpy's uphill counts every wobble of GPS
  altitude), start from the first timestamp. The track ``type`` tells the sport (``running``,
  Strava's ``9``); without one the file is read as a run and a note says so.
- TCX: ``Sport`` (any case), ``DistanceMeters`` per lap, moving time from the laps'
  ``TotalTimeSeconds`` (which tcxreader does not read, hence a second small parse), elevation gain
  from the trackpoints' altitudes through :func:`~calfrisk.readers.elevation.elevation_gain`
  (tcxreader's ascent sums every rise), start from the first trackpoint (else the lap start, else
  the activity ``Id``).

A running activity without a distance (0 or none: a treadmill run without a foot pod, GPS off) is
skipped, as its load cannot be weighed, and one note lists such files across all inputs.

Times: devices record UTC. A FIT ``activity`` message's ``local_timestamp`` gives the device's
offset from UTC, and a GPX/TCX timestamp written with a non-zero offset gives the local clock: then
the start is local time. Otherwise it stays UTC (no zone is guessed) and a note says so, unless
the runner names their zone (:mod:`calfrisk.readers.zone`).
"""

from __future__ import annotations

import datetime as dt
import io
import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass

from calfrisk.exceptions import InputError
from calfrisk.readers.elevation import elevation_gain
from calfrisk.readers.garmin import is_running_type
from calfrisk.readers.tabular import decode_text
from calfrisk.readers.validate import Batch, Session, check_session, lacks_distance

__all__ = ["read_device", "read_fit", "read_gpx", "read_tcx"]

_TCX = "{http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2}"
_MAX_OFFSET = dt.timedelta(hours=14)


@dataclass
class _Activity:
    """One activity as a device file gives it; times naive UTC."""

    sport: str | None
    start_utc: dt.datetime
    distance_m: float | None
    duration_s: float | None
    ascent_m: float | None
    offset: dt.timedelta | None = None
    ascent_from_track: bool = False  # summed from recorded altitudes, not the device's own total


def _utc(moment: dt.datetime) -> tuple[dt.datetime, dt.timedelta | None]:
    """Naive UTC, and the offset the timestamp was written with if it is not UTC."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        return moment, None  # GPX and TCX times without a zone are UTC by their schemas
    offset = moment.utcoffset()
    naive = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return naive, (offset if offset else None)


def _is_run(sport: str) -> bool:
    # Strava writes its activity code in GPX <type>: 9 is a run.
    return sport.strip() == "9" or is_running_type(sport)


def _batch(name: str, activities: list[_Activity], today: dt.date) -> Batch:
    batch = Batch(name=name, rank=2)
    runs = [a for a in activities if a.sport is None or _is_run(a.sport)]
    for activity in activities:
        if activity not in runs:
            batch.skipped[str(activity.sport)] += 1
    for number, activity in enumerate(runs, start=1):
        source = name if len(runs) == 1 else f"{name} session {number}"
        if lacks_distance(activity.distance_m):
            batch.without_distance.append(source)
            batch.flags.add("no_distance")
            continue
        if activity.sport is None:
            batch.flags.add("no_sport")
        if activity.ascent_from_track and activity.ascent_m:
            batch.flags.add("track_altitude")
        offset = activity.offset
        if offset is None:
            batch.flags.add("utc")
        session = Session(
            start_time=activity.start_utc + offset if offset is not None else activity.start_utc,
            distance_km=math.nan if activity.distance_m is None else activity.distance_m / 1000,
            duration_min=math.nan if activity.duration_s is None else activity.duration_s / 60,
            elevation_gain_m=activity.ascent_m,
            source=source,
            utc=activity.start_utc,
            local=offset is not None,
        )
        batch.sessions.append(check_session(session, where=source, today=today))
    return batch


# --- FIT ---------------------------------------------------------------------------------------------


def _fit_offset(activity: dict) -> dt.timedelta | None:
    stamp, local = activity.get("timestamp"), activity.get("local_timestamp")
    if not isinstance(stamp, dt.datetime) or not isinstance(local, dt.datetime):
        return None
    # fitdecode labels local_timestamp UTC; it is the local wall clock. Zones are whole quarter hours.
    seconds = (local.replace(tzinfo=None) - stamp.replace(tzinfo=None)).total_seconds()
    offset = dt.timedelta(minutes=15 * round(seconds / 900))
    return offset if dt.timedelta(0) < abs(offset) <= _MAX_OFFSET else None


def _fit_messages(data: bytes, name: str) -> dict[str, list[dict]]:
    import fitdecode

    wanted = {"file_id", "session", "lap", "record", "sport", "activity"}
    messages: dict[str, list[dict]] = {key: [] for key in wanted}
    try:
        with fitdecode.FitReader(
            io.BytesIO(data),
            check_crc=fitdecode.CrcCheck.RAISE,
            error_handling=fitdecode.ErrorHandling.RAISE,
        ) as reader:
            for frame in reader:
                if isinstance(frame, fitdecode.FitDataMessage) and frame.name in wanted:
                    messages[frame.name].append({f.name: f.value for f in frame.fields})
    except fitdecode.FitEOFError:
        raise InputError(f"{name}: truncated FIT file (it ends before its declared size)") from None
    except fitdecode.FitCRCError:
        raise InputError(f"{name}: corrupted FIT file (its CRC checksum does not match)") from None
    except Exception as exc:
        # fitdecode meets corrupt bytes with FitError, but also struct.error, IndexError and even
        # failed assertions: whatever it raises, the file is broken.
        raise InputError(f"{name}: cannot decode the FIT file ({type(exc).__name__}: {exc})") from None
    return messages


def _number(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


def _sport(value: object) -> str | None:
    return None if value is None else str(value)


def _fit_session(fields: dict, fallback_sport: str | None, first: dt.datetime | None) -> _Activity | None:
    start = fields.get("start_time") or first
    if not isinstance(start, dt.datetime):
        return None
    seconds = _number(fields.get("total_timer_time")) or _number(fields.get("total_elapsed_time"))
    metres = _number(fields.get("total_distance"))
    speed = _number(fields.get("enhanced_avg_speed")) or _number(fields.get("avg_speed"))
    if metres is None and speed and seconds:
        metres = speed * seconds
    return _Activity(
        sport=_sport(fields.get("sport")) or fallback_sport,
        start_utc=_utc(start)[0],
        distance_m=metres,
        duration_s=seconds,
        ascent_m=_number(fields.get("total_ascent")),
    )


def _fit_gain(
    records: list[dict], start: dt.datetime | None = None, end: dt.datetime | None = None
) -> float | None:
    """The climb of the records' altitudes timed from ``start`` to before ``end`` (naive UTC)."""

    def inside(record: dict) -> bool:
        stamp = record.get("timestamp")
        if not isinstance(stamp, dt.datetime):
            return start is None and end is None
        moment = _utc(stamp)[0]
        return (start is None or moment >= start) and (end is None or moment < end)

    return elevation_gain(
        _number(r.get("enhanced_altitude", r.get("altitude"))) for r in records if inside(r)
    )


def _fit_from_laps(laps: list[dict], sport: str | None) -> _Activity | None:
    starts = [lap["start_time"] for lap in laps if isinstance(lap.get("start_time"), dt.datetime)]
    if not starts:
        return None

    def total(*keys: str) -> float | None:
        values = [next((v for k in keys if (v := _number(lap.get(k))) is not None), None) for lap in laps]
        present = [v for v in values if v is not None]
        return sum(present) if present else None

    return _Activity(
        sport=_sport(laps[0].get("sport")) or sport,
        start_utc=_utc(min(starts))[0],
        distance_m=total("total_distance"),
        duration_s=total("total_timer_time", "total_elapsed_time"),
        ascent_m=total("total_ascent"),
    )


def _fit_from_records(records: list[dict], sport: str | None) -> _Activity | None:
    stamps = [r["timestamp"] for r in records if isinstance(r.get("timestamp"), dt.datetime)]
    if not stamps:
        return None
    distances = [
        d for r in records if (d := _number(r.get("enhanced_distance", r.get("distance")))) is not None
    ]
    return _Activity(
        sport=sport,
        start_utc=_utc(min(stamps))[0],
        distance_m=max(distances) if distances else None,
        duration_s=(max(stamps) - min(stamps)).total_seconds(),
        ascent_m=None,  # from the records' altitudes, as for any activity without total_ascent
    )


def read_fit(data: bytes, name: str, *, today: dt.date) -> Batch:
    """Read a FIT activity file (see the module docstring).

    Raises
    ------
    InputError
        A truncated or corrupted file, or one without any activity data.
    """
    messages = _fit_messages(data, name)
    kinds = {str(m.get("type")) for m in messages["file_id"] if m.get("type") is not None}
    if kinds and "activity" not in kinds:
        # Course, workout, settings and monitoring files sit beside activities on a device.
        batch = Batch(name=name, rank=2)
        batch.skipped[f"FIT {'/'.join(sorted(kinds))} file"] += 1
        return batch
    sport = next((_sport(m.get("sport")) for m in messages["sport"] if m.get("sport") is not None), None)
    stamps = [r["timestamp"] for r in messages["record"] if isinstance(r.get("timestamp"), dt.datetime)]
    first = min(stamps) if stamps else None
    if messages["session"]:
        activities = [_fit_session(s, sport, first) for s in messages["session"]]
    else:
        activities = [_fit_from_laps(messages["lap"], sport) or _fit_from_records(messages["record"], sport)]
    found = [a for a in activities if a is not None]
    if not found:
        raise InputError(f"{name}: a FIT file without a start time (no session, lap or record data)")
    # Without the device's total_ascent, an activity climbs what its records do: all of them, or in a
    # multisport file those from its start to the next activity's.
    starts = sorted({a.start_utc for a in found})
    for activity in found:
        if activity.ascent_m is None:
            activity.ascent_from_track = True
            if len(found) == 1:
                activity.ascent_m = _fit_gain(messages["record"])
            else:
                end = next((s for s in starts if s > activity.start_utc), None)
                activity.ascent_m = _fit_gain(messages["record"], activity.start_utc, end)
    offset = next((o for m in messages["activity"] if (o := _fit_offset(m)) is not None), None)
    for activity in found:
        activity.offset = offset
    return _batch(name, found, today)


# --- GPX and TCX -------------------------------------------------------------------------------------


def _xml_text(data: bytes, name: str) -> str:
    # Strava uploads often start with whitespace before <?xml, which XML parsers reject.
    text, _ = decode_text(data, name)
    return text.lstrip().removeprefix("\ufeff").lstrip()


def read_gpx(data: bytes, name: str, *, today: dt.date) -> Batch:
    """Read a GPX track (see the module docstring).

    Raises
    ------
    InputError
        Malformed XML, or a track without points or timestamps.
    """
    import gpxpy
    import gpxpy.gpx

    try:
        gpx = gpxpy.parse(_xml_text(data, name))
    except (gpxpy.gpx.GPXException, ValueError) as exc:
        raise InputError(
            f"{name}: malformed GPX ({str(exc).splitlines()[0] if str(exc) else exc!r})"
        ) from None
    if gpx.get_track_points_no() == 0:
        raise InputError(f"{name}: a GPX file without track points")
    bounds = gpx.get_time_bounds()
    if bounds.start_time is None or bounds.end_time is None:
        raise InputError(f"{name}: a GPX track without timestamps")
    start, offset = _utc(bounds.start_time)
    moving = gpx.get_moving_data()
    seconds = moving.moving_time if moving and moving.moving_time > 0 else gpx.get_duration()
    types = [t.type.strip() for t in gpx.tracks if t.type and t.type.strip()]
    activity = _Activity(
        sport=types[0] if types else None,
        start_utc=start,
        distance_m=gpx.length_2d(),
        duration_s=seconds,
        ascent_m=elevation_gain(p.elevation for p in gpx.walk(only_points=True)),
        ascent_from_track=True,
        offset=offset,
    )
    return _batch(name, [activity], today)


def _tcx_times(root: ET.Element) -> tuple[dt.datetime | None, float | None]:
    """The start (first trackpoint, else lap start, else activity Id) and the laps' total time."""
    activity = root.find(f"{_TCX}Activities/{_TCX}Activity")
    if activity is None:
        return None, None
    laps = activity.findall(f"{_TCX}Lap")
    seconds = [float(text) for lap in laps if (text := lap.findtext(f"{_TCX}TotalTimeSeconds"))]
    candidates = [
        activity.findtext(f".//{_TCX}Trackpoint/{_TCX}Time"),
        laps[0].get("StartTime") if laps else None,
        activity.findtext(f"{_TCX}Id"),
    ]
    text = next((c.strip() for c in candidates if c and c.strip()), None)
    start = dt.datetime.fromisoformat(text) if text else None
    return start, (sum(seconds) if seconds else None)


def read_tcx(data: bytes, name: str, *, today: dt.date) -> Batch:
    """Read a TCX activity (see the module docstring).

    Raises
    ------
    InputError
        Malformed XML, no activity, no ``Sport`` or no start time.
    """
    from tcxreader.tcxreader import TCXReader

    xml = _xml_text(data, name).encode("utf-8")
    try:
        root = ET.fromstring(xml)
        # tcxreader takes a path or a file; it reads positions it need not here, and laps' distance.
        exercise = TCXReader().read(io.BytesIO(xml), only_gps=False)  # type: ignore[arg-type]
        start, seconds = _tcx_times(root)
    except ET.ParseError as exc:
        raise InputError(f"{name}: malformed XML ({exc})") from None
    except KeyError:
        raise InputError(f"{name}: a TCX activity without its Sport attribute") from None
    except (ValueError, TypeError, AttributeError) as exc:
        raise InputError(f"{name}: cannot read the TCX file ({exc})") from None
    if exercise.activity_type is None or start is None:
        raise InputError(f"{name}: a TCX file without an activity and its start time")
    metres = exercise.distance or max((tp.distance or 0.0 for tp in exercise.trackpoints), default=0.0)
    start_utc, offset = _utc(start)
    activity = _Activity(
        sport=exercise.activity_type,
        start_utc=start_utc,
        distance_m=metres or None,
        duration_s=seconds if seconds else exercise.duration,
        ascent_m=elevation_gain(tp.elevation for tp in exercise.trackpoints),
        ascent_from_track=True,
        offset=offset,
    )
    return _batch(name, [activity], today)


def read_device(data: bytes, name: str, kind: str, *, today: dt.date) -> Batch:
    """Read a device file of ``kind`` ``'fit'``, ``'gpx'`` or ``'tcx'``."""
    reader = {"fit": read_fit, "gpx": read_gpx, "tcx": read_tcx}[kind]
    return reader(data, name, today=today)
