"""An imported cohort: the tables a simulated cohort has (no truth), its manifest, and its folder.

Whatever the source (runners' files, the Lövdal data set), an import ends as an
:class:`ImportedCohort`: the ``athletes``, ``training_log``, ``injuries`` and ``shoes`` tables under
the names and units of :mod:`calfrisk.schema`, and a manifest saying where each runner's data came
from, what was left out and why, and what the injuries are (calf strains, or any running injury).
:func:`imported_tables` puts the tables in their stored types; :func:`write_cohort` writes the folder
atomically, ``manifest.json`` beside the tables, which the learning steps read like a simulated
cohort's (:func:`calfrisk.tables.open_cohort`).

Differences from a simulated cohort, each by design:

- ``athlete_id`` is text (a runner's folder name, a data set's id, or a pseudonym).
- A value the source does not give stays missing: a profile value, a session's duration or
  climbing, an injury's grade or layoff. Never a cohort median.
- ``shoe_id`` 0 is a session whose shoe was not recorded.
- There is no ``truth`` table: no oracle, and each runner's days run from the first to the last
  day of their log.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from calfrisk.exceptions import InputError
from calfrisk.schema import OUTCOMES, PROFILE_COLUMNS, SESSION_TYPES
from calfrisk.storage import atomic_folder
from calfrisk.tables import MANIFEST, REQUIRED_COLUMNS

__all__ = ["IMPORTED_TABLES", "ImportedCohort", "imported_tables", "write_cohort"]

#: The tables an import writes, in writing order (a simulated cohort's, without ``truth``).
IMPORTED_TABLES: tuple[str, ...] = ("athletes", "training_log", "injuries", "shoes")

_TRAINING_LOG = tuple(REQUIRED_COLUMNS["training_log"])
_INJURIES = ("athlete_id", "date", "grade", "layoff_days")
_SHOES = tuple(REQUIRED_COLUMNS["shoes"])
#: Athletes-table columns beyond the profile that a researcher may give, with their stored types.
ATHLETE_EXTRA: dict[str, str] = {
    "years_running": "Float64",
    "sessions_per_week": "Int8",
    "shoe_pairs": "Int8",
    "strength_sessions_per_week": "Int8",
}
_BOOLEAN = ("warmup_habit", "stretching_habit")


@dataclass(frozen=True, eq=False)  # DataFrames have no single truth value to compare by
class ImportedCohort:
    """A real cohort, ready to write as a cohort folder.

    Attributes
    ----------
    tables : dict of DataFrame
        ``athletes``, ``training_log``, ``injuries``, ``shoes`` in their stored types
        (:func:`imported_tables`); ``training_log`` may carry extra columns (a data set's own daily
        metrics), kept as they are.
    manifest : dict
        JSON-ready: ``source`` (what was read), ``outcome`` (one of :data:`OUTCOMES`), ``runners``
        (per runner: its inputs, sessions, what was skipped and the readers' notes), ``skipped``
        (runner -> why it was not imported), ``notes`` (facts about the whole import), ``counts``.
    """

    tables: dict[str, pd.DataFrame]
    manifest: dict[str, object] = field(default_factory=dict)

    def __post_init__(self) -> None:
        missing = [name for name in IMPORTED_TABLES if name not in self.tables]
        if missing:
            raise ValueError(f"an imported cohort needs the tables {', '.join(missing)}")
        if self.manifest.get("outcome") not in OUTCOMES:
            raise ValueError(f"the manifest's outcome must be one of {', '.join(OUTCOMES)}")


def _text_ids(column: pd.Series) -> pd.Series:
    return column.astype("string")


def imported_tables(
    athletes: pd.DataFrame,
    training_log: pd.DataFrame,
    injuries: pd.DataFrame,
    shoes: pd.DataFrame,
    days: pd.DataFrame | None = None,
) -> dict[str, pd.DataFrame]:
    """The four tables in their stored types, sorted by athlete (and date); and ``days`` when given.

    Missing profile columns are added as missing values; a log's extra columns are kept. ``days``
    (``athlete_id``, ``date``) lists the days the source observed, for a source that does not
    cover every day of a runner's span (a data set of windows): the others are not scored.

    Examples
    --------
    >>> log = pd.DataFrame({"athlete_id": ["a"], "date": ["2025-03-01"], "distance_km": [8.0],
    ...                     "duration_min": [45.0], "elevation_gain_m": [None],
    ...                     "session_type": ["easy"], "shoe_id": [0]})
    >>> tables = imported_tables(pd.DataFrame({"athlete_id": ["a"]}), log,
    ...                          pd.DataFrame(columns=["athlete_id", "date"]), pd.DataFrame())
    >>> tables["athletes"]["age"].isna().all(), str(tables["training_log"]["athlete_id"].dtype)
    (np.True_, 'string')
    """
    people = athletes.copy()
    people["athlete_id"] = _text_ids(people["athlete_id"])
    for column in PROFILE_COLUMNS:
        if column not in people:
            people[column] = pd.NA
    for column in PROFILE_COLUMNS:
        if column == "sex":
            people[column] = pd.Categorical(people[column].astype("string"), categories=["F", "M"])
        elif column in _BOOLEAN:
            people[column] = people[column].astype("boolean")
        elif column == "prior_calf_strains":
            people[column] = people[column].astype("Int16")
        else:
            people[column] = pd.to_numeric(people[column]).astype("Float64")
    for column, dtype in ATHLETE_EXTRA.items():
        if column in people:
            people[column] = pd.to_numeric(people[column]).astype(dtype)
    people = people.sort_values("athlete_id", kind="stable").reset_index(drop=True)

    log = training_log.copy()
    log["athlete_id"] = _text_ids(log["athlete_id"])
    log["date"] = pd.to_datetime(log["date"]).dt.normalize().astype("datetime64[ms]")
    for column in ("distance_km", "duration_min", "elevation_gain_m"):
        log[column] = pd.to_numeric(log[column]).astype("float64")
    log["session_type"] = pd.Categorical(log["session_type"], categories=list(SESSION_TYPES))
    log["shoe_id"] = log["shoe_id"].astype("int32")
    extra = [c for c in log.columns if c not in _TRAINING_LOG]
    log = (
        log[[*_TRAINING_LOG, *extra]]
        .sort_values(["athlete_id", "date"], kind="stable")
        .reset_index(drop=True)
    )

    onsets = pd.DataFrame({c: injuries.get(c, pd.NA) for c in _INJURIES}, index=injuries.index)
    onsets["athlete_id"] = _text_ids(onsets["athlete_id"])
    onsets["date"] = pd.to_datetime(onsets["date"]).astype("datetime64[ms]")
    onsets["grade"] = pd.to_numeric(onsets["grade"]).astype("Int8")
    onsets["layoff_days"] = pd.to_numeric(onsets["layoff_days"]).astype("Int16")
    onsets = onsets.sort_values(["athlete_id", "date"], kind="stable").reset_index(drop=True)

    pairs = pd.DataFrame({c: shoes[c] if c in shoes else pd.Series(dtype=object) for c in _SHOES})
    pairs = pairs.astype({"shoe_id": "int32", "km": "float64"})
    pairs["athlete_id"] = _text_ids(pairs["athlete_id"])
    pairs = pairs.sort_values(["athlete_id", "shoe_id"], kind="stable").reset_index(drop=True)
    tables = {"athletes": people, "training_log": log, "injuries": onsets, "shoes": pairs}
    if days is not None:
        seen = pd.DataFrame({"athlete_id": _text_ids(days["athlete_id"])})
        seen["date"] = pd.to_datetime(days["date"]).dt.normalize().astype("datetime64[ms]").to_numpy()
        tables["days"] = seen.drop_duplicates().sort_values(["athlete_id", "date"]).reset_index(drop=True)
    return tables


def _json_default(value: object) -> object:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if isinstance(value, np.bool_):
        return bool(value)
    raise TypeError(f"not JSON: {type(value).__name__}")


def write_cohort(cohort: ImportedCohort, out_dir: str | Path, *, overwrite: bool = False) -> None:
    """Write an imported cohort as a cohort folder, whole or not at all.

    Each table is one Parquet file (``<name>.parquet``), the manifest ``manifest.json``.

    Raises
    ------
    ParameterError
        If ``out_dir`` exists and is not empty, unless ``overwrite`` (``out_dir``).
    InputError
        If the cohort has no runner with a session.
    """
    if cohort.tables["training_log"].empty:
        raise InputError("no runner with a running session to import")
    manifest = json.dumps(cohort.manifest, indent=2, ensure_ascii=False, default=_json_default) + "\n"
    with atomic_folder(out_dir, overwrite=overwrite) as staging:
        for name in [*IMPORTED_TABLES, *(["days"] if "days" in cohort.tables else [])]:
            table = cohort.tables[name]
            staging.write(f"{name}.parquet", lambda target, t=table: t.to_parquet(target, index=False))
        staging.write_bytes(MANIFEST, manifest.encode("utf-8"))
