"""A cohort folder's days: a simulated cohort's calendar, an imported cohort's observed days."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from calfrisk.tables import cohort_days, observed_days

DAY0 = pd.Timestamp("2025-03-03")


def _log(days: list[int], athlete: str = "a") -> pd.DataFrame:
    return pd.DataFrame({"athlete_id": pd.array([athlete] * len(days), dtype="string"),
                         "date": [DAY0 + pd.Timedelta(days=d) for d in days]})  # fmt: skip


def _injuries(rows: list[tuple[str, int, int | None]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "athlete_id": pd.array([a for a, _, _ in rows], dtype="string"),
            "date": [DAY0 + pd.Timedelta(days=d) for _, d, _ in rows],
            "layoff_days": pd.array([n for _, _, n in rows], dtype="Int16"),
        }
    )


def test_a_runners_days_run_from_the_first_to_the_last_session_with_rest_between() -> None:
    days = observed_days(_log([0, 3, 9]), _injuries([]))
    assert len(days) == 10 and not days["in_layoff"].any()


def test_a_layoff_is_the_given_days_or_until_the_next_run() -> None:
    log = _log([0, 2, 5, 6, 20])
    given = observed_days(log, _injuries([("a", 2, 2)]))
    assert given.loc[given["in_layoff"], "date"].tolist() == [DAY0 + pd.Timedelta(days=d) for d in (3, 4)]
    until_run = observed_days(log, _injuries([("a", 6, None)]))
    assert until_run["in_layoff"].sum() == 13  # days 7-19: the runner ran again on day 20


def test_a_log_that_stops_at_a_strain_is_followed_through_its_layoff() -> None:
    # The days before a last strain have a known outcome: the runner is followed to the layoff's end.
    days = observed_days(_log([0, 3, 5]), _injuries([("a", 5, 10)]))
    assert len(days) == 16 and days["in_layoff"].sum() == 10


def test_observed_days_leave_the_gaps_out() -> None:
    log = _log([0, 1, 2, 40, 41])
    seen = _log([0, 1, 2, 3, 4, 40, 41, 42])
    days = observed_days(log, _injuries([("a", 30, None)]), seen)
    offsets = ((days["date"] - DAY0).dt.days).tolist()
    assert offsets == [0, 1, 2, 3, 4, 30, 40, 41, 42]  # the onset day is kept: its outcome is known
    assert days.set_index(days["date"].sub(DAY0).dt.days).loc[[40, 41, 42], "in_layoff"].tolist() == [
        False, False, False,
    ]  # fmt: skip


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(0, 60), min_size=1, max_size=20, unique=True), st.integers(0, 60))
def test_days_cover_every_session_and_layoffs_never_hold_a_run(runs: list[int], onset: int) -> None:
    log = _log(sorted(runs))
    injuries = _injuries([("a", onset, None)]) if min(runs) <= onset <= max(runs) else _injuries([])
    days = cohort_days({"training_log": log, "injuries": injuries})
    index = pd.MultiIndex.from_frame(days[["athlete_id", "date"]])
    assert pd.MultiIndex.from_frame(log).isin(index).all()
    laid_off = set(days.loc[days["in_layoff"], "date"])
    assert not laid_off & set(log["date"])
