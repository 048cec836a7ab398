"""Training time against rows: the calibrated gradient boosting and logistic regression.

Simulates a cohort (default 2,000 athletes x 365 days), computes its features and labels, then fits
the configured ``gbm`` and ``logistic`` models on the eligible rows of 25 %, 50 % and 100 % of the
training athletes and prints seconds and rows per second for each, so the growth with data is
visible (linear would keep rows/s flat). Run with ``make bench`` or
``.venv/bin/python -m benchmarks.bench_train [--athletes N]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

from calfrisk.config import load_cohort_config, load_train_config
from calfrisk.learn.estimators import build_model
from calfrisk.learn.evaluate import athlete_folds
from calfrisk.learn.labels import strain_labels
from calfrisk.learn.train import cohort_features
from calfrisk.simulate import simulate_cohort
from calfrisk.tables import load_cohort


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--athletes", type=int, default=2000)
    args = parser.parse_args()
    cfg = load_train_config()
    cohort = load_cohort_config(overrides={"cohort": {"n_athletes": args.athletes}})
    with tempfile.TemporaryDirectory() as tmp:
        simulate_cohort(cohort, Path(tmp) / "c", n_jobs=-1)
        tables, _ = load_cohort(Path(tmp) / "c")
    panel, X, _ = cohort_features(tables)
    labels = strain_labels(tables["truth"], tables["injuries"], cfg.data.horizon_days)
    keep = labels["eligible"].to_numpy()
    X, y = X[keep].reset_index(drop=True), labels["label"].to_numpy()[keep]
    athletes = panel["athlete_id"].to_numpy()[keep]
    ids = np.unique(athletes)
    print(f"training time: {args.athletes:,}-athlete cohort, {len(y):,} eligible athlete-days")
    print(f"  {'model':10s} {'share':>6s} {'rows':>10s} {'seconds':>8s} {'rows/s':>10s}")
    for name in ("gbm", "logistic"):
        spec = cfg.models[name]
        for share in (0.25, 0.5, 1.0):
            rows = np.flatnonzero(np.isin(athletes, ids[: int(len(ids) * share)]))
            folds = athlete_folds(athletes[rows], cfg.data.n_folds)
            model = build_model(name, spec.calibration, dict(spec.params), folds)
            start = time.perf_counter()
            model.fit(X.iloc[rows], y[rows])
            seconds = time.perf_counter() - start
            print(f"  {name:10s} {share:6.0%} {len(rows):10,} {seconds:8.1f} {len(rows) / seconds:10,.0f}")


if __name__ == "__main__":
    main()
