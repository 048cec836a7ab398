"""Labels: does a calf strain begin within the next H days?"""

from __future__ import annotations

import numpy as np
import pandas as pd

from calfrisk.exceptions import InputError

__all__ = ["strain_labels"]


def strain_labels(
    days: pd.DataFrame, injuries: pd.DataFrame, horizon: int = 7, *, min_history_days: int = 0
) -> pd.DataFrame:
    """Label each athlete-day with a strain onset in the next ``horizon`` days.

    Parameters
    ----------
    days : DataFrame
        The athlete-days: ``athlete_id``, ``date`` and optionally ``in_layoff`` (the simulator's
        truth table has all three). Each athlete's days must form a full calendar.
    injuries : DataFrame
        Strain onsets: ``athlete_id``, ``date``.
    horizon : int, default=7
        H: the label of day d is 1 when a strain begins on one of the days d+1 .. d+H.
    min_history_days : int, default=0
        Days of log an athlete must have before a day is eligible: the 28-day loads of the first
        weeks of a log miss the weeks before it, which a runner's real history would hold.

    Returns
    -------
    DataFrame
        ``athlete_id``, ``date``, ``label`` (0/1) and ``eligible`` for every input row, in input
        order. Eligible days are those a prediction is meant for: the runner is neither in a layoff
        nor injured that very day, the whole horizon lies inside the athlete's observed days
        (later days have an unknown label), and at least ``min_history_days`` days precede it.

    Raises
    ------
    InputError
        If ``horizon`` is not a positive integer or a column is missing.
    """
    if isinstance(horizon, bool) or not isinstance(horizon, int | np.integer) or horizon <= 0:
        raise InputError(f"label horizon must be a positive number of days, got {horizon!r}")
    for name, table in (("days", days), ("injuries", injuries)):
        missing = [c for c in ("athlete_id", "date") if c not in table.columns]
        if missing:
            raise InputError(f"{name}: missing column(s) {', '.join(missing)}")
    code = pd.factorize(days["athlete_id"], sort=True)[0]
    day = pd.to_datetime(days["date"]).to_numpy("datetime64[D]").astype(np.int64)
    n = int(code.max()) + 1 if len(code) else 0
    first = np.full(n, np.iinfo(np.int64).max)
    last = np.full(n, np.iinfo(np.int64).min)
    np.minimum.at(first, code, day)
    np.maximum.at(last, code, day)
    offset = day - first[code]
    span = int(offset.max()) + 1 if len(offset) else 0
    onset = np.zeros((n, span + horizon + 1), dtype=np.int32)
    ids = pd.Index(pd.unique(days["athlete_id"])).sort_values()
    inj_code = ids.get_indexer(injuries["athlete_id"])
    inj_day = pd.to_datetime(injuries["date"]).to_numpy("datetime64[D]").astype(np.int64)
    known = inj_code >= 0
    inj_offset = inj_day[known] - first[inj_code[known]]
    inside = (inj_offset >= 0) & (inj_offset < span)
    onset[inj_code[known][inside], inj_offset[inside]] = 1
    cum = np.zeros((n, onset.shape[1] + 1), dtype=np.int64)
    np.cumsum(onset, axis=1, out=cum[:, 1:])
    ahead = cum[code, offset + horizon + 1] - cum[code, offset + 1]
    if (
        isinstance(min_history_days, bool)
        or not isinstance(min_history_days, int | np.integer)
        or min_history_days < 0
    ):
        raise InputError(f"min_history_days must be a non-negative number of days, got {min_history_days!r}")
    eligible = (onset[code, offset] == 0) & (day + horizon <= last[code]) & (offset >= min_history_days)
    if "in_layoff" in days.columns:
        eligible &= ~days["in_layoff"].to_numpy(bool)
    return pd.DataFrame(
        {
            "athlete_id": days["athlete_id"].to_numpy(),
            "date": days["date"].to_numpy(),
            "label": (ahead > 0).astype(np.int8),
            "eligible": eligible,
        },
        index=days.index,
    )
