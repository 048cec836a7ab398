"""Prediction: a runner's risk from their own log, explained, with advice.

:mod:`~calfrisk.predict.scoring` scores the days of a log with a model saved by
:mod:`~calfrisk.predict.persist`, lists the drivers from exact contributions
(:mod:`calfrisk.learn.explain`), which :mod:`~calfrisk.predict.advice` words;
:mod:`~calfrisk.predict.profile` holds what the runner says of themselves, and
:mod:`~calfrisk.predict.records` writes the result as JSON or CSV records.
"""

from calfrisk._lazy import lazy_exports

#: Public name -> the module that defines it, imported on first use.
_EXPORTS = {
    "DISCLAIMER": "advice",
    "advise": "advice",
    "ALLOWED_GLOBALS": "persist",
    "METADATA_FILE": "persist",
    "MODEL_FILE": "persist",
    "TRUSTED_TYPES": "persist",
    "export_copy": "persist",
    "load_model": "persist",
    "save_model": "persist",
    "RunnerProfile": "profile",
    "load_profile": "profile",
    "forecast_csv": "records",
    "forecast_json": "records",
    "forecast_records": "records",
    "Forecast": "scoring",
    "SPEED_PACE_RATIO": "scoring",
    "forecast": "scoring",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
