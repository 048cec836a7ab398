"""A study's own records: injuries, runners' profiles and shoes, as CSV files, checked row by row.

Three files beside the runners' logs (``calfrisk import --injuries --athletes --shoes``), each a CSV
with a header, UTF-8, comma-separated, ISO dates (``YYYY-MM-DD``); an empty cell is a missing value
and stays missing.

``injuries.csv`` (required): one row per injury onset.

=================  =========  ====================================================================
column             required   meaning
=================  =========  ====================================================================
``athlete_id``     yes        the runner: the name of their folder (or file) under the runners folder
``date``           yes        the day of onset
``grade``          no         1 (few fibres), 2 (partial tear) or 3 (rupture)
``layoff_days``    no         days without running after the onset day
=================  =========  ====================================================================

``athletes.csv`` (optional): ``athlete_id`` and any of ``age``, ``sex`` (``F``/``M``),
``years_running``, ``sessions_per_week``, ``shoe_pairs``, ``strength_sessions_per_week``,
``warmup_habit``, ``stretching_habit`` (``true``/``false``, ``yes``/``no`` or ``1``/``0``),
``glute_test_score``, ``calf_test_score``, ``prior_calf_strains``: the names of a cohort's
athletes table (:data:`calfrisk.schema.ATHLETE_COLUMNS`).

``shoes.csv`` (optional): ``athlete_id``, ``shoe`` (its name as the runner's files give it) and
``km_before`` (km it had run before the log begins).

Every problem is an :class:`~calfrisk.exceptions.InputError` of one line naming the file, the row
(its line in the file, the header being line 1) and the column.

Examples
--------
>>> import pathlib, tempfile
>>> path = pathlib.Path(tempfile.mkdtemp()) / "injuries.csv"
>>> _ = path.write_text("athlete_id,date,grade\\nana,2025-05-02,2\\nben,2025-06-11,\\n")
>>> read_injuries(path)
  athlete_id       date  grade  layoff_days
0        ana 2025-05-02      2         <NA>
1        ben 2025-06-11   <NA>         <NA>
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from calfrisk.exceptions import InputError
from calfrisk.factors import TRAITS

__all__ = ["ATHLETE_RECORD_COLUMNS", "read_athletes", "read_injuries", "read_shoes"]


@dataclass(frozen=True)
class _Column:
    """How a column's cells are read: a parser (text -> value, ``ValueError`` with the reason)."""

    parse: Callable[[str], object]
    required: bool = False


def _iso_date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise ValueError("not an ISO date (YYYY-MM-DD)") from None


def _number(low: float, high: float, *, integer: bool = False) -> Callable[[str], object]:
    def parse(text: str) -> object:
        try:
            value = float(text)
        except ValueError:
            raise ValueError("not a number") from None
        if not math.isfinite(value) or not low <= value <= high:
            raise ValueError(f"outside {low:g}-{high:g}")
        if integer:
            if value != int(value):
                raise ValueError("not a whole number")
            return int(value)
        return value

    return parse


def _flag(text: str) -> bool:
    value = text.casefold()
    if value in ("true", "yes", "1"):
        return True
    if value in ("false", "no", "0"):
        return False
    raise ValueError("not true/false, yes/no or 1/0")


def _sex(text: str) -> str:
    value = text.upper()
    if value not in ("F", "M"):
        raise ValueError("not F or M")
    return value


def _text(text: str) -> str:
    return text


_INJURY_COLUMNS = {
    "athlete_id": _Column(_text, required=True),
    "date": _Column(_iso_date, required=True),
    "grade": _Column(_number(1, 3, integer=True)),
    "layoff_days": _Column(_number(0, 3650, integer=True)),
}
#: The columns ``athletes.csv`` may have, and how each is read.
_ATHLETE_COLUMNS = {
    "athlete_id": _Column(_text, required=True),
    "age": _Column(_number(10, 100)),
    "sex": _Column(_sex),
    "years_running": _Column(_number(0, 90)),
    "sessions_per_week": _Column(_number(0, 21, integer=True)),
    "shoe_pairs": _Column(_number(0, 50, integer=True)),
    "strength_sessions_per_week": _Column(_number(0, 21, integer=True)),
    "warmup_habit": _Column(_flag),
    "stretching_habit": _Column(_flag),
    "glute_test_score": _Column(_number(0, 1000)),
    "calf_test_score": _Column(_number(0, 1000)),
    "prior_calf_strains": _Column(_number(0, 100, integer=True)),
    **{f.trait.column: _Column(_number(f.trait.low, f.trait.high)) for f in TRAITS},
}
_SHOE_COLUMNS = {
    "athlete_id": _Column(_text, required=True),
    "shoe": _Column(_text, required=True),
    "km_before": _Column(_number(0, 100_000), required=True),
}
#: The columns ``athletes.csv`` may have.
ATHLETE_RECORD_COLUMNS: tuple[str, ...] = tuple(_ATHLETE_COLUMNS)


