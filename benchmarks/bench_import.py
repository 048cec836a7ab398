"""``calfrisk import`` of a study's runners: runners per second, one worker against all cores.

Target (issue 15): importing uses all cores. A real-rate cohort of 2,000 runners x 365 days is
simulated and written as a study would hold it: half the runners as calfrisk's own CSV, 30 % as a
Strava export (``activities.csv`` with gear), 20 % as an own CSV of their older runs and a FIT file
per run for their last 30 runs (so the same runs meet twice where they overlap, as a watch and an
app do), plus ``injuries.csv`` and ``athletes.csv``. The same folder is then imported with one
worker and with one per core, in the same run, and the tables are checked to be equal.

Run: ``.venv/bin/python -m benchmarks.bench_import [--runners N] [--fit-runs K]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import tempfile
import time
from pathlib import Path

import pandas as pd

PROFILE = ["age", "sex", "years_running", "warmup_habit", "stretching_habit", "glute_test_score",
           "calf_test_score", "prior_calf_strains"]  # fmt: skip


def _write_study(root: Path, n_runners: int, fit_runs: int) -> int:
    """Write the study folder; return the number of files written."""
    from calfrisk.config import load_cohort_config
    from calfrisk.simulate import simulate_cohort
    from calfrisk.simulate.export import runner_log
    from calfrisk.tables import load_cohort
    from tests.fixtures_logs import Run, write_fit, write_strava_csv

    cfg = load_cohort_config(overrides={"cohort": {"n_athletes": n_runners, "n_days": 365}})
    simulate_cohort(cfg, root / "cohort", n_jobs=-1)
    tables, _ = load_cohort(root / "cohort")
    files = 0
    for a in tables["athletes"]["athlete_id"]:
        folder = root / "runners" / f"r{a}"
        folder.mkdir(parents=True)
        log = runner_log(tables, a)
        kind = a % 10
        if kind < 5:
            log.to_csv(folder / "log.csv", index=False)
            files += 1
            continue
        runs = [
            Run(dt.datetime.fromisoformat(r.date) + dt.timedelta(hours=7), r.distance_km, r.duration_min,
                r.elevation_gain_m, shoe=r.shoe)
            for r in log.itertuples(index=False)
        ]  # fmt: skip
        if kind < 8:
            write_strava_csv(folder / "export" / "activities.csv", runs)
            files += 1
        else:
            log.iloc[: max(len(log) - fit_runs + 5, 0)].to_csv(folder / "older.csv", index=False)
            for i, run in enumerate(runs[-fit_runs:]):
                write_fit(folder / f"run-{i:03d}.fit.gz", run, gz=True)
            files += 1 + min(fit_runs, len(runs))
    injuries = tables["injuries"]
    injuries.assign(
        athlete_id="r" + injuries["athlete_id"].astype(str), date=injuries["date"].dt.strftime("%Y-%m-%d")
    )[["athlete_id", "date", "grade", "layoff_days"]].to_csv(root / "injuries.csv", index=False)
    athletes = tables["athletes"]
    athletes.assign(athlete_id="r" + athletes["athlete_id"].astype(str))[["athlete_id", *PROFILE]].to_csv(
        root / "athletes.csv", index=False
    )
    return files


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runners", type=int, default=2000)
    parser.add_argument("--fit-runs", type=int, default=30, help="FIT files per device runner.")
    args = parser.parse_args()
    from calfrisk.ingest.runners import import_runners

    cores = os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        start = time.perf_counter()
        files = _write_study(root, args.runners, args.fit_runs)
        took = time.perf_counter() - start
        print(f"study written: {args.runners:,} runners, {files:,} files ({took:.0f} s, not timed)")
        results, seconds = {}, {}
        for jobs in (1, cores):
            start = time.perf_counter()
            cohort, _ = import_runners(
                root / "runners", root / "injuries.csv", athletes=root / "athletes.csv", timezone="UTC",
                today=dt.date(2100, 1, 1), n_jobs=jobs,
            )  # fmt: skip
            seconds[jobs] = time.perf_counter() - start
            results[jobs] = cohort
    one, many = results[1], results[cores]
    for name in one.tables:
        pd.testing.assert_frame_equal(one.tables[name], many.tables[name])
    counts = many.manifest["counts"]
    print(
        f"imported {counts['runners']:,} runners, {counts['sessions']:,} sessions, {counts['injuries']:,} "
        f"injuries ({counts['runners_skipped']} left out); the tables are equal with 1 and {cores} workers"
    )
    print(f"{'workers':>8}{'seconds':>10}{'runners/s':>11}{'sessions/s':>12}{'speed-up':>10}")
    for jobs, s in seconds.items():
        rates = f"{counts['runners'] / s:>11.0f}{counts['sessions'] / s:>12,.0f}"
        print(f"{jobs:>8}{s:>10.1f}{rates}{seconds[1] / s:>10.2f}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2
    print(f"peak RSS of the importing process: {peak:.2f} GiB (workers are processes of their own)")


if __name__ == "__main__":
    main()
