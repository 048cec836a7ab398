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


def _world(n: int = 200_000, seed: int = 0):
    """Athletes' days with a known risk ``p``: the oracle's predictions of a simulated world."""
    rng = np.random.default_rng(seed)
    logit = -4.0 + rng.normal(0.0, 1.0, n)
    p = 1 / (1 + np.exp(-logit))
    y = (rng.random(n) < p).astype(int)
    return p, y, np.repeat(np.arange(n // 100), 100), logit, rng


def test_calibration_line_equals_a_weighted_glm() -> None:
    import statsmodels.api as sm

    from calfrisk.learn.evaluate import calibration_line

    _, y, _, logit, rng = _world(50_000)
    w = rng.uniform(0.5, 3.0, len(y))
    skewed = 1 / (1 + np.exp(-(0.3 + 1.6 * logit)))  # too extreme, and too low on average
    intercept, slope = calibration_line(y, skewed, sample_weight=w)
    x = np.log(skewed / (1 - skewed))
    family = sm.families.Binomial()
    fit = sm.GLM(y, sm.add_constant(x), family=family, var_weights=w).fit()
    offset = sm.GLM(y, np.ones((len(y), 1)), family=family, offset=x, var_weights=w).fit()
    assert slope == pytest.approx(fit.params[1], abs=1e-8)
    assert intercept == pytest.approx(offset.params[0], abs=1e-8)
    # The truth is logit = (x - 0.3) / 1.6: a slope near 1 / 1.6 (about 1,300 events: +-0.1), and
    # risks predicted too low on average (x is near -6 where the truth is near -4): a > 0.
    assert slope == pytest.approx(1 / 1.6, abs=0.1) and intercept > 0.5


def test_a_constant_prediction_has_no_slope() -> None:
    from calfrisk.learn.evaluate import calibration_line

    y = np.array([0, 0, 1, 0])
    intercept, slope = calibration_line(y, np.full(4, 0.25))
    assert intercept == pytest.approx(0.0, abs=1e-9) and np.isnan(slope)


def test_skills_against_the_oracle_mean_what_they_say() -> None:
    # The oracle against itself scores 1; a coin flip scores about 0 on the AUC skill, and the base
    # rate 0 on the log-loss skill; the plain AUC ratio gives the coin flip about 0.6.
    p, y, athletes, logit, rng = _world()
    rate = np.full(len(p), y.mean())
    coin = rng.uniform(0, 0.04, len(p))
    half = 1 / (1 + np.exp(-(-4.0 + 0.5 * (logit + 4.0))))  # the oracle's ranking, risks too timid
    noisy = 1 / (1 + np.exp(-(logit + rng.normal(0.0, 1.0, len(p)))))  # half the signal's variance
    predictions = {"oracle": p, "rate": rate, "coin": coin, "half": half, "noisy": noisy}
    boot = athlete_bootstrap(y, predictions, athletes, n_boot=40, relative_to="oracle")
    value = boot.set_index(["model", "metric"])["estimate"]
    interval = boot.set_index(["model", "metric"])[["low", "high"]]
    assert value["oracle", "roc_auc_skill"] == 1.0 and value["oracle", "log_loss_skill"] == 1.0
    assert abs(value["coin", "roc_auc_skill"]) < 0.03
    low, high = interval.loc[("coin", "roc_auc_skill")]
    assert low < 0 < high  # a coin flip's skill is indistinguishable from 0
    assert value["coin", "roc_auc_fraction"] > 0.6
    assert value["rate", "log_loss_skill"] == pytest.approx(0.0, abs=1e-9)
    assert 0.2 < value["noisy", "roc_auc_skill"] < 0.8 and value["noisy", "log_loss_skill"] < 1
    # The AUC sees only the ranking: "half" ranks as the oracle does, its log loss does not.
    assert value["half", "roc_auc_skill"] == 1.0 and value["half", "log_loss_skill"] < 0.95
    # The oracle is calibrated: intercept 0 and slope 1 inside their intervals.
    for metric, ideal in (("calibration_intercept", 0.0), ("calibration_slope", 1.0)):
        low, high = interval.loc[("oracle", metric)]
        assert low < ideal < high, metric
    # "half" is too timid: its slope is near 2.
    assert value["half", "calibration_slope"] == pytest.approx(2.0, rel=0.15)


def test_top_decile_and_net_benefit() -> None:
    p, y, athletes, _, _ = _world()
    boot = athlete_bootstrap(y, {"oracle": p}, athletes, n_boot=5)
    value = boot.set_index(["model", "metric"])["estimate"]
    top = p >= np.quantile(p, 0.9, method="inverted_cdf")
    assert value["oracle", "top_decile_observed"] == pytest.approx(y[top].mean())
    assert value["oracle", "top_decile_predicted"] == pytest.approx(p[top].mean())
    cut = np.quantile(p, 0.95, method="inverted_cdf")
    flagged = p >= cut
    expected = (np.sum(y[flagged]) - np.sum(1 - y[flagged]) * cut / (1 - cut)) / len(y)
    assert value["oracle", "net_benefit_top5"] == pytest.approx(expected)
    assert value["oracle", "net_benefit_top5"] > 0  # flagging the riskiest days beats flagging none


def test_a_model_above_the_oracle_stops_the_run() -> None:
    from calfrisk.exceptions import OracleCeilingError
    from calfrisk.learn.train import check_ceiling

    fine = {"roc_auc": 0.70, "ci": {"roc_auc_minus_oracle": [-0.05, 0.01]}}
    leaky = {"roc_auc": 0.93, "ci": {"roc_auc_minus_oracle": [0.10, 0.16]}}
    check_ceiling({"models": {"gbm": fine}, "oracle": {"roc_auc": 0.75}})
    check_ceiling({"models": {"gbm": leaky}})  # no oracle, nothing to check against
    with pytest.raises(OracleCeilingError, match=r"leak: ROC AUC 0.9300 is above the oracle's 0.7500") as err:
        check_ceiling({"models": {"gbm": fine, "leak": leaky}, "oracle": {"roc_auc": 0.75}})
    assert "gbm" not in str(err.value) and err.value.exit_code == 1


def test_one_step_resample_fits_match_converged_ones() -> None:
    # Each resample's calibration fits are one Newton step from the full data's (Andrews 2002); the
    # intervals match those of fits run to convergence on the same resamples.
    from calfrisk.learn.evaluate import calibration_line

    _, y, athletes, logit, _ = _world(60_000, seed=3)
    model = 1 / (1 + np.exp(-(0.2 + 1.3 * logit)))
    n_boot = 60
    boot = athlete_bootstrap(y, {"m": model}, athletes, n_boot=n_boot, random_state=5)
    codes = athletes  # already 0..n-1
    draws = np.random.default_rng(5)
    converged = []
    for _ in range(n_boot):
        counts = np.bincount(draws.integers(0, codes.max() + 1, codes.max() + 1), minlength=codes.max() + 1)
        converged.append(calibration_line(y, model, sample_weight=counts[codes].astype(float)))
    converged = np.array(converged)
    table = boot.set_index("metric")
    for column, metric in enumerate(("calibration_intercept", "calibration_slope")):
        low, high = np.percentile(converged[:, column], [2.5, 97.5])
        width = high - low
        assert table.loc[metric, "low"] == pytest.approx(low, abs=0.05 * width), metric
        assert table.loc[metric, "high"] == pytest.approx(high, abs=0.05 * width), metric


def test_paired_differences_against_a_model() -> None:
    p, y, athletes, logit, rng = _world(seed=8)
    worse = 1 / (1 + np.exp(-(logit + rng.normal(0.0, 1.5, len(p)))))
    boot = athlete_bootstrap(y, {"gbm": p, "worse": worse}, athletes, n_boot=40, against="gbm")
    table = boot.set_index(["model", "metric"])
    difference = table.loc[("worse", "roc_auc_minus_gbm")]
    auc = table["estimate"]
    assert difference["estimate"] == pytest.approx(auc["worse", "roc_auc"] - auc["gbm", "roc_auc"])
    assert difference["high"] < 0  # clearly worse, and the paired interval says so
    assert ("gbm", "roc_auc_minus_gbm") not in table.index
