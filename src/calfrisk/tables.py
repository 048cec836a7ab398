"""A cohort folder: its tables, read and checked against what the learning steps need.

A cohort folder holds one Parquet table per name of :data:`calfrisk.schema.TABLES` (and, when
``calfrisk simulate`` wrote it, the ``config.yaml`` it was simulated from). An imported cohort
(``calfrisk import``) has no ``truth`` table and a ``manifest.json`` instead: its athlete-days are
those each runner's log covers (:func:`observed_days`). A table is one file, or
a folder of ``part-NNNNN.parquet`` files, one per chunk of athletes: every table has the same
parts, and part ``k`` of each holds the same athletes. :func:`open_cohort` checks that layout
before any work and lets the learning steps read one part at a time (:meth:`CohortDataset.part`);
:func:`load_cohort` reads the whole cohort.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from calfrisk.config import CohortConfig, load_cohort_config
from calfrisk.exceptions import InputError, ParameterError
from calfrisk.schema import PROFILE_COLUMNS, TABLES
from calfrisk.storage import Folder, locate

__all__ = [
    "MANIFEST",
    "REQUIRED_COLUMNS",
    "CohortDataset",
    "cohort_days",
    "load_cohort",
    "observed_days",
    "open_cohort",
    "read_part",
]

#: The file an imported cohort (``calfrisk import``) has beside its tables, and no ``truth`` table.
MANIFEST = "manifest.json"

#: The columns each table must have; others are carried along.
REQUIRED_COLUMNS = {
    "athletes": ["athlete_id", *PROFILE_COLUMNS],
    "training_log": [
        "athlete_id",
        "date",
        "distance_km",
        "duration_min",
        "elevation_gain_m",
        "session_type",
        "shoe_id",
    ],
    "injuries": ["athlete_id", "date"],
    "truth": ["athlete_id", "date", "in_layoff"],
    "shoes": ["athlete_id", "shoe_id", "km"],
    "days": ["athlete_id", "date"],
}


def _read(folder: Folder, path: str, name: str, columns: list[str] | None = None) -> pd.DataFrame:
    try:
        table = pd.read_parquet(path, columns=columns, filesystem=folder.fs)
    except Exception as exc:  # pyarrow raises several types for unreadable files
        raise InputError(
            f"{folder.show(path)}: not a readable Parquet table ({type(exc).__name__})"
        ) from None
    _require_columns(folder, path, name, table.columns, wanted=columns)
    return table


def _require_columns(
    folder: Folder, path: str, name: str, present: Iterable[str], wanted: list[str] | None = None
) -> None:
    """Refuse a table file without a column the steps need (of those ``wanted``, when given)."""
    present = set(present)
    missing = [c for c in REQUIRED_COLUMNS[name] if c not in present and (wanted is None or c in wanted)]
    if missing:
        raise InputError(f"{folder.show(path)}: missing column(s) {', '.join(missing)}")


def _check_schema(folder: Folder, path: str, name: str) -> None:
    """A table file's columns, from its footer alone: a bad part is named before any work."""
    import pyarrow.parquet as pq

    try:
        with folder.open(path) as f:
            columns = pq.read_schema(f).names
    except Exception as exc:  # pyarrow raises several types for unreadable files
        raise InputError(
            f"{folder.show(path)}: not a readable Parquet table ({type(exc).__name__})"
        ) from None
    _require_columns(folder, path, name, columns)


def read_part(
    root: Folder, files: dict[str, str], columns: dict[str, list[str]] | None = None
) -> dict[str, pd.DataFrame]:
    """The tables of one part of a cohort folder, given its files, each checked for its columns.

    ``columns`` reads only those columns of the tables it names. A Dask worker calls this with the
    part's own file names (:mod:`calfrisk.learn.stream`).

    Raises
    ------
    InputError
        Naming the file that cannot be read or lacks a column.
    """
    columns = columns or {}
    return {name: _read(root, path, name, columns.get(name)) for name, path in files.items()}


