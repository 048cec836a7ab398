"""The features of :class:`calfrisk.learn.features.LoadFeatures`, written the plain pandas way.

A per-athlete ``groupby`` with ``rolling``, ``ewm`` and ``cumsum`` over a full daily calendar: the
implementation most projects would write first. It serves twice: as the reference the feature
benchmark compares against, and as an independent check of the definitions (the tests compare both
on random panels).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from calfrisk.learn.features import FEATURE_GROUPS

FEATURES = [name for group in FEATURE_GROUPS.values() for name in group]
FLOOR = 0.5
NEVER = 365.0


def _calendar(panel: pd.DataFrame) -> pd.DataFrame:
    """Each athlete's rows on a full daily calendar; added days are rest days."""
    parts = []
    for athlete, rows in panel.groupby("athlete_id", sort=True):
        rows = rows.set_index("date").sort_index()
        # Nullable booleans, so that the days reindex adds hold <NA> rather than turn the column to
        # objects (which ffill would then have to downcast).
        flags = rows.select_dtypes("bool").columns
        rows = rows.astype(dict.fromkeys(flags, "boolean"))
        full = rows.reindex(pd.date_range(rows.index.min(), rows.index.max(), freq="D"))
        full["athlete_id"] = athlete
        for column in (
            "distance_km",
            "duration_min",
            "elevation_gain_m",
            "speed_km",
            "long_km",
            "shoe_start_km",
        ):
            full[column] = full[column].fillna(0.0)
        full["shoe_id"] = full["shoe_id"].fillna(-1)
        full["strain_onset"] = full["strain_onset"].fillna(False).astype(bool)  # added days: no onset
        full["in_input"] = full.index.isin(rows.index)
        full = full.ffill().astype(dict.fromkeys(flags.drop("strain_onset", errors="ignore"), bool))
        parts.append(full.rename_axis("date").reset_index())
    return pd.concat(parts, ignore_index=True)


def _ewma(km: pd.Series, span: int) -> pd.Series:
    # The weighted mean of the days so far: pandas' adjusted EWMA.
    return km.ewm(span=span, adjust=True).mean()


def _days_since_return(group: pd.DataFrame) -> pd.Series:
    returned, pending, out = None, False, []
    for t, (km, onset) in enumerate(zip(group["distance_km"], group["strain_onset"], strict=True)):
        if pending and km > 0 and not onset:
            returned, pending = t, False
        pending = pending or onset
        out.append(NEVER if returned is None else min(t - returned, NEVER))
    return pd.Series(out, index=group.index)


def pandas_features(panel: pd.DataFrame) -> pd.DataFrame:
    """The 25 features of each panel row, in the input's row order, computed with pandas."""
    cal = _calendar(panel)
    by = cal.groupby("athlete_id", sort=False)
    km = cal["distance_km"]
    out = pd.DataFrame(index=cal.index)
    out["km_day"] = km
    out["km_7d"] = km7 = by["distance_km"].transform(lambda s: s.rolling(7, min_periods=1).sum())
    out["km_28d"] = km28 = by["distance_km"].transform(lambda s: s.rolling(28, min_periods=1).sum())
    out["ewma_acute_km"] = acute = by["distance_km"].transform(lambda s: _ewma(s, 7))
    out["ewma_chronic_km"] = chronic = by["distance_km"].transform(lambda s: _ewma(s, 28))
    out["acwr_ewma"] = acute / chronic.clip(lower=FLOOR)
    out["acwr_uncoupled"] = (km7 / 7) / ((km28 - km7) / 21).clip(lower=FLOOR)
    km14 = by["distance_km"].transform(lambda s: s.rolling(14, min_periods=1).sum())
    out["week_change"] = km7 / (km14 - km7).clip(lower=7 * FLOOR) - 1
    longest = by["long_km"].transform(lambda s: s.rolling(7, min_periods=1).max())
    out["long_run_ratio"] = longest / (km28 / 4).clip(lower=7 * FLOOR)
    # Over 7 days, the first days too: the days before the log count as zeros (a plain rolling std
    # over the available days would differ on the first six days).
    mean7 = km7 / 7
    sq = by["distance_km"].transform(lambda s: (s * s).rolling(7, min_periods=1).sum())
    sd = np.sqrt((sq / 7 - mean7 * mean7).clip(lower=0))
    out["monotony_7d"] = monotony = mean7 / sd.clip(lower=FLOOR)
    out["strain_7d"] = km7 * monotony
    rest_block = (km <= 0).groupby(cal["athlete_id"]).cumsum()
    out["days_since_rest"] = (km > 0).groupby([cal["athlete_id"], rest_block]).cumsum().astype(float)
    out["climb_m_7d"] = climb7 = by["elevation_gain_m"].transform(lambda s: s.rolling(7, min_periods=1).sum())
    out["climb_m_per_km_7d"] = climb7 / km7.clip(lower=1)
    out["speed_km_7d"] = speed7 = by["speed_km"].transform(lambda s: s.rolling(7, min_periods=1).sum())
    out["speed_share_7d"] = speed7 / km7.clip(lower=1)
    ran = cal["shoe_id"] >= 0
    worn = km.where(ran, 0.0).groupby([cal["athlete_id"], cal["shoe_id"]]).cumsum()
    after = (cal["shoe_start_km"] + worn).where(ran, 0.0)
    out["shoe_km_today"] = (after - km).where(ran, 0.0)
    out["shoe_km_max_7d"] = after.groupby(cal["athlete_id"]).transform(
        lambda s: s.rolling(7, min_periods=1).max()
    )
    shoes = pd.Series(0.0, index=cal.index)
    for shoe in sorted(cal.loc[ran, "shoe_id"].unique()):
        used = (cal["shoe_id"] == shoe).astype(float)
        shoes += used.groupby(cal["athlete_id"]).transform(lambda s: s.rolling(28, min_periods=1).max())
    out["shoes_28d"] = shoes
    out["days_since_return"] = pd.concat([_days_since_return(group) for _, group in by])
    out["calf_strains"] = cal["prior_calf_strains"] + cal["strain_onset"].groupby(cal["athlete_id"]).cumsum()
    out["age"] = cal["age"]
    out["female"] = (cal["sex"] == "F").astype(float)
    out["glute_test_score"] = cal["glute_test_score"]
    out["calf_test_score"] = cal["calf_test_score"]
    out["warmup_habit"] = cal["warmup_habit"].astype(float)
    out["stretching_habit"] = cal["stretching_habit"].astype(float)
    keyed = out[FEATURES].astype(float).set_index([cal["athlete_id"], cal["date"]])
    rows = pd.MultiIndex.from_arrays([panel["athlete_id"], pd.to_datetime(panel["date"])])
    return pd.DataFrame(keyed.loc[rows].to_numpy(), index=panel.index, columns=FEATURES)
