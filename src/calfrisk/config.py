"""Validated, frozen configuration: the one place that parses YAML.

The default values live in one file, ``configs/cohort.yaml`` (shipped inside the package), beside
the source of every effect size. A user's file is laid over those defaults key by key, so a
researcher's config can be as short as ``effects: {age: {hazard_ratio: 1.0}}``. Unknown keys, wrong
types and out-of-range values are refused with an :class:`~calfrisk.schema.InputError` naming the key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from calfrisk.schema import InputError
from calfrisk.validation import Frozen as _Frozen
from calfrisk.validation import describe_error as _describe
from calfrisk.validation import overlay as _overlay
from calfrisk.validation import read_yaml as _read_yaml

__all__ = [
    "MODEL_NAMES",
    "CohortConfig",
    "TrainConfig",
    "default_cohort_path",
    "default_train_path",
    "load_cohort_config",
    "load_train_config",
]

Positive = Annotated[float, Field(gt=0)]
NonNegative = Annotated[float, Field(ge=0)]
Probability = Annotated[float, Field(ge=0, le=1)]
PositiveInt = Annotated[int, Field(gt=0)]
NonNegativeInt = Annotated[int, Field(ge=0)]


class _Bounded(_Frozen):
    """Anything with ``low`` and ``high`` bounds (declared by the subclass, so YAML keeps its order)."""

    @model_validator(mode="after")
    def _ordered(self) -> _Bounded:
        if self.low > self.high:
            raise ValueError(f"low ({self.low}) must not exceed high ({self.high})")
        return self


class Range(_Bounded):
    """A closed interval ``[low, high]``."""

    low: float
    high: float


class PositiveRange(Range):
    """A closed interval of positive values (km, days, weeks, factors)."""

    low: Positive
    high: Positive


class NonNegativeRange(Range):
    """A closed interval of values that may be 0 but not negative."""

    low: NonNegative
    high: NonNegative


class ShareRange(Range):
    """A closed interval of shares, within ``[0, 1]``."""

    low: Probability
    high: Probability


class Cohort(_Frozen):
    """Size, period, seed and chunking of the simulated cohort."""

    n_athletes: PositiveInt
    n_days: PositiveInt
    start_date: dt.date
    seed: NonNegativeInt
    chunk_size: PositiveInt
    burn_in_days: NonNegativeInt


class TruncatedNormal(_Bounded):
    """A normal distribution clipped to ``[low, high]``."""

    mean: float
    sd: NonNegative
    low: float
    high: float


class LogNormal(_Bounded):
    """A log-normal distribution given by its median and log-scale ``sigma``, clipped."""

    median: Positive
    sigma: NonNegative
    low: Positive
    high: Positive


class Shares(_Frozen):
    """Shares of the three progression habits; they must add up to 1."""

    cautious: Probability
    steady: Probability
    jumpy: Probability

    @model_validator(mode="after")
    def _sum_to_one(self) -> Shares:
        total = self.cautious + self.steady + self.jumpy
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"shares must add up to 1, got {total:g}")
        return self


class TestScore(_Frozen):
    """How a latent z-score shows up in a test a runner can do: ``mean + sd * (z + noise)``."""

    mean: Positive
    sd: Positive
    noise_sd: NonNegative


class Population(_Frozen):
    """Distributions of the athletes' profile."""

    age: TruncatedNormal
    female_share: Probability
    years_running: LogNormal
    base_weekly_km: LogNormal
    progression: Shares
    shoe_pairs_shares: Annotated[list[Probability], Field(min_length=1, max_length=4)]
    shoe_replace_km: PositiveRange
    never_replace_share: Probability
    hill_share: ShareRange
    speed_share: ShareRange
    strength_sessions_shares: Annotated[list[Probability], Field(min_length=1, max_length=5)]
    strength_to_calf: Annotated[float, Field(ge=-1, le=1)]
    strength_to_glute: Annotated[float, Field(ge=-1, le=1)]
    glute_test: TestScore
    calf_test: TestScore
    warmup_share: Probability
    stretching_share: Probability
    prior_strains_per_year: NonNegative
    easy_pace_min_per_km: PositiveRange
    terrain_m_per_km: LogNormal

    @model_validator(mode="after")
    def _shares_sum(self) -> Population:
        for name in ("shoe_pairs_shares", "strength_sessions_shares"):
            total = sum(getattr(self, name))
            if abs(total - 1.0) > 1e-9:
                raise ValueError(f"{name} must add up to 1, got {total:g}")
        return self


class ByHabit(_Frozen):
    """One value per progression habit."""

    cautious: float
    steady: float
    jumpy: float


class Training(_Frozen):
    """How training is planned and lived: weekly pattern, races, breaks and comebacks."""

    skip_prob: Probability
    distance_sigma: NonNegative
    long_run_share: Probability
    quality_share: Probability
    race_gap_weeks: PositiveRange
    build_weeks: NonNegativeRange
    build_growth_per_week: ByHabit
    peak_factor: PositiveRange
    taper_days: NonNegativeInt
    taper_level: Positive
    post_race_level: Positive
    spike_prob_per_day: ByHabit
    spike_factor: Positive
    holidays_per_year: NonNegative
    holiday_days: NonNegativeRange
    holiday_run_factor: Probability
    illnesses_per_year: NonNegative
    illness_days: NonNegativeRange
    comeback_level: ByHabit
    comeback_days: PositiveInt


class Grade(_Frozen):
    """One strain grade: its share of strains and its layoff in days."""

    share: Probability
    layoff_days: PositiveRange


