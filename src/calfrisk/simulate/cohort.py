"""Simulate a whole cohort: fixed-size chunks, one spawned Generator each, streamed to Parquet.

Chunk ``c`` holds athletes ``c * chunk_size`` to ``(c + 1) * chunk_size - 1`` and draws from
``SeedSequence(seed).spawn(...)[c]``, always a full chunk's width of random numbers. Adding athletes
therefore only adds chunks (or fills the last one) and never changes an athlete already simulated.
Chunks run in parallel through joblib; each worker writes its own Parquet part files, so memory grows
with the chunk, not with the cohort.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from calfrisk.config import CohortConfig
from calfrisk.engine import Engine
from calfrisk.factors import TRAITS
from calfrisk.schema import SESSION_TYPES, TABLES
from calfrisk.simulate import arrow
from calfrisk.simulate.dynamics import BLOCK_DAYS, N_UNIFORM, Trajectory, advance_days, skip_days
from calfrisk.simulate.population import draw_population
from calfrisk.simulate.state import HABITS, SimParams, SimState, compile_params
from calfrisk.storage import Folder, atomic_folder

__all__ = ["CohortSummary", "dump_config", "simulate_chunk", "simulate_cohort"]

#: Decimals kept in ``summary.json`` for the figures that are float sums.
_SUMMARY_DIGITS = {
    "total_km": 2,
    "running_hours": 6,
    "expected_strains": 6,
    "strains_per_1000h": 6,
    "positive_share": 8,
}
#: Horizon of the "positive running days" figure in the summary (days after the day).
SUMMARY_HORIZON_DAYS = 7
_EPOCH = dt.date(1970, 1, 1)
_MS_PER_DAY = 86_400_000
#: Parquet writer options per table. The truth table is most of the bytes and of the writing time:
#: lz4 without dictionary encoding, with min/max statistics only on the keys (for filtering by
#: athlete or date), writes it ~3.5x faster than zstd with dictionaries, for ~15 % more disk.
WRITE_OPTIONS: dict[str, dict[str, object]] = {
    "athletes": {"compression": "zstd"},
    "training_log": {"compression": "zstd", "write_statistics": ["athlete_id", "date"]},
    "injuries": {"compression": "zstd"},
    "shoes": {"compression": "zstd"},
    "truth": {"compression": "lz4", "use_dictionary": False, "write_statistics": ["athlete_id", "date"]},
}


@dataclass(frozen=True)
class CohortSummary:
    """Counts that describe a simulated cohort (docs/guide/simulate.md explains each figure)."""

    n_athletes: int
    n_days: int
    athlete_days: int
    running_days: int
    at_risk_days: int
    total_km: float
    running_hours: float
    strains: int
    strains_by_grade: tuple[int, int, int]
    expected_strains: float
    horizon_days: int
    running_days_with_horizon: int
    positive_running_days: int

    @property
    def strains_per_1000h(self) -> float:
        """Realised calf strains per 1000 running hours."""
        return 1000.0 * self.strains / self.running_hours if self.running_hours else float("nan")

    @property
    def positive_share(self) -> float:
        """Share of running days followed by a strain onset within ``horizon_days``."""
        n = self.running_days_with_horizon
        return self.positive_running_days / n if n else float("nan")

    def to_dict(self) -> dict[str, object]:
        """The summary as plain JSON-ready values, derived figures included."""
        out = dataclasses.asdict(self)
        out["strains_by_grade"] = list(self.strains_by_grade)
        out["strains_per_1000h"] = self.strains_per_1000h
        out["positive_share"] = self.positive_share
        # Each sum to well below its meaning's precision (km are logged to 0.01, minutes to 0.1):
        # the last bits of a float sum follow numpy's summation order, which changes between
        # numpy versions, and the same cohort must write the same file.
        for key, digits in _SUMMARY_DIGITS.items():
            out[key] = round(out[key], digits)
        return out

    @classmethod
    def combine(cls, parts: list[CohortSummary]) -> CohortSummary:
        """Add up the summaries of disjoint chunks of one cohort."""
        total: dict[str, object] = {}
        for f in dataclasses.fields(cls):
            values = [getattr(p, f.name) for p in parts]
            if f.name in ("n_days", "horizon_days"):
                total[f.name] = values[0]
            elif f.name == "strains_by_grade":
                total[f.name] = tuple(int(sum(g)) for g in zip(*values, strict=True))
            else:
                total[f.name] = sum(values)
        return cls(**total)


def _dates(day_index: np.ndarray, start: dt.date) -> pa.Array:
    """Calendar days as midnight timestamps (pandas reads them as datetime64, not Python objects)."""
    return arrow.timestamps_ms((day_index.astype(np.int64) + (start - _EPOCH).days) * _MS_PER_DAY)


def _shoes_table(s: SimState) -> pa.Table:
    in_use = np.arange(s.shoe_num.shape[1])[None, :] < s.n_pairs[:, None]
    a, k = np.nonzero(in_use)
    return arrow.table(
        {
            "athlete_id": s.athlete_id[a],
            "shoe_id": s.shoe_num[a, k],
            "km": np.round(s.shoe_km[a, k], 2),
        }
    )


def _athletes_table(s: SimState, cfg: CohortConfig) -> pa.Table:
    replace = np.where(np.isinf(s.replace_km), np.nan, s.replace_km)
    return arrow.table(
        {
            "athlete_id": s.athlete_id,
            "age": np.round(s.age, 1),
            "sex": arrow.dictionary(np.where(s.female, 0, 1).astype(np.int8), ["F", "M"]),
            "years_running": np.round(s.years_running, 1),
            "sessions_per_week": s.sessions_per_week,
            "shoe_pairs": s.n_pairs,
            "strength_sessions_per_week": s.strength_sessions,
            "warmup_habit": s.warmup,
            "stretching_habit": s.stretching,
            "glute_test_score": s.glute_score,
            "calf_test_score": s.calf_score,
            "prior_calf_strains": s.prior_strains,
            **{f.trait.column: s.traits[:, j] for j, f in enumerate(TRAITS)},
            "latent_glute_strength": s.glute_latent,
            "latent_calf_strength": s.calf_latent,
            "latent_progression": arrow.dictionary(s.habit, HABITS),
            "latent_base_weekly_km": s.base_weekly_km,
            "latent_hill_share": s.hill_share,
            "latent_speed_share": s.speed_share,
            "latent_shoe_replace_km": arrow.array(replace, mask=np.isnan(replace)),
            "latent_easy_pace_min_per_km": s.easy_pace,
            "latent_terrain_m_per_km": s.terrain,
        }
    )


def _truth_keys(
    ids: np.ndarray, days: int, start: dt.date, out: tuple[np.ndarray, np.ndarray] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The truth table's ``athlete_id`` and ``date`` (epoch ms) columns: every athlete, every day.

    Filled by broadcasting into ``out`` (or new arrays): np.repeat and np.tile hold the GIL for
    their whole copy, which stalled the other worker threads.
    """
    n = len(ids)
    if out is None:
        out = (np.empty(n * days, np.int32), np.empty(n * days, np.int64))
    rows_id, rows_ms = out[0][: n * days], out[1][: n * days]
    rows_id.reshape(n, days)[:] = ids[:, None]
    first = (start - _EPOCH).days * _MS_PER_DAY
    rows_ms.reshape(n, days)[:] = np.arange(first, first + days * _MS_PER_DAY, _MS_PER_DAY, dtype=np.int64)
    return rows_id, rows_ms


