"""The simulator's explicit state and its compiled parameters.

A :class:`SimState` holds one array entry per athlete for everything that determines the future:
the profile, latent values, loads, shoes and their km, plan position, break, layoff and return
status. Nothing else is carried from one day to the next, so the state at any athlete-day can be
copied, subset or repeated (:meth:`SimState.take`) and rolled forward with any Generator.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from calfrisk.config.cohort import ByHabit, CohortConfig, Range
from calfrisk.factors import EFFECTS, TRAITS

__all__ = ["HABITS", "PHASES", "SimParams", "SimState", "compile_params"]

#: Progression habits, in the order of the integer codes in ``SimState.habit``.
HABITS: tuple[str, ...] = ("cautious", "steady", "jumpy")
#: Plan phases, in the order of the integer codes in ``SimState.phase``.
PHASES: tuple[str, ...] = ("normal", "holiday", "illness", "layoff")
NORMAL, HOLIDAY, ILLNESS, LAYOFF = range(4)

# Weekly slot codes in SimState.week_slot.
REST, EASY, LONG, QUALITY = range(4)


@dataclass(slots=True)
class SimState:
    """Per-athlete simulator state; every field is an array whose first axis is the athlete.

    The step function (:func:`calfrisk.simulate.dynamics`) advances it in place by one day.
    """

    # identity and calendar
    athlete_id: np.ndarray  # int32
    day: np.ndarray  # int32, days since the cohort's start date (negative during burn-in)
    # profile (constant)
    age: np.ndarray
    female: np.ndarray  # bool
    years_running: np.ndarray
    base_weekly_km: np.ndarray
    sessions_per_week: np.ndarray  # int8
    habit: np.ndarray  # int8, index into HABITS
    n_pairs: np.ndarray  # int8
    replace_km: np.ndarray  # inf: never replaced
    hill_share: np.ndarray
    speed_share: np.ndarray
    strength_sessions: np.ndarray  # int8
    glute_latent: np.ndarray
    calf_latent: np.ndarray
    glute_score: np.ndarray
    calf_score: np.ndarray
    warmup: np.ndarray  # bool
    stretching: np.ndarray  # bool
    traits: np.ndarray  # (n, len(calfrisk.factors.TRAITS)) each trait's value
    easy_pace: np.ndarray  # min/km
    terrain: np.ndarray  # m/km on ordinary runs
    race_km: np.ndarray
    week_slot: np.ndarray  # (n, 7) int8 slot code per weekday, Monday first
    week_share: np.ndarray  # (n, 7) share of the weekly volume per weekday
    # plan position
    phase: np.ndarray  # int8, index into PHASES
    phase_left: np.ndarray  # int16, days left in the phase, today included
    days_to_race: np.ndarray  # int16
    build_days: np.ndarray  # int16, length of the build-up toward the next race
    peak: np.ndarray  # peak volume as a multiple of the base volume
    spike_left: np.ndarray  # int16, days left of an unplanned big week
    level: np.ndarray  # fraction of the planned volume actually run (comebacks, recovery)
    ramp: np.ndarray  # daily increase of level back toward 1
    # loads
    acute: np.ndarray  # EWMA of daily km, N = 7
    chronic: np.ndarray  # EWMA of daily km, N = 28
    ring_cm: np.ndarray  # (n, 14) int32, daily km of the last 14 days in units of 0.01 km
    sum7_cm: np.ndarray  # int32, last 7 days, 0.01 km
    prev7_cm: np.ndarray  # int32, the 7 days before those, 0.01 km
    # shoes
    shoe_km: np.ndarray  # (n, max_pairs) km on each shoe in rotation
    shoe_num: np.ndarray  # (n, max_pairs) int32, the shoe's number for this athlete
    next_shoe: np.ndarray  # int32, number of the next shoe bought
    # injury history
    prior_strains: np.ndarray  # int16, calf strains so far
    days_since_return: np.ndarray  # days since the last return from a strain (large: never)
    fast_return: np.ndarray  # bool, this layoff ends without a return ramp

    @property
    def n(self) -> int:
        """Number of athletes held."""
        return int(self.athlete_id.shape[0])

    def take(self, index: np.ndarray) -> SimState:
        """Return a new state holding the athletes at ``index`` (copies; repeats allowed).

        Parameters
        ----------
        index : array of int or bool
            Positions along the athlete axis, as for :func:`numpy.take`, or a boolean mask.

        Returns
        -------
        SimState
            An independent state: stepping it does not touch ``self``.
        """
        index = np.asarray(index)
        if index.dtype == bool:
            index = np.flatnonzero(index)
        return SimState(**{f.name: getattr(self, f.name)[index] for f in dataclasses.fields(self)})

    def copy(self) -> SimState:
        """Return an independent copy of the whole state."""
        return SimState(**{f.name: getattr(self, f.name).copy() for f in dataclasses.fields(self)})


@dataclass(frozen=True, slots=True)
class SimParams:
    """Config values compiled into the numbers and arrays the step uses every day."""

    start_weekday: int
    factors: tuple[str, ...]
    log_hr: np.ndarray  # (n_factors,) log hazard ratio per factor
    trait_scale: np.ndarray  # (n_traits, 2) center and per of each trait's covariate
    rate_per_hour: float  # base rate x enrichment, strains per running hour
    # training
    skip_prob: float
    long_share: float
    quality_share: float
    distance_sigma: float
    log_growth: np.ndarray  # by habit, log(1 + weekly growth during a build-up)
    taper_days: int
    taper_factor: float
    post_race_level: float
    race_gap_days: tuple[int, int]
    build_days: tuple[int, int]
    peak_factor: tuple[float, float]
    spike_prob: np.ndarray  # by habit
    spike_factor: float
    holiday_prob: float
    holiday_days: tuple[int, int]
    holiday_run_factor: float
    illness_prob: float
    illness_days: tuple[int, int]
    comeback_level: np.ndarray  # by habit
    comeback_days: int
    # injury
    grade_cum: np.ndarray  # cumulative grade shares
    grade_layoff: np.ndarray  # (3, 2) low, high days
    return_level: float
    return_ramp_days: int
    fast_return_prob: np.ndarray  # by habit
    # factor shapes
    acwr: tuple[float, float, float]  # threshold, per, cap
    acwr_low: float  # low_threshold: the U shape's other side (0 = none)
    acwr_age: float  # age_interaction
    jump: tuple[float, float]  # ratio, min_prev_km
    shoe: tuple[float, float, float]
    hills: tuple[float, float, float]
    age: tuple[float, float]  # center, per
    return_tau: float
    kernel_args: tuple[np.ndarray, ...] = ()  # the above, packed for calfrisk.simulate.kernel


def _pack(p: SimParams) -> tuple[np.ndarray, ...]:
    """Pack parameters in the order calfrisk.simulate.kernel reads them."""
    from calfrisk.simulate import kernel as k

    scalars = np.empty(k.N_SCALARS)
    values = {
        k.P_START_WEEKDAY: p.start_weekday,
        k.P_RATE_PER_MIN: p.rate_per_hour / 60.0,
        k.P_SKIP: p.skip_prob,
        k.P_TAPER_DAYS: p.taper_days,
        k.P_TAPER_FACTOR: p.taper_factor,
        k.P_POST_RACE: p.post_race_level,
        k.P_GAP_LO: p.race_gap_days[0],
        k.P_GAP_HI: p.race_gap_days[1],
        k.P_BUILD_LO: p.build_days[0],
        k.P_BUILD_HI: p.build_days[1],
        k.P_PEAK_LO: p.peak_factor[0],
        k.P_PEAK_HI: p.peak_factor[1],
        k.P_SPIKE_FACTOR: p.spike_factor,
        k.P_HOLIDAY_PROB: p.holiday_prob,
        k.P_HOLIDAY_LO: p.holiday_days[0],
        k.P_HOLIDAY_HI: p.holiday_days[1],
        k.P_HOLIDAY_RUN: p.holiday_run_factor,
        k.P_ILLNESS_PROB: p.illness_prob,
        k.P_ILLNESS_LO: p.illness_days[0],
        k.P_ILLNESS_HI: p.illness_days[1],
        k.P_COMEBACK_DAYS: p.comeback_days,
        k.P_RETURN_LEVEL: p.return_level,
        k.P_RETURN_RAMP: p.return_ramp_days,
        k.P_ACWR_THR: p.acwr[0],
        k.P_ACWR_PER: p.acwr[1],
        k.P_ACWR_CAP: p.acwr[2],
        k.P_JUMP_RATIO: p.jump[0],
        k.P_JUMP_MIN_CM: p.jump[1] * 100.0,
        k.P_SHOE_THR: p.shoe[0],
        k.P_SHOE_PER: p.shoe[1],
        k.P_SHOE_CAP: p.shoe[2],
        k.P_HILLS_THR: p.hills[0],
        k.P_HILLS_PER: p.hills[1],
        k.P_HILLS_CAP: p.hills[2],
        k.P_AGE_CENTER: p.age[0],
        k.P_AGE_PER: p.age[1],
        k.P_RETURN_TAU: p.return_tau,
        k.P_LAMBDA_ACUTE: LAMBDA_ACUTE,
        k.P_LAMBDA_CHRONIC: LAMBDA_CHRONIC,
        k.P_CHRONIC_FLOOR: CHRONIC_FLOOR_KM,
        k.P_ACWR_LOW: p.acwr_low,
        k.P_ACWR_AGE: p.acwr_age,
    }
    assert len(values) == k.N_SCALARS
    for index, value in values.items():
        scalars[index] = value
    return (
        scalars,
        p.log_growth,
        p.spike_prob,
        p.comeback_level,
        p.fast_return_prob,
        p.grade_cum,
        p.grade_layoff,
        p.log_hr,
        p.trait_scale,
    )


def _habit_array(by_habit: ByHabit) -> np.ndarray:
    return np.array([getattr(by_habit, h) for h in HABITS], dtype=np.float64)


def _int_range(r: Range, scale: float = 1.0) -> tuple[int, int]:
    return round(r.low * scale), round(r.high * scale)


def compile_params(cfg: CohortConfig) -> SimParams:
    """Compile a validated config into :class:`SimParams`.

    Parameters
    ----------
    cfg : CohortConfig
        The validated cohort configuration.

    Returns
    -------
    SimParams
        Plain numbers and small arrays, cheap to read in the daily step and cheap to pickle.
    """
    t, inj, eff = cfg.training, cfg.injury, cfg.effects
    factors = cfg.factors
    grade_shares = np.array([g.share for g in inj.grades])
    params = SimParams(
        start_weekday=cfg.cohort.start_date.weekday(),
        factors=factors,
        log_hr=np.log(np.array([getattr(eff, f).hazard_ratio for f in factors])),
        trait_scale=np.array(
            [[getattr(eff, f.name).center, getattr(eff, f.name).per] for f in TRAITS]
        ).reshape(len(TRAITS), 2),
        rate_per_hour=inj.base_rate_per_1000h / 1000.0 * inj.enrichment,
        skip_prob=t.skip_prob,
        long_share=t.long_run_share,
        quality_share=t.quality_share,
        distance_sigma=t.distance_sigma,
        log_growth=np.log1p(_habit_array(t.build_growth_per_week)),
        taper_days=t.taper_days,
        taper_factor=t.taper_level,
        post_race_level=t.post_race_level,
        race_gap_days=_int_range(t.race_gap_weeks, 7),
        build_days=_int_range(t.build_weeks, 7),
        peak_factor=(t.peak_factor.low, t.peak_factor.high),
        spike_prob=_habit_array(t.spike_prob_per_day),
        spike_factor=t.spike_factor,
        holiday_prob=t.holidays_per_year / 365.25,
        holiday_days=_int_range(t.holiday_days),
        holiday_run_factor=t.holiday_run_factor,
        illness_prob=t.illnesses_per_year / 365.25,
        illness_days=_int_range(t.illness_days),
        comeback_level=_habit_array(t.comeback_level),
        comeback_days=t.comeback_days,
        grade_cum=np.cumsum(grade_shares) / grade_shares.sum(),
        grade_layoff=np.array([[g.layoff_days.low, g.layoff_days.high] for g in inj.grades]),
        return_level=inj.return_level,
        return_ramp_days=inj.return_ramp_days,
        fast_return_prob=_habit_array(inj.fast_return_prob),
        acwr=(eff.acwr.threshold, eff.acwr.per, eff.acwr.cap),
        acwr_low=eff.acwr.low_threshold,
        acwr_age=eff.acwr.age_interaction,
        jump=(eff.weekly_jump.ratio, eff.weekly_jump.min_prev_km),
        shoe=(eff.shoe_wear.threshold, eff.shoe_wear.per, eff.shoe_wear.cap),
        hills=(eff.hills.threshold, eff.hills.per, eff.hills.cap),
        age=(eff.age.center, eff.age.per),
        return_tau=eff.recent_return.tau_days,
    )
    if factors != FACTOR_ORDER:
        raise ValueError(f"the simulator computes the factors {FACTOR_ORDER}, the config has {factors}")
    return dataclasses.replace(params, kernel_args=_pack(params))


#: The effects in the order the kernel computes their covariates (that of the config's effects):
#: the day loop's, then the traits'.
FACTOR_ORDER: tuple[str, ...] = EFFECTS


#: EWMA smoothing constants, lambda = 2 / (N + 1) with N = 7 and 28 days (Williams et al. 2017).
LAMBDA_ACUTE = 2.0 / (7 + 1)
LAMBDA_CHRONIC = 2.0 / (28 + 1)
#: Floor of the chronic load in the ACWR, km/day, so a first run after months off stays finite.
CHRONIC_FLOOR_KM = 0.5
#: "Never" for days since a return: far enough that exp(-days / tau) is exactly 0.
NEVER_DAYS = 1.0e6
