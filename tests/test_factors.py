"""The risk-factor registry agrees with every part that cannot derive from it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pandas as pd
import pytest

from calfrisk.config import load_cohort_config
from calfrisk.factors import EFFECTS, KERNEL_EFFECTS, RISK_FACTORS, factor
from calfrisk.learn.features import FEATURE_GROUPS, LoadFeatures
from calfrisk.schema import PROFILE_COLUMNS
from tests.conftest import ROOT


def test_the_configs_effects_are_the_registrys_in_the_kernels_order() -> None:
    assert load_cohort_config().factors == EFFECTS
    from calfrisk.simulate import kernel

    assert len(KERNEL_EFFECTS) == kernel._N_FACTORS


def test_every_effect_belongs_to_exactly_one_risk_factor() -> None:
    owners = [effect for f in RISK_FACTORS for effect in f.effects]
    assert sorted(owners) == sorted(EFFECTS)


def test_the_risk_factors_partition_the_models_features(small_tables) -> None:
    from calfrisk.learn.panel import daily_panel

    declared = [feature for f in RISK_FACTORS for feature in f.features]
    computed = [feature for group in FEATURE_GROUPS.values() for feature in group]
    assert sorted(declared) == sorted(computed)
    panel = daily_panel(small_tables["training_log"], small_tables["athletes"], small_tables["injuries"])
    assert list(LoadFeatures().fit(panel).get_feature_names_out()) == computed


def test_profile_keys_are_profile_columns_carried_by_the_factors_own_features() -> None:
    for f in RISK_FACTORS:
        for key, feature in f.profile:
            assert key in PROFILE_COLUMNS and feature in f.features, (f.name, key)


def test_every_risk_factor_has_advice() -> None:
    from calfrisk.predict import advice

    assert set(advice._ADVICE) == {f.name for f in RISK_FACTORS}


def test_a_simulated_cohorts_truth_has_a_multiplier_per_effect(small_tables) -> None:
    truth = small_tables["truth"]
    assert [c.removeprefix("mult_") for c in truth.columns if c.startswith("mult_")] == list(EFFECTS)


def test_an_unknown_factor_is_named() -> None:
    with pytest.raises(KeyError, match="no risk factor 'tendons'"):
        factor("tendons")


#: A runner's trait declared the way a researcher would: one entry in the registry, nothing else.
TOY = """    trait_factor(
        "toy",
        Trait(
            "toy_score",
            "toy test score, points",
            mean=50.0,
            sd=10.0,
            low=0.0,
            high=100.0,
            hazard_ratio=3.0,
            source="assumption: a test of the registry",
            advice="TOY ADVICE",
        ),
    ),
"""


@pytest.mark.slow
def test_a_trait_declared_once_flows_through_simulate_truth_features_importance_and_drivers(tmp_path) -> None:
    # A copy of the package whose registry alone declares the toy factor.
    package = tmp_path / "src" / "calfrisk"
    shutil.copytree(ROOT / "src" / "calfrisk", package, ignore=shutil.ignore_patterns("__pycache__"))
    registry = package / "factors.py"
    text = registry.read_text()
    start = text.index("RISK_FACTORS: tuple[RiskFactor, ...] = (")
    end = text.index("\n)\n", start) + 1
    registry.write_text(text[:end] + TOY + text[end:])
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "src"), "NUMBA_CACHE_DIR": str(tmp_path / "numba")}
    script = ROOT / "tests" / "toy_factor_flow.py"
    done = subprocess.run(
        [sys.executable, str(script), str(tmp_path)], env=env, capture_output=True, text=True, cwd=tmp_path
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])

    assert seen["package"].startswith(str(package))
    # Declaring the trait left every other draw as it was: the same cohort without it (this
    # package) draws the same runners. Only what the burn-in's strains shape (prior strains, where
    # the trait's effect already acts) may differ.
    from calfrisk.config import load_cohort_config
    from calfrisk.simulate import simulate_cohort

    plain = load_cohort_config(overrides={"cohort": {"n_athletes": 600, "n_days": 240, "seed": 11}})
    simulate_cohort(plain, tmp_path / "plain")
    shaped = ["toy_score", "prior_calf_strains"]
    with_toy = pd.read_parquet(tmp_path / "cohort" / "athletes.parquet").drop(columns=shaped)
    without = pd.read_parquet(tmp_path / "plain" / "athletes.parquet").drop(columns="prior_calf_strains")
    pd.testing.assert_frame_equal(with_toy, without)
    assert seen["config_hazard_ratio"] == 3.0  # the config's default comes from the declaration
    assert seen["truth_max_rel_error"] < 1e-6  # float32 multipliers
    assert 8.0 < seen["trait_sd"] < 12.0
    # A rate ratio of 3 per SD gives about 3 ** 1.6 = 5.8 between the halves' mean covariates
    # (+-0.8 SD); history effects and chance (~300 strains) leave it well above 2.
    assert seen["strain_rate_ratio"] > 2.0
    assert seen["feature_equals_trait"]
    assert "toy_score" in seen["model_features"]
    # -> importance: the toy's true spread is log(3) x 1 SD = 1.1, the largest of all (seeded run:
    # AUC drop 0.058, model spread 0.74, correlation with the truth 0.94); the controls get none.
    assert seen["true_spread"]["toy"] > 0.9
    drop = seen["permutation_auc_drop"]
    assert drop["toy"] > 0.02 and drop["toy"] > 5 * max(abs(drop["habits"]), abs(drop["sex"]), 0.002)
    assert seen["verdict"]["toy"] == "recovered" and seen["correlation"]["toy"] > 0.8
    assert seen["profile_has_trait"]
    # -> drivers: at the top of its range (+5 SD) the toy leads, in its own words.
    drivers = dict(seen["drivers"])
    assert seen["drivers"][0][0] == "toy", seen["drivers"]
    assert drivers["toy"].startswith("your toy_score is 100, the cohort's median") and drivers[
        "toy"
    ].endswith(": TOY ADVICE")
