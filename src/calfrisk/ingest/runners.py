"""Many runners' training files and a study's records, imported as one cohort.

``RUNNERS_DIR`` holds one entry per runner: a folder (any mix of the inputs ``calfrisk predict``
reads: calfrisk's own CSV, a Strava export, a Garmin CSV, FIT/GPX/TCX files, gzipped or not) or a
single file; its name (a file's without its extensions) is the runner's ``athlete_id``. Each
runner's files go through the same readers (:func:`calfrisk.readers.read_logs`) and the same
conversion to a training log (:func:`calfrisk.readers.sessions.as_training_log`) as a runner's own
log in ``predict``, in parallel (one task per runner, :mod:`joblib` processes).

What is checked before any file is read: the records (:mod:`calfrisk.ingest.records`), that every
runner they name has an entry, and that there is at least one runner. A runner whose files cannot
be read (no running session, a bad file) is left out and named with the reason in the manifest
(``--strict`` refuses the import instead); the others import. After reading: every injury must lie
inside its runner's log (first to last day), every shoe of ``shoes.csv`` must be worn in its
runner's files.

Only what the models read is kept: per session its day, distance, moving time, climbing, type and
shoe number. No start time, position, device, file name or shoe name reaches the tables; with
``pseudonymise`` the runners' ids become salted hashes, the mapping returned apart
(:func:`pseudonyms`), and the manifest lists each runner's inputs by kind only.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from calfrisk.exceptions import InputError
from calfrisk.ingest.cohort import ImportedCohort, imported_tables
from calfrisk.ingest.records import read_athletes, read_injuries, read_shoes

__all__ = ["RunnerEntry", "find_runners", "import_runners", "pseudonyms"]

#: Extensions taken off a single-file runner's name (``ana.fit.gz`` is runner ``ana``).
_EXTENSIONS = (".gz", ".csv", ".fit", ".gpx", ".tcx", ".zip")


@dataclass(frozen=True)
class RunnerEntry:
    """One runner's entry in the runners folder: its id and its folder or file."""

    athlete_id: str
    path: Path


@dataclass
class _Read:
    """What reading one runner gave: its training log and shoes, or why it was left out."""

    athlete_id: str
    log: pd.DataFrame | None = None
    shoes: dict[str, int] = field(default_factory=dict)
    report: dict[str, object] = field(default_factory=dict)
    error: str | None = None


def _runner_name(path: Path) -> str:
    name = path.name
    while True:
        stem, dot, ext = name.rpartition(".")
        if not dot or f".{ext.lower()}" not in _EXTENSIONS or not stem:
            return name
        name = stem


def find_runners(runners_dir: str | Path) -> list[RunnerEntry]:
    """The runners of a runners folder, by id (hidden entries ignored).

    Raises
    ------
    InputError
        If the folder does not exist, holds no runner, or two entries give the same id.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> root = pathlib.Path(tempfile.mkdtemp())
    >>> (root / "ana").mkdir(); _ = (root / "ben.fit.gz").write_bytes(b"")
    >>> [r.athlete_id for r in find_runners(root)]
    ['ana', 'ben']
    """
    root = Path(runners_dir)
    if not root.is_dir():
        raise InputError(f"{root}: no such folder (the runners folder: one subfolder or file per runner)")
    entries: dict[str, Path] = {}
    for path in sorted(root.iterdir()):
        if path.name.startswith("."):
            continue
        name = _runner_name(path)
        if name in entries:
            raise InputError(f"{path}: the same runner id {name!r} as {entries[name]}")
        entries[name] = path
    if not entries:
        raise InputError(f"{root}: no runner (give one subfolder or file per runner)")
    return [RunnerEntry(name, path) for name, path in entries.items()]


def _inputs_of(entry: RunnerEntry) -> list[str]:
    if entry.path.is_file():
        return [entry.path.name]
    return sorted(str(p.relative_to(entry.path)) for p in entry.path.rglob("*") if p.is_file())


def _kind(name: str) -> str:
    lowered = name.lower().removesuffix(".gz")
    return lowered.rsplit(".", 1)[-1] if "." in lowered else "file"


def _read_runner(entry: RunnerEntry, today: dt.date, timezone: str | None, units: str | None) -> _Read:
    """Read one runner's files (a joblib task: no shared state)."""
    from calfrisk.readers import read_logs
    from calfrisk.readers.sessions import as_training_log

    try:
        run_log = read_logs([entry.path], today=today, timezone=timezone, units=units)
    except InputError as exc:
        return _Read(entry.athlete_id, error=str(exc))
    notes = list(run_log.notes)
    log, shoes = as_training_log(run_log.sessions, entry.athlete_id, notes)
    report = {
        "inputs": _inputs_of(entry),
        "sessions": len(log),
        "first_day": log["date"].min().date().isoformat(),
        "last_day": log["date"].max().date().isoformat(),
        "skipped_activities": dict(sorted(run_log.skipped.items())),
        "without_distance": run_log.without_distance,
        "duplicates": run_log.duplicates,
        "notes": notes,
    }
    return _Read(entry.athlete_id, log=log, shoes=shoes, report=report)


