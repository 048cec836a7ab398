"""Past-only features: no look-ahead, input order, athletes never mix, the definitions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone

from calfrisk.exceptions import InputError
from calfrisk.learn.features import DAY_METRICS, FEATURE_GROUPS, DailyWindow, LoadFeatures
from calfrisk.learn.labels import strain_labels
from calfrisk.learn.panel import PANEL_COLUMNS, daily_panel

START = pd.Timestamp("2025-03-03")


@st.composite
def panels(draw: st.DrawFn) -> pd.DataFrame:
    """Random daily panels: 1-3 athletes, up to 50 days each, with gaps, shoes and strains."""
    rows = []
    for athlete in range(draw(st.integers(1, 3))):
        n_days = draw(st.integers(1, 50))
        days = sorted(draw(st.sets(st.integers(0, 60), min_size=1, max_size=n_days)))
        for d in days:
            km = draw(st.one_of(st.just(0.0), st.floats(1.0, 40.0)))
            rows.append(
                {
                    "athlete_id": athlete,
                    "date": START + pd.Timedelta(days=d),
                    "distance_km": km,
                    "duration_min": km * 6.0,
                    "elevation_gain_m": km * draw(st.floats(0.0, 40.0)),
                    "speed_km": km * draw(st.sampled_from([0.0, 1.0])),
                    "long_km": km,
                    "shoe_id": draw(st.integers(1, 3)) if km > 0 else -1,
                    "shoe_start_km": 0.0,
                    "strain_onset": km > 0 and draw(st.integers(0, 19)) == 0,
                    "age": 30.0 + athlete,
                    "sex": "F" if athlete % 2 else "M",
                    "prior_calf_strains": athlete,
                    "glute_test_score": 20.0,
                    "calf_test_score": 25.0,
                    "warmup_habit": athlete % 3 == 0,
                    "stretching_habit": athlete % 2 == 0,
                }
            )
    return pd.DataFrame(rows, columns=list(PANEL_COLUMNS))


def _features(panel: pd.DataFrame, make: type = LoadFeatures) -> pd.DataFrame:
    transformer = make().fit(panel)
    return pd.DataFrame(
        transformer.transform(panel), index=panel.index, columns=transformer.get_feature_names_out()
    )


# Both transformers promise the same: past-only, rows in input order, athletes independent.
TRANSFORMERS = pytest.mark.parametrize("make", [LoadFeatures, DailyWindow])


@TRANSFORMERS
@settings(max_examples=40, deadline=None)
@given(panel=panels(), cut=st.integers(0, 60))
def test_no_look_ahead_later_rows_do_not_change_a_rows_features(
    make: type, panel: pd.DataFrame, cut: int
) -> None:
    full = _features(panel, make)
    early = panel[panel["date"] <= START + pd.Timedelta(days=cut)]
    if len(early):
        pd.testing.assert_frame_equal(_features(early, make), full.loc[early.index])


@TRANSFORMERS
@settings(max_examples=30, deadline=None)
@given(panel=panels(), seed=st.integers(0, 2**32 - 1))
def test_rows_come_back_in_input_order(make: type, panel: pd.DataFrame, seed: int) -> None:
    shuffled = panel.sample(frac=1.0, random_state=np.random.RandomState(seed % 2**31))
    pd.testing.assert_frame_equal(_features(shuffled, make), _features(panel, make).loc[shuffled.index])


@TRANSFORMERS
@settings(max_examples=30, deadline=None)
@given(panel=panels())
def test_athletes_never_mix(make: type, panel: pd.DataFrame) -> None:
    full = _features(panel, make)
    for _, rows in panel.groupby("athlete_id"):
        pd.testing.assert_frame_equal(_features(rows, make), full.loc[rows.index])


def _one_athlete(km: list[float], **extra: object) -> pd.DataFrame:
    n = len(km)
    data = {
        "athlete_id": [7] * n,
        "date": [START + pd.Timedelta(days=d) for d in range(n)],
        "distance_km": km,
        "duration_min": [k * 6 for k in km],
        "elevation_gain_m": [k * 10 for k in km],
        "speed_km": [0.0] * n,
        "long_km": km,
        "shoe_id": [1 if k > 0 else -1 for k in km],
        "shoe_start_km": [0.0] * n,
        "strain_onset": [False] * n,
        "age": [50.0] * n,
        "sex": ["F"] * n,
        "prior_calf_strains": [1] * n,
        "glute_test_score": [18.0] * n,
        "calf_test_score": [22.0] * n,
        "warmup_habit": [True] * n,
        "stretching_habit": [False] * n,
    }
    data.update(extra)
    return pd.DataFrame(data)


@settings(max_examples=25, deadline=None)
@given(km=st.floats(1.0, 40.0), days=st.integers(1, 120))
def test_a_steady_runner_reads_steady_from_the_first_day(km: float, days: int) -> None:
    # The load before a log is unknown, not zero: the same km every day is a chronic load of that
    # km and a ratio of 1 from the first logged day on, not a ratio far above 1 at the start.
    f = _features(_one_athlete([km] * days))
    np.testing.assert_allclose(f["ewma_chronic_km"], km, rtol=1e-12)
    np.testing.assert_allclose(f["ewma_acute_km"], km, rtol=1e-12)
    np.testing.assert_allclose(f["acwr_ewma"], 1.0, rtol=1e-12)


def test_definitions_on_a_hand_made_log() -> None:
    km = [10.0, 0.0, 5.0, 5.0, 0.0, 8.0, 12.0] * 4 + [20.0]
    panel = _one_athlete(km)
    f = _features(panel)
    last = f.iloc[-1]
    assert last["km_day"] == 20.0
    assert last["km_7d"] == sum(km[-7:])
    assert last["km_28d"] == sum(km[-28:])
    # Weighted means of the days so far: sum of (1 - lambda) ** age * km over the sum of the weights.
    age = np.arange(len(km))[::-1]
    acute = np.sum(0.75**age * km) / np.sum(0.75**age)
    chronic = np.sum((1 - 2 / 29) ** age * km) / np.sum((1 - 2 / 29) ** age)
    assert last["ewma_acute_km"] == pytest.approx(acute)
    assert last["ewma_chronic_km"] == pytest.approx(chronic)
    assert last["acwr_ewma"] == pytest.approx(acute / chronic)
    assert last["acwr_uncoupled"] == pytest.approx((sum(km[-7:]) / 7) / (sum(km[-28:-7]) / 21))
    assert last["week_change"] == pytest.approx(sum(km[-7:]) / sum(km[-14:-7]) - 1)
    assert last["long_run_ratio"] == pytest.approx(20.0 / (sum(km[-28:]) / 4))
    week = np.array(km[-7:])
    assert last["monotony_7d"] == pytest.approx(week.mean() / week.std())
    assert last["strain_7d"] == pytest.approx(week.sum() * week.mean() / week.std())
    assert last["days_since_rest"] == 3  # rest on day -4, runs on the last three days
    assert f.iloc[1]["days_since_rest"] == 0
    assert last["climb_m_7d"] == pytest.approx(10 * sum(km[-7:]))
    assert last["shoe_km_today"] == pytest.approx(sum(km[:-1]))
    assert last["shoe_km_max_7d"] == pytest.approx(sum(km))
    assert last["shoes_28d"] == 1
    assert last["calf_strains"] == 1 and last["days_since_return"] == 365
    assert last["female"] == 1 and last["age"] == 50


def test_missing_days_are_rest_days() -> None:
    km = [6.0, 0.0, 0.0, 7.0, 0.0, 9.0]
    full = _one_athlete(km)
    gappy = full[full["distance_km"] > 0]
    pd.testing.assert_frame_equal(_features(gappy), _features(full).loc[gappy.index])


def test_return_from_a_strain_and_strain_count() -> None:
    km = [5.0, 6.0, 0.0, 0.0, 0.0, 4.0, 0.0, 5.0]
    onset = [False, True, False, False, False, False, False, False]
    f = _features(_one_athlete(km, strain_onset=onset))
    assert f["calf_strains"].tolist() == [1, 2, 2, 2, 2, 2, 2, 2]
    # Strain on day 1 (during its run), first run back on day 5.
    assert f["days_since_return"].tolist() == [365, 365, 365, 365, 365, 0, 1, 2]


def test_shoe_start_km_and_rotation() -> None:
    km = [10.0, 10.0, 10.0, 10.0]
    panel = _one_athlete(km, shoe_id=[1, 2, 1, 2], shoe_start_km=[500.0, 0.0, 500.0, 0.0])
    f = _features(panel)
    assert f["shoe_km_today"].tolist() == [500.0, 0.0, 510.0, 10.0]
    assert f["shoe_km_max_7d"].tolist() == [510.0, 510.0, 520.0, 520.0]
    assert f["shoes_28d"].tolist() == [1, 2, 2, 2]


def test_a_run_without_a_recorded_shoe_leaves_the_wear_unknown() -> None:
    # Shoe 0 (a real log's run without a shoe name) is not a new shoe: its wear is missing, in the
    # day's feature and in every window it falls in; the known shoe's wear is read as before.
    km = [10.0] * 10
    f = _features(_one_athlete(km, shoe_id=[1, 1, 0, 1, 1, 1, 1, 1, 1, 1]))
    assert f["shoe_km_today"].isna().tolist() == [False, False, True, *[False] * 7]
    assert f["shoe_km_today"].iloc[3] == 20.0
    assert f["shoe_km_max_7d"].isna().tolist() == [False, False, *[True] * 7, False]
    assert f["shoes_28d"].isna().tolist() == [False, False, *[True] * 8]


def test_sklearn_contract() -> None:
    est = LoadFeatures(acute_days=5)
    assert clone(est).get_params() == est.get_params()
    assert est.set_params(chronic_days=21) is est and est.chronic_days == 21
    panel = _one_athlete([5.0, 6.0])
    assert est.fit(panel) is est
    names = est.get_feature_names_out()
    assert list(names) == [n for group in FEATURE_GROUPS.values() for n in group]
    frame = clone(est).set_output(transform="pandas").fit_transform(panel)
    assert list(frame.columns) == list(names) and frame.index.equals(panel.index)
    with pytest.raises(ValueError, match="acute_days"):
        LoadFeatures(acute_days=0).fit(panel)


def test_daily_window_holds_the_days_before_with_missing_days_as_rest() -> None:
    # Days 0, 1 and 3 logged (day 2 missing: a rest day); speed work on day 3.
    panel = _one_athlete([5.0, 6.0, 8.0])
    panel.loc[2, "date"] = START + pd.Timedelta(days=3)
    panel.loc[2, "speed_km"] = 8.0
    window = DailyWindow(days=3).set_output(transform="pandas").fit_transform(panel)
    assert list(window.columns) == [f"{m}_lag{k}" for m in DAY_METRICS for k in range(3)]
    assert window.index.equals(panel.index)
    assert window.loc[2, ["km_lag0", "km_lag1", "km_lag2"]].tolist() == [8.0, 0.0, 6.0]
    assert window.loc[2, ["sessions_lag0", "sessions_lag1", "sessions_lag2"]].tolist() == [1.0, 0.0, 1.0]
    assert window.loc[2, ["speed_km_lag0", "speed_km_lag1"]].tolist() == [8.0, 0.0]
    # Before the athlete's first day: rest days, not values of another athlete or of the future.
    assert window.loc[0, ["km_lag0", "km_lag1", "km_lag2"]].tolist() == [5.0, 0.0, 0.0]
    est = DailyWindow(days=2)
    assert clone(est).get_params() == {"days": 2}
    with pytest.raises(ValueError, match="days"):
        DailyWindow(days=0).fit(panel)
    with pytest.raises(InputError, match="speed_km"):
        DailyWindow().fit(panel.drop(columns="speed_km"))


def test_bad_panels_are_input_errors() -> None:
    panel = _one_athlete([5.0, 6.0])
    with pytest.raises(InputError, match="distance_km"):
        LoadFeatures().fit(panel.drop(columns="distance_km"))
    with pytest.raises(InputError, match="more than one row"):
        LoadFeatures().fit_transform(pd.concat([panel, panel]))


def test_no_latent_value_reaches_the_features(small_tables) -> None:
    panel = daily_panel(
        small_tables["training_log"],
        small_tables["athletes"],
        small_tables["injuries"],
        days=small_tables["truth"],
    )
    assert not [c for c in panel.columns if c.startswith("latent_")]
    latent = small_tables["athletes"].filter(like="latent_")
    shuffled = small_tables["athletes"].assign(
        **{c: latent[c].sample(frac=1, random_state=1).to_numpy() for c in latent}
    )
    again = daily_panel(
        small_tables["training_log"], shuffled, small_tables["injuries"], days=small_tables["truth"]
    )
    pd.testing.assert_frame_equal(panel, again)


def test_panel_of_the_simulated_cohort_matches_its_log(small_tables) -> None:
    log, truth = small_tables["training_log"], small_tables["truth"]
    panel = daily_panel(log, small_tables["athletes"], small_tables["injuries"], days=truth)
    assert len(panel) == len(truth)
    assert panel["distance_km"].sum() == pytest.approx(log["distance_km"].sum())
    assert panel["strain_onset"].sum() == len(small_tables["injuries"])
    assert ((panel["shoe_id"] >= 1) == (panel["distance_km"] > 0)).all()


def test_labels_look_ahead_exactly_h_days() -> None:
    days = pd.DataFrame({"athlete_id": 1, "date": pd.date_range(START, periods=12)})
    injuries = pd.DataFrame({"athlete_id": [1], "date": [START + pd.Timedelta(days=5)]})
    lab = strain_labels(days, injuries, horizon=3)
    assert lab["label"].tolist() == [0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]
    # The onset day itself and the last 3 days (horizon past the data) are not eligible.
    assert lab["eligible"].tolist() == [True] * 5 + [False] + [True] * 3 + [False] * 3


def test_labels_skip_layoff_days_and_keep_input_order(small_tables) -> None:
    truth = small_tables["truth"].sample(frac=1.0, random_state=3)
    lab = strain_labels(truth, small_tables["injuries"], horizon=7)
    assert lab.index.equals(truth.index)
    assert not lab.loc[truth["in_layoff"], "eligible"].any()
    assert 0.005 < lab.loc[lab["eligible"], "label"].mean() < 0.05


@pytest.mark.parametrize("horizon", [0, -3, 2.5, True])
def test_bad_horizon(horizon: object) -> None:
    days = pd.DataFrame({"athlete_id": [1], "date": [START]})
    with pytest.raises(InputError, match="horizon"):
        strain_labels(days, days.iloc[:0], horizon=horizon)  # type: ignore[arg-type]


@settings(max_examples=25, deadline=None)
@given(panel=panels())
def test_same_features_as_the_plain_pandas_reference(panel: pd.DataFrame) -> None:
    from benchmarks.features_reference import pandas_features

    pd.testing.assert_frame_equal(
        _features(panel), pandas_features(panel), check_exact=False, rtol=1e-9, atol=1e-9
    )


def test_labels_can_require_history() -> None:
    days = pd.DataFrame({"athlete_id": 1, "date": pd.date_range(START, periods=12)})
    lab = strain_labels(days, days.iloc[:0], horizon=2, min_history_days=4)
    assert lab["eligible"].tolist() == [False] * 4 + [True] * 6 + [False] * 2


@settings(max_examples=25, deadline=None)
@given(panel=panels(), cut=st.integers(0, 60))
def test_athlete_zscores_look_only_at_the_past(panel: pd.DataFrame, cut: int) -> None:
    from calfrisk.learn.features import athlete_zscores

    full = _features(panel)
    z = athlete_zscores(full, panel["athlete_id"].to_numpy(), panel["date"].to_numpy())
    assert z.index.equals(full.index) and np.isfinite(z.to_numpy()).all()
    early = panel["date"] <= START + pd.Timedelta(days=cut)
    if early.any():
        part = athlete_zscores(
            full[early], panel.loc[early, "athlete_id"].to_numpy(), panel.loc[early, "date"].to_numpy()
        )
        pd.testing.assert_frame_equal(part, z[early])


def test_athlete_zscores_standardise_within_each_athlete() -> None:
    from calfrisk.learn.features import athlete_zscores

    f = pd.DataFrame({"x": [1.0, 3.0, 5.0, 100.0, 100.0]})
    z = athlete_zscores(f, np.array([1, 1, 1, 2, 2]), pd.date_range(START, periods=5).to_numpy())
    # Athlete 1, day 3: mean 3, sd sqrt(8/3); athlete 2 has not varied: 0.
    assert z["x"].tolist() == pytest.approx([0.0, 1.0, 2 / np.sqrt(8 / 3), 0.0, 0.0])


def test_scored_days_read_the_loads_of_a_log_that_started_earlier() -> None:
    # A log that starts 70 days later than the committed sample's: on its first scored day (day 28,
    # data.min_history_days) its EWMA loads against those of the whole log, which by then carry
    # (27/29)**98 < 0.1 % of weight from before their own start.
    from calfrisk.tables import load_cohort

    tables, _ = load_cohort("data/synthetic/sample")
    panel = daily_panel(tables["training_log"], tables["athletes"], tables["injuries"], days=tables["truth"])
    offset = (panel["date"] - panel.groupby("athlete_id")["date"].transform("min")).dt.days
    full = _features(panel)
    late = panel[offset >= 70]
    first_scored = late.index[(offset[late.index] - 70) == 28]
    assert len(first_scored) == tables["athletes"].shape[0]
    short = _features(late).loc[first_scored]
    chronic = short["ewma_chronic_km"] / full.loc[first_scored, "ewma_chronic_km"] - 1
    # Started from zero, the chronic load would miss the 1 - (1 - 2/29)**29 = 13.6 % of weight the
    # unseen days carry; as a weighted mean of the days seen it misses only how those days differ
    # from the unseen ones: a few per cent for a typical runner, against ~13 % from zero.
    from_zero = (1 + chronic) * (1 - (1 - 2 / 29) ** 29) - 1
    assert chronic.abs().median() < 0.05 and from_zero.abs().median() > 0.10
    ratio = (short["acwr_ewma"] - full.loc[first_scored, "acwr_ewma"]).abs()
    assert ratio.median() < 0.05
