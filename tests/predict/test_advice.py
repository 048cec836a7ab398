"""Advice states the runner's own figures and picks the wording that fits them."""

from __future__ import annotations

import pytest

from calfrisk.learn.explain import DRIVER_FACTORS
from calfrisk.predict.advice import DISCLAIMER, advise

DAY = {
    "km_7d": 62.0,
    "km_28d": 160.0,
    "week_change": 0.55,
    "acwr_ewma": 1.42,
    "long_run_ratio": 0.6,
    "monotony_7d": 1.2,
    "days_since_rest": 3.0,
    "climb_m_7d": 900.0,
    "climb_m_per_km_7d": 14.5,
    "speed_km_7d": 12.0,
    "speed_share_7d": 0.19,
    "shoe_km_today": 830.0,
    "shoe_km_max_7d": 830.0,
    "shoes_28d": 1.0,
    "days_since_return": 40.0,
    "calf_strains": 1.0,
    "age": 52.0,
    "glute_test_score": 12.0,
    "calf_test_score": 18.0,
}


@pytest.mark.parametrize("factor", list(DRIVER_FACTORS))
def test_every_factor_has_advice(factor: str) -> None:
    text = advise(factor, DAY, {"shoe": "Pegasus", "shoe_km": 830.0})
    assert len(text) > 40 and "\n" not in text


def test_a_jump_is_stated_against_the_four_week_average() -> None:
    text = advise("load", DAY)
    assert text.startswith("this week is +55 % against your 4-week weekly average (62 vs 40 km")
    assert "1.3" in text and "1.42" in text and "Gabbett 2016" in text


def test_a_drop_and_a_steady_week_are_worded_as_such() -> None:
    drop = advise("load", {**DAY, "km_7d": 20.0, "week_change": -0.5, "acwr_ewma": 0.7})
    assert "50 % below your 4-week weekly average" in drop and "+" not in drop.split(":")[0]
    steady = advise("load", {**DAY, "km_7d": 41.0, "week_change": 0.02})
    assert steady.startswith("your weekly km are steady")


def test_shoe_advice_names_the_shoe_and_its_km_and_rotation() -> None:
    text = advise("shoes", DAY, {"shoe": "Pegasus", "shoe_km": 830.0})
    assert "shoe 'Pegasus' has 830 km" in text and "500-800 km" in text and "rotated" in text


def test_profile_advice_compares_with_the_cohort_when_known() -> None:
    text = advise("glute_strength", DAY, {"typical": {"glute_test_score": 22.0}})
    assert "glute test 12 single-leg bridges, the cohort's median 22" in text
    assert "recent" not in advise("strain_history", {**DAY, "days_since_return": 400.0})
    assert "40 days ago" in advise("strain_history", DAY)


def test_disclaimer_names_the_red_flags() -> None:
    for flag in ("not a diagnosis", "swelling", "warmth", "redness", "doctor"):
        assert flag in DISCLAIMER
