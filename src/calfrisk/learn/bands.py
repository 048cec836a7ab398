"""Risk on the real-world scale, and the bands ``calfrisk predict`` reports, checked against outcomes.

A model trained on an enriched cohort (every hazard multiplied by E) predicts on that cohort's
scale; :func:`real_world_risk` brings a probability back to the real one. ``predict`` reports each
day's risk over the training cohort's average day as a band (:data:`BANDS`), and
:func:`band_outcomes` checks on held-out days how often each band was followed by a strain.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["BANDS", "band_of", "band_outcomes", "real_world_risk"]

#: Bands of ``vs_average`` (risk over the cohort's average day): below 1.5 "low", below 3 "elevated",
#: else "high". Checked against outcomes (:func:`band_outcomes`; ``calfrisk train`` reports it) on the
#: default real-rate cohort's 11,810 held-out athletes: 86 % of days are low and 0.077 % of them are
#: followed by a strain within 7 days (0.62x the average), 10 % elevated (0.25 %, 2.0x), 4 % high
#: (0.84 %, 6.9x).
BANDS: tuple[tuple[float, str], ...] = ((1.5, "low"), (3.0, "elevated"), (float("inf"), "high"))


def real_world_risk(p: np.ndarray | float, enrichment: float) -> np.ndarray | float:
    """A probability on the enriched training cohort's scale, on the real-world scale.

    The cohort's daily hazards h were E times the real ones (E = ``enrichment``); over the horizon
    ``p = 1 - prod(1 - E h)``, close to ``1 - prod(1 - h) ** E`` for small h, so the real risk is
    ``1 - (1 - p) ** (1 / E)``.
    """
    return 1.0 - (1.0 - p) ** (1.0 / enrichment)


def band_outcomes(
    labels: np.ndarray,
    probabilities: np.ndarray,
    positive_rate: float,
    enrichment: float = 1.0,
    sample_weight: np.ndarray | None = None,
    athlete_ids: np.ndarray | None = None,
    n_boot: int = 200,
    random_state: int = 0,
) -> pd.DataFrame:
    """How often each risk band was followed by a strain: the bands checked against outcomes.

    Parameters
    ----------
    labels : ndarray of {0, 1}
        Whether a strain began within the horizon after each day (held-out days).
    probabilities : ndarray
        The model's calibrated probability of each day, on the training cohort's scale.
    positive_rate : float
        The training days' event rate (the model directory's ``positive_rate``): the average day.
    enrichment : float, default=1.0
        The cohort's enrichment factor; bands are drawn on the real-world scale, as ``predict`` does.
    sample_weight : ndarray, optional
        A case-control sample's weights: days, shares and rates are those of the days it stands for.
    athlete_ids : ndarray, optional
        Each day's athlete: the observed rates then get 95 % intervals from ``n_boot`` athlete
        bootstrap resamples (a runner's days share their strains, so days are not independent).
    n_boot : int, default=200
    random_state : int, default=0

    Returns
    -------
    DataFrame
        One row per band of :data:`BANDS` in order: ``band``, ``days``, ``share`` of the days,
        ``predicted`` and ``observed`` event rate (cohort scale), and ``lift``, the observed rate
        over that of all the days. With ``athlete_ids`` also ``observed_low``, ``observed_high`` and
        ``agrees``: whether the predicted rate is inside the observed rate's interval.
    """
    labels = np.asarray(labels, dtype=float)
    ratio = real_world_risk(np.asarray(probabilities, dtype=float), enrichment) / real_world_risk(
        positive_rate, enrichment
    )
    w = np.ones(len(labels)) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    frame = pd.DataFrame(
        {"band": band_of(ratio), "w": w, "wy": w * labels, "wp": w * np.asarray(probabilities)}
    )
    sums = frame.groupby("band")[["w", "wy", "wp"]].sum()
    table = pd.DataFrame(
        {"days": sums["w"], "predicted": sums["wp"] / sums["w"], "observed": sums["wy"] / sums["w"]}
    )
    table = table.reindex([label for _, label in BANDS]).fillna({"days": 0}).reset_index(names="band")
    if sample_weight is None:
        table["days"] = table["days"].astype(int)
    table["share"] = table["days"] / max(w.sum(), 1)
    overall = np.sum(w * labels) / w.sum() if len(labels) else 0.0
    table["lift"] = table["observed"] / overall if overall > 0 else np.nan
    columns = ["band", "days", "share", "predicted", "observed", "lift"]
    if athlete_ids is not None:
        order = [label for _, label in BANDS]
        band = pd.Categorical(frame["band"], categories=order).codes
        low, high = _observed_intervals(labels, w, band, len(order), athlete_ids, n_boot, random_state)
        table["observed_low"], table["observed_high"] = low, high
        table["agrees"] = (table["predicted"] >= low) & (table["predicted"] <= high)
        columns += ["observed_low", "observed_high", "agrees"]
    return table[columns]


def _observed_intervals(
    labels: np.ndarray,
    w: np.ndarray,
    band: np.ndarray,
    n_bands: int,
    athlete_ids: np.ndarray,
    n_boot: int,
    random_state: int,
) -> tuple[np.ndarray, np.ndarray]:
    """2.5 and 97.5 percentiles of each band's event rate over athlete bootstrap resamples."""
    from calfrisk.learn.evaluate import athlete_resamples  # scikit-learn's metrics: not on predict's path

    codes, resamples = athlete_resamples(athlete_ids, n_boot, random_state)
    rates = np.full((n_boot, n_bands), np.nan)
    for b, counts in enumerate(resamples):
        weight = counts[codes] * w
        days = np.bincount(band, weights=weight, minlength=n_bands)
        events = np.bincount(band, weights=weight * labels, minlength=n_bands)
        with np.errstate(invalid="ignore", divide="ignore"):
            rates[b] = events / days
    low, high = np.full(n_bands, np.nan), np.full(n_bands, np.nan)
    seen = np.isfinite(rates).any(axis=0)  # a band no resample reaches has no interval
    if seen.any():
        low[seen], high[seen] = np.nanpercentile(rates[:, seen], [2.5, 97.5], axis=0)
    return low, high


def band_of(ratio: np.ndarray) -> np.ndarray:
    """The band of :data:`BANDS` each risk ratio (risk over the average day) falls in.

    Examples
    --------
    >>> band_of(np.array([0.5, 1.5, 2.9, 3.0])).tolist()
    ['low', 'elevated', 'elevated', 'high']
    """
    edges = np.array([edge for edge, _ in BANDS[:-1]])
    labels = np.array([label for _, label in BANDS])
    return labels[np.searchsorted(edges, ratio, side="right")]
