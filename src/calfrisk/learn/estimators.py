"""The models: calibrated gradient boosting and the baselines it must beat.

All estimators take the feature table of :class:`calfrisk.learn.features.LoadFeatures` (a DataFrame with
the feature names as columns) and follow the scikit-learn estimator contract.

- :func:`gradient_boosting`: gradient-boosted trees (XGBoost, :mod:`calfrisk.learn.boosting`),
  calibrated (Platt scaling by default) on athletes the booster did not see: scikit-learn's
  CalibratedClassifierCV over athlete-grouped folds.
- :func:`logistic`: standardised logistic regression on the same features.
- :class:`ZoneRuleClassifier`: a coaching rule as a calibrated classifier, e.g. the ACWR zones
  (< 0.8, 0.8-1.5, >= 1.5; Gabbett 2016) or the "10 % rule" (week-over-week increase > 10 %).
- :class:`BalancedBaggingClassifier`: the bagged, class-balanced boosting of Lövdal et al. (2021).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.calibration import CalibratedClassifierCV
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from calfrisk.learn.boosting import GradientBoostedTrees

__all__ = [
    "BalancedBaggingClassifier",
    "ZoneRuleClassifier",
    "gradient_boosting",
    "logistic",
]


def gradient_boosting(
    folds: list[tuple[np.ndarray, np.ndarray]], *, method: str = "sigmoid", **params: object
) -> CalibratedClassifierCV:
    """Gradient-boosted trees calibrated on held-out athletes.

    Parameters
    ----------
    folds : list of (train, calibration) row positions
        Athlete-grouped splits (:func:`calfrisk.learn.evaluate.athlete_folds`): each booster is fitted on
        one train part and calibrated on the athletes it did not see; predictions average them.
    method : {"sigmoid", "isotonic"}, default="sigmoid"
        Calibration map.
    **params
        :class:`~calfrisk.learn.boosting.GradientBoostedTrees` parameters (XGBoost's names; the
        ``params`` of the train config's ``gbm``).
    """
    booster = GradientBoostedTrees(**params)
    return CalibratedClassifierCV(booster, method=method, cv=folds, ensemble=True)


def logistic(**params: object) -> object:
    """Standardised logistic regression (``params`` go to LogisticRegression).

    A missing value (a profile an imported cohort does not give) takes the training median: the
    boosters use missing values as they are, a linear model cannot.
    """
    imputer = SimpleImputer(strategy="median", keep_empty_features=True)
    return make_pipeline(imputer, StandardScaler(), LogisticRegression(**params))


class ZoneRuleClassifier(ClassifierMixin, BaseEstimator):
    """A threshold rule on one feature, its zones turned into calibrated probabilities.

    ``fit`` learns the event rate of each zone (with a small prior toward the overall rate), so the
    rule is scored on the same footing as the models.

    Parameters
    ----------
    feature : str, default="acwr_ewma"
        Column of the feature table the rule reads.
    edges : tuple of float, default=(0.8, 1.5)
        Zone boundaries; a value equal to an edge falls in the zone above.
    prior_rows : float, default=100.0
        Weight of the overall rate in each zone's rate, in rows.
    """

    def __init__(self, *, feature="acwr_ewma", edges=(0.8, 1.5), prior_rows=100.0):
        self.feature = feature
        self.edges = edges
        self.prior_rows = prior_rows

    def _zone(self, X: pd.DataFrame) -> np.ndarray:
        return np.searchsorted(
            np.asarray(self.edges, dtype=float), X[self.feature].to_numpy(float), side="right"
        )

    def fit(
        self, X: pd.DataFrame, y: np.ndarray, sample_weight: np.ndarray | None = None
    ) -> ZoneRuleClassifier:
        """Learn each zone's event rate."""
        y = np.asarray(y, dtype=float)
        w = np.ones_like(y) if sample_weight is None else np.asarray(sample_weight, dtype=float)
        zone = self._zone(X)
        n_zones = len(self.edges) + 1
        base = np.sum(w * y) / np.sum(w)
        events = np.bincount(zone, weights=w * y, minlength=n_zones)
        rows = np.bincount(zone, weights=w, minlength=n_zones)
        self.zone_rate_ = (events + self.prior_rows * base) / (rows + self.prior_rows)
        self.classes_ = np.array([0, 1])
        self.n_features_in_ = X.shape[1]
        return self

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Probability of each class: the learned rate of the row's zone."""
        check_is_fitted(self, "zone_rate_")
        p = self.zone_rate_[self._zone(X)]
        return np.column_stack([1.0 - p, p])

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """1 in the highest zone (the rule's "danger" flag), 0 elsewhere."""
        return (self._zone(X) == len(self.edges)).astype(int)


class BalancedBaggingClassifier(ClassifierMixin, BaseEstimator):
    """Bags of all events plus as many random non-events, one booster each, probabilities averaged.

    The protocol of Lövdal et al. (2021): 9 bagged boosters of depth 2-3, learning rate 0.01 and
    256-512 trees on class-balanced bags. The averaged output is over-confident (each bag sees a
    50 % event rate) and needs calibration (Platt scaling in the paper): wrap it in
    CalibratedClassifierCV with ``method="sigmoid"``.

    Parameters
    ----------
    n_bags : int, default=9
    max_depth : int, default=3
    learning_rate : float, default=0.01
    max_iter : int, default=256
    random_state : int, default=0
    """

    def __init__(self, *, n_bags=9, max_depth=3, learning_rate=0.01, max_iter=256, random_state=0):
        self.n_bags = n_bags
        self.max_depth = max_depth
        self.learning_rate = learning_rate
        self.max_iter = max_iter
        self.random_state = random_state

    def fit(
        self, X: pd.DataFrame | np.ndarray, y: np.ndarray, sample_weight: np.ndarray | None = None
    ) -> BalancedBaggingClassifier:
        """Fit one booster per balanced bag.

        With ``sample_weight`` (a case-control sample's), the non-events of a bag are drawn with
        probabilities proportional to their weights, so a bag stands for the days the sample does;
        the balance between the classes is the bag's own either way (calibration restores the scale).
        """
        X, y = validate_data(self, X, y, ensure_all_finite="allow-nan")
        check_classification_targets(y)
        self.classes_, encoded = np.unique(y, return_inverse=True)
        if len(self.classes_) != 2:
            raise ValueError(f"Only binary classification is supported. Got {len(self.classes_)} classes.")
        rng = np.random.default_rng(self.random_state)
        events, others = np.flatnonzero(encoded == 1), np.flatnonzero(encoded == 0)
        weight = None
        if sample_weight is not None:
            weight = np.asarray(sample_weight, dtype=float).reshape(-1)
            if weight.shape != (len(y),) or (weight < 0).any() or not np.isfinite(weight).all():
                raise ValueError(f"sample_weight: {len(y)} finite, non-negative weights expected")
            events, others = events[weight[events] > 0], others[weight[others] > 0]
            if len(events) == 0 or len(others) == 0:
                raise ValueError("sample_weight: a class has zero total weight; a bag needs both classes")
        template = HistGradientBoostingClassifier(
            max_depth=self.max_depth,
            learning_rate=self.learning_rate,
            max_iter=self.max_iter,
            early_stopping=False,
        )
        self.estimators_ = []
        for _ in range(self.n_bags):
            size = min(len(events), len(others))
            # Equal weights draw as none do (the same bags as the unweighted rows would give).
            p = (
                None
                if weight is None or np.ptp(weight[others]) == 0
                else weight[others] / weight[others].sum()
            )
            rows = np.concatenate([events, rng.choice(others, size=size, replace=False, p=p)])
            booster = clone(template).set_params(random_state=int(rng.integers(2**31)))
            self.estimators_.append(booster.fit(X[rows], encoded[rows]))
        self.n_iter_ = max(e.n_iter_ for e in self.estimators_)
        return self

    def predict_proba(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        """Average of the bags' probabilities."""
        check_is_fitted(self, "estimators_")
        X = validate_data(self, X, reset=False, ensure_all_finite="allow-nan")
        return np.mean([e.predict_proba(X) for e in self.estimators_], axis=0)

    def predict(self, X: pd.DataFrame | np.ndarray) -> np.ndarray:
        """Class with the higher averaged probability."""
        proba = self.predict_proba(X)
        return self.classes_[proba.argmax(axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True  # the boosters handle missing values
        tags.classifier_tags.multi_class = False  # bags balance one event class against the rest
        return tags


def check_model(name: str, calibration: str | None, params: dict, features: list[str]) -> None:
    """Refuse a model's parameters before any data is read: unknown keys, constraints on no feature.

    Values are checked by the estimator when it is fitted.

    Parameters
    ----------
    name, calibration, params
        As :func:`build_model` takes them.
    features : list of str
        The feature columns the model will be fitted on.

    Raises
    ------
    InputError
        Naming ``models.<name>.params`` and the key.
    """
    from calfrisk.exceptions import InputError

    build_model(name, calibration, params, folds=[])
    constraints = params.get("monotone_constraints") if name == "gbm" else None
    if isinstance(constraints, dict):
        unknown = sorted(set(constraints) - set(features))
        if unknown:
            raise InputError(f"models.{name}.params.monotone_constraints: {unknown[0]!r} is not a feature")


def build_model(name: str, calibration: str | None, params: dict, folds: list) -> object:
    """The estimator a train config names, with its parameters.

    Parameters
    ----------
    name : str
        One of :data:`calfrisk.config.MODEL_NAMES`.
    calibration : {"isotonic", "sigmoid"} or None
        Calibration of the boosted models (default: sigmoid).
    params : dict
        The estimator's parameters, one to one.
    folds : list of (train, calibration) row positions
        Athlete-grouped splits of the training rows, for calibration.

    Raises
    ------
    InputError
        If the name is unknown or a parameter is not one of the estimator's.
    """
    from calfrisk.exceptions import InputError

    try:
        if name == "gbm":
            return gradient_boosting(folds, method=calibration or "sigmoid", **params)
        if name == "logistic":
            return logistic(**params)
        if name in ("acwr_zone", "ten_percent"):
            return ZoneRuleClassifier(**{k: tuple(v) if k == "edges" else v for k, v in params.items()})
        if name == "lovdal":
            bags = BalancedBaggingClassifier(**params)
            return CalibratedClassifierCV(bags, method=calibration or "sigmoid", cv=folds, ensemble=True)
    except TypeError as exc:
        raise InputError(f"models.{name}.params: {exc}") from None
    raise InputError(f"unknown model {name!r}")
