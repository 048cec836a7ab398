"""``calfrisk predict`` as an MLflow pyfunc model, so ``mlflow models serve`` answers with risk and drivers.

The model's input is a runner's log in calfrisk's own CSV columns (one row per session:
``date``, ``distance_km``, ``duration_min``, optional ``elevation_gain_m``, ``session_type``,
``shoe``, ``rpe``); the profile comes as parameters. It goes through the same reader, the same
:func:`calfrisk.predict.scoring.forecast` and the same records as ``calfrisk predict --format json``.

Parameters are typed with a sentinel for "not given" (MLflow parameters need a default of their
type): an empty string, or -1 for numbers.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import mlflow.pyfunc
import pandas as pd

__all__ = ["PARAMS", "RiskModel"]

#: The parameters the served model accepts, with their "not given" defaults.
PARAMS: dict[str, Any] = {
    "athlete_id": "runner",
    "age": -1.0,
    "sex": "",
    "prior_calf_strains": -1,
    "glute_test_score": -1.0,
    "calf_test_score": -1.0,
    "date": "",
    "from": "",
    "to": "",
}


def _given(value: Any) -> Any:
    return None if value in ("", -1, -1.0, None) else value


class RiskModel(mlflow.pyfunc.PythonModel):
    """Scores a runner's log: one row per requested day with ``risk``, ``band`` and ``drivers``."""

    def load_context(self, context: mlflow.pyfunc.PythonModelContext) -> None:
        from calfrisk.predict.persist import load_model

        self.model_, self.metadata_ = load_model(context.artifacts["model_dir"])

    def predict(
        self, context: mlflow.pyfunc.PythonModelContext, model_input: pd.DataFrame, params: dict | None = None
    ) -> pd.DataFrame:
        import datetime as dt

        from calfrisk.predict.profile import load_profile
        from calfrisk.predict.records import forecast_records
        from calfrisk.predict.scoring import forecast
        from calfrisk.readers import read_logs

        params = {**PARAMS, **(params or {})}
        profile = load_profile(
            overrides={key: _given(params[key]) for key in PARAMS if key not in ("date", "from", "to")}
        )
        day = _given(params["date"])
        start = dt.date.fromisoformat(day or params["from"]) if (day or _given(params["from"])) else None
        end = dt.date.fromisoformat(day or params["to"]) if (day or _given(params["to"])) else None
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "log.csv"
            pd.DataFrame(model_input).to_csv(path, index=False)
            run_log = read_logs([path])
        result = forecast(
            run_log.sessions, self.model_, self.metadata_, profile, start=start, end=end, notes=run_log.notes
        )
        return pd.DataFrame(forecast_records(result))