def _tables(
    rec: Trajectory,
    ids: np.ndarray,
    cfg: CohortConfig,
    p: SimParams,
    keys: tuple[np.ndarray, np.ndarray] | None = None,
) -> dict[str, pa.Table]:
    start = cfg.cohort.start_date
    days = rec.ran.shape[1]

    def rows(where: np.ndarray) -> tuple[np.ndarray, np.ndarray, Callable[[np.ndarray], np.ndarray]]:
        # Flat positions in row-major order (athlete first, then date): one index array and plain
        # takes, ~4x faster than np.nonzero's pair of indices and two-dimensional gathers.
        flat = np.flatnonzero(where)
        a, t = np.divmod(flat, days)
        return ids[a], _dates(t, start), lambda column: column.reshape(-1).take(flat)

    athlete, date, pick = rows(rec.ran)
    log = arrow.table(
        {
            "athlete_id": athlete,
            "date": date,
            "distance_km": pick(rec.distance_km),
            "duration_min": pick(rec.duration_min),
            "elevation_gain_m": pick(rec.elevation_gain_m),
            "session_type": arrow.dictionary(pick(rec.session_type), SESSION_TYPES),
            "shoe_id": pick(rec.shoe_id),
        }
    )
    athlete, date, pick = rows(rec.grade)
    injuries = arrow.table(
        {
            "athlete_id": athlete,
            "date": date,
            "grade": pick(rec.grade),
            "layoff_days": pick(rec.layoff_days),
            "fast_return": pick(rec.fast_return),
        }
    )
    truth_ids, truth_ms = keys if keys is not None else _truth_keys(ids, days, start)
    truth = {
        "athlete_id": truth_ids,
        "date": arrow.timestamps_ms(truth_ms),
        "hazard": rec.hazard.ravel(),
        "in_layoff": rec.in_layoff.ravel(),
    }
    # Multipliers from the covariates, in place (rec.x is not needed afterwards).
    mult = rec.x
    mult *= p.log_hr.astype(np.float32)[:, None, None]
    np.exp(mult, out=mult)
    for i, name in enumerate(p.factors):
        truth[f"mult_{name}"] = mult[i].ravel()
    return {"training_log": log, "injuries": injuries, "truth": arrow.table(truth)}


