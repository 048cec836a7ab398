"""One simulated day for any set of athletes: plan, session, shoes, loads, hazard, strain.

:func:`step` advances a :class:`~calfrisk.simulate.state.SimState` in place and returns what
happened that day. It is vectorised across athletes, reads nothing but the state, the compiled
parameters and the Generator it is given, and always draws the same number of random numbers per
call, so it can be applied to any state, any subset of athletes, with any Generator (this is what
a Monte Carlo oracle needs: copy a state, then roll it forward many times).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from calfrisk.simulate.state import (
    CHRONIC_FLOOR_KM,
    HOLIDAY,
    ILLNESS,
    LAMBDA_ACUTE,
    LAMBDA_CHRONIC,
    LAYOFF,
    NORMAL,
    QUALITY,
    SimParams,
    SimState,
)

__all__ = ["TYPE_CODES", "DayRecord", "factor_covariates", "step"]

#: Integer codes of calfrisk.schema.SESSION_TYPES, in that order.
TYPE_CODES = {"easy": 0, "long": 1, "tempo": 2, "intervals": 3, "hills": 4, "race": 5}
_EASY, _LONG, _TEMPO, _INTERVALS, _HILLS, _RACE = range(6)
#: Pace of each session type relative to the athlete's easy pace (intervals include recoveries).
_PACE_FACTOR = np.array([1.0, 1.04, 0.87, 0.93, 1.12, 0.82])
#: Extra climbing of a hill session, metres per km, on top of the athlete's usual terrain.
_HILL_SESSION_M_PER_KM = 30.0

# Rows of the day's uniforms; rare events reuse their row's uniform through _split.
_U_SKIP, _U_TYPE, _U_SHOE, _U_BREAK, _U_STRAIN, _U_RACE = range(6)
_N_UNIFORM = 6
#: Rows of the day's noise: distance, pace and climb.
_N_NOISE = 3
#: Scale that gives the logistic distribution unit variance.
_LOGISTIC_UNIT = np.float32(np.sqrt(3.0) / np.pi)


@dataclass(slots=True)
class DayRecord:
    """What happened to each athlete on one day (arrays over the athletes of the state)."""

    ran: np.ndarray  # bool
    distance_km: np.ndarray
    duration_min: np.ndarray
    elevation_gain_m: np.ndarray
    session_type: np.ndarray  # int8 code, see TYPE_CODES
    shoe_id: np.ndarray  # int32, 0 without a run
    in_layoff: np.ndarray  # bool
    hazard: np.ndarray  # probability of a strain onset that day
    x: np.ndarray  # (n_factors, n) float32 covariates; multiplier = hazard_ratio ** x
    strain: np.ndarray  # bool
    grade: np.ndarray  # int8, 0 without a strain
    layoff_days: np.ndarray  # int16, 0 without a strain
    fast_return: np.ndarray  # bool

    def multipliers(self, p: SimParams) -> np.ndarray:
        """``(n_factors, n)`` hazard multipliers, ``hazard_ratio ** x``."""
        return np.exp(p.log_hr[:, None] * self.x)


def factor_covariates(
    s: SimState,
    p: SimParams,
    *,
    ran: np.ndarray,
    session_type: np.ndarray,
    distance_km: np.ndarray,
    elevation_gain_m: np.ndarray,
    shoe_km: np.ndarray,
) -> np.ndarray:
    """Covariate ``x`` of every factor for each athlete; the multiplier is ``hazard_ratio ** x``.

    Parameters
    ----------
    s : SimState
        The state after the day's loads were updated.
    p : SimParams
        Compiled parameters (factor order and shapes).
    ran, session_type, distance_km, elevation_gain_m, shoe_km : numpy.ndarray
        The day's session, and the km on the shoe worn before that run.

    Returns
    -------
    numpy.ndarray
        ``(n_factors, n)`` float32 covariates in the order of ``p.factors``. The session factors
        (shoe wear, hills, speed work) are 0 on days without a run.
    """
    acwr = s.acute / np.maximum(s.chronic, CHRONIC_FLOOR_KM)
    thr, per, cap = p.acwr
    ratio, min_prev = p.jump
    center, per_age = p.age
    s_thr, s_per, s_cap = p.shoe
    h_thr, h_per, h_cap = p.hills
    climb = elevation_gain_m / np.maximum(distance_km, 0.01)
    speed = (session_type == _TEMPO) | (session_type == _INTERVALS) | (session_type == _RACE)
    columns = {
        "acwr": np.maximum(np.minimum(acwr, cap) - thr, 0.0) / per,
        "weekly_jump": (s.sum7_cm > ratio * s.prev7_cm) & (s.prev7_cm >= min_prev * 100),
        "shoe_wear": ran * (np.maximum(np.minimum(shoe_km, s_cap) - s_thr, 0.0) / s_per),
        "shoe_rotation": s.n_pairs > 1,
        "age": (s.age - center) / per_age,
        "prior_strain": s.prior_strains > 0,
        "recent_return": _decay(s.days_since_return, p.return_tau),
        "glute_weakness": -s.glute_latent,
        "calf_strength": s.calf_latent,
        "hills": ran * (np.maximum(np.minimum(climb, h_cap) - h_thr, 0.0) / h_per),
        "speed_work": ran & speed,
        "warmup": s.warmup,
        "stretching": s.stretching,
    }
    out = np.empty((len(p.factors), s.n), np.float32)
    for i, name in enumerate(p.factors):
        out[i] = columns[name]
    return out


def _decay(days: np.ndarray, tau: float) -> np.ndarray:
    """``exp(-days / tau)``, computed only where it is not negligible (exp is costly here)."""
    out = np.zeros(days.shape, np.float32)
    recent = np.flatnonzero(days < 40.0 * tau)
    out[recent] = np.exp(-days[recent] / tau)
    return out


def _split(v: np.ndarray, k: np.ndarray | int) -> tuple[np.ndarray, np.ndarray]:
    """Split a uniform into an integer uniform on ``[0, k)`` and a fresh uniform on [0, 1).

    The fractional part of ``v * k`` is independent of its integer part, so one uniform can drive
    several successive choices (enough precision remains in a float64 for the few used here).
    """
    scaled = v * k
    whole = np.floor(scaled)
    return whole.astype(np.int64), scaled - whole


def _end_phases(s: SimState, p: SimParams) -> None:
    """Count down breaks and layoffs; runners whose phase ends come back and ramp up."""
    active = np.flatnonzero(s.phase)
    if not active.size:
        return
    s.phase_left[active] -= 1
    end = active[s.phase_left[active] <= 0]
    if not end.size:
        return
    layoff = s.phase[end] == LAYOFF
    back = end[layoff]  # from a strain: a return ramp, or none for "too fast" returners
    level = np.where(s.fast_return[back], 1.0, p.return_level)
    s.level[back] = level
    s.ramp[back] = (1.0 - level) / p.return_ramp_days
    s.days_since_return[back] = 0.0
    brk = end[~layoff]  # from a holiday or illness: the comeback depends on the habit
    level = np.minimum(s.level[brk], p.comeback_level[s.habit[brk]])
    s.level[brk] = level
    s.ramp[brk] = (1.0 - level) / p.comeback_days
    s.phase[end] = NORMAL


def _start_breaks(s: SimState, p: SimParams, v: np.ndarray) -> None:
    """Holidays, illnesses and unplanned big weeks begin, only from normal training.

    One uniform ``v`` per athlete decides: holiday below ``holiday_prob``, illness in the next
    ``illness_prob``, a spike in the next ``spike_prob``; rescaled, it also gives the length.
    """
    ph, pi = p.holiday_prob, p.illness_prob
    cand = np.flatnonzero(v < ph + pi + p.spike_prob_max)
    cand = cand[s.phase[cand] == NORMAL]
    w = v[cand]
    hol, ill = cand[w < ph], cand[(w >= ph) & (w < ph + pi)]
    s.phase[hol] = HOLIDAY
    lo, hi = p.holiday_days
    s.phase_left[hol] = lo + _split(v[hol] / ph, hi - lo + 1)[0]
    s.phase[ill] = ILLNESS
    lo, hi = p.illness_days
    s.phase_left[ill] = lo + _split((v[ill] - ph) / pi, hi - lo + 1)[0]
    spike = cand[(w >= ph + pi) & (w < ph + pi + p.spike_prob[s.habit[cand]])]
    s.spike_left[spike[s.spike_left[spike] <= 0]] = 7


def _strike(s: SimState, p: SimParams, hit: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, ...]:
    """Strains of the athletes at ``hit``; ``v`` is uniform given the strain (u / hazard).

    Returns the grade (1-3), the layoff in days and whether the runner returns too fast, and puts
    the athletes in their layoff.
    """
    grade = np.minimum(np.searchsorted(p.grade_cum, v, side="right"), 2)
    start = np.where(grade > 0, p.grade_cum[grade - 1], 0.0)
    w = (v - start) / (p.grade_cum[grade] - start)
    lo, hi = p.grade_layoff[grade, 0].astype(np.int64), p.grade_layoff[grade, 1].astype(np.int64)
    extra, w = _split(w, hi - lo + 1)
    fast = w < p.fast_return_prob[s.habit[hit]]
    layoff = lo + extra
    s.phase[hit] = LAYOFF
    s.phase_left[hit] = layoff + 1  # the onset day itself was run
    s.fast_return[hit] = fast
    s.prior_strains[hit] += 1
    s.spike_left[hit] = 0
    return grade + 1, layoff, fast


def _next_race(s: SimState, p: SimParams, v: np.ndarray, done: np.ndarray) -> None:
    """After race day: schedule the next race and its build-up, start a recovery week."""
    lo, hi = p.race_gap_days
    gap, v = _split(v, hi - lo + 1)
    s.days_to_race[done] = lo + gap
    lo, hi = p.build_days
    build, v = _split(v, hi - lo + 1)
    s.build_days[done] = lo + build
    lo, hi = p.peak_factor
    s.peak[done] = lo + (hi - lo) * v
    level = np.minimum(s.level[done], p.post_race_level)
    s.level[done] = level
    s.ramp[done] = (1.0 - level) / 7.0


def step(
    s: SimState,
    p: SimParams,
    rng: np.random.Generator,
    *,
    width: int | None = None,
    strains: bool = True,
) -> DayRecord:
    """Advance every athlete of ``s`` by one day, in place.

    Parameters
    ----------
    s : SimState
        The athletes' state on the morning of the day; updated to the next morning.
    p : SimParams
        Compiled parameters.
    rng : numpy.random.Generator
        Source of the day's randomness.
    width : int, optional
        Draw this many athletes' worth of random numbers and use the first ``s.n`` (the cohort uses
        its chunk size here so that an athlete's draws do not depend on the size of its chunk).
    strains : bool, default=True
        Draw strain onsets. With ``False`` the day's hazard is still computed but no strain happens,
        so a caller can integrate strains out as a survival product instead of sampling them.

    Returns
    -------
    DayRecord
        The day's session, hazard, factor covariates and strain for each athlete.

    Notes
    -----
    Rare events (a break, a race, a strain) update only the athletes concerned; everything else is
    one array operation across all athletes.
    """
    n = s.n
    width = n if width is None else width
    if width < n:
        raise ValueError(f"width ({width}) must be at least the number of athletes ({n})")
    u = rng.random((_N_UNIFORM, width))[:, :n]
    z = _unit_noise(rng.random((_N_NOISE, width), dtype=np.float32)[:, :n])
    rows = np.arange(n)

    _end_phases(s, p)
    _start_breaks(s, p, u[_U_BREAK])

    # The plan: base volume, exponential build-up toward the next race, taper, spike.
    s.days_to_race -= 1
    race_day = s.days_to_race <= 0
    weeks_in = np.maximum(s.build_days - np.maximum(s.days_to_race, p.taper_days), 0)
    growth = np.exp((p.log_growth[s.habit] / 7.0).astype(np.float32) * weeks_in)
    build = np.minimum(growth, s.peak)
    build[(s.days_to_race <= p.taper_days) & ~race_day] *= p.taper_factor
    build[s.spike_left > 0] *= p.spike_factor

    # Today's session.
    day_slot = rows * 7 + (s.day + p.start_weekday) % 7
    slot = _flat(s.week_slot)[day_slot]
    phase = s.phase
    in_layoff = phase == LAYOFF
    ran = (slot > 0) & (phase == NORMAL) & (u[_U_SKIP] >= p.skip_prob)
    hol = np.flatnonzero(phase == HOLIDAY)
    ran[hol] = (slot[hol] > 0) & (u[_U_SKIP, hol] < p.holiday_run_factor)
    racing = np.flatnonzero(race_day & (phase == NORMAL))
    ran[racing] = True
    stype = _SLOT_TYPE[slot]
    quality = np.flatnonzero(slot == QUALITY)
    q, hills_cut = u[_U_TYPE, quality], s.hill_share[quality]
    speed_cut = hills_cut + (1.0 - hills_cut) * s.speed_share[quality]
    tempo_cut = 0.5 * (hills_cut + speed_cut)
    stype[quality] = np.select(
        [q < hills_cut, q < tempo_cut, q < speed_cut], [_HILLS, _TEMPO, _INTERVALS], _EASY
    )
    stype[racing] = _RACE
    sigma = np.float32(p.distance_sigma)
    noise = np.exp(sigma * z[0] - np.float32(0.5) * sigma * sigma)
    distance = s.base_weekly_km * s.level * _flat(s.week_share)[day_slot] * (build * noise)
    np.maximum(distance, 1.0, out=distance)
    distance[racing] = s.race_km[racing]
    distance = np.round(distance * ran, 2)
    pace = s.easy_pace * (_PACE_FACTOR[stype] * np.exp(np.float32(0.04) * z[1]))
    duration = np.round(distance * pace, 1)
    climb = s.terrain * np.exp(np.float32(0.35) * z[2] - np.float32(0.06125)) + _HILL_CLIMB[stype]
    elevation = np.round(distance * climb)

    # Shoes: a pair from the rotation; its km grow; past the owner's threshold it is retired.
    pair = np.minimum((u[_U_SHOE] * s.n_pairs).astype(np.intp), s.n_pairs - 1)
    shoe_slot = rows * s.shoe_km.shape[1] + pair
    shoe_km, shoe_num = _flat(s.shoe_km), _flat(s.shoe_num)
    shoe_km_before = shoe_km[shoe_slot]
    shoe_id = shoe_num[shoe_slot] * ran
    worn = shoe_km_before + distance
    shoe_km[shoe_slot] = worn
    retire = np.flatnonzero(worn > s.replace_km)
    shoe_km[shoe_slot[retire]] = 0.0
    shoe_num[shoe_slot[retire]] = s.next_shoe[retire]
    s.next_shoe[retire] += 1

    # Loads: EWMA with lambda = 2/(N+1), and the 7-day sums kept exact in units of 0.01 km.
    s.acute += LAMBDA_ACUTE * (distance - s.acute)
    s.chronic += LAMBDA_CHRONIC * (distance - s.chronic)
    km_cm = np.round(distance * 100).astype(np.int32)
    ring = _flat(s.ring_cm)
    now = rows * 14 + s.day % 14
    week_ago = ring[rows * 14 + (s.day - 7) % 14]
    two_weeks_ago = ring[now]
    s.sum7_cm += km_cm - week_ago
    s.prev7_cm += week_ago - two_weeks_ago
    ring[now] = km_cm

    # Hazard from the factors, and the strain draw.
    x = factor_covariates(
        s,
        p,
        ran=ran,
        session_type=stype,
        distance_km=distance,
        elevation_gain_m=elevation,
        shoe_km=shoe_km_before,
    )
    # An explicit sum, not a matrix product: BLAS results depend on the array length, and an
    # athlete's hazard must not depend on how many athletes share the call.
    log_hr = p.log_hr.astype(np.float32)
    log_mult = x[0] * log_hr[0]
    term = np.empty_like(log_mult)
    for i in range(1, x.shape[0]):
        np.multiply(x[i], log_hr[i], out=term)
        log_mult += term
    hazard = np.zeros(n)
    r = np.flatnonzero(ran)
    exposure = p.rate_per_hour / 60.0 * duration[r]
    hazard[r] = -np.expm1(-exposure * np.exp(log_mult[r].astype(np.float64)))
    grade = np.zeros(n, np.int8)
    layoff_days = np.zeros(n, np.int16)
    fast_return = np.zeros(n, bool)
    if strains:
        hit = np.flatnonzero(u[_U_STRAIN] < hazard)
        if hit.size:
            v = u[_U_STRAIN, hit] / hazard[hit]
            grade[hit], layoff_days[hit], fast_return[hit] = _strike(s, p, hit, v)
    s.spike_left[s.spike_left > 0] -= 1
    done = np.flatnonzero(race_day)
    if done.size:
        _next_race(s, p, u[_U_RACE, done], done)
    s.level = np.minimum(s.level + s.ramp, 1.0)
    s.days_since_return += 1.0
    s.day += 1

    return DayRecord(
        ran=ran,
        distance_km=distance,
        duration_min=duration,
        elevation_gain_m=elevation,
        session_type=stype,
        shoe_id=shoe_id.astype(np.int32),
        in_layoff=in_layoff,
        hazard=hazard,
        x=x,
        strain=grade > 0,
        grade=grade,
        layoff_days=layoff_days,
        fast_return=fast_return,
    )


def _unit_noise(u: np.ndarray) -> np.ndarray:
    """Logistic noise with mean 0 and variance 1 from float32 uniforms on [0, 1).

    Close to a standard normal (it is what the day-to-day spreads use) at a fraction of the cost of
    numpy's normal generator, which dominated the step's time.
    """
    u = u + np.float32(2.0**-25)  # into (0, 1): the uniforms are multiples of 2**-24
    return np.log(u / (np.float32(1.0) - u)) * _LOGISTIC_UNIT


def _flat(a: np.ndarray) -> np.ndarray:
    """A flat view of a state array, for in-place scatter by flat index."""
    if not a.flags.c_contiguous:
        raise ValueError("state arrays must be C-contiguous (use SimState.take or copy)")
    return a.reshape(-1)


#: Session type of each weekly slot code (rest, easy, long, quality before the quality draw).
_SLOT_TYPE = np.array([_EASY, _EASY, _LONG, _EASY], dtype=np.int8)
_HILL_CLIMB = np.where(np.arange(6) == _HILLS, _HILL_SESSION_M_PER_KM, 0.0)
