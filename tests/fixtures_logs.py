"""Writers of training-log fixtures in every format calfrisk reads, for tests to build inputs from.

Each writer takes plain values and writes one file the way the real exporter would (headers, units,
quoting, time formats; see ``formats.md``), so tests state what a file holds and check what the
readers make of it. Device files are written with the libraries that read or build them: GPX with
gpxpy, FIT with fit-tool's builder; TCX is plain XML text.
"""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from gpxpy.geo import ONE_DEGREE

UTC = dt.UTC
#: gpxpy's length of one degree of latitude, in metres (its flat-earth distance for short steps).
ONE_DEGREE_M = ONE_DEGREE

#: The first columns of a real English Strava export header (94 columns in the sample), with its
#: repeated names, plus the later columns the reader uses.
STRAVA_HEADER = [
    "Activity ID", "Activity Date", "Activity Name", "Activity Type", "Activity Description",
    "Elapsed Time", "Distance", "Max Heart Rate", "Relative Effort", "Commute", "Activity Private Note",
    "Activity Gear", "Filename", "Athlete Weight", "Bike Weight", "Elapsed Time", "Moving Time",
    "Distance", "Max Speed", "Average Speed", "Elevation Gain", "Elevation Loss", "Perceived Exertion",
    "Commute", "Gear",
]  # fmt: skip
#: The same columns as a German account exports them.
STRAVA_HEADER_DE = [
    "Aktivitäts-ID", "Aktivitätsdatum", "Name der Aktivität", "Aktivitätsart", "Beschreibung der Aktivität",
    "Verstrichene Zeit", "Distanz", "Max. Herzfrequenz", "Relative Leistung", "Pendeln",
    "Private Notiz zur Aktivität", "Aktivitätsausrüstung", "Dateiname", "Sportlergewicht", "Fahrradgewicht",
    "Verstrichene Zeit", "Bewegungszeit", "Distanz", "Max. Geschwindigkeit", "Durchschnittsgeschwindigkeit",
    "Höhenzunahme", "Höhenabnahme", "Perceived Exertion", "Pendeln", "Ausrüstung",
]  # fmt: skip
#: The lower-case header of exports made before mid-2019 (distance in metres, no moving time).
STRAVA_HEADER_OLD = [
    "id",
    "date",
    "name",
    "type",
    "description",
    "elapsed_time",
    "distance",
    "commute",
    "gear",
    "filename",
]
#: A real Garmin Connect Activities.csv header (running columns).
GARMIN_HEADER = [
    "Activity Type", "Date", "Favorite", "Title", "Distance", "Calories", "Time", "Avg HR", "Max HR",
    "Aerobic TE", "Avg Run Cadence", "Max Run Cadence", "Avg Pace", "Best Pace", "Total Ascent",
    "Total Descent", "Avg Stride Length", "Steps", "Moving Time", "Elapsed Time",
]  # fmt: skip
GARMIN_HEADER_DE = [
    "Aktivitätstyp", "Datum", "Favorit", "Titel", "Distanz", "Kalorien", "Zeit", "Ø Herzfrequenz",
    "Maximale Herzfrequenz", "Aerober TE", "Ø Schrittfrequenz (Laufen)", "Max. Schrittfrequenz (Laufen)",
    "Ø Pace", "Beste Pace", "Anstieg gesamt", "Abstieg gesamt", "Ø Schrittlänge", "Schritte",
    "Zeit in Bewegung", "Verstrichene Zeit",
]  # fmt: skip


@dataclass
class Run:
    """One activity to write: start, distance, moving time, climb, activity type, shoe.

    ``start`` is naive: UTC for Strava and device files (which record UTC), local time for Garmin
    CSVs. ``offset_h`` is the device's UTC offset, written into device files (local = start + offset).
    """

    start: dt.datetime
    distance_km: float
    duration_min: float
    elevation_gain_m: float | None = 0.0
    sport: str = "Run"
    shoe: str | None = None
    description: str = ""
    offset_h: float | None = None


