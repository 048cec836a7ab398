"""A runner's risk from their own log: calibrated, on the real-world scale, explained.

:func:`forecast` takes the sessions a reader returned (:data:`calfrisk.schema.RUN_LOG_COLUMNS`),
the runner's profile and a trained model, and for each requested day gives

- ``risk``: the probability of a calf-strain onset within the model's horizon after that day, the
  model's calibrated probability. Only for a model trained at the real strain rate: a model trained
  on an enriched cohort (every hazard multiplied by E > 1) gives no absolute risk (NaN, and a note
  says why). Its probabilities are rescaled by ``1 - (1 - p) ** (1 / E)`` for the relative figures,
  but that rescale ignores that strains breed strains in an enriched world (it missed the real
  average day by about a third), so it is not a real-world risk;
- ``vs_usual``: that risk over the runner's usual level (the median of their own daily risk over
  the log up to that day, after the first ``min_history_days``);
- ``vs_average``: that risk over the average training day of the cohort, and the ``band`` it falls
  in (:data:`calfrisk.learn.bands.BANDS`);
- the ``drivers``: the risk factors that raise that day's risk most (exact contributions,
  :mod:`calfrisk.learn.explain`), each with advice (:mod:`calfrisk.predict.advice`).

Nothing is guessed silently: a profile value not given is replaced by the training cohort's median
and reported in ``notes``, and its factor is never listed as a driver; session types a log does not
record are inferred from pace by a stated rule; missing elevation counts as flat, and says so.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from calfrisk.exceptions import InputError, NotAdditiveError, ParameterError, ShortLogError
from calfrisk.factors import RISK_FACTORS, TRAITS
from calfrisk.learn.bands import band_of, real_world_risk
from calfrisk.learn.explain import DRIVER_FACTORS, contributions, factor_contributions
from calfrisk.learn.features import fill_unseen_missing
from calfrisk.learn.panel import daily_panel
from calfrisk.predict.advice import advise
from calfrisk.predict.profile import RunnerProfile
from calfrisk.readers.sessions import SPEED_PACE_RATIO, as_training_log
from calfrisk.schema import OUTCOMES

__all__ = ["SPEED_PACE_RATIO", "Forecast", "forecast"]

#: Drivers listed per day, and the smallest odds multiplier worth listing.
TOP_DRIVERS = 3
MIN_ODDS_RATIO = 1.05

_PROFILE_FEATURE = {  # profile value -> feature that carries it, and the factor it drives
    key: (feature, f.name) for f in RISK_FACTORS for key, feature in f.profile
}


@dataclass(frozen=True)
class Forecast:
    """What :func:`forecast` found.

    Attributes
    ----------
    days : DataFrame
        One row per requested day: ``athlete_id``, ``date``, ``risk``, ``vs_usual``, ``vs_average``,
        ``band``, ``horizon_days``, ``km_7d``, ``acwr``.
    drivers : DataFrame
        Long format: ``date``, ``rank``, ``factor``, ``contribution`` (log-odds), ``odds_ratio``,
        ``advice``.
    timeline : DataFrame
        Every day of the log: ``date``, ``km``, ``acwr``, ``risk`` (NaN in the first weeks),
        ``strain``.
    notes : list of str
        What was assumed or inferred, for the user to read.
    average : float
        The risk of the training cohort's average day, on the same scale as the timeline's.
    relative : bool
        The model was trained on an enriched cohort: ``days["risk"]`` is NaN and only the relative
        figures (``vs_usual``, ``vs_average``, ``band``) hold.
    """

    days: pd.DataFrame
    drivers: pd.DataFrame
    timeline: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    average: float = float("nan")
    relative: bool = False


def _check_model(model: object, metadata: dict) -> None:
    """Refuse a model whose features or metadata this version of calfrisk does not produce."""
    try:
        computed = [str(f) for f in model[0].get_feature_names_out()]
        expected = [str(f) for f in getattr(model[-1], "feature_names_in_", computed)]
    except (TypeError, AttributeError, IndexError):
        raise InputError("model: not a calfrisk pipeline (features, then a classifier)") from None
    keys = ("horizon_days", "min_history_days", "positive_rate", "feature_medians")
    missing = [k for k in keys if k not in metadata]
    missing += [f for f in computed if f not in metadata.get("feature_medians", {})]
    if expected != computed or missing:
        differ = sorted(set(expected) ^ set(computed)) or missing
        raise InputError(
            f"model: made by another version of calfrisk (features or metadata differ: "
            f"{', '.join(differ[:5])}); retrain it with `calfrisk train`"
        )


def _shoe_start(
    sessions: pd.DataFrame, ids: dict[str, int], profile: RunnerProfile, notes: list[str]
) -> tuple[pd.DataFrame, dict[int, str], bool]:
    """The km each numbered shoe had before the log; the shoes' names by id; whether any is known."""
    names = sessions["shoe"].astype("string")
    order = list(ids)
    unknown_shoes = sorted(set(profile.shoe_km) - set(order))
    if unknown_shoes:
        listed = ", ".join(repr(s) for s in order) or "none"
        raise ParameterError(
            "shoe_km",
            repr(unknown_shoes[0]),
            f"no session in the log uses that shoe (shoes in the log: {listed})",
        )
    start = pd.DataFrame(
        {
            "athlete_id": 0,
            "shoe_id": [ids[n] for n in profile.shoe_km],
            "km": [float(km) for km in profile.shoe_km.values()],
        }
    )
    if order:
        # A shoe first worn in the log's first 4 weeks was probably owned before it began; one
        # first worn later was probably new, and starting it at 0 km is no assumption worth a note.
        first_use = pd.Series(pd.to_datetime(sessions["date"]).to_numpy()).groupby(names.to_numpy()).min()
        early = first_use[first_use <= pd.to_datetime(sessions["date"]).min() + pd.Timedelta(days=28)]
        missing = sorted(set(early.index) - set(profile.shoe_km))
        if missing:
            notes.append(
                f"no km before the log given for {', '.join(repr(s) for s in missing)}, worn from its "
                "first weeks: counted from 0 (give its km: shoe_km in the profile, or --shoe-km NAME=KM)"
            )
        if names.isna().any():
            notes.append(
                f"{int(names.isna().sum())} session(s) without a shoe: their wear is unknown to the model"
            )
    return start, {v: k for k, v in ids.items()}, bool(order)


