"""The booster of the default model: scikit-learn's contract, XGBoost's margins, deterministic fits."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from calfrisk.learn.boosting import GradientBoostedTrees


@parametrize_with_checks([GradientBoostedTrees(n_estimators=10)])
def test_scikit_learn_contract(estimator, check) -> None:
    check(estimator)


@pytest.fixture(scope="module")
def rows():
    rng = np.random.default_rng(7)
    n = 20_000
    X = pd.DataFrame(rng.normal(size=(n, 4)), columns=["load", "age", "noise", "score"])
    X.loc[rng.random(n) < 0.1, "score"] = np.nan
    logit = -3.5 + 0.6 * X["load"] + 0.4 * X["age"] - 0.5 * X["score"].fillna(0.0)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    weight = np.where(y == 1, 1.0, 1.0 + rng.integers(0, 3, n))
    return X, y, weight


def _model_bytes(model: GradientBoostedTrees) -> bytes:
    return bytes(model.estimator_.get_booster().save_raw(raw_format="ubj"))


def test_the_trees_do_not_depend_on_the_number_of_threads(rows) -> None:
    X, y, weight = rows
    one = GradientBoostedTrees(n_estimators=50, n_jobs=1).fit(X, y, sample_weight=weight)
    two = GradientBoostedTrees(n_estimators=50, n_jobs=2).fit(X, y, sample_weight=weight)
    assert _model_bytes(one) == _model_bytes(two)
    np.testing.assert_array_equal(one.decision_function(X), two.decision_function(X))


def test_the_raw_score_starts_from_the_weighted_event_rate(rows) -> None:
    X, y, weight = rows
    model = GradientBoostedTrees(n_estimators=1, learning_rate=1e-9).fit(X, y, sample_weight=weight)
    rate = np.sum(weight * y) / np.sum(weight)
    assert model.intercept_ == pytest.approx(np.log(rate / (1 - rate)), rel=1e-12)
    # With a negligible learning rate the trees add nothing: every row scores the base rate.
    np.testing.assert_allclose(model.predict_proba(X)[:, 1], rate, rtol=1e-6)


def test_weighted_fit_is_calibrated_on_the_weighted_rows(rows) -> None:
    X, y, weight = rows
    p = GradientBoostedTrees(n_estimators=100).fit(X, y, sample_weight=weight).predict_proba(X)[:, 1]
    # In-sample, boosting with a log loss matches the weighted event rate (its score equation).
    assert np.sum(weight * p) / np.sum(weight) == pytest.approx(np.sum(weight * y) / np.sum(weight), rel=0.02)


def test_monotone_constraints_by_name_hold_and_are_checked(rows) -> None:
    X, y, _ = rows
    # "noise" has no effect; held to fall, its stumps may only lower the risk as it rises.
    model = GradientBoostedTrees(n_estimators=60, monotone_constraints={"noise": -1, "score": -1}).fit(X, y)
    grid = pd.DataFrame({"load": 0.0, "age": 0.0, "noise": np.linspace(-4, 4, 200), "score": 0.0})
    assert np.all(np.diff(model.decision_function(grid)) <= 0)
    with pytest.raises(ValueError, match="'speed' is not a feature column"):
        GradientBoostedTrees(monotone_constraints={"speed": 1}).fit(X, y)
    with pytest.raises(ValueError, match="needs X as a DataFrame"):
        GradientBoostedTrees(monotone_constraints={"load": 1}).fit(X.to_numpy(), y)
    with pytest.raises(ValueError, match="2 values for 4 features"):
        GradientBoostedTrees(monotone_constraints=[1, 0]).fit(X, y)
    with pytest.raises(ValueError, match="-1, 0 or 1"):
        GradientBoostedTrees(monotone_constraints={"load": 2}).fit(X, y)


def test_decision_function_is_xgboosts_margin(rows) -> None:
    X, y, _ = rows
    model = GradientBoostedTrees(n_estimators=30, max_depth=2).fit(X, y)
    base = np.full(len(X), model.intercept_)
    margin = model.estimator_.predict(X.to_numpy(), output_margin=True, base_margin=base)
    np.testing.assert_array_equal(model.decision_function(X), margin.astype(np.float64))
    assert len(model.trees()) == 30
