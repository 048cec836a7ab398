"""Study designs: how far the models' conclusions carry when the simulator's assumptions are wrong,
and how many runners a prospective study needs.

The flow: a design (:mod:`calfrisk.config.study`) -> its worlds, each validated
(:mod:`~calfrisk.study.scenarios`) -> independent tasks on an engine (:mod:`~calfrisk.study.run`):
the base models scored on each scenario's world (:mod:`~calfrisk.study.transport`), rate models
fitted to replicate cohorts of each size (:mod:`~calfrisk.study.power`), a model developed on a
cohort of each size beside Riley et al.'s minimum (:mod:`~calfrisk.study.development`,
:mod:`~calfrisk.study.sampsize`) -> ``results.parquet``, ``summary.json`` and plots
(:mod:`~calfrisk.study.summary`, :mod:`~calfrisk.study.figures`).
"""

from calfrisk._lazy import lazy_exports

#: Public name -> the module that defines it, imported on first use.
_EXPORTS = {
    "plan_study": "run",
    "run_study": "run",
    "StudyPlan": "run",
    "StudyResult": "run",
    "resolve_worlds": "scenarios",
    "cohort_seed": "scenarios",
    "power_replicate": "power",
    "fit_rate_model": "power",
    "simulate_follow_up": "power",
    "score_scenario": "transport",
    "train_base_models": "transport",
    "riley_sample_size": "sampsize",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