def _summary(rec: Trajectory, n: int) -> CohortSummary:
    ran, grade = rec.ran, rec.grade
    days = ran.shape[1]
    h = SUMMARY_HORIZON_DAYS
    strain = grade > 0
    onsets = np.zeros((n, days + 1), np.int32)
    np.cumsum(strain, axis=1, out=onsets[:, 1:])
    full = max(days - h, 0)  # days d whose whole window d+1 .. d+h lies inside the period
    ahead = onsets[:, 1 + h : 1 + h + full] - onsets[:, 1 : 1 + full]
    ran_full = ran[:, :full]
    grades = np.bincount(grade[strain].astype(np.int64), minlength=4)
    return CohortSummary(
        n_athletes=n,
        n_days=days,
        athlete_days=n * days,
        running_days=int(ran.sum()),
        at_risk_days=int((~rec.in_layoff).sum()),
        total_km=float(rec.distance_km.sum()),
        running_hours=float(rec.duration_min.sum() / 60.0),
        strains=int(strain.sum()),
        strains_by_grade=(int(grades[1]), int(grades[2]), int(grades[3])),
        expected_strains=float(rec.hazard.sum()),
        horizon_days=h,
        running_days_with_horizon=int(ran_full.sum()),
        positive_running_days=int((ran_full & (ahead > 0)).sum()),
    )


def chunk_ids(cfg: CohortConfig, chunk: int) -> np.ndarray:
    """The athlete ids of chunk ``chunk`` (int32): ``chunk * chunk_size`` up to the cohort's end."""
    size = cfg.cohort.chunk_size
    return np.arange(chunk * size, min((chunk + 1) * size, cfg.cohort.n_athletes), dtype=np.int32)


def chunk_seeds(cfg: CohortConfig) -> list[np.random.SeedSequence]:
    """Each chunk's seed: ``SeedSequence(seed).spawn(n_chunks)``. The one place that defines it, so
    that anything replaying a chunk (the oracle) draws exactly what the cohort run drew."""
    n_chunks = math.ceil(cfg.cohort.n_athletes / cfg.cohort.chunk_size)
    return np.random.SeedSequence(cfg.cohort.seed).spawn(n_chunks)


