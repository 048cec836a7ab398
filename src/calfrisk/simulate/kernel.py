"""The compiled day-by-day kernel behind :func:`calfrisk.simulate.step` and whole cohorts.

A first version chained ~150 numpy operations per simulated day; at a few thousand athletes per call
the per-operation overhead and the passes over memory capped it near 3 million athlete-days per
second on one core, 10x short of what a cohort of 100,000 runners needs. This kernel runs the same
rules as one compiled loop over the athlete axis (numba, ``nogil`` so chunks run on threads), with
each athlete's state held in registers across the days of a block.

Randomness stays outside: the caller draws a ``(days, N_UNIFORM, width)`` block of uniforms from its
``numpy.random.Generator`` and the kernel reads athlete ``i``'s column, so an athlete's draws depend
on its position and the Generator only, never on how many athletes share the call. The caller
also turns the three noise rows into multipliers (:func:`noise_multipliers`), vectorised, before the
kernel runs: the logarithms and exponentials cost several times more one at a time.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from calfrisk.schema import SESSION_TYPES

__all__ = ["N_UNIFORM", "STATE_FIELDS", "advance", "noise_multipliers"]

# Rows of the day's uniforms. Rare events reuse their row's uniform by rescaling it.
U_SKIP, U_TYPE, U_SHOE, U_BREAK, U_STRAIN, U_RACE, U_NOISE_DIST, U_NOISE_PACE, U_NOISE_CLIMB = range(9)
N_UNIFORM = 9

# Indices into the packed scalar parameters (see SimParams.kernel_args).
(
    P_START_WEEKDAY,
    P_RATE_PER_MIN,
    P_SKIP,
    P_TAPER_DAYS,
    P_TAPER_FACTOR,
    P_POST_RACE,
    P_GAP_LO,
    P_GAP_HI,
    P_BUILD_LO,
    P_BUILD_HI,
    P_PEAK_LO,
    P_PEAK_HI,
    P_SPIKE_FACTOR,
    P_HOLIDAY_PROB,
    P_HOLIDAY_LO,
    P_HOLIDAY_HI,
    P_HOLIDAY_RUN,
    P_ILLNESS_PROB,
    P_ILLNESS_LO,
    P_ILLNESS_HI,
    P_COMEBACK_DAYS,
    P_RETURN_LEVEL,
    P_RETURN_RAMP,
    P_ACWR_THR,
    P_ACWR_PER,
    P_ACWR_CAP,
    P_JUMP_RATIO,
    P_JUMP_MIN_CM,
    P_SHOE_THR,
    P_SHOE_PER,
    P_SHOE_CAP,
    P_HILLS_THR,
    P_HILLS_PER,
    P_HILLS_CAP,
    P_AGE_CENTER,
    P_AGE_PER,
    P_RETURN_TAU,
    P_LAMBDA_ACUTE,
    P_LAMBDA_CHRONIC,
    P_CHRONIC_FLOOR,
    P_ACWR_LOW,
    P_ACWR_AGE,
) = range(42)
N_SCALARS = 42

#: SimState fields passed to the kernel, in its argument order.
STATE_FIELDS: tuple[str, ...] = (
    "day",
    "age",
    "n_pairs",
    "replace_km",
    "hill_share",
    "speed_share",
    "glute_latent",
    "calf_latent",
    "warmup",
    "stretching",
    "easy_pace",
    "terrain",
    "race_km",
    "base_weekly_km",
    "habit",
    "week_slot",
    "week_share",
    "phase",
    "phase_left",
    "days_to_race",
    "build_days",
    "peak",
    "spike_left",
    "level",
    "ramp",
    "acute",
    "chronic",
    "ring_cm",
    "sum7_cm",
    "prev7_cm",
    "shoe_km",
    "shoe_num",
    "next_shoe",
    "prior_strains",
    "days_since_return",
    "fast_return",
    "traits",
)

_NORMAL, _HOLIDAY, _ILLNESS, _LAYOFF = 0, 1, 2, 3
_REST, _EASY_SLOT, _LONG_SLOT, _QUALITY_SLOT = 0, 1, 2, 3
# Session types by their code, the position in calfrisk.schema.SESSION_TYPES.
_EASY, _LONG, _TEMPO, _INTERVALS, _HILLS, _RACE = (
    SESSION_TYPES.index(name) for name in ("easy", "long", "tempo", "intervals", "hills", "race")
)
#: Pace of each session type against easy pace, by code.
_PACE_FACTOR = np.array(
    [
        {"easy": 1.0, "long": 1.04, "tempo": 0.87, "intervals": 0.93, "hills": 1.12, "race": 0.82}[t]
        for t in SESSION_TYPES
    ]
)
_HILL_SESSION_M_PER_KM = 30.0
_N_FACTORS = 14


#: Scale that gives the logistic distribution unit variance.
_LOGISTIC_UNIT = np.float32(math.sqrt(3.0) / math.pi)
#: Log-scale spread of the day-to-day noise of pace and of climbing.
_PACE_SIGMA = 0.04
_CLIMB_SIGMA = 0.35


def noise_multipliers(u: np.ndarray, distance_sigma: float) -> None:
    """Turn the noise rows of ``u`` (days, rows, athletes) into multipliers, in place.

    Each becomes ``exp(sigma * z - sigma**2 / 2)`` (mean close to 1) with ``z`` logistic noise of
    mean 0 and variance 1, a close, cheap stand-in for a standard normal: distance with
    ``distance_sigma``, pace with 0.04 and climb with 0.35. Computed in float32, elementwise, so an
    athlete's value does not depend on the other athletes of the block.
    """
    for row, sigma in (
        (U_NOISE_DIST, distance_sigma),
        (U_NOISE_PACE, _PACE_SIGMA),
        (U_NOISE_CLIMB, _CLIMB_SIGMA),
    ):
        v = u[:, row, :].astype(np.float32)
        np.clip(v, np.float32(2.0**-25), np.float32(1.0 - 2.0**-24), out=v)
        z = np.log(v / (np.float32(1.0) - v)) * _LOGISTIC_UNIT
        u[:, row, :] = np.exp(np.float32(sigma) * z - np.float32(0.5 * sigma * sigma))


@njit(cache=True, nogil=True, inline="always")
def _round(x: float, digits: int) -> float:
    scale = 10.0**digits
    return np.rint(x * scale) / scale


# The day's rules, one helper per step of :func:`advance`, each inlined into the loop
# (``inline="always"``). They take and return scalars only: a helper handed the state arrays made
# the loop 2-3x slower (numba counts references to every array passed, on every call).
_STEP = {"cache": True, "nogil": True, "inline": "always", "error_model": "numpy"}


@njit(**_STEP)
def _end_break(
    phase, left, level, ramp, since_return, fast, comeback, return_level, return_ramp, comeback_days
):
    """1. Breaks and layoffs end; the runner comes back at a lower level and ramps up.

    Returns phase, days left in it, level, daily ramp and days since a return from a strain."""
    if phase == _NORMAL:
        return phase, left, level, ramp, since_return
    left -= 1
    if left > 0:
        return phase, left, level, ramp, since_return
    if phase == _LAYOFF:
        level = 1.0 if fast else return_level
        return _NORMAL, left, level, (1.0 - level) / return_ramp, 0.0
    level = min(level, comeback)
    return _NORMAL, left, level, (1.0 - level) / comeback_days, since_return


@njit(**_STEP)
def _start_break(phase, left, spike, v, p_holiday, p_illness, p_spike, holiday, illness):
    """2. Holidays, illnesses and unplanned big weeks begin, only from normal training.

    ``holiday`` and ``illness`` are (shortest, longest) days. Returns phase, days left, spike days."""
    if phase != _NORMAL:
        return phase, left, spike
    if v < p_holiday:
        span = holiday[1] - holiday[0] + 1.0
        return _HOLIDAY, int(holiday[0] + math.floor(v / p_holiday * span)), spike
    if v < p_holiday + p_illness:
        span = illness[1] - illness[0] + 1.0
        return _ILLNESS, int(illness[0] + math.floor((v - p_holiday) / p_illness * span)), spike
    if v < p_holiday + p_illness + p_spike and spike <= 0:
        return phase, left, 7
    return phase, left, spike


@njit(**_STEP)
def _build(to_race, build_days, peak, spike, growth, taper_days, taper_factor, spike_factor):
    """3. The plan: exponential build-up toward the next race, taper, spike week.

    Returns the days to the race, the day's volume factor and whether it is race day."""
    to_race -= 1
    race_day = to_race <= 0
    weeks_in = max(build_days - max(to_race, taper_days), 0.0)
    build = 1.0 if weeks_in == 0.0 else min(math.exp(growth / 7.0 * weeks_in), peak)
    if to_race <= taper_days and not race_day:
        build *= taper_factor
    if spike > 0:
        build *= spike_factor
    return to_race, build, race_day


