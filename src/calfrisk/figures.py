"""Figures: ROC, precision-recall and calibration curves of models; a runner's risk timeline."""

from __future__ import annotations

import numpy as np
import pandas as pd

from calfrisk.learn.evaluate import reliability_table

__all__ = ["calibration_figure", "pr_figure", "risk_timeline_figure", "roc_figure"]


def _axes(title: str, xlabel: str, ylabel: str):
    # A bare Figure (no pyplot): no GUI backend needed, nothing left open, and a notebook shows it.
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 5), layout="constrained")
    ax = fig.subplots()
    ax.set(title=title, xlabel=xlabel, ylabel=ylabel)
    return fig, ax


def roc_figure(y: np.ndarray, predictions: dict[str, np.ndarray], sample_weight: np.ndarray | None = None):
    """ROC curves, one per model, with each curve's AUC in the legend (weighted by a case-control
    sample's ``sample_weight``, when given)."""
    from sklearn.metrics import roc_auc_score, roc_curve

    fig, ax = _axes("ROC on held-out athletes", "false positive rate", "true positive rate")
    for name, p in predictions.items():
        fpr, tpr, _ = roc_curve(y, p, sample_weight=sample_weight)
        ax.plot(fpr, tpr, label=f"{name} (AUC {roc_auc_score(y, p, sample_weight=sample_weight):.3f})")
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1)
    ax.legend(loc="lower right", fontsize="small")
    return fig


def pr_figure(y: np.ndarray, predictions: dict[str, np.ndarray], sample_weight: np.ndarray | None = None):
    """Precision-recall curves, one per model, with average precision and the base rate."""
    from sklearn.metrics import average_precision_score, precision_recall_curve

    fig, ax = _axes("Precision-recall on held-out athletes", "recall", "precision")
    for name, p in predictions.items():
        precision, recall, _ = precision_recall_curve(y, p, sample_weight=sample_weight)
        ap = average_precision_score(y, p, sample_weight=sample_weight)
        ax.plot(recall, precision, label=f"{name} (AP {ap:.3f})")
    base = np.average(y, weights=sample_weight)
    ax.axhline(base, color="grey", linestyle=":", linewidth=1, label=f"base rate {base:.3f}")
    ax.legend(loc="upper right", fontsize="small")
    return fig


def calibration_figure(
    y: np.ndarray,
    predictions: dict[str, np.ndarray],
    n_bins: int = 15,
    sample_weight: np.ndarray | None = None,
):
    """Observed against predicted event rate in equal-count bins; the diagonal is perfect calibration."""
    fig, ax = _axes("Calibration on held-out athletes", "mean predicted probability", "observed event rate")
    top = 0.0
    for name, p in predictions.items():
        table: pd.DataFrame = reliability_table(y, p, n_bins, sample_weight=sample_weight)
        ax.plot(table["predicted"], table["observed"], marker="o", markersize=3, label=name)
        top = max(top, table["predicted"].max(), table["observed"].max())
    ax.plot([0, top], [0, top], color="grey", linestyle=":", linewidth=1)
    ax.legend(loc="upper left", fontsize="small")
    return fig


def risk_timeline_figure(
    timeline: pd.DataFrame, *, average: float | None = None, horizon_days: int = 7, relative: bool = False
):
    """A runner's log over time: daily km, the acute:chronic ratio and the risk, strains marked.

    Parameters
    ----------
    timeline : DataFrame
        ``date``, ``km``, ``acwr``, ``risk`` (NaN where not scored) and ``strain`` (bool), as in
        :attr:`calfrisk.predict.scoring.Forecast.timeline`.
    average : float, optional
        The average training day's risk, drawn as the band edges (1.5x and 3x it).
    horizon_days : int, default=7
        The risk's horizon, for the axis label.
    relative : bool, default=False
        Draw the risk against the average day (needs ``average``), not as a probability: for a
        model trained on an enriched cohort (:attr:`calfrisk.predict.scoring.Forecast.relative`).
    """
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9, 7), layout="constrained")
    load, ratio, risk = fig.subplots(3, 1, sharex=True)
    dates = pd.to_datetime(timeline["date"])
    load.bar(dates, timeline["km"], width=1.0, color="tab:blue")
    load.set(ylabel="distance (km per day)", title="Daily load, acute:chronic ratio and calf-strain risk")
    ratio.plot(dates, timeline["acwr"], color="tab:purple")
    ratio.axhspan(0.8, 1.3, color="tab:green", alpha=0.15, label="0.8-1.3 (Gabbett 2016)")
    ratio.axhline(1.5, color="tab:red", linestyle=":", linewidth=1, label="1.5")
    ratio.set(ylabel="acute:chronic EWMA ratio")
    ratio.legend(loc="upper left", fontsize="small")
    if relative and average is None:
        raise ValueError("relative: the average day's risk is needed to draw the risk against it")
    scale, unit = (1.0 / average, "x the average day") if relative else (100.0, "%")
    risk.plot(dates, timeline["risk"] * scale, color="tab:red")
    if average is not None:
        for multiple in (1.5, 3.0):
            risk.axhline(average * multiple * scale, color="grey", linestyle=":", linewidth=1)
    risk.set(ylabel=f"risk within {horizon_days} days ({unit})", xlabel="date")
    strains = dates[timeline["strain"].to_numpy(dtype=bool)]
    for axis in (load, ratio, risk):
        for day in strains:
            axis.axvline(day, color="black", linewidth=1, linestyle="--")
    if len(strains):
        risk.plot([], [], color="black", linestyle="--", label="calf strain")
        risk.legend(loc="upper left", fontsize="small")
    return fig
