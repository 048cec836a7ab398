"""Configuration: validated, frozen settings read from YAML laid over the shipped defaults.

:mod:`~calfrisk.config.cohort` describes the simulated world, :mod:`~calfrisk.config.train` the
models and their evaluation, :mod:`~calfrisk.config.study` a study's design;
:mod:`~calfrisk.config.base` reads YAML and names the bad key.
"""

from calfrisk._lazy import lazy_exports

#: Public name -> the module that defines it, imported on first use.
_EXPORTS = {
    "CohortConfig": "cohort",
    "default_cohort_path": "cohort",
    "load_cohort_config": "cohort",
    "MODEL_NAMES": "train",
    "TrainConfig": "train",
    "default_train_path": "train",
    "load_train_config": "train",
    "StudyDesign": "study",
    "default_study_path": "study",
    "load_study_design": "study",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