@dataclass(frozen=True)
class CohortDataset:
    """A cohort folder whose layout has been checked: its tables' parts, and its config.

    Picklable (a Dask worker reads its parts itself), wherever the folder is.

    Attributes
    ----------
    root : Folder
        The folder, on the local disk or an fsspec file system (:mod:`calfrisk.storage`).
    parts : list of dict
        Per part (chunk of athletes), each table's file.
    config : CohortConfig or None
        The config it was simulated from, when the folder has one.
    manifest : dict or None
        An imported cohort's manifest (what was read, what the injuries are); None for a simulated one.
    """

    root: Folder
    parts: list[dict[str, str]]
    config: CohortConfig | None
    manifest: dict | None = None

    def part(self, index: int, columns: dict[str, list[str]] | None = None) -> dict[str, pd.DataFrame]:
        """The tables of one part (its athletes only), each checked for its required columns.

        ``columns`` reads only those columns of the tables it names (see :func:`read_part`).
        """
        return read_part(self.root, self.parts[index], columns)


def _table_files(root: Folder, name: str) -> list[str]:
    table = f"{name}.parquet"
    if not root.exists(table):
        raise ParameterError(
            "data_dir",
            root,
            f"no {table} (a cohort folder holds {', '.join(f'{t}.parquet' for t in TABLES)})",
        )
    if not root.isdir(table):
        return [root.child(table)]
    found = root.glob(f"{table}/part-*.parquet")
    if not found:
        raise InputError(f"{root.show(root.child(table))}: a folder without part-NNNNN.parquet files")
    return found


def _config(root: Folder) -> CohortConfig | None:
    if not root.exists("config.yaml"):
        return None
    if root.fs is None:
        return load_cohort_config(root.child("config.yaml"))
    with tempfile.TemporaryDirectory() as tmp:  # the config loader reads files
        local = Path(tmp) / "config.yaml"
        local.write_text(root.read_text("config.yaml"), encoding="utf-8")
        return load_cohort_config(local)


def open_cohort(data_dir: str | Path) -> CohortDataset:
    """Check a cohort folder's layout (tables present, the same parts in each) and its config.

    Nothing is read but the file names, each file's footer (its columns) and the config: a missing
    table, part or column is named before the long work starts. ``data_dir`` may be an fsspec URL
    (:mod:`calfrisk.storage`).

    Raises
    ------
    ParameterError
        If the folder or a table is missing (``data_dir``).
    InputError
        If the tables do not have the same parts, a file is unreadable or lacks a column, or the
        config is invalid.

    Examples
    --------
    >>> dataset = open_cohort("data/synthetic/sample")
    >>> len(dataset.parts), sorted(dataset.parts[0]), dataset.config.cohort.n_athletes
    (1, ['athletes', 'injuries', 'shoes', 'training_log', 'truth'], 200)
    """
    root = locate(data_dir, parameter="data_dir")
    if not root.isdir():
        raise ParameterError("data_dir", root, "no such folder")
    imported = root.exists(MANIFEST) and not root.exists("truth.parquet")
    files = {name: _table_files(root, name) for name in TABLES if not (imported and name == "truth")}
    if imported and root.exists("days.parquet"):  # the days a windowed source observed
        files["days"] = _table_files(root, "days")
    # A part's key: its file name in a folder of parts; a table in one file is the one part "".
    names = {
        name: [f.rsplit("/", 1)[-1] for f in found] if root.isdir(f"{name}.parquet") else [""]
        for name, found in files.items()
    }
    reference = max(names.values(), key=len)
    for name, found in names.items():
        missing = sorted(set(reference) - set(found))
        table = root.child(f"{name}.parquet")
        if missing and found == [""]:
            raise InputError(f"{root.show(table)}: one file where the other tables have parts")
        if missing:
            raise InputError(f"{root.show(table)}/{missing[0]}: missing (the other tables have this part)")
    for name, found in files.items():
        for path in found:
            _check_schema(root, path, name)
    parts = [{name: found[k] for name, found in files.items()} for k in range(len(reference))]
    manifest = json.loads(root.read_text(MANIFEST)) if imported else None
    return CohortDataset(root, parts, None if imported else _config(root), manifest)


def load_cohort(data_dir: str | Path) -> tuple[dict[str, pd.DataFrame], CohortConfig | None]:
    """Read a simulated cohort's tables (and its config, when present), checking what training needs.

    Raises
    ------
    InputError
        If the folder, a table, a column or any rows are missing.
    """
    dataset = open_cohort(data_dir)
    tables = {}
    for name in dataset.parts[0]:
        path = dataset.root.child(f"{name}.parquet")
        tables[name] = _read(dataset.root, path, name)
        if name not in ("injuries", "shoes") and tables[name].empty:
            raise InputError(f"{dataset.root.show(path)}: no rows")
    return tables, dataset.config


