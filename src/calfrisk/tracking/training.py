"""A training run from a cohort folder to a model directory and an MLflow run: what `calfrisk train` does.

:func:`run_training` checks everything the end of the run needs before the long work starts
(output paths, the MLflow store, names, the served model's input example), trains and evaluates
(:func:`calfrisk.learn.train.train_models`), saves the gradient boosting as a model directory
(:func:`calfrisk.predict.persist.save_model`) and logs the run (:func:`calfrisk.tracking.runs.log_training`).
The command line, the notebooks and the test fixtures all train through it. Without tracking,
mlflow is never imported.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from calfrisk.config import TrainConfig
from calfrisk.engine import open_engine
from calfrisk.exceptions import InputError, ParameterError
from calfrisk.io import atomic_write_text, check_output_dir, check_output_file
from calfrisk.learn.train import TrainResult, model_metadata, train_models
from calfrisk.tables import cohort_days, open_cohort

__all__ = ["TrainingRun", "run_training"]

#: The model a run saves as its model directory and registers.
SAVED_MODEL = "gbm"


@dataclass(frozen=True)
class TrainingRun:
    """What :func:`run_training` produced.

    Attributes
    ----------
    result : TrainResult
        Fitted pipelines, test predictions and metrics.
    metadata : dict
        What the model directory records beside the model (:func:`calfrisk.learn.train.model_metadata`).
    model_dir : Path or None
        The model directory written, when ``out_dir`` was given.
    run_id : str or None
        The MLflow run, when tracked.
    """

    result: TrainResult
    metadata: dict
    model_dir: Path | None
    run_id: str | None


def _check_before(
    cfg: TrainConfig,
    names: list[str],
    *,
    out_dir: Path | None,
    overwrite: bool,
    metrics_json: Path | None,
    register_as: str | None,
    tracking: bool,
) -> None:
    unknown = [name for name in names if name not in cfg.models]
    if unknown:
        configured = ", ".join(cfg.models)
        raise ParameterError("models", repr(unknown[0]), f"not a configured model (configured: {configured})")
    for parameter, given in (("out_dir", out_dir), ("register_as", register_as)):
        if given is not None and SAVED_MODEL not in names:
            raise ParameterError(
                parameter,
                given,
                f"only the gradient boosting ({SAVED_MODEL}) is saved or registered, and it is not among "
                f"the models trained ({', '.join(names)})",
            )
    if register_as is not None and not tracking:
        raise InputError("registering a model needs tracking (register_as given, tracking off)")
    if out_dir is not None:
        check_output_dir(out_dir, overwrite=overwrite)
    if metrics_json is not None:
        check_output_file(metrics_json, parameter="metrics_json")


def _plain_types(frame: pd.DataFrame) -> pd.DataFrame:
    """Nullable number columns (an imported cohort's missing profile) as floats, NaN for missing:
    the types an MLflow signature checks an example against."""
    nullable = [
        c for c in frame if pd.api.types.is_extension_array_dtype(frame[c]) and frame[c].dtype.kind in "iufb"
    ]
    return frame.astype(dict.fromkeys(nullable, "float64"))


def _served_example(tables: dict[str, pd.DataFrame], cfg: TrainConfig) -> pd.DataFrame:
    """The served model's input example, read as the served model will read it."""
    from calfrisk.readers import read_logs
    from calfrisk.simulate.export import example_log

    example = example_log(tables, min_days=cfg.data.min_history_days + 1)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "example.csv"
        example.to_csv(path, index=False)
        read_logs([path])
    return example


def run_training(
    data_dir: str | Path,
    cfg: TrainConfig,
    *,
    models: Sequence[str] | None = None,
    out_dir: str | Path | None = None,
    overwrite: bool = False,
    metrics_json: str | Path | None = None,
    tracking: bool = True,
    experiment: str = "calfrisk",
    register_as: str | None = None,
    progress: Callable[[str], None] | None = None,
    engine: str = "threads",
    scheduler: str | None = None,
) -> TrainingRun:
    """Train on a cohort folder; save the model directory; log the run to MLflow.

    Parameters
    ----------
    data_dir : str or Path
        A cohort folder (:func:`calfrisk.tables.open_cohort`), read one part at a time.
    cfg : TrainConfig
        The train config (:func:`calfrisk.config.load_train_config`).
    models : sequence of str, optional
        Train only these of the configured models.
    out_dir : str or Path, optional
        Write the gradient boosting's model directory here.
    overwrite : bool, default=False
        Replace a non-empty ``out_dir``.
    metrics_json : str or Path, optional
        Write the metrics here as JSON.
    tracking : bool, default=True
        Log the run to MLflow (the store of :func:`calfrisk.tracking.runs.tracking_uri`).
    experiment : str, default="calfrisk"
        The MLflow experiment.
    register_as : str, optional
        Register the model under this name and point the alias ``champion`` at it.
    progress : callable, optional
        Called with the name of each step as it starts.
    engine : {"threads", "dask"}, default="threads"
        Where the cohort's parts and the oracle's chunks run (:func:`calfrisk.engine.open_engine`);
        the fits run here, on the gathered samples. The results are the same on every engine.
    scheduler : str, optional
        A running Dask scheduler's address (implies ``engine="dask"``).

    Returns
    -------
    TrainingRun

    Raises
    ------
    InputError
        Before any training: an unknown model, an output path that cannot be written, a model to
        save or register that is not trained, a store that cannot be used, an experiment that was
        deleted, an invalid model name, a cohort folder that is not one. Later: as the steps raise.
    """
    say = progress or (lambda step: None)
    names = list(cfg.models) if models is None else list(models)
    out_dir = Path(out_dir) if out_dir is not None else None
    metrics_json = Path(metrics_json) if metrics_json is not None else None
    _check_before(
        cfg,
        names,
        out_dir=out_dir,
        overwrite=overwrite,
        metrics_json=metrics_json,
        register_as=register_as,
        tracking=tracking,
    )
    dataset = open_cohort(data_dir)
    cohort = dataset.config
    example = None
    tables = None
    if tracking:
        from calfrisk.tracking.runs import check_tracking

        check_tracking(experiment, register_as)
        tables = dataset.part(0)  # the examples come from the first part's athletes
        if SAVED_MODEL in names:
            example = _served_example(tables, cfg)
    with open_engine(engine, scheduler=scheduler, n_jobs=-1) as tasks:
        result = train_models(dataset, cfg, cohort=cohort, models=names, progress=say, engine=tasks)
    # What the labels mean: calf strains, unless an imported cohort's manifest says otherwise.
    result.metrics["outcome"] = (dataset.manifest or {}).get("outcome", "calf strain")
    metadata = model_metadata(result, cohort, data_dir)
    saved = SAVED_MODEL in result.pipelines
    if out_dir is not None and saved:
        from calfrisk.predict.persist import save_model

        save_model(result.pipelines[SAVED_MODEL], out_dir, metadata, overwrite=overwrite)
    run_id = None
    if tracking:
        say("log to MLflow")
        run_id = _log(result, cfg, tables, data_dir, experiment, register_as, out_dir, metadata, example)
    if metrics_json is not None:
        atomic_write_text(metrics_json, json.dumps(result.metrics, indent=2) + "\n")
    return TrainingRun(result, metadata, out_dir if saved else None, run_id)


def _log(
    result: TrainResult,
    cfg: TrainConfig,
    tables: dict[str, pd.DataFrame],
    data_dir: str | Path,
    experiment: str,
    register_as: str | None,
    out_dir: Path | None,
    metadata: dict,
    example: pd.DataFrame | None,
) -> str:
    from calfrisk.learn.panel import daily_panel
    from calfrisk.predict.persist import save_model
    from calfrisk.tracking.runs import log_training

    panel = daily_panel(
        tables["training_log"], tables["athletes"], tables["injuries"], days=cohort_days(tables).head(60)
    )
    saved = SAVED_MODEL in result.pipelines
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = out_dir
        if saved and model_dir is None:
            model_dir = save_model(result.pipelines[SAVED_MODEL], Path(tmp) / "model", metadata)
        return log_training(
            result,
            cfg.model_dump(),
            data_dir=data_dir,
            experiment=experiment,
            input_example=_plain_types(panel.head(5)),
            register_as=register_as,
            model_dir=model_dir if saved else None,
            log_example=example,
        )