@njit(**_STEP)
def _quality_type(q, hill_share, speed_share):
    """4. A quality session's type, from the runner's mix of hills, tempo and intervals."""
    speed_cut = hill_share + (1.0 - hill_share) * speed_share
    if q < hill_share:
        return _HILLS
    if q < 0.5 * (hill_share + speed_cut):
        return _TEMPO
    if q < speed_cut:
        return _INTERVALS
    return _EASY


@njit(**_STEP)
def _session(planned, noise_distance, race_km, pace, noise_pace, terrain, noise_climb, hills):
    """4. A run's distance (planned volume with noise, at least 1 km; a race's own distance),
    moving time and climb, rounded as a watch would log them. ``race_km`` is 0 unless racing."""
    distance = _round(race_km if race_km > 0.0 else max(planned * noise_distance, 1.0), 2)
    duration = _round(distance * (pace * noise_pace), 1)
    climb = terrain * noise_climb
    if hills:
        climb += _HILL_SESSION_M_PER_KM
    return distance, duration, _round(distance * climb, 0)


@njit(**_STEP)
def _covariates(
    acwr, sum7_cm, prev7_cm, shoe_km, n_pairs, age, prior_strains, since_return, glute, calf, climb_per_km,
    speed, intervals, warmup, stretching, params,
):  # fmt: skip
    """7. Each effect's covariate ``x`` (its hazard multiplier is ``hazard_ratio ** x``), in the order
    of :data:`calfrisk.factors.EFFECTS`. ``shoe_km`` and ``climb_per_km`` are -1 on days without a
    run; ``params`` holds the effects' thresholds, caps and scales."""
    (acwr_cap, acwr_thr, acwr_per, jump_ratio, jump_min_cm, shoe_cap, shoe_thr, shoe_per, age_center, age_per,
     tau, hills_cap, hills_thr, hills_per, acwr_low, acwr_age) = params  # fmt: skip
    jump = sum7_cm > jump_ratio * prev7_cm and prev7_cm >= jump_min_cm
    # Above the threshold, and below low_threshold for a U shape; age_interaction makes the load
    # effect steeper with age. With both at their defaults (0) the value is the threshold term's
    # bit for bit: + 0.0 and * 1.0 are exact.
    load = max(min(acwr, acwr_cap) - acwr_thr, 0.0) / acwr_per + max(acwr_low - acwr, 0.0) / acwr_per
    load *= max(1.0 + acwr_age * (age - age_center) / age_per, 0.0)
    return (
        load,
        1.0 if jump else 0.0,
        max(min(shoe_km, shoe_cap) - shoe_thr, 0.0) / shoe_per if shoe_km >= 0.0 else 0.0,
        1.0 if n_pairs > 1 else 0.0,
        (age - age_center) / age_per,
        1.0 if prior_strains > 0 else 0.0,
        math.exp(-since_return / tau) if since_return < 40.0 * tau else 0.0,
        -glute,
        calf,
        max(min(climb_per_km, hills_cap) - hills_thr, 0.0) / hills_per if climb_per_km >= 0.0 else 0.0,
        1.0 if speed else 0.0,
        1.0 if intervals else 0.0,
        1.0 if warmup else 0.0,
        1.0 if stretching else 0.0,
    )