def _read(path: str | Path, columns: dict[str, _Column], what: str) -> pd.DataFrame:
    """Read a records file: header checked first, then every cell, all as text until parsed."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file ({what})")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True, encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        reason = "empty" if isinstance(exc, pd.errors.EmptyDataError) else "not a CSV table"
        raise InputError(f"{path}: {reason} ({what})") from None
    raw.columns = [str(c).strip() for c in raw.columns]
    unknown = [c for c in raw.columns if c not in columns]
    if unknown:
        raise InputError(f"{path}: unknown column {unknown[0]!r} (a {what} has {', '.join(columns)})")
    missing = [c for c, spec in columns.items() if spec.required and c not in raw.columns]
    if missing:
        raise InputError(f"{path}: missing column {missing[0]!r} ({what})")
    out: dict[str, list[object]] = {c: [] for c in raw.columns}
    for index, row in enumerate(raw.itertuples(index=False, name=None)):
        for column, cell in zip(raw.columns, row, strict=True):
            text = cell.strip()
            where = f"{path} row {index + 2}, column {column}"
            if not text:
                if columns[column].required:
                    raise InputError(f"{where}: empty (required)")
                out[column].append(pd.NA)
                continue
            try:
                out[column].append(columns[column].parse(text))
            except ValueError as exc:
                raise InputError(f"{where}: {text!r} is {exc}") from None
    return pd.DataFrame(out, columns=list(raw.columns))


def _no_duplicates(table: pd.DataFrame, keys: list[str], path: str | Path) -> None:
    duplicated = table.duplicated(keys, keep="first").to_numpy()
    if duplicated.any():
        row = int(duplicated.argmax())
        first = int(table[keys].eq(table.loc[row, keys]).all(axis=1).to_numpy().argmax())
        same = " and ".join(keys)
        raise InputError(
            f"{path} row {row + 2}: the same {same} as row {first + 2} ({table.loc[row, keys[0]]})"
        )


def read_injuries(path: str | Path) -> pd.DataFrame:
    """Read ``injuries.csv``: ``athlete_id``, ``date``, ``grade``, ``layoff_days`` (the last two
    missing where not given), in file order.

    Raises
    ------
    InputError
        A missing or unknown column, a bad date or value, a duplicated (athlete, date).
    """
    table = _read(path, _INJURY_COLUMNS, "injuries file")
    _no_duplicates(table, ["athlete_id", "date"], path)
    return pd.DataFrame(
        {
            "athlete_id": table["athlete_id"].astype("string"),
            "date": pd.to_datetime(table["date"]).astype("datetime64[ms]"),
            "grade": pd.array(table["grade"] if "grade" in table else [pd.NA] * len(table), dtype="Int8"),
            "layoff_days": pd.array(
                table["layoff_days"] if "layoff_days" in table else [pd.NA] * len(table), dtype="Int16"
            ),
        }
    )


def read_athletes(path: str | Path) -> pd.DataFrame:
    """Read ``athletes.csv``: ``athlete_id`` and the columns the file gives, values parsed.

    Raises
    ------
    InputError
        An unknown column, a value out of range or of the wrong kind, a runner given twice.
    """
    table = _read(path, _ATHLETE_COLUMNS, "athletes file")
    _no_duplicates(table, ["athlete_id"], path)
    return table.assign(athlete_id=table["athlete_id"].astype("string"))


def read_shoes(path: str | Path) -> pd.DataFrame:
    """Read ``shoes.csv``: ``athlete_id``, ``shoe``, ``km_before``.

    Raises
    ------
    InputError
        A missing or unknown column, a bad km, a shoe given twice for one runner.
    """
    table = _read(path, _SHOE_COLUMNS, "shoes file")
    _no_duplicates(table, ["athlete_id", "shoe"], path)
    return table.astype({"athlete_id": "string", "shoe": "string", "km_before": "float64"})