def _day_range(
    first: pd.Timestamp,
    last: pd.Timestamp,
    start: dt.date | None,
    end: dt.date | None,
    today: dt.date,
    min_history: int,
) -> tuple[pd.Timestamp, pd.Timestamp]:
    end_ts = pd.Timestamp(end) if end is not None else last
    start_ts = pd.Timestamp(start) if start is not None else end_ts
    if end_ts.date() > today:
        raise ParameterError("end", end_ts.date(), f"in the future (today is {today})")
    if start_ts > end_ts:
        raise ParameterError("start", start_ts.date(), f"after `end` {end_ts.date()}")
    earliest = first + pd.Timedelta(days=min_history)
    if start_ts < earliest and start is None and end is None:
        # No day was asked for: the log itself is too short, which is what to say.
        span = (last - first).days + 1
        raise ShortLogError(
            f"the log covers {span} day(s), {first.date()} to {last.date()}: the model needs "
            f"{min_history} days of log before the day it scores (the first it can is {earliest.date()})"
        )
    if start_ts < earliest:
        raise ParameterError(
            "start",
            start_ts.date(),
            f"the model needs {min_history} days of log before a day; the log starts on "
            f"{first.date()}, so the first day it can score is {earliest.date()}",
        )
    return start_ts, end_ts


