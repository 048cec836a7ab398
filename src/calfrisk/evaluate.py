"""Honest evaluation: athlete-disjoint splits, discrimination and calibration metrics, athlete bootstrap."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score
from sklearn.model_selection import GroupKFold, GroupShuffleSplit

__all__ = [
    "METRICS",
    "athlete_bootstrap",
    "athlete_folds",
    "expected_calibration_error",
    "held_out_athletes",
    "reliability_table",
    "score",
]


def held_out_athletes(
    athlete_ids: np.ndarray, test_fraction: float, random_state: int
) -> tuple[np.ndarray, np.ndarray]:
    """Split rows into train and test with no athlete in both.

    Parameters
    ----------
    athlete_ids : ndarray
        The athlete of each row.
    test_fraction : float
        Share of athletes held out for testing.
    random_state : int
        Seed of the split.

    Returns
    -------
    train, test : ndarray of int
        Row positions.
    """
    split = GroupShuffleSplit(n_splits=1, test_size=test_fraction, random_state=random_state)
    train, test = next(split.split(np.zeros(len(athlete_ids)), groups=athlete_ids))
    return train, test


def athlete_folds(athlete_ids: np.ndarray, n_splits: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Grouped K-fold splits by athlete, as a list (usable as ``cv=`` anywhere in scikit-learn)."""
    return list(GroupKFold(n_splits=n_splits).split(np.zeros(len(athlete_ids)), groups=athlete_ids))


def expected_calibration_error(y: np.ndarray, p: np.ndarray, n_bins: int = 15) -> float:
    """Expected calibration error over equal-count bins of the predicted probability.

    The weighted mean of ``|mean(y) - mean(p)|`` over ``n_bins`` bins holding equal numbers of rows
    (equal-width bins would put nearly every row of a rare outcome in the first bin).
    """
    table = reliability_table(y, p, n_bins)
    return float(np.sum(table["rows"] * (table["observed"] - table["predicted"]).abs()) / len(y))


def reliability_table(y: np.ndarray, p: np.ndarray, n_bins: int = 15) -> pd.DataFrame:
    """Predicted against observed rates in ``n_bins`` equal-count bins of the prediction.

    Returns
    -------
    DataFrame
        ``bin``, ``rows``, ``predicted`` (mean probability), ``observed`` (event rate),
        ``low``, ``high`` (range of predictions in the bin).
    """
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    order = np.argsort(p, kind="stable")
    bins = np.array_split(order, n_bins)
    rows = [
        (k, len(b), p[b].mean(), y[b].mean(), p[b].min(), p[b].max()) for k, b in enumerate(bins) if len(b)
    ]
    return pd.DataFrame(rows, columns=["bin", "rows", "predicted", "observed", "low", "high"])


#: Metric name to function of (y, p).
METRICS: dict[str, Callable[[np.ndarray, np.ndarray], float]] = {
    "roc_auc": roc_auc_score,
    "average_precision": average_precision_score,
    "brier": brier_score_loss,
    "log_loss": lambda y, p: log_loss(y, np.clip(p, 1e-12, 1 - 1e-12), labels=[0, 1]),
    "ece": expected_calibration_error,
}


def score(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    """Every metric of :data:`METRICS` for labels ``y`` and probabilities ``p``."""
    y, p = np.asarray(y), np.asarray(p, dtype=float)
    return {name: float(fn(y, p)) for name, fn in METRICS.items()}


def _athlete_resamples(athlete_ids: np.ndarray, n_boot: int, random_state: int) -> Iterator[np.ndarray]:
    rng = np.random.default_rng(random_state)
    codes, uniques = pd.factorize(athlete_ids)
    rows_of = np.split(np.argsort(codes, kind="stable"), np.cumsum(np.bincount(codes))[:-1])
    for _ in range(n_boot):
        chosen = rng.integers(0, len(uniques), len(uniques))
        yield np.concatenate([rows_of[c] for c in chosen])


def athlete_bootstrap(
    y: np.ndarray,
    predictions: dict[str, np.ndarray],
    athlete_ids: np.ndarray,
    *,
    metrics: tuple[str, ...] = ("roc_auc", "average_precision", "brier", "ece"),
    n_boot: int = 200,
    random_state: int = 0,
    relative_to: str | None = None,
) -> pd.DataFrame:
    """Bootstrap confidence intervals, resampling athletes (not rows), for several models at once.

    Every model is scored on the same resamples, so their intervals and the ratio to a reference
    (``relative_to``, e.g. the oracle: ``roc_auc / roc_auc of the reference``) are paired.

    Returns
    -------
    DataFrame
        One row per (model, metric): ``estimate`` on all rows, ``low`` and ``high`` (2.5 and 97.5
        percentiles). With ``relative_to``, rows for the metric ``roc_auc_fraction`` too.
    """
    y = np.asarray(y)
    samples: dict[tuple[str, str], list[float]] = {}
    for rows in _athlete_resamples(np.asarray(athlete_ids), n_boot, random_state):
        if y[rows].min() == y[rows].max():
            continue  # no event (or no non-event) drawn: AUC undefined
        ref = roc_auc_score(y[rows], predictions[relative_to][rows]) if relative_to else None
        for model, p in predictions.items():
            for metric in metrics:
                value = METRICS[metric](y[rows], p[rows])
                samples.setdefault((model, metric), []).append(value)
                if metric == "roc_auc" and ref is not None:
                    samples.setdefault((model, "roc_auc_fraction"), []).append(value / ref)
    out = []
    for (model, metric), values in samples.items():
        if metric == "roc_auc_fraction":
            estimate = roc_auc_score(y, predictions[model]) / roc_auc_score(y, predictions[relative_to])
        else:
            estimate = METRICS[metric](y, predictions[model])
        low, high = np.percentile(values, [2.5, 97.5])
        out.append((model, metric, float(estimate), float(low), float(high)))
    return pd.DataFrame(out, columns=["model", "metric", "estimate", "low", "high"])
