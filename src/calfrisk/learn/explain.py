"""Per-prediction contributions: which features, and which risk factors, drive a day's risk.

For the models calfrisk trains by default the log-odds of the risk is a sum of one term per
feature, so exact Shapley values follow from the fitted model itself, in microseconds and without
the shap package (whose import alone costs more than ``calfrisk predict``'s whole start budget):

- gradient boosting with stumps (``max_depth=1``, the default): each tree splits one feature, so a
  feature's SHAP value is the sum, over the trees that split it, of the leaf it reaches minus the
  tree's mean leaf weighted by training cover (Hessian weight). This is what XGBoost's own
  ``pred_contribs`` and ``shap.TreeExplainer`` (``feature_perturbation="tree_path_dependent"``)
  compute; the tests check they agree.
- Platt calibration (scikit-learn's sigmoid) is affine in the booster's log-odds, so the terms are
  scaled by its slope; an ensemble of calibrated folds averages them.
- standardised logistic regression: ``coef * (x - mean) / scale``.

Contributions are on the log-odds scale, relative to the average training day: ``base`` plus the
row's contributions is the (fold-averaged) log-odds of the risk; ``exp(contribution)`` is the factor
by which that feature multiplies the odds. Deeper trees or isotonic calibration are not additive;
:func:`contributions` then raises :class:`~calfrisk.exceptions.NotAdditiveError` rather than
approximate silently.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from calfrisk.exceptions import NotAdditiveError
from calfrisk.factors import RISK_FACTORS
from calfrisk.learn.sklearn_compat import is_sigmoid_calibrator
from calfrisk.learn.stumps import StumpEnsemble, StumpFold, stump_fold

__all__ = ["DRIVER_FACTORS", "Attribution", "contributions", "factor_contributions"]

#: Risk factors a runner can recognise, each with the features that carry it
#: (:data:`calfrisk.factors.RISK_FACTORS`). Every feature of
#: :data:`calfrisk.learn.features.FEATURE_GROUPS` belongs to exactly one factor.
DRIVER_FACTORS: dict[str, tuple[str, ...]] = {f.name: f.features for f in RISK_FACTORS}


@dataclass(frozen=True)
class Attribution:
    """Contributions of each feature to each row's log-odds.

    Attributes
    ----------
    base : ndarray of shape (n_rows,)
        Log-odds of the average training day (the same for every row).
    values : DataFrame of shape (n_rows, n_features)
        Contribution of each feature, log-odds; ``base + values.sum(axis=1)`` is the row's log-odds.
    """

    base: np.ndarray
    values: pd.DataFrame

    @property
    def log_odds(self) -> np.ndarray:
        """The model's (fold-averaged) log-odds of each row."""
        return self.base + self.values.to_numpy().sum(axis=1)


def _fold_terms(fold: StumpFold, X: np.ndarray) -> tuple[float, np.ndarray]:
    """Exact SHAP values of one booster of stumps' raw score (log-odds), and its base."""
    base = fold.baseline
    split = fold.feature >= 0
    for value in fold.left[~split]:  # single-leaf trees shift every row alike
        base += float(value)
    feature = fold.feature[split]
    values = fold.values(X)[:, feature]
    goes_left = np.where(np.isnan(values), fold.missing_left[split], values <= fold.threshold[split])
    centred = np.where(goes_left, fold.left[split], fold.right[split]) - fold.mean[split]
    terms = np.zeros((X.shape[0], X.shape[1]))
    for j in range(X.shape[1]):
        on_j = feature == j
        if on_j.any():
            terms[:, j] = centred[:, on_j].sum(axis=1)
    return base + float(np.sum(fold.mean[split])), terms