@njit(**_STEP)
def _strain(us, hazard, grade_cum, grade_layoff, fast_prob):
    """8. Whether the day's run ends in a strain: grade (0 for none), layoff days, fast return.

    ``grade_cum`` holds the grades' cumulative shares, ``grade_layoff`` their (shortest, longest)
    layoffs, as tuples."""
    if us >= hazard:
        return 0, 0, False
    v = us / hazard
    g = 0
    while g < 2 and v >= grade_cum[g]:
        g += 1
    start = grade_cum[g - 1] if g > 0 else 0.0
    w = (v - start) / (grade_cum[g] - start)
    lo, hi = grade_layoff[g]
    span = hi - lo + 1.0
    extra = math.floor(w * span)
    w = w * span - extra
    return g + 1, int(lo + extra), w < fast_prob


@njit(**_STEP)
def _next_race(v, level, gap, build, peak, post_race):
    """9. After race day: the next race, its build-up and peak, and a recovery week.

    ``gap``, ``build`` and ``peak`` are (low, high) ranges. Returns days to the race, build days,
    peak, level and daily ramp."""
    span = gap[1] - gap[0] + 1.0
    extra = math.floor(v * span)
    v = v * span - extra
    to_race = int(gap[0] + extra)
    span = build[1] - build[0] + 1.0
    extra = math.floor(v * span)
    v = v * span - extra
    build_days = int(build[0] + extra)
    level = min(level, post_race)
    return to_race, build_days, peak[0] + (peak[1] - peak[0]) * v, level, (1.0 - level) / 7.0


