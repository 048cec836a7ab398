"""The default model as ``calfrisk predict`` loads it: Platt-calibrated boosted stumps as arrays.

Unpickling the fitted pipeline imports XGBoost and scikit-learn's calibration machinery and
rebuilds a booster per calibration fold; ``predict``'s cold-start budget has no room for that. The
default model needs none of it: it is a ``CalibratedClassifierCV`` (sigmoid, one calibrated booster
per athlete-grouped fold) over stumps, and a stump is a feature, a threshold, the side missing
values take and two leaf values. :func:`compile_classifier` reads those from the fitted model;
:class:`StumpEnsemble` computes the same probabilities in the same floating-point order (XGBoost's:
features and sums in single precision, from the booster's starting log-odds), so they are equal bit
for bit (the tests check it), and the exact contributions of :mod:`calfrisk.learn.explain` come from
the same arrays.

:func:`calfrisk.predict.persist.save_model` stores this form when the model allows it (stumps, sigmoid
calibration, two classes) and the fitted pipeline otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin

from calfrisk.exceptions import NotAdditiveError
from calfrisk.learn.sklearn_compat import is_sigmoid_calibrator

__all__ = ["StumpEnsemble", "StumpFold", "compile_classifier", "stump_fold"]


@dataclass(frozen=True)
class StumpFold:
    """One calibrated booster of stumps, tree by tree in boosting order.

    Attributes
    ----------
    baseline : float
        The booster's initial raw score (log-odds).
    feature : ndarray of int
        Feature index each tree splits; -1 for a tree that is a single leaf (``left`` holds it).
    threshold : ndarray of float
        A value goes left when ``value <= threshold`` (compared in single precision when
        ``single`` is set).
    missing_left : ndarray of bool
        Whether a missing value goes left.
    left, right : ndarray of float
        Leaf values, raw-score scale.
    mean : ndarray of float
        Each tree's leaf value averaged over its training cover (exact contributions centre on it).
    slope, intercept : float
        Platt scaling as scikit-learn fits it: ``p = 1 / (1 + exp(slope * raw + intercept))``.
    single : bool
        Features, leaf values and the raw score's running sum are single precision (XGBoost);
        False for the double-precision folds of model files written before calfrisk used XGBoost.
    """

    baseline: float
    feature: np.ndarray
    threshold: np.ndarray
    missing_left: np.ndarray
    left: np.ndarray
    right: np.ndarray
    mean: np.ndarray
    slope: float
    intercept: float
    single: bool = False

    def values(self, X: np.ndarray) -> np.ndarray:
        """The feature values the trees compare: ``X`` in the booster's precision."""
        return X.astype(np.float32) if self.single else X

    def decision(self, X: np.ndarray) -> np.ndarray:
        """The booster's raw score of each row, summed tree by tree as the booster sums it."""
        dtype = np.float32 if self.single else np.float64
        X = self.values(X)
        raw = np.zeros(X.shape[0], dtype=dtype)
        raw += dtype(self.baseline)
        left, right = self.left.astype(dtype), self.right.astype(dtype)
        for k, j in enumerate(self.feature):
            if j < 0:
                raw += left[k]
                continue
            x = X[:, j]
            side = np.where(np.isnan(x), self.missing_left[k], x <= self.threshold[k])
            raw += np.where(side, left[k], right[k])
        return raw.astype(np.float64)

    def positive_proba(self, X: np.ndarray) -> np.ndarray:
        """Platt-calibrated probability of the positive class."""
        from scipy.special import expit

        return expit(-(self.slope * self.decision(X) + self.intercept))


def stump_fold(booster: object, slope: float = -1.0, intercept: float = 0.0) -> StumpFold:
    """The stumps of a fitted :class:`~calfrisk.learn.boosting.GradientBoostedTrees` as a :class:`StumpFold`.

    The default slope and intercept leave the raw score uncalibrated (``p = expit(raw)``). Each
    tree's cover is its Hessian weight, as XGBoost's own contributions take it.

    Raises
    ------
    calfrisk.exceptions.NotAdditiveError
        If a tree has more than one split or splits a categorical feature.
    """
    feature, threshold, missing_left, left_v, right_v, mean_v = [], [], [], [], [], []
    for tree in booster.trees():
        children, value = tree["left_children"], np.asarray(tree["split_conditions"], dtype=np.float32)
        if children[0] == -1:  # a tree that found no split: one leaf for every row
            for column, item in zip(
                (feature, threshold, missing_left, left_v, right_v, mean_v),
                (-1, np.nan, False, value[0], value[0], value[0]),
                strict=True,
            ):
                column.append(item)
            continue
        left, right = children[0], tree["right_children"][0]
        if len(children) != 3 or tree["split_type"][0] != 0:
            raise NotAdditiveError("gradient boosting with trees deeper than one split (max_depth > 1)")
        cover = np.asarray(tree["sum_hessian"], dtype=np.float64)
        feature.append(int(tree["split_indices"][0]))
        # XGBoost sends a value left when value < threshold: the same as <= the float below it.
        threshold.append(np.nextafter(value[0], np.float32(-np.inf)))
        missing_left.append(bool(tree["default_left"][0]))
        left_v.append(value[left])
        right_v.append(value[right])
        weights = cover[[left, right]]
        mean_v.append(float(weights @ value[[left, right]].astype(np.float64)) / float(weights.sum()))
    return StumpFold(
        baseline=float(np.float32(booster.intercept_)),
        feature=np.asarray(feature, dtype=np.intp),
        threshold=np.asarray(threshold, dtype=float),
        missing_left=np.asarray(missing_left, dtype=bool),
        left=np.asarray(left_v, dtype=float),
        right=np.asarray(right_v, dtype=float),
        mean=np.asarray(mean_v, dtype=float),
        slope=float(slope),
        intercept=float(intercept),
        single=True,
    )


