"""Which factors a model leans on, against the effects the simulator really had.

Three views of the same held-out athlete-days:

- :func:`grouped_permutation_importance`: the drop in a score when all the features of one risk
  factor are shuffled together across rows (shuffling one of several correlated load features
  alone understates the factor: the others still carry it).
- :func:`model_factor_spread`: how far each factor moves the model's log-odds from day to day,
  the standard deviation of its exact contribution (:mod:`calfrisk.learn.explain`).
- :func:`true_factor_spread`: how far the same factor moved the simulator's true hazard over the
  following days, the standard deviation of its log-multiplier (the ``mult_<factor>`` truth),
  averaged over the prediction horizon.

:func:`compare_effects` puts them side by side, one row per factor, with a verdict. The two spreads
are on comparable scales for a rare event (the log of a small probability moves with the log of
the hazard), not identical ones: a ratio near 1 means the model states the effect at its true
size, below 1 that it understates it (e.g. a noisy test score stands in for the latent strength),
above 1 that it overstates it; a factor without true effect should get a spread near 0.
"""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd

from calfrisk.factors import RISK_FACTORS
from calfrisk.learn.explain import DRIVER_FACTORS, contributions, factor_contributions

__all__ = [
    "TRUTH_FACTORS",
    "compare_effects",
    "effect_verdict",
    "grouped_permutation_importance",
    "model_factor_spread",
    "true_factor_spread",
]

#: The simulator's factors (``mult_<factor>`` truth columns) behind each of the model's risk factors
#: (:data:`calfrisk.factors.RISK_FACTORS`). ``sex`` has none: the simulator gives it no effect, so it
#: is a control, like the habits.
TRUTH_FACTORS: dict[str, tuple[str, ...]] = {f.name: f.effects for f in RISK_FACTORS}


def grouped_permutation_importance(
    estimator: object,
    X: pd.DataFrame,
    y: np.ndarray,
    groups: dict[str, tuple[str, ...]] | None = None,
    *,
    scoring: str = "roc_auc",
    n_repeats: int = 5,
    random_state: int = 0,
    sample_weight: np.ndarray | None = None,
) -> pd.DataFrame:
    """Drop in ``scoring`` when each group of features is permuted jointly across rows.

    Parameters
    ----------
    estimator : classifier
        Fitted on feature tables like ``X``.
    X : DataFrame
        Held-out feature rows.
    y : ndarray
        Their labels.
    groups : dict of str to tuple of str, optional
        Feature groups; default :data:`calfrisk.learn.explain.DRIVER_FACTORS`.
    scoring : str, default="roc_auc"
        A scikit-learn scorer name.
    n_repeats : int, default=5
        Permutations per group.
    random_state : int, default=0
        Seed of the permutations.
    sample_weight : ndarray, optional
        A case-control sample's weights: the score is the weighted one, for the days the rows
        stand for.

    Returns
    -------
    DataFrame
        ``group``, ``importance`` (mean drop), ``std``, ``baseline``; largest drop first.
    """
    from sklearn.metrics import get_scorer

    scorer = functools.partial(get_scorer(scoring), sample_weight=sample_weight)
    groups = groups or DRIVER_FACTORS
    rng = np.random.default_rng(random_state)
    baseline = scorer(estimator, X, y)
    rows = []
    for name, features in groups.items():
        columns = [f for f in features if f in X.columns]
        drops = []
        for _ in range(n_repeats):
            shuffled = X.copy()
            order = rng.permutation(len(X))
            # One permutation for the whole group keeps the features' joint distribution.
            shuffled[columns] = X[columns].to_numpy()[order]
            drops.append(baseline - scorer(estimator, shuffled, y))
        rows.append({"group": name, "importance": np.mean(drops), "std": np.std(drops), "baseline": baseline})
    return pd.DataFrame(rows).sort_values("importance", ascending=False, kind="stable").reset_index(drop=True)


