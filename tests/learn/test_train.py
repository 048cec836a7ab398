"""Training on held-out athletes: the default model is calibrated."""

from __future__ import annotations

import pytest

from calfrisk.learn.evaluate import expected_calibration_error
from tests.conftest import KEEP_EVERY_DAY, ROOT


@pytest.mark.slow
def test_gbm_is_calibrated_on_held_out_athletes() -> None:
    # The committed sample cohort: 40 held-out athletes, 11,960 days, 1.7 % positive. Positive days
    # come in runs (the 7 days before each strain), so the effective sample is ~1/7 of the days:
    # a bin of ~800 days has a rate known to ~0.012, and even a perfectly calibrated model shows an
    # ECE near 0.01 here (0.011 measured), so the ECE bound is loose. Calibration in the large is the
    # sharper check: the mean predicted risk within 25 % of the observed rate. The 199 positive days
    # come from 35 strains, so that rate is known to ~17 % (1/sqrt(35)): 25 % is 1.5 standard errors,
    # and predictions 1.5x too high (50 % off, 3 standard errors) fail it.
    from calfrisk.config import load_train_config
    from calfrisk.learn.train import train_models
    from calfrisk.tables import load_cohort

    tables, _ = load_cohort(ROOT / "data" / "synthetic" / "sample")
    overrides = {
        "models": {"gbm": {"params": {"n_estimators": 60}}},
        "evaluation": {"n_boot": 10},
        "sampling": KEEP_EVERY_DAY,
    }
    result = train_models(tables, load_train_config(overrides=overrides), models=["gbm"])
    y, p = result.predictions["label"].to_numpy(), result.predictions["gbm"].to_numpy()
    assert expected_calibration_error(y, p) < 0.02
    assert abs(p.mean() - y.mean()) < 0.25 * y.mean()
    assert abs(1.5 * p.mean() - y.mean()) > 0.25 * y.mean()
