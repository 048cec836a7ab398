"""forecast(): the risk of a runner's log, on the real-world scale, explained, from the past only."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calfrisk.exceptions import InputError
from calfrisk.learn.bands import BANDS
from calfrisk.learn.explain import DRIVER_FACTORS
from calfrisk.predict.persist import load_model
from calfrisk.predict.profile import load_profile
from calfrisk.predict.records import forecast_csv, forecast_records
from calfrisk.predict.scoring import forecast
from calfrisk.schema import RUN_LOG_COLUMNS
from calfrisk.simulate.export import EXAMPLE_ATHLETE
from tests.conftest import ROOT

TODAY = dt.date(2026, 6, 1)


def as_run_log(log: pd.DataFrame) -> pd.DataFrame:
    """A table in calfrisk's own CSV columns as the readers return it (RUN_LOG_COLUMNS)."""
    date = pd.to_datetime(log["date"]).astype("datetime64[ms]")
    out = pd.DataFrame(
        {
            "date": date,
            "start_time": date,
            "distance_km": log["distance_km"].astype(float),
            "duration_min": log["duration_min"].astype(float),
            "elevation_gain_m": log["elevation_gain_m"].astype(float),
            "session_type": log["session_type"].astype("string") if "session_type" in log else pd.NA,
            "shoe": log["shoe"].astype("string") if "shoe" in log else pd.NA,
            "rpe": np.nan,
            "source": "test",
        }
    )
    for column in ("session_type", "shoe", "source"):
        out[column] = out[column].astype("string")
    return out[list(RUN_LOG_COLUMNS)]


@pytest.fixture(scope="module")
def example():
    log = pd.read_csv(ROOT / "examples" / "runner_log.csv")
    profile = load_profile(ROOT / "examples" / "runner_profile.yaml")
    return as_run_log(log), profile


@pytest.fixture(scope="module")
def loaded(sample_model):
    return load_model(sample_model)


def test_one_year_scored_day_by_day(example, loaded) -> None:
    sessions, profile = example
    model, meta = loaded
    result = forecast(
        sessions, model, meta, profile, start=dt.date(2025, 3, 1), end=dt.date(2025, 12, 31), today=TODAY
    )
    days = result.days
    assert len(days) == 306 and days["date"].is_monotonic_increasing
    # The sample cohort is enriched (x9): its model gives relative figures only, and says why.
    assert meta["enrichment"] > 1 and result.relative and days["risk"].isna().all()
    assert any("enriched x9" in note and "only relative figures" in note for note in result.notes)
    # The same model read as trained at the real rate gives its calibrated probability itself, and
    # the relative figures are the same function of it.
    span = {"start": dt.date(2025, 3, 1), "end": dt.date(2025, 12, 31), "today": TODAY}
    real = forecast(sessions, model, {**meta, "enrichment": 1.0}, profile, **span)
    assert not real.relative and ((real.days["risk"] > 0) & (real.days["risk"] < 1)).all()
    np.testing.assert_allclose(real.days["vs_average"], real.days["risk"] / meta["positive_rate"])
    assert not any("enriched" in note for note in real.notes)
    # Bands follow the documented thresholds.
    edges = [edge for edge, _ in BANDS]
    expected = np.where(
        days["vs_average"] < edges[0], "low", np.where(days["vs_average"] < edges[1], "elevated", "high")
    )
    assert (days["band"].to_numpy() == expected).all()
    # The usual level is the runner's own median so far: vs_usual hovers around 1.
    assert 0.5 < days["vs_usual"].median() < 2.0
    strains = result.timeline.loc[result.timeline["strain"], "date"]
    assert sorted(pd.to_datetime(strains).dt.date) == sorted(profile.strains)  # the strains in the profile