def start_chunk(
    cfg: CohortConfig,
    chunk: int,
    seed: np.random.SeedSequence,
    params: SimParams,
    *,
    buffer: np.ndarray | None = None,
) -> tuple[SimState, np.random.Generator]:
    """A chunk's athletes on the morning of the first recorded day, and the chunk's Generator.

    Draws the population and runs the burn-in exactly as :func:`simulate_chunk` does, so stepping the
    returned state with the returned Generator (with ``width=chunk_size``) replays the cohort.
    ``buffer`` is scratch space for the burn-in's uniforms (see :func:`~calfrisk.simulate.advance_days`).
    """
    ids = chunk_ids(cfg, chunk)
    width = cfg.cohort.chunk_size
    rng = np.random.default_rng(seed)
    burn = cfg.cohort.burn_in_days
    state = draw_population(cfg.population, params, rng, ids, start_day=-burn, width=width)
    skip_days(state, params, rng, burn, width=width, buffer=buffer)
    return state, rng


class _Workspace(threading.local):
    """Each worker thread's arrays, reused from chunk to chunk.

    A chunk of 1,024 athletes over a year fills ~65 MB of uniforms, trajectory and truth-key
    arrays; asking the system for fresh pages every chunk cost more page faults than the kernel's
    own work.
    """

    def __init__(self) -> None:
        self.buffer: np.ndarray | None = None
        self.trajectory: Trajectory | None = None
        self.keys: tuple[np.ndarray, np.ndarray] | None = None

    def arrays(self, n: int, days: int, n_factors: int, width: int) -> tuple[np.ndarray, Trajectory]:
        """A uniforms buffer and a trajectory for ``n`` athletes over ``days`` days."""
        size = min(days, BLOCK_DAYS) * N_UNIFORM * width
        if self.buffer is None or self.buffer.size < size:
            self.buffer = np.empty(size)
        traj = self.trajectory
        if traj is None or traj.hazard.shape != (n, days) or traj.x.shape[0] != n_factors:
            traj = self.trajectory = Trajectory.empty(n, days, n_factors)
        if self.keys is None or self.keys[0].size < n * days:
            self.keys = (np.empty(n * days, np.int32), np.empty(n * days, np.int64))
        return self.buffer, traj


def simulate_chunk(
    cfg: CohortConfig, chunk: int, seed: np.random.SeedSequence, *, params: SimParams | None = None
) -> tuple[dict[str, pa.Table], CohortSummary]:
    """Simulate one chunk of athletes over the configured period.

    Parameters
    ----------
    cfg : CohortConfig
        The cohort configuration.
    chunk : int
        Index of the chunk; it holds athletes ``chunk * chunk_size`` onward.
    seed : numpy.random.SeedSequence
        The chunk's own seed, spawned from the cohort seed.
    params : SimParams, optional
        Compiled parameters, to save recompiling them per chunk.

    Returns
    -------
    tables : dict of str to pyarrow.Table
        ``athletes``, ``training_log``, ``injuries`` and ``truth`` for the chunk.
    summary : CohortSummary
        The chunk's counts.
    """
    return _simulate_chunk(cfg, chunk, seed, compile_params(cfg) if params is None else params, None)


def _simulate_chunk(
    cfg: CohortConfig,
    chunk: int,
    seed: np.random.SeedSequence,
    p: SimParams,
    workspace: _Workspace | None,
) -> tuple[dict[str, pa.Table], CohortSummary]:
    # With a workspace the tables are views of its arrays: valid until the thread's next chunk.
    ids = chunk_ids(cfg, chunk)
    width = cfg.cohort.chunk_size
    days = cfg.cohort.n_days
    buffer, out, keys = None, None, None
    if workspace is not None:
        buffer, out = workspace.arrays(len(ids), days, len(p.factors), width)
        keys = _truth_keys(ids, days, cfg.cohort.start_date, workspace.keys)
    state, rng = start_chunk(cfg, chunk, seed, p, buffer=buffer)
    start = state.copy()  # the days ahead mutate the state arrays in place
    athletes, shoes = _athletes_table(start, cfg), _shoes_table(start)
    rec = advance_days(state, p, rng, days, width=width, out=out, buffer=buffer)
    summary = _summary(rec, len(ids))
    tables = {"athletes": athletes, **_tables(rec, ids, cfg, p, keys), "shoes": shoes}
    return tables, summary


