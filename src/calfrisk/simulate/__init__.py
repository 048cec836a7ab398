"""The synthetic runner-cohort simulator.

A cohort is simulated one day at a time through :func:`step`, which advances an explicit
:class:`SimState` for any set of athletes; :func:`simulate_cohort` runs whole cohorts in chunks and
writes them to Parquet.
"""

from calfrisk.simulate.cohort import CohortSummary, dump_config, simulate_chunk, simulate_cohort
from calfrisk.simulate.dynamics import DayRecord, Trajectory, advance_days, skip_days, step
from calfrisk.simulate.population import draw_population
from calfrisk.simulate.state import HABITS, PHASES, SimParams, SimState, compile_params

__all__ = [
    "HABITS",
    "PHASES",
    "CohortSummary",
    "DayRecord",
    "SimParams",
    "SimState",
    "Trajectory",
    "advance_days",
    "compile_params",
    "draw_population",
    "dump_config",
    "simulate_chunk",
    "simulate_cohort",
    "skip_days",
    "step",
]
