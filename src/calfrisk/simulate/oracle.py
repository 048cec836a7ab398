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

import functools
from collections.abc import Callable

import numpy as np
import pandas as pd

from calfrisk.config import CohortConfig
from calfrisk.engine import Engine
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
    scored: np.ndarray | None = None,
) -> pd.DataFrame:
    """The oracle for the wanted athletes of one chunk (replays the whole chunk).

    ``scored``, when given, is a ``(len(wanted), n_days)`` mask of the days to roll out; the other
    days of the wanted athletes are replayed, not scored."""
    p = compile_params(cfg)
    state, rng = start_chunk(cfg, chunk, seed, p)
    ids = state.athlete_id.copy()
    width = cfg.cohort.chunk_size
    rows = np.flatnonzero(np.isin(ids, wanted))
    days = cfg.cohort.n_days
    if scored is None:
        scored = np.ones((len(rows), days), dtype=bool)
    risk = np.full((len(rows), days), np.nan)
    hazard = np.empty((len(rows), days))
    today = Trajectory.empty(len(ids), 1, len(p.factors))
    for t in range(days):
        advance_days(state, p, rng, 1, width=width, out=today)
        hazard[:, t] = today.hazard[rows, 0]
        now = np.flatnonzero(scored[:, t])
        if len(now) == 0:
            continue
        futures = state.take(np.repeat(rows[now], n_rollouts))
        # Each athlete-day's futures have their own seed: an estimate does not depend on which
        # other athletes or days are scored alongside it.
        uniforms = np.concatenate(
            [
                np.random.default_rng([rollout_seed, int(ids[r]), t]).random((horizon, N_UNIFORM, n_rollouts))
                for r in rows[now]
            ],
            axis=2,
        )
        ahead = advance_with(futures, p, uniforms, strains=False)
        survival = np.prod(1.0 - ahead.hazard, axis=1)
        risk[now, t] = 1.0 - survival.reshape(len(now), n_rollouts).mean(axis=1)
    start = np.datetime64(cfg.cohort.start_date, "D")
    out = pd.DataFrame(
        {
            "athlete_id": np.repeat(ids[rows], days),
            "date": pd.to_datetime(np.tile(start + np.arange(days), len(rows))).astype("datetime64[ms]"),
            "risk": risk.ravel(),
            "hazard": hazard.ravel(),
        }
    )
    return out[scored.ravel()].reset_index(drop=True)


def _chunk_task(
    cfg: CohortConfig,
    horizon: int,
    n_rollouts: int,
    rollout_seed: int,
    task: tuple[int, np.random.SeedSequence, np.ndarray, np.ndarray | None],
) -> pd.DataFrame:
    """One chunk of :func:`oracle_risk` (a task a Dask worker can run): the chunk, its seed, its
    wanted athletes and their mask of days carry with it, nothing of the other chunks'."""
    chunk, seed, wanted, mask = task
    return _chunk_oracle(cfg, chunk, seed, wanted, horizon, n_rollouts, rollout_seed, mask)


def _day_masks(
    cfg: CohortConfig, wanted: np.ndarray, days: pd.DataFrame, chunks: list[int]
) -> dict[int, np.ndarray]:
    """Per chunk, the mask of its wanted athletes (in id order) by cohort day that ``days`` names."""
    start = np.datetime64(cfg.cohort.start_date, "D")
    offset = (pd.to_datetime(days["date"]).to_numpy("datetime64[D]") - start).astype(np.int64)
    athlete = np.asarray(days["athlete_id"])
    inside = (offset >= 0) & (offset < cfg.cohort.n_days) & np.isin(athlete, wanted)
    masks = {}
    for c in chunks:
        mine = wanted[wanted // cfg.cohort.chunk_size == c]
        mask = np.zeros((len(mine), cfg.cohort.n_days), dtype=bool)
        here = inside & np.isin(athlete, mine)
        mask[np.searchsorted(mine, athlete[here]), offset[here]] = True
        masks[c] = mask
    return masks


def oracle_risk(
    cfg: CohortConfig,
    athlete_ids: np.ndarray,
    *,
    horizon: int = 7,
    n_rollouts: int = 100,
    random_state: int = 0,
    n_jobs: int | None = -1,
    progress: Callable[[int, int], None] | None = None,
    days: pd.DataFrame | None = None,
    engine: Engine | None = None,
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
    days : DataFrame, optional
        Only these athlete-days (``athlete_id``, ``date``), e.g. a case-control sample's: the
        futures are rolled out for them alone (each day's estimate is the one it gets among all
        days; days outside the cohort are left out).
    engine : Engine, optional
        Where the chunks run (:func:`calfrisk.engine.open_engine`); default ``n_jobs`` threads.

    Returns
    -------
    DataFrame
        ``athlete_id``, ``date``, ``risk`` and ``hazard`` (the day's true hazard, replayed: equal to
        the truth table's), sorted by athlete and date.
    """
    wanted = np.unique(np.asarray(athlete_ids))
    size = cfg.cohort.chunk_size
    chunks = sorted({int(a) // size for a in wanted})
    seeds = chunk_seeds(cfg)
    masks = {c: None for c in chunks} if days is None else _day_masks(cfg, wanted, days, chunks)
    engine = engine or Engine("threads", n_jobs=n_jobs)
    task = functools.partial(_chunk_task, cfg, horizon, n_rollouts, random_state)
    items = [(c, seeds[c], wanted[wanted // size == c], masks[c]) for c in chunks]
    parts = {}
    for index, part in engine.map(task, items):
        parts[index] = part
        if progress is not None:
            progress(len(parts), len(chunks))
    return pd.concat([parts[i] for i in range(len(chunks))], ignore_index=True)
