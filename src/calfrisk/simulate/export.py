"""A simulated runner as a real one would have it: a log in calfrisk's own CSV columns and a profile.

Used for the example log shipped in ``examples/``, the served model's input example and the
walkthrough notebook. Only what a runner could write down is exported: sessions, shoes by name,
their km before the log, the profile and the dates of strains; no latent simulator value.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from calfrisk.exceptions import InputError
from calfrisk.factors import TRAITS

__all__ = [
    "ACTIVITY_FORMATS",
    "EXAMPLE_ATHLETE",
    "SHOE_NAMES",
    "example_log",
    "runner_log",
    "runner_profile",
    "write_activities",
    "write_example",
]

#: The forms :func:`write_activities` writes a runner's sessions in.
ACTIVITY_FORMATS: tuple[str, ...] = ("csv", "csv-untyped", "gpx")

#: The sample cohort's athlete shipped as ``examples/``: 58, jumpy progression, three pairs of shoes,
#: 70-100 km a week, a grade-1 strain in July and a grade-2 strain on 1 November.
EXAMPLE_ATHLETE = 124

#: Names given to a simulated runner's shoes, in order of purchase (then "shoe 7", ...).
SHOE_NAMES: tuple[str, ...] = ("Pegasus", "Novablast", "Clifton", "Ghost", "Kinvara", "Ride")


def _shoe_name(shoe_id: int) -> str:
    return SHOE_NAMES[shoe_id - 1] if 1 <= shoe_id <= len(SHOE_NAMES) else f"shoe {shoe_id}"


def runner_log(tables: dict[str, pd.DataFrame], athlete_id: int) -> pd.DataFrame:
    """One athlete's sessions in calfrisk's own CSV columns.

    Parameters
    ----------
    tables : dict of DataFrame
        A simulated cohort (``training_log`` at least).
    athlete_id : int
        The athlete.

    Returns
    -------
    DataFrame
        ``date`` (ISO string), ``distance_km``, ``duration_min``, ``elevation_gain_m``,
        ``session_type``, ``shoe``; one row per session, in date order.
    """
    log = tables["training_log"]
    log = log[log["athlete_id"] == athlete_id].sort_values("date", kind="stable")
    return pd.DataFrame(
        {
            "date": pd.to_datetime(log["date"]).dt.strftime("%Y-%m-%d").to_numpy(),
            "distance_km": log["distance_km"].round(2).to_numpy(),
            "duration_min": log["duration_min"].round(1).to_numpy(),
            "elevation_gain_m": log["elevation_gain_m"].round(0).to_numpy(),
            "session_type": log["session_type"].astype(str).to_numpy(),
            "shoe": [_shoe_name(int(s)) for s in log["shoe_id"]],
        }
    )


def example_log(
    tables: dict[str, pd.DataFrame], *, days: int = 120, min_days: int = 29, today: dt.date | None = None
) -> pd.DataFrame:
    """A short log from a cohort that reads as a runner's own: the served model's input example.

    The first athlete (by id) whose sessions in the cohort's first ``days`` days span at least
    ``min_days`` days gives those sessions. A simulated cohort may run past today, which no real
    log does (the readers refuse a future session); such an example is moved back by whole weeks
    (weekdays kept) until its last session is on or before ``today``. Its dates only illustrate the
    format: nothing else about the cohort changes.

    Parameters
    ----------
    tables : dict of DataFrame
        A simulated cohort (``training_log`` at least).
    days : int, default=120
        Days of the cohort's log the example covers.
    min_days : int, default=29
        The span, first to last session, an athlete needs: a model scores a day after 28 days of log.
    today : date, optional
        The date the example must not pass; default the system date.

    Returns
    -------
    DataFrame
        The example in :func:`runner_log`'s columns.

    Raises
    ------
    InputError
        If no athlete's sessions span ``min_days`` days within the first ``days``.

    Examples
    --------
    >>> import datetime
    >>> from calfrisk.tables import load_cohort
    >>> tables, _ = load_cohort("data/synthetic/sample")
    >>> log = example_log(tables, today=datetime.date(2025, 2, 1))
    >>> log["date"].max() <= "2025-02-01"
    True
    """
    today = today or dt.date.today()
    log = tables["training_log"]
    dates = pd.to_datetime(log["date"])
    window = log[dates < dates.min() + pd.Timedelta(days=days)]
    span = window.groupby("athlete_id")["date"].agg(lambda d: (d.max() - d.min()).days + 1)
    enough = span.index[span.to_numpy() >= min_days]
    if len(enough) == 0:
        raise InputError(
            f"training_log: no athlete's sessions span {min_days} days within the first {days}, "
            "so there is no runner's log to give the served model as its example"
        )
    athlete = enough.min()
    example = runner_log({"training_log": window}, athlete).reset_index(drop=True)
    last = dt.date.fromisoformat(example["date"].iloc[-1])
    weeks = -(-(last - today).days // 7) if last > today else 0
    if weeks:
        shifted = pd.to_datetime(example["date"]) - pd.Timedelta(weeks=weeks)
        example["date"] = shifted.dt.strftime("%Y-%m-%d").to_numpy()
    return example


def runner_profile(tables: dict[str, pd.DataFrame], athlete_id: int) -> dict[str, object]:
    """The athlete's profile as ``calfrisk predict --profile`` reads it (a YAML-ready mapping)."""
    athletes = tables["athletes"].set_index("athlete_id")
    row = athletes.loc[athlete_id]
    profile: dict[str, object] = {
        "athlete_id": f"athlete {athlete_id}",
        "age": round(float(row["age"]), 1),
        "sex": str(row["sex"]),
        "prior_calf_strains": int(row["prior_calf_strains"]),
        "glute_test_score": round(float(row["glute_test_score"]), 1),
        "calf_test_score": round(float(row["calf_test_score"]), 1),
        "warmup_habit": bool(row["warmup_habit"]),
        "stretching_habit": bool(row["stretching_habit"]),
        **{f.trait.column: float(row[f.trait.column]) for f in TRAITS},
    }
    shoes = tables.get("shoes")
    if shoes is not None:
        mine = shoes[(shoes["athlete_id"] == athlete_id) & (shoes["km"] > 0)]
        pairs = zip(mine["shoe_id"], mine["km"], strict=True)
        profile["shoe_km"] = {_shoe_name(int(s)): float(round(km)) for s, km in pairs}
    injuries = tables.get("injuries")
    if injuries is not None:
        dates = injuries.loc[injuries["athlete_id"] == athlete_id, "date"]
        profile["strains"] = [d.date() for d in pd.to_datetime(dates)]
    return profile


