"""The default world against the real one: strain rates, strain history and recurrence."""

from __future__ import annotations

import pytest

from calfrisk.config import load_cohort_config
from calfrisk.simulate import simulate_cohort
from calfrisk.simulate.epidemiology import REFERENCE, cohort_epidemiology
from calfrisk.tables import load_cohort


@pytest.mark.slow
def test_the_default_cohort_matches_the_figures_it_cites(tmp_path) -> None:
    # The default config, over two years (a return needs a year of follow-up to count towards
    # recurrence) and 25,000 runners: about 2,500 strains, each figure's sampling error a few
    # per cent of its range.
    cfg = load_cohort_config(overrides={"cohort": {"n_athletes": 25_000, "n_days": 730}})
    assert cfg.injury.enrichment == 1.0
    simulate_cohort(cfg, tmp_path / "c", n_jobs=-1)
    tables, _ = load_cohort(tmp_path / "c")
    figures = cohort_epidemiology(tables, cfg).to_dict()
    assert figures["strains"] > 2000 and figures["returns_followed"] > 800
    for name, (low, high, source) in REFERENCE.items():
        assert low <= figures[name] <= high, f"{name} {figures[name]:.3f} outside {low}-{high} ({source})"


def test_recurrence_counts_only_returns_with_follow_up(small_cohort, small_tables) -> None:
    cfg = small_cohort[0]
    short = cohort_epidemiology(small_tables, cfg, recurrence_days=30)
    never = cohort_epidemiology(small_tables, cfg, recurrence_days=cfg.cohort.n_days)
    assert short.returns_followed > 0 and never.returns_followed == 0
    assert short.strains == len(small_tables["injuries"]) > 0
    assert short.runner_years == pytest.approx(150 * 120 / 365.25)