def test_drivers_are_the_largest_positive_factors_with_advice(example, loaded) -> None:
    sessions, profile = example
    model, meta = loaded
    result = forecast(
        sessions, model, meta, profile, start=dt.date(2025, 9, 1), end=dt.date(2025, 10, 14), today=TODAY
    )
    drivers = result.drivers
    assert not drivers.empty
    assert set(drivers["factor"]) <= set(DRIVER_FACTORS)
    assert (drivers["odds_ratio"] > 1.05).all()
    np.testing.assert_allclose(drivers["odds_ratio"], np.exp(drivers["contribution"]))
    for _, day in drivers.groupby("date"):
        assert len(day) <= 3 and day["contribution"].is_monotonic_decreasing
        assert list(day["rank"]) == list(range(1, len(day) + 1))
    assert drivers["advice"].str.len().min() > 30
    shoes = drivers[drivers["factor"] == "shoes"]
    if len(shoes):
        assert shoes["advice"].str.contains("Pegasus|Novablast|Clifton|Ghost").all()


def test_weeks_without_a_run_put_no_shoe_wear_into_the_risk(example, loaded) -> None:
    # The example runner strains on 2025-09-27 and runs no more. Four weeks on, no shoe is in use: a
    # state no training day shows (layoffs are not scored), so shoe wear takes the typical value
    # there and the shoes are no driver; a day with runs in its four weeks keeps its own wear.
    sessions, profile = example
    model, meta = loaded
    result = forecast(
        sessions, model, meta, profile, start=dt.date(2025, 9, 20), end=dt.date(2025, 10, 31), today=TODAY
    )
    assert any("without a run in the 4 weeks before" in note for note in result.notes)
    idle_drivers = result.drivers[pd.to_datetime(result.drivers["date"]) >= pd.Timestamp("2025-10-25")]
    assert "shoes" not in set(idle_drivers["factor"])
    # 2025-10-25 is the first day whose 28 days hold no run: the risk does not jump there (read as
    # "no rotation" at its extreme, it tripled).
    days = result.days.set_index(pd.to_datetime(result.days["date"]))
    assert days.loc["2025-10-25", "vs_average"] < 1.5 * days.loc["2025-10-24", "vs_average"]


def test_values_not_given_are_reported_and_never_drivers(example, loaded) -> None:
    sessions, _ = example
    model, meta = loaded
    bare = load_profile()
    result = forecast(
        sessions, model, meta, bare, start=dt.date(2025, 6, 1), end=dt.date(2025, 9, 30), today=TODAY
    )
    assert any("typical value" in note and "age=" in note for note in result.notes)
    assumed = {"age", "sex", "glute_strength", "calf_strength", "strain_history"}
    assert not set(result.drivers["factor"]) & assumed
    no_shoes = sessions.assign(shoe=pd.array([pd.NA] * len(sessions), dtype="string"))
    result = forecast(no_shoes, model, meta, bare, today=TODAY)
    assert any("names no shoes" in note for note in result.notes)
    assert "shoes" not in set(result.drivers["factor"])


def test_session_types_not_recorded_are_inferred_from_past_pace(example, loaded) -> None:
    sessions, profile = example
    model, meta = loaded
    untyped = sessions.assign(session_type=pd.array([pd.NA] * len(sessions), dtype="string"))
    result = forecast(untyped, model, meta, profile, today=TODAY)
    note = next(n for n in result.notes if "without a type" in n)
    n_speed = int(note.split(": ")[1].split()[0])
    truth = sessions["session_type"].isin(["tempo", "intervals", "race"]).sum()
    # The pace rule finds speed sessions of about the right number (the simulator's paces vary).
    assert 0.3 * truth <= n_speed <= 2.5 * truth


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(cut=st.integers(min_value=60, max_value=300), extra=st.integers(min_value=1, max_value=40))
def test_a_days_risk_never_depends_on_later_sessions(example, loaded, cut: int, extra: int) -> None:
    sessions, profile = example
    model, meta = loaded
    first = sessions["date"].iloc[0]
    day = (first + pd.Timedelta(days=cut)).date()
    upto = sessions[sessions["date"] <= pd.Timestamp(day)]
    later = sessions[sessions["date"] <= pd.Timestamp(day) + pd.Timedelta(days=extra)]
    a = forecast(upto, model, meta, profile, end=day, today=TODAY)
    b = forecast(later, model, meta, profile, end=day, today=TODAY)
    pd.testing.assert_frame_equal(a.days, b.days)
    pd.testing.assert_frame_equal(a.drivers, b.drivers)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"end": dt.date(2027, 1, 1)}, "end 2027-01-01: in the future"),
        (
            {"start": dt.date(2025, 1, 20), "end": dt.date(2025, 2, 1)},
            "start 2025-01-20: the model needs 28 days",
        ),
        (
            {"start": dt.date(2025, 5, 2), "end": dt.date(2025, 5, 1)},
            "start 2025-05-02: after `end` 2025-05-01",
        ),
    ],
)
def test_days_that_cannot_be_scored_are_refused_naming_the_parameter(
    example, loaded, kwargs, message
) -> None:
    sessions, profile = example
    model, meta = loaded
    with pytest.raises(InputError, match=message) as caught:
        forecast(sessions, model, meta, profile, today=TODAY, **kwargs)
    assert "--" not in str(caught.value)  # a library call is told its parameter, not a flag


