"""MLflow tracking: the only module that imports mlflow.

The default store is SQLite in the working directory (``sqlite:///mlflow.db``);
``MLFLOW_TRACKING_URI`` overrides it.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from calfrisk.exceptions import InputError, ParameterError
from calfrisk.io import check_output_file
from calfrisk.learn.train import TrainResult
from calfrisk.predict.persist import TRUSTED_TYPES, export_copy

__all__ = [
    "DEFAULT_TRACKING_URI",
    "check_tracking",
    "compare_runs",
    "fetch_model_dir",
    "log_training",
    "run_predictions",
    "tracking_uri",
]

DEFAULT_TRACKING_URI = "sqlite:///mlflow.db"
#: The artifact holding a run's test predictions.
PREDICTIONS_FILE = "predictions.parquet"
#: Columns of ``calfrisk compare``, by metric key of a model.
COMPARE_METRICS = (
    "roc_auc",
    "roc_auc_skill_vs_oracle",
    "log_loss_skill_vs_oracle",
    "calibration_intercept",
    "calibration_slope",
    "average_precision",
    "brier",
    "ece",
    "roc_auc_fraction_of_oracle",
)
#: How far each calibration figure is from a calibrated model's (sorting puts the nearest first).
_IDEAL = {"calibration_intercept": 0.0, "calibration_slope": 1.0}


def tracking_uri() -> str:
    """The tracking URI in force: ``MLFLOW_TRACKING_URI`` or the local SQLite store."""
    return os.environ.get("MLFLOW_TRACKING_URI") or DEFAULT_TRACKING_URI


def _flatten(mapping: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in mapping.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(_flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


def _sqlite_file(uri: str) -> Path | None:
    """The database file of a ``sqlite:///`` tracking URI (relative or absolute), else None."""
    prefix = "sqlite:///"
    return Path(uri[len(prefix) :].split("?", 1)[0]) if uri.startswith(prefix) else None


def _mlflow(*, reading: bool = False):
    """mlflow, pointed at the tracking URI in force.

    ``reading``: the caller only looks things up. A local SQLite store that does not exist is then
    an error instead of a new empty database left in the working directory, and mlflow's INFO
    lines stay quiet (set ``MLFLOW_LOGGING_LEVEL`` to see them).
    """

    uri = tracking_uri()
    store = _sqlite_file(uri)
    if reading and store is not None and not store.is_file():
        raise InputError(
            f"no MLflow store at {store} ({uri}): nothing is tracked here yet "
            "(`calfrisk train` creates it; MLFLOW_TRACKING_URI points elsewhere)"
        )
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    if reading:
        os.environ.setdefault("MLFLOW_LOGGING_LEVEL", "WARNING")
    import mlflow

    mlflow.set_tracking_uri(uri)
    return mlflow


def check_tracking(experiment: str, register_as: str | None = None) -> None:
    """Check, before a long run, that its results can be logged: the store answers, the names are valid.

    Run before training so that a run is never lost at its very end to a store that cannot be
    reached, an experiment that was deleted, or a model name the registry refuses. Nothing is
    created: a local SQLite store that does not exist yet only needs a folder it can be written in.

    Parameters
    ----------
    experiment : str
        The MLflow experiment the run will be logged to.
    register_as : str, optional
        The registered model name the run will use.

    Raises
    ------
    InputError
        Naming the experiment, the model name or the store, and what is wrong.
    """

    if not experiment.strip():
        raise ParameterError("experiment", "''", "an MLflow experiment needs a name")
    if register_as is not None and (not register_as.strip() or any(c in register_as for c in "/:")):
        raise ParameterError(
            "register_as", repr(register_as), "MLflow needs a non-empty name without '/' or ':'"
        )
    uri = tracking_uri()
    store = _sqlite_file(uri)
    if store is not None and not store.is_file():
        # Nothing to look up yet; logging creates the store, so its folder must take it.
        check_output_file(store, parameter="MLFLOW_TRACKING_URI")
        return
    mlflow = _mlflow()
    try:
        found = mlflow.MlflowClient().get_experiment_by_name(experiment)
    except Exception as exc:  # mlflow raises its own, SQLAlchemy's and connection errors
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"MLflow store {uri}: cannot use it ({message})") from None
    if found is not None and found.lifecycle_stage == "deleted":
        raise ParameterError(
            "experiment",
            repr(experiment),
            f"deleted in the MLflow store {uri} (its name stays reserved; restore it with "
            "`mlflow experiments restore` or choose another name)",
        )


