"""Past-only training-load features for each athlete-day: a scikit-learn transformer.

:class:`LoadFeatures` takes rows of a daily panel (:func:`calfrisk.learn.panel.daily_panel`), lays each
athlete's rows on a full daily calendar (a day without a row is a rest day), computes every feature
from that day and the days before it only, and returns the rows in the order they came. A row's
features therefore never change when later days, or other athletes, are added.

Conventions: loads are daily km. EWMA loads follow Williams et al. (2017),
``EWMA_t = lambda * km_t + (1 - lambda) * EWMA_{t-1}`` with ``lambda = 2 / (N + 1)``, N = 7 (acute) and
28 (chronic), as weighted means of the days logged so far: divided by the weights those days carry,
``1 - (1 - lambda) ** (t + 1)`` on day t of the log (pandas' ``ewm(adjust=True)``). The load before a
log is unknown, not zero: started from 0 instead, a runner's chronic load was still 13 % low on the
first scored day (day 28) and the acute:chronic ratio of a steady runner read 3.5 on the first days.
Ratios divide by loads floored at ``floor_km`` per day so that a first run after a break stays finite.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from calfrisk.exceptions import InputError
from calfrisk.factors import RISK_FACTORS, TRAITS
from calfrisk.learn.panel import PANEL_COLUMNS

__all__ = [
    "DAY_METRICS",
    "FEATURE_GROUPS",
    "DailyWindow",
    "LoadFeatures",
    "athlete_zscores",
    "fill_unseen_missing",
]

#: Features by risk factor (:data:`calfrisk.factors.RISK_FACTORS`), in the transformer's output order.
FEATURE_GROUPS: dict[str, tuple[str, ...]] = {f.name: f.features for f in RISK_FACTORS}
_FEATURES: tuple[str, ...] = tuple(name for group in FEATURE_GROUPS.values() for name in group)
_INPUT: tuple[str, ...] = tuple(PANEL_COLUMNS)


def _rolling_sum(m: np.ndarray, window: int) -> np.ndarray:
    """Sum over the last ``window`` days, today included, along axis 1 (fewer at the start)."""
    c = np.zeros((m.shape[0], m.shape[1] + 1))
    np.cumsum(m, axis=1, out=c[:, 1:])
    lagged = np.zeros_like(c[:, 1:])
    span = m.shape[1]
    if span > window:
        lagged[:, window:] = c[:, 1 : span + 1 - window]
    return c[:, 1:] - lagged


def _rolling_max(m: np.ndarray, window: int) -> np.ndarray:
    """Maximum over the last ``window`` days, today included, along axis 1."""
    padded = np.concatenate([np.full((m.shape[0], window - 1), -np.inf), m], axis=1)
    return sliding_window_view(padded, window, axis=1).max(axis=-1)


def _ewma(m: np.ndarray, span: int) -> np.ndarray:
    """Exponentially weighted mean of each row's days so far (column 0 is each athlete's first day)."""
    lam = 2.0 / (span + 1.0)
    out = np.empty_like(m)
    level = np.zeros(m.shape[0])
    for t in range(m.shape[1]):
        level = lam * m[:, t] + (1.0 - lam) * level
        out[:, t] = level
    # The weights of the days logged: 1 - (1 - lambda) ** (t + 1) of the infinite series'.
    out /= -np.expm1(np.arange(1, m.shape[1] + 1) * np.log1p(-lam))
    return out


class LoadFeatures(TransformerMixin, BaseEstimator):
    """Past-only load, shoe, history and profile features of each athlete-day.

    Parameters
    ----------
    acute_days : int, default=7
        Span N of the acute EWMA load.
    chronic_days : int, default=28
        Span N of the chronic EWMA load.
    floor_km : float, default=0.5
        Floor of a daily load used as a denominator, km per day.
    never_days : int, default=365
        Value of ``days_since_return`` for a runner with no strain in the log, and its cap.

    Attributes
    ----------
    n_features_in_ : int
        Number of input columns seen in ``fit``.
    feature_names_in_ : ndarray of str
        Input columns seen in ``fit``.

    Notes
    -----
    Input rows are athlete-days of a daily panel (:data:`calfrisk.learn.panel.PANEL_COLUMNS`); there may be
    at most one row per athlete and date. The features, in :data:`FEATURE_GROUPS` order:

    - ``km_day``, ``km_7d``, ``km_28d``: km that day, and over the last 7 and 28 days;
    - ``ewma_acute_km``, ``ewma_chronic_km``: EWMA daily km (N = 7 and 28) and ``acwr_ewma`` their
      ratio; ``acwr_uncoupled``: the last 7 days' daily mean over that of days 8-28 (Lolli 2019);
    - ``week_change``: last 7 days over the 7 before, minus 1; ``long_run_ratio``: longest session of
      the last 7 days over the mean weekly km of the last 28; ``monotony_7d`` (Foster: mean daily km
      over its standard deviation, last 7 days) and ``strain_7d`` (7-day km x monotony);
      ``days_since_rest``: days since the last day without running (0 on a rest day);
    - ``climb_m_7d``, ``climb_m_per_km_7d``: metres climbed in 7 days, and per km;
      ``speed_km_7d``, ``speed_share_7d``: km of tempo, interval and race sessions in 7 days, and their
      share;
    - ``shoe_km_today``: km on today's shoe before today's run (what it had before the log, plus the km
      logged on it; a day's km count on its longest session's shoe); ``shoe_km_max_7d``: km on the
      most-worn shoe run in over the last 7 days; ``shoes_28d``: shoes run in over the last 28 days
      (each missing where a run whose shoe was not recorded, shoe 0, falls in its window);
    - ``days_since_return``: days since the first run after the last strain onset (``never_days``
      without one); ``calf_strains``: prior strains plus those in the log up to today;
    - ``age``, ``female``, ``glute_test_score``, ``calf_test_score``: the profile;
    - ``warmup_habit``, ``stretching_habit`` (0 or 1): habits with no effect in the evidence (van
      Mechelen 1993) nor in the simulator by default; a model that leans on them has learned noise.

    Examples
    --------
    >>> import pandas as pd
    >>> from calfrisk.learn.panel import daily_panel
    >>> log = pd.DataFrame({"athlete_id": [1, 1], "date": ["2025-01-01", "2025-01-03"],
    ...     "distance_km": [5.0, 8.0], "duration_min": [30.0, 48.0], "elevation_gain_m": [20.0, 40.0],
    ...     "session_type": ["easy", "tempo"], "shoe_id": [1, 1]})
    >>> profile = pd.DataFrame({"athlete_id": [1], "age": [41.0], "sex": ["F"],
    ...     "prior_calf_strains": [0], "glute_test_score": [20.0], "calf_test_score": [25.0],
    ...     "warmup_habit": [True], "stretching_habit": [False]})
    >>> features = LoadFeatures().fit_transform(daily_panel(log, profile))
    >>> features.shape
    (3, 27)
    """

    def __init__(self, *, acute_days=7, chronic_days=28, floor_km=0.5, never_days=365):
        self.acute_days = acute_days
        self.chronic_days = chronic_days
        self.floor_km = floor_km
        self.never_days = never_days

    def fit(self, X: pd.DataFrame, y: object = None) -> LoadFeatures:
        """Check the input columns and the parameters; nothing is learned from the data.

        Parameters
        ----------
        X : DataFrame
            Daily panel rows.
        y : ignored

        Returns
        -------
        self
        """
        self._check_params()
        self._check_input(X)
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = len(X.columns)
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        """Compute the features of each row, from that day and the days before it only.

        Parameters
        ----------
        X : DataFrame
            Daily panel rows, in any order, at most one per athlete and date.

        Returns
        -------
        ndarray of shape (n_rows, n_features)
            float64 features, rows in the order of ``X``.
        """
        check_is_fitted(self, "n_features_in_")
        self._check_input(X)
        grid = _Grid.of(X)
        feats = self._compute(X, grid)
        # Filled feature by feature and handed back column-major: pandas keeps a frame's columns
        # that way, so wrapping the result in one copies nothing.
        flat = grid.code * grid.span + grid.offset
        out = np.empty((len(_FEATURES), len(X)))
        for j, name in enumerate(_FEATURES):
            np.take(feats[name].ravel(), flat, out=out[j])
        return out.T

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """Names of the output features, in column order."""
        check_is_fitted(self, "n_features_in_")
        return np.asarray(_FEATURES, dtype=object)

    def _check_params(self) -> None:
        for name in ("acute_days", "chronic_days", "never_days"):
            value = getattr(self, name)
            if not isinstance(value, int | np.integer) or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if not self.floor_km > 0:
            raise ValueError(f"floor_km must be positive, got {self.floor_km!r}")

    @staticmethod
    def _check_input(X: pd.DataFrame) -> None:
        _check_panel(X, _INPUT, "LoadFeatures")

    def _compute(self, X: pd.DataFrame, g: _Grid) -> dict[str, np.ndarray]:
        floor = self.floor_km
        km = g.place(X["distance_km"])
        long_km = g.place(X["long_km"])
        climb = g.place(X["elevation_gain_m"])
        speed = g.place(X["speed_km"])
        onset = g.place(X["strain_onset"].astype(float)) > 0
        # A day without a row counts as a rest day: no run, no shoe, no onset.
        f: dict[str, np.ndarray] = {"km_day": km}
        f["km_7d"] = km7 = _rolling_sum(km, 7)
        f["km_28d"] = km28 = _rolling_sum(km, 28)
        f["ewma_acute_km"] = acute = _ewma(km, self.acute_days)
        f["ewma_chronic_km"] = chronic = _ewma(km, self.chronic_days)
        f["acwr_ewma"] = acute / np.maximum(chronic, floor)
        f["acwr_uncoupled"] = (km7 / 7.0) / np.maximum((km28 - km7) / 21.0, floor)
        prev7 = _rolling_sum(km, 14) - km7
        f["week_change"] = km7 / np.maximum(prev7, 7.0 * floor) - 1.0
        f["long_run_ratio"] = _rolling_max(long_km, 7) / np.maximum(km28 / 4.0, 7.0 * floor)
        mean7 = km7 / 7.0
        var7 = np.maximum(_rolling_sum(km * km, 7) / 7.0 - mean7 * mean7, 0.0)
        f["monotony_7d"] = monotony = mean7 / np.maximum(np.sqrt(var7), floor)
        f["strain_7d"] = km7 * monotony
        steps = np.arange(g.span)
        last_rest = np.maximum.accumulate(np.where(km <= 0.0, steps, -1), axis=1)
        f["days_since_rest"] = (steps - last_rest).astype(float)
        f["climb_m_7d"] = climb7 = _rolling_sum(climb, 7)
        f["climb_m_per_km_7d"] = climb7 / np.maximum(km7, 1.0)
        f["speed_km_7d"] = speed7 = _rolling_sum(speed, 7)
        f["speed_share_7d"] = speed7 / np.maximum(km7, 1.0)
        f.update(self._shoes(X, g, km))
        f.update(self._history(X, g, km, onset))
        for name in ("age", "glute_test_score", "calf_test_score"):
            f[name] = g.place(X[name].astype(float))
        female = np.where(X["sex"].isna().to_numpy(), np.nan, (X["sex"].astype(str) == "F").to_numpy(float))
        f["female"] = g.place(female)
        for name in ("warmup_habit", "stretching_habit", *(t.trait.column for t in TRAITS)):
            f[name] = g.place(X[name].astype(float))
        return f

    @staticmethod
    def _shoes(X: pd.DataFrame, g: _Grid, km: np.ndarray) -> dict[str, np.ndarray]:
        shoe = g.place(X["shoe_id"].astype(float), fill=-1.0)
        start = g.place(X["shoe_start_km"].astype(float))
        ran = shoe >= 0
        # Km on each shoe after each day: a running sum within (athlete, shoe) in date order.
        a, t = np.nonzero(ran)  # row-major: athlete, then date
        worn = pd.Series(km[a, t]).groupby([a, shoe[a, t]]).cumsum().to_numpy()
        after = np.zeros_like(km)
        after[a, t] = start[a, t] + worn
        before = np.where(ran, after - km, 0.0)
        most = _rolling_max(after, 7)
        shoes = np.zeros_like(km)
        for value in np.unique(shoe[ran]) if ran.any() else []:
            used = (shoe == value).astype(float)
            shoes += _rolling_sum(used, 28) > 0
        # Shoe 0: a run whose shoe was not recorded (a real log). Its wear is unknown, not new.
        unknown = (shoe == 0).astype(float)
        if unknown.any():
            shoes -= _rolling_sum(unknown, 28) > 0
            before[unknown > 0] = np.nan
            most[_rolling_sum(unknown, 7) > 0] = np.nan
            shoes[_rolling_sum(unknown, 28) > 0] = np.nan
        return {"shoe_km_today": before, "shoe_km_max_7d": most, "shoes_28d": shoes}

    def _history(self, X: pd.DataFrame, g: _Grid, km: np.ndarray, onset: np.ndarray) -> dict[str, np.ndarray]:
        never = float(self.never_days)
        since = np.full(km.shape, never)
        returned = np.full(km.shape[0], -np.inf)
        pending = np.zeros(km.shape[0], dtype=bool)
        for t in range(km.shape[1]):
            # The onset day's run is the run the strain happened in; the return is the next run.
            back = pending & (km[:, t] > 0) & ~onset[:, t]
            returned = np.where(back, t, returned)
            pending = (pending & ~back) | onset[:, t]
            since[:, t] = np.minimum(t - returned, never)
        prior = g.place(X["prior_calf_strains"].astype(float))
        # The profile's prior count is constant per athlete; take it on every calendar day.
        prior = np.maximum.accumulate(prior, axis=1)
        return {"days_since_return": since, "calf_strains": prior + np.cumsum(onset, axis=1)}


#: The daily metrics of Lövdal et al.'s (2021) "day approach" that a running log holds, with how each
#: is read from a daily panel. Their other six (strength training, hours of alternative training,
#: km sprinting, perceived exertion, training success and recovery) have no counterpart in a log.
DAY_METRICS: dict[str, str] = {
    "sessions": "1 on a day with a run, else 0 (a daily panel holds one row per day)",
    "km": "km run (their 'total km')",
    "speed_km": "km of tempo, interval and race sessions (their 'km Z3-4' and 'km Z5-T1-T2' together)",
}


class DailyWindow(TransformerMixin, BaseEstimator):
    """Each day's metrics over the last ``days`` days, one column per metric and day.

    The inputs of the "day approach" of Lövdal et al. (2021): not summaries of the load, but the
    raw daily values of the days before, left to the model (with per-athlete z-scores,
    :func:`athlete_zscores`). Like :class:`LoadFeatures`, rows are daily-panel athlete-days in any
    order, a day without a row is a rest day, and a row depends on its day and the days before only.

    Parameters
    ----------
    days : int, default=7
        Days in the window: the day itself and the ``days - 1`` before it.

    Attributes
    ----------
    n_features_in_ : int
        Number of input columns seen in ``fit``.
    feature_names_in_ : ndarray of str
        Input columns seen in ``fit``.

    Notes
    -----
    Columns are ``<metric>_lag<k>`` for each metric of :data:`DAY_METRICS` and ``k = 0`` (the day
    itself) to ``days - 1``. Days before the athlete's first row count as rest days. Lövdal et al.
    score the day after their window; a calfrisk label covers the days after the row's day, so the
    window ends on the row's day.
    """

    def __init__(self, *, days=7):
        self.days = days

    def fit(self, X: pd.DataFrame, y: object = None) -> DailyWindow:
        """Check the input columns and the parameter; nothing is learned from the data."""
        if not isinstance(self.days, int | np.integer) or self.days < 1:
            raise ValueError(f"days must be a positive integer, got {self.days!r}")
        self._check_input(X)
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = len(X.columns)
        return self

    def transform(self, X: pd.DataFrame) -> np.ndarray:
        """The window of each row, from that day and the days before it only, rows in input order."""
        check_is_fitted(self, "n_features_in_")
        self._check_input(X)
        grid = _Grid.of(X)
        code, offset = grid.code, grid.offset
        km = grid.place(X["distance_km"])
        metrics = {"sessions": (km > 0).astype(float), "km": km, "speed_km": grid.place(X["speed_km"])}
        out = np.empty((len(X), len(DAY_METRICS) * self.days))
        j = 0
        for name in DAY_METRICS:
            m = metrics[name]
            for lag in range(self.days):
                # Day t - lag of the athlete's calendar; before its first day, a rest day.
                out[:, j] = np.where(offset >= lag, m[code, np.maximum(offset - lag, 0)], 0.0)
                j += 1
        return out

    def get_feature_names_out(self, input_features: object = None) -> np.ndarray:
        """Names of the output columns, in order."""
        check_is_fitted(self, "n_features_in_")
        return np.asarray([f"{m}_lag{k}" for m in DAY_METRICS for k in range(self.days)], dtype=object)

    @staticmethod
    def _check_input(X: pd.DataFrame) -> None:
        _check_panel(X, ("athlete_id", "date", "distance_km", "speed_km"), "DailyWindow")


def _check_panel(X: pd.DataFrame, columns: tuple[str, ...], who: str) -> None:
    if not isinstance(X, pd.DataFrame):
        raise InputError(f"{who} expects a DataFrame of daily panel rows")
    missing = [c for c in columns if c not in X.columns]
    if missing:
        raise InputError(f"daily panel: missing column(s) {', '.join(missing)}")


class _Grid:
    """Athletes by days: where each input row sits on its athlete's own calendar."""

    def __init__(self, code: np.ndarray, offset: np.ndarray, n_athletes: int, span: int):
        self.code, self.offset = code, offset
        self.n_athletes, self.span = n_athletes, span

    @classmethod
    def of(cls, X: pd.DataFrame) -> _Grid:
        """The grid of daily-panel rows: each athlete's calendar starts on its first row."""
        code = pd.factorize(X["athlete_id"], sort=True)[0]
        day = pd.to_datetime(X["date"]).to_numpy("datetime64[D]").astype(np.int64)
        if len(day) == 0:
            return cls(code, day, 0, 0)
        first = np.full(code.max() + 1, np.iinfo(np.int64).max)
        np.minimum.at(first, code, day)
        offset = day - first[code]
        key = code * (offset.max() + 1) + offset
        # The grid has a cell per (athlete, day): counting into it finds a repeat in one pass.
        cells = (int(code.max()) + 1) * (int(offset.max()) + 1)
        repeated = (
            np.bincount(key, minlength=cells).max() > 1
            if cells <= 16 * len(key)
            else len(np.unique(key)) != len(key)
        )
        if repeated:
            raise InputError("daily panel: more than one row for the same athlete and date")
        return cls(code, offset, int(code.max()) + 1, int(offset.max()) + 1)

    def place(self, values: pd.Series, fill: float = 0.0) -> np.ndarray:
        m = np.full((self.n_athletes, self.span), fill)
        m[self.code, self.offset] = np.asarray(values, dtype=float)
        return m


