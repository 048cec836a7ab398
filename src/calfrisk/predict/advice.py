"""Plain advice for each risk factor, grounded in the evidence the simulator is built on.

Each sentence states the runner's own figure first (from the day's features), then what the
guidance or the research says, with its source (see the evidence table of docs/world.md). Nothing here
decides which factors matter on a day: :mod:`calfrisk.learn.explain` does; this only words them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from calfrisk.factors import TRAITS, RiskFactor

__all__ = ["DISCLAIMER", "advise"]

#: Printed with every prediction.
DISCLAIMER = (
    "calfrisk estimates risk from training patterns; it is not a diagnosis. See a doctor for calf "
    "swelling, warmth, redness or rapidly worsening pain (rare but serious: deep vein thrombosis, "
    "compartment syndrome)."
)

Row = Mapping[str, float]


def _typical(ctx: Mapping[str, object], feature: str, fmt: str = ".0f") -> str:
    """ ", the training cohort's median: X" when the context has it (``typical``), else ""."""
    typical = ctx.get("typical") or {}
    return f", the cohort's median {typical[feature]:{fmt}}" if feature in typical else ""


def _load(row: Row, ctx: Mapping[str, object]) -> str:
    weekly = row["km_28d"] / 4.0
    acwr = row["acwr_ewma"]
    change = row["week_change"] * 100.0
    above = (row["km_7d"] / weekly - 1.0) * 100.0 if weekly > 0 else float("inf")
    if above > 10.0:
        return (
            f"this week is {above:+.0f} % against your 4-week weekly average ({row['km_7d']:.0f} vs "
            f"{weekly:.0f} km; {change:+.0f} % on the week before), acute:chronic ratio {acwr:.2f}: build "
            "up over several weeks and keep the ratio under 1.3, the top of the 0.8-1.3 range where "
            "injury rates were lowest (Gabbett 2016)"
        )
    if above < -10.0:
        return (
            f"this week ({row['km_7d']:.0f} km) is {-above:.0f} % below your 4-week weekly average "
            f"({weekly:.0f} km), acute:chronic ratio {acwr:.2f}: the load of the weeks before still counts, "
            "and a drop is often followed by a jump; build back over several weeks, increases near 10 %"
        )
    return (
        f"your weekly km are steady ({row['km_7d']:.0f} km against a 4-week average of {weekly:.0f}), but "
        f"the pattern reads as risky (longest run {row['long_run_ratio']:.1f}x a weekly mean, monotony "
        f"{row['monotony_7d']:.1f}, {row['days_since_rest']:.0f} days since a rest day): vary the days and "
        "keep a rest day each week"
    )


def _hills(row: Row, ctx: Mapping[str, object]) -> str:
    return (
        f"{row['climb_m_7d']:.0f} m of climbing in 7 days{_typical(ctx, 'climb_m_7d')} "
        f"({row['climb_m_per_km_7d']:.0f} m per km{_typical(ctx, 'climb_m_per_km_7d')}): hill repeats and "
        "uphill sprints are where calf strains often happen; add climbing gradually"
    )


def _speed(row: Row, ctx: Mapping[str, object]) -> str:
    return (
        f"{row['speed_km_7d']:.0f} km of speed work in 7 days ({row['speed_share_7d'] * 100:.0f} % of your "
        "km): speed training raised injury odds 1.46x (Hespanhol 2013); warm up fully and space "
        "quality sessions with easy days"
    )


def _shoes(row: Row, ctx: Mapping[str, object]) -> str:
    name = ctx.get("shoe")
    km = float(ctx.get("shoe_km", row["shoe_km_max_7d"]))
    label = f"shoe '{name}'" if name else "your most-worn shoe this week"
    parts = [f"{label} has {km:.0f} km; most guidance replaces shoes at 500-800 km"]
    if row["shoes_28d"] <= 1:
        parts.append(
            "you ran in one pair over 4 weeks; runners who rotated pairs had fewer injuries "
            "(HR 0.61, Malisoux 2015)"
        )
    return "; ".join(parts)


def _history(row: Row, ctx: Mapping[str, object]) -> str:
    days = row["days_since_return"]
    strains = int(row["calf_strains"])
    if days < 90:
        return (
            f"you came back from a calf strain {days:.0f} days ago: re-injury is common when returning "
            "too much too soon; build up gradually and keep the calf exercises going"
        )
    return (
        f"{strains} earlier calf strain(s): with age, the strongest predictor of the next one "
        "(Green & Pizzari 2017); eccentric calf work 2-3 times a week"
    )


def _age(row: Row, ctx: Mapping[str, object]) -> str:
    return (
        f"at {row['age']:.0f}, tendons are less elastic and the calf takes more of the load (calf "
        "injuries HR 1.93 above mean age, Hagglund 2013): eccentric calf work (heel drops, bent- and "
        "straight-knee raises) 2-3 times a week"
    )


def _sex(row: Row, ctx: Mapping[str, object]) -> str:
    return "a profile factor of the training cohort; nothing to change"


def _glute(row: Row, ctx: Mapping[str, object]) -> str:
    return (
        f"glute test {row['glute_test_score']:.0f} single-leg bridges{_typical(ctx, 'glute_test_score')}: "
        "weak glutes shift load onto the "
        "calves; hip and glute strengthening 2-3 times a week (evidence weak, mostly cross-sectional)"
    )


def _calf(row: Row, ctx: Mapping[str, object]) -> str:
    return (
        f"calf test {row['calf_test_score']:.0f} single-leg heel raises{_typical(ctx, 'calf_test_score')}: "
        "a stronger calf is protective; "
        "eccentric calf work (heel drops, bent- and straight-knee raises) 2-3 times a week"
    )


def _habits(row: Row, ctx: Mapping[str, object]) -> str:
    return (
        "warm-up and stretching habits showed no effect on running injuries in a trial of 421 runners "
        "(van Mechelen 1993): keep them if you like them, but do not count on them"
    )


def _trait(factor: RiskFactor) -> Callable[[Row, Mapping[str, object]], str]:
    """The advice of a runner's trait (:class:`calfrisk.factors.Trait`): its value, then its words."""
    trait = factor.trait

    def advice(row: Row, ctx: Mapping[str, object]) -> str:
        value = row[trait.column]
        return f"your {trait.column} is {value:.3g}{_typical(ctx, trait.column, '.3g')}: {trait.advice}"

    return advice


_ADVICE: dict[str, Callable[[Row, Mapping[str, object]], str]] = {
    "load": _load,
    "hills": _hills,
    "speed": _speed,
    "shoes": _shoes,
    "strain_history": _history,
    "age": _age,
    "sex": _sex,
    "glute_strength": _glute,
    "calf_strength": _calf,
    "habits": _habits,
    **{f.name: _trait(f) for f in TRAITS},
}


def advise(factor: str, row: Row, context: Mapping[str, object] | None = None) -> str:
    """One sentence of advice for a risk factor on a day.

    Parameters
    ----------
    factor : str
        A key of :data:`calfrisk.learn.explain.DRIVER_FACTORS`.
    row : mapping
        The day's features (:class:`calfrisk.learn.features.LoadFeatures` names).
    context : mapping, optional
        Facts beyond the features: ``shoe`` and ``shoe_km``, the name and km of the most-worn shoe
        run in over the last 7 days; ``typical``, the training cohort's median of each feature.

    Examples
    --------
    >>> advise("age", {"age": 52.0}).startswith("at 52, tendons are less elastic")
    True
    """
    return _ADVICE[factor](row, context or {})
