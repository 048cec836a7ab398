"""Where more training rows stop helping: test ROC AUC against the size of the case-control sample.

Simulates a real-rate cohort (default 200,000 runners x 365 days), streams it once into a training
sample (every positive eligible day, 2 % of the negatives, at most ``--max-rows``) and a test
sample, then thins the training sample to smaller bounds (the nested samples ``max_rows`` would
have kept: the rows with the smallest keys, their weights grown to match) and fits the calibrated
gradient boosting on each. Prints, per size, the rows and positive days fitted, the weighted test
ROC AUC with its athlete-bootstrap interval, and its chance-corrected share of the oracle's,
(AUC - 0.5) / (AUC_oracle - 0.5), all on the same test days, so the curve's steps are comparable
with the intervals.

Run ``.venv/bin/python -m benchmarks.bench_sample_size [--athletes N] [--max-rows M]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--athletes", type=int, default=200_000)
    parser.add_argument("--max-rows", type=int, default=1_600_000)
    parser.add_argument("--steps", type=int, default=7, help="Sizes, each half the one before.")
    args = parser.parse_args()

    from calfrisk.config import load_cohort_config, load_train_config
    from calfrisk.learn.estimators import build_model
    from calfrisk.learn.evaluate import athlete_bootstrap, athlete_folds
    from calfrisk.learn.sampling import BoundedSample, SamplingRates
    from calfrisk.learn.stream import sample_days
    from calfrisk.learn.train import oracle_column
    from calfrisk.simulate import simulate_cohort
    from calfrisk.tables import open_cohort

    cohort = load_cohort_config(
        overrides={"cohort": {"n_athletes": args.athletes}, "injury": {"enrichment": 1.0}}
    )
    cfg = load_train_config(
        overrides={
            "sampling": {
                "train": {"negative_rate": 0.02, "max_rows": args.max_rows},
                "test": {"negative_rate": 0.02, "max_rows": 400_000},
            },
            "evaluation": {"n_boot": 100},
        }
    )
    with tempfile.TemporaryDirectory() as tmp:
        simulate_cohort(cohort, Path(tmp) / "cohort", n_jobs=-1)
        sample = sample_days(open_cohort(Path(tmp) / "cohort"), cfg, n_jobs=-1)
    test = sample.test
    oracle = oracle_column(test, cohort, cfg)
    yt, wt = test["label"].to_numpy(), test["weight"].to_numpy()
    spec = cfg.models["gbm"]
    runners = len(np.unique(test["athlete_id"]))
    print(
        f"sample size: {args.athletes:,} runners x 365 days at the real rate; "
        f"test {len(test):,} rows ({int(yt.sum()):,} positive) of {runners:,} runners"
    )
    columns = (
        ("rows", 9),
        ("positive", 9),
        ("fit s", 6),
        ("ROC AUC", 8),
        ("95 % interval", 16),
        ("of oracle", 9),
    )
    print("  " + " ".join(f"{name:>{width}s}" for name, width in columns))
    rates = SamplingRates(negative=0.02)
    bounds = [args.max_rows // 2**k for k in reversed(range(args.steps))]
    for bound in bounds:
        thinned = BoundedSample(rates, bound)
        thinned.add(sample.train.drop(columns="weight"))
        train = thinned.result()
        X, y, w = train[sample.features], train["label"].to_numpy(), train["weight"].to_numpy()
        folds = athlete_folds(train["athlete_id"].to_numpy(), cfg.data.n_folds)
        model = build_model("gbm", spec.calibration, dict(spec.params), folds)
        start = time.perf_counter()
        model.fit(X, y, sample_weight=w)
        seconds = time.perf_counter() - start
        p = model.predict_proba(test[sample.features])[:, 1]
        boot = athlete_bootstrap(
            yt,
            {"gbm": p, "oracle": oracle},
            test["athlete_id"].to_numpy(),
            n_boot=cfg.evaluation.n_boot,
            sample_weight=wt,
        ).set_index(["model", "metric"])
        auc = boot.loc[("gbm", "roc_auc")]
        oracle_auc = boot.loc[("oracle", "roc_auc"), "estimate"]
        skill = (auc["estimate"] - 0.5) / (oracle_auc - 0.5)
        print(
            f"  {len(y):9,} {int(y.sum()):9,} {seconds:6.1f} {auc['estimate']:8.4f} "
            f"  [{auc['low']:.4f}, {auc['high']:.4f}] {skill:9.3f}",
            flush=True,
        )
    print(f"  oracle ROC AUC on the same days: {oracle_auc:.4f}")


if __name__ == "__main__":
    main()
