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

What stays per factor in code, by nature: the effect's evidence and parameters
(:mod:`calfrisk.config.cohort`), its covariate in the compiled day loop
(:mod:`calfrisk.simulate.kernel`), and the words of its advice (:mod:`calfrisk.predict.advice`).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["EFFECTS", "RISK_FACTORS", "RiskFactor", "factor"]


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
    """

    name: str
    effects: tuple[str, ...]
    features: tuple[str, ...]
    profile: tuple[tuple[str, str], ...] = ()


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
    RiskFactor("speed", effects=("speed_work",), features=("speed_km_7d", "speed_share_7d")),
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

#: The simulator's effects in the order the compiled kernel computes their covariates (that of the
#: cohort config's ``effects`` section).
EFFECTS: tuple[str, ...] = (
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
    "warmup",
    "stretching",
)


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
