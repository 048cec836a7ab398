"""The synthetic runner-cohort simulator, its Monte Carlo oracle, and simulated runners as real ones.

A cohort is simulated one day at a time through :func:`step`, which advances an explicit
:class:`SimState` for any set of athletes; :func:`simulate_cohort` runs whole cohorts in chunks and
writes them to Parquet. :mod:`~calfrisk.simulate.oracle` computes each day's true risk by Monte Carlo
rollouts; :mod:`~calfrisk.simulate.export` writes a simulated runner's log and profile as a runner
would have them.
"""

from calfrisk._lazy import lazy_exports

#: Public name -> the module that defines it, imported on first use.
_EXPORTS = {
    "CohortSummary": "cohort",
    "dump_config": "cohort",
    "simulate_chunk": "cohort",
    "simulate_cohort": "cohort",
    "DayRecord": "dynamics",
    "Trajectory": "dynamics",
    "advance_days": "dynamics",
    "skip_days": "dynamics",
    "step": "dynamics",
    "EXAMPLE_ATHLETE": "export",
    "SHOE_NAMES": "export",
    "example_log": "export",
    "runner_log": "export",
    "runner_profile": "export",
    "write_activities": "export",
    "write_example": "export",
    "oracle_risk": "oracle",
    "draw_population": "population",
    "poisson_from_uniform": "population",
    "week_templates": "population",
    "HABITS": "state",
    "PHASES": "state",
    "SimParams": "state",
    "SimState": "state",
    "compile_params": "state",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
