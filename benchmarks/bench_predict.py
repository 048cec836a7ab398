"""Cold start of ``calfrisk predict`` against ``python -c "import sklearn, pandas"``, side by side.

Target (issue 4): a one-year log scored from a model directory within 1.5x the time it takes to
import scikit-learn and pandas, on the same machine, in the same run. Each command is run in a
fresh process, alternating, and the medians are compared (this machine's timings are noisy).

Run: ``.venv/bin/python -m benchmarks.bench_predict [--repeats N]``.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = 1.5
CALFRISK = (sys.executable, "-m", "calfrisk")


def _timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        model = Path(tmp) / "model"
        print("training a model on the sample cohort (not timed) ...", flush=True)
        train = [*CALFRISK, "train", "--data", "data/synthetic/sample", "--models", "gbm", "--no-tracking"]
        subprocess.run(
            [*train, "--out", str(model)],
            check=True,
            capture_output=True,
            cwd=ROOT,
        )
        baseline_cmd = [sys.executable, "-c", "import sklearn, pandas"]
        log, profile = ROOT / "examples" / "runner_log.csv", ROOT / "examples" / "runner_profile.yaml"
        predict = [*CALFRISK, "predict", str(log), "--profile", str(profile), "--model", str(model)]
        commands = {"json": [*predict, "--format", "json"], "table": predict}
        for command in (baseline_cmd, *commands.values()):  # warm the file cache
            _timed(command)
        times: dict[str, list[float]] = {"import sklearn, pandas": [], **{k: [] for k in commands}}
        for _ in range(args.repeats):
            times["import sklearn, pandas"].append(_timed(baseline_cmd))
            for name, command in commands.items():
                times[name].append(_timed(command))
    base = statistics.median(times["import sklearn, pandas"])
    rows = sum(1 for _ in log.open()) - 1
    print(f"\ncold start, median of {args.repeats} fresh processes (log: {rows} sessions, one year)")
    print(f"{'command':<34}{'median s':>10}{'min s':>8}{'x import':>10}")
    for name, values in times.items():
        label = name if name.startswith("import") else f"calfrisk predict --format {name}"
        median = statistics.median(values)
        print(f"{label:<34}{median:>10.2f}{min(values):>8.2f}{median / base:>10.2f}")
    worst = max(statistics.median(v) for k, v in times.items() if not k.startswith("import"))
    verdict = "MET" if worst / base <= TARGET else "MISSED"
    print(f"target: within {TARGET}x of the import: {verdict} ({worst / base:.2f}x)")


if __name__ == "__main__":
    main()
