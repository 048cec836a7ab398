"""A cohort folder: its tables, read and checked against what the learning steps need.

A cohort folder holds one Parquet table per name of :data:`calfrisk.schema.TABLES` (and, when
``calfrisk simulate`` wrote it, the ``config.yaml`` it was simulated from).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from calfrisk.config import CohortConfig, load_cohort_config
from calfrisk.exceptions import InputError, ParameterError
from calfrisk.schema import PROFILE_COLUMNS, TABLES

__all__ = ["REQUIRED_COLUMNS", "load_cohort"]

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
}


def load_cohort(data_dir: str | Path) -> tuple[dict[str, pd.DataFrame], CohortConfig | None]:
    """Read a simulated cohort's tables (and its config, when present), checking what training needs.

    Raises
    ------
    InputError
        If the folder, a table, a column or any rows are missing.
    """
    root = Path(data_dir)
    if not root.is_dir():
        raise ParameterError("data_dir", root, "no such folder")
    tables = {}
    for name in TABLES:
        path = root / f"{name}.parquet"
        if not path.exists():
            raise ParameterError(
                "data_dir", root, f"no {name}.parquet (a cohort folder holds {', '.join(TABLES)})"
            )
        try:
            tables[name] = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises several types for unreadable files
            raise InputError(f"{path}: not a readable Parquet table ({type(exc).__name__})") from None
        missing = [c for c in REQUIRED_COLUMNS[name] if c not in tables[name].columns]
        if missing:
            raise InputError(f"{path}: missing column(s) {', '.join(missing)}")
        if name not in ("injuries", "shoes") and tables[name].empty:
            raise InputError(f"{path}: no rows")
    config = root / "config.yaml"
    return tables, (load_cohort_config(config) if config.exists() else None)
