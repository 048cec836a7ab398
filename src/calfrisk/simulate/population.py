"""Draw a population of athletes: their profile, latent strengths, habits and starting state.

All randomness comes from one fixed-shape block of uniforms and normals per call, ``width`` columns
wide, of which the first ``len(athlete_ids)`` are used. Drawing the full chunk's width even for a
short last chunk is what keeps an athlete's draws the same when athletes are added to the cohort.
"""

from __future__ import annotations

import numpy as np

from calfrisk.config.cohort import LogNormal, Population
from calfrisk.factors import TRAITS
from calfrisk.simulate.state import (
    EASY,
    LONG,
    NEVER_DAYS,
    NORMAL,
    QUALITY,
    SimParams,
    SimState,
)

__all__ = ["draw_population", "draw_traits", "poisson_from_uniform", "week_templates"]

MAX_PAIRS = 4

_N_UNIFORM = 24
_N_NORMAL = 10
# The spawn-key branch of the traits' streams (see draw_traits).
_TRAIT_STREAM = 0x7472


def draw_traits(rng: np.random.Generator, n: int, width: int) -> np.ndarray:
    """Each runner's traits (:data:`calfrisk.factors.TRAITS`): normal, clipped to the trait's range.

    Each trait draws from its own stream, a child of ``rng``'s seed sequence that ``rng`` itself
    never reads: declaring a trait leaves every other draw of the cohort, and every other trait's,
    as it was, so a trait with no effect changes nothing but its own column.

    Returns
    -------
    numpy.ndarray
        ``(n, len(TRAITS))`` float64.
    """
    seq = rng.bit_generator.seed_seq
    values = np.empty((n, len(TRAITS)))
    for j, f in enumerate(TRAITS):
        key = (*seq.spawn_key, _TRAIT_STREAM, j)
        z = np.random.default_rng(np.random.SeedSequence(seq.entropy, spawn_key=key)).standard_normal(width)[
            :n
        ]
        values[:, j] = np.clip(f.trait.mean + f.trait.sd * z, f.trait.low, f.trait.high)
    return values


def week_templates() -> np.ndarray:
    """Weekly session templates by sessions per week (rows 0..7), Monday first.

    Returns
    -------
    numpy.ndarray
        ``(8, 7)`` int8 slot codes (rest, easy, long, quality). The long run is on Sunday; one or two
        quality sessions sit mid-week with easy days between.
    """
    r, e, lo, q = 0, EASY, LONG, QUALITY
    return np.array(
        [
            [r, r, r, r, r, r, r],
            [r, r, r, r, r, r, lo],
            [r, r, q, r, r, r, lo],
            [r, e, r, q, r, r, lo],
            [r, q, e, r, e, r, lo],
            [e, q, r, q, e, r, lo],
            [e, q, e, q, e, r, lo],
            [e, q, e, q, e, e, lo],
        ],
        dtype=np.int8,
    )


def poisson_from_uniform(u: np.ndarray, lam: np.ndarray, kmax: int = 30) -> np.ndarray:
    """Poisson variates by inverting the CDF of uniforms ``u`` (one uniform per variate).

    Parameters
    ----------
    u : numpy.ndarray
        Uniforms in [0, 1).
    lam : numpy.ndarray
        Poisson means, broadcastable to ``u``; meant for small means (the count is capped at kmax).
    kmax : int, default=30
        Largest count returned.

    Returns
    -------
    numpy.ndarray
        int64 counts.
    """
    pmf = np.exp(-lam) * np.ones_like(u)
    cdf = pmf.copy()
    k = np.zeros(u.shape, dtype=np.int64)
    for i in range(1, kmax + 1):
        below = u >= cdf
        if not below.any():
            break
        k += below
        pmf = pmf * lam / i
        cdf = cdf + pmf
    return k


def _categorical(u: np.ndarray, shares: list[float]) -> np.ndarray:
    cum = np.cumsum(shares)
    return np.minimum(np.searchsorted(cum / cum[-1], u, side="right"), len(shares) - 1)


def _lognormal(z: np.ndarray, spec: LogNormal) -> np.ndarray:
    return np.clip(spec.median * np.exp(spec.sigma * z), spec.low, spec.high)


def _uniform(u: np.ndarray, low: float, high: float) -> np.ndarray:
    return low + (high - low) * u


