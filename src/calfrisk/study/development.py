"""Developing a model on a study's cohort: the ROC AUC to expect at each size, beside Riley's minimum.

:func:`model_auc_replicate` simulates a cohort of a given size, trains a model on it and scores it
on its own held-out athletes (athlete-disjoint: the train config's split, or athlete-grouped k-fold
for cohorts below ``evaluation.folds_below``), beside the oracle on the same days. Over replicates
this gives the ROC AUC a study of that size should expect, and its spread.

:func:`riley_comparison` asks the question the other way round: the minimum sample size for
developing a prediction model by Riley et al.'s criteria (:mod:`calfrisk.study.sampsize`) for the
same outcome rate and C-statistic, converted from days to runners. The two answer different
questions: Riley's criteria bound the overfitting of a regression with a given number of parameters
on independent observations; days of one runner are not independent (a runner contributes hundreds
of correlated days and at most a few strains), and a booster's effective parameters are not its
features' count.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from calfrisk.config import CohortConfig, TrainConfig
from calfrisk.learn.train import train_models
from calfrisk.simulate import simulate_cohort
from calfrisk.study.sampsize import cstatistic_to_r2cs_limit, riley_sample_size
from calfrisk.tables import open_cohort

__all__ = ["model_auc_replicate", "riley_comparison"]


def model_auc_replicate(world: CohortConfig, cfg: TrainConfig, model: str, replicate: int) -> pd.DataFrame:
    """Train ``model`` on a simulated cohort of ``world``'s size and score it on its held-out athletes.

    Returns
    -------
    DataFrame
        One row: ``analysis`` ("model_auc"), ``replicate``, ``model``, ``n_runners``, ``n_days``,
        ``roc_auc`` (with ``_low``/``_high``), ``oracle_roc_auc``, ``roc_auc_skill_vs_oracle``,
        ``strains``, ``positive_rate`` (the share of eligible days with a strain in the horizon),
        ``eligible_days`` (per runner) and ``parameters`` (the model's features).
    """
    with tempfile.TemporaryDirectory(prefix="calfrisk-study-") as tmp:
        folder = Path(tmp) / "cohort"
        summary = simulate_cohort(world, folder, n_jobs=1)
        result = train_models(open_cohort(folder), cfg, cohort=world, models=[model], n_jobs=1)
    metrics = result.metrics
    entry = metrics["models"][model]
    low, high = entry.get("ci", {}).get("roc_auc", (np.nan, np.nan))
    sampling = metrics["sampling"]
    eligible = sum(side["eligible_days"] for side in sampling.values())
    row = {
        "analysis": "model_auc",
        "replicate": replicate,
        "model": model,
        "n_runners": world.cohort.n_athletes,
        "n_days": world.cohort.n_days,
        "roc_auc": entry["roc_auc"],
        "roc_auc_low": low,
        "roc_auc_high": high,
        "oracle_roc_auc": metrics["oracle"]["roc_auc"],
        "roc_auc_skill_vs_oracle": entry.get("roc_auc_skill_vs_oracle", np.nan),
        "strains": summary.strains,
        "positive_rate": metrics["positive_rate"],
        "eligible_days": eligible / world.cohort.n_athletes,
        "parameters": result.test_features.shape[1],
    }
    return pd.DataFrame([row])


def riley_comparison(model_auc: pd.DataFrame, parameters: int | None = None) -> dict[str, object]:
    """Riley et al.'s minimum sample size for the outcome rate and C-statistic the largest simulated
    cohorts reached, in days and in runners.

    Parameters
    ----------
    model_auc : DataFrame
        Rows of :func:`model_auc_replicate`.
    parameters : int, optional
        Candidate predictor parameters; default the model's features.

    Returns
    -------
    dict
        Riley's figures (:class:`~calfrisk.study.sampsize.SampleSize`), the inputs (``cstatistic``,
        ``prevalence``, ``parameters``), and ``runners``: the days converted at the simulated
        cohorts' eligible days per runner.
    """
    largest = model_auc[model_auc["n_runners"] == model_auc["n_runners"].max()]
    cstatistic = float(largest["roc_auc"].mean())
    prevalence = float(largest["positive_rate"].mean())
    n_parameters = int(parameters if parameters is not None else largest["parameters"].iloc[0])
    if not 0.5 < cstatistic < 1.0:
        return {"cstatistic": cstatistic, "note": "the models did not beat chance: no sample size follows"}
    # The conversion's limit, not pmsampsize's simulation: its error is several per cent at outcome
    # rates this low (calfrisk.study.sampsize).
    r2 = cstatistic_to_r2cs_limit(cstatistic, prevalence)
    size = riley_sample_size(prevalence=prevalence, parameters=n_parameters, rsquared=r2)
    per_runner = float(largest["eligible_days"].mean())
    return {
        **size.to_dict(),
        "cstatistic": cstatistic,
        "prevalence": prevalence,
        "parameters": n_parameters,
        "eligible_days_per_runner": per_runner,
        "runners": int(np.ceil(size.n / per_runner)),
    }
