"""End to end at scale: real-rate cohorts of 100,000 and 1,000,000 runners, streamed and sampled.

For each size, in a fresh process: simulate N runners x D days at the real injury rate
(``injury.enrichment: 1``), then train the calibrated gradient boosting on the streamed,
case-control sample (every positive eligible day, 2 % of the negatives, at most 500,000 training
and 200,000 test rows), and evaluate it with the oracle on the sampled test days. Prints each
stage's wall time, runner-days per second, and the peak resident memory of the process (and, with
Dask, of its largest worker), then checks the targets of the streamed pipeline:

- peak RSS at 1,000,000 runners under 8 GiB, and at most 1.3x that at 100,000 (memory flat in N);
- the Dask engine (a local cluster, one worker per core) within 1.3x of threads, same size.

Run ``.venv/bin/python -m benchmarks.bench_scale [--sizes 100000,1000000] [--days 365]
[--dask-sizes 100000]``; the 1,000,000-runner run takes about a quarter of an hour on 2 cores and
writes ~5 GB to a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

#: The benchmark's training settings: the gradient boosting alone, on bounded samples.
TRAIN = {
    "sampling": {
        "train": {"negative_rate": 0.02, "max_rows": 500_000},
        "test": {"negative_rate": 0.02, "max_rows": 200_000},
    },
    "latent": [],
    "evaluation": {"n_boot": 50},
}
GIB = 2**30


def _peak_rss_bytes(who: int) -> int:
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(who).ru_maxrss * 1024


def run_one(n: int, days: int, engine: str, folder: Path) -> dict[str, float]:
    """Simulate and train one size in this process; the stage timings and peak memory."""
    from calfrisk.config import load_cohort_config, load_train_config
    from calfrisk.engine import open_engine
    from calfrisk.learn.train import train_models
    from calfrisk.simulate import simulate_cohort
    from calfrisk.tables import open_cohort

    cohort = load_cohort_config(
        overrides={"cohort": {"n_athletes": n, "n_days": days}, "injury": {"enrichment": 1.0}}
    )
    cfg = load_train_config(overrides=TRAIN)
    out: dict[str, float] = {"runner_days": n * days}
    with open_engine(engine, n_jobs=-1) as tasks:
        start = time.perf_counter()
        summary = simulate_cohort(cohort, folder / "cohort", engine=tasks)
        out["simulate_s"] = time.perf_counter() - start
        result = train_models(
            open_cohort(folder / "cohort"), cfg, cohort=cohort, models=["gbm"], engine=tasks
        )
    out["strains"] = summary.strains
    timing = result.timings
    out.update(
        features_and_sampling_s=timing["features_s"],
        fit_gbm_s=timing["fit_gbm_s"],
        oracle_s=timing["oracle_s"],
        train_total_s=timing["total_s"],
        train_rows=result.metrics["n_train_rows"],
        test_rows=result.metrics["n_test_rows"],
        train_positive_days=result.metrics["sampling"]["train"]["positive_days"],
        train_eligible_days=result.metrics["sampling"]["train"]["eligible_days"],
        thinning=result.metrics["sampling"]["train"]["thinning"],
        roc_auc=result.metrics["models"]["gbm"]["roc_auc"],
        oracle_roc_auc=result.metrics["oracle"]["roc_auc"],
        peak_rss=_peak_rss_bytes(resource.RUSAGE_SELF),
        # Worker processes (a local Dask cluster) are children: their largest peak.
        peak_rss_workers=_peak_rss_bytes(resource.RUSAGE_CHILDREN),
    )
    return out


def _measure(n: int, days: int, engine: str) -> dict[str, float]:
    """:func:`run_one` in a fresh process, so each peak RSS is that size's own."""
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, "-m", "benchmarks.bench_scale", "--run", str(n), "--days", str(days)]
        done = subprocess.run(
            [*command, "--engine", engine, "--folder", tmp], capture_output=True, text=True, check=False
        )
    if done.returncode != 0:
        raise SystemExit(f"{n:,} runners ({engine}) failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _row(n: int, engine: str, r: dict[str, float]) -> str:
    total = r["simulate_s"] + r["train_total_s"]
    workers = f"{r['peak_rss_workers'] / GIB:7.2f}" if engine == "dask" else f"{'-':>7s}"
    return (
        f"  {n:>9,} {engine:7s} {r['simulate_s']:8.1f} {r['features_and_sampling_s']:9.1f} "
        f"{r['fit_gbm_s']:6.1f} {r['oracle_s']:7.1f} {total:8.1f} {r['runner_days'] / total / 1e6:7.2f} "
        f"{r['peak_rss'] / GIB:6.2f} {workers} {r['train_rows']:9,} "
        f"{r['train_positive_days']:8,} {r['roc_auc']:6.3f} {r['oracle_roc_auc']:6.3f}"
    )


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument(
        "--dask-sizes", default="100000", help="Sizes also run with --engine dask ('' for none)."
    )
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--run", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--engine", default="threads", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        print(json.dumps(run_one(args.run, args.days, args.engine, Path(args.folder))))
        return
    sizes = [int(s) for s in args.sizes.split(",") if s]
    dask_sizes = [int(s) for s in args.dask_sizes.split(",") if s]
    print(f"end to end at the real rate: N runners x {args.days} days, gbm on the case-control sample")
    print(
        f"  {'runners':>9s} {'engine':7s} {'sim s':>8s} {'feat+smp':>9s} {'fit s':>6s} {'oracle':>7s} "
        f"{'total s':>8s} {'M rd/s':>7s} {'RSS GiB':>6s} {'workers':>7s} {'train rows':>9s} "
        f"{'pos days':>8s} {'AUC':>6s} {'oracle':>6s}"
    )
    results: dict[tuple[int, str], dict[str, float]] = {}
    for n in sizes:
        for engine in ("threads", "dask") if n in dask_sizes else ("threads",):
            results[n, engine] = r = _measure(n, args.days, engine)
            print(_row(n, engine, r), flush=True)
    print("targets")
    if (1_000_000, "threads") in results:
        peak = results[1_000_000, "threads"]["peak_rss"]
        verdict = "PASS" if peak < 8 * GIB else "FAIL"
        print(f"  peak RSS at 1,000,000 runners {peak / GIB:.2f} GiB < 8 GiB: {verdict}")
        if (100_000, "threads") in results:
            ratio = peak / results[100_000, "threads"]["peak_rss"]
            print(
                f"  peak RSS 1,000,000 / 100,000 = {ratio:.2f} <= 1.3: {'PASS' if ratio <= 1.3 else 'FAIL'}"
            )
    for n in dask_sizes:
        if (n, "dask") in results and (n, "threads") in results:
            a, b = results[n, "threads"], results[n, "dask"]
            ratio = (b["simulate_s"] + b["train_total_s"]) / (a["simulate_s"] + a["train_total_s"])
            same = a["roc_auc"] == b["roc_auc"]
            verdict = "PASS" if ratio <= 1.3 else "FAIL"
            print(f"  dask / threads at {n:,} runners: {ratio:.2f}x <= 1.3: {verdict} (same ROC AUC: {same})")


if __name__ == "__main__":
    main()
