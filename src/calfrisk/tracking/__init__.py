"""MLflow: the only subpackage that imports mlflow.

:mod:`~calfrisk.tracking.runs` logs and compares training runs; :mod:`~calfrisk.tracking.serving`
is the pyfunc model that ``mlflow models serve`` runs (logged as code from
:mod:`~calfrisk.tracking.predictor_code`); :mod:`~calfrisk.tracking.training` runs a whole training
run, from a cohort folder to a model directory and a tracked run, with or without MLflow.
"""

from calfrisk._lazy import lazy_exports

#: Public name -> the module that defines it, imported on first use.
_EXPORTS = {
    "DEFAULT_TRACKING_URI": "runs",
    "check_tracking": "runs",
    "compare_runs": "runs",
    "fetch_model_dir": "runs",
    "log_training": "runs",
    "run_predictions": "runs",
    "tracking_uri": "runs",
    "PARAMS": "serving",
    "RiskModel": "serving",
    "TrainingRun": "training",
    "run_training": "training",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
