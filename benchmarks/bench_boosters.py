"""The default model's booster on calfrisk's own case-control sample, beside the other libraries.

Simulates a real-rate cohort (default 100,000 runners x 365 days), streams it into the training
and test samples ``calfrisk train`` would use (every positive eligible day, 2 % of the negatives,
at most 700,000 training rows, weighted), then fits the same additive model four ways on the same
rows and weights, each on every core: calfrisk's configured ``gbm`` booster
(:class:`calfrisk.learn.boosting.GradientBoostedTrees`: XGBoost with the train config's parameters,
monotone constraints included) and, with its depth, trees, learning rate and L2,
scikit-learn's ``HistGradientBoostingClassifier`` (200 rows per leaf), LightGBM (200 rows per leaf)
and plain XGBoost (no leaf limit). Prints each fit's best of ``--repeats`` wall times, rows per
second and weighted test ROC AUC, each library's speed against scikit-learn's, and the rule the
project follows: the default booster is the fastest library within 0.005 ROC AUC of the best, if
it beats scikit-learn's by more than 1.3x (the compiled model, exact contributions and
``predict``'s cold start are kept by the tests, not measured here).

Needs LightGBM (``make bench`` installs it). Run
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

#: Rows per leaf for the libraries that count rows (XGBoost counts Hessian weight instead).
LEAF_ROWS = 200


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

    from calfrisk.config import load_train_config
    from calfrisk.learn.boosting import GradientBoostedTrees

    configured = dict(load_train_config().models["gbm"].params, n_jobs=cores)
    shape = ("n_estimators", "learning_rate", "max_depth", "reg_lambda")
    trees, rate, depth, l2 = (configured[k] for k in shape)
    return {
        "calfrisk gbm": GradientBoostedTrees(**configured),
        "scikit-learn": HistGradientBoostingClassifier(
            max_iter=trees,
            learning_rate=rate,
            max_depth=depth,
            min_samples_leaf=LEAF_ROWS,
            l2_regularization=l2,
            early_stopping=False,
            random_state=0,
        ),
        "LightGBM": LGBMClassifier(
            n_estimators=trees,
            learning_rate=rate,
            max_depth=depth,
            num_leaves=2**depth,
            min_child_samples=LEAF_ROWS,
            reg_lambda=l2,
            n_jobs=cores,
            verbose=-1,
            random_state=0,
        ),
        "XGBoost": XGBClassifier(
            n_estimators=trees,
            learning_rate=rate,
            max_depth=depth,
            min_child_weight=0.0,
            reg_lambda=l2,
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
    boosters = _boosters(cores)
    shape = boosters["calfrisk gbm"]
    print(
        f"booster fit on calfrisk's sample: {len(y):,} training rows x {X.shape[1]} features "
        f"({int(y.sum()):,} positive), {shape.n_estimators} trees of depth {shape.max_depth}, "
        f"{cores} cores; test {len(yt):,} rows"
    )
    print(f"  {'library':13s} {'seconds':>8s} {'rows/s':>10s} {'ROC AUC':>8s}")
    results = {}
    for name, model in boosters.items():
        best = np.inf
        for _ in range(args.repeats):
            start = time.perf_counter()
            model.fit(X, y, sample_weight=w)
            best = min(best, time.perf_counter() - start)
        auc = roc_auc_score(yt, model.predict_proba(Xt)[:, 1], sample_weight=wt)
        results[name] = (best, auc)
        print(f"  {name:13s} {best:8.1f} {len(y) / best:10,.0f} {auc:8.4f}", flush=True)
    base_s, base_auc = results["scikit-learn"]
    for name, (seconds, auc) in results.items():
        if name != "scikit-learn":
            gain = f"{base_s / seconds:.2f}x the speed, ROC AUC {auc - base_auc:+.4f}"
            print(f"  {name} against scikit-learn: {gain}")
    best_auc = max(auc for _, auc in results.values())
    libraries = {k: v for k, v in results.items() if k != "calfrisk gbm" and v[1] >= best_auc - 0.005}
    fastest = min(libraries, key=lambda k: libraries[k][0])
    verdict = fastest if base_s / libraries[fastest][0] > 1.3 else "scikit-learn"
    print(f"  the rule's choice: {verdict}; calfrisk's gbm uses XGBoost")


if __name__ == "__main__":
    main()