def _write(path: Path, data: bytes, gz: bool) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data, mtime=0) if gz else data)
    return path


def _csv_bytes(header: list[str], rows: list[list[object]], *, quote_all: bool = False) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(
        buffer, quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL, lineterminator="\n"
    )
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


# --- own CSV -----------------------------------------------------------------------------------------


def write_own_csv(path: Path, sessions: pd.DataFrame, *, gz: bool = False) -> Path:
    """Write ``sessions`` (own-format columns; ``date`` a datetime) as calfrisk's own CSV.

    Dates at midnight are written ``YYYY-MM-DD``, others ``YYYY-MM-DDTHH:MM:SS``; missing values
    are empty cells; floats keep full precision.
    """
    table = sessions.copy()
    dates = pd.to_datetime(table["date"])
    table["date"] = [
        d.strftime("%Y-%m-%d") if d == d.normalize() else d.strftime("%Y-%m-%dT%H:%M:%S") for d in dates
    ]
    text = table.to_csv(index=False, na_rep="", float_format="%.17g", lineterminator="\n")
    return _write(path, text.encode("utf-8"), gz)


# --- Strava ------------------------------------------------------------------------------------------


def strava_date(moment: dt.datetime, style: str) -> str:
    """``moment`` as a Strava export writes it: ``new``, ``old``, ``german`` or ``german_long``."""
    if style == "new":
        return f"{moment:%b} {moment.day}, {moment.year}, {moment.hour % 12 or 12}:{moment:%M:%S %p}"
    if style == "old":
        return f"{moment:%Y-%m-%d %H:%M:%S}"
    if style == "german":
        return f"{moment:%d.%m.%Y, %H:%M:%S}"
    months = ["Jan.", "Feb.", "März", "Apr.", "Mai", "Juni", "Juli", "Aug.", "Sept.", "Okt.", "Nov.", "Dez."]
    return f"{moment.day}. {months[moment.month - 1]} {moment.year}, {moment:%H:%M:%S}"


def write_strava_csv(
    path: Path,
    runs: list[Run],
    *,
    style: str = "new",
    moving_share: float = 1.0,
    metres_factor: float = 1000.0,
) -> Path:
    """Write a Strava ``activities.csv`` in the ``new`` (English), ``german`` or ``old`` style.

    ``moving_share`` scales moving time from elapsed time (moving = share x elapsed; the run's
    ``duration_min`` is the moving time). ``metres_factor`` is what the second Distance column
    holds per km (1000; anything else makes the two columns disagree).
    """
    rows: list[list[object]] = []
    for i, run in enumerate(runs):
        moving_s = round(run.duration_min * 60, 3)
        elapsed_s = round(moving_s / moving_share)
        gain = "" if run.elevation_gain_m is None else run.elevation_gain_m
        if style == "old":
            rows.append([
                1000 + i, strava_date(run.start, "old"), "Run", run.sport, run.description, elapsed_s,
                run.distance_km * 1000, "false", run.shoe or "", f"activities/{1000 + i}.fit.gz",
            ])  # fmt: skip
            continue
        km_shown = f"{run.distance_km:.2f}".replace(".", "," if style.startswith("german") else ".")
        rows.append([
            1000 + i, strava_date(run.start, style), "Morning Run", run.sport, run.description, elapsed_s,
            km_shown, "", "", "false", "", run.shoe or "", f"activities/{2000 + i}.fit.gz", "", "",
            float(elapsed_s), moving_s, run.distance_km * metres_factor, 4.1, 2.9, gain, gain, "",
            "false", run.shoe or "",
        ])  # fmt: skip
    header = {"new": STRAVA_HEADER, "old": STRAVA_HEADER_OLD}.get(style, STRAVA_HEADER_DE)
    return _write(path, _csv_bytes(header, rows), gz=False)


# --- Garmin ------------------------------------------------------------------------------------------


