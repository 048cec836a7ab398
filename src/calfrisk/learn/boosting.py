"""Gradient-boosted trees for calfrisk's default model: XGBoost's histogram booster, log-odds out.

Measured on calfrisk's own weighted case-control sample (``benchmarks/bench_boosters.py``), XGBoost
fits the default model's 400 stumps about 1.9x faster than scikit-learn's
``HistGradientBoostingClassifier`` at the same ROC AUC, and its CPU wheel carries its own OpenMP
runtime. :class:`GradientBoostedTrees` wraps it in the scikit-learn contract with what calfrisk needs
beyond ``xgboost.XGBClassifier``:

- ``decision_function`` returns the log-odds, so Platt scaling (``CalibratedClassifierCV``) is
  linear in the booster's raw score and a calibrated model's log-odds stay a sum of per-feature
  terms (:mod:`calfrisk.learn.explain`);
- the starting log-odds is the weighted event rate's, fitted here and passed to XGBoost as a base
  margin, so it is one known number (the compiled model of :mod:`calfrisk.learn.stumps` starts from
  it and reproduces the booster's margins bit for bit);
- ``monotone_constraints`` may name feature columns (a mapping), as the train config does;
- the fit is deterministic: the same rows give the same trees whatever the number of threads.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

__all__ = ["GradientBoostedTrees"]


class GradientBoostedTrees(ClassifierMixin, BaseEstimator):
    """Binary gradient boosting by XGBoost (``tree_method="hist"``) with a log-odds decision function.

    Parameters keep XGBoost's names and meanings.

    Parameters
    ----------
    n_estimators : int, default=400
        Boosting rounds (trees).
    learning_rate : float, default=0.2
    max_depth : int, default=1
        Depth of each tree; 1 (stumps) makes the model additive in its features.
    min_child_weight : float, default=1.0
        Least Hessian weight a leaf holds. With case-control weights this is on the full cohort's
        scale: about the number of expected events in the leaf, whatever the sampling rate.
    reg_lambda : float, default=1.0
        L2 penalty on leaf values.
    reg_alpha : float, default=0.0
        L1 penalty on leaf values.
    gamma : float, default=0.0
        Least loss reduction a split must bring.
    subsample : float, default=1.0
        Share of rows each tree sees (drawn with ``random_state``).
    colsample_bytree : float, default=1.0
        Share of features each tree may split.
    max_bin : int, default=256
        Histogram bins per feature.
    monotone_constraints : mapping of str to int, sequence of int or None, default=None
        Direction of each feature's effect (1: more raises the risk, -1: lowers it, 0: free), by
        column name (fit on a DataFrame) or in column order.
    n_jobs : int or None, default=None
        Threads; None uses every core. The trees do not depend on it.
    random_state : int, default=0

    Attributes
    ----------
    estimator_ : xgboost.XGBClassifier
        The fitted booster.
    intercept_ : float
        Log-odds of the weighted event rate; every row's raw score starts from it.
    classes_ : ndarray of shape (2,)
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Only when fitted on a DataFrame.

    Examples
    --------
    >>> import numpy as np
    >>> from calfrisk.learn.boosting import GradientBoostedTrees
    >>> rng = np.random.default_rng(0)
    >>> X = rng.normal(size=(2000, 3))
    >>> y = (rng.random(2000) < 1 / (1 + np.exp(2 - X[:, 0]))).astype(int)
    >>> model = GradientBoostedTrees(n_estimators=50).fit(X, y)
    >>> bool(np.allclose(model.predict_proba(X)[:, 1], 1 / (1 + np.exp(-model.decision_function(X)))))
    True
    """

    def __init__(
        self,
        *,
        n_estimators=400,
        learning_rate=0.2,
        max_depth=1,
        min_child_weight=1.0,
        reg_lambda=1.0,
        reg_alpha=0.0,
        gamma=0.0,
        subsample=1.0,
        colsample_bytree=1.0,
        max_bin=256,
        monotone_constraints=None,
        n_jobs=None,
        random_state=0,
    ):
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.max_depth = max_depth
        self.min_child_weight = min_child_weight
        self.reg_lambda = reg_lambda
        self.reg_alpha = reg_alpha
        self.gamma = gamma
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.max_bin = max_bin
        self.monotone_constraints = monotone_constraints
        self.n_jobs = n_jobs
        self.random_state = random_state

    def _constraints(self) -> tuple[int, ...] | None:
        given = self.monotone_constraints
        if given is None:
            return None
        if isinstance(given, Mapping):
            names = getattr(self, "feature_names_in_", None)
            if names is None:
                raise ValueError("monotone_constraints by name needs X as a DataFrame with column names")
            unknown = sorted(set(given) - set(names))
            if unknown:
                raise ValueError(f"monotone_constraints: {unknown[0]!r} is not a feature column")
            values = [given.get(name, 0) for name in names]
        else:
            values = list(given)
            if len(values) != self.n_features_in_:
                raise ValueError(
                    f"monotone_constraints: {len(values)} values for {self.n_features_in_} features"
                )
        if any(v not in (-1, 0, 1) for v in values):
            raise ValueError("monotone_constraints: each value is -1, 0 or 1")
        return tuple(int(v) for v in values)

    def fit(
        self, X: pd.DataFrame | np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None
    ) -> GradientBoostedTrees:
        """Fit the trees from the weighted event rate's log-odds.

        Parameters
        ----------
        X : DataFrame or array of shape (n_rows, n_features)
            Features; missing values (NaN) take the side each split learns for them.
        y : array of shape (n_rows,)
            Two classes; the greater is the event.
        sample_weight : array of shape (n_rows,), optional
            Row weights (a case-control sample's inverse inclusion probabilities).
        """
        from xgboost import XGBClassifier

        X, y = validate_data(self, X, y, ensure_all_finite=False, dtype=np.float64)
        check_classification_targets(y)
        self.classes_, encoded = np.unique(y, return_inverse=True)
        if len(self.classes_) != 2:
            raise ValueError(f"Only binary classification is supported. Got {len(self.classes_)} classes.")
        weight = np.ones(len(y))
        if sample_weight is not None:
            weight = np.asarray(sample_weight, dtype=np.float64).reshape(-1)
            if weight.shape != (len(y),) or not np.isfinite(weight).all() or (weight < 0).any():
                raise ValueError(f"sample_weight: {len(y)} finite, non-negative weights expected")
        total = float(np.sum(weight))
        rate = float(np.sum(weight * encoded)) / total if total > 0 else 0.0
        if not 0.0 < rate < 1.0:
            raise ValueError("sample_weight: each class needs a non-zero total weight")
        self.intercept_ = float(np.log(rate / (1.0 - rate)))
        self.estimator_ = XGBClassifier(
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            max_depth=self.max_depth,
            min_child_weight=self.min_child_weight,
            reg_lambda=self.reg_lambda,
            reg_alpha=self.reg_alpha,
            gamma=self.gamma,
            subsample=self.subsample,
            colsample_bytree=self.colsample_bytree,
            max_bin=self.max_bin,
            monotone_constraints=self._constraints(),
            n_jobs=self.n_jobs,
            random_state=self.random_state,
            tree_method="hist",
            objective="binary:logistic",
            verbosity=0,
        )
        self.estimator_.fit(X, encoded, sample_weight=weight, base_margin=self._base(len(X)))
        return self

    def _base(self, n: int) -> np.ndarray:
        return np.full(n, self.intercept_, dtype=np.float32)

    def decision_function(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        """Raw score of each row: log-odds of the event (XGBoost's margin, float32 values)."""
        check_is_fitted(self, "estimator_")
        X = validate_data(self, X, reset=False, ensure_all_finite=False, dtype=np.float64)
        margin = self.estimator_.predict(X, output_margin=True, base_margin=self._base(len(X)))
        return np.asarray(margin, dtype=np.float64)

    def predict_proba(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        """Probability of each class, ``(n_rows, 2)``."""
        from scipy.special import expit

        p = expit(self.decision_function(X))
        return np.column_stack([1.0 - p, p])

    def predict(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        """The more probable class of each row."""
        check_is_fitted(self, "estimator_")
        return self.classes_[(self.decision_function(X) > 0).astype(int)]

    def trees(self) -> list[dict]:
        """The fitted trees as XGBoost's JSON model schema stores them (``learner.gradient_booster``)."""
        import json

        check_is_fitted(self, "estimator_")
        model = json.loads(bytes(self.estimator_.get_booster().save_raw(raw_format="json")))
        return model["learner"]["gradient_booster"]["model"]["trees"]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # each split learns a side for missing values
        tags.classifier_tags.multi_class = False
        return tags
