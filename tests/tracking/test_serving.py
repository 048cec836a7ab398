"""The logged predictor: the scoring protocol in-process, and `mlflow models serve` for real."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from tests.conftest import ROOT

# End to end: a tracked training run, a real model server.
pytestmark = pytest.mark.slow


def test_registered_predictor_answers_the_scoring_protocol_with_risk_and_drivers(trained) -> None:
    """What `mlflow models serve` runs for POST /invocations, called in-process."""
    import mlflow
    from mlflow.pyfunc import scoring_server

    _root, uri = trained
    mlflow.set_tracking_uri(uri)
    model = mlflow.pyfunc.load_model("models:/calfrisk@champion")
    # Logged as code, not as a pickled object: loading it runs calfrisk's predictor_code.py.
    logged = Path(mlflow.artifacts.download_artifacts("models:/calfrisk@champion"))
    files = {p.name for p in logged.rglob("*")}
    assert "predictor_code.py" in files and "python_model.pkl" not in files
    log = pd.read_csv(ROOT / "examples" / "runner_log.csv")
    body = json.dumps(
        {
            "dataframe_split": {"columns": list(log.columns), "data": log.astype(object).values.tolist()},
            "params": {"age": 52.0, "sex": "M", "from": "2025-09-01", "to": "2025-09-03"},
        }
    )
    answer = scoring_server.invocations(body, "application/json", model, model.metadata.get_input_schema())
    assert answer.status == 200, answer.response
    days = json.loads(answer.response)["predictions"]
    assert [d["date"] for d in days] == ["2025-09-01", "2025-09-02", "2025-09-03"]
    for day in days:
        # Trained on the enriched test cohort: relative figures only, no absolute risk.
        assert day["risk"] is None and day["vs_average"] > 0 and day["band"] in {"low", "elevated", "high"}
        assert all({"factor", "contribution", "advice"} <= set(d) for d in day["drivers"])


def test_mlflow_models_serve_answers_with_risk_and_drivers(trained, tmp_path) -> None:
    """The real server: `mlflow models serve` on the registered predictor, one POST /invocations."""
    import os
    import socket
    import time
    import urllib.request
    from pathlib import Path

    _root, uri = trained
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    mlflow_cli = Path(sys.executable).parent / "mlflow"
    command = [
        str(mlflow_cli),
        "models",
        "serve",
        "-m",
        "models:/calfrisk@champion",
        "--env-manager",
        "local",
    ]
    # As in an activated environment: mlflow starts the server as `uvicorn` from PATH.
    path = os.pathsep.join([str(mlflow_cli.parent), os.environ.get("PATH", "")])
    env = {**os.environ, "PATH": path, "MLFLOW_TRACKING_URI": uri, "MLFLOW_DISABLE_TELEMETRY": "true"}
    log_file = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port)], env=env, stdout=log_file, stderr=log_file
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{base}/ping", timeout=2) as ping:
                    if ping.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    tail = (tmp_path / "serve.log").read_text()[-2000:]
                    raise AssertionError(f"mlflow models serve did not come up:\n{tail}") from None
                time.sleep(0.5)
        log = pd.read_csv(ROOT / "examples" / "runner_log.csv")
        body = json.dumps(
            {
                "dataframe_split": {"columns": list(log.columns), "data": log.astype(object).values.tolist()},
                "params": {"age": 52.0, "date": "2025-10-14"},
            }
        ).encode()
        request = urllib.request.Request(
            f"{base}/invocations", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            days = json.loads(answer.read())["predictions"]
    finally:
        server.terminate()
        server.wait(timeout=20)
        log_file.close()
    assert [d["date"] for d in days] == ["2025-10-14"]
    assert days[0]["risk"] is None and days[0]["vs_average"] > 0  # an enriched cohort: relative only
    assert days[0]["band"] in {"low", "elevated", "high"}
    assert all({"factor", "contribution", "advice"} <= set(d) for d in days[0]["drivers"])
