"""The misspecification sweep: models trained on the base world, scored on each scenario's world.

A scenario's world is the simulator with some assumptions changed (an effect at the end of its
evidence range, switched off, another shape, another population). New runners are simulated in it
and every model is scored on them beside that world's own oracle (:func:`validate_models`): what a
model learnt in the base world that still holds there transports; what it learnt that the world
does not have, or what the world has that it never learnt, breaks. Per scenario, replicate and
model: ROC AUC, its chance-corrected fraction of the scenario oracle's, the calibration intercept
and slope (each with its athlete-bootstrap interval), and the drivers' grouped permutation
importance, whose ranking is compared with the base world's.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from calfrisk.config import CohortConfig, TrainConfig
from calfrisk.engine import Engine
from calfrisk.learn.importance import grouped_permutation_importance
from calfrisk.learn.train import model_metadata, train_models
from calfrisk.learn.validate import validate_models
from calfrisk.simulate import simulate_cohort
from calfrisk.tables import open_cohort

__all__ = [
    "TRANSPORT_METRICS",
    "BaseModels",
    "score_scenario",
    "train_base_models",
    "transport_figures",
    "with_cohort",
]

#: Figures of a model on a scenario's world, each with its interval (``_low``, ``_high``).
TRANSPORT_METRICS = ("roc_auc", "roc_auc_skill_vs_oracle", "calibration_intercept", "calibration_slope")


@dataclass(frozen=True)
class BaseModels:
    """The models trained on the base world: name -> (pipeline, metadata), and their held-out metrics."""

    models: dict[str, tuple[object, dict]]
    metrics: dict[str, object]


def with_cohort(cfg: CohortConfig, n_athletes: int, n_days: int, seed: int) -> CohortConfig:
    """``cfg`` with another cohort size, follow-up and seed."""
    cohort = cfg.cohort.model_copy(update={"n_athletes": n_athletes, "n_days": n_days, "seed": seed})
    return cfg.model_copy(update={"cohort": cohort})


def train_base_models(
    world: CohortConfig, cfg: TrainConfig, models: list[str], *, engine: Engine | None = None
) -> BaseModels:
    """Simulate the base world's training cohort (in a temporary folder) and train ``models`` on it.

    Parameters
    ----------
    world : CohortConfig
        The base world, with the training cohort's size, follow-up and seed.
    cfg : TrainConfig
        How to train and score.
    models : list of str
        Models of ``cfg`` to train.
    engine : Engine, optional
        Where the cohort's chunks, features and oracle run (default: threads, one per core).
    """
    with tempfile.TemporaryDirectory(prefix="calfrisk-study-") as tmp:
        folder = Path(tmp) / "base"
        simulate_cohort(world, folder, n_jobs=-1, engine=engine)
        result = train_models(open_cohort(folder), cfg, cohort=world, models=models, engine=engine)
        trained = {
            name: (result.pipelines[name], model_metadata(result, world, "study base world", name))
            for name in models
        }
    return BaseModels(trained, result.metrics)


def transport_figures(metrics: dict, name: str) -> dict[str, float]:
    """A model's :data:`TRANSPORT_METRICS` and their intervals (``_low``, ``_high``) from metrics
    as :func:`calfrisk.learn.train.evaluate_predictions` gives them."""
    values = metrics["models"][name]
    out = {}
    for metric in TRANSPORT_METRICS:
        low, high = values.get("ci", {}).get(metric, (np.nan, np.nan))
        out.update({metric: values.get(metric, np.nan), f"{metric}_low": low, f"{metric}_high": high})
    return out


def score_scenario(
    world: CohortConfig,
    base: BaseModels,
    cfg: TrainConfig,
    *,
    importance_repeats: int,
    scenario: str,
    replicate: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Simulate one replicate of a scenario's world and score every base model on it.

    Runs on one thread (a study runs many of these side by side).

    Returns
    -------
    rows : DataFrame
        ``analysis`` ("transport" or "importance"), ``scenario``, ``replicate``, ``model``, and per
        transport row :data:`TRANSPORT_METRICS` with their intervals, the oracle's ROC AUC, the
        strains and runners; per importance row ``effect`` (a driver group), ``importance`` (the
        drop in ROC AUC when it is permuted) and ``importance_rank`` (1 = largest).
    predictions : DataFrame
        The scored days (``athlete_id``, ``date``, ``label``, ``weight``, a column per model and
        ``oracle``), for pooling replicates.
    """
    with tempfile.TemporaryDirectory(prefix="calfrisk-study-") as tmp:
        folder = Path(tmp) / scenario
        summary = simulate_cohort(world, folder, n_jobs=1)
        validation = validate_models(
            base.models, open_cohort(folder), cfg, cohort=world, n_jobs=1, keep_features=True
        )
    metrics, predictions = validation.metrics, validation.predictions
    common = {"scenario": scenario, "replicate": replicate}
    rows = []
    for name in base.models:
        rows.append(
            {
                "analysis": "transport",
                **common,
                "model": name,
                **transport_figures(metrics, name),
                "oracle_roc_auc": metrics["oracle"]["roc_auc"],
                "strains": summary.strains,
                "n_runners": world.cohort.n_athletes,
                "n_days": world.cohort.n_days,
            }
        )
        importance = grouped_permutation_importance(
            base.models[name][0][-1],
            validation.features[name],
            predictions["label"].to_numpy(),
            n_repeats=importance_repeats,
            random_state=replicate,
            sample_weight=predictions["weight"].to_numpy(),
        )
        for rank, row in enumerate(importance.itertuples(), start=1):
            rows.append(
                {
                    "analysis": "importance",
                    **common,
                    "model": name,
                    "effect": row.group,
                    "importance": row.importance,
                    "importance_rank": rank,
                }
            )
    return pd.DataFrame(rows), predictions
