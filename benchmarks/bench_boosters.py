"""The booster's fit on calfrisk's own case-control sample, beside LightGBM and XGBoost.

Simulates a real-rate cohort (default 100,000 runners x 365 days), streams it into the training
and test samples ``calfrisk train`` would use (every positive eligible day, 2 % of the negatives,
at most 700,000 training rows, weighted), then fits the same additive model three ways: the
configured scikit-learn ``HistGradientBoostingClassifier`` (stumps, 400 iterations, learning rate
0.2, 200 rows per leaf, L2 1.0), LightGBM and XGBoost with the same depth, iterations, learning
rate, leaf size and L2 (XGBoost has no rows-per-leaf limit, its ``min_child_weight`` counts
Hessian weight, so it is left at 0), on the same rows and weights, each on every core. Prints each fit's best
of ``--repeats`` wall times, rows per second and weighted test ROC AUC, then the rule the project
follows: another library replaces scikit-learn only if it fits more than 1.3x faster with ROC AUC
within 0.005 (and keeps the compiled model, exact contributions and ``predict``'s cold start,
which this benchmark does not measure).

Needs ``pip install lightgbm xgboost`` (``make bench`` installs them). Run
``.venv/bin/python -m benchmarks.bench_boosters [--athletes N] [--repeats R]``.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import roc_auc_score

#: The configured booster's shape (configs/train.yaml, models.gbm.params), shared by all three.
ITERATIONS, LEARNING_RATE, LEAF_ROWS, L2 = 400, 0.2, 200, 1.0


def _sample(n: int, folder: Path):
    from calfrisk.config import load_cohort_config, load_train_config
    from calfrisk.learn.stream import sample_days
    from calfrisk.simulate import simulate_cohort
    from calfrisk.tables import open_cohort

    cohort = load_cohort_config(overrides={"cohort": {"n_athletes": n}, "injury": {"enrichment": 1.0}})
    simulate_cohort(cohort, folder, n_jobs=-1)
    side = {"negative_rate": 0.02, "max_rows": 700_000}
    cfg = load_train_config(overrides={"sampling": {"train": side, "test": side}})
    return sample_days(open_cohort(folder), cfg, n_jobs=-1)


def _boosters(cores: int) -> dict[str, object]:
    from lightgbm import LGBMClassifier
    from sklearn.ensemble import HistGradientBoostingClassifier
    from xgboost import XGBClassifier

    return {
        "scikit-learn": HistGradientBoostingClassifier(
            max_iter=ITERATIONS,
            learning_rate=LEARNING_RATE,
            max_depth=1,
            min_samples_leaf=LEAF_ROWS,
            l2_regularization=L2,
            early_stopping=False,
            random_state=0,
        ),
        "LightGBM": LGBMClassifier(
            n_estimators=ITERATIONS,
            learning_rate=LEARNING_RATE,
            max_depth=1,
            num_leaves=2,
            min_child_samples=LEAF_ROWS,
            reg_lambda=L2,
            n_jobs=cores,
            verbose=-1,
            random_state=0,
        ),
        "XGBoost": XGBClassifier(
            n_estimators=ITERATIONS,
            learning_rate=LEARNING_RATE,
            max_depth=1,
            min_child_weight=0.0,
            reg_lambda=L2,
            tree_method="hist",
            n_jobs=cores,
            random_state=0,
        ),
    }


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--athletes", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        sample = _sample(args.athletes, Path(tmp) / "cohort")
    X, y, w = (
        sample.train[sample.features],
        sample.train["label"].to_numpy(),
        sample.train["weight"].to_numpy(),
    )
    Xt, yt, wt = (
        sample.test[sample.features],
        sample.test["label"].to_numpy(),
        sample.test["weight"].to_numpy(),
    )
    cores = os.cpu_count() or 1
    print(
        f"booster fit on calfrisk's sample: {len(y):,} training rows x {X.shape[1]} features "
        f"({int(y.sum()):,} positive), {ITERATIONS} stumps, {cores} cores; test {len(yt):,} rows"
    )
    print(f"  {'library':13s} {'seconds':>8s} {'rows/s':>10s} {'ROC AUC':>8s}")
    results = {}
    for name, model in _boosters(cores).items():
        best = np.inf
        for _ in range(args.repeats):
            start = time.perf_counter()
            model.fit(X, y, sample_weight=w)
            best = min(best, time.perf_counter() - start)
        auc = roc_auc_score(yt, model.predict_proba(Xt)[:, 1], sample_weight=wt)
        results[name] = (best, auc)
        print(f"  {name:13s} {best:8.1f} {len(y) / best:10,.0f} {auc:8.4f}", flush=True)
    base_s, base_auc = results["scikit-learn"]
    for name in ("LightGBM", "XGBoost"):
        seconds, auc = results[name]
        speedup = base_s / seconds
        switch = speedup > 1.3 and abs(auc - base_auc) <= 0.005
        print(
            f"  {name} against scikit-learn: {speedup:.2f}x the speed, ROC AUC {auc - base_auc:+.4f}: "
            f"{'faster by more than 1.3x at equal AUC: worth switching' if switch else 'keep scikit-learn'}"
        )


if __name__ == "__main__":
    main()