class StumpEnsemble(ClassifierMixin, BaseEstimator):
    """Calibrated stump boosters averaged, as ``CalibratedClassifierCV(ensemble=True)`` averages them.

    Made from a fitted model by :func:`compile_classifier`, never fitted itself.

    Attributes
    ----------
    folds_ : list of StumpFold
        One calibrated booster per calibration fold.
    classes_ : ndarray
        The two classes.
    n_features_in_ : int
        Number of features.
    feature_names_in_ : ndarray of str
        The feature columns, in order (when the model was fitted on named columns).
    """

    def fit(self, X: object, y: object = None) -> StumpEnsemble:
        """Not supported: train a pipeline and compile it (:func:`compile_classifier`)."""
        raise TypeError("StumpEnsemble is made from a fitted model by compile_classifier")

    def predict_proba(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        """Probabilities of both classes, ``(n_rows, 2)``: those of the model it was compiled from."""
        if isinstance(X, pd.DataFrame):
            names = getattr(self, "feature_names_in_", None)
            if names is not None and list(X.columns) != list(names):
                raise ValueError("feature columns differ from those the model was trained on")
            X = X.to_numpy(dtype=float)
        values = np.asarray(X, dtype=float)
        if values.ndim != 2 or values.shape[1] != self.n_features_in_:
            raise ValueError(f"expected {self.n_features_in_} feature columns, got shape {values.shape}")
        mean = np.zeros((values.shape[0], len(self.classes_)))
        for fold in self.folds_:
            proba = np.zeros((values.shape[0], 2))
            proba[:, 1] = fold.positive_proba(values)
            proba[:, 0] = 1.0 - proba[:, 1]
            proba[(proba > 1.0) & (proba <= 1.0 + 1e-5)] = 1.0  # as scikit-learn does
            mean += proba
        mean /= len(self.folds_)
        return mean

    def predict(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        """The more probable class of each row."""
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def compile_classifier(classifier: object) -> StumpEnsemble | None:
    """The :class:`StumpEnsemble` of a fitted classifier, or None when it is not one.

    Parameters
    ----------
    classifier : estimator
        A fitted ``CalibratedClassifierCV`` with sigmoid calibration over
        :class:`~calfrisk.learn.boosting.GradientBoostedTrees` stumps (calfrisk's default ``gbm``).

    Returns
    -------
    StumpEnsemble or None
        None for any other classifier (deeper trees, isotonic calibration, another learner).
    """
    from sklearn.calibration import CalibratedClassifierCV

    from calfrisk.learn.boosting import GradientBoostedTrees

    if not isinstance(classifier, CalibratedClassifierCV) or len(classifier.classes_) != 2:
        return None
    folds = []
    for calibrated in classifier.calibrated_classifiers_:
        booster, calibrators = calibrated.estimator, calibrated.calibrators
        if not isinstance(booster, GradientBoostedTrees) or len(calibrators) != 1:
            return None
        if not is_sigmoid_calibrator(calibrators[0]) or len(booster.classes_) != 2:
            return None
        try:
            folds.append(stump_fold(booster, calibrators[0].a_, calibrators[0].b_))
        except NotAdditiveError:
            return None
    compiled = StumpEnsemble()
    compiled.folds_ = folds
    compiled.classes_ = np.asarray(classifier.classes_)
    compiled.n_features_in_ = classifier.n_features_in_
    if hasattr(classifier, "feature_names_in_"):  # fitted on a DataFrame (scikit-learn's convention)
        compiled.feature_names_in_ = np.asarray(classifier.feature_names_in_, dtype=object)
    return compiled
