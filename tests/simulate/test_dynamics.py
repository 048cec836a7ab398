"""The daily step on any state, any subset of athletes, any Generator."""

from __future__ import annotations

import dataclasses

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from calfrisk.config import load_cohort_config
from calfrisk.simulate import SimState, advance_days, compile_params, draw_population, step
from calfrisk.simulate.dynamics import skip_days
from calfrisk.simulate.state import LAMBDA_ACUTE, LAMBDA_CHRONIC

CFG = load_cohort_config()
PARAMS = compile_params(CFG)


def _population(n: int, seed: int, days: int = 0) -> SimState:
    rng = np.random.default_rng(seed)
    state = draw_population(CFG.population, PARAMS, rng, np.arange(n))
    for _ in range(days):
        step(state, PARAMS, rng)
    return state


def _equal_states(a: SimState, b: SimState) -> bool:
    return all(
        np.array_equal(getattr(a, f.name), getattr(b, f.name), equal_nan=True) for f in dataclasses.fields(a)
    )


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 40), k=st.integers(1, 40), seed=st.integers(0, 2**32 - 1), days=st.integers(1, 30))
def test_a_prefix_of_athletes_evolves_the_same_alone_or_with_others(n: int, k: int, seed: int, days: int):
    k = min(k, n)
    full = _population(n, seed=1)
    part = full.take(np.arange(k))
    rng_full, rng_part = np.random.default_rng(seed), np.random.default_rng(seed)
    for _ in range(days):
        day_full = step(full, PARAMS, rng_full, width=n)
        day_part = step(part, PARAMS, rng_part, width=n)
        for f in dataclasses.fields(day_full):
            np.testing.assert_array_equal(getattr(day_part, f.name), getattr(day_full, f.name)[..., :k])
    assert _equal_states(part, full.take(np.arange(k)))


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), index=st.lists(st.integers(0, 29), min_size=1, max_size=50))
def test_take_gives_an_independent_state_with_repeats(seed: int, index: list[int]) -> None:
    state = _population(30, seed=2, days=10)
    before = state.copy()
    taken = state.take(np.array(index))
    assert taken.n == len(index)
    step(taken, PARAMS, np.random.default_rng(seed))
    assert _equal_states(state, before), "stepping a taken state must not touch the original"


def test_without_strains_the_hazard_is_the_same_and_nothing_happens() -> None:
    state = _population(500, seed=3, days=40)
    a, b = state.copy(), state.copy()
    with_strains = step(a, PARAMS, np.random.default_rng(9))
    without = step(b, PARAMS, np.random.default_rng(9), strains=False)
    np.testing.assert_array_equal(with_strains.hazard, without.hazard)
    assert not without.strain.any()
    assert (b.phase != 3).sum() >= (a.phase != 3).sum()


def test_a_state_rolled_forward_many_times_gives_varied_futures() -> None:
    # What a Monte Carlo oracle does: repeat one athlete-day's state and roll it forward.
    one = _population(20, seed=4, days=60).take(np.full(200, 5))
    rng = np.random.default_rng(11)
    survival = np.ones(one.n)
    for _ in range(7):
        day = step(one, PARAMS, rng, strains=False)
        survival *= 1.0 - day.hazard
    risk = 1.0 - survival
    assert np.all((risk >= 0) & (risk < 1))
    assert np.unique(risk).size > 10, "fresh randomness should give different futures"


