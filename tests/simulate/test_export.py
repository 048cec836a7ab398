"""Simulated runners as real ones: the served model's example log."""

from __future__ import annotations

import pandas as pd


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
