"""Power and sample size: rate models of strain onsets fitted to replicate cohorts of each size.

A replicate simulates the largest cohort of the grid once, in memory, and takes the smaller ones
from it: the first ``n`` runners over the first ``d`` days of a cohort are the ``n``-runner,
``d``-day cohort of the same seed (chunks draw a full chunk's random numbers, days are drawn in
order), so the sizes of one replicate are nested, as a study that keeps recruiting would be.

On each (runners, days) cohort a rate model of strain onsets per hour of running is fitted
(statsmodels) on what a study can record:

- every day-level exposure the simulator's effects read (acute:chronic ratio above its threshold,
  a weekly jump, the shoe's km, shoe rotation, climbing, speed and interval sessions, time since a
  return), computed as the simulator defines it: a study that logs every run and every shoe;
- age, a prior strain, the warm-up and stretching habits, sex;
- glute and calf strength as a study measures them, by the bridge and heel-raise tests (standardised
  test scores), not the latent strengths: the test noise attenuates their estimates (regression
  dilution), which the bias and coverage show.

The model is the simulator's own hazard, log-linear in these covariates (the hazard per minute of
running is ``rate * exp(sum log_hr * x)``, and strains are rare enough that a day's probability is
its rate), so a coefficient estimates the effect's log hazard ratio. Two estimators of it:

- ``"poisson"``: the Poisson GLM of onsets per run with the run's hours as exposure (a ``log``
  offset), on every run: a million rows for 5,000 runners over a year, about 14 s a fit here;
- ``"case_base"`` (the default): case-base sampling (Hanley & Miettinen 2009). Every run with an
  onset (the cases) and a base series of runs drawn with probability proportional to their hours,
  ``c`` per hour; a logistic regression of case against base has the log hazard ratios as its
  coefficients (the hours cancel from the odds ``rate * hours * exp(beta x) / (c * hours)``, the
  intercept absorbs ``log c``) and valid model-based standard errors. With ``base_ratio`` 1,000
  base runs per case the standard errors were within 1 % of the full Poisson fit's for the median
  covariate and 3-12 % above it for the rarest exposure (an acute:chronic ratio above 1.3), the
  estimates within 0.3 of a standard error, in 0.3-1 s against 8-9 s a fit (3,000 and 5,000
  runners over a year).
  ``benchmarks/bench_power.py`` compares the two in the same run.

Per effect and cohort: the
estimate, its Wald interval, whether it is detected (two-sided p below ``alpha``, in the true
direction), and whether the interval covers the truth. Effects without an effect in the world
(hazard ratio 1, and sex) give the type I error.
"""

from __future__ import annotations

import gc
import threading
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd

from calfrisk.config import CohortConfig
from calfrisk.simulate.cohort import _athletes_table, chunk_seeds, start_chunk
from calfrisk.simulate.dynamics import advance_days
from calfrisk.simulate.state import compile_params

__all__ = ["FollowUp", "fit_rate_model", "power_replicate", "rate_covariates", "simulate_follow_up"]

#: Effects a study measures through a test score instead of the latent strength: (test, sign).
MEASURED_BY_TEST = {"glute_weakness": ("glute_test", -1.0), "calf_strength": ("calf_test", 1.0)}
#: Covariates with no effect in any world: the simulator gives sex none.
CONTROLS = ("sex",)
_Z = 1.959963984540054
_FIT_LOCK = threading.Lock()
#: A log hazard ratio's standard error beyond which it is reported as not estimable (a hazard ratio
#: whose 95 % interval spans a factor of e^(4 x 5) = 5e8).
_MAX_SE = 5.0


