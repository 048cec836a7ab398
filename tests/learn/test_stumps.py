"""The compiled default model: the same probabilities and contributions, bit for bit, lighter to load."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.calibration import CalibratedClassifierCV
from sklearn.linear_model import LogisticRegression

from calfrisk.learn.boosting import GradientBoostedTrees
from calfrisk.learn.estimators import gradient_boosting
from calfrisk.learn.evaluate import athlete_folds
from calfrisk.learn.explain import contributions
from calfrisk.learn.stumps import StumpEnsemble, compile_classifier
from calfrisk.predict.persist import load_model, save_model
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def data():
    """A feature table with missing values in several columns, labels and athlete folds."""
    rng = np.random.default_rng(3)
    n = 6000
    X = pd.DataFrame(rng.normal(size=(n, 5)), columns=[f"f{i}" for i in range(5)])
    X.loc[rng.random(n) < 0.1, "f1"] = np.nan  # missing values take a learned side
    X.loc[rng.random(n) < 0.3, "f3"] = np.nan
    logit = -3.0 + 0.8 * X["f0"].to_numpy() - 0.5 * np.nan_to_num(X["f1"].to_numpy(), nan=1.0)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    athletes = np.repeat(np.arange(n // 50), 50)
    return X, y, athlete_folds(athletes, 3)


def _stumps(data, **params) -> CalibratedClassifierCV:
    X, y, folds = data
    return gradient_boosting(folds, n_estimators=60, max_depth=1, learning_rate=0.2, **params).fit(X, y)


def test_same_probabilities_and_contributions_bit_for_bit(data) -> None:
    X, _, _ = data
    fitted = _stumps(data)
    compiled = compile_classifier(fitted)
    assert isinstance(compiled, StumpEnsemble) and len(compiled.folds_) == 3
    np.testing.assert_array_equal(compiled.predict_proba(X), fitted.predict_proba(X))
    # Rows the booster never saw, with missing values and infinities in every column.
    odd = X.head(50).copy()
    odd.iloc[::3] = np.nan
    odd.iloc[1::7, 0] = np.inf
    np.testing.assert_array_equal(compiled.predict_proba(odd), fitted.predict_proba(odd))
    ours, theirs = contributions(compiled, odd), contributions(fitted, odd)
    np.testing.assert_array_equal(ours.base, theirs.base)
    pd.testing.assert_frame_equal(ours.values, theirs.values)
    np.testing.assert_array_equal(compiled.predict(X), fitted.predict(X))


def test_only_the_default_form_compiles(data) -> None:
    X, y, folds = data
    assert compile_classifier(_stumps(data, monotone_constraints={"f0": 1})) is not None
    deeper = gradient_boosting(folds, n_estimators=10, max_depth=2).fit(X, y)
    isotonic = gradient_boosting(folds, n_estimators=10, max_depth=1, method="isotonic").fit(X, y)
    bare = GradientBoostedTrees(n_estimators=10, max_depth=1).fit(X, y)
    linear = LogisticRegression().fit(X.fillna(0), y)
    for model in (deeper, isotonic, bare, linear):
        assert compile_classifier(model) is None


def test_it_is_made_not_fitted_and_checks_its_columns(data) -> None:
    X, y, _ = data
    compiled = compile_classifier(_stumps(data))
    with pytest.raises(TypeError, match="compile_classifier"):
        compiled.fit(X, y)
    with pytest.raises(ValueError, match="feature columns differ"):
        compiled.predict_proba(X[X.columns[::-1]])
    with pytest.raises(ValueError, match="expected 5 feature columns"):
        compiled.predict_proba(X.to_numpy()[:, :4])


def test_trees_without_a_split_compile_too(data) -> None:
    # A constraint against the data's one effect and a least gain above chance's leave the booster
    # nothing to split: trees of a single leaf.
    X, y, folds = data
    X = X[["f0"]]
    fitted = gradient_boosting(folds, n_estimators=20, gamma=20.0, monotone_constraints={"f0": -1}).fit(X, y)
    compiled = compile_classifier(fitted)
    assert any((fold.feature < 0).any() for fold in compiled.folds_)
    np.testing.assert_array_equal(compiled.predict_proba(X), fitted.predict_proba(X))


def test_a_saved_default_model_loads_without_the_booster_library(sample_model) -> None:
    # What makes `calfrisk predict` start fast: loading the model and scoring a year of log
    # never imports XGBoost or sklearn.ensemble in a fresh process.
    code = (
        "import sys, datetime as dt\n"
        "from calfrisk.predict.persist import load_model\n"
        "from calfrisk.predict.scoring import forecast\n"
        "from calfrisk.predict.profile import load_profile\n"
        "from calfrisk.readers import read_logs\n"
        f"model, meta = load_model({str(sample_model)!r})\n"
        "log = read_logs(['examples/runner_log.csv'])\n"
        "profile = load_profile('examples/runner_profile.yaml')\n"
        "span = {'start': dt.date(2025, 3, 1), 'end': dt.date(2025, 3, 7)}\n"
        "result = forecast(log.sessions, model, meta, profile, **span)\n"
        "print(type(model[-1]).__name__, len(result.days), len(result.drivers) > 0)\n"
        "print(sorted(m for m in sys.modules if m.startswith(('sklearn.ensemble', 'xgboost'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert out.stdout.splitlines() == ["StumpEnsemble 7 True", "[]"]


def test_round_trip_through_a_model_directory(data, tmp_path) -> None:
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    X, _, _ = data
    fitted = _stumps(data)
    pipeline = Pipeline([("features", FunctionTransformer()), ("classifier", fitted)])
    with pytest.raises(ValueError, match="FunctionTransformer"):  # only calfrisk's own steps load
        save_model(pipeline, tmp_path / "m", {})
    # The classifier alone, as a one-step pipeline of allowed types.
    save_model(Pipeline([("classifier", fitted)]), tmp_path / "m", {})
    loaded, meta = load_model(tmp_path / "m")
    assert meta["format_version"] == 4 and isinstance(loaded[-1], StumpEnsemble)
    np.testing.assert_array_equal(loaded.predict_proba(X), fitted.predict_proba(X))