def _weighted_sd(values: np.ndarray, weight: np.ndarray) -> float:
    known = ~np.isnan(values)
    if not known.any():
        return float("nan")
    mean = np.average(values[known], weights=weight[known])
    return float(np.sqrt(np.average((values[known] - mean) ** 2, weights=weight[known])))


def _weighted_corr(a: np.ndarray, b: np.ndarray, weight: np.ndarray | None) -> float:
    """Pearson correlation over the rows where both are known, weighted when ``weight`` is given."""
    known = ~(np.isnan(a) | np.isnan(b))
    a, b = a[known], b[known]
    w = np.ones(len(a)) if weight is None else weight[known]
    da, db = a - np.average(a, weights=w), b - np.average(b, weights=w)
    return float(
        np.average(da * db, weights=w)
        / np.sqrt(np.average(da * da, weights=w) * np.average(db * db, weights=w))
    )


def model_factor_spread(classifier: object, X: pd.DataFrame) -> pd.Series:
    """Standard deviation over rows of each factor's contribution to the log-odds."""
    return factor_contributions(contributions(classifier, X)).std(ddof=0)


def _forward_mean(values: np.ndarray, athlete: np.ndarray, horizon: int) -> np.ndarray:
    """Mean of ``values`` over the next ``horizon`` rows of the same athlete (rows sorted by day)."""
    out = np.full(len(values), np.nan)
    frame = pd.DataFrame({"athlete": athlete, "v": values})
    for _, index in frame.groupby("athlete", sort=False).indices.items():
        v = values[index]
        c = np.concatenate([[0.0], np.cumsum(v)])
        n = len(v)
        stop = np.minimum(np.arange(n) + 1 + horizon, n)
        start = np.minimum(np.arange(n) + 1, n)
        count = stop - start
        with np.errstate(invalid="ignore", divide="ignore"):
            out[index] = np.where(count > 0, (c[stop] - c[start]) / count, np.nan)
    return out


def true_factor_spread(
    truth: pd.DataFrame, days: pd.DataFrame, *, horizon: int = 7
) -> tuple[pd.Series, pd.DataFrame]:
    """How much each risk factor moved the true hazard over the days after each given day.

    Parameters
    ----------
    truth : DataFrame
        The simulator's ``truth`` table (``athlete_id``, ``date``, ``in_layoff``, ``mult_<factor>``).
    days : DataFrame
        The athlete-days to describe (``athlete_id``, ``date``), e.g. a training run's test rows.
    horizon : int, default=7
        Days ahead, as the label's horizon.

    Returns
    -------
    spread : Series
        Per model factor (:data:`TRUTH_FACTORS`), the standard deviation over ``days`` of its true
        log-multiplier averaged over the next ``horizon`` days (0 for a factor without effect).
    exposure : DataFrame
        That averaged log-multiplier per day and factor, rows as ``days``.
    """
    truth = truth.sort_values(["athlete_id", "date"], kind="stable").reset_index(drop=True)
    athlete = truth["athlete_id"].to_numpy()
    per_factor = {}
    for factor, sources in TRUTH_FACTORS.items():
        log_mult = np.zeros(len(truth))
        for source in sources:
            log_mult += np.log(truth[f"mult_{source}"].to_numpy(dtype=float))
        per_factor[factor] = _forward_mean(log_mult, athlete, horizon)
    ahead = pd.DataFrame(per_factor)
    ahead.index = pd.MultiIndex.from_arrays([truth["athlete_id"], pd.to_datetime(truth["date"])])
    keys = pd.MultiIndex.from_arrays([days["athlete_id"], pd.to_datetime(days["date"])])
    exposure = ahead.reindex(keys).reset_index(drop=True)
    return exposure.std(ddof=0).fillna(0.0), exposure


