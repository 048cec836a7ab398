"""How often a cohort's runners strain a calf, measured as the studies the simulator cites measure it.

A simulated world is only as good as its match with the real one: :func:`cohort_epidemiology` gives
the figures a reader can hold against the literature (strains per 1000 running hours and per
runner-year, the share of runners who start with a strain history, and how often a return from a
strain is followed by another), and :data:`REFERENCE` the range each should fall in, with its
source. The tests check the default cohort against them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from calfrisk.config import CohortConfig

__all__ = ["REFERENCE", "Epidemiology", "cohort_epidemiology"]

#: Figure -> (low, high, source): the range a real-rate cohort of recreational runners should match.
REFERENCE: dict[str, tuple[float, float, str]] = {
    "strains_per_1000h": (
        0.2,
        0.9,
        "7.7 (6.9-8.7) running injuries per 1000 h in recreational runners (Videbaek 2015), of which "
        "3-10 % are calf strains (Kakouris 2021)",
    ),
    "strains_per_runner_year": (
        0.03,
        0.12,
        "the per-hour range at the default cohort's ~140 running hours a year (derived)",
    ),
    "history_share": (
        0.15,
        0.50,
        "0.03-0.12 strains a year over a median 6 years of running, 1 - exp(-rate * years) (derived)",
    ),
    "recurrence": (
        0.16,
        0.38,
        "16-38 % of calf strains recur in sport (Orchard & Seward 2014 in Green & Pizzari 2017; "
        "team sports, within a season of about six months: read here as within 180 days of the return)",
    ),
}


@dataclass(frozen=True)
class Epidemiology:
    """A cohort's strain figures (:func:`cohort_epidemiology`).

    Attributes
    ----------
    strains : int
        Strain onsets in the recorded window.
    running_hours, runner_years : float
        Exposure: hours run, and runners times the window in years.
    strains_per_1000h, strains_per_runner_year : float
    history_share : float
        Share of runners with at least one calf strain before the window.
    returns_followed : int
        Returns from a strain with ``recurrence_days`` of the window still after them.
    recurrence : float
        Share of those returns followed by another strain within ``recurrence_days``.
    recurrence_days : int
    """

    strains: int
    running_hours: float
    runner_years: float
    strains_per_1000h: float
    strains_per_runner_year: float
    history_share: float
    returns_followed: int
    recurrence: float
    recurrence_days: int

    def to_dict(self) -> dict[str, float]:
        """The figures as plain values."""
        return asdict(self)


def cohort_epidemiology(
    tables: dict[str, pd.DataFrame], cfg: CohortConfig, *, recurrence_days: int = 180
) -> Epidemiology:
    """Strain rates, strain history and recurrence of a cohort, from its tables.

    Parameters
    ----------
    tables : dict of DataFrame
        ``athletes``, ``training_log`` and ``injuries`` (:func:`calfrisk.tables.load_cohort`).
    cfg : CohortConfig
        The cohort's config: its window (``start_date``, ``n_days``).
    recurrence_days : int, default=180
        A strain within this many days of the return from the previous one counts as a recurrence;
        only returns with this many days of the window after them are counted.

    Returns
    -------
    Epidemiology

    Examples
    --------
    >>> from calfrisk.tables import load_cohort
    >>> tables, cfg = load_cohort("data/synthetic/sample")
    >>> figures = cohort_epidemiology(tables, cfg, recurrence_days=90)
    >>> bool(figures.strains > 0 and 0 <= figures.recurrence <= 1)
    True
    """
    athletes, log, injuries = tables["athletes"], tables["training_log"], tables["injuries"]
    hours = float(log["duration_min"].sum()) / 60.0
    years = len(athletes) * cfg.cohort.n_days / 365.25
    injuries = injuries.sort_values(["athlete_id", "date"])
    onset = pd.to_datetime(injuries["date"])
    back = onset + pd.to_timedelta(injuries["layoff_days"], unit="D")
    following = onset.groupby(injuries["athlete_id"].to_numpy()).shift(-1)
    end = pd.Timestamp(cfg.cohort.start_date) + pd.Timedelta(days=cfg.cohort.n_days)
    followed = (back + pd.Timedelta(days=recurrence_days) <= end).to_numpy()
    again = ((following - back).dt.days <= recurrence_days).to_numpy() & following.notna().to_numpy()
    n_followed = int(followed.sum())
    return Epidemiology(
        strains=len(injuries),
        running_hours=hours,
        runner_years=years,
        strains_per_1000h=1000.0 * len(injuries) / hours if hours else float("nan"),
        strains_per_runner_year=len(injuries) / years if years else float("nan"),
        history_share=float(np.mean(athletes["prior_calf_strains"].to_numpy() > 0)),
        returns_followed=n_followed,
        recurrence=float(again[followed].mean()) if n_followed else float("nan"),
        recurrence_days=recurrence_days,
    )