def forecast(
    sessions: pd.DataFrame,
    model: object,
    metadata: dict,
    profile: RunnerProfile,
    *,
    start: dt.date | None = None,
    end: dt.date | None = None,
    today: dt.date | None = None,
    notes: list[str] | None = None,
) -> Forecast:
    """Score each requested day of a runner's log.

    Parameters
    ----------
    sessions : DataFrame
        Running sessions (:data:`calfrisk.schema.RUN_LOG_COLUMNS`).
    model : Pipeline
        A calfrisk pipeline (features, then calibrated classifier), e.g. from
        :func:`calfrisk.predict.persist.load_model`.
    metadata : dict
        The model's metadata: ``horizon_days``, ``enrichment``, ``positive_rate``,
        ``min_history_days``, ``feature_medians``.
    profile : RunnerProfile
        What the runner reported.
    start, end : date, optional
        Days to score (inclusive). By default the last day of the log only; ``end`` alone scores that day.
    today : date, optional
        Days after it are refused. Default: the current date.
    notes : list of str, optional
        Notes so far (e.g. from the readers); this function's are appended to a copy.

    Returns
    -------
    Forecast

    Raises
    ------
    InputError
        If the log is empty, a shoe given does not appear in it, or the days asked for are in the
        future or lack enough history.
    """
    notes = list(notes or [])
    _check_model(model, metadata)
    if sessions.empty:
        raise InputError("the log holds no running sessions")
    today = today or dt.date.today()
    medians: dict[str, float] = metadata["feature_medians"]
    min_history = int(metadata["min_history_days"])
    enrichment = float(metadata.get("enrichment", 1.0))
    log, shoe_start, shoe_names, shoes_known = _runner_log(sessions, profile, notes)
    first, last = log["date"].iloc[0], log["date"].iloc[-1]
    start_ts, end_ts = _day_range(first, last, start, end, today, min_history)
    assumed: set[str] = set()
    athletes = _runner_profile(profile, medians, assumed, notes)
    injuries = pd.DataFrame({"athlete_id": 0, "date": pd.to_datetime(list(profile.strains))})
    calendar = pd.DataFrame({"athlete_id": 0, "date": pd.date_range(first, end_ts, freq="D")})
    panel = daily_panel(log, athletes, injuries, days=calendar, shoe_start_km=shoe_start)
    X = _features(model, panel, medians, shoes_known, assumed, notes)
    X, filled = fill_unseen_missing(X, medians, metadata.get("feature_missing"))
    if filled:
        notes.append(
            f"no value on some days for {', '.join(filled)}: the training cohort's typical value used there"
        )

    risk = real_world_risk(model[-1].predict_proba(X)[:, 1], enrichment)
    average = real_world_risk(float(metadata["positive_rate"]), enrichment)
    relative = enrichment > 1.0
    if relative:
        notes.append(
            f"the model was trained on a cohort enriched x{enrichment:g} (every strain hazard multiplied): "
            "its risks are not the real world's, so only relative figures are given (vs usual, vs "
            "average, band); a model trained at the real rate gives the risk itself"
        )
    outcome = metadata.get("outcome", "calf strain")
    if outcome != "calf strain":
        plural = OUTCOMES[outcome]
        notes.append(f"the model was trained on {plural}, not calf strains: the risk is of a {outcome}")
    eligible = (panel["date"] >= first + pd.Timedelta(days=min_history)).to_numpy()
    usual = pd.Series(np.where(eligible, risk, np.nan)).expanding().median().to_numpy()
    chosen = ((panel["date"] >= start_ts) & (panel["date"] <= end_ts)).to_numpy()
    days = pd.DataFrame(
        {
            "athlete_id": profile.athlete_id,
            "date": panel["date"].to_numpy()[chosen],
            "risk": np.full(int(chosen.sum()), np.nan) if relative else risk[chosen],
            "vs_usual": (risk / usual)[chosen],
            "vs_average": risk[chosen] / average,
            "band": band_of(risk[chosen] / average),
            "horizon_days": int(metadata["horizon_days"]),
            "km_7d": X["km_7d"].to_numpy()[chosen],
            "acwr": X["acwr_ewma"].to_numpy()[chosen],
        }
    )
    drivers = _drivers(
        model[-1], X[chosen], panel[chosen], log, shoe_start, shoe_names, assumed, notes, medians
    )
    timeline = pd.DataFrame(
        {
            "date": panel["date"],
            "km": panel["distance_km"],
            "acwr": X["acwr_ewma"].to_numpy(),
            "risk": np.where(eligible, risk, np.nan),
            "strain": panel["strain_onset"],
        }
    )
    return Forecast(
        days=days, drivers=drivers, timeline=timeline, notes=notes, average=average, relative=relative
    )


def _runner_log(
    sessions: pd.DataFrame, profile: RunnerProfile, notes: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame, dict[int, str], bool]:
    """The sessions as a training log the panel reads: types inferred, shoes numbered, flat if unknown.

    Returns the log, each shoe's km before it, the shoes' names by id, and whether any shoe is named.
    """
    log, ids = as_training_log(sessions, 0, notes)
    shoe_start, shoe_names, shoes_known = _shoe_start(sessions, ids, profile, notes)
    flat = log["elevation_gain_m"].isna()
    if flat.any():
        notes.append(f"{int(flat.sum())} session(s) without elevation: counted as flat")
        log["elevation_gain_m"] = log["elevation_gain_m"].fillna(0.0)
    return log, shoe_start, shoe_names, shoes_known


def _runner_profile(
    profile: RunnerProfile, medians: dict[str, float], assumed: set[str], notes: list[str]
) -> pd.DataFrame:
    """The runner as an athletes table; a value not given takes the training cohort's typical one.

    Each factor so filled is added to ``assumed`` (never a driver) and named in ``notes``.
    """
    values = profile.model_dump()

    def known(value: float, form: Callable[[float], object]) -> object:
        # A cohort that never gave the value (an imported one) has no typical value: it stays unknown.
        return form(value) if np.isfinite(value) else np.nan

    typical = {
        "age": medians["age"],
        "sex": known(medians["female"], lambda v: "F" if v >= 0.5 else "M"),
        "prior_calf_strains": known(medians["calf_strains"], round),
        "glute_test_score": medians["glute_test_score"],
        "calf_test_score": medians["calf_test_score"],
        "warmup_habit": known(medians["warmup_habit"], lambda v: bool(v >= 0.5)),
        "stretching_habit": known(medians["stretching_habit"], lambda v: bool(v >= 0.5)),
        **{f.trait.column: medians[f.trait.column] for f in TRAITS},
    }
    missing = [key for key in _PROFILE_FEATURE if values[key] is None]
    athlete = {
        "athlete_id": 0,
        **{key: typical[key] if key in missing else values[key] for key in _PROFILE_FEATURE},
    }
    if missing:
        assumed.update(_PROFILE_FEATURE[key][1] for key in missing)
        shown = ", ".join(
            f"{key}={typical[key]:.4g}" if isinstance(typical[key], float) else f"{key}={typical[key]}"
            for key in missing
        )
        notes.append(f"not given, so the training cohort's typical value is used (not a driver): {shown}")
    return pd.DataFrame([{"athlete_id": 0, **athlete}])