def observed_days(
    training_log: pd.DataFrame, injuries: pd.DataFrame, observed: pd.DataFrame | None = None
) -> pd.DataFrame:
    """The athlete-days a real cohort observed: each runner's first to last logged day, and layoffs.

    A runner is followed from the first logged day to the last, or to the end of a layoff that
    outlasts the log (the log of a runner who strained often stops there). A day is ``in_layoff``
    in the ``layoff_days`` after an injury's onset day; where an injury gives no layoff, until the
    runner's next logged session (a runner who does not run after a strain is laid off, not
    resting). With ``observed`` (an imported cohort's ``days`` table: a source of windows, such as
    the Lövdal data set, that leaves days uncovered), the days are those and the injuries' onset
    days: a day between them is neither a rest day nor scored.

    Examples
    --------
    >>> log = pd.DataFrame({"athlete_id": ["a", "a", "a"],
    ...                     "date": pd.to_datetime(["2025-03-01", "2025-03-02", "2025-03-06"])})
    >>> hurt = pd.DataFrame({"athlete_id": ["a"], "date": pd.to_datetime(["2025-03-02"]),
    ...                      "layoff_days": pd.array([pd.NA], dtype="Int16")})
    >>> observed_days(log, hurt)["in_layoff"].tolist()
    [False, False, True, True, True, False]
    """
    ids = training_log["athlete_id"]
    dates = pd.to_datetime(training_log["date"]).dt.normalize()
    if observed is None:
        span = dates.groupby(ids.to_numpy()).agg(["min", "max"])
        # A runner is followed up to their last session, or to the end of a layoff after it: the
        # days before a last strain have a known outcome even if the log stops at the strain.
        if len(injuries) and "layoff_days" in injuries:
            given = injuries.dropna(subset=["layoff_days"])
            ends = pd.to_datetime(given["date"]).dt.normalize() + pd.to_timedelta(
                given["layoff_days"].astype("int64"), unit="D"
            )
            latest = ends.groupby(given["athlete_id"].to_numpy()).max()
            span["max"] = np.maximum(span["max"], latest.reindex(span.index).fillna(span["max"]))
        length = (span["max"] - span["min"]).dt.days.to_numpy() + 1
        offsets = np.concatenate([np.arange(n) for n in length]) if len(length) else np.array([], dtype=int)
        days = pd.DataFrame(
            {
                "athlete_id": np.repeat(span.index.to_numpy(), length),
                "date": np.repeat(span["min"].to_numpy(), length) + pd.to_timedelta(offsets, unit="D"),
            }
        )
    else:
        keys = ["athlete_id", "date"]
        days = pd.concat([observed[keys], injuries[keys]], ignore_index=True)
        days["date"] = pd.to_datetime(days["date"]).dt.normalize()
        days = days.drop_duplicates().sort_values(keys, kind="stable").reset_index(drop=True)
    days["date"] = days["date"].astype("datetime64[ms]")
    if ids.dtype == "string":
        days["athlete_id"] = days["athlete_id"].astype("string")
    days["in_layoff"] = False
    last = days.groupby("athlete_id")["date"].max()
    sessions = pd.DataFrame({"athlete_id": ids.to_numpy(), "next": dates.to_numpy()})
    onsets = injuries.assign(date=pd.to_datetime(injuries["date"]).dt.normalize())
    for row in onsets.itertuples(index=False):
        later = sessions["next"][(sessions["athlete_id"] == row.athlete_id) & (sessions["next"] > row.date)]
        given = getattr(row, "layoff_days", None)
        if given is not None and not pd.isna(given):
            end = row.date + pd.Timedelta(days=int(given))
        else:
            end = later.min() - pd.Timedelta(days=1) if len(later) else last.get(row.athlete_id, row.date)
        hit = (days["athlete_id"] == row.athlete_id) & (days["date"] > row.date) & (days["date"] <= end)
        days.loc[hit, "in_layoff"] = True
    return days


def cohort_days(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The athlete-days the learning steps score: ``athlete_id``, ``date``, ``in_layoff``.

    A simulated cohort's truth table (its calendar), or an imported one's :func:`observed_days`.
    """
    if "truth" in tables:
        return tables["truth"]
    return observed_days(tables["training_log"], tables["injuries"], tables.get("days"))