def _part_path(name: str, chunk: int, n_chunks: int) -> str:
    """A table's file for a chunk, inside the cohort folder."""
    if n_chunks == 1:
        return f"{name}.parquet"
    return f"{name}.parquet/part-{chunk:05d}.parquet"


#: Each worker process's arrays, for chunks run by a distributed engine (threads reuse their own).
_PROCESS_WORKSPACE = _Workspace()


def _write_chunk(
    cfg: CohortConfig,
    n_chunks: int,
    root: Folder,
    params: SimParams,
    workspace: _Workspace | None,
    task: tuple[int, np.random.SeedSequence],
) -> CohortSummary:
    chunk, seed = task
    tables, summary = _simulate_chunk(cfg, chunk, seed, params, workspace or _PROCESS_WORKSPACE)
    for name in TABLES:
        # A chunk run again (its worker died) replaces its files whole.
        write = functools.partial(pq.write_table, tables[name], **WRITE_OPTIONS[name])
        root.write(_part_path(name, chunk, n_chunks), write)
    return summary


def simulate_cohort(
    cfg: CohortConfig,
    out_dir: str | Path,
    *,
    overwrite: bool = False,
    n_jobs: int | None = None,
    progress: Callable[[int, int], None] | None = None,
    engine: Engine | None = None,
) -> CohortSummary:
    """Simulate the configured cohort and write its tables to ``out_dir``.

    Parameters
    ----------
    cfg : CohortConfig
        The cohort configuration (see :func:`calfrisk.config.load_cohort_config`).
    out_dir : str or Path
        Output folder; must not exist or be empty, unless ``overwrite``.
    overwrite : bool, default=False
        Replace a non-empty ``out_dir``.
    n_jobs : int, optional
        Worker threads, one chunk each at a time (joblib convention: ``None`` = 1, ``-1`` = one per
        core). The compiled kernel and the Parquet writer release the GIL, so threads scale.
    progress : callable, optional
        Called as ``progress(done_chunks, n_chunks)`` after each chunk.
    engine : Engine, optional
        Where the chunks run (:func:`calfrisk.engine.open_engine`; Dask workers must see
        ``out_dir``). Default: ``n_jobs`` threads. The files are the same bytes on every engine.

    Returns
    -------
    CohortSummary
        Counts of the simulated cohort, also written to ``summary.json``.

    Notes
    -----
    ``out_dir`` receives ``athletes``, ``training_log``, ``injuries`` and ``truth`` as Parquet (one
    file each for a single-chunk cohort, otherwise a folder of ``part-NNNNN.parquet`` files, read
    the same way by :func:`pandas.read_parquet`), the resolved ``config.yaml`` that regenerates it,
    and ``summary.json``. Everything appears at once when the run succeeds; a failed run leaves
    ``out_dir`` untouched.
    """
    seeds = chunk_seeds(cfg)
    n_chunks = len(seeds)
    params = compile_params(cfg)
    engine = engine or Engine("threads", n_jobs=n_jobs)
    # Threads share one workspace per thread for this call only (freed when the call returns).
    workspace = None if engine.distributed else _Workspace()
    with atomic_folder(out_dir, overwrite=overwrite) as staging:
        task = functools.partial(_write_chunk, cfg, n_chunks, staging, params, workspace)
        parts: dict[int, CohortSummary] = {}
        for chunk, summary in engine.map(task, enumerate(seeds)):
            parts[chunk] = summary
            if progress is not None:
                progress(len(parts), n_chunks)
        total = CohortSummary.combine([parts[c] for c in range(n_chunks)])
        staging.write_bytes("config.yaml", dump_config(cfg).encode("utf-8"))
        staging.write_bytes("summary.json", (json.dumps(total.to_dict(), indent=2) + "\n").encode("utf-8"))
    return total


def dump_config(cfg: CohortConfig) -> str:
    """The resolved config as YAML, a complete file that regenerates the same cohort."""
    return yaml.safe_dump(cfg.model_dump(), sort_keys=False)