def log_training(
    result: TrainResult,
    config: Mapping[str, Any],
    *,
    data_dir: str | Path,
    experiment: str,
    input_example: pd.DataFrame,
    register_as: str | None = None,
    model_dir: str | Path | None = None,
    log_example: pd.DataFrame | None = None,
) -> str:
    """Log a training run: config as parameters, every metric, plots, and the fitted gradient boosting.

    Parameters
    ----------
    result : TrainResult
        The output of :func:`calfrisk.learn.train.train_models`.
    config : mapping
        The resolved train config (``TrainConfig.model_dump()``), logged as flattened parameters.
    data_dir : str or Path
        The cohort trained on, logged as the ``data`` parameter.
    experiment : str
        MLflow experiment name.
    input_example : DataFrame
        A few daily-panel rows, for the model's signature and example.
    register_as : str, optional
        Register the logged model under this name and point its alias ``champion`` at it: the
        predictor when there is one, else the scikit-learn pipeline.
    model_dir : str or Path, optional
        A model directory (:func:`calfrisk.predict.persist.save_model`); logged as the pyfunc model
        ``predictor`` (:class:`calfrisk.tracking.serving.RiskModel`), which answers with risk and drivers.
    log_example : DataFrame, optional
        A runner's log in calfrisk's own CSV columns: the predictor's input example.

    Returns
    -------
    str
        The run id.
    """
    mlflow = _mlflow()
    mlflow.set_experiment(experiment)
    with mlflow.start_run() as run:
        mlflow.log_params({**_flatten(config), "data": str(data_dir)})
        mlflow.log_metrics(_run_metrics(result))
        _log_curves(mlflow, result)
        mlflow.log_dict(result.metrics, "metrics.json")
        with tempfile.TemporaryDirectory() as tmp:
            # The test athlete-days' labels and every model's risk: curves can be redrawn from the run.
            path = Path(tmp) / PREDICTIONS_FILE
            result.predictions.to_parquet(path, index=False)
            mlflow.log_artifact(str(path))
        if "gbm" in result.pipelines:
            info = _log_sklearn(
                mlflow, result.pipelines["gbm"], input_example, None if model_dir is not None else register_as
            )
            if model_dir is not None:
                info = _log_predictor(mlflow, model_dir, log_example, register_as)
            if register_as:
                version = info.registered_model_version
                mlflow.MlflowClient().set_registered_model_alias(register_as, "champion", version)
        return run.info.run_id


def _run_metrics(result: TrainResult) -> dict[str, float]:
    """A run's metrics as MLflow keys: ``<model>.<metric>``, ``<model>.<metric>.ci_low``, ``time.<step>``,
    and what the case-control samples were offered and kept (``sampling.<side>.<count>``)."""
    metrics: dict[str, float] = {}
    groups = {
        **result.metrics["models"],
        **({"oracle": result.metrics["oracle"]} if result.metrics.get("oracle") is not None else {}),
    }
    for model, entry in groups.items():
        for key, value in entry.items():
            if key == "ci":
                for metric, (low, high) in value.items():
                    metrics[f"{model}.{metric}.ci_low"] = low
                    metrics[f"{model}.{metric}.ci_high"] = high
            else:
                metrics[f"{model}.{key}"] = value
    for key in ("n_test_athletes", "n_train_athletes", "n_train_rows", "n_test_rows", "positive_rate"):
        metrics[key] = float(result.metrics[key])
    for side, counts in result.metrics.get("sampling", {}).items():
        metrics.update({f"sampling.{side}.{key}": float(value) for key, value in counts.items()})
    metrics.update({f"time.{k}": v for k, v in result.timings.items()})
    return metrics


def _log_curves(mlflow, result: TrainResult) -> None:
    """ROC, precision-recall and calibration curves of every model on the test days, as figures."""
    from calfrisk.figures import calibration_figure, pr_figure, roc_figure

    preds = result.predictions
    y = preds["label"].to_numpy()
    weight = preds["weight"].to_numpy() if "weight" in preds else None
    keys = ("athlete_id", "date", "label", "weight")
    curves = {c: preds[c].to_numpy() for c in preds.columns if c not in keys}
    for name, draw in (
        ("roc.png", roc_figure),
        ("precision_recall.png", pr_figure),
        ("calibration.png", calibration_figure),
    ):
        mlflow.log_figure(draw(y, curves, sample_weight=weight), name)