class Injury(_Frozen):
    """Base rate, enrichment, grades and return to running."""

    base_rate_per_1000h: Positive
    enrichment: Positive
    grades: Annotated[list[Grade], Field(min_length=3, max_length=3)]
    return_ramp_days: PositiveInt
    return_level: Positive
    fast_return_prob: ByHabit

    @model_validator(mode="after")
    def _grade_shares(self) -> Injury:
        total = sum(g.share for g in self.grades)
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"grade shares must add up to 1, got {total:g}")
        return self


class Effect(_Frozen):
    """A factor's effect: the hazard ratio per unit of its covariate (1 = no effect)."""

    hazard_ratio: Positive


class ThresholdEffect(Effect):
    """Hazard ratio per ``per`` units above ``threshold``, saturating at ``cap``."""

    threshold: float
    per: Positive
    cap: float

    @model_validator(mode="after")
    def _cap_above_threshold(self) -> ThresholdEffect:
        # Otherwise the covariate is 0 whatever happens and the effect vanishes without a word
        # (to switch an effect off, set its hazard_ratio to 1).
        if self.cap <= self.threshold:
            raise ValueError(f"cap ({self.cap}) must exceed threshold ({self.threshold})")
        return self


class CenteredEffect(Effect):
    """Hazard ratio per ``per`` units away from ``center``."""

    center: float
    per: Positive


class DecayEffect(Effect):
    """Hazard ratio on the first day, decaying as ``exp(-days / tau_days)``."""

    tau_days: Positive


class JumpEffect(Effect):
    """Hazard ratio while the last 7 days exceed the 7 before by more than ``ratio``."""

    ratio: Positive
    min_prev_km: NonNegative


class Effects(_Frozen):
    """One entry per risk factor; the order here is the order of the ``mult_*`` columns."""

    acwr: ThresholdEffect
    weekly_jump: JumpEffect
    shoe_wear: ThresholdEffect
    shoe_rotation: Effect
    age: CenteredEffect
    prior_strain: Effect
    recent_return: DecayEffect
    glute_weakness: Effect
    calf_strength: Effect
    hills: ThresholdEffect
    speed_work: Effect
    warmup: Effect
    stretching: Effect


class CohortConfig(_Frozen):
    """Everything ``calfrisk simulate`` needs: cohort, population, training, injury, effects."""

    cohort: Cohort
    population: Population
    training: Training
    injury: Injury
    effects: Effects

    @property
    def factors(self) -> tuple[str, ...]:
        """The risk factors, in ``mult_*`` column order."""
        return tuple(Effects.model_fields)


#: Models ``calfrisk train`` knows, by config name.
MODEL_NAMES: tuple[str, ...] = ("gbm", "logistic", "acwr_zone", "ten_percent", "lovdal")


class TrainData(_Frozen):
    """Labels and splits."""

    horizon_days: PositiveInt
    min_history_days: NonNegativeInt
    test_fraction: Annotated[float, Field(gt=0, lt=1)]
    n_folds: Annotated[int, Field(ge=2)]
    seed: NonNegativeInt


class OracleSettings(_Frozen):
    """The Monte Carlo oracle."""

    n_rollouts: PositiveInt


class EvaluationSettings(_Frozen):
    """Confidence intervals and calibration bins."""

    n_boot: PositiveInt
    ece_bins: Annotated[int, Field(ge=2)]


class ModelSpec(_Frozen):
    """One model: its calibration (where it has one) and its estimator's parameters."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)

    calibration: Literal["isotonic", "sigmoid"] | None = None
    params: dict[str, Any] = Field(default_factory=dict)


class TrainConfig(_Frozen):
    """Everything ``calfrisk train`` needs."""

    data: TrainData
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


def default_cohort_path() -> Path:
    """Path of the default cohort config shipped with the package."""
    return Path(str(resources.files("calfrisk") / "configs" / "cohort.yaml"))


def default_train_path() -> Path:
    """Path of the default train config shipped with the package."""
    return Path(str(resources.files("calfrisk") / "configs" / "train.yaml"))


def _load(
    model: type[BaseModel], default: Path, path: str | Path | None, overrides: Mapping[str, Any] | None
):
    data = _read_yaml(default)
    source = default
    if path is not None:
        source = Path(path)
        data = _overlay(data, _read_yaml(source))
    if overrides:
        data = _overlay(data, overrides)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InputError(f"{source}: {_describe(exc.errors()[0])}") from None


def load_cohort_config(
    path: str | Path | None = None, overrides: Mapping[str, Any] | None = None
) -> CohortConfig:
    """Load and validate a cohort config.

    Parameters
    ----------
    path : str or Path, optional
        A YAML file laid over the shipped defaults. ``None`` uses the defaults alone.
    overrides : mapping, optional
        Nested values laid over the file, e.g. ``{"cohort": {"n_athletes": 500}}``.

    Returns
    -------
    CohortConfig
        The frozen, validated configuration.

    Raises
    ------
    InputError
        If the file is missing or malformed, or a key is unknown, mistyped or out of range.

    Examples
    --------
    >>> cfg = load_cohort_config(overrides={"cohort": {"n_athletes": 10}})
    >>> cfg.cohort.n_athletes
    10
    """
    return _load(CohortConfig, default_cohort_path(), path, overrides)


def load_train_config(
    path: str | Path | None = None, overrides: Mapping[str, Any] | None = None
) -> TrainConfig:
    """Load and validate a train config, laid over ``configs/train.yaml`` like :func:`load_cohort_config`.

    A model left out of ``models`` in the user's file is still trained (the defaults list it); to
    train fewer models, give ``models`` as the full mapping in ``overrides`` or edit a copy of the file.
    """
    return _load(TrainConfig, default_train_path(), path, overrides)
