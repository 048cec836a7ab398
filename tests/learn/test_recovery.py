"""A regression of strain onsets on the factors recovers the hazard ratios the simulator was given.

The simulator draws a strain on a running day with probability ``1 - exp(-rate * hours * prod(HR ** x))``.
With daily probabilities well under 1 %, a Poisson regression of onsets on the covariates ``x`` with
offset ``log(hours)`` estimates ``log HR`` (the Poisson/complementary-log-log gap is of the order of the
daily probability, ~0.5 % of a coefficient, far below the tolerance). Tolerances are 4 standard errors
of each estimate: with 15 coefficients the chance that a correct simulator fails anyway is below 0.1 %
(and the seed is fixed, so a pass is reproducible). A power floor (standard error below 0.1) makes sure
the tolerance is tight enough to catch a wrong effect.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from calfrisk.config import CohortConfig, load_cohort_config
from calfrisk.simulate import CohortSummary, simulate_cohort
from tests.conftest import read_tables

# Statistical: a large seeded cohort and a rate model per factor.
pytestmark = pytest.mark.slow

Z = 4.0
MAX_SE = 0.1
#: Factors switched off for this cohort, to show that a zero effect is estimated as zero.
ZEROED = ("speed_work",)


@pytest.fixture(scope="module")
def large_cohort(tmp_path_factory: pytest.TempPathFactory) -> tuple[CohortConfig, dict, CohortSummary]:
    overrides = {
        "cohort": {"n_athletes": 8000, "n_days": 365, "seed": 2024},
        # Enriched: 8,000 runner-years hold about 500 strains at the real rate, 5,000 at x9; the
        # Poisson model's offset carries the enrichment, and the hazard ratios are the same.
        "injury": {"enrichment": 9.0},
        # The weekly jump is off by default; on here (its coaching figure), so that it is recovered too.
        "effects": {
            "weekly_jump": {"hazard_ratio": 1.59},
            **{name: {"hazard_ratio": 1.0} for name in ZEROED},
        },
    }
    cfg = load_cohort_config(overrides=overrides)
    out = tmp_path_factory.mktemp("large") / "cohort"
    summary = simulate_cohort(cfg, out, n_jobs=2)
    return cfg, read_tables(Path(out)), summary


def _design(cfg: CohortConfig, tables: dict) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    truth, log, athletes = tables["truth"], tables["training_log"], tables["athletes"]
    runs = truth[truth["hazard"] > 0].reset_index(drop=True)
    # Running days in truth and sessions in the log are the same rows in the same order.
    assert (runs["athlete_id"].to_numpy() == log["athlete_id"].to_numpy()).all()
    assert (runs["date"].to_numpy() == log["date"].to_numpy()).all()
    x = pd.DataFrame(index=runs.index)
    for factor in cfg.factors:
        hr = getattr(cfg.effects, factor).hazard_ratio
        if hr != 1.0:
            x[factor] = np.log(runs[f"mult_{factor}"].to_numpy(np.float64)) / np.log(hr)
    # Covariates of the factors without effect come from what a researcher can see.
    x["speed_work"] = log["session_type"].isin(["tempo", "race"]).to_numpy(float)
    x["intervals"] = (log["session_type"] == "intervals").to_numpy(float)
    profile = athletes.set_index("athlete_id").loc[runs["athlete_id"]]
    x["warmup"] = profile["warmup_habit"].to_numpy(float)
    x["stretching"] = profile["stretching_habit"].to_numpy(float)
    onsets = tables["injuries"].set_index(["athlete_id", "date"]).index
    y = runs.set_index(["athlete_id", "date"]).index.isin(onsets).astype(float)
    hours = log["duration_min"].to_numpy() / 60.0
    return x[list(cfg.factors)], y, hours


@pytest.fixture(scope="module")
def fit(large_cohort):
    cfg, tables, _ = large_cohort
    x, y, hours = _design(cfg, tables)
    # Newton steps on the exact Hessian: the same estimates as GLM's IRLS, several times faster here.
    return sm.Poisson(y, sm.add_constant(x), offset=np.log(hours)).fit(method="newton", disp=0)


def test_enough_events_to_learn_from(large_cohort) -> None:
    _, _, summary = large_cohort
    assert summary.strains > 5000
    assert 0.01 <= summary.positive_share <= 0.03


def test_each_configured_hazard_ratio_is_recovered(large_cohort, fit) -> None:
    cfg = large_cohort[0]
    for factor in cfg.factors:
        true = np.log(getattr(cfg.effects, factor).hazard_ratio)
        est, se = fit.params[factor], fit.bse[factor]
        assert se < MAX_SE, f"{factor}: standard error {se:.3f} too wide to test"
        assert abs(est - true) < Z * se, (
            f"{factor}: estimated HR {np.exp(est):.3f}, configured {np.exp(true):.3f} (se {se:.3f})"
        )


def test_factors_without_effect_show_none(large_cohort, fit) -> None:
    cfg = large_cohort[0]
    null = [f for f in cfg.factors if getattr(cfg.effects, f).hazard_ratio == 1.0]
    assert set(ZEROED) | {"warmup", "stretching"} <= set(null)
    for factor in null:
        assert abs(fit.params[factor]) < Z * fit.bse[factor], f"{factor} shows an effect"


def test_base_rate_matches_the_configuration(large_cohort, fit) -> None:
    cfg, tables, summary = large_cohort
    per_hour = cfg.injury.base_rate_per_1000h / 1000.0 * cfg.injury.enrichment
    assert abs(fit.params["const"] - np.log(per_hour)) < Z * fit.bse["const"]
    # The realised count of strains is Poisson-binomial around the sum of the true daily hazards.
    expected = tables["truth"]["hazard"].sum()
    sd = np.sqrt((tables["truth"]["hazard"] * (1 - tables["truth"]["hazard"])).sum())
    assert abs(summary.strains - expected) < Z * sd