def _check_known(records: pd.DataFrame, known: set[str], path: str | Path, what: str) -> None:
    unknown = ~records["athlete_id"].isin(known).to_numpy()
    if unknown.any():
        row = int(unknown.argmax())
        raise InputError(
            f"{path} row {row + 2}: runner {records['athlete_id'].iloc[row]!r} has no entry in the runners "
            f"folder ({what})"
        )


def _check_injury_dates(injuries: pd.DataFrame, spans: pd.DataFrame, path: str | Path) -> None:
    span = spans.reindex(injuries["athlete_id"].to_numpy())
    date = injuries["date"].to_numpy()
    outside = (date < span["first"].to_numpy()) | (date > span["last"].to_numpy())
    if outside.any():
        at = int(outside.argmax())
        who, row = injuries["athlete_id"].iloc[at], injuries.index[at]  # the index is the file's order
        raise InputError(
            f"{path} row {row + 2}: {pd.Timestamp(date[at]).date()} is outside runner {who!r}'s log "
            f"({span['first'].iloc[at].date()} to {span['last'].iloc[at].date()})"
        )


def _shoe_table(shoes: pd.DataFrame, ids: dict[str, dict[str, int]], path: str | Path) -> pd.DataFrame:
    rows = []
    for row, record in zip(shoes.index, shoes.itertuples(index=False), strict=True):  # index: file order
        worn = ids.get(record.athlete_id, {})
        if record.shoe not in worn:
            listed = ", ".join(repr(s) for s in worn) or "none named"
            raise InputError(
                f"{path} row {row + 2}: shoe {record.shoe!r} is not worn in runner {record.athlete_id!r}'s "
                f"files (shoes there: {listed})"
            )
        rows.append({"athlete_id": record.athlete_id, "shoe_id": worn[record.shoe], "km": record.km_before})
    return pd.DataFrame(rows, columns=["athlete_id", "shoe_id", "km"])


def pseudonyms(athlete_ids: list[str], salt: bytes) -> dict[str, str]:
    """Each id's pseudonym: ``r`` and 16 hex digits of its HMAC-SHA256 under ``salt``.

    Without the salt (or the mapping) a pseudonym cannot be traced back by hashing candidate names.

    Examples
    --------
    >>> pseudonyms(["ana"], b"salt")
    {'ana': 'rb22761a912b678b4'}
    """
    out = {a: "r" + hmac.new(salt, a.encode("utf-8"), hashlib.sha256).hexdigest()[:16] for a in athlete_ids}
    if len(set(out.values())) != len(out):  # 2**-64 per pair: a collision means a broken salt
        raise InputError("pseudonyms collide: import again (a new salt is drawn)")
    return out


def _scrub(text: str, root: Path, name: str, alias: str) -> str:
    """A reader's message without the runners folder's location, and with the runner's alias."""
    return text.replace(f"{root}/", "").replace(name, alias)


def _rename(table: pd.DataFrame, mapping: dict[str, str]) -> pd.DataFrame:
    return table.assign(athlete_id=table["athlete_id"].map(mapping).astype("string"))


def import_runners(
    runners_dir: str | Path,
    injuries: str | Path,
    *,
    athletes: str | Path | None = None,
    shoes: str | Path | None = None,
    timezone: str | None = None,
    units: str | None = None,
    today: dt.date | None = None,
    strict: bool = False,
    pseudonymise: bool = False,
    salt: bytes | None = None,
    n_jobs: int = -1,
) -> tuple[ImportedCohort, dict[str, str]]:
    """Import a folder of runners' files and a study's records as a cohort.

    Parameters
    ----------
    runners_dir : str or Path
        One subfolder or file per runner (:func:`find_runners`).
    injuries : str or Path
        ``injuries.csv`` (:func:`calfrisk.ingest.records.read_injuries`): the calf-strain onsets.
    athletes, shoes : str or Path, optional
        ``athletes.csv`` and ``shoes.csv`` (:mod:`calfrisk.ingest.records`).
    timezone : str, optional
        The runners' IANA time zone, for start times their files give in UTC only.
    units : {'km', 'mi'}, optional
        The distance unit of Garmin Connect CSVs (which do not say).
    today : date, optional
        Sessions after it are bad input; default the system date.
    strict : bool, default=False
        Refuse the import when a runner's files cannot be read, instead of leaving the runner out.
    pseudonymise : bool, default=False
        Replace the runners' ids by salted hashes (:func:`pseudonyms`).
    salt : bytes, optional
        The salt; by default 16 random bytes, so the mapping is the only key back.
    n_jobs : int, default=-1
        Runners read at once (processes; -1: one per core).

    Returns
    -------
    cohort : ImportedCohort
        The tables and the manifest.
    mapping : dict
        Runner id -> pseudonym (empty without ``pseudonymise``): keep it apart from the cohort.

    Raises
    ------
    InputError
        A bad records file (named by row and column); a runner the records name without an entry;
        no runner; with ``strict`` any runner that cannot be read, else when none can; an injury
        outside its runner's log; a shoe of ``shoes.csv`` its runner's files never name.
    """
    from joblib import Parallel, delayed

    from calfrisk.readers.zone import load_zone

    if timezone is not None:
        load_zone(timezone)
    records = _Records.read(injuries, athletes, shoes)
    runners = find_runners(runners_dir)
    records.check_known({r.athlete_id for r in runners})
    today = today or dt.date.today()
    results = Parallel(n_jobs=n_jobs)(delayed(_read_runner)(r, today, timezone, units) for r in runners)
    failed = {r.athlete_id: r.error for r in results if r.error is not None}
    if failed and strict:
        name, reason = next(iter(failed.items()))
        raise InputError(f"runner {name!r}: {reason} (--strict: no runner may be left out)")
    read = [r for r in results if r.error is None]
    if not read:
        name, reason = next(iter(failed.items()))
        raise InputError(f"no runner could be read ({len(failed)}; the first, {name!r}: {reason})")
    mapping: dict[str, str] = {}
    if pseudonymise:
        ids = sorted(r.athlete_id for r in runners)
        mapping = pseudonyms(ids, salt if salt is not None else secrets.token_bytes(16))
    return _assemble(read, failed, records, Path(runners_dir), mapping), mapping


