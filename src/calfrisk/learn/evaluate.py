"""Honest evaluation: athlete-disjoint splits, discrimination and calibration metrics, athlete bootstrap."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score
from sklearn.model_selection import GroupKFold

__all__ = [
    "METRICS",
    "athlete_bootstrap",
    "athlete_folds",
    "expected_calibration_error",
    "reliability_table",
    "score",
]


def athlete_folds(athlete_ids: np.ndarray, n_splits: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Grouped K-fold splits by athlete, as a list (usable as ``cv=`` anywhere in scikit-learn)."""
    return list(GroupKFold(n_splits=n_splits).split(np.zeros(len(athlete_ids)), groups=athlete_ids))


def _quantile_bins(p: np.ndarray, n_bins: int, sample_weight: np.ndarray | None = None) -> np.ndarray:
    """Bin of each prediction, bins bounded by the (weighted) quantiles of ``p``: equal counts, or
    equal weights, but for ties."""
    levels = np.linspace(0, 1, n_bins + 1)[1:-1]
    if sample_weight is None:
        edges = np.quantile(p, levels)
    else:
        edges = np.quantile(p, levels, weights=sample_weight, method="inverted_cdf")
    return np.searchsorted(edges, p, side="right")


def _weights(y: np.ndarray, sample_weight: np.ndarray | None) -> np.ndarray:
    return np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, dtype=float)


def expected_calibration_error(
    y: np.ndarray, p: np.ndarray, n_bins: int = 15, sample_weight: np.ndarray | None = None
) -> float:
    """Expected calibration error over equal-count bins of the predicted probability.

    The row-weighted mean of ``|mean(y) - mean(p)|`` over ``n_bins`` bins bounded by quantiles of
    ``p`` (equal-width bins would put nearly every row of a rare outcome in the first bin). With
    ``sample_weight`` (a case-control sample's inverse inclusion probabilities), rows count by
    their weight and the bins hold equal weight: the estimate for the days the sample stands for.
    """
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    w = _weights(y, sample_weight)
    gap = np.bincount(_quantile_bins(p, n_bins, sample_weight), weights=w * (y - p), minlength=n_bins)
    return float(np.abs(gap).sum() / w.sum())


def reliability_table(
    y: np.ndarray, p: np.ndarray, n_bins: int = 15, sample_weight: np.ndarray | None = None
) -> pd.DataFrame:
    """Predicted against observed rates in ``n_bins`` equal-count (or equal-weight) bins of the prediction.

    Returns
    -------
    DataFrame
        ``bin``, ``rows`` (days: the weights' sum with ``sample_weight``), ``predicted`` (mean
        probability), ``observed`` (event rate), ``low``, ``high`` (range of predictions in the bin).
    """
    y, p = np.asarray(y, dtype=float), np.asarray(p, dtype=float)
    if sample_weight is None:
        order = np.argsort(p, kind="stable")
        bins = np.array_split(order, n_bins)
        rows = [
            (k, len(b), p[b].mean(), y[b].mean(), p[b].min(), p[b].max())
            for k, b in enumerate(bins)
            if len(b)
        ]
    else:
        w = np.asarray(sample_weight, dtype=float)
        code = _quantile_bins(p, n_bins, w)
        rows = [
            (
                k,
                w[b].sum(),
                np.average(p[b], weights=w[b]),
                np.average(y[b], weights=w[b]),
                p[b].min(),
                p[b].max(),
            )
            for k in range(n_bins)
            if (b := code == k).any()
        ]
    return pd.DataFrame(rows, columns=["bin", "rows", "predicted", "observed", "low", "high"])


def _log_loss(y: np.ndarray, p: np.ndarray, sample_weight: np.ndarray | None = None) -> float:
    return log_loss(y, np.clip(p, 1e-12, 1 - 1e-12), labels=[0, 1], sample_weight=sample_weight)


#: Metric name to function of (y, p, sample_weight=None).
METRICS: dict[str, Callable[..., float]] = {
    "roc_auc": roc_auc_score,
    "average_precision": average_precision_score,
    "brier": brier_score_loss,
    "log_loss": _log_loss,
    "ece": expected_calibration_error,
}


def score(y: np.ndarray, p: np.ndarray, sample_weight: np.ndarray | None = None) -> dict[str, float]:
    """Every metric of :data:`METRICS` for labels ``y`` and probabilities ``p``.

    With ``sample_weight`` (a case-control sample's inverse inclusion probabilities) each metric is
    the weighted one, which estimates the metric over every day the sample stands for.
    """
    y, p = np.asarray(y), np.asarray(p, dtype=float)
    return {name: float(fn(y, p, sample_weight=sample_weight)) for name, fn in METRICS.items()}


