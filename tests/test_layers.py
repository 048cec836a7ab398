"""Lower layers never import upper ones; the command line starts without the heavy libraries."""

from __future__ import annotations

import subprocess
import sys

import pytest


def _modules_after(code: str) -> set[str]:
    probe = f"{code}\nimport sys\nprint('\\n'.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return {line.split(".")[0] for line in out.stdout.split()}


@pytest.mark.parametrize("module", ["calfrisk.config", "calfrisk.schema", "calfrisk.simulate", "calfrisk.io"])
def test_library_layers_do_not_import_tracking_or_cli_frameworks(module: str) -> None:
    loaded = _modules_after(f"import {module}")
    assert not loaded & {"mlflow", "click", "rich", "sklearn"}, loaded & {
        "mlflow",
        "click",
        "rich",
        "sklearn",
    }


def test_cli_help_does_not_import_numerical_libraries() -> None:
    loaded = _modules_after(
        "import sys\nfrom calfrisk.cli import main\nsys.argv = ['calfrisk', '--help']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass"
    )
    assert not loaded & {"numpy", "pandas", "pyarrow", "mlflow", "joblib"}
