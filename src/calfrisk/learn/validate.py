"""External validation: a trained model scored on another cohort, simulated or imported.

:func:`validate_model` streams a cohort the way training does (:func:`calfrisk.learn.stream.sample_days`,
every athlete held out, the days sampled at ``sampling.test``'s rates with their weights), scores
the model's risk on them, and reports what ``train`` reports for a held-out athlete: ROC AUC,
average precision, Brier score, log loss, calibration intercept and slope, observed against
predicted by risk band, each with its athlete-bootstrap interval; and the oracle beside it where
the cohort was simulated (its config replays the truth).

Scales. A model trained on a cohort enriched ``E_model`` times predicts on that scale; its risk is
brought to the real world's (:func:`calfrisk.learn.bands.real_world_risk`) and, for a simulated
cohort enriched ``E_cohort`` times, to that cohort's, so that calibration is judged against the
outcomes the cohort has.

Features a cohort lacks. A profile value an imported cohort does not give is missing (NaN), and so
are the shoe features on the days a run without a recorded shoe reaches. Where the model saw that
feature missing in training, the missing value stays (the model learned what it means); where it
never did (a model trained on a simulated cohort), it takes the training median
(:func:`calfrisk.learn.features.fill_unseen_missing`), as ``predict`` does for a value a runner does
not give. :func:`feature_coverage` reports what is missing and what was filled, and ``evaluate``
prints it: a model scored on a cohort without a factor cannot use it.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from calfrisk.config import CohortConfig, TrainConfig
from calfrisk.engine import Engine
from calfrisk.exceptions import InputError
from calfrisk.learn.bands import real_world_risk
from calfrisk.learn.features import fill_unseen_missing
from calfrisk.learn.stream import sample_days
from calfrisk.learn.train import check_ceiling, evaluate_predictions, oracle_column
from calfrisk.tables import CohortDataset

__all__ = ["Validation", "feature_coverage", "validate_model", "validate_models"]


@dataclass(frozen=True, eq=False)
class Validation:
    """A model scored on a cohort.

    Attributes
    ----------
    metrics : dict
        The shape ``train`` writes: ``models`` (the one model), ``oracle`` (None without a
        simulator's config), ``bands``, counts, and ``coverage`` (:func:`feature_coverage`).
    predictions : DataFrame
        The scored days: ``athlete_id``, ``date``, ``label``, ``weight``, the model's risk (and
        ``oracle``).
    timings : dict
        Seconds per step.
    features : dict of str to DataFrame, or None
        Per model, the scored days' features as it saw them, row for row with ``predictions``, when
        asked for (:func:`validate_models`' ``keep_features``).
    """

    metrics: dict[str, object]
    predictions: pd.DataFrame
    timings: dict[str, float] = field(default_factory=dict)
    features: dict[str, pd.DataFrame] | None = None


def feature_coverage(X: pd.DataFrame, weight: np.ndarray | None = None) -> dict[str, object]:
    """Which of the model's features a cohort gives: the share of days each is known on.

    Returns ``present`` (feature -> weighted share of days with a value) and ``missing`` (the
    features no day has).

    Examples
    --------
    >>> X = pd.DataFrame({"age": [40.0, np.nan], "shoe_km_today": [np.nan, np.nan]})
    >>> cover = feature_coverage(X)
    >>> cover["missing"], cover["present"]["age"]
    (['shoe_km_today'], 0.5)
    """
    w = np.ones(len(X)) if weight is None else np.asarray(weight, dtype=float)
    present = {c: float(np.average(X[c].notna().to_numpy(), weights=w)) if len(X) else 0.0 for c in X.columns}
    return {"present": present, "missing": [c for c, share in present.items() if share == 0.0]}


def _on_cohort_scale(p: np.ndarray, model_enrichment: float, cohort_enrichment: float) -> np.ndarray:
    """A model's risk on the cohort's scale: to the real world's, then to the cohort's enrichment."""
    real = real_world_risk(p, model_enrichment)
    return real if cohort_enrichment == 1.0 else 1.0 - (1.0 - real) ** cohort_enrichment


def validate_model(
    model: object,
    metadata: dict,
    source: CohortDataset | dict[str, pd.DataFrame],
    cfg: TrainConfig,
    *,
    cohort: CohortConfig | None = None,
    engine: Engine | None = None,
    n_jobs: int | None = -1,
    progress: Callable[[str], None] | None = None,
) -> Validation:
    """Score a trained model on every athlete of a cohort.

    Parameters
    ----------
    model : Pipeline
        A model directory's model (:func:`calfrisk.predict.persist.load_model`): features, then a
        calibrated classifier.
    metadata : dict
        Its metadata: ``model`` (its name), ``enrichment``, ``positive_rate``, ``horizon_days``,
        ``min_history_days``.
    source : CohortDataset or dict of DataFrame
        The cohort (simulated or imported).
    cfg : TrainConfig
        Sampling (``sampling.test``), bootstrap, seed; the labels' horizon and history are the
        model's own (its metadata), whatever ``cfg`` says.
    cohort : CohortConfig, optional
        The cohort's simulator config: the oracle is computed beside the model, and the model's risk
        is brought to the cohort's enrichment.

    Raises
    ------
    InputError
        If the cohort has no eligible day.
    OracleCeilingError
        If the model's ROC AUC exceeds the cohort's oracle's beyond the paired interval.
    """
    name = str(metadata.get("model", "gbm"))
    return validate_models(
        {name: (model, metadata)}, source, cfg, cohort=cohort, engine=engine, n_jobs=n_jobs, progress=progress
    )


def _shared(models: Mapping[str, tuple[object, dict]], key: str) -> object:
    """A metadata value the models must share (they are scored on the same days, on one scale)."""
    values = {str(metadata[key]) for _, metadata in models.values()}
    if len(values) > 1:
        raise InputError(f"models: their {key} differ ({', '.join(sorted(values))}); score them apart")
    return next(iter(models.values()))[1][key]


def validate_models(
    models: Mapping[str, tuple[object, dict]],
    source: CohortDataset | dict[str, pd.DataFrame],
    cfg: TrainConfig,
    *,
    cohort: CohortConfig | None = None,
    engine: Engine | None = None,
    n_jobs: int | None = -1,
    progress: Callable[[str], None] | None = None,
    keep_features: bool = False,
) -> Validation:
    """Score several models trained together (the same horizon, history and enrichment) on every
    athlete of a cohort, on the same days, with one oracle: :func:`validate_model` for each, for the
    price of one.

    Parameters
    ----------
    models : mapping of str to (Pipeline, dict)
        Each model's name, its pipeline and its metadata (as :func:`validate_model` takes them).
    source, cfg, cohort, engine, n_jobs, progress
        As for :func:`validate_model`.
    keep_features : bool, default=False
        Keep the scored days' features, as each model saw them, in :attr:`Validation.features`.

    Returns
    -------
    Validation
        ``metrics["models"]`` holds every model; the intervals and the differences to the oracle
        are paired (the same athlete resamples).
    """
    say = progress or (lambda step: None)
    clock = time.perf_counter()
    first = next(iter(models.values()))[1]
    data = cfg.data.model_copy(
        update={
            "horizon_days": int(_shared(models, "horizon_days")),
            "min_history_days": int(_shared(models, "min_history_days")),
        }
    )
    model_enrichment = float(_shared(models, "enrichment")) if "enrichment" in first else 1.0
    cfg = cfg.model_copy(update={"data": data})
    say("features")
    sample = sample_days(source, cfg, external=True, n_jobs=n_jobs, engine=engine)
    rows = sample.test
    if not len(rows):
        raise InputError("data: no eligible day to score the model on")
    timings = {"features_s": time.perf_counter() - clock}
    start = time.perf_counter()
    say("score")
    cohort_enrichment = cohort.injury.enrichment if cohort is not None else 1.0
    predictions = rows[["athlete_id", "date", "label", "weight"]].copy()
    coverage, features = {}, {}
    for name, (model, metadata) in models.items():
        used = list(getattr(model[-1], "feature_names_in_", sample.features))
        cover = feature_coverage(rows[used], rows["weight"].to_numpy())
        X, filled = fill_unseen_missing(
            rows[used], metadata["feature_medians"], metadata.get("feature_missing")
        )
        cover["filled_with_training_median"] = filled
        coverage = coverage or cover  # the first model's: models trained together see the same features
        predictions[name] = _on_cohort_scale(
            model[-1].predict_proba(X)[:, 1], model_enrichment, cohort_enrichment
        )
        if keep_features:
            features[name] = X.reset_index(drop=True)
    timings["score_s"] = time.perf_counter() - start
    if cohort is not None:
        say("oracle")
        start = time.perf_counter()
        predictions["oracle"] = oracle_column(
            predictions, cohort, cfg, engine=engine or Engine("threads", n_jobs=n_jobs)
        )
        timings["oracle_s"] = time.perf_counter() - start
    say("evaluate")
    average = _on_cohort_scale(np.array([float(first["positive_rate"])]), model_enrichment, cohort_enrichment)
    metrics, _, _ = evaluate_predictions(
        predictions, list(models), cfg, train_rate=float(average[0]), enrichment=cohort_enrichment
    )
    check_ceiling(metrics)
    metrics.setdefault("oracle", None)
    metrics.update(
        n_test_athletes=int(predictions["athlete_id"].nunique()),
        n_train_athletes=0,
        n_train_rows=0,
        n_test_rows=len(predictions),
        sampling={"test": sample.counts["test"]},
        positive_rate=float(np.average(predictions["label"], weights=predictions["weight"])),
        horizon_days=data.horizon_days,
        coverage=coverage,
        model_enrichment=model_enrichment,
    )
    timings["total_s"] = time.perf_counter() - clock
    return Validation(metrics, predictions, timings, features if keep_features else None)