# error_model="numpy": divisions need no zero check (every divisor is a positive parameter or a
# guarded max), which saves ~15 % of the kernel's time.
@njit(cache=True, nogil=True, error_model="numpy")
def advance(
    day,
    age,
    n_pairs,
    replace_km,
    hill_share,
    speed_share,
    glute_latent,
    calf_latent,
    warmup,
    stretching,
    easy_pace,
    terrain,
    race_km,
    base_weekly_km,
    habit,
    week_slot,
    week_share,
    phase,
    phase_left,
    days_to_race,
    build_days,
    peak,
    spike_left,
    level,
    ramp,
    acute,
    chronic,
    ring_cm,
    sum7_cm,
    prev7_cm,
    shoe_km,
    shoe_num,
    next_shoe,
    prior_strains,
    days_since_return,
    fast_return,
    traits,
    P,
    log_growth,
    spike_prob,
    comeback_level,
    fast_return_prob,
    grade_cum,
    grade_layoff,
    log_hr,
    trait_scale,
    u,
    strains,
    record,
    t0,
    o_ran,
    o_distance,
    o_duration,
    o_elevation,
    o_type,
    o_shoe,
    o_in_layoff,
    o_hazard,
    o_x,
    o_grade,
    o_layoff_days,
    o_fast,
):
    """Advance every athlete by ``u.shape[0]`` days in place, writing day ``t`` to column ``t0 + t``.

    With ``record`` false nothing is written to the ``o_*`` arrays (a burn-in): the records are
    about a fifth of the loop's time.

    The rules are those documented in :func:`calfrisk.simulate.step`; see the module docstring for why
    they live in a compiled loop.
    """
    n = day.shape[0]
    n_days = u.shape[0]
    n_traits = traits.shape[1]
    if log_hr.shape[0] != _N_FACTORS + n_traits or o_x.shape[0] != _N_FACTORS + n_traits:
        raise ValueError(f"the kernel computes {_N_FACTORS} factors and one per trait")
    ph_prob = P[P_HOLIDAY_PROB]
    pi_prob = P[P_ILLNESS_PROB]
    rate_per_min = P[P_RATE_PER_MIN]
    holiday = (P[P_HOLIDAY_LO], P[P_HOLIDAY_HI])
    illness = (P[P_ILLNESS_LO], P[P_ILLNESS_HI])
    gap, build_range, peak_range = (
        (P[P_GAP_LO], P[P_GAP_HI]),
        (P[P_BUILD_LO], P[P_BUILD_HI]),
        (P[P_PEAK_LO], P[P_PEAK_HI]),
    )
    cum = (grade_cum[0], grade_cum[1], grade_cum[2])
    layoffs = (
        (grade_layoff[0, 0], grade_layoff[0, 1]),
        (grade_layoff[1, 0], grade_layoff[1, 1]),
        (grade_layoff[2, 0], grade_layoff[2, 1]),
    )
    effect_params = (
        P[P_ACWR_CAP], P[P_ACWR_THR], P[P_ACWR_PER], P[P_JUMP_RATIO], P[P_JUMP_MIN_CM], P[P_SHOE_CAP],
        P[P_SHOE_THR], P[P_SHOE_PER], P[P_AGE_CENTER], P[P_AGE_PER], P[P_RETURN_TAU], P[P_HILLS_CAP],
        P[P_HILLS_THR], P[P_HILLS_PER], P[P_ACWR_LOW], P[P_ACWR_AGE],
    )  # fmt: skip
    x = np.empty(_N_FACTORS)
    for i in range(n):
        h = habit[i]
        for t in range(n_days):
            col = t0 + t
            # State is written back only when a step may change it: stores cost as much as the rules.
            if phase[i] != _NORMAL:
                phase[i], phase_left[i], level[i], ramp[i], days_since_return[i] = _end_break(
                    phase[i], phase_left[i], level[i], ramp[i], days_since_return[i], fast_return[i],
                    comeback_level[h], P[P_RETURN_LEVEL], P[P_RETURN_RAMP], P[P_COMEBACK_DAYS],
                )  # fmt: skip
            v = u[t, U_BREAK, i]
            if phase[i] == _NORMAL and v < ph_prob + pi_prob + spike_prob[h]:
                phase[i], phase_left[i], spike_left[i] = _start_break(
                    phase[i],
                    phase_left[i],
                    spike_left[i],
                    v,
                    ph_prob,
                    pi_prob,
                    spike_prob[h],
                    holiday,
                    illness,
                )
            days_to_race[i], build, race_day = _build(
                days_to_race[i],
                build_days[i],
                peak[i],
                spike_left[i],
                log_growth[h],
                P[P_TAPER_DAYS],
                P[P_TAPER_FACTOR],
                P[P_SPIKE_FACTOR],
            )
            # 4. Today's session.
            dow = (day[i] + int(P[P_START_WEEKDAY])) % 7
            slot = week_slot[i, dow]
            cur = phase[i]
            in_layoff = cur == _LAYOFF
            us = u[t, U_SKIP, i]
            ran = False
            if slot != _REST:
                if cur == _NORMAL:
                    ran = us >= P[P_SKIP]
                elif cur == _HOLIDAY:
                    ran = us < P[P_HOLIDAY_RUN]
            racing = race_day and cur == _NORMAL
            if racing:
                ran = True
            stype = _LONG if slot == _LONG_SLOT else _EASY
            if slot == _QUALITY_SLOT:  # the only slot whose type is drawn: each row read is a cache miss
                stype = _quality_type(u[t, U_TYPE, i], hill_share[i], speed_share[i])
            if racing:
                stype = _RACE
            distance = 0.0
            duration = 0.0
            elevation = 0.0
            if ran:  # the noise rows are read on run days only: each row read is a cache miss
                distance, duration, elevation = _session(
                    base_weekly_km[i] * level[i] * week_share[i, dow] * build,
                    u[t, U_NOISE_DIST, i],
                    race_km[i] if racing else 0.0,
                    easy_pace[i] * _PACE_FACTOR[stype],
                    u[t, U_NOISE_PACE, i],
                    terrain[i],
                    u[t, U_NOISE_CLIMB, i],
                    stype == _HILLS,
                )
            # 5. Shoes: a pair from the rotation; its km grow; past the owner's threshold, retired.
            pair = min(int(u[t, U_SHOE, i] * n_pairs[i]), n_pairs[i] - 1)
            shoe_before = shoe_km[i, pair]
            shoe = 0
            if ran:
                shoe = shoe_num[i, pair]
                worn = shoe_before + distance
                if worn > replace_km[i]:
                    shoe_km[i, pair] = 0.0
                    shoe_num[i, pair] = next_shoe[i]
                    next_shoe[i] += 1
                else:
                    shoe_km[i, pair] = worn
            # 6. Loads: EWMA with lambda = 2/(N+1), and the 7-day sums kept exact in 0.01 km. The
            # acute:chronic ratio the hazard reads is the one the runner brings to the day, before
            # the day's own session (config: effects.acwr).
            ratio_before = acute[i] / max(chronic[i], P[P_CHRONIC_FLOOR])
            acute[i] += P[P_LAMBDA_ACUTE] * (distance - acute[i])
            chronic[i] += P[P_LAMBDA_CHRONIC] * (distance - chronic[i])
            km_cm = int(np.rint(distance * 100.0))
            now = day[i] % 14
            week_ago = ring_cm[i, (day[i] - 7) % 14]
            sum7_cm[i] += km_cm - week_ago
            prev7_cm[i] += week_ago - ring_cm[i, now]
            ring_cm[i, now] = km_cm
            # 7. Factor covariates, in the order of the config's effects (calfrisk.factors.EFFECTS).
            x[:] = _covariates(
                ratio_before,
                sum7_cm[i],
                prev7_cm[i],
                shoe_before if ran else -1.0,
                n_pairs[i],
                age[i],
                prior_strains[i],
                days_since_return[i],
                glute_latent[i],
                calf_latent[i],
                elevation / max(distance, 0.01) if ran else -1.0,
                ran and (stype in (_TEMPO, _RACE)),
                ran and stype == _INTERVALS,
                warmup[i],
                stretching[i],
                effect_params,
            )
            # 8. Hazard of the day (multipliers from float32 covariates, as stored), strain draw.
            log_mult = 0.0
            for f in range(_N_FACTORS):
                xf = np.float32(x[f])
                if record:
                    o_x[f, i, col] = xf
                log_mult += log_hr[f] * xf
            # Traits after the day loop's factors (none by default: the same sums, the same bytes).
            for j in range(n_traits):
                xf = np.float32((traits[i, j] - trait_scale[j, 0]) / trait_scale[j, 1])
                if record:
                    o_x[_N_FACTORS + j, i, col] = xf
                log_mult += log_hr[_N_FACTORS + j] * xf
            hazard = 0.0
            if ran:
                hazard = -math.expm1(-rate_per_min * duration * math.exp(log_mult))
            grade, layoff, fast = 0, 0, False
            us = u[t, U_STRAIN, i]
            if strains and us < hazard:
                grade, layoff, fast = _strain(us, hazard, cum, layoffs, fast_return_prob[h])
            if grade > 0:
                phase[i] = _LAYOFF
                phase_left[i] = layoff + 1  # the onset day itself was run
                fast_return[i] = fast
                prior_strains[i] += 1
                spike_left[i] = 0
            if spike_left[i] > 0:
                spike_left[i] -= 1
            # 9. After race day: the next race and its build-up, and a recovery week.
            if race_day:
                days_to_race[i], build_days[i], peak[i], level[i], ramp[i] = _next_race(
                    u[t, U_RACE, i], level[i], gap, build_range, peak_range, P[P_POST_RACE]
                )
            level[i] = min(level[i] + ramp[i], 1.0)
            days_since_return[i] += 1.0
            day[i] += 1
            if not record:
                continue
            o_ran[i, col] = ran
            o_distance[i, col] = distance
            o_duration[i, col] = duration
            o_elevation[i, col] = elevation
            o_type[i, col] = stype
            o_shoe[i, col] = shoe
            o_in_layoff[i, col] = in_layoff
            o_hazard[i, col] = hazard
            o_grade[i, col] = grade
            o_layoff_days[i, col] = layoff
            o_fast[i, col] = fast