@dataclass(frozen=True)
class FollowUp:
    """The run days of a simulated cohort: what a rate model is fitted on.

    Attributes
    ----------
    athlete, day : ndarray
        Each run's athlete (0 to ``n_runners - 1``) and day index.
    hours : ndarray
        Each run's duration in hours (the exposure).
    strain : ndarray
        Whether a strain began on that run.
    covariates : DataFrame
        One column per covariate (:func:`rate_covariates`), one row per run.
    n_runners, n_days : int
    draw : ndarray
        A uniform per run, a hash of the cohort's seed, the athlete and the day: the base series of
        case-base sampling (the runs with ``draw < c * hours``), the same run's in any cohort of
        that seed that holds it.
    """

    athlete: np.ndarray
    day: np.ndarray
    hours: np.ndarray
    strain: np.ndarray
    covariates: pd.DataFrame
    n_runners: int
    n_days: int
    draw: np.ndarray

    def subset(self, n_runners: int, n_days: int) -> FollowUp:
        """The first ``n_runners`` runners over the first ``n_days`` days."""
        keep = (self.athlete < n_runners) & (self.day < n_days)
        return FollowUp(
            self.athlete[keep],
            self.day[keep],
            self.hours[keep],
            self.strain[keep],
            self.covariates[keep].reset_index(drop=True),
            n_runners,
            n_days,
            self.draw[keep],
        )


def rate_covariates(cfg: CohortConfig) -> list[str]:
    """The covariates of the rate model: every effect of the world, then the controls.

    Examples
    --------
    >>> from calfrisk.config import load_cohort_config
    >>> rate_covariates(load_cohort_config())[-3:]
    ['warmup', 'stretching', 'sex']
    """
    return [*cfg.factors, *CONTROLS]


def _test_z(athletes: pd.DataFrame, cfg: CohortConfig, effect: str) -> np.ndarray:
    test, sign = MEASURED_BY_TEST[effect]
    spec = getattr(cfg.population, test)
    return sign * (athletes[f"{test}_score"].to_numpy(dtype=float) - spec.mean) / spec.sd


def _chunk_runs(cfg: CohortConfig, chunk: int, seed: np.random.SeedSequence, p, n_days: int) -> dict:
    state, rng = start_chunk(cfg, chunk, seed, p)
    athletes = _athletes_table(state.copy(), cfg).to_pandas()
    rec = advance_days(state, p, rng, n_days, width=cfg.cohort.chunk_size)
    a, d = np.nonzero(rec.ran)
    columns = {name: rec.x[f, a, d] for f, name in enumerate(p.factors)}
    for effect in MEASURED_BY_TEST:
        columns[effect] = _test_z(athletes, cfg, effect)[a]
    columns["sex"] = (athletes["sex"].astype(str).to_numpy() == "F").astype(np.float32)[a]
    ids = athletes["athlete_id"].to_numpy()
    return {
        "athlete": ids[a],
        "day": d.astype(np.int32),
        "hours": rec.duration_min[a, d] / 60.0,
        "strain": rec.grade[a, d] > 0,
        "covariates": pd.DataFrame(columns),
        "draw": uniform_hash(cfg.cohort.seed, ids[a], d),
    }


