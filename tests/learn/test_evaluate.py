"""Evaluation: athlete-disjoint splits, ECE, and the athlete bootstrap."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from calfrisk.learn.evaluate import athlete_bootstrap, expected_calibration_error, held_out_athletes


@settings(max_examples=30, deadline=None)
@given(ids=st.lists(st.integers(0, 30), min_size=4, max_size=200), seed=st.integers(0, 1000))
def test_no_athlete_is_in_both_train_and_test(ids: list[int], seed: int) -> None:
    athletes = np.array(ids)
    if len(np.unique(athletes)) < 2:
        return
    train, test = held_out_athletes(athletes, 0.3, seed)
    assert not set(athletes[train]) & set(athletes[test])
    assert len(train) + len(test) == len(athletes)


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
