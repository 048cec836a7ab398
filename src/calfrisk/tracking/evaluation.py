"""``calfrisk evaluate``: a trained model scored on a cohort, written out and tracked as its own run.

The run is linked to the model's: its ``model`` parameter is the model's directory or URI, and a
model fetched from MLflow (``runs:/...``, ``models:/...``) gives the training run's id as the tag
``calfrisk.model_run_id`` (and MLflow's parent, so the evaluation nests under the training run).
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from calfrisk.config import TrainConfig
from calfrisk.engine import open_engine
from calfrisk.exceptions import InputError
from calfrisk.io import atomic_write_text, check_output_file
from calfrisk.tables import open_cohort

__all__ = ["EvaluationRun", "run_evaluation"]


@dataclass(frozen=True)
class EvaluationRun:
    """What :func:`run_evaluation` did: the validation, and the MLflow run it logged (if any)."""

    validation: object
    run_id: str | None


def _model_run(reference: str) -> str | None:
    """The run that logged a model fetched from MLflow, or None for a model directory."""
    found = re.match(r"runs:/([0-9a-f]+)/", reference)
    if found:
        return found.group(1)
    named = re.match(r"models:/([^/@]+)(?:@([^/]+)|/(\d+))", reference)
    if not named:
        return None
    from calfrisk.tracking.runs import _mlflow

    client = _mlflow(reading=True).MlflowClient()
    name, alias, version = named.groups()
    found_version = (
        client.get_model_version_by_alias(name, alias) if alias else client.get_model_version(name, version)
    )
    return found_version.run_id


def run_evaluation(
    model: object,
    metadata: dict,
    reference: str,
    data_dir: str | Path,
    cfg: TrainConfig,
    *,
    metrics_json: str | Path | None = None,
    tracking: bool = True,
    experiment: str = "calfrisk",
    progress: Callable[[str], None] | None = None,
    engine: str = "threads",
    scheduler: str | None = None,
) -> EvaluationRun:
    """Score a model on a cohort (:func:`calfrisk.learn.validate.validate_model`), write and log it.

    Parameters
    ----------
    model, metadata : object, dict
        A loaded model (:func:`calfrisk.predict.persist.load_model`).
    reference : str
        Where the model came from (its directory or MLflow URI): logged as the ``model`` parameter.
    data_dir : str or Path
        The cohort folder, simulated or imported.
    cfg : TrainConfig
        Sampling of the days scored, bootstrap, seed, oracle rollouts.
    metrics_json : str or Path, optional
        Write the metrics here (the shape ``train`` writes, the one model under ``models``).
    tracking : bool, default=True
        Log an MLflow run in ``experiment``.

    Raises
    ------
    InputError
        Before any work: an output path that cannot be written, a model whose features this
        version does not compute, a cohort folder that is not one. Later: as the steps raise.
    """
    from calfrisk.learn.features import FEATURE_GROUPS
    from calfrisk.learn.validate import validate_model

    if metrics_json is not None:
        check_output_file(metrics_json, parameter="metrics_json")
    known = {f for group in FEATURE_GROUPS.values() for f in group}
    wanted = [str(f) for f in getattr(model[-1], "feature_names_in_", [])]
    unknown = [f for f in wanted if f not in known]
    if unknown:
        raise InputError(
            f"model: made by another version of calfrisk (features {', '.join(unknown[:3])}); retrain it"
        )
    dataset = open_cohort(data_dir)
    if tracking:
        from calfrisk.tracking.runs import check_tracking

        check_tracking(experiment)
    with open_engine(engine, scheduler=scheduler, n_jobs=-1) as tasks:
        validation = validate_model(
            model, metadata, dataset, cfg, cohort=dataset.config, engine=tasks, progress=progress
        )
    validation.metrics["outcome"] = (dataset.manifest or {}).get("outcome", "calf strain")
    validation.metrics["model_outcome"] = metadata.get("outcome", "calf strain")
    run_id = None
    if tracking:
        if progress is not None:
            progress("log to MLflow")
        run_id = _log(validation, reference, data_dir, experiment)
    if metrics_json is not None:
        atomic_write_text(metrics_json, json.dumps(validation.metrics, indent=2) + "\n")
    return EvaluationRun(validation, run_id)


def _log(validation: object, reference: str, data_dir: str | Path, experiment: str) -> str:
    from calfrisk.tracking.runs import PREDICTIONS_FILE, _mlflow, _run_metrics

    mlflow = _mlflow()
    mlflow.set_experiment(experiment)
    parent = _model_run(reference)
    tags = {"calfrisk.kind": "evaluation", "calfrisk.model": reference}
    if parent:
        tags.update({"calfrisk.model_run_id": parent, "mlflow.parentRunId": parent})
    with mlflow.start_run(run_name="evaluate", tags=tags) as run:
        mlflow.log_params({"model": reference, "data": str(data_dir), "kind": "evaluation"})
        mlflow.log_metrics(_run_metrics(validation))
        mlflow.log_dict(validation.metrics, "metrics.json")
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / PREDICTIONS_FILE
            validation.predictions.to_parquet(path, index=False)
            mlflow.log_artifact(str(path))
        return run.info.run_id