class _Ranked:
    """One model's predictions, pre-sorted, for O(n) weighted metrics on bootstrap resamples."""

    def __init__(self, y: np.ndarray, p: np.ndarray, n_bins: int, sample_weight: np.ndarray | None = None):
        order = np.argsort(-p, kind="stable")  # descending score
        self.order, self.y, self.p = order, y.astype(float), p.astype(float)
        # Tied scores form one group: a threshold cannot separate them.
        _, first = np.unique(-p[order], return_index=True)
        self.group = np.zeros(len(p), dtype=np.int64)
        self.group[first[1:]] = 1
        self.group = np.cumsum(self.group)
        self.n_groups = int(self.group[-1]) + 1 if len(p) else 0
        self.bin = _quantile_bins(p, n_bins, sample_weight)
        self.n_bins = n_bins

    def metrics(self, w: np.ndarray) -> dict[str, float]:
        y, p = self.y, self.p
        wy, ws = w * y, w[self.order]
        pos = np.bincount(self.group, weights=ws * y[self.order], minlength=self.n_groups)
        neg = np.bincount(self.group, weights=ws * (1 - y[self.order]), minlength=self.n_groups)
        total_pos, total_neg = pos.sum(), neg.sum()
        # Groups run from the highest score down: negatives below a group are those after it.
        neg_below = total_neg - np.cumsum(neg)
        auc = float(np.sum(pos * (neg_below + 0.5 * neg)) / (total_pos * total_neg))
        tp, fp = np.cumsum(pos), np.cumsum(neg)
        precision = tp / np.maximum(tp + fp, 1e-300)
        recall = tp / total_pos
        ap = float(np.sum(np.diff(recall, prepend=0.0) * precision))
        weight = w.sum()
        brier = float(np.sum(w * (p - y) ** 2) / weight)
        gap = np.bincount(self.bin, weights=wy - w * p, minlength=self.n_bins)
        ece = float(np.abs(gap).sum() / weight)
        return {"roc_auc": auc, "average_precision": ap, "brier": brier, "ece": ece}


def athlete_bootstrap(
    y: np.ndarray,
    predictions: dict[str, np.ndarray],
    athlete_ids: np.ndarray,
    *,
    n_boot: int = 200,
    random_state: int = 0,
    relative_to: str | None = None,
    n_bins: int = 15,
    sample_weight: np.ndarray | None = None,
) -> pd.DataFrame:
    """Bootstrap confidence intervals, resampling athletes (not rows), for several models at once.

    Each resample draws athletes with replacement; a row counts as many times as its athlete was
    drawn (a weight), so every metric is a weighted metric over the same rows, computed in one pass
    over pre-sorted predictions. All models are scored on the same resamples, so their intervals and
    the ratio to a reference (``relative_to``, e.g. the oracle) are paired. ROC AUC and average
    precision equal scikit-learn's weighted ones; ECE uses the equal-count bins of the full data.
    ``sample_weight`` (a case-control sample's) multiplies each resample's weights: the intervals
    are those of the weighted metrics.

    Returns
    -------
    DataFrame
        One row per (model, metric) for ``roc_auc``, ``average_precision``, ``brier`` and ``ece``:
        ``estimate`` (on all rows), ``low`` and ``high`` (2.5 and 97.5 percentiles). With
        ``relative_to``, a ``roc_auc_fraction`` row per model too.
    """
    y = np.asarray(y)
    codes, uniques = pd.factorize(np.asarray(athlete_ids))
    base = _weights(y, sample_weight)
    ranked = {
        name: _Ranked(y, np.asarray(p, dtype=float), n_bins, sample_weight) for name, p in predictions.items()
    }
    full = {name: r.metrics(base) for name, r in ranked.items()}
    rng = np.random.default_rng(random_state)
    samples: dict[tuple[str, str], list[float]] = {}
    for _ in range(n_boot):
        counts = np.bincount(rng.integers(0, len(uniques), len(uniques)), minlength=len(uniques))
        w = counts[codes] * base
        if np.sum(w * y) == 0 or np.sum(w * (1 - y)) == 0:
            continue  # no event (or no non-event) drawn: AUC undefined
        drawn = {name: r.metrics(w) for name, r in ranked.items()}
        for name, values in drawn.items():
            for metric, value in values.items():
                samples.setdefault((name, metric), []).append(value)
            if relative_to:
                ratio = values["roc_auc"] / drawn[relative_to]["roc_auc"]
                samples.setdefault((name, "roc_auc_fraction"), []).append(ratio)
    out = []
    for (name, metric), values in samples.items():
        if metric == "roc_auc_fraction":
            estimate = full[name]["roc_auc"] / full[relative_to]["roc_auc"]
        else:
            estimate = full[name][metric]
        low, high = np.percentile(values, [2.5, 97.5])
        out.append((name, metric, float(estimate), float(low), float(high)))
    return pd.DataFrame(out, columns=["model", "metric", "estimate", "low", "high"])
