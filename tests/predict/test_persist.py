"""Model directories: round trip, and refusal of tampered, foreign or malicious files."""

from __future__ import annotations

import copy
import json
import os
import pickle
from pathlib import Path

import numpy as np
import pytest
from sklearn.pipeline import Pipeline
from sklearn.tree import DecisionTreeClassifier

from calfrisk.exceptions import InputError
from calfrisk.learn.estimators import gradient_boosting
from calfrisk.learn.features import LoadFeatures
from calfrisk.predict.persist import METADATA_FILE, MODEL_FILE, _sha256, load_model, save_model


@pytest.fixture(scope="module")
def fitted(small_tables):
    from calfrisk.learn.evaluate import athlete_folds
    from calfrisk.learn.panel import daily_panel

    panel = daily_panel(small_tables["training_log"], small_tables["athletes"], small_tables["injuries"])
    y = panel.groupby("athlete_id")["strain_onset"].shift(-1, fill_value=False).to_numpy()
    folds = athlete_folds(panel["athlete_id"].to_numpy(), 3)
    model = Pipeline(
        [("features", LoadFeatures()), ("classifier", gradient_boosting(folds, n_estimators=10, max_depth=1))]
    )
    return model.fit(panel, y), panel


def _forge(directory: Path, payload: bytes) -> None:
    """Write ``payload`` as the model file with a matching hash: what an attacker would do."""
    (directory / MODEL_FILE).write_bytes(payload)
    meta = json.loads((directory / METADATA_FILE).read_text())
    meta["sha256"] = _sha256(directory / MODEL_FILE)
    (directory / METADATA_FILE).write_text(json.dumps(meta))


def test_round_trip_predicts_the_same(fitted, tmp_path: Path) -> None:
    model, panel = fitted
    save_model(model, tmp_path / "m", {"horizon_days": 7})
    loaded, meta = load_model(tmp_path / "m")
    assert meta["horizon_days"] == 7
    np.testing.assert_array_equal(loaded.predict_proba(panel.head(500)), model.predict_proba(panel.head(500)))
    # The calibration folds are exported as their splitter, not as every training row's position.
    assert (tmp_path / "m" / MODEL_FILE).stat().st_size < 2_000_000
    assert isinstance(model[-1].cv, list), "exporting must not change the caller's model"


def test_a_model_stored_as_fitted_round_trips_through_the_allow_list(fitted, tmp_path: Path) -> None:
    # Trees deeper than stumps do not compile: the pipeline, XGBoost's booster inside, is pickled.
    from calfrisk.learn.boosting import GradientBoostedTrees

    model, panel = fitted
    booster = GradientBoostedTrees(n_estimators=10, max_depth=2)
    deeper = copy.deepcopy(model).set_params(classifier__estimator=booster)
    deeper.fit(panel, panel.groupby("athlete_id")["strain_onset"].shift(-1, fill_value=False).to_numpy())
    rows = panel.head(500)
    save_model(deeper, tmp_path / "m", {})
    assert b"xgboost.core" in (tmp_path / "m" / MODEL_FILE).read_bytes()
    loaded, _ = load_model(tmp_path / "m")
    assert isinstance(loaded[-1].calibrated_classifiers_[0].estimator, GradientBoostedTrees)
    np.testing.assert_array_equal(loaded.predict_proba(rows), deeper.predict_proba(rows))


