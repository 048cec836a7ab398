"""The risk factors: one declaration each, from which every part of calfrisk takes its list.

A risk factor is what a runner recognises ("shoes", "strain history"). Each declares the
simulator's effects behind it (each an ``effects.<name>`` key of the cohort config and a
``mult_<name>`` truth column), the model's features that carry it, and the profile keys a runner
reports for it. From this one table come the simulator's factor order
(:data:`calfrisk.simulate.state.FACTOR_ORDER`), the truth behind each factor
(:data:`calfrisk.learn.importance.TRUTH_FACTORS`), the features of each driver
(:data:`calfrisk.learn.explain.DRIVER_FACTORS`) and the profile values ``predict`` fills in
(:mod:`calfrisk.predict.scoring`). Tests check that the config's effects, the features, the kernel
and the advice agree with it.

What stays per factor in code, by nature, for the factors built into the day loop: the effect's
evidence and parameters (:mod:`calfrisk.config.cohort`), its covariate in the compiled day loop
(:mod:`calfrisk.simulate.kernel`), and the words of its advice (:mod:`calfrisk.predict.advice`).

A factor that is a trait of the runner (a number each runner has, constant over the study, like a
test score) needs nothing but its declaration: give it a :class:`Trait` and the simulator draws it
for every runner, writes it to the athletes table, multiplies the hazard by
``hazard_ratio ** ((value - center) / per)`` (config ``effects.<name>``, defaults from the trait),
records the ``mult_<name>`` truth; the panel, the features, importance, drivers, the runner's
profile and the advice take it from there.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "EFFECTS",
    "KERNEL_EFFECTS",
    "RISK_FACTORS",
    "TRAITS",
    "RiskFactor",
    "Trait",
    "factor",
    "trait_factor",
]


@dataclass(frozen=True)
class Trait:
    """A runner's trait: drawn once per simulated runner, reported by a real one.

    Attributes
    ----------
    column : str
        Its name in the athletes table, the runner's profile and the model's features.
    description : str
        What it measures, with its unit (the table schema and the profile say it).
    mean, sd : float
        Its distribution in the simulated population: normal, clipped to ``[low, high]``.
    low, high : float
        The range of the distribution, and of the values a runner may report.
    hazard_ratio : float
        The default hazard ratio per ``sd`` away from ``mean`` (config ``effects.<name>``).
    source : str
        Where the hazard ratio comes from, or ``"assumption: ..."`` saying why it was chosen.
    advice : str
        What a runner can do when it drives the risk up.
    """

    column: str
    description: str
    mean: float
    sd: float
    low: float
    high: float
    hazard_ratio: float
    source: str
    advice: str

    def __post_init__(self) -> None:
        if not (self.sd > 0 and self.low < self.high and self.hazard_ratio > 0):
            raise ValueError(f"trait {self.column!r}: needs sd > 0, low < high and hazard_ratio > 0")


@dataclass(frozen=True)
class RiskFactor:
    """A risk factor as a runner knows it, and what carries it through calfrisk.

    Attributes
    ----------
    name : str
        The driver ``predict`` names, and the group of grouped permutation importance.
    effects : tuple of str
        The simulator's effects behind it (config ``effects.<name>``, truth ``mult_<name>``); none
        for a factor the simulator gives no effect (a control, like sex).
    features : tuple of str
        The model's features that carry it; every feature belongs to exactly one factor.
    profile : tuple of (str, str)
        Profile keys a runner reports for it, each with the feature that carries the value.
    trait : Trait, optional
        For a factor that is a runner's trait: everything the simulator, the tables and ``predict``
        need to carry it (see :func:`trait_factor`). ``None`` for the factors of the day loop.
    """

    name: str
    effects: tuple[str, ...]
    features: tuple[str, ...]
    profile: tuple[tuple[str, str], ...] = ()
    trait: Trait | None = None


def trait_factor(name: str, trait: Trait) -> RiskFactor:
    """The risk factor of a runner's trait: its one effect is ``name``, its one feature the trait.

    Examples
    --------
    >>> toy = trait_factor("toy", Trait("toy_score", "a score", 0.0, 1.0, -3.0, 3.0, 1.5, "assumption", "-"))
    >>> toy.effects, toy.features, toy.profile
    (('toy',), ('toy_score',), (('toy_score', 'toy_score'),))
    """
    return RiskFactor(
        name, effects=(name,), features=(trait.column,), profile=((trait.column, trait.column),), trait=trait
    )


#: Every risk factor, in the order reports list them.
RISK_FACTORS: tuple[RiskFactor, ...] = (
    RiskFactor(
        "load",
        effects=("acwr", "weekly_jump"),
        features=(
            "km_day",
            "km_7d",
            "km_28d",
            "ewma_acute_km",
            "ewma_chronic_km",
            "acwr_ewma",
            "acwr_uncoupled",
            "week_change",
            "long_run_ratio",
            "monotony_7d",
            "strain_7d",
            "days_since_rest",
        ),
    ),
    RiskFactor("hills", effects=("hills",), features=("climb_m_7d", "climb_m_per_km_7d")),
    RiskFactor("speed", effects=("speed_work", "intervals"), features=("speed_km_7d", "speed_share_7d")),
    RiskFactor(
        "shoes",
        effects=("shoe_wear", "shoe_rotation"),
        features=("shoe_km_today", "shoe_km_max_7d", "shoes_28d"),
    ),
    RiskFactor(
        "strain_history",
        effects=("prior_strain", "recent_return"),
        features=("days_since_return", "calf_strains"),
        profile=(("prior_calf_strains", "calf_strains"),),
    ),
    RiskFactor("age", effects=("age",), features=("age",), profile=(("age", "age"),)),
    RiskFactor("sex", effects=(), features=("female",), profile=(("sex", "female"),)),
    RiskFactor(
        "glute_strength",
        effects=("glute_weakness",),
        features=("glute_test_score",),
        profile=(("glute_test_score", "glute_test_score"),),
    ),
    RiskFactor(
        "calf_strength",
        effects=("calf_strength",),
        features=("calf_test_score",),
        profile=(("calf_test_score", "calf_test_score"),),
    ),
    RiskFactor(
        "habits",
        effects=("warmup", "stretching"),
        features=("warmup_habit", "stretching_habit"),
        profile=(("warmup_habit", "warmup_habit"), ("stretching_habit", "stretching_habit")),
    ),
)

#: The effects of the simulator's compiled day loop, in the order it computes their covariates.
KERNEL_EFFECTS: tuple[str, ...] = (
    "acwr",
    "weekly_jump",
    "shoe_wear",
    "shoe_rotation",
    "age",
    "prior_strain",
    "recent_return",
    "glute_weakness",
    "calf_strength",
    "hills",
    "speed_work",
    "intervals",
    "warmup",
    "stretching",
)

#: The factors that are runners' traits, in registry order.
TRAITS: tuple[RiskFactor, ...] = tuple(f for f in RISK_FACTORS if f.trait is not None)

#: Every effect of the simulator, in the order of the cohort config's ``effects`` section and of
#: the ``mult_*`` truth columns: the day loop's, then the traits'.
EFFECTS: tuple[str, ...] = KERNEL_EFFECTS + tuple(f.effects[0] for f in TRAITS)


def factor(name: str) -> RiskFactor:
    """The risk factor called ``name``.

    Examples
    --------
    >>> factor("shoes").effects
    ('shoe_wear', 'shoe_rotation')
    """
    for candidate in RISK_FACTORS:
        if candidate.name == name:
            return candidate
    raise KeyError(f"no risk factor {name!r} (known: {', '.join(f.name for f in RISK_FACTORS)})")