def write_example(cohort_dir: str | Path, athlete_id: int, out_dir: str | Path) -> None:
    """Write ``runner_log.csv`` and ``runner_profile.yaml`` of one athlete of a cohort, atomically."""
    import yaml

    from calfrisk.io import atomic_write_text
    from calfrisk.tables import load_cohort

    tables, _ = load_cohort(cohort_dir)
    out = Path(out_dir)
    log = runner_log(tables, athlete_id).to_csv(index=False, lineterminator="\n")
    profile = yaml.safe_dump(runner_profile(tables, athlete_id), sort_keys=False, allow_unicode=True)
    header = (
        f"# Profile of athlete {athlete_id} of the sample cohort (data/synthetic/sample), as a runner "
        "would fill it in.\n# Every key is optional; see `calfrisk predict --help`.\n"
    )
    atomic_write_text(out / "runner_log.csv", log)
    atomic_write_text(out / "runner_profile.yaml", header + profile)


def _gpx(row: object, start_hour: int) -> str:
    """One session as a GPX 1.1 track heading north from 50 N 8 E, a point every 30 s.

    Its 2-D length is the session's distance (gpxpy's own degree length), its points move steadily
    (the moving time is the duration), and it climbs the session's ascent in its first half.
    """
    import gpxpy.gpx
    from gpxpy.geo import ONE_DEGREE

    start = dt.datetime.fromisoformat(row.date).replace(hour=start_hour, tzinfo=dt.UTC)
    seconds, metres, climb = row.duration_min * 60.0, row.distance_km * 1000.0, float(row.elevation_gain_m)
    n = max(int(seconds // 30), 2)
    gpx = gpxpy.gpx.GPX()
    track = gpxpy.gpx.GPXTrack()
    track.type = "running"
    segment = gpxpy.gpx.GPXTrackSegment()
    gpx.tracks.append(track)
    track.segments.append(segment)
    for i in range(n + 1):
        t = seconds * i / n
        segment.points.append(
            gpxpy.gpx.GPXTrackPoint(
                50.0 + metres * i / n / ONE_DEGREE,
                8.0,
                elevation=round(100.0 + climb * min(2.0 * i / n, 1.0), 2),
                time=start + dt.timedelta(seconds=t),
            )
        )
    return gpx.to_xml()


def write_activities(
    tables: dict[str, pd.DataFrame],
    athlete_id: int,
    folder: str | Path,
    fmt: str = "csv",
    *,
    start_hour: int = 7,
) -> list[Path]:
    """Write one simulated runner's sessions as a runner's files: what ``calfrisk import`` reads.

    Parameters
    ----------
    tables : dict of DataFrame
        A simulated cohort (``training_log`` at least).
    athlete_id : int
        The runner.
    folder : str or Path
        Created if needed; the runner's folder in a study's runners folder.
    fmt : {'csv', 'csv-untyped', 'gpx'}
        calfrisk's own CSV (``log.csv``, :func:`runner_log`'s columns), the same without the session
        type (as most apps record it), or a GPX track per session (``run-NNNN.gpx``; no shoe, no
        type, start at ``start_hour`` UTC).

    Returns
    -------
    list of Path
        The files written.

    Examples
    --------
    >>> import tempfile
    >>> from calfrisk.tables import load_cohort
    >>> tables, _ = load_cohort("data/synthetic/sample")
    >>> folder = Path(tempfile.mkdtemp())
    >>> [p.name for p in write_activities(tables, 3, folder, "csv-untyped")]
    ['log.csv']
    """
    if fmt not in ACTIVITY_FORMATS:
        raise InputError(f"fmt {fmt!r}: not one of {', '.join(ACTIVITY_FORMATS)}")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    log = runner_log(tables, athlete_id)
    if fmt != "gpx":
        table = log.drop(columns=["session_type"]) if fmt == "csv-untyped" else log
        path = folder / "log.csv"
        table.to_csv(path, index=False, lineterminator="\n")
        return [path]
    paths = []
    for i, row in enumerate(log.itertuples(index=False)):
        path = folder / f"run-{i:04d}.gpx"
        path.write_text(_gpx(row, start_hour), encoding="utf-8")
        paths.append(path)
    return paths
