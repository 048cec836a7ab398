"""Evaluation: athlete-disjoint splits, ECE, and the athlete bootstrap."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calfrisk.learn.evaluate import (
    athlete_bootstrap,
    expected_calibration_error,
    reliability_table,
    score,
)


@settings(max_examples=30, deadline=None)
@given(
    weights=st.lists(st.integers(1, 4), min_size=20, max_size=120),
    seed=st.integers(0, 1000),
)
def test_integer_weights_score_as_repeated_rows(weights: list[int], seed: int) -> None:
    # A weight of k counts a row k times: the metrics of the weighted rows are those of the rows
    # repeated (ECE too: its bins hold equal weight, as equal-count bins of the repeated rows).
    rng = np.random.default_rng(seed)
    w = np.array(weights, dtype=float)
    p = rng.uniform(0.01, 0.5, len(w))
    y = (rng.random(len(w)) < p).astype(int)
    y[:2] = [0, 1]
    repeated = np.repeat(np.arange(len(w)), w.astype(int))
    weighted, plain = score(y, p, sample_weight=w), score(y[repeated], p[repeated])
    for name in ("roc_auc", "average_precision", "brier", "log_loss"):
        assert weighted[name] == pytest.approx(plain[name], rel=1e-9), name
    table = reliability_table(y, p, 4, sample_weight=w)
    assert table["rows"].sum() == pytest.approx(w.sum())
    assert np.average(table["observed"], weights=table["rows"]) == pytest.approx(np.average(y, weights=w))


def test_weighted_metrics_of_a_sample_estimate_those_of_every_row() -> None:
    # 400,000 rows at a 2 % event rate; every event and 5 % of the others, weighted 1 and 20.
    rng = np.random.default_rng(3)
    p = rng.beta(1, 49, 400_000)
    y = (rng.random(p.size) < p).astype(int)
    kept = (y == 1) | (rng.random(p.size) < 0.05)
    w = np.where(y[kept] == 1, 1.0, 20.0)
    full, sample = score(y, p), score(y[kept], p[kept], sample_weight=w)
    unweighted = score(y[kept], p[kept])
    # ~8,000 events and ~20,000 sampled non-events: AUC and Brier within their sampling error.
    assert sample["roc_auc"] == pytest.approx(full["roc_auc"], abs=0.01)
    assert sample["brier"] == pytest.approx(full["brier"], rel=0.03)
    assert abs(unweighted["brier"] - full["brier"]) > 0.1  # the weights are what makes it work
    assert expected_calibration_error(y[kept], p[kept], sample_weight=w) < 0.004


def test_ece_is_small_for_calibrated_and_large_for_miscalibrated_predictions() -> None:
    rng = np.random.default_rng(0)
    p = rng.uniform(0, 0.1, 200_000)
    y = rng.random(p.size) < p
    # 15 bins of ~13,000 rows: the sampling error of a bin's rate is ~0.002, so ECE of a calibrated
    # model stays near 0.001; doubling every probability moves it to ~0.05.
    assert expected_calibration_error(y, p) < 0.003
    assert expected_calibration_error(y, 2 * p) > 0.03


def test_athlete_bootstrap_intervals_cover_the_estimate() -> None:
    rng = np.random.default_rng(1)
    athletes = np.repeat(np.arange(60), 50)
    p = rng.uniform(0, 0.2, athletes.size)
    y = (rng.random(athletes.size) < p).astype(int)
    table = athlete_bootstrap(y, {"m": p, "ref": p}, athletes, n_boot=100, relative_to="ref")
    for _, row in table.iterrows():
        assert row["low"] <= row["estimate"] <= row["high"]
    fraction = table[(table["model"] == "m") & (table["metric"] == "roc_auc_fraction")].iloc[0]
    assert fraction["estimate"] == 1.0 and fraction["low"] == fraction["high"] == 1.0


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(20, 300), levels=st.integers(2, 50))
def test_bootstrap_metrics_equal_scikit_learns_weighted_metrics(seed: int, n: int, levels: int) -> None:
    from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

    from calfrisk.learn.evaluate import _Ranked

    rng = np.random.default_rng(seed)
    p = rng.integers(0, levels, n) / levels  # ties on purpose
    y = (rng.random(n) < 0.3).astype(int)
    y[:2] = [0, 1]
    w = rng.integers(0, 4, n).astype(float)
    w[:2] = 1.0
    got = _Ranked(y, p, 5).metrics(w)
    assert got["roc_auc"] == pytest.approx(roc_auc_score(y, p, sample_weight=w))
    assert got["average_precision"] == pytest.approx(average_precision_score(y, p, sample_weight=w))
    assert got["brier"] == pytest.approx(brier_score_loss(y, p, sample_weight=w))