def uniform_hash(seed: int, athlete: np.ndarray, day: np.ndarray) -> np.ndarray:
    """A uniform in [0, 1) per (seed, athlete, day): SplitMix64's finaliser (Steele et al. 2014) of
    the three packed into 64 bits. Not drawn from the simulation's stream, so the cohort's runs stay
    those ``simulate`` writes, and keyed by athlete and day, so a run's draw does not depend on
    which other runs the cohort holds.

    Examples
    --------
    >>> u = uniform_hash(7, np.array([0, 0, 1]), np.array([0, 1, 0]))
    >>> bool(((u >= 0) & (u < 1)).all()), len(set(u))
    (True, 3)
    """
    # Arrays throughout: numpy wraps array arithmetic modulo 2**64 silently (scalars would warn).
    z = np.full(len(athlete), seed, dtype=np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    z = z + (athlete.astype(np.uint64) << np.uint64(20)) + day.astype(np.uint64)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * 2.0**-53


def simulate_follow_up(cfg: CohortConfig) -> FollowUp:
    """Simulate ``cfg``'s cohort in memory and keep its run days (nothing is written).

    Parameters
    ----------
    cfg : CohortConfig
        The world, its size (``cohort.n_athletes``), follow-up (``cohort.n_days``) and seed.

    Returns
    -------
    FollowUp
        The runs, the same as the cohort ``calfrisk simulate`` writes with this config.
    """
    p = compile_params(cfg)
    parts = [_chunk_runs(cfg, c, seed, p, cfg.cohort.n_days) for c, seed in enumerate(chunk_seeds(cfg))]
    return FollowUp(
        np.concatenate([q["athlete"] for q in parts]),
        np.concatenate([q["day"] for q in parts]),
        np.concatenate([q["hours"] for q in parts]),
        np.concatenate([q["strain"] for q in parts]),
        pd.concat([q["covariates"] for q in parts], ignore_index=True),
        cfg.cohort.n_athletes,
        cfg.cohort.n_days,
        np.concatenate([q["draw"] for q in parts]),
    )


def true_log_hr(cfg: CohortConfig) -> dict[str, float]:
    """Each covariate's true log hazard ratio in the world (per unit of its covariate; the latent
    strength's for the two measured by a test; 0 for the controls)."""
    truth = {name: float(np.log(getattr(cfg.effects, name).hazard_ratio)) for name in cfg.factors}
    return {**truth, **dict.fromkeys(CONTROLS, 0.0)}


def _design(
    follow_up: FollowUp, method: str, base_ratio: float
) -> tuple[np.ndarray, np.ndarray, object, object]:
    """The rows, outcome, family and offset of the fit (see the module docstring)."""
    import statsmodels.api as sm

    covariates = follow_up.covariates
    if method == "poisson":
        values = covariates.to_numpy(dtype=float)
        return values, follow_up.strain.astype(float), sm.families.Poisson(), np.log(follow_up.hours)
    # The base series: about base_ratio runs per case, each run drawn with probability
    # pi = min(c * hours, 1). A row's odds of being the case copy are rate * hours / pi: the offset
    # log(hours / pi) is the constant -log c but where a long run is certain to be drawn.
    hours = follow_up.hours
    c = base_ratio * follow_up.strain.sum() / hours.sum()
    pi = np.minimum(c * hours, 1.0)
    base, cases = follow_up.draw < pi, follow_up.strain
    # Only the rows fitted become float64 (the cohort's covariates stay float32).
    rows = covariates.to_numpy()[np.concatenate([np.flatnonzero(cases), np.flatnonzero(base)])].astype(float)
    y = np.concatenate([np.ones(cases.sum()), np.zeros(base.sum())])
    offset = np.log(hours / pi)
    return rows, y, sm.families.Binomial(), np.concatenate([offset[cases], offset[base]])


def fit_rate_model(
    follow_up: FollowUp, method: str = "case_base", base_ratio: float = 1000.0
) -> pd.DataFrame:
    """Fit the rate model of strain onsets per hour of running (see the module docstring).

    Parameters
    ----------
    follow_up : FollowUp
        The runs.
    method : {"case_base", "poisson"}, default="case_base"
        Case-base sampling with a logistic regression, or the Poisson GLM on every run.
    base_ratio : float, default=1000
        Base runs per case, for ``"case_base"``.

    Returns
    -------
    DataFrame
        One row per covariate: ``estimate`` (log hazard ratio), ``se``, ``p_value`` (two-sided
        Wald), ``low`` and ``high`` (95 % Wald interval). A covariate that does not vary in this
        cohort, or that no strain met (no return from a strain yet, say), cannot be estimated: its
        row is NaN. So is every row when the cohort has no strain or the fit does not converge.
    """
    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import ConvergenceWarning, PerfectSeparationWarning

    if method not in ("case_base", "poisson"):
        raise ValueError(f"method must be 'case_base' or 'poisson', got {method!r}")
    names = list(follow_up.covariates.columns)
    out = pd.DataFrame(np.nan, index=names, columns=["estimate", "se", "p_value", "low", "high"])
    if follow_up.strain.sum() == 0:
        return out
    values, y, family, offset = _design(follow_up, method, base_ratio)
    varies = values.max(axis=0) > values.min(axis=0)
    model = sm.GLM(y, np.column_stack([np.ones(len(y)), values[:, varies]]), family=family, offset=offset)
    # The warning filters are process-wide (catch_warnings is not thread-safe): one fit at a time
    # holds them, and everything the fit computes (the standard errors are computed lazily, and
    # overflow in a degenerate fit) is read inside. A fit that does not converge is not estimable.
    with _FIT_LOCK, warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("error", ConvergenceWarning)
        warnings.simplefilter("error", PerfectSeparationWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            fit = model.fit(method="IRLS", tol=1e-8, maxiter=100)
            est, se = np.array(fit.params)[1:], np.array(fit.bse)[1:]
            p_values = np.array(fit.pvalues)[1:]
        except (ConvergenceWarning, PerfectSeparationWarning, np.linalg.LinAlgError):
            return out
    kept = [n for n, v in zip(names, varies, strict=True) if v]
    # Each IRLS step of statsmodels leaves a reference cycle holding row-length arrays (~0.5 GB a
    # fit at 5,000 runners); numpy arrays do not count toward the cycle collector's thresholds, so
    # a power analysis's memory reached 11 GiB. The young generations hold them: collected now.
    del fit, model
    gc.collect(1)
    # A factor that no strain met (every strain at x = 0) has its likelihood rising toward minus
    # infinity; IRLS stops at a huge estimate and a huger SE: not estimable.
    lost = ~np.isfinite(se) | (se > _MAX_SE)
    est, se = np.where(lost, np.nan, est), np.where(lost, np.nan, se)
    out.loc[kept, "estimate"] = est
    out.loc[kept, "se"] = se
    out.loc[kept, "p_value"] = np.where(lost, np.nan, p_values)
    out.loc[kept, "low"] = est - _Z * se
    out.loc[kept, "high"] = est + _Z * se
    return out


def power_replicate(
    cfg: CohortConfig,
    runners: list[int],
    days: list[int],
    alpha: float,
    replicate: int,
    method: str = "case_base",
) -> pd.DataFrame:
    """One replicate of a power analysis: the largest cohort simulated once, each (runners, days)
    cohort of the grid taken from it, the rate model fitted to each.

    Parameters
    ----------
    cfg : CohortConfig
        The world, with the replicate's seed (its size and follow-up are set from the grid).
    runners, days : list of int
        The grid, increasing.
    alpha : float
        The test's level.
    replicate : int
        Recorded in the rows.
    method : {"case_base", "poisson"}, default="case_base"
        The estimator (:func:`fit_rate_model`).

    Returns
    -------
    DataFrame
        One row per (runners, days, covariate): ``replicate``, ``n_runners``, ``n_days``,
        ``effect``, ``strains``, ``estimate``, ``se``, ``p_value``, ``low``, ``high``,
        ``true_log_hr``, ``detected`` and ``covered``.
    """
    largest = cfg.model_copy(
        update={"cohort": cfg.cohort.model_copy(update={"n_athletes": max(runners), "n_days": max(days)})}
    )
    everything = simulate_follow_up(largest)
    truth = true_log_hr(cfg)
    frames = []
    for n in runners:
        for d in days:
            cohort = everything.subset(n, d)
            fit = fit_rate_model(cohort, method).rename_axis("effect").reset_index()
            fit.insert(0, "strains", int(cohort.strain.sum()))
            fit.insert(0, "n_days", d)
            fit.insert(0, "n_runners", n)
            frames.append(fit)
    rows = pd.concat(frames, ignore_index=True)
    rows.insert(0, "replicate", replicate)
    rows["true_log_hr"] = rows["effect"].map(truth)
    rows["detected"] = (rows["p_value"] < alpha) & (
        (np.sign(rows["estimate"]) == np.sign(rows["true_log_hr"])) | (rows["true_log_hr"] == 0)
    )
    rows["covered"] = (rows["low"] <= rows["true_log_hr"]) & (rows["true_log_hr"] <= rows["high"])
    unknown = rows["estimate"].isna()
    rows["detected"] = rows["detected"].astype("boolean").mask(unknown)
    rows["covered"] = rows["covered"].astype("boolean").mask(unknown)
    return rows
