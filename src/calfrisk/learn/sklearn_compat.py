"""The one place calfrisk touches scikit-learn's private names.

calfrisk reads fitted scikit-learn models closely: a boosted model's stumps (to store it compactly
and explain it exactly), a sigmoid calibrator's Platt parameters, the error a bad parameter raises,
and the classes a stored model may contain. scikit-learn keeps these private, so they may move in
any release; everything that depends on them is here, and the tests that exercise it (stumps
against the fitted model bit for bit, contributions against SHAP, the model-file allow-list) fail
when one moves.
"""

from __future__ import annotations

import numpy as np
from sklearn.utils._param_validation import InvalidParameterError

__all__ = [
    "PICKLED_CLASSES",
    "SKOPS_TRUSTED_CLASSES",
    "InvalidParameterError",
    "booster_baseline",
    "booster_trees",
    "is_sigmoid_calibrator",
]

#: scikit-learn classes a stored calfrisk pipeline may contain, by the module path pickle records.
PICKLED_CLASSES: tuple[str, ...] = (
    "sklearn._loss._loss.CyHalfBinomialLoss",
    "sklearn._loss.link.Interval",
    "sklearn._loss.link.LogitLink",
    "sklearn._loss.loss.HalfBinomialLoss",
    "sklearn.calibration.CalibratedClassifierCV",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.isotonic.IsotonicRegression",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.model_selection._split.GroupKFold",
    "sklearn.pipeline.Pipeline",
    "sklearn.preprocessing._data.StandardScaler",
    "sklearn.preprocessing._label.LabelEncoder",
)

#: The private scikit-learn types of a calfrisk pipeline, trusted by name for MLflow's skops copy
#: (skops trusts some by default from 0.13 on; naming them all keeps older skops working).
SKOPS_TRUSTED_CLASSES: tuple[str, ...] = (
    "sklearn._loss.link.Interval",
    "sklearn._loss.link.LogitLink",
    "sklearn._loss.loss.HalfBinomialLoss",
    "sklearn.calibration._CalibratedClassifier",
    "sklearn.calibration._SigmoidCalibration",
    "sklearn.ensemble._hist_gradient_boosting.binning._BinMapper",
    "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    "sklearn.model_selection._split.GroupKFold",
)


def booster_trees(booster: object) -> list:
    """The fitted trees of a binary ``HistGradientBoostingClassifier``: one node array per iteration.

    Each is a structured array with ``is_leaf``, ``value``, ``count``, ``feature_idx``,
    ``num_threshold``, ``missing_go_to_left``, ``left``, ``right`` and ``is_categorical``.
    """
    return [predictor.nodes for (predictor,) in booster._predictors]


def booster_baseline(booster: object) -> float:
    """The raw score a ``HistGradientBoostingClassifier`` starts from (before its first tree)."""
    return float(np.ravel(booster._baseline_prediction)[0])


def is_sigmoid_calibrator(calibrator: object) -> bool:
    """Whether a ``CalibratedClassifierCV`` fold calibrates by Platt's sigmoid (``a_``, ``b_``)."""
    from sklearn.calibration import _SigmoidCalibration

    return isinstance(calibrator, _SigmoidCalibration)