def test_a_log_too_short_to_score_says_so_without_blaming_a_flag(example, loaded) -> None:
    sessions, profile = example
    model, meta = loaded
    short = sessions[sessions["date"] < sessions["date"].iloc[0] + pd.Timedelta(days=10)]
    with pytest.raises(InputError) as caught:
        forecast(short, model, meta, profile, today=TODAY)
    message = str(caught.value)
    assert message.startswith("the log covers ") and "needs 28 days of log" in message
    assert "--" not in message  # no day was asked for: no flag to blame


def test_a_shoe_km_for_a_shoe_not_in_the_log_is_refused(example, loaded) -> None:
    sessions, _ = example
    model, meta = loaded
    with pytest.raises(InputError, match=r"'Pegasis'.*no session in the log uses that shoe"):
        forecast(sessions, model, meta, load_profile(overrides={"shoe_km": {"Pegasis": 100.0}}), today=TODAY)


def test_shoe_km_before_the_log_raises_shoe_wear(example, loaded) -> None:
    sessions, profile = example
    model, meta = loaded
    span = {"start": dt.date(2025, 3, 1), "end": dt.date(2025, 4, 30), "today": TODAY}
    # The profile's shoes that are still run in during the span (the others were retired before it).
    dates = pd.to_datetime(sessions["date"]).dt.date
    used = set(sessions.loc[(dates >= span["start"]) & (dates <= span["end"]), "shoe"])
    shoes = [name for name in profile.shoe_km if name in used]
    assert shoes, "the example's profile should report a shoe that is run in during the span"
    worn = load_profile(overrides={**profile.model_dump(), "shoe_km": dict.fromkeys(shoes, 900.0)})
    fresh = load_profile(overrides={**profile.model_dump(), "shoe_km": dict.fromkeys(shoes, 0.0)})
    a = forecast(sessions, model, meta, worn, **span).days["vs_average"]
    b = forecast(sessions, model, meta, fresh, **span).days["vs_average"]
    assert (a >= b - 1e-12).all() and (a > b).any()


def test_json_records_and_csv_follow_the_contract(example, loaded) -> None:
    sessions, profile = example
    model, meta = loaded
    result = forecast(
        sessions, model, meta, profile, start=dt.date(2025, 9, 1), end=dt.date(2025, 9, 7), today=TODAY
    )
    records = forecast_records(result)
    assert len(records) == 7
    for record in records:
        assert {"athlete_id", "date", "risk", "band", "drivers"} <= set(record)
        assert record["athlete_id"] == f"athlete {EXAMPLE_ATHLETE}"
        assert record["band"] in {"low", "elevated", "high"}
        dt.date.fromisoformat(record["date"])
        for driver in record["drivers"]:
            assert {"factor", "contribution", "advice"} <= set(driver)
    table = pd.read_csv(__import__("io").StringIO(forecast_csv(result)))
    assert len(table) == 7 and {"date", "risk", "band", "driver_1_factor", "driver_1_advice"} <= set(
        table.columns
    )


