"""The one place calfrisk touches scikit-learn's private names.

calfrisk reads fitted scikit-learn models closely: a sigmoid calibrator's Platt parameters (to
store the default model compactly and explain it exactly), the error a bad parameter raises, and
the classes a stored model may contain. scikit-learn keeps these private, so they may move in any
release; everything that depends on them is here, and the tests that exercise it (the compiled
model against the fitted one bit for bit, the model-file allow-list) fail when one moves.
"""

from __future__ import annotations

from sklearn.utils._param_validation import InvalidParameterError

__all__ = [
    "PICKLED_CLASSES",
    "SKOPS_TRUSTED_CLASSES",
    "InvalidParameterError",
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
    "sklearn.impute._base.SimpleImputer",
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


def is_sigmoid_calibrator(calibrator: object) -> bool:
    """Whether a ``CalibratedClassifierCV`` fold calibrates by Platt's sigmoid (``a_``, ``b_``)."""
    from sklearn.calibration import _SigmoidCalibration

    return isinstance(calibrator, _SigmoidCalibration)