def draw_population(
    pop: Population,
    params: SimParams,
    rng: np.random.Generator,
    athlete_ids: np.ndarray,
    *,
    start_day: int = 0,
    width: int | None = None,
) -> SimState:
    """Draw athletes and their starting state.

    Parameters
    ----------
    pop : Population
        The population section of the config.
    params : SimParams
        Compiled simulator parameters.
    rng : numpy.random.Generator
        Source of all randomness.
    athlete_ids : numpy.ndarray
        The ids of the athletes to draw, one per athlete.
    start_day : int, default=0
        Day index of the returned state (negative to leave room for a burn-in).
    width : int, optional
        Draw this many athletes' worth of randomness and use the first ``len(athlete_ids)``; keeps
        each athlete's draws independent of how many athletes share the call. Defaults to the
        number of athletes.

    Returns
    -------
    SimState
        The athletes on ``start_day``.
    """
    n = len(athlete_ids)
    width = n if width is None else width
    if width < n:
        raise ValueError(f"width ({width}) must be at least the number of athletes ({n})")
    u = rng.random((_N_UNIFORM, width))[:, :n]
    z = rng.standard_normal((_N_NORMAL, width))[:, :n]

    age = np.clip(pop.age.mean + pop.age.sd * z[0], pop.age.low, pop.age.high)
    female = u[0] < pop.female_share
    years = np.minimum(_lognormal(z[1], pop.years_running), np.maximum(age - 12.0, 0.5))
    # More experienced runners run a little more.
    base_km = _lognormal(z[2] + 0.25 * np.log(years / pop.years_running.median), pop.base_weekly_km)
    sessions = np.clip(np.round(1.6 + base_km / 11.0 + 0.6 * z[3]), 2, 7).astype(np.int8)
    habit = _categorical(u[1], [pop.progression.cautious, pop.progression.steady, pop.progression.jumpy])
    n_pairs = (_categorical(u[2], pop.shoe_pairs_shares) + 1).astype(np.int8)
    never = u[3] < pop.never_replace_share
    replace_km = np.where(never, np.inf, _uniform(u[4], pop.shoe_replace_km.low, pop.shoe_replace_km.high))
    hill_share = _uniform(u[5], pop.hill_share.low, pop.hill_share.high)
    speed_share = _uniform(u[6], pop.speed_share.low, pop.speed_share.high)

    strength, glute, calf, glute_score, calf_score = _strength(pop, u, z)
    warmup = u[8] < pop.warmup_share
    stretching = u[9] < pop.stretching_share

    prior = poisson_from_uniform(u[10], pop.prior_strains_per_year * years).astype(np.int16)
    # The last prior strain happened at a uniform time in the running career before the start.
    since = np.where(prior > 0, u[11] * years * 365.25 + (-start_day), NEVER_DAYS)

    # Faster runners run more; pace in min/km inside the configured range.
    pace_pos = np.clip(0.5 - 0.9 * np.log(base_km / pop.base_weekly_km.median) + 0.15 * z[8], 0.0, 1.0)
    easy_pace = _uniform(pace_pos, pop.easy_pace_min_per_km.low, pop.easy_pace_min_per_km.high)
    terrain = _lognormal(z[9], pop.terrain_m_per_km)
    # Race distance follows the volume a runner trains for it, with some ambition either way.
    race_volume = base_km * (0.7 + 0.6 * u[12])
    race_km = np.select([race_volume < 20, race_volume < 35, race_volume < 55], [5.0, 10.0, 21.1], 42.2)

    slots = week_templates()[sessions]
    # Some runners do their long run on Saturday: shift the whole week one day earlier.
    saturday = u[13] < 0.4
    slots = np.where(saturday[:, None], np.roll(slots, -1, axis=1), slots)
    week_share = _week_shares(slots, params)

    shoe_km, shoe_num = _shoes(n_pairs, replace_km, u)
    return SimState(
        athlete_id=np.asarray(athlete_ids, dtype=np.int32),
        day=np.full(n, start_day, dtype=np.int32),
        age=age,
        female=female,
        years_running=years,
        base_weekly_km=base_km,
        sessions_per_week=sessions,
        habit=habit.astype(np.int8),
        n_pairs=n_pairs,
        replace_km=replace_km,
        hill_share=hill_share,
        speed_share=speed_share,
        strength_sessions=strength,
        glute_latent=glute,
        calf_latent=calf,
        glute_score=glute_score,
        calf_score=calf_score,
        warmup=warmup,
        stretching=stretching,
        traits=draw_traits(rng, n, width),
        easy_pace=easy_pace,
        terrain=terrain,
        race_km=race_km,
        week_slot=slots,
        week_share=week_share,
        **_plan_and_loads(params, base_km, u),
        shoe_km=shoe_km,
        shoe_num=shoe_num,
        next_shoe=(n_pairs + 1).astype(np.int32),
        prior_strains=prior,
        days_since_return=since,
        fast_return=np.zeros(n, dtype=bool),
    )