def effect_verdict(true_spread: float, model_spread: float, noise_floor: float = 0.05) -> str:
    """One factor's verdict: how the model's effect compares with the simulator's.

    Parameters
    ----------
    true_spread, model_spread : float
        The factor's spread in the true log-hazard and in the model's log-odds.
    noise_floor : float, default=0.05
        Model spread below which the model counts as adding (almost) nothing.

    Returns
    -------
    str
        For a factor without true effect (spread exactly 0: every hazard ratio behind it is 1),
        ``"no true effect; model adds little"`` or ``"no true effect; model learned noise"``.
        Otherwise ``"recovered"`` (model spread within a factor of 2 of the truth),
        ``"overstated"``, ``"understated"``, or ``"missed"`` (understated and below the floor).
        A true effect smaller than the floor is judged by the ratio too: a model that states a
        small effect at its small size has recovered it.
    """
    if true_spread == 0.0:
        if model_spread < noise_floor:
            return "no true effect; model adds little"
        return "no true effect; model learned noise"
    ratio = model_spread / true_spread
    if 0.5 <= ratio <= 2.0:
        return "recovered"
    if ratio > 2.0:
        return "overstated"
    return "missed" if model_spread < noise_floor else "understated"


def compare_effects(
    classifier: object,
    X: pd.DataFrame,
    y: np.ndarray,
    truth: pd.DataFrame,
    days: pd.DataFrame,
    *,
    horizon: int = 7,
    n_repeats: int = 5,
    random_state: int = 0,
    noise_floor: float = 0.05,
    permutation: pd.DataFrame | None = None,
    sample_weight: np.ndarray | None = None,
) -> pd.DataFrame:
    """Per risk factor: the model's importance and effect size beside the simulator's true effect.

    Parameters
    ----------
    classifier : classifier
        The fitted classifier step (its contributions must be exact, :mod:`calfrisk.learn.explain`).
    X, y : DataFrame, ndarray
        Held-out feature rows and labels.
    truth, days : DataFrame
        The simulator's truth table, and the athlete-day of each row of ``X``.
    horizon : int, default=7
        The label's horizon.
    n_repeats, random_state : int
        For :func:`grouped_permutation_importance`.
    noise_floor : float, default=0.05
        Spread of the model's contribution (log-odds) below which it counts as adding (almost)
        nothing (:func:`effect_verdict`).
    permutation : DataFrame, optional
        :func:`grouped_permutation_importance` of the same rows, if already computed.
    sample_weight : ndarray, optional
        A case-control sample's weights (rows as ``X``): spreads, correlations and the permutation
        drop are the weighted ones, for the days the rows stand for.

    Returns
    -------
    DataFrame
        ``factor``, ``true_spread``, ``model_spread``, ``ratio`` (model / true), ``correlation``
        (between the day's contribution and the true exposure ahead), ``permutation_auc_drop``,
        ``verdict``; sorted by true spread.
    """
    true_spread, exposure = true_factor_spread(truth, days, horizon=horizon)
    contribution = factor_contributions(contributions(classifier, X))
    model_spread = contribution.std(ddof=0)
    w = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
    if w is not None:
        true_spread = exposure.apply(lambda column: _weighted_sd(column.to_numpy(), w)).fillna(0.0)
        model_spread = contribution.apply(lambda column: _weighted_sd(column.to_numpy(), w))
    if permutation is None:
        permutation = grouped_permutation_importance(
            classifier, X, y, n_repeats=n_repeats, random_state=random_state, sample_weight=w
        )
    drop = permutation.set_index("group")["importance"]
    rows = []
    for factor in TRUTH_FACTORS:
        true, model = float(true_spread[factor]), float(model_spread[factor])
        corr = float("nan")
        if true > 0 and model > 0:
            corr = _weighted_corr(contribution[factor].to_numpy(), exposure[factor].to_numpy(), w)
        verdict = effect_verdict(true, model, noise_floor)
        rows.append(
            {
                "factor": factor,
                "true_spread": true,
                "model_spread": model,
                "ratio": model / true if true > 0 else float("nan"),
                "correlation": corr,
                "permutation_auc_drop": float(drop[factor]),
                "verdict": verdict,
            }
        )
    return (
        pd.DataFrame(rows).sort_values("true_spread", ascending=False, kind="stable").reset_index(drop=True)
    )
