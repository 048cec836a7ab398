"""The risk-factor registry agrees with every part that cannot derive from it."""

from __future__ import annotations

from calfrisk.config import load_cohort_config
from calfrisk.factors import EFFECTS, RISK_FACTORS, factor
from calfrisk.learn.features import FEATURE_GROUPS, LoadFeatures
from calfrisk.schema import PROFILE_COLUMNS


def test_the_configs_effects_are_the_registrys_in_the_kernels_order() -> None:
    assert load_cohort_config().factors == EFFECTS
    from calfrisk.simulate import kernel

    assert len(EFFECTS) == kernel._N_FACTORS


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
    import pytest

    with pytest.raises(KeyError, match="no risk factor 'tendons'"):
        factor("tendons")
