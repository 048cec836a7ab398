"""The power analysis at the issue's size: 200 replicates of 5,000 runners over 365 days, rate models only.

Runs ``calfrisk study``'s power analysis (the library's :func:`calfrisk.study.run.run_study`) on a
design with no sweep and no model training, on the threaded engine with one worker and then with one
per core, and prints the wall time, the time per replicate, the peak memory of this process and the
power it found per effect. The reference in the same run: the full Poisson GLM on every run of a few
of the same replicates, against the case-base estimator the study uses (time per fit, and how far
the estimates and standard errors differ). Target: under 15 minutes on 2 cores.

Run ``.venv/bin/python -m benchmarks.bench_power [--replicates 200] [--runners 5000] [--reference 4]``.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time

import numpy as np


def _study(replicates: int, runners: int, jobs: int) -> tuple[float, dict]:
    from calfrisk.config.study import load_study_design
    from calfrisk.engine import Engine
    from calfrisk.study.run import plan_study, run_study

    design = load_study_design(
        overrides={
            "scenarios": [{"name": "base"}],
            "sweep": None,
            "power": {
                "runners": [runners],
                "days": [365],
                "replicates": replicates,
                "model_auc": {"replicates": 0, "runners": []},
            },
        }
    )
    plan = plan_study(design)
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        result = run_study(plan, f"{tmp}/study", engine=Engine("threads", n_jobs=jobs))
        return time.perf_counter() - start, result.summary


def _reference(runners: int, n: int) -> None:
    from calfrisk.config import load_cohort_config
    from calfrisk.study.power import fit_rate_model, simulate_follow_up
    from calfrisk.study.scenarios import cohort_seed
    from calfrisk.study.transport import with_cohort

    world = load_cohort_config()
    timings = {"simulate": [], "case_base": [], "poisson": []}
    gaps, ratios = [], []
    for r in range(n):
        start = time.perf_counter()
        cohort = simulate_follow_up(with_cohort(world, runners, 365, cohort_seed(20261202, "power", r)))
        timings["simulate"].append(time.perf_counter() - start)
        fits = {}
        for method in ("case_base", "poisson"):
            start = time.perf_counter()
            fits[method] = fit_rate_model(cohort, method)
            timings[method].append(time.perf_counter() - start)
        full = fits["poisson"]
        gaps.append(((fits["case_base"]["estimate"] - full["estimate"]) / full["se"]).abs().max())
        ratios.append((fits["case_base"]["se"] / full["se"]).to_numpy())
    ratios = np.concatenate(ratios)
    print(f"reference, {n} replicates of {runners:,} runners, one thread:")
    for step, values in timings.items():
        print(f"  {step:<10} {np.mean(values):6.2f} s per replicate")
    print(
        f"  case-base against the full Poisson fit: estimates apart by at most {max(gaps):.2f} SE; "
        f"SE ratio {np.median(ratios):.3f} median, {ratios.max():.3f} largest"
    )


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replicates", type=int, default=200)
    parser.add_argument("--runners", type=int, default=5000)
    parser.add_argument("--reference", type=int, default=4, help="Replicates fitted both ways.")
    args = parser.parse_args()
    _reference(args.runners, args.reference)
    for jobs in (1, -1):
        seconds, summary = _study(args.replicates, args.runners, jobs)
        label = "1 worker" if jobs == 1 else "a worker per core"
        print(
            f"study, {args.replicates} replicates x {args.runners:,} runners x 365 days, {label}: "
            f"{seconds:.0f} s ({seconds / args.replicates:.2f} s per replicate)"
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"peak RSS of this process: {peak:.2f} GiB")
    n = str(args.runners)
    print(f"power at {n} runners over a year (share of {args.replicates} replicates, alpha 0.05):")
    for effect, power in summary["power"].items():
        print(f"  {effect:<15} {power[n]:.2f}   coverage {summary['coverage'].get(effect, float('nan')):.2f}")
    print("type I error of the null factors:", ", ".join(f"{f} {r:.3f}" for f, r in summary["type1"].items()))


if __name__ == "__main__":
    main()
