"""The estimators keep scikit-learn's contract."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from calfrisk.learn.estimators import BalancedBaggingClassifier, ZoneRuleClassifier


@pytest.mark.slow
@parametrize_with_checks([BalancedBaggingClassifier(n_bags=2, max_iter=5)])
def test_balanced_bagging_passes_scikit_learns_estimator_checks(estimator, check) -> None:
    check(estimator)


def test_zone_rule_follows_the_estimator_contract() -> None:
    from sklearn.base import clone

    rule = ZoneRuleClassifier(feature="week_change", edges=(0.1,))
    assert clone(rule).get_params() == rule.get_params()
    X = pd.DataFrame({"week_change": [0.0, 0.05, 0.2, 0.5] * 50})
    y = np.array([0, 0, 1, 0] * 50)
    assert rule.fit(X, y) is rule
    p = rule.predict_proba(X)[:, 1]
    # Rates shrunk toward the overall 25 %: the flagged zone is riskier than the other.
    assert p[2] > 0.25 > p[0]
    assert rule.predict(X).tolist()[:4] == [0, 0, 1, 1]


def test_balanced_bags_draw_non_events_by_their_weights() -> None:
    # Half the non-events weigh 0 and the rest 1: the bags are those of the rows without them.
    rng = np.random.default_rng(0)
    X = rng.normal(size=(400, 3))
    y = (rng.random(400) < 0.1).astype(int)
    weight = np.where((y == 0) & (np.arange(400) % 2 == 0), 0.0, 1.0)
    weighted = BalancedBaggingClassifier(n_bags=3, max_iter=5).fit(X, y, sample_weight=weight)
    kept = weight > 0
    subset = BalancedBaggingClassifier(n_bags=3, max_iter=5).fit(X[kept], y[kept])
    np.testing.assert_array_equal(weighted.predict_proba(X), subset.predict_proba(X))
    # Unequal weights change the draws.
    uneven = BalancedBaggingClassifier(n_bags=3, max_iter=5).fit(X, y, sample_weight=1.0 + np.arange(400) % 3)
    assert not np.array_equal(uneven.predict_proba(X), subset.predict_proba(X))
    with pytest.raises(ValueError, match="a class has zero total weight"):
        BalancedBaggingClassifier(n_bags=1, max_iter=5).fit(X, y, sample_weight=np.where(y == 1, 1.0, 0.0))