@dataclass(frozen=True)
class _Records:
    """The study's records, read and checked before any runner's file."""

    injuries: pd.DataFrame
    athletes: pd.DataFrame
    shoes: pd.DataFrame
    paths: dict[str, str | Path | None]

    @classmethod
    def read(cls, injuries: str | Path, athletes: str | Path | None, shoes: str | Path | None) -> _Records:
        no_ids = pd.array([], "string")
        return cls(
            read_injuries(injuries),
            read_athletes(athletes) if athletes is not None else pd.DataFrame({"athlete_id": no_ids}),
            read_shoes(shoes)
            if shoes is not None
            else pd.DataFrame({"athlete_id": no_ids, "shoe": pd.array([], "string"), "km_before": []}),
            {"injuries": injuries, "athletes": athletes, "shoes": shoes},
        )

    def check_known(self, known: set[str]) -> None:
        for name in ("injuries", "athletes", "shoes"):
            _check_known(getattr(self, name), known, self.paths[name], name)


def _assemble(
    read: list[_Read], failed: dict[str, str], records: _Records, root: Path, mapping: dict[str, str]
) -> ImportedCohort:
    """The cohort from the runners read: injuries and shoes checked against their logs, renamed."""
    notes: list[str] = []
    ok = {r.athlete_id for r in read}
    onsets = records.injuries
    if (~onsets["athlete_id"].isin(ok)).any():
        notes.append(
            f"{int((~onsets['athlete_id'].isin(ok)).sum())} injury record(s) of runners left out dropped"
        )
    onsets = onsets[onsets["athlete_id"].isin(ok)]
    log = pd.concat([r.log for r in read], ignore_index=True)
    spans = log.groupby("athlete_id")["date"].agg(first="min", last="max")
    _check_injury_dates(onsets, spans, records.paths["injuries"])
    onsets = onsets.reset_index(drop=True)
    worn = records.shoes[records.shoes["athlete_id"].isin(ok)]
    shoe_table = _shoe_table(worn, {r.athlete_id: r.shoes for r in read}, records.paths["shoes"])
    profiles = records.athletes
    people = pd.DataFrame({"athlete_id": pd.array(sorted(ok), dtype="string")})
    people = people.merge(profiles, on="athlete_id", how="left")
    no_profile = len(ok - set(profiles["athlete_id"]))
    if no_profile:
        notes.append(f"{no_profile} runner(s) without a row in the athletes file: their profile is missing")
    given = ", ".join(c for c in profiles.columns if c != "athlete_id") or "none"
    notes.append(
        f"profile columns given: {given}; a value not given stays missing (the models see it as unknown)"
    )
    reports = {r.athlete_id: r.report for r in read}
    alias = {a: mapping.get(a, a) for a in ok | set(failed)}
    if mapping:
        log, onsets, shoe_table, people = (_rename(t, mapping) for t in (log, onsets, shoe_table, people))
        for report in reports.values():
            # File names may carry a name or a place: the manifest keeps their kinds only.
            for name in sorted(report["inputs"], key=len, reverse=True):
                report["notes"] = [n.replace(name, f"a {_kind(name)} file") for n in report["notes"]]
            report["inputs"] = dict(Counter(_kind(name) for name in report["inputs"]))
    for a, report in reports.items():
        report["notes"] = [_scrub(n, root, a, alias[a]) for n in report["notes"]]
    manifest = {
        "source": {"format": "runner files", "pseudonymised": bool(mapping)},
        "outcome": "calf strain",
        "runners": dict(sorted((alias[a], report) for a, report in reports.items())),
        "skipped": dict(sorted((alias[a], _scrub(why, root, a, alias[a])) for a, why in failed.items())),
        "notes": notes,
        "counts": {
            "runners": len(read),
            "runners_skipped": len(failed),
            "sessions": len(log),
            "injuries": len(onsets),
            "shoes_with_km": len(shoe_table),
        },
    }
    return ImportedCohort(imported_tables(people, log, onsets, shoe_table), manifest)
