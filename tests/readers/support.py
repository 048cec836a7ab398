"""Helpers the readers' tests share: a fixed today, one-line errors, the run-log contract."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from calfrisk.exceptions import InputError
from calfrisk.readers import RunLog, read_logs
from calfrisk.schema import RUN_LOG_COLUMNS

TODAY = dt.date(2025, 6, 1)
SAMPLES = Path(__file__).resolve().parents[3] / "shared" / "samples"


def error_of(call: Callable[[], object]) -> str:
    """The message of the InputError ``call`` raises, checked to be one line."""
    with pytest.raises(InputError) as info:
        call()
    message = str(info.value)
    assert "\n" not in message and message.strip() == message
    return message


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def read(*paths: Path, **options: object) -> RunLog:
    return read_logs(list(paths), today=TODAY, **options)  # type: ignore[arg-type]


def assert_contract(table: pd.DataFrame) -> None:
    assert list(table.columns) == list(RUN_LOG_COLUMNS)
    expected = {
        "date": "datetime64[ms]",
        "start_time": "datetime64[ms]",
        "distance_km": "float64",
        "duration_min": "float64",
        "elevation_gain_m": "float64",
        "rpe": "float64",
    }
    for column, dtype in expected.items():
        assert str(table[column].dtype) == dtype, column
    for column in ("session_type", "shoe", "source"):
        assert isinstance(table[column].dtype, pd.StringDtype), column
    assert table["start_time"].is_monotonic_increasing
    assert (table["date"] == table["start_time"].dt.floor("D")).all()
    assert list(table.index) == list(range(len(table)))
