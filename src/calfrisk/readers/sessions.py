"""A runner's sessions as a cohort's training log: types inferred where unrecorded, shoes numbered.

``calfrisk predict`` (one runner) and ``calfrisk import`` (many) turn the readers' sessions
(:data:`calfrisk.schema.RUN_LOG_COLUMNS`) into rows of a cohort's ``training_log`` the same way, so
a model reads an imported cohort as it reads a runner's log:

- A session without a recorded type counts as speed work (``tempo``) when its pace is at least 8 %
  faster than the median of the runner's sessions over the 28 days before it (:data:`SPEED_PACE_RATIO`;
  past sessions only), else as an easy run; a note says how many.
- Shoes are numbered from 1 in order of first use; ``shoe_id`` 0 is a session whose shoe was not
  recorded.
- Start times, file names and everything else a reader saw are left behind: only the day's
  aggregates a model reads are kept.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["SPEED_PACE_RATIO", "as_training_log", "infer_session_types"]

#: A session without a recorded type counts as speed work when its pace is at least 8 % faster
#: (this ratio of minutes per km) than the median of the runner's sessions over the 28 days before.
SPEED_PACE_RATIO = 0.92


def infer_session_types(sessions: pd.DataFrame, notes: list[str]) -> pd.Series:
    """Session types, with those a log does not record inferred from pace (past sessions only).

    ``sessions`` are one runner's, sorted by ``start_time``. A note is appended when any type was
    inferred.

    Examples
    --------
    >>> days = pd.to_datetime(["2025-03-01", "2025-03-03", "2025-03-05", "2025-03-07"])
    >>> runs = pd.DataFrame({"start_time": days, "distance_km": 10.0,
    ...                      "duration_min": [55.0, 56.0, 54.0, 45.0], "session_type": None})
    >>> infer_session_types(runs, []).tolist()
    ['easy', 'easy', 'easy', 'tempo']
    """
    types = sessions["session_type"].astype("string")
    unknown = types.isna()
    if not unknown.any():
        return types
    pace = (sessions["duration_min"] / sessions["distance_km"]).to_numpy(dtype=float)
    start = pd.DatetimeIndex(sessions["start_time"])
    # Median pace of the sessions that started in the 28 days before each one (not the session itself).
    reference = pd.Series(pace, index=start).rolling("28D", closed="left", min_periods=3).median().to_numpy()
    fast = pace <= SPEED_PACE_RATIO * reference
    inferred = np.where(fast, "tempo", "easy")
    types = types.where(~unknown, pd.array(inferred, dtype="string"))
    n_speed = int((fast & unknown.to_numpy()).sum())
    notes.append(
        f"{int(unknown.sum())} session(s) without a type: {n_speed} counted as speed work, being at "
        f"least {round((1 - SPEED_PACE_RATIO) * 100)} % faster than the median pace of the 4 weeks "
        "before; the rest as easy runs"
    )
    return types


def as_training_log(
    sessions: pd.DataFrame, athlete_id: object, notes: list[str]
) -> tuple[pd.DataFrame, dict[str, int]]:
    """One runner's sessions as ``training_log`` rows, and the shoe ids by name.

    Parameters
    ----------
    sessions : DataFrame
        :data:`calfrisk.schema.RUN_LOG_COLUMNS` (a :class:`calfrisk.readers.RunLog`'s sessions).
    athlete_id : object
        The runner's id, written on every row.
    notes : list of str
        Sentences the user must be told are appended here.

    Returns
    -------
    log : DataFrame
        ``athlete_id``, ``date``, ``distance_km``, ``duration_min``, ``elevation_gain_m`` (missing
        where the source has none), ``session_type``, ``shoe_id`` (0: not recorded), in time order.
    shoes : dict of str to int
        Each shoe's id, by the name the runner's files give it.
    """
    sessions = sessions.sort_values("start_time", kind="stable").reset_index(drop=True)
    session_type = infer_session_types(sessions, notes)
    names = sessions["shoe"].astype("string")
    shoes = {name: i + 1 for i, name in enumerate(dict.fromkeys(names.dropna().tolist()))}
    climb = sessions["elevation_gain_m"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    log = pd.DataFrame(
        {
            "athlete_id": athlete_id,
            "date": pd.to_datetime(sessions["date"]).dt.normalize(),
            "distance_km": sessions["distance_km"].to_numpy(dtype=float),
            "duration_min": sessions["duration_min"].to_numpy(dtype=float),
            "elevation_gain_m": climb,
            "session_type": session_type.to_numpy(dtype=object),
            "shoe_id": names.map(shoes).fillna(0).astype(np.int64).to_numpy(),
        }
    )
    return log, shoes
