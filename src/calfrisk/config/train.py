"""The train config: labels and splits, the oracle, evaluation, and the models to fit.

Laid over the shipped ``configs/train.yaml`` key by key, like the cohort config
(:mod:`calfrisk.config.cohort`).
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, model_validator

from calfrisk.config.base import Frozen as _Frozen
from calfrisk.config.base import NonNegativeInt, PositiveInt, load_validated

__all__ = ["MODEL_NAMES", "TrainConfig", "default_train_path", "load_train_config"]


#: Models ``calfrisk train`` knows, by config name.
MODEL_NAMES: tuple[str, ...] = ("gbm", "logistic", "acwr_zone", "ten_percent", "lovdal")


class TrainData(_Frozen):
    """Labels and splits."""

    horizon_days: PositiveInt
    min_history_days: NonNegativeInt
    test_fraction: Annotated[float, Field(gt=0, lt=1)]
    n_folds: Annotated[int, Field(ge=2)]
    seed: NonNegativeInt


class SideSampling(_Frozen):
    """The case-control sample of one side (training or test athletes)."""

    negative_rate: Annotated[float, Field(gt=0, le=1)]
    max_rows: PositiveInt


class Sampling(_Frozen):
    """Which eligible days are rows: every positive, a share of the negatives, at most so many."""

    train: SideSampling
    test: SideSampling


class OracleSettings(_Frozen):
    """The Monte Carlo oracle."""

    n_rollouts: PositiveInt


class EvaluationSettings(_Frozen):
    """How the models are scored: the held-out athletes, intervals and calibration bins."""

    n_boot: PositiveInt
    ece_bins: Annotated[int, Field(ge=2)]
    folds: Annotated[int, Field(ge=2)]
    folds_below: NonNegativeInt
    holdout_last: PositiveInt | None = None


class ModelSpec(_Frozen):
    """One model: its calibration (where it has one) and its estimator's parameters."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)

    calibration: Literal["isotonic", "sigmoid"] | None = None
    params: dict[str, Any] = Field(default_factory=dict)


class TrainConfig(_Frozen):
    """Everything ``calfrisk train`` needs."""

    data: TrainData
    sampling: Sampling
    oracle: OracleSettings
    evaluation: EvaluationSettings
    models: dict[str, ModelSpec]
    latent: list[str]

    @model_validator(mode="after")
    def _known_models(self) -> TrainConfig:
        for name in self.models:
            if name not in MODEL_NAMES:
                raise ValueError(f"unknown model {name!r} (known: {', '.join(MODEL_NAMES)})")
        for name in self.latent:
            if name not in self.models:
                raise ValueError(f"latent model {name!r} is not among the models")
        if not self.models:
            raise ValueError("no model to train")
        return self


def default_train_path() -> Path:
    """Path of the default train config shipped with the package."""
    return Path(str(resources.files("calfrisk") / "configs" / "train.yaml"))


def load_train_config(
    path: str | Path | None = None, overrides: Mapping[str, Any] | None = None
) -> TrainConfig:
    """Load and validate a train config, laid over ``configs/train.yaml`` like :func:`load_cohort_config`.

    A model left out of ``models`` in the user's file is still trained (the defaults list it); to
    train fewer models, give ``models`` as the full mapping in ``overrides`` or edit a copy of the file.
    """
    return load_validated(TrainConfig, default_train_path(), path, overrides)