def athlete_zscores(features: pd.DataFrame, athlete_ids: np.ndarray, dates: np.ndarray) -> pd.DataFrame:
    """Each feature as a z-score against the athlete's own days so far (past-only).

    The per-athlete standardisation of Lövdal et al. (2021), made past-only: day d is scored
    against the mean and standard deviation of that athlete's days up to and including d (their
    paper used each athlete's whole record, which looks into the future). A feature that has not
    varied yet gets 0.

    Parameters
    ----------
    features : DataFrame
        Feature table, one row per athlete-day.
    athlete_ids, dates : ndarray
        The athlete and date of each row.

    Returns
    -------
    DataFrame
        Same shape, index and columns as ``features``.
    """
    order = np.lexsort((pd.to_datetime(dates).to_numpy(), athlete_ids))
    values = features.to_numpy(float)[order]
    athletes = np.asarray(athlete_ids)[order]
    frame = pd.DataFrame(values)
    grouped = frame.groupby(athletes, sort=False)
    count = grouped.cumcount().to_numpy()[:, None] + 1.0
    mean = grouped.cumsum().to_numpy() / count
    square = pd.DataFrame(values * values).groupby(athletes, sort=False).cumsum().to_numpy() / count
    sd = np.sqrt(np.maximum(square - mean * mean, 0.0))
    z = np.where(sd > 1e-9, (values - mean) / np.where(sd > 1e-9, sd, 1.0), 0.0)
    out = np.empty_like(z)
    out[order] = z
    return pd.DataFrame(out, index=features.index, columns=features.columns)