def _clock(seconds: float) -> str:
    whole = round(seconds)
    return f"{whole // 3600:02d}:{whole % 3600 // 60:02d}:{whole % 60:02d}"


def _garmin_number(value: float, decimals: int, decimal: str) -> str:
    text = f"{value:,.{decimals}f}"  # English grouping: 4,808.5
    return text.translate(str.maketrans(",.", ".,")) if decimal == "," else text


def write_garmin_csv(
    path: Path,
    runs: list[Run],
    *,
    units: str = "km",
    decimal: str = ".",
    german: bool = False,
    stride_unit: str | None = None,
    pace_unit: str | None = None,
    columns: list[str] | None = None,
) -> Path:
    """Write a Garmin Connect ``Activities.csv`` with every cell quoted, as Garmin does.

    ``units`` is the account's distance unit (elevation and stride follow: m with km, ft with mi,
    unless ``stride_unit`` says otherwise); ``pace_unit`` defaults to ``units``; ``decimal`` is the
    decimal mark (the other mark groups thousands). ``columns`` keeps only those header columns.
    Runs' ``start`` is local time.
    """
    per_unit = 1.609344 if units == "mi" else 1.0
    stride_unit = stride_unit or ("ft" if units == "mi" else "m")
    pace_per = 1.609344 if (pace_unit or units) == "mi" else 1.0
    rows = []
    for run in runs:
        seconds = run.duration_min * 60
        distance = run.distance_km / per_unit
        stride_m = 1.05
        steps = run.distance_km * 1000 / stride_m
        stride = stride_m / 0.3048 if stride_unit == "ft" else stride_m
        gain = run.elevation_gain_m
        gain_text = (
            "--" if gain is None else _garmin_number(gain / (0.3048 if units == "mi" else 1.0), 0, decimal)
        )
        rows.append([
            run.sport, f"{run.start:%Y-%m-%d %H:%M:%S}", "false", f"Town {run.sport}",
            _garmin_number(distance, 2, decimal), _garmin_number(7 * seconds / 60 + 1000, 0, decimal),
            _clock(seconds), "150", "171", _garmin_number(3.1, 1, decimal), "172", "190",
            _clock(seconds / run.distance_km * pace_per)[3:] if run.distance_km else "--", "4:05",
            gain_text, gain_text,
            _garmin_number(stride, 2, decimal), _garmin_number(steps, 0, decimal), _clock(seconds),
            _clock(seconds + 30),
        ])  # fmt: skip
    header = GARMIN_HEADER_DE if german else GARMIN_HEADER
    if columns is not None:
        keep = [i for i, name in enumerate(GARMIN_HEADER) if name in columns]
        header = [header[i] for i in keep]
        rows = [[row[i] for i in keep] for row in rows]
    return _write(path, _csv_bytes(header, rows, quote_all=True), gz=False)


# --- device files ------------------------------------------------------------------------------------


