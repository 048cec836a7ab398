"""The study design: which worlds to compare, which analyses to run, how many replicates, which seed.

A design (``configs/study.yaml``) names the base world (a cohort config laid over the shipped
defaults), the training settings, a list of scenarios (each a set of cohort-config overrides laid
over the base world) and two analyses: the misspecification sweep (models trained on the base world,
scored on each scenario's) and the power analysis (rate models fitted to replicate cohorts of each
size). The design's own keys are checked here; each scenario's world is checked by the cohort
config's own rules when the study resolves it (:func:`calfrisk.study.scenarios.resolve_worlds`).
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from calfrisk.config.base import Frozen as _Frozen
from calfrisk.config.base import NonNegativeInt, PositiveInt, load_validated

__all__ = ["StudyDesign", "default_study_path", "load_study_design"]

#: A scenario's or study's name: it becomes a file name, a column value and an MLflow run name.
Name = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_]*$", max_length=64)]


class Scenario(_Frozen):
    """A world the models are scored on: cohort-config overrides laid over the base world's."""

    name: Name
    description: str = ""
    overrides: dict[str, Any] = Field(default_factory=dict)


class Sweep(_Frozen):
    """Train on the base world, score on every scenario's world."""

    train_runners: PositiveInt
    eval_runners: PositiveInt
    days: PositiveInt
    replicates: PositiveInt
    models: Annotated[list[str], Field(min_length=1)]
    importance_repeats: PositiveInt
    #: Effects whose evidence range (:mod:`calfrisk.simulate.evidence`) gives a scenario per end.
    evidence_ends: Literal["all"] | list[str]


class ModelAuc(_Frozen):
    """The ROC AUC of a model trained and tested on a cohort of each size."""

    model: str
    runners: list[PositiveInt]
    replicates: NonNegativeInt
    parameters: PositiveInt | None = None


class Power(_Frozen):
    """Rate models of strain onsets fitted to replicate cohorts of each size and follow-up."""

    scenario: Name = "base"
    runners: Annotated[list[PositiveInt], Field(min_length=1)]
    days: Annotated[list[PositiveInt], Field(min_length=1)]
    replicates: PositiveInt
    alpha: Annotated[float, Field(gt=0, lt=0.5)]
    model_auc: ModelAuc

    @field_validator("runners", "days")
    @classmethod
    def _increasing(cls, values: list[int]) -> list[int]:
        if values != sorted(set(values)):
            raise ValueError(f"must be distinct and increasing, got {values}")
        return values


class StudyDesign(_Frozen):
    """Everything ``calfrisk study`` needs."""

    name: Name
    seed: NonNegativeInt
    base_config: str | None = None
    base: dict[str, Any] = Field(default_factory=dict)
    train: dict[str, Any] = Field(default_factory=dict)
    scenarios: list[Scenario]
    sweep: Sweep | None = None
    power: Power | None = None

    @model_validator(mode="after")
    def _check(self) -> StudyDesign:
        names = [s.name for s in self.scenarios]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"scenario {repeated[0]!r} is named twice")
        if self.sweep is None and self.power is None:
            raise ValueError("nothing to do: give sweep, power or both")
        return self


def default_study_path() -> Path:
    """Path of the default study design shipped with the package."""
    return Path(str(resources.files("calfrisk") / "configs" / "study.yaml"))


def load_study_design(
    path: str | Path | None = None, overrides: Mapping[str, Any] | None = None
) -> StudyDesign:
    """Load and validate a study design, laid over ``configs/study.yaml`` key by key.

    ``scenarios`` is a list: a design's own list replaces the shipped one whole.

    Parameters
    ----------
    path : str or Path, optional
        A YAML design. ``None`` uses the shipped default study.
    overrides : mapping, optional
        Nested values laid over the file, e.g. ``{"power": {"replicates": 10}}``.

    Raises
    ------
    InputError
        Naming the file and the first key that is unknown, missing, mistyped or out of range.

    Examples
    --------
    >>> design = load_study_design(overrides={"power": {"replicates": 5}})
    >>> design.power.replicates, design.scenarios[0].name
    (5, 'base')
    """
    return load_validated(StudyDesign, default_study_path(), path, overrides)