def _features(
    model: object,
    panel: pd.DataFrame,
    medians: dict[str, float],
    shoes_known: bool,
    assumed: set[str],
    notes: list[str],
) -> pd.DataFrame:
    """The model's features of each panel day (shoe wear typical when the log names no shoe)."""
    X = model[0].transform(panel)
    if not isinstance(X, pd.DataFrame):
        X = pd.DataFrame(X, columns=model[0].get_feature_names_out())
    if not shoes_known:
        for feature in DRIVER_FACTORS["shoes"]:
            X[feature] = medians[feature]
        assumed.add("shoes")
        notes.append("the log names no shoes: shoe wear set to the cohort's typical value (not a driver)")
        return X
    # Four weeks without a run (a layoff, a break): no shoe is in use, a state no training day shows
    # (layoff days are not scored), so the shoe features would read as "no rotation" at its extreme.
    idle = X["km_28d"].to_numpy() <= 0.0
    if idle.any():
        shoes = list(DRIVER_FACTORS["shoes"])
        X.loc[idle, shoes] = [medians[f] for f in shoes]
        notes.append(
            f"{int(idle.sum())} day(s) without a run in the 4 weeks before: no shoe in use, so shoe wear "
            "is set to the cohort's typical value there"
        )
    return X


def _worn_shoes(
    log: pd.DataFrame, shoe_start: pd.DataFrame, shoe_names: dict[int, str], days: pd.Series
) -> list[dict[str, object]]:
    """For each day, the most-worn named shoe run in over the 7 days to it, and its km before it."""
    named = log[log["shoe_id"] > 0]
    if named.empty:
        return [{} for _ in days]
    calendar = pd.date_range(min(days.min(), log["date"].min()), max(days.max(), log["date"].max()), freq="D")
    daily = named.pivot_table(index="date", columns="shoe_id", values="distance_km", aggfunc="sum")
    daily = daily.reindex(calendar).fillna(0.0)
    start = shoe_start.set_index("shoe_id")["km"].reindex(daily.columns).fillna(0.0)
    before = daily.cumsum().shift(1).fillna(0.0) + start  # km each shoe had before the day's run
    recent = daily.rolling(7, min_periods=1).sum() > 0
    worn = before.where(recent, -np.inf).loc[pd.DatetimeIndex(days)]
    out = []
    for row in worn.itertuples(index=False):
        values = np.asarray(row, dtype=float)
        best = int(np.argmax(values))
        out.append(
            {}
            if np.isneginf(values[best])
            else {"shoe": shoe_names[int(worn.columns[best])], "shoe_km": values[best]}
        )
    return out


def _drivers(
    classifier: object,
    X: pd.DataFrame,
    panel: pd.DataFrame,
    log: pd.DataFrame,
    shoe_start: pd.DataFrame,
    shoe_names: dict[int, str],
    assumed: set[str],
    notes: list[str],
    typical: dict[str, float],
) -> pd.DataFrame:
    columns = ["date", "rank", "factor", "contribution", "odds_ratio", "advice"]
    try:
        factors = factor_contributions(contributions(classifier, X))
    except NotAdditiveError as exc:
        notes.append(f"no drivers: this model has no exact per-factor contributions ({exc})")
        return pd.DataFrame(columns=columns)
    factors = factors.drop(columns=sorted(assumed & set(factors.columns)))
    rows = []
    shoes = _worn_shoes(log, shoe_start, shoe_names, panel["date"])
    for i, date in enumerate(panel["date"]):
        day = factors.iloc[i].sort_values(ascending=False)
        day = day[day > np.log(MIN_ODDS_RATIO)].head(TOP_DRIVERS)
        features = X.iloc[i]
        context = {**shoes[i], "typical": typical}
        for rank, (factor, value) in enumerate(day.items(), start=1):
            advice = advise(factor, features, context)
            rows.append((date, rank, factor, float(value), float(np.exp(value)), advice))
    return pd.DataFrame(rows, columns=columns)