def test_shoe_km_adds_up_and_worn_shoes_are_retired() -> None:
    state = _population(300, seed=5)
    start_km = {
        (a, int(state.shoe_num[a, k])): state.shoe_km[a, k]
        for a in range(state.n)
        for k in range(int(state.n_pairs[a]))
    }
    rng = np.random.default_rng(12)
    worn: dict[tuple[int, int], float] = {}
    for _ in range(400):
        day = step(state, PARAMS, rng)
        for a in np.flatnonzero(day.ran):
            key = (int(a), int(day.shoe_id[a]))
            worn[key] = worn.get(key, 0.0) + float(day.distance_km[a])
    current = set()
    for a in range(state.n):
        bought = {shoe for athlete, shoe in set(worn) | set(start_km) if athlete == a}
        assert bought <= set(range(1, int(state.next_shoe[a])))
        for k in range(int(state.n_pairs[a])):
            key = (a, int(state.shoe_num[a, k]))
            current.add(key)
            expected = start_km.get(key, 0.0) + worn.get(key, 0.0)
            assert np.isclose(state.shoe_km[a, k], expected), key
    retired = [key for key in set(worn) | set(start_km) if key not in current]
    assert retired, "400 days should wear out some shoes"
    for key in retired:
        total = start_km.get(key, 0.0) + worn.get(key, 0.0)
        assert total > state.replace_km[key[0]]
    never = np.flatnonzero(np.isinf(state.replace_km))
    assert all(state.next_shoe[a] == state.n_pairs[a] + 1 for a in never)


def test_loads_follow_the_ewma_and_rolling_week_definitions() -> None:
    state = _population(100, seed=6)
    acute, chronic = state.acute.copy(), state.chronic.copy()
    rng = np.random.default_rng(13)
    km = []
    for _ in range(30):
        day = step(state, PARAMS, rng)
        km.append(day.distance_km)
        acute = acute + LAMBDA_ACUTE * (day.distance_km - acute)
        chronic = chronic + LAMBDA_CHRONIC * (day.distance_km - chronic)
    np.testing.assert_allclose(state.acute, acute)
    np.testing.assert_allclose(state.chronic, chronic)
    km = np.array(km)
    np.testing.assert_allclose(state.sum7_cm / 100, km[-7:].sum(axis=0), atol=1e-9)
    np.testing.assert_allclose(state.prev7_cm / 100, km[-14:-7].sum(axis=0), atol=1e-9)
    assert LAMBDA_ACUTE == 2 / 8 and LAMBDA_CHRONIC == 2 / 29


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), days=st.integers(1, 70), n=st.integers(1, 30))
def test_advancing_many_days_equals_stepping_day_by_day(seed: int, days: int, n: int) -> None:
    a = _population(n, seed=7, days=5)
    b = a.copy()
    many = advance_days(a, PARAMS, np.random.default_rng(seed), days, width=40)
    rng = np.random.default_rng(seed)
    for t in range(days):
        one = step(b, PARAMS, rng, width=40)
        for f in dataclasses.fields(one):
            np.testing.assert_array_equal(getattr(one, f.name), getattr(many, f.name)[..., t])
    assert _equal_states(a, b)


@settings(max_examples=10, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), days=st.integers(1, 400), n=st.integers(1, 30))
def test_skipping_days_ends_where_advancing_them_ends(seed: int, days: int, n: int) -> None:
    # The burn-in records nothing but must leave state and Generator exactly as advancing would
    # (blocks longer than BLOCK_DAYS included, and a reused buffer).
    a = _population(n, seed=9, days=3)
    b = a.copy()
    rng_a, rng_b = np.random.default_rng(seed), np.random.default_rng(seed)
    advance_days(a, PARAMS, rng_a, days, width=32)
    skip_days(b, PARAMS, rng_b, days, width=32, buffer=np.empty(366 * 9 * 32))
    assert _equal_states(a, b)
    assert rng_a.random() == rng_b.random()


def test_day_to_day_noise_has_the_configured_spread() -> None:
    # Easy runs of one athlete scatter around their planned distance with sd ~ distance_sigma.
    state = _population(1, seed=8).take(np.zeros(4000, dtype=int))
    trajectory = advance_days(state, PARAMS, np.random.default_rng(14), 1)
    ran = trajectory.ran[:, 0] & (trajectory.session_type[:, 0] == 0)
    spread = np.log(trajectory.distance_km[ran, 0]).std()
    assert abs(spread - CFG.training.distance_sigma) < 0.02