def test_changed_bytes_are_refused_by_the_hash(fitted, tmp_path: Path) -> None:
    save_model(fitted[0], tmp_path / "m", {})
    data = bytearray((tmp_path / "m" / MODEL_FILE).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (tmp_path / "m" / MODEL_FILE).write_bytes(bytes(data))
    with pytest.raises(InputError, match="hash"):
        load_model(tmp_path / "m")


class _Exploit:
    def __reduce__(self):
        return (os.system, ("echo owned > pwned.txt",))


@pytest.mark.parametrize(
    "payload",
    [
        pickle.dumps(_Exploit()),
        pickle.dumps({"model": _Exploit()}),
        pickle.dumps(DecisionTreeClassifier()),  # a harmless class, but not one calfrisk ships
        pickle.dumps(eval),
    ],
    ids=["os.system", "nested", "foreign-class", "builtin"],
)
def test_globals_outside_the_allow_list_are_refused_before_running(
    fitted, tmp_path: Path, monkeypatch, payload: bytes
) -> None:
    monkeypatch.chdir(tmp_path)
    save_model(fitted[0], tmp_path / "m", {})
    _forge(tmp_path / "m", payload)
    with pytest.raises(InputError, match="not a safe calfrisk model"):
        load_model(tmp_path / "m")
    assert not (tmp_path / "pwned.txt").exists()


def test_truncated_file_wrong_version_and_missing_files(fitted, tmp_path: Path) -> None:
    save_model(fitted[0], tmp_path / "m", {})
    good = (tmp_path / "m" / MODEL_FILE).read_bytes()
    _forge(tmp_path / "m", good[: len(good) // 3])
    with pytest.raises(InputError, match="not a loadable model file"):
        load_model(tmp_path / "m")
    (tmp_path / "m" / METADATA_FILE).write_text(json.dumps({"format_version": 1}))
    with pytest.raises(InputError, match="format version 1"):
        load_model(tmp_path / "m")
    (tmp_path / "m" / METADATA_FILE).write_text("{not json")
    with pytest.raises(InputError, match="unreadable model metadata"):
        load_model(tmp_path / "m")
    with pytest.raises(InputError, match="not a calfrisk model directory"):
        load_model(tmp_path)


def test_saving_a_model_the_loader_would_refuse_fails_early(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="DecisionTreeClassifier"):
        save_model(DecisionTreeClassifier(), tmp_path / "m", {})
    assert not (tmp_path / "m").exists()


def test_a_version_3_directory_with_the_old_module_names_still_loads(fitted, tmp_path: Path) -> None:
    """Before the subpackages, calfrisk's classes lived in calfrisk.features, .model and .compiled."""
    import sys
    import types

    from calfrisk.learn import stumps
    from calfrisk.predict import persist

    model, panel = fitted
    directory = save_model(model, tmp_path / "m", {"horizon_days": 7})
    old_names = {new: old for old, new in persist.RENAMED_GLOBALS.items()}
    classes = [stumps.StumpEnsemble, stumps.StumpFold, LoadFeatures]
    saved = {cls: cls.__module__ for cls in classes}
    aliases = {}
    try:
        for cls in classes:
            old = old_names[f"{cls.__module__}.{cls.__qualname__}"].rsplit(".", 1)[0]
            aliases.setdefault(old, types.ModuleType(old))
            setattr(aliases[old], cls.__qualname__, cls)
            cls.__module__ = old
        sys.modules.update(aliases)
        data = pickle.dumps(persist.export_copy(model), protocol=5)
    finally:
        for cls, module in saved.items():
            cls.__module__ = module
        for name in aliases:
            sys.modules.pop(name)
    assert b"calfrisk.compiled" in data and b"calfrisk.learn.stumps" not in data
    _forge(directory, data)
    meta = json.loads((directory / METADATA_FILE).read_text())
    (directory / METADATA_FILE).write_text(json.dumps({**meta, "format_version": 3}))
    loaded, _ = load_model(directory)
    assert np.array_equal(loaded.predict_proba(panel), load_model(tmp_path / "m")[0].predict_proba(panel))


def test_mlflows_skops_copy_names_only_trusted_types(fitted) -> None:
    # MLflow's scikit-learn flavour stores the fitted pipeline with skops, trusting TRUSTED_TYPES.
    import skops.io

    from calfrisk.predict.persist import TRUSTED_TYPES, export_copy

    model, panel = fitted
    data = skops.io.dumps(export_copy(model, compiled=False))
    untrusted = set(skops.io.get_untrusted_types(data=data))
    assert {"xgboost.core.Booster", "calfrisk.learn.boosting.GradientBoostedTrees"} <= untrusted
    assert untrusted <= set(TRUSTED_TYPES)
    loaded = skops.io.loads(data, trusted=list(TRUSTED_TYPES))
    np.testing.assert_array_equal(loaded.predict_proba(panel.head(300)), model.predict_proba(panel.head(300)))