def fill_unseen_missing(
    X: pd.DataFrame, medians: dict[str, float], missing_in_training: dict[str, float] | None
) -> tuple[pd.DataFrame, list[str]]:
    """A feature missing where the model never saw it missing takes the training median.

    A model trained on complete data (a simulated cohort) has no learned place for a missing value:
    XGBoost sends it down a default branch chosen without any example, which can move the risk far
    from anything the data support. Such a value takes the training days' median, as ``predict``
    does for a profile value a runner does not give. A feature that was missing in training (an
    imported cohort's) keeps its missing values: the model learned what they mean.

    Parameters
    ----------
    X : DataFrame
        The model's features.
    medians : dict
        The training days' median of each feature (a model directory's ``feature_medians``).
    missing_in_training : dict, optional
        The share of training days each feature was missing on (``feature_missing``); a model
        directory written before it was recorded counts as trained on complete data.

    Returns
    -------
    X : DataFrame
        The features, filled where needed (a copy when anything was filled).
    filled : list of str
        The features filled.

    Examples
    --------
    >>> X = pd.DataFrame({"age": [40.0, np.nan], "glute_test_score": [np.nan, 20.0]})
    >>> medians = {"age": 39.0, "glute_test_score": 21.0}
    >>> out, filled = fill_unseen_missing(X, medians, {"glute_test_score": 0.3})
    >>> out["age"].tolist(), out["glute_test_score"].isna().tolist(), filled
    ([40.0, 39.0], [True, False], ['age'])
    """
    seen = missing_in_training or {}
    filled = [
        c
        for c in X.columns
        if seen.get(c, 0.0) == 0.0 and X[c].isna().any() and np.isfinite(medians.get(c, np.nan))
    ]
    if not filled:
        return X, []
    return X.fillna({c: medians[c] for c in filled}), filled
