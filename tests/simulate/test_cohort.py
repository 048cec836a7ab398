"""The simulator's tables: schema, units, order, and the rules of the simulated world."""

from __future__ import annotations

import numpy as np
import pandas as pd

from calfrisk.schema import ATHLETE_COLUMNS, INJURY_COLUMNS, SESSION_TYPES, TRAINING_LOG_COLUMNS


def test_tables_have_the_documented_columns(small_cohort, small_tables) -> None:
    cfg = small_cohort[0]
    assert list(small_tables["athletes"].columns) == list(ATHLETE_COLUMNS)
    assert list(small_tables["training_log"].columns) == list(TRAINING_LOG_COLUMNS)
    assert list(small_tables["injuries"].columns) == list(INJURY_COLUMNS)
    truth = small_tables["truth"]
    expected = ["athlete_id", "date", "hazard", "in_layoff"] + [f"mult_{f}" for f in cfg.factors]
    assert list(truth.columns) == expected


def test_shoes_table_lists_the_shoes_in_use_on_the_first_day(small_tables) -> None:
    shoes, athletes, log = small_tables["shoes"], small_tables["athletes"], small_tables["training_log"]
    per_athlete = shoes.groupby("athlete_id").size()
    assert (per_athlete == athletes.set_index("athlete_id")["shoe_pairs"]).all()
    assert (shoes["km"] >= 0).all()
    first_use = log.groupby(["athlete_id", "shoe_id"])["date"].min()
    listed = shoes.set_index(["athlete_id", "shoe_id"]).index
    # Shoes not listed were bought during the window: numbered after the athlete's starting pairs.
    later = first_use.index.difference(listed)
    pairs = athletes.set_index("athlete_id")["shoe_pairs"]
    assert all(shoe > pairs[a] for a, shoe in later)


def test_dtypes_and_units(small_tables) -> None:
    log = small_tables["training_log"]
    assert log["athlete_id"].dtype == np.int32
    assert log["date"].dtype == "datetime64[ms]"
    assert (log["date"] == log["date"].dt.normalize()).all()
    assert list(log["session_type"].cat.categories) == list(SESSION_TYPES)
    assert (log["distance_km"] >= 1.0).all() and (log["distance_km"] < 60).all()
    pace = log["duration_min"] / log["distance_km"]
    assert pace.between(3.0, 10.0).all(), "pace outside 3-10 min/km"
    assert (log["elevation_gain_m"] >= 0).all()
    # Resolutions promised by the schema: 0.01 km, 0.1 min, 1 m.
    assert np.allclose(log["distance_km"] * 100, np.round(log["distance_km"] * 100))
    assert np.allclose(log["duration_min"] * 10, np.round(log["duration_min"] * 10))
    assert np.allclose(log["elevation_gain_m"], np.round(log["elevation_gain_m"]))
    assert (log["shoe_id"] >= 1).all()
    athletes = small_tables["athletes"]
    assert athletes["age"].between(18, 75).all()
    assert set(athletes["sex"]) <= {"F", "M"}
    assert set(athletes["latent_progression"]) <= {"cautious", "steady", "jumpy"}


def test_row_counts_and_order(small_cohort, small_tables) -> None:
    cfg = small_cohort[0]
    n, days = cfg.cohort.n_athletes, cfg.cohort.n_days
    assert small_tables["athletes"]["athlete_id"].tolist() == list(range(n))
    truth = small_tables["truth"]
    assert len(truth) == n * days
    assert truth.groupby("athlete_id").size().eq(days).all()
    for name in ("training_log", "truth", "injuries"):
        table = small_tables[name]
        keys = list(zip(table["athlete_id"], table["date"], strict=True))
        assert keys == sorted(keys), f"{name} is not sorted by athlete, then date"
        assert not table.duplicated(["athlete_id", "date"]).any()
    dates = pd.to_datetime(truth["date"])
    assert dates.min() == pd.Timestamp(cfg.cohort.start_date)
    assert dates.max() == pd.Timestamp(cfg.cohort.start_date) + pd.Timedelta(days=days - 1)