def _booster_terms(estimator: object, X: np.ndarray) -> tuple[float, np.ndarray]:
    from sklearn.pipeline import Pipeline

    from calfrisk.learn.boosting import GradientBoostedTrees

    if isinstance(estimator, GradientBoostedTrees):
        return _fold_terms(stump_fold(estimator), X)
    if isinstance(estimator, Pipeline) and len(estimator.steps) == 3 and hasattr(estimator[0], "statistics_"):
        # An imputer first (calfrisk.learn.estimators.logistic): a missing value is its median.
        names = getattr(estimator[0], "feature_names_in_", None)
        X = estimator[0].transform(pd.DataFrame(X, columns=names) if names is not None else X)
        estimator = Pipeline(estimator.steps[1:])
    if isinstance(estimator, Pipeline) and len(estimator.steps) == 2:
        scaler, linear = estimator[0], estimator[-1]
        if hasattr(scaler, "mean_") and hasattr(linear, "coef_") and linear.coef_.shape[0] == 1:
            scale = np.where(scaler.scale_ == 0, 1.0, scaler.scale_)
            weights = linear.coef_[0] / scale
            return float(linear.intercept_[0]), (X - scaler.mean_) * weights
    raise NotAdditiveError(f"no exact contributions for {type(estimator).__name__}")


def contributions(classifier: object, X: pd.DataFrame) -> Attribution:
    """Exact per-feature contributions to the log-odds of ``classifier``'s risk.

    Parameters
    ----------
    classifier : estimator
        The fitted classifier step of a calfrisk pipeline: a CalibratedClassifierCV (sigmoid) over
        :class:`~calfrisk.learn.boosting.GradientBoostedTrees` stumps, its compiled form
        (:class:`calfrisk.learn.stumps.StumpEnsemble`,
        what a model directory holds), a bare booster, or a StandardScaler and LogisticRegression
        pipeline.
    X : DataFrame
        Rows of the feature table (:class:`calfrisk.learn.features.LoadFeatures` output).

    Returns
    -------
    Attribution

    Raises
    ------
    NotAdditiveError
        If the model's log-odds is not a sum of per-feature terms.
    """
    values = X.to_numpy(dtype=float)
    if isinstance(classifier, StumpEnsemble):  # checked first: no scikit-learn ensemble import
        base, terms = 0.0, np.zeros_like(values)
        for fold in classifier.folds_:
            fold_base, fold_terms = _fold_terms(fold, values)
            base += -fold.slope * fold_base - fold.intercept
            terms += -fold.slope * fold_terms
        n = len(classifier.folds_)
        return Attribution(
            base=np.full(len(X), base / n),
            values=pd.DataFrame(terms / n, columns=X.columns, index=X.index),
        )
    from sklearn.calibration import CalibratedClassifierCV

    if isinstance(classifier, CalibratedClassifierCV):
        base, terms = 0.0, np.zeros_like(values)
        for fold in classifier.calibrated_classifiers_:
            calibrator = fold.calibrators[0]
            if not is_sigmoid_calibrator(calibrator):
                raise NotAdditiveError(f"calibration by {type(calibrator).__name__} is not affine")
            fold_base, fold_terms = _booster_terms(fold.estimator, values)
            # scikit-learn's Platt map: p = 1 / (1 + exp(a * f + b)), so log-odds = -a * f - b.
            base += -calibrator.a_ * fold_base - calibrator.b_
            terms += -calibrator.a_ * fold_terms
        n = len(classifier.calibrated_classifiers_)
        base, terms = base / n, terms / n
    else:
        base, terms = _booster_terms(classifier, values)
    return Attribution(
        base=np.full(len(X), base), values=pd.DataFrame(terms, columns=X.columns, index=X.index)
    )


def factor_contributions(attribution: Attribution) -> pd.DataFrame:
    """Contributions summed by risk factor (:data:`DRIVER_FACTORS`), log-odds."""
    values = attribution.values
    return pd.DataFrame(
        {
            factor: values[[f for f in features if f in values.columns]].sum(axis=1)
            for factor, features in DRIVER_FACTORS.items()
        },
        index=values.index,
    )
