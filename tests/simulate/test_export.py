"""Simulated runners as real ones: the served model's example log, and a runner's activity files."""

from __future__ import annotations

import pandas as pd
import pytest

from calfrisk.tables import load_cohort
from tests.conftest import ROOT


def test_example_log_moves_a_future_log_back_by_whole_weeks(small_tables) -> None:
    import datetime as dt

    from calfrisk.simulate.export import example_log

    as_is = example_log(small_tables, days=90, today=dt.date(2100, 1, 1))
    first = pd.to_datetime(small_tables["training_log"]["date"]).min()
    assert as_is["date"].min() >= first.strftime("%Y-%m-%d")
    for today in (first.date() + dt.timedelta(days=45), first.date() - dt.timedelta(days=400)):
        moved = example_log(small_tables, days=90, today=today)
        shift = pd.to_datetime(as_is["date"]) - pd.to_datetime(moved["date"])
        assert shift.nunique() == 1 and shift.iloc[0].days % 7 == 0
        # The smallest such move: a week less would put the last session after today.
        last = pd.Timestamp(moved["date"].iloc[-1]).date()
        assert last <= today < last + dt.timedelta(days=7)
        assert moved.drop(columns="date").equals(as_is.drop(columns="date"))


@pytest.mark.parametrize("fmt", ["csv", "csv-untyped", "gpx"])
def test_a_runners_activities_read_back_as_their_log(tmp_path, fmt) -> None:
    import datetime as dt

    import numpy as np

    from calfrisk.readers import read_logs
    from calfrisk.simulate.export import runner_log, write_activities

    tables, _ = load_cohort(ROOT / "data" / "synthetic" / "sample")
    written = write_activities(tables, 3, tmp_path / "runner", fmt)
    assert len(written) == (1 if fmt != "gpx" else len(runner_log(tables, 3)))
    sessions = read_logs([tmp_path / "runner"], today=dt.date(2100, 1, 1), timezone="UTC").sessions
    expected = runner_log(tables, 3)
    assert sessions["date"].dt.strftime("%Y-%m-%d").tolist() == expected["date"].tolist()
    for column in ("distance_km", "duration_min", "elevation_gain_m"):
        np.testing.assert_allclose(sessions[column].astype(float), expected[column], atol=1e-9)
    types = sessions["session_type"]
    assert types.tolist() == expected["session_type"].tolist() if fmt == "csv" else types.isna().all()
