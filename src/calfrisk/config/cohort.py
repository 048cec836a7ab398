"""The cohort config: who the runners are, how they train, what raises their risk.

The default values live in one file, ``configs/cohort.yaml`` (shipped inside the package), beside
the source of every effect size. A user's file is laid over those defaults key by key, so a
researcher's config can be as short as ``effects: {age: {hazard_ratio: 1.0}}``. Unknown keys, wrong
types and out-of-range values are refused with an :class:`~calfrisk.exceptions.InputError` naming the key.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, create_model, model_validator

from calfrisk.config.base import Frozen as _Frozen
from calfrisk.config.base import (
    NonNegative,
    NonNegativeInt,
    Positive,
    PositiveInt,
    Probability,
    load_validated,
)
from calfrisk.factors import TRAITS, factor

__all__ = ["CohortConfig", "default_cohort_path", "load_cohort_config"]


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


class LoadEffect(ThresholdEffect):
    """The acute:chronic load effect: a :class:`ThresholdEffect`, optionally U-shaped and steeper with age.

    ``x`` gains ``(low_threshold - ratio) / per`` below ``low_threshold`` (0: no low side), and is
    multiplied by ``max(1 + age_interaction * age_x, 0)``, ``age_x`` being the age effect's covariate
    (0: no interaction).
    """

    low_threshold: NonNegative
    age_interaction: Annotated[float, Field(ge=-1, le=2)]

    @model_validator(mode="after")
    def _low_below_threshold(self) -> LoadEffect:
        if self.low_threshold >= self.threshold:
            raise ValueError(
                f"low_threshold ({self.low_threshold}) must lie below threshold ({self.threshold})"
            )
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


class KernelEffects(_Frozen):
    """The effects of the simulator's day loop; the order here is the order of the ``mult_*`` columns."""

    acwr: LoadEffect
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
    intervals: Effect
    warmup: Effect
    stretching: Effect


class TraitEffect(CenteredEffect):
    """A runner's trait: hazard ratio per ``per`` units away from ``center`` (defaults: the trait's
    declaration in :mod:`calfrisk.factors`, ``per`` its standard deviation)."""


def _trait_effect(name: str) -> tuple[type[TraitEffect], TraitEffect]:
    """The config model of a trait's effect, each key defaulting to the trait's declaration, and
    its default."""
    trait = factor(name).trait
    model = create_model(
        f"{name.title().replace('_', '')}Effect",
        __base__=TraitEffect,
        __doc__=f"{trait.description}: {trait.source}",
        hazard_ratio=(Positive, trait.hazard_ratio),
        center=(float, trait.mean),
        per=(Positive, trait.sd),
    )
    return model, model()


# The traits' effects follow the day loop's; their defaults come from the registry, so a trait
# declared there needs no line in configs/cohort.yaml.
Effects = create_model(
    "Effects",
    __base__=KernelEffects,
    __doc__="One entry per effect, the day loop's then the traits'; the order of the ``mult_*`` columns.",
    **{f.name: _trait_effect(f.name) for f in TRAITS},
)


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


def default_cohort_path() -> Path:
    """Path of the default cohort config shipped with the package."""
    return Path(str(resources.files("calfrisk") / "configs" / "cohort.yaml"))


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
    return load_validated(CohortConfig, default_cohort_path(), path, overrides)