def _log_sklearn(mlflow, fitted: object, input_example: pd.DataFrame, register_as: str | None):
    """The fitted pipeline as MLflow's scikit-learn model (skops), with its signature and example."""
    from mlflow.models import infer_signature

    pipeline = export_copy(fitted, compiled=False)  # scikit-learn objects for mlflow.sklearn
    with warnings.catch_warnings():
        # Integer columns (ids, counts) never hold missing values here: mlflow's hint is moot.
        warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer")
        signature = infer_signature(input_example, pipeline.predict_proba(input_example)[:, 1])
    return mlflow.sklearn.log_model(
        pipeline,
        name="model",
        serialization_format="skops",
        skops_trusted_types=list(TRUSTED_TYPES),
        signature=signature,
        input_example=input_example,
        pyfunc_predict_fn="predict_proba",
        registered_model_name=register_as,
    )


def _log_predictor(mlflow, model_dir: str | Path, example: pd.DataFrame | None, register_as: str | None):
    from mlflow.models import infer_signature

    from calfrisk.tracking.serving import PARAMS, RiskModel

    signature = None
    if example is not None:
        predictor = RiskModel()
        predictor.model_, predictor.metadata_ = _load(model_dir)
        output = predictor.predict(None, example)
        with warnings.catch_warnings():
            # Integer columns (counts, ids) of the example never hold missing values: the hint is moot.
            warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer")
            signature = infer_signature(example, output, params=PARAMS)
    return mlflow.pyfunc.log_model(
        name="predictor",
        # Models from code: the logged model holds this file (run when loaded), not a pickled object.
        python_model=str(Path(__file__).with_name("predictor_code.py")),
        artifacts={"model_dir": str(model_dir)},
        signature=signature,
        input_example=example,
        registered_model_name=register_as,
    )


def _load(model_dir: str | Path):
    from calfrisk.predict.persist import load_model

    return load_model(model_dir)


def fetch_model_dir(uri: str) -> Path:
    """Download a logged calfrisk predictor (``models:/...``, ``runs:/...``); return its model directory.

    Raises
    ------
    InputError
        If the URI cannot be resolved, or what it names is not a calfrisk predictor.
    """
    from calfrisk.predict.persist import METADATA_FILE

    mlflow = _mlflow(reading=True)
    try:
        root = Path(mlflow.artifacts.download_artifacts(artifact_uri=uri))
    except Exception as exc:  # mlflow raises its own and OS errors for unknown names and stores
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ParameterError("model", uri, f"cannot fetch it from {tracking_uri()} ({message})") from None
    found = sorted(root.glob(f"artifacts/*/{METADATA_FILE}"))
    if not found:
        raise ParameterError("model", uri, "not a calfrisk predictor (log one with `calfrisk train`)")
    return found[0].parent


def run_predictions(run_id: str) -> pd.DataFrame:
    """A tracked run's test predictions: ``athlete_id``, ``date``, ``label``, one column per model."""
    mlflow = _mlflow(reading=True)
    with tempfile.TemporaryDirectory() as tmp:
        path = mlflow.artifacts.download_artifacts(
            run_id=run_id, artifact_path=PREDICTIONS_FILE, dst_path=tmp
        )
        return pd.read_parquet(path)


def compare_runs(experiment: str, sort: str = "roc_auc") -> pd.DataFrame:
    """One row per (run, model) of an experiment: data and the headline metrics (:data:`COMPARE_METRICS`).

    Sorted by ``sort``: the highest first, but the lowest Brier score and ECE, and the calibration
    intercept and slope nearest 0 and 1.

    Raises
    ------
    KeyError
        If the experiment does not exist.
    InputError
        If the local tracking store does not exist.
    """
    mlflow = _mlflow(reading=True)
    found = mlflow.get_experiment_by_name(experiment)
    if found is None:
        raise KeyError(experiment)
    runs = mlflow.search_runs(experiment_ids=[found.experiment_id])
    rows = []
    for _, run in runs.iterrows():
        # search_runs gives every run every metric column of the experiment: keep this run's models.
        models = sorted(
            {
                c.split(".")[1]
                for c in run.index
                if c.startswith("metrics.") and c.endswith(".roc_auc") and pd.notna(run[c])
            }
        )
        for model in models:
            row = {"run": run["run_id"][:8], "model": model, "data": run.get("params.data", "")}
            for metric in COMPARE_METRICS:
                row[metric] = run.get(f"metrics.{model}.{metric}", float("nan"))
            rows.append(row)
    table = pd.DataFrame(rows, columns=["run", "model", "data", *COMPARE_METRICS])
    if sort not in table.columns:
        raise ValueError(sort)
    if sort in _IDEAL:
        distance = (table[sort] - _IDEAL[sort]).abs()
        return table.loc[distance.sort_values(kind="stable").index].reset_index(drop=True)
    ascending = sort in ("brier", "ece")
    return table.sort_values(sort, ascending=ascending, kind="stable").reset_index(drop=True)