def _strength(pop: Population, u: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, ...]:
    """Strength sessions a week, latent glute and calf strength (z-scores correlated with the
    sessions), and the test scores a runner would report (the latent value plus test noise)."""
    strength = _categorical(u[7], pop.strength_sessions_shares).astype(np.int8)
    shares = np.asarray(pop.strength_sessions_shares)
    levels = np.arange(len(shares))
    s_mean = float(shares @ levels)
    s_sd = float(np.sqrt(shares @ (levels - s_mean) ** 2)) or 1.0
    strength_z = (strength - s_mean) / s_sd
    r_g, r_c = pop.strength_to_glute, pop.strength_to_calf
    glute = r_g * strength_z + np.sqrt(1.0 - r_g**2) * z[4]
    calf = r_c * strength_z + np.sqrt(1.0 - r_c**2) * z[5]
    glute_score = np.maximum(
        np.round(pop.glute_test.mean + pop.glute_test.sd * (glute + pop.glute_test.noise_sd * z[6])), 0.0
    )
    calf_score = np.maximum(
        np.round(pop.calf_test.mean + pop.calf_test.sd * (calf + pop.calf_test.noise_sd * z[7])), 0.0
    )
    return strength, glute, calf, glute_score, calf_score


def _shoes(n_pairs: np.ndarray, replace_km: np.ndarray, u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each pair's km on the first day (uniform over its life) and its number, per athlete."""
    max_pairs = max(MAX_PAIRS, int(n_pairs.max(initial=1)))
    k = np.arange(max_pairs)
    worn = np.where(np.isinf(replace_km), 1200.0, replace_km)
    shoe_u = np.stack([u[14 + min(j, 3)] for j in range(max_pairs)], axis=1)
    shoe_km = np.where(k[None, :] < n_pairs[:, None], shoe_u * worn[:, None], 0.0)
    shoe_num = np.where(k[None, :] < n_pairs[:, None], k[None, :] + 1, 0).astype(np.int32)
    return shoe_km, shoe_num


def _plan_and_loads(params: SimParams, base_km: np.ndarray, u: np.ndarray) -> dict[str, np.ndarray]:
    """The plan's starting position (normal training, a race ahead) and loads at the habitual level."""
    n = len(base_km)
    _gap_lo, gap_hi = params.race_gap_days
    b_lo, b_hi = params.build_days
    daily = base_km / 7.0
    daily_cm = np.round(daily * 100).astype(np.int32)
    return {
        "phase": np.full(n, NORMAL, dtype=np.int8),
        "phase_left": np.zeros(n, dtype=np.int16),
        "days_to_race": (1 + u[18] * gap_hi).astype(np.int16),
        "build_days": (b_lo + u[19] * (b_hi - b_lo)).astype(np.int16),
        "peak": _uniform(u[20], *params.peak_factor),
        "spike_left": np.zeros(n, dtype=np.int16),
        "level": np.ones(n),
        "ramp": np.zeros(n),
        "acute": daily.copy(),
        "chronic": daily.copy(),
        "ring_cm": np.repeat(daily_cm[:, None], 14, axis=1),
        "sum7_cm": daily_cm * 7,
        "prev7_cm": daily_cm * 7,
    }


def _week_shares(slots: np.ndarray, params: SimParams) -> np.ndarray:
    """Share of the weekly volume run on each weekday's slot, summing to 1 per athlete."""
    long_share, quality_share = params.long_share, params.quality_share
    n_easy = (slots == EASY).sum(axis=1, keepdims=True)
    n_quality = (slots == QUALITY).sum(axis=1, keepdims=True)
    n_long = (slots == LONG).sum(axis=1, keepdims=True)
    left = np.maximum(1.0 - long_share * n_long - quality_share * n_quality, 0.0)
    easy_share = np.where(n_easy > 0, left / np.maximum(n_easy, 1), 0.0)
    raw = np.where(slots == LONG, long_share, 0.0)
    raw = raw + np.where(slots == QUALITY, quality_share, 0.0) + np.where(slots == EASY, easy_share, 0.0)
    # Without easy days the long run and quality sessions carry the whole week.
    return raw / raw.sum(axis=1, keepdims=True)
