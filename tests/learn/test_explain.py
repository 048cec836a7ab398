"""Exact contributions: they add up to the model's log-odds and agree with XGBoost's and shap's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import CalibratedClassifierCV

from calfrisk.exceptions import NotAdditiveError
from calfrisk.learn.boosting import GradientBoostedTrees
from calfrisk.learn.estimators import gradient_boosting, logistic
from calfrisk.learn.evaluate import athlete_folds
from calfrisk.learn.explain import DRIVER_FACTORS, contributions, factor_contributions
from calfrisk.learn.features import FEATURE_GROUPS, LoadFeatures
from calfrisk.learn.panel import daily_panel


@pytest.fixture(scope="module")
def data(small_tables):
    panel = daily_panel(small_tables["training_log"], small_tables["athletes"], small_tables["injuries"])
    X = LoadFeatures().set_output(transform="pandas").fit_transform(panel)
    # A learnable synthetic target so the trees split on many features.
    rng = np.random.default_rng(0)
    logit = -3 + 1.5 * np.tanh(X["week_change"].to_numpy()) + 0.03 * (X["age"].to_numpy() - 40)
    y = rng.random(len(X)) < 1 / (1 + np.exp(-logit))
    return X, y, panel["athlete_id"].to_numpy()


def _stumps(n: int, **params) -> GradientBoostedTrees:
    return GradientBoostedTrees(max_depth=1, n_estimators=n, **params)


def test_every_feature_belongs_to_exactly_one_factor() -> None:
    features = [f for group in FEATURE_GROUPS.values() for f in group]
    assigned = [f for group in DRIVER_FACTORS.values() for f in group]
    assert sorted(features) == sorted(assigned)


def test_stump_contributions_sum_to_the_raw_score(data) -> None:
    X, y, _ = data
    booster = _stumps(60).fit(X, y)
    att = contributions(booster, X)
    # The booster sums in single precision; the terms are exact sums of the same float32 leaves.
    np.testing.assert_allclose(att.log_odds, booster.decision_function(X), atol=2e-5)


def test_stump_contributions_equal_xgboosts_own(data) -> None:
    import xgboost

    X, y, _ = data
    booster = _stumps(60, monotone_constraints={"age": 1}).fit(X, y)
    rows = X.iloc[::37]
    ours = contributions(booster, rows)
    matrix = xgboost.DMatrix(rows.to_numpy(), base_margin=np.full(len(rows), booster.intercept_))
    theirs = booster.estimator_.get_booster().predict(matrix, pred_contribs=True)
    np.testing.assert_allclose(ours.values.to_numpy(), theirs[:, :-1], atol=1e-5)
    np.testing.assert_allclose(ours.base, theirs[:, -1], atol=1e-5)
    assert (ours.values.abs().sum() > 0).sum() >= 2  # the trees split more than one feature


def test_stump_contributions_equal_shap_tree_explainer(data) -> None:
    shap = pytest.importorskip("shap")
    X, y, _ = data
    booster = _stumps(60).fit(X, y)
    rows = X.iloc[::97]
    ours = contributions(booster, rows)
    theirs = shap.TreeExplainer(booster.estimator_).shap_values(rows.to_numpy())
    np.testing.assert_allclose(ours.values.to_numpy(), theirs, atol=1e-5)


@pytest.mark.slow
def test_calibrated_ensemble_contributions_track_the_calibrated_log_odds(data) -> None:
    X, y, athletes = data
    model = gradient_boosting(athlete_folds(athletes, 3), max_depth=1, n_estimators=40).fit(X, y)
    att = contributions(model, X)
    # Exact: the mean of the folds' calibrated log-odds (up to the booster's single-precision sums).
    fold_logits = []
    for fold in model.calibrated_classifiers_:
        p = fold.predict_proba(X)[:, 1]
        fold_logits.append(np.log(p / (1 - p)))
    np.testing.assert_allclose(att.log_odds, np.mean(fold_logits, axis=0), atol=2e-5)
    # The log-odds of the averaged probability that predict_proba reports lies, like the mean of
    # the folds' log-odds, between the folds' lowest and highest: they differ by less than that span.
    p = model.predict_proba(X)[:, 1]
    span = np.ptp(np.asarray(fold_logits), axis=0)
    assert np.all(np.abs(att.log_odds - np.log(p / (1 - p))) <= span + 1e-9)


def test_logistic_contributions_are_exact(data) -> None:
    X, y, _ = data
    model = logistic(max_iter=500).fit(X, y)
    att = contributions(model, X)
    np.testing.assert_allclose(att.log_odds, model.decision_function(X), atol=1e-8)


def test_factor_contributions_add_up(data) -> None:
    X, y, _ = data
    booster = _stumps(30).fit(X, y)
    att = contributions(booster, X.head(50))
    factors = factor_contributions(att)
    assert list(factors.columns) == list(DRIVER_FACTORS)
    np.testing.assert_allclose(factors.sum(axis=1), att.values.sum(axis=1), atol=1e-12)


@pytest.mark.parametrize(
    "model",
    [
        GradientBoostedTrees(max_depth=3, n_estimators=10),
        CalibratedClassifierCV(GradientBoostedTrees(max_depth=1, n_estimators=10), method="isotonic", cv=2),
    ],
    ids=["deep-trees", "isotonic"],
)
def test_non_additive_models_are_refused_not_approximated(data, model) -> None:
    X, y, _ = data
    model.fit(X, y)
    with pytest.raises(NotAdditiveError):
        contributions(model, X.head(5))


def test_missing_values_follow_the_tree(data) -> None:
    X, y, _ = data
    Xn = X.copy()
    Xn.loc[Xn.index[::5], "week_change"] = np.nan
    booster = _stumps(30).fit(Xn, y)
    att = contributions(booster, Xn)
    np.testing.assert_allclose(att.log_odds, booster.decision_function(Xn), atol=2e-5)
    assert isinstance(att.values, pd.DataFrame)
