"""The Monte Carlo oracle: the best risk estimate any model could make.

For an athlete-day d, the oracle knows the simulator's full state at the end of that day (latent
strengths, true shoe km, loads, the hidden plan: an upcoming build-up, a holiday about to start). It
rolls that state forward ``n_rollouts`` times over the horizon with fresh randomness and integrates
the strain draws out as a survival product: ``risk = 1 - mean_r prod_{t=d+1}^{d+H} (1 - hazard_rt)``,
the hazards of a future in which no strain has happened yet. No model that sees only the past can do
better on average.

States are recovered by replaying each chunk of the cohort with its own seed, day by day (the same
stream of random numbers as the cohort run, so the same states); a test checks that the replayed
hazards equal the truth table's.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from calfrisk.config import CohortConfig
from calfrisk.simulate.cohort import chunk_seeds, start_chunk
from calfrisk.simulate.dynamics import N_UNIFORM, Trajectory, advance_days, advance_with
from calfrisk.simulate.state import compile_params

__all__ = ["oracle_risk"]


def _chunk_oracle(
    cfg: CohortConfig,
    chunk: int,
    seed: np.random.SeedSequence,
    wanted: np.ndarray,
    horizon: int,
    n_rollouts: int,
    rollout_seed: int,
) -> pd.DataFrame:
    """The oracle for the wanted athletes of one chunk (replays the whole chunk)."""
    p = compile_params(cfg)
    state, rng = start_chunk(cfg, chunk, seed, p)
    ids = state.athlete_id.copy()
    width = cfg.cohort.chunk_size
    rows = np.flatnonzero(np.isin(ids, wanted))
    days = cfg.cohort.n_days
    risk = np.empty((len(rows), days))
    hazard = np.empty((len(rows), days))
    today = Trajectory.empty(len(ids), 1, len(p.factors))
    repeat = np.repeat(rows, n_rollouts)
    for t in range(days):
        advance_days(state, p, rng, 1, width=width, out=today)
        hazard[:, t] = today.hazard[rows, 0]
        futures = state.take(repeat)
        # Each athlete's futures have their own seed: an estimate does not depend on which other
        # athletes are scored alongside it.
        uniforms = np.concatenate(
            [
                np.random.default_rng([rollout_seed, int(ids[r]), t]).random((horizon, N_UNIFORM, n_rollouts))
                for r in rows
            ],
            axis=2,
        )
        ahead = advance_with(futures, p, uniforms, strains=False)
        survival = np.prod(1.0 - ahead.hazard, axis=1)
        risk[:, t] = 1.0 - survival.reshape(len(rows), n_rollouts).mean(axis=1)
    start = np.datetime64(cfg.cohort.start_date, "D")
    return pd.DataFrame(
        {
            "athlete_id": np.repeat(ids[rows], days),
            "date": pd.to_datetime(np.tile(start + np.arange(days), len(rows))).astype("datetime64[ms]"),
            "risk": risk.ravel(),
            "hazard": hazard.ravel(),
        }
    )


def oracle_risk(
    cfg: CohortConfig,
    athlete_ids: np.ndarray,
    *,
    horizon: int = 7,
    n_rollouts: int = 100,
    random_state: int = 0,
    n_jobs: int | None = -1,
    progress: Callable[[int, int], None] | None = None,
) -> pd.DataFrame:
    """The oracle's probability of a strain onset within ``horizon`` days, for every day of some athletes.

    Parameters
    ----------
    cfg : CohortConfig
        The config the cohort was simulated with (its ``config.yaml``).
    athlete_ids : array of int
        The athletes to score (e.g. the held-out test athletes).
    horizon : int, default=7
        H: the risk of day d covers onsets on days d+1 .. d+H.
    n_rollouts : int, default=100
        Futures simulated per athlete-day; the Monte Carlo standard error of a risk p is at most
        ``sqrt(p (1 - p) / n_rollouts)`` and much less in practice (each future's survival is a
        product of hazards, not a 0/1 draw).
    random_state : int, default=0
        Seed of the futures (independent of the cohort's seed).
    n_jobs : int, optional
        Worker threads over chunks (-1: one per core).
    progress : callable, optional
        Called as ``progress(done_chunks, n_chunks)``.

    Returns
    -------
    DataFrame
        ``athlete_id``, ``date``, ``risk`` and ``hazard`` (the day's true hazard, replayed: equal to
        the truth table's), sorted by athlete and date.
    """
    from joblib import Parallel, delayed

    wanted = np.unique(np.asarray(athlete_ids))
    size = cfg.cohort.chunk_size
    chunks = sorted({int(a) // size for a in wanted})
    seeds = chunk_seeds(cfg)
    jobs = (
        delayed(_chunk_oracle)(cfg, c, seeds[c], wanted, horizon, n_rollouts, random_state) for c in chunks
    )
    parts = []
    for part in Parallel(n_jobs=n_jobs, prefer="threads", return_as="generator")(jobs):
        parts.append(part)
        if progress is not None:
            progress(len(parts), len(chunks))
    return pd.concat(parts, ignore_index=True)
