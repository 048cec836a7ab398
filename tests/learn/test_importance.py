"""Importance and truth-or-noise: the spreads, the permutation drops and the verdicts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from calfrisk.learn.importance import (
    TRUTH_FACTORS,
    compare_effects,
    effect_verdict,
    grouped_permutation_importance,
    true_factor_spread,
)
from calfrisk.learn.train import cohort_features
from calfrisk.predict.persist import load_model
from calfrisk.tables import load_cohort
from tests.conftest import ROOT


@pytest.mark.parametrize(
    ("true", "model", "verdict"),
    [
        (0.0, 0.0, "no true effect; model adds little"),
        (0.0, 0.049, "no true effect; model adds little"),
        (0.0, 0.05, "no true effect; model learned noise"),
        (0.30, 0.30, "recovered"),
        (0.30, 0.15, "recovered"),
        (0.30, 0.60, "recovered"),
        (0.30, 0.61, "overstated"),
        (0.30, 0.10, "understated"),
        (0.30, 0.01, "missed"),
        # A small true effect stated at its small size is recovered, not "missed".
        (0.03, 0.03, "recovered"),
        (0.03, 0.001, "missed"),
    ],
)
def test_effect_verdict(true: float, model: float, verdict: str) -> None:
    assert effect_verdict(true, model, noise_floor=0.05) == verdict


def _truth(age_mult: list[float], acwr_mult: list[float], athlete: int = 1) -> pd.DataFrame:
    n = len(age_mult)
    frame = pd.DataFrame(
        {
            "athlete_id": athlete,
            "date": pd.date_range("2025-01-01", periods=n),
            "in_layoff": False,
        }
    )
    for factors in TRUTH_FACTORS.values():
        for source in factors:
            frame[f"mult_{source}"] = 1.0
    frame["mult_age"] = age_mult
    frame["mult_acwr"] = acwr_mult
    return frame


def test_true_spread_is_the_spread_of_the_log_multiplier_averaged_over_the_days_ahead() -> None:
    acwr = [1.0, 2.0, 4.0, 1.0, 1.0, 2.0]
    truth = _truth([1.5] * 6, acwr)
    days = truth[["athlete_id", "date"]].iloc[:4]
    spread, exposure = true_factor_spread(truth, days, horizon=2)
    logs = np.log(acwr)
    expected = [(logs[d + 1] + logs[d + 2]) / 2 for d in range(4)]
    np.testing.assert_allclose(exposure["load"], expected)
    assert spread["load"] == pytest.approx(np.std(expected))
    # Constant over the athlete (age): a level, no spread; sex and the habits: no effect at all.
    np.testing.assert_allclose(exposure["age"], np.log(1.5))
    assert spread["age"] == pytest.approx(0.0, abs=1e-12)
    assert spread["sex"] == 0.0 and spread["habits"] == 0.0


def test_true_spread_never_reaches_into_another_athletes_days() -> None:
    truth = pd.concat(
        [_truth([1.0] * 3, [1.0, 1.0, 1.0], athlete=1), _truth([1.0] * 3, [8.0] * 3, athlete=2)]
    )
    days = truth[["athlete_id", "date"]]
    _, exposure = true_factor_spread(truth, days, horizon=2)
    # Athlete 1's last day has nothing ahead (NaN), not athlete 2's first days.
    assert exposure["load"].iloc[:2].tolist() == [0.0, 0.0] and np.isnan(exposure["load"].iloc[2])
    np.testing.assert_allclose(exposure["load"].iloc[3:5], np.log(8.0))


def test_permuting_a_group_costs_what_its_features_carry() -> None:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(4000, 3)), columns=["signal", "echo", "noise"])
    X["echo"] = X["signal"] + 0.1 * X["echo"]  # a correlated copy: alone, shuffling it hides little
    y = (X["signal"] + rng.normal(scale=0.5, size=len(X)) > 0).to_numpy().astype(int)
    model = LogisticRegression().fit(X, y)
    groups = {"both": ("signal", "echo"), "noise": ("noise",)}
    table = grouped_permutation_importance(model, X, y, groups, n_repeats=3).set_index("group")
    assert table.loc["both", "importance"] > 0.3  # AUC falls from ~0.95 towards 0.5
    assert abs(table.loc["noise", "importance"]) < 0.01
    assert table.index[0] == "both"


def test_weighted_permutation_scores_the_days_the_rows_stand_for() -> None:
    rng = np.random.default_rng(1)
    X = pd.DataFrame(rng.normal(size=(3000, 2)), columns=["signal", "noise"])
    y = (X["signal"] + rng.normal(size=len(X)) > 1.5).to_numpy().astype(int)
    model = LogisticRegression().fit(X, y)
    groups = {"signal": ("signal",), "noise": ("noise",)}
    plain = grouped_permutation_importance(model, X, y, groups, n_repeats=2)
    ones = grouped_permutation_importance(model, X, y, groups, n_repeats=2, sample_weight=np.ones(len(y)))
    pd.testing.assert_frame_equal(plain, ones)
    w = np.where(y == 1, 1.0, 20.0)  # a case-control sample's weights
    weighted = grouped_permutation_importance(model, X, y, groups, n_repeats=2, sample_weight=w)
    from sklearn.metrics import roc_auc_score

    expected = roc_auc_score(y, model.predict_proba(X)[:, 1], sample_weight=w)
    assert weighted["baseline"].iloc[0] == pytest.approx(expected)
    assert weighted.set_index("group").loc["signal", "importance"] > 0.2


def test_compare_effects_on_the_sample_model(sample_model) -> None:
    # The committed sample cohort and a model trained on it: one row per factor, the controls
    # without a true effect, the ratio and the verdicts as documented.
    tables, _ = load_cohort(ROOT / "data" / "synthetic" / "sample")
    panel, X, _ = cohort_features(tables)
    pipeline, _ = load_model(sample_model)
    keep = panel["date"] >= panel["date"].min() + pd.Timedelta(days=60)
    rows = panel.loc[keep, ["athlete_id", "date"]].reset_index(drop=True)
    y = (
        rows.merge(tables["injuries"][["athlete_id", "date"]].assign(onset=1), how="left")["onset"]
        .fillna(0)
        .to_numpy()
    )
    table = compare_effects(
        pipeline.named_steps["classifier"],
        X[keep.to_numpy()].reset_index(drop=True),
        y,
        tables["truth"],
        rows,
        n_repeats=1,
    ).set_index("factor")
    assert set(table.index) == set(TRUTH_FACTORS)
    assert table.loc["sex", "true_spread"] == 0.0 and table.loc["habits", "true_spread"] == 0.0
    real = table[table["true_spread"] > 0]
    np.testing.assert_allclose(real["ratio"], real["model_spread"] / real["true_spread"])
    for factor, row in table.iterrows():
        assert row["verdict"] == effect_verdict(row["true_spread"], row["model_spread"]), factor
    # The strongest true factor is found, if short of its size, and the controls get little weight
    # (seeded: strain history 0.48x the truth, "understated": the 90-day return effect widened its
    # true spread, and 138 strains in 200 runners teach a model only part of it; sex and habits
    # spreads of 0.01 and 0 against a floor of 0.05).
    assert table.loc["strain_history", "ratio"] > 0.33
    assert (table.loc[["sex", "habits"], "verdict"] == "no true effect; model adds little").all()