def _track(
    run: Run, step_s: int, altitudes: Sequence[float] | None = None
) -> list[tuple[dt.datetime, float, float]]:
    """(time, metres from start, elevation) every ``step_s`` seconds, ending exactly at the end.

    The elevations climb steadily for the first half, then stay level, so the ascent equals the
    gain; or they are ``altitudes``, one point each, spread evenly over the run.
    """
    seconds = run.duration_min * 60
    n = max(int(seconds // step_s), 2) if altitudes is None else len(altitudes) - 1
    times = [i * seconds / n for i in range(n + 1)]
    climb = run.elevation_gain_m or 0.0
    metres = run.distance_km * 1000
    heights = (
        list(altitudes) if altitudes is not None else [100 + climb * min(2 * t / seconds, 1) for t in times]
    )
    return [
        (run.start + dt.timedelta(seconds=t), metres * t / seconds, h)
        for t, h in zip(times, heights, strict=True)
    ]


def write_gpx(
    path: Path,
    run: Run,
    *,
    gpx_type: str | None = "running",
    gz: bool = False,
    leading_whitespace: str = "",
    step_s: int = 10,
    altitudes: Sequence[float] | None = None,
) -> Path:
    """Write ``run`` as a GPX 1.1 track heading north, through gpxpy.

    The track's 2-D length is the run's distance (within gpxpy's rounding), its points move steadily
    (so the moving time is the duration) and climb ``elevation_gain_m`` then stay level, or follow
    ``altitudes`` (one point each). ``offset_h`` writes the times with that UTC offset (the same
    instants, on the local clock).
    """
    import gpxpy.gpx

    zone = UTC if run.offset_h is None else dt.timezone(dt.timedelta(hours=run.offset_h))
    gpx = gpxpy.gpx.GPX()
    track = gpxpy.gpx.GPXTrack()
    track.type = gpx_type
    segment = gpxpy.gpx.GPXTrackSegment()
    gpx.tracks.append(track)
    track.segments.append(segment)
    with_elevation = run.elevation_gain_m is not None or altitudes is not None
    for moment, metres, elevation in _track(run, step_s, altitudes):
        segment.points.append(
            gpxpy.gpx.GPXTrackPoint(
                50.0 + metres / ONE_DEGREE_M,
                8.0,
                elevation=round(elevation, 2) if with_elevation else None,
                time=moment.replace(tzinfo=UTC).astimezone(zone),
            )
        )
    return _write(path, (leading_whitespace + gpx.to_xml()).encode("utf-8"), gz)


def tcx_text(
    run: Run,
    *,
    sport: str = "Running",
    laps: int = 2,
    step_s: int = 10,
    altitudes: Sequence[float] | None = None,
) -> str:
    """``run`` as TCX XML text: ``laps`` laps with StartTime, TotalTimeSeconds, DistanceMeters.

    The trackpoints' altitudes are as in :func:`write_gpx` (``altitudes``: one trackpoint each).
    """
    zone = "Z" if run.offset_h is None else f"{run.offset_h:+03.0f}:00"
    shift = dt.timedelta(hours=run.offset_h or 0)

    def stamp(moment: dt.datetime) -> str:
        moment += shift
        return f"{moment:%Y-%m-%dT%H:%M:%S}.{moment.microsecond // 1000:03d}{zone}"

    points = _track(run, step_s, altitudes)
    chunks = [points[i * len(points) // laps : (i + 1) * len(points) // laps] for i in range(laps)]
    parts = []
    for i, chunk in enumerate(chunks):
        end = chunks[i + 1][0] if i + 1 < laps else chunk[-1]
        seconds = (end[0] - chunk[0][0]).total_seconds()
        metres = end[1] - chunk[0][1]
        trackpoints = "".join(
            f"<Trackpoint><Time>{stamp(t)}</Time><Position><LatitudeDegrees>{50 + m / ONE_DEGREE_M:.7f}"
            f"</LatitudeDegrees><LongitudeDegrees>8.0</LongitudeDegrees></Position>"
            f"<AltitudeMeters>{e:.2f}</AltitudeMeters><DistanceMeters>{m:.2f}</DistanceMeters></Trackpoint>"
            for t, m, e in chunk
        )
        parts.append(
            f'<Lap StartTime="{stamp(chunk[0][0])}"><TotalTimeSeconds>{seconds:.3f}</TotalTimeSeconds>'
            f"<DistanceMeters>{metres:.3f}</DistanceMeters><Calories>100</Calories>"
            f"<Intensity>Active</Intensity><TriggerMethod>Manual</TriggerMethod><Track>{trackpoints}</Track></Lap>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2">'
        f'<Activities><Activity Sport="{sport}"><Id>{stamp(run.start)}</Id>{"".join(parts)}</Activity>'
        "</Activities></TrainingCenterDatabase>\n"
    )


def write_tcx(
    path: Path,
    run: Run,
    *,
    sport: str = "Running",
    gz: bool = False,
    leading_whitespace: str = "",
    altitudes: Sequence[float] | None = None,
) -> Path:
    """Write ``run`` as a TCX file (see :func:`tcx_text`)."""
    text = leading_whitespace + tcx_text(run, sport=sport, altitudes=altitudes)
    return _write(path, text.encode("utf-8"), gz)


def fit_bytes(
    run: Run,
    *,
    sport: str = "running",
    sub_sport: str = "generic",
    session: bool = True,
    records: int = 8,
    altitudes: Sequence[float] | None = None,
    total_ascent: bool = True,
) -> bytes:
    """``run`` as a FIT activity built with fit-tool: file_id, records, a lap, a session, an activity.

    ``sport``/``sub_sport`` are fit-tool's enum names in lower case (``'cycling'``, ``'treadmill'``).
    Without ``session`` only the records carry the run (distance, altitude, timestamps).
    ``offset_h`` adds the activity's ``local_timestamp`` (the device's UTC offset). The records
    climb ``elevation_gain_m`` steadily, or follow ``altitudes`` (one record each); the lap and
    session give it as ``total_ascent`` unless ``total_ascent`` is false.
    """
    from fit_tool.fit_file_builder import FitFileBuilder
    from fit_tool.profile.messages.activity_message import ActivityMessage
    from fit_tool.profile.messages.file_id_message import FileIdMessage
    from fit_tool.profile.messages.lap_message import LapMessage
    from fit_tool.profile.messages.record_message import RecordMessage
    from fit_tool.profile.messages.session_message import SessionMessage
    from fit_tool.profile.profile_type import FileType, Manufacturer, Sport, SubSport

    def ms(moment: dt.datetime) -> int:
        return round(moment.replace(tzinfo=UTC).timestamp() * 1000)

    start, seconds, metres = run.start, run.duration_min * 60, run.distance_km * 1000
    end = start + dt.timedelta(seconds=seconds)
    builder = FitFileBuilder(auto_define=True)
    file_id = FileIdMessage()
    file_id.type = FileType.ACTIVITY
    file_id.manufacturer = Manufacturer.DEVELOPMENT.value
    file_id.product = 0
    file_id.serial_number = 0x1234
    file_id.time_created = ms(start)
    builder.add(file_id)
    if altitudes is not None:
        records = len(altitudes)
    for i in range(records):
        record = RecordMessage()
        record.timestamp = ms(start + dt.timedelta(seconds=seconds * i / (records - 1)))
        record.distance = metres * i / (records - 1)
        record.altitude = (
            100.0 + (run.elevation_gain_m or 0.0) * i / (records - 1) if altitudes is None else altitudes[i]
        )
        builder.add(record)
    if session:
        for message in (LapMessage(), SessionMessage()):
            message.timestamp = ms(end)
            message.start_time = ms(start)
            message.sport = Sport[sport.upper()]
            message.sub_sport = SubSport[sub_sport.upper()]
            message.total_distance = metres
            message.total_timer_time = seconds
            message.total_elapsed_time = seconds + 20
            if run.elevation_gain_m is not None and total_ascent:
                message.total_ascent = round(run.elevation_gain_m)
            builder.add(message)
    activity = ActivityMessage()
    activity.timestamp = ms(end)
    if run.offset_h is not None:
        # local_timestamp counts seconds from the FIT epoch, 1989-12-31 00:00 UTC.
        fit_epoch = dt.datetime(1989, 12, 31, tzinfo=UTC)
        local = end.replace(tzinfo=UTC) + dt.timedelta(hours=run.offset_h)
        activity.local_timestamp = round((local - fit_epoch).total_seconds())
    builder.add(activity)
    return builder.build().to_bytes()


def write_fit(path: Path, run: Run, *, gz: bool = False, **options: object) -> Path:
    """Write ``run`` as a FIT file (see :func:`fit_bytes` for ``options``)."""
    return _write(path, fit_bytes(run, **options), gz)  # type: ignore[arg-type]
