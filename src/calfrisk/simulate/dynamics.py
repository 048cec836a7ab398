"""Advance any set of athletes day by day: plan, session, shoes, loads, hazard, strain.

:func:`step` advances a :class:`~calfrisk.simulate.state.SimState` by one day in place and returns
what happened; :func:`advance_days` does the same for many days, writing athlete-by-day arrays. Both
read nothing but the state, the compiled parameters and the Generator they are given, and draw the
same amount of randomness per day whatever happens, so they apply to any state, any subset of
athletes, any Generator: what a Monte Carlo oracle needs (copy a state, roll it forward many times).

The rules of one day, for each athlete:

1. A break or layoff that ends brings the runner back at a reduced level that ramps back to 1
   (``comeback_level`` by habit after a holiday or illness; ``return_level`` after a strain, or full
   volume for a "too fast" returner).
2. From normal training a holiday, an illness or an unplanned big week may begin.
3. The planned weekly volume: base volume, grown by ``(1 + growth) ** weeks`` during the build-up
   toward the next race up to the peak, cut during the taper, raised during a big week.
4. The session on today's weekday slot (skipped with ``skip_prob``; on holiday only some are run; a
   race on race day): type, distance (share of the week x level x log-logistic noise), duration from
   the athlete's pace, climb from their terrain (+30 m/km for hill sessions).
5. A shoe from the rotation; its km grow; past the owner's threshold it is retired for a new one.
6. Loads: EWMA acute and chronic km (lambda = 2/(N+1), N = 7 and 28) and the last two 7-day sums.
7. One covariate per factor; the hazard is ``1 - exp(-rate * hours * prod(hazard_ratio ** x))``.
8. A strain with that probability: grade, layoff (no running), return style.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from calfrisk.schema import SESSION_TYPES
from calfrisk.simulate.kernel import N_UNIFORM, STATE_FIELDS, advance, noise_multipliers
from calfrisk.simulate.state import SimParams, SimState

__all__ = [
    "BLOCK_DAYS",
    "N_UNIFORM",
    "TYPE_CODES",
    "DayRecord",
    "Trajectory",
    "advance_days",
    "advance_with",
    "skip_days",
    "step",
]

#: Integer codes of calfrisk.schema.SESSION_TYPES: their positions.
TYPE_CODES = {name: code for code, name in enumerate(SESSION_TYPES)}
#: Days of randomness drawn at once by advance_days: long blocks let the kernel write each athlete's
#: outputs in long runs (faster); the cap bounds memory (~70 B per athlete-day of the block).
BLOCK_DAYS = 366


@dataclass(slots=True)
class Trajectory:
    """What happened to each athlete over several days: ``(n_athletes, n_days)`` arrays.

    ``x`` holds the factor covariates, ``(n_factors, n_athletes, n_days)`` float32; the multiplier
    of factor ``f`` is ``hazard_ratio_f ** x[f]``.
    """

    ran: np.ndarray  # bool
    distance_km: np.ndarray
    duration_min: np.ndarray
    elevation_gain_m: np.ndarray
    session_type: np.ndarray  # int8 code, see TYPE_CODES
    shoe_id: np.ndarray  # int32, 0 without a run
    in_layoff: np.ndarray  # bool
    hazard: np.ndarray  # probability of a strain onset that day
    x: np.ndarray  # float32 covariates
    grade: np.ndarray  # int8, 0 without a strain
    layoff_days: np.ndarray  # int16, 0 without a strain
    fast_return: np.ndarray  # bool

    @classmethod
    def empty(cls, n: int, days: int, n_factors: int) -> Trajectory:
        """Zeroed arrays for ``n`` athletes over ``days`` days."""
        return cls(
            ran=np.zeros((n, days), bool),
            distance_km=np.zeros((n, days)),
            duration_min=np.zeros((n, days)),
            elevation_gain_m=np.zeros((n, days)),
            session_type=np.zeros((n, days), np.int8),
            shoe_id=np.zeros((n, days), np.int32),
            in_layoff=np.zeros((n, days), bool),
            hazard=np.zeros((n, days)),
            x=np.zeros((n_factors, n, days), np.float32),
            grade=np.zeros((n, days), np.int8),
            layoff_days=np.zeros((n, days), np.int16),
            fast_return=np.zeros((n, days), bool),
        )

    @property
    def strain(self) -> np.ndarray:
        """Whether a strain began that day."""
        return self.grade > 0

    def multipliers(self, p: SimParams) -> np.ndarray:
        """Hazard multipliers ``hazard_ratio ** x``, float32, shaped like ``x``."""
        return np.exp(p.log_hr.astype(np.float32)[:, None, None] * self.x)


@dataclass(slots=True)
class DayRecord:
    """What happened to each athlete on one day: the fields of :class:`Trajectory` for that day."""

    ran: np.ndarray
    distance_km: np.ndarray
    duration_min: np.ndarray
    elevation_gain_m: np.ndarray
    session_type: np.ndarray
    shoe_id: np.ndarray
    in_layoff: np.ndarray
    hazard: np.ndarray
    x: np.ndarray  # (n_factors, n) float32
    grade: np.ndarray
    layoff_days: np.ndarray
    fast_return: np.ndarray

    @property
    def strain(self) -> np.ndarray:
        """Whether a strain began that day."""
        return self.grade > 0

    def multipliers(self, p: SimParams) -> np.ndarray:
        """``(n_factors, n)`` hazard multipliers, ``hazard_ratio ** x``."""
        return np.exp(p.log_hr[:, None] * self.x)


def _run(
    s: SimState, p: SimParams, u: np.ndarray, strains: bool, t0: int, out: Trajectory, record: bool = True
) -> None:
    for name in STATE_FIELDS:
        if not getattr(s, name).flags.c_contiguous:
            raise ValueError(f"state array {name!r} must be C-contiguous (use SimState.take or copy)")
    advance(
        *(getattr(s, name) for name in STATE_FIELDS),
        *p.kernel_args,
        u,
        strains,
        record,
        t0,
        out.ran,
        out.distance_km,
        out.duration_min,
        out.elevation_gain_m,
        out.session_type,
        out.shoe_id,
        out.in_layoff,
        out.hazard,
        out.x,
        out.grade,
        out.layoff_days,
        out.fast_return,
    )


def _check_out(out: Trajectory, n: int, days: int, n_factors: int) -> None:
    # The compiled kernel does not check bounds: a too-small array would be written past its end.
    reference = Trajectory.empty(0, 0, 0)
    for name in Trajectory.__slots__:
        array, ref = getattr(out, name), getattr(reference, name)
        shape = (n_factors, n) if name == "x" else (n,)
        if array.dtype != ref.dtype or array.shape[:-1] != shape or array.shape[-1] < days:
            raise ValueError(f"out.{name} must be {ref.dtype} of shape {(*shape, days)} (or more days)")
        if not array.flags.c_contiguous:
            raise ValueError(f"out.{name} must be C-contiguous")


def _draw(
    rng: np.random.Generator, days: int, n: int, width: int | None, buffer: np.ndarray | None = None
) -> np.ndarray:
    width = n if width is None else width
    if width < n:
        raise ValueError(f"width ({width}) must be at least the number of athletes ({n})")
    shape = (days, N_UNIFORM, width)
    if buffer is not None and (buffer.dtype != np.float64 or not buffer.flags.c_contiguous):
        raise ValueError("buffer must be a C-contiguous float64 array")
    # One block of (days, rows, width) is the same stream as `days` draws of (1, rows, width).
    if buffer is None or buffer.size < math.prod(shape):
        block = rng.random(shape)
    else:
        # Reused memory: a fresh block (tens of MB a chunk) costs more in page faults than the draws.
        block = buffer.reshape(-1)[: math.prod(shape)].reshape(shape)
        rng.random(out=block)
    return np.ascontiguousarray(block[:, :, :n])


def advance_with(
    s: SimState,
    p: SimParams,
    uniforms: np.ndarray,
    *,
    strains: bool = True,
    out: Trajectory | None = None,
    first_day: int = 0,
) -> Trajectory:
    """Advance ``s`` by ``uniforms.shape[0]`` days using the given random numbers, in place.

    For callers that need to control where each athlete's randomness comes from (the oracle seeds
    each athlete's futures separately, so its estimates do not depend on which athletes share a call).

    Parameters
    ----------
    s : SimState
        The athletes' state; updated.
    p : SimParams
        Compiled parameters.
    uniforms : ndarray of shape (days, N_UNIFORM, s.n)
        Uniforms on [0, 1); modified in place (its noise rows become multipliers).
    strains : bool, default=True
        Draw strain onsets.
    out : Trajectory, optional
        Arrays to write into, from column ``first_day`` on.
    first_day : int, default=0
        Column of ``out`` that receives the first day.

    Returns
    -------
    Trajectory
        ``out``, or new arrays for exactly these days.
    """
    days = uniforms.shape[0]
    if uniforms.shape[1:] != (N_UNIFORM, s.n) or uniforms.dtype != np.float64:
        raise ValueError(f"uniforms must be float64 of shape (days, {N_UNIFORM}, {s.n})")
    if out is None:
        out = Trajectory.empty(s.n, days, len(p.factors))
        first_day = 0
    else:
        _check_out(out, s.n, first_day + days, len(p.factors))
    uniforms = np.ascontiguousarray(uniforms)
    noise_multipliers(uniforms, p.distance_sigma)
    _run(s, p, uniforms, strains, first_day, out)
    return out


def advance_days(
    s: SimState,
    p: SimParams,
    rng: np.random.Generator,
    days: int,
    *,
    width: int | None = None,
    strains: bool = True,
    out: Trajectory | None = None,
    buffer: np.ndarray | None = None,
) -> Trajectory:
    """Advance every athlete of ``s`` by ``days`` days, in place.

    Parameters
    ----------
    s : SimState
        The athletes' state on the morning of the first day; updated to the morning after the last.
    p : SimParams
        Compiled parameters.
    rng : numpy.random.Generator
        Source of all randomness.
    days : int
        Number of days.
    width : int, optional
        Draw this many athletes' worth of random numbers per day and use the first ``s.n`` (the
        cohort uses its chunk size, so an athlete's draws do not depend on the size of its chunk).
    strains : bool, default=True
        Draw strain onsets. With ``False`` the hazards are still computed but no strain happens.
    out : Trajectory, optional
        Arrays to write into (e.g. reused between calls); allocated if omitted.
    buffer : ndarray, optional
        A C-contiguous float64 scratch array to draw each block of uniforms into, reused between
        calls; used when it holds at least ``min(days, 366) * N_UNIFORM * width`` values.

    Returns
    -------
    Trajectory
        Athlete-by-day arrays of what happened. The result equals ``days`` calls of :func:`step`
        with the same Generator.
    """
    if out is None:
        out = Trajectory.empty(s.n, days, len(p.factors))
    else:
        _check_out(out, s.n, days, len(p.factors))
    for t0 in range(0, days, BLOCK_DAYS):
        block = min(BLOCK_DAYS, days - t0)
        uniforms = _draw(rng, block, s.n, width, buffer)
        advance_with(s, p, uniforms, strains=strains, out=out, first_day=t0)
    return out


def skip_days(
    s: SimState,
    p: SimParams,
    rng: np.random.Generator,
    days: int,
    *,
    width: int | None = None,
    buffer: np.ndarray | None = None,
) -> None:
    """Advance every athlete of ``s`` by ``days`` days in place, recording nothing (a burn-in).

    Draws exactly what :func:`advance_days` draws and leaves ``s`` and ``rng`` exactly as it would;
    skipping the day-by-day records saves about a fifth of the compiled loop's time.

    Parameters
    ----------
    s, p, rng, days, width, buffer
        As for :func:`advance_days`.
    """
    # The kernel writes nothing when not recording: empty arrays of the right types stand in.
    nowhere = Trajectory.empty(s.n, 0, len(p.factors))
    for t0 in range(0, days, BLOCK_DAYS):
        uniforms = _draw(rng, min(BLOCK_DAYS, days - t0), s.n, width, buffer)
        noise_multipliers(uniforms, p.distance_sigma)
        _run(s, p, uniforms, True, 0, nowhere, record=False)


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
        Draw this many athletes' worth of random numbers and use the first ``s.n``.
    strains : bool, default=True
        Draw strain onsets. With ``False`` the day's hazard is still computed but no strain happens,
        so a caller can integrate strains out as a survival product instead of sampling them.

    Returns
    -------
    DayRecord
        The day's session, hazard, factor covariates and strain for each athlete.
    """
    day = advance_days(s, p, rng, 1, width=width, strains=strains)
    return DayRecord(**{name: getattr(day, name)[..., 0] for name in Trajectory.__slots__})
