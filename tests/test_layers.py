"""Lower layers never import upper ones; the command line starts without the heavy libraries."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _modules_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return {line.split(".")[0] for line in out.stdout.split()}


SIMULATOR = ["calfrisk.config", "calfrisk.schema", "calfrisk.simulate", "calfrisk.io"]
LEARNING = [
    "calfrisk.panel",
    "calfrisk.features",
    "calfrisk.labels",
    "calfrisk.model",
    "calfrisk.evaluate",
    "calfrisk.oracle",
    "calfrisk.train",
    "calfrisk.persist",
    "calfrisk.explain",
    "calfrisk.advice",
    "calfrisk.predict",
    "calfrisk.present",
    "calfrisk.export",
    "calfrisk.readers",
]
#: What ``calfrisk predict`` with a model directory uses: none of it may pull in the slow imports.
PREDICT_PATH = [
    "calfrisk.cli",
    "calfrisk.config",
    "calfrisk.persist",
    "calfrisk.predict",
    "calfrisk.present",
    "calfrisk.readers",
]


@pytest.mark.parametrize("module", SIMULATOR)
def test_simulator_layers_import_no_learning_tracking_or_cli_library(module: str) -> None:
    found = _modules_after(f"import {module}") & {"mlflow", "click", "rich", "sklearn"}
    assert not found


@pytest.mark.parametrize("module", LEARNING)
def test_learning_layers_do_not_import_tracking_or_cli_libraries(module: str) -> None:
    # rich is not checked here: scikit-learn >= 1.9 imports it for its progress callbacks.
    found = _modules_after(f"import {module}") & {"mlflow", "click"}
    assert not found


def test_cli_help_does_not_import_numerical_libraries() -> None:
    loaded = _modules_after(
        "import sys\nfrom calfrisk.cli import main\nsys.argv = ['calfrisk', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass"
    )
    assert not loaded & {"numpy", "pandas", "pyarrow", "mlflow", "joblib"}


@pytest.mark.parametrize("module", PREDICT_PATH)
def test_predict_path_imports_nothing_slow(module: str) -> None:
    # mlflow (about a second), numba (the simulator's compiler), skops (imports every estimator),
    # shap, matplotlib (only for --plot) and the device-file readers (only for such files). pyarrow
    # is not listed: pandas 3 imports it for its string dtype.
    slow = {"mlflow", "numba", "skops", "shap", "matplotlib", "fitdecode", "gpxpy", "tcxreader"}
    assert not _modules_after(f"import {module}") & slow