def test_the_default_model_follows_the_evidence_direction_of_each_constrained_effect(loaded) -> None:
    from calfrisk.config import load_train_config
    from calfrisk.learn.explain import contributions

    model, meta = loaded
    directions = load_train_config().models["gbm"].params["monotone_constraints"]
    medians = pd.Series(meta["feature_medians"])
    grid = np.linspace(0.0, 1.0, 41)
    span = {"age": 90.0, "shoes_28d": 4.0, "days_since_return": 365.0}
    for feature, sign in directions.items():
        rows = pd.DataFrame([medians] * len(grid)).reset_index(drop=True)
        rows[feature] = grid * span.get(feature, 1500.0)
        values = contributions(model[-1], rows[model[-1].feature_names_in_]).values[feature].to_numpy()
        steps = np.diff(values) * sign
        assert (steps >= -1e-12).all(), feature


def test_a_model_from_another_calfrisk_version_is_refused_in_one_line(example, loaded) -> None:
    import copy

    sessions, profile = example
    model, meta = loaded
    old = copy.deepcopy(meta)
    del old["feature_medians"]["warmup_habit"]
    with pytest.raises(InputError, match=r"another version of calfrisk.*warmup_habit.*retrain"):
        forecast(sessions, model, old, profile, today=TODAY)
    other = copy.deepcopy(model)
    other[-1].feature_names_in_ = other[-1].feature_names_in_[:-2]
    with pytest.raises(InputError, match="another version of calfrisk"):
        forecast(sessions, other, meta, profile, today=TODAY)


def test_band_outcomes_count_each_band_against_what_followed() -> None:
    from calfrisk.learn.bands import band_outcomes

    # Average day 0.02: ratios 0.5, 1, 2, 2 and 4 -> low, low, elevated, elevated, high.
    p = np.array([0.01, 0.02, 0.04, 0.04, 0.08])
    y = np.array([0, 0, 1, 0, 1])
    table = band_outcomes(y, p, positive_rate=0.02).set_index("band")
    assert list(table.index) == [label for _, label in BANDS]
    assert table["days"].tolist() == [2, 2, 1] and table["share"].sum() == pytest.approx(1.0)
    assert table["observed"].tolist() == [0.0, 0.5, 1.0]
    assert table.loc["elevated", "predicted"] == pytest.approx(0.04)
    assert table.loc["high", "lift"] == pytest.approx(1.0 / 0.4)
    # Bands are drawn on the real-world scale, as predict draws them: with enrichment the ratio
    # of 0.08 to 0.02 is a little above 4, still "high"; a band nobody falls in has 0 days.
    assert band_outcomes(y, p, 0.02, enrichment=15.0)["days"].tolist() == [2, 2, 1]
    empty = band_outcomes(np.array([0, 1]), np.array([0.01, 0.01]), 0.02).set_index("band")
    assert empty.loc["high", "days"] == 0 and np.isnan(empty.loc["high", "observed"])


def test_band_intervals_hold_a_calibrated_model_and_catch_a_biased_one() -> None:
    from calfrisk.learn.bands import band_outcomes

    # 2,000 runners x 200 days with each runner's own risk level: a runner's days are correlated,
    # which the athlete bootstrap respects. A calibrated model's predicted rate sits inside each
    # band's interval; one that predicts half the risk falls below every interval.
    rng = np.random.default_rng(4)
    runners, days = 2000, 200
    level = np.exp(rng.normal(-4.5, 0.6, runners))
    p = np.clip(np.repeat(level, days) * np.exp(rng.normal(0, 0.3, runners * days)), 0, 0.5)
    y = (rng.random(len(p)) < p).astype(int)
    athletes = np.repeat(np.arange(runners), days)
    rate = float(p.mean())
    calibrated = band_outcomes(y, p, rate, athlete_ids=athletes, n_boot=100)
    assert calibrated["agrees"].all()
    assert (calibrated["observed_low"] < calibrated["observed"]).all()
    assert (calibrated["observed"] < calibrated["observed_high"]).all()
    # Half the risk everywhere: the same bands (drawn against the model's own average day), rates
    # predicted at half of what follows.
    halved = band_outcomes(y, p / 2, rate / 2, athlete_ids=athletes, n_boot=100)
    assert not halved["agrees"].any()
