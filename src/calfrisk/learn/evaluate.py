"""Honest evaluation: athlete-disjoint splits, discrimination and calibration metrics, athlete bootstrap.

Beside ROC AUC, average precision, Brier score, log loss and ECE, every model gets figures that mean
what a reader takes them to mean (:func:`athlete_bootstrap`, paired with a reference such as the
oracle):

- the **chance-corrected** share of the reference's ROC AUC, ``(AUC - 0.5) / (AUC_ref - 0.5)``: 0 for
  a coin flip, 1 for the reference (the plain ratio gives a coin flip 0.62 against an oracle of 0.8);
- the **log-loss skill**, ``(LL_null - LL) / (LL_null - LL_ref)``, the null model knowing only the
  event rate;
- the **calibration intercept and slope** (:func:`calibration_line`): the intercept of
  ``logit P(y) = a + logit(p)`` (calibration in the large) and the slope of
  ``logit P(y) = a + b logit(p)``; 0 and 1 for a calibrated model, a slope below 1 for risks too
  extreme;
- the observed and predicted event rates among the **top decile** of days by risk, and the **net
  benefit** of flagging the top 5 % of days (Vickers and Elkin 2006: true positives minus false
  positives weighted by the threshold's odds, per day).

ECE stays as a diagnostic: with a few percent of events even a perfect predictor scores about
0.001-0.002 on a test set of this size, so differences in ECE between good models are noise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss, log_loss, roc_auc_score
from sklearn.model_selection import GroupKFold

__all__ = [
    "METRICS",
    "athlete_bootstrap",
    "athlete_folds",
    "athlete_resamples",
    "calibration_line",
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


def _logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, dtype=float), 1e-12, 1 - 1e-12)
    return np.log(p) - np.log1p(-p)


def _recalibrate(y: np.ndarray, w: np.ndarray, x: np.ndarray, slope: bool) -> tuple[float, float]:
    """Weighted logistic fit of ``y`` on ``a + b * x`` by Newton's method (``b`` fixed at 1 unless ``slope``).

    Starts from a calibrated model's line (0, 1); a step that lowers the likelihood is halved, so
    it cannot diverge; NaN where no finite maximum exists (outcomes separated by the prediction).
    The tests check it against statsmodels' GLM.
    """
    from scipy.special import expit

    def loglik(a: float, b: float) -> float:
        eta = a + b * x
        return float(w @ (y * eta - np.logaddexp(0.0, eta)))

    a, b = 0.0, 1.0
    current = loglik(a, b)
    for _ in range(100):
        mu = expit(a + b * x)
        r, h = w * (y - mu), w * mu * (1.0 - mu)
        if slope:
            g = np.array([r.sum(), r @ x])
            hxx = h @ x
            H = np.array([[h.sum(), hxx], [hxx, h @ (x * x)]])
            if not np.isfinite(H).all() or np.linalg.det(H) <= 1e-12 * max(H[0, 0] * H[1, 1], 1e-300):
                break
            da, db = np.linalg.solve(H, g)
        else:
            if h.sum() <= 1e-300:
                break
            da, db = r.sum() / h.sum(), 0.0
        for _ in range(40):
            trial = loglik(a + da, b + db)
            if trial >= current - 1e-12 * abs(current):
                break
            da, db = da / 2, db / 2
        a, b, current = a + da, b + db, trial
        if abs(da) < 1e-10 and abs(db) < 1e-10:
            return float(a), float(b)
    return float("nan"), float("nan") if slope else 1.0


def calibration_line(
    y: np.ndarray, p: np.ndarray, sample_weight: np.ndarray | None = None
) -> tuple[float, float]:
    """Calibration intercept and slope of predicted probabilities (logistic recalibration).

    The intercept is ``a`` in ``logit P(y=1) = a + logit(p)`` (calibration in the large: negative when
    the model predicts too much risk on average); the slope is ``b`` in
    ``logit P(y=1) = a' + b logit(p)`` (below 1 when the risks are too extreme, above 1 when too
    timid). Van Calster et al. 2019, "Calibration: the Achilles heel of predictive analytics".

    Parameters
    ----------
    y : array of shape (n,)
        Outcomes, 0 or 1.
    p : array of shape (n,)
        Predicted probabilities.
    sample_weight : array of shape (n,), optional
        Row weights (a case-control sample's inverse inclusion probabilities).

    Returns
    -------
    intercept, slope : float
        NaN for a slope the predictions cannot identify (all equal).

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> p = rng.uniform(0.01, 0.3, 200_000)
    >>> y = rng.random(200_000) < p
    >>> [round(v, 1) for v in calibration_line(y, p)]
    [0.0, 1.0]
    """
    y = np.asarray(y, dtype=float)
    intercept, _, slope = _calibration_fits(y, _logit(p), _weights(y, sample_weight))
    return intercept, slope


def _calibration_fits(y: np.ndarray, x: np.ndarray, w: np.ndarray) -> tuple[float, float, float]:
    """The offset fit's intercept, and the line fit's intercept and slope (NaN without a slope)."""
    intercept, _ = _recalibrate(y, w, x, slope=False)
    if np.ptp(x) == 0:
        return intercept, float("nan"), float("nan")
    a, slope = _recalibrate(y, w, x, slope=True)
    return intercept, a, slope


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

    def __init__(
        self,
        y: np.ndarray,
        p: np.ndarray,
        n_bins: int,
        sample_weight: np.ndarray | None = None,
        groups: np.ndarray | None = None,
    ):
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
        clipped = np.clip(self.p, 1e-12, 1 - 1e-12)
        self.loss = -(self.y * np.log(clipped) + (1 - self.y) * np.log1p(-clipped))
        self.logit = _logit(self.p)
        # The top decile and the top 5 % are the full data's: fixed days, like the ECE bins.
        weights = _weights(self.y, sample_weight)
        cut10, cut5 = np.quantile(self.p, [0.9, 0.95], weights=weights, method="inverted_cdf")
        self.top10, self.top5, self.threshold5 = self.p >= cut10, self.p >= cut5, float(cut5)
        self.weights, self.groups = weights, groups
        # Per-group sums of the recalibration fits' gradients and Hessians at the full data's fit.
        self.step_sums: np.ndarray | None = None

    def metrics(self, w: np.ndarray, counts: np.ndarray | None = None) -> dict[str, float]:
        """Every figure with row weights ``w``; ``counts`` (how often each group was drawn, with
        ``w = counts[groups] * weights``) makes the calibration fits one Newton step each."""
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
        rate = total_pos / weight
        null = float(-(rate * np.log(rate) + (1 - rate) * np.log1p(-rate)))
        intercept, slope = self._line(w) if counts is None or self.step_sums is None else self._step(counts)
        top, top_w = self.top10, w[self.top10].sum()
        odds5 = self.threshold5 / (1 - self.threshold5)
        flagged = self.top5
        return {
            "roc_auc": auc,
            "average_precision": ap,
            "brier": brier,
            "log_loss": float(np.sum(w * self.loss) / weight),
            "null_log_loss": null,
            "ece": ece,
            "calibration_intercept": intercept,
            "calibration_slope": slope,
            "top_decile_observed": float(wy[top].sum() / top_w) if top_w > 0 else float("nan"),
            "top_decile_predicted": float((w * p)[top].sum() / top_w) if top_w > 0 else float("nan"),
            "net_benefit_top5": float((wy[flagged].sum() - (w - wy)[flagged].sum() * odds5) / weight),
        }

    def _line(self, w: np.ndarray) -> tuple[float, float]:
        """The calibration fits to convergence; the first call also prepares :meth:`_step`."""
        intercept, a, slope = _calibration_fits(self.y, self.logit, w)
        if self.groups is not None and self.step_sums is None and np.isfinite([intercept, a, slope]).all():
            from scipy.special import expit

            x, base, y = self.logit, self.weights, self.y
            terms = []
            for mu, fixed in ((expit(intercept + x), True), (expit(a + slope * x), False)):
                r, h = base * (y - mu), base * mu * (1.0 - mu)
                terms += [r, h] if fixed else [r, r * x, h, h * x, h * x * x]
            sums = [np.bincount(self.groups, weights=t) for t in terms]
            self.step_sums = np.vstack(sums)
            self.fit = (intercept, a, slope)
        return intercept, slope

    def _step(self, counts: np.ndarray) -> tuple[float, float]:
        """One Newton step of each calibration fit from the full data's, for a resample of groups.

        The one-step bootstrap (Andrews 2002): the step's gradient and Hessian at the full data's
        fit are sums over the drawn groups of sums precomputed per group, so a resample costs
        O(groups), not O(rows); its error, O(1/n), is far inside the interval's O(1/sqrt(n)).
        """
        r, h, r0, r1, h00, h01, h11 = self.step_sums @ counts
        intercept, _, slope = self.fit
        intercept = intercept + r / h if h > 0 else float("nan")
        det = h00 * h11 - h01 * h01
        if det <= 1e-12 * max(h00 * h11, 1e-300):
            return intercept, float("nan")
        slope = slope + (h00 * r1 - h01 * r0) / det
        return float(intercept), float(slope)


def _differences(drawn: dict[str, dict[str, float]], against: str) -> dict[str, dict[str, float]]:
    """Each model's ROC AUC minus ``against``'s on the same rows, beside its other figures."""
    return {
        name: values
        if name == against
        else {**values, f"roc_auc_minus_{against}": values["roc_auc"] - drawn[against]["roc_auc"]}
        for name, values in drawn.items()
    }


def _paired(model: dict[str, float], reference: dict[str, float]) -> dict[str, float]:
    """A model's figures relative to a reference's on the same rows (the same resample)."""
    auc, ref_auc = model["roc_auc"], reference["roc_auc"]
    null = model["null_log_loss"]
    ll_gain = null - reference["log_loss"]
    return {
        "roc_auc_fraction": auc / ref_auc,
        "roc_auc_skill": (auc - 0.5) / (ref_auc - 0.5) if ref_auc != 0.5 else float("nan"),
        "log_loss_skill": (null - model["log_loss"]) / ll_gain if ll_gain != 0 else float("nan"),
        "roc_auc_minus_reference": auc - ref_auc,
    }


def athlete_resamples(
    athlete_ids: np.ndarray, n_boot: int, random_state: int = 0
) -> tuple[np.ndarray, Iterator[np.ndarray]]:
    """Athlete bootstrap draws: each row's athlete code, and per resample how often each athlete is drawn.

    A row's weight in a resample is ``counts[codes]``: its athlete's draws. The same seed gives the
    same resamples to every caller (the metrics' intervals and the bands').
    """
    codes, uniques = pd.factorize(np.asarray(athlete_ids))
    rng = np.random.default_rng(random_state)
    n = len(uniques)
    return codes, (np.bincount(rng.integers(0, n, n), minlength=n) for _ in range(n_boot))


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
    against: str | None = None,
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
        One row per (model, metric) for ``roc_auc``, ``average_precision``, ``brier``,
        ``log_loss``, ``null_log_loss``, ``ece``, ``calibration_intercept``, ``calibration_slope``,
        ``top_decile_observed``, ``top_decile_predicted`` and ``net_benefit_top5``: ``estimate``
        (on all rows), ``low`` and ``high`` (2.5 and 97.5 percentiles). With ``relative_to``, per
        model also ``roc_auc_fraction`` (AUC / AUC_ref), ``roc_auc_skill`` (chance-corrected),
        ``log_loss_skill`` and ``roc_auc_minus_reference``, each paired resample by resample. With
        ``against`` (a model's name), per other model ``roc_auc_minus_<against>``: its ROC AUC
        minus that model's, paired.
    """
    y = np.asarray(y)
    codes, resamples = athlete_resamples(athlete_ids, n_boot, random_state)
    base = _weights(y, sample_weight)
    ranked = {
        name: _Ranked(y, np.asarray(p, dtype=float), n_bins, sample_weight, groups=codes)
        for name, p in predictions.items()
    }
    full = {name: r.metrics(base) for name, r in ranked.items()}
    samples: dict[tuple[str, str], list[float]] = {}
    for counts in resamples:
        w = counts[codes] * base
        if np.sum(w * y) == 0 or np.sum(w * (1 - y)) == 0:
            continue  # no event (or no non-event) drawn: AUC undefined
        drawn = {name: r.metrics(w, counts) for name, r in ranked.items()}
        if relative_to:
            drawn = {name: {**v, **_paired(v, drawn[relative_to])} for name, v in drawn.items()}
        if against:
            drawn = _differences(drawn, against)
        for name, values in drawn.items():
            for metric, value in values.items():
                samples.setdefault((name, metric), []).append(value)
    if relative_to:
        full = {name: {**v, **_paired(v, full[relative_to])} for name, v in full.items()}
    if against:
        full = _differences(full, against)
    out = []
    for (name, metric), values in samples.items():
        finite = np.asarray(values)[np.isfinite(values)]
        low, high = np.percentile(finite, [2.5, 97.5]) if len(finite) else (np.nan, np.nan)
        out.append((name, metric, float(full[name][metric]), float(low), float(high)))
    return pd.DataFrame(out, columns=["model", "metric", "estimate", "low", "high"])
