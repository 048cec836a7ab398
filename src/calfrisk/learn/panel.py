"""The daily panel: one row per athlete-day, built from a training log and a short profile.

A training log has zero, one or several sessions a day; models work on days. :func:`daily_panel`
sums each day's sessions, marks the day's main shoe (that of its longest session) and the reported
strain onsets, and joins the profile a runner can fill in. It reads nothing a runner could not know:
no latent simulator value ever reaches a panel.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from calfrisk.exceptions import InputError
from calfrisk.factors import TRAITS
from calfrisk.schema import PROFILE_COLUMNS, SPEED_TYPES

__all__ = ["PANEL_COLUMNS", "daily_panel"]


#: Columns of a daily panel, with their meaning.
PANEL_COLUMNS: dict[str, str] = {
    "athlete_id": "the athlete",
    "date": "the day (datetime64, midnight)",
    "distance_km": "km run that day (0 on rest days)",
    "duration_min": "minutes run that day",
    "elevation_gain_m": "metres climbed that day",
    "speed_km": "km of tempo, interval and race sessions that day",
    "long_km": "km of the day's longest session",
    "shoe_id": "shoe of the day's longest session (-1 without a run)",
    "shoe_start_km": "km that shoe had before the log began (0 unless reported)",
    "strain_onset": "a calf strain began that day",
    "age": "years",
    "sex": "'F' or 'M'",
    "prior_calf_strains": "calf strains before the log began",
    "glute_test_score": "single-leg bridge repetitions",
    "calf_test_score": "single-leg heel raises",
    "warmup_habit": "warms up before running (no effect in the evidence: a control factor)",
    "stretching_habit": "stretches after running (no effect in the evidence: a control factor)",
    **{f.trait.column: f.trait.description for f in TRAITS},
}


def _require(table: pd.DataFrame, columns: tuple[str, ...] | list[str], name: str) -> None:
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise InputError(f"{name}: missing column(s) {', '.join(missing)}")


def daily_panel(
    training_log: pd.DataFrame,
    athletes: pd.DataFrame,
    injuries: pd.DataFrame | None = None,
    *,
    days: pd.DataFrame | None = None,
    shoe_start_km: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Build the daily panel.

    Parameters
    ----------
    training_log : DataFrame
        Sessions: ``athlete_id``, ``date``, ``distance_km``, ``duration_min``, ``elevation_gain_m``,
        ``session_type``, ``shoe_id``.
    athletes : DataFrame
        One row per athlete: ``athlete_id`` and the profile columns (:data:`PROFILE_COLUMNS`).
    injuries : DataFrame, optional
        Reported strain onsets: ``athlete_id``, ``date``.
    days : DataFrame, optional
        The athlete-days to return (``athlete_id``, ``date``), e.g. a simulator's truth table. By
        default every day from each athlete's first to last session.
    shoe_start_km : DataFrame, optional
        ``athlete_id``, ``shoe_id``, ``km``: what shoes had run before the log began.

    Returns
    -------
    DataFrame
        :data:`PANEL_COLUMNS`, one row per athlete-day, sorted by athlete and date.
    """
    log_columns = ["athlete_id", "date", "distance_km", "duration_min", "elevation_gain_m"]
    _require(training_log, [*log_columns, "session_type", "shoe_id"], "training log")
    _require(athletes, ["athlete_id", *PROFILE_COLUMNS], "athletes")
    log = training_log.assign(date=pd.to_datetime(training_log["date"]).dt.normalize())
    log = log.assign(speed_km=np.where(log["session_type"].isin(SPEED_TYPES), log["distance_km"], 0.0))
    keys = ["athlete_id", "date"]
    daily = log.groupby(keys, sort=True, observed=True).agg(
        distance_km=("distance_km", "sum"),
        duration_min=("duration_min", "sum"),
        elevation_gain_m=("elevation_gain_m", "sum"),
        speed_km=("speed_km", "sum"),
        long_km=("distance_km", "max"),
    )
    longest = log.sort_values([*keys, "distance_km"], ascending=[True, True, False], kind="stable")
    longest = longest.drop_duplicates(keys).set_index(keys)["shoe_id"]
    daily["shoe_id"] = longest.reindex(daily.index).astype(np.int64)
    if days is None:
        span = daily.reset_index().groupby("athlete_id")["date"].agg(["min", "max"])
        length = (span["max"] - span["min"]).dt.days.to_numpy() + 1
        offsets = np.concatenate([np.arange(k) for k in length]) if len(length) else np.array([], int)
        days = pd.DataFrame(
            {
                "athlete_id": np.repeat(span.index.to_numpy(), length),
                "date": np.repeat(span["min"].to_numpy(), length) + pd.to_timedelta(offsets, unit="D"),
            }
        )
    calendar = days[keys].assign(date=pd.to_datetime(days["date"]).dt.normalize())
    panel = calendar.merge(daily.reset_index(), on=keys, how="left", sort=False)
    for column in ("distance_km", "duration_min", "elevation_gain_m", "speed_km", "long_km"):
        panel[column] = panel[column].fillna(0.0)
    panel["shoe_id"] = panel["shoe_id"].fillna(-1).astype(np.int64)
    panel["shoe_start_km"] = 0.0
    if shoe_start_km is not None:
        start = shoe_start_km.set_index(["athlete_id", "shoe_id"])["km"]
        index = pd.MultiIndex.from_arrays([panel["athlete_id"], panel["shoe_id"]])
        panel["shoe_start_km"] = start.reindex(index).fillna(0.0).to_numpy()
    panel["strain_onset"] = False
    if injuries is not None and len(injuries):
        onset = injuries[keys].assign(date=pd.to_datetime(injuries["date"]).dt.normalize())
        onset = pd.MultiIndex.from_frame(onset)
        panel["strain_onset"] = pd.MultiIndex.from_frame(panel[keys]).isin(onset)
    profile = athletes[["athlete_id", *PROFILE_COLUMNS]]
    unknown = ~panel["athlete_id"].isin(profile["athlete_id"]).to_numpy()
    if unknown.any():
        missing = panel["athlete_id"].iloc[int(unknown.argmax())]
        raise InputError(f"athletes: no profile for athlete {missing}")
    # A value an imported cohort does not give stays missing; the features carry it as NaN.
    panel = panel.merge(profile, on="athlete_id", how="left", validate="many_to_one")
    panel = panel.sort_values(keys, kind="stable").reset_index(drop=True)
    return panel[list(PANEL_COLUMNS)]