def test_hazard_is_a_probability_and_zero_without_a_run(small_tables) -> None:
    truth, log = small_tables["truth"], small_tables["training_log"]
    assert truth["hazard"].between(0, 1, inclusive="left").all()
    ran = truth.set_index(["athlete_id", "date"]).index.isin(log.set_index(["athlete_id", "date"]).index)
    assert (truth.loc[~ran, "hazard"] == 0).all()
    assert (truth.loc[ran, "hazard"] > 0).all()
    mults = truth.filter(like="mult_")
    assert (mults > 0).all().all()


def test_hazard_is_the_product_of_its_multipliers(small_cohort, small_tables) -> None:
    cfg = small_cohort[0]
    truth, log = small_tables["truth"], small_tables["training_log"]
    run_days = truth[truth["hazard"] > 0].reset_index(drop=True)
    assert (run_days["athlete_id"].to_numpy() == log["athlete_id"].to_numpy()).all()
    hours = log["duration_min"].to_numpy() / 60.0
    rate = cfg.injury.base_rate_per_1000h / 1000.0 * cfg.injury.enrichment
    product = np.exp(np.log(run_days.filter(like="mult_").to_numpy(np.float64)).sum(axis=1))
    expected = -np.expm1(-rate * hours * product)
    np.testing.assert_allclose(run_days["hazard"], expected, rtol=2e-5)


def test_no_running_during_a_layoff(small_tables) -> None:
    log, injuries, truth = small_tables["training_log"], small_tables["injuries"], small_tables["truth"]
    assert len(injuries) > 0, "the small cohort should see strains"
    runs = set(zip(log["athlete_id"], pd.to_datetime(log["date"]), strict=True))
    for row in injuries.itertuples():
        onset = pd.Timestamp(row.date)
        assert (row.athlete_id, onset) in runs, "a strain happens during a run"
        for k in range(1, row.layoff_days + 1):
            assert (row.athlete_id, onset + pd.Timedelta(days=k)) not in runs
    in_layoff = truth[truth["in_layoff"]]
    laid_off = set(zip(in_layoff["athlete_id"], pd.to_datetime(in_layoff["date"]), strict=True))
    assert not laid_off & runs
    assert (in_layoff["hazard"] == 0).all()


def test_grades_have_their_layoffs(small_cohort, small_tables) -> None:
    cfg = small_cohort[0]
    injuries = small_tables["injuries"]
    for grade, spec in enumerate(cfg.injury.grades, start=1):
        days = injuries.loc[injuries["grade"] == grade, "layoff_days"]
        assert days.between(spec.layoff_days.low, spec.layoff_days.high).all()


def test_weekly_pattern_has_rest_days_and_varied_sessions(small_tables) -> None:
    log = small_tables["training_log"]
    per_week = log.groupby("athlete_id").size() / (120 / 7)
    assert per_week.max() <= 7
    assert set(log["session_type"]) == set(SESSION_TYPES)
    long_runs = log[log["session_type"] == "long"]["distance_km"].mean()
    assert long_runs > log[log["session_type"] == "easy"]["distance_km"].mean()
    hills = log[log["session_type"] == "hills"]
    climb = hills["elevation_gain_m"] / hills["distance_km"]
    flat = log[log["session_type"] == "easy"]
    assert climb.mean() > (flat["elevation_gain_m"] / flat["distance_km"]).mean() + 20


def test_summary_matches_tables(small_cohort, small_tables) -> None:
    _, out, summary = small_cohort
    assert summary.strains == len(small_tables["injuries"])
    assert summary.running_days == len(small_tables["training_log"])
    assert np.isclose(summary.expected_strains, small_tables["truth"]["hazard"].sum())
    assert (out / "summary.json").exists() and (out / "config.yaml").exists()
