"""What each of the simulator's effects rests on: its source, what was measured, and its range.

The cohort config gives each effect one hazard ratio. :data:`EVIDENCE` says, for every effect, where
that value comes from, how far what the source measured is from what the simulator applies it to
(another injury, another sport, a runner's habit applied per session), whether the value is an
assumption, and the range of hazard ratios the literature allows, in the config's own units. The
config's comments, the evidence table of ``docs/world.md`` and the README's follow it (tests check
that they agree), and a misspecification study can move each effect to the ends of its range.
"""

from __future__ import annotations

from dataclasses import dataclass

from calfrisk.factors import EFFECTS, TRAITS

__all__ = ["EVIDENCE", "Evidence", "evidence"]


@dataclass(frozen=True)
class Evidence:
    """The evidence behind one effect of the simulator.

    Attributes
    ----------
    low, high : float
        The range of hazard ratios the literature allows for the effect, in the units of its config
        entry (per ``per`` above a threshold, per decade, per SD...). The default lies inside it.
    source : str
        The figures and where they come from.
    gap : str
        How what the source measured differs from what the simulator applies it to; empty when it
        measured calf strains in runners.
    assumption : bool
        True when no figure measured the effect's size: the value is chosen, the range a judgement.

    Examples
    --------
    >>> e = EVIDENCE["shoe_rotation"]
    >>> (e.low, e.high, e.assumption)
    (0.39, 0.97, False)
    """

    low: float
    high: float
    source: str
    gap: str
    assumption: bool

    def __post_init__(self) -> None:
        if not 0 < self.low <= self.high:
            raise ValueError(f"an evidence range needs 0 < low <= high, got {self.low}-{self.high}")

    @property
    def range(self) -> str:
        """The range as the docs and the config's comments write it.

        Examples
        --------
        >>> EVIDENCE["age"].range
        '1.18-1.67'
        """
        return f"{self.low:g}-{self.high:g}"


_ALL_INJURIES = "all running injuries, not calf strains"

#: Effect -> its evidence, for the effects of the simulator's day loop.
_KERNEL: dict[str, Evidence] = {
    "acwr": Evidence(
        1.0,
        2.5,
        "danger zone from 1.5 (Gabbett 2016); RR 2.1-4.5 for workload spikes (Hulin 2014, cricket); "
        "RR 4.49 for a rising ratio in competitive runners (Dijkhuis 2020); no rise above the sweet "
        "spot in 435 recreational runners, whose risk was higher at low ratios (Nakaoka 2021)",
        "team sports and competitive runners, all injuries; the size per 0.5 above 1.3 is chosen",
        True,
    ),
    "weekly_jump": Evidence(
        1.0,
        1.59,
        "HR 1.59 (0.96-2.66) for > 30 % weekly progression (Nielsen 2014, novices); the 10 % rule did "
        "not protect in a trial (Buist 2008)",
        "distance-related injuries (calf strains not among them); no effect on all injuries",
        False,
    ),
    "shoe_wear": Evidence(
        1.0,
        1.5,
        "cushioning 75 % of new at 80 km, 60 % at 800 km (Cook 1985); no injury figure published",
        "a shoe's cushioning, not injuries",
        True,
    ),
    "shoe_rotation": Evidence(
        0.39,
        0.97,
        "running in more than one pair, HR 0.61 (0.39-0.97) (Malisoux 2015)",
        _ALL_INJURIES,
        False,
    ),
    "age": Evidence(
        1.18,
        1.67,
        "calf injury HR 1.93 (1.38-2.71) above the mean age (Hagglund 2013); recurrent calf strain cases "
        "older, 47.8 vs 42.4 y (Bramah 2021)",
        "football players; a split at the mean age, converted to a ratio per decade",
        False,
    ),
    "prior_strain": Evidence(
        1.7,
        2.62,
        "prior running injury HR 1.7-1.9 (Desai 2021; Malisoux 2015); prior hamstring injury OR 2.62 "
        "(Engebretsen 2010); with age the strongest predictor of calf strain (Green & Pizzari 2017)",
        "a prior injury of any kind in runners, or the same muscle injury in football",
        False,
    ),
    "recent_return": Evidence(
        3.5,
        15.0,
        "no hazard ratio published; 16-38 % of calf strains recur in sport (Orchard & Seward 2014 in "
        "Green & Pizzari 2017): the ratios that put the default cohort's recurrence within 180 days "
        "there, 16 % at 3.5 and 39 % at 15",
        "a recurrence proportion in team sports, not a hazard ratio",
        True,
    ),
    "glute_weakness": Evidence(
        1.0,
        1.5,
        "weak, mostly cross-sectional evidence (Mucha 2017); +2.1 deg pelvic drop in recurrent calf "
        "strain (Bramah 2021)",
        "no prospective figure",
        True,
    ),
    "calf_strength": Evidence(
        0.7,
        1.0,
        "coaching and physiotherapy guidance: eccentric calf work protects; no hazard ratio published",
        "no prospective figure",
        True,
    ),
    "hills": Evidence(
        1.0,
        1.5,
        "coaching guidance: hill repeats and uphill sprints are where strains happen; no hazard ratio "
        "published",
        "no prospective figure",
        True,
    ),
    "speed_work": Evidence(
        1.02,
        2.1,
        "speed training OR 1.46 (1.02-2.10) (Hespanhol 2013, 191 recreational runners)",
        f"a runner's habit, applied per session; {_ALL_INJURIES}",
        False,
    ),
    "intervals": Evidence(
        0.61,
        1.46,
        "interval training OR 0.61 (0.43-0.88, protective) against speed training's 1.46 in the same "
        "cohort (Hespanhol 2013); coaching guidance names fast running among strains' causes",
        f"conflicting; a runner's habit, applied per session; {_ALL_INJURIES}",
        True,
    ),
    "warmup": Evidence(
        1.0,
        1.0,
        "no effect of a warm-up and stretching programme (van Mechelen 1993, RCT, 421 runners)",
        _ALL_INJURIES,
        False,
    ),
    "stretching": Evidence(
        1.0,
        1.0,
        "no effect (van Mechelen 1993, RCT, 421 runners)",
        _ALL_INJURIES,
        False,
    ),
}


def _trait_evidence() -> dict[str, Evidence]:
    """A trait's evidence, from its declaration: from no effect to its declared hazard ratio."""
    out = {}
    for f in TRAITS:
        hr, source = f.trait.hazard_ratio, f.trait.source
        out[f.effects[0]] = Evidence(
            min(hr, 1.0), max(hr, 1.0), source, "", source.lower().startswith("assumption")
        )
    return out


#: Effect -> its :class:`Evidence`, for every effect of the simulator (config ``effects`` order).
EVIDENCE: dict[str, Evidence] = {name: {**_KERNEL, **_trait_evidence()}[name] for name in EFFECTS}


def evidence(name: str) -> Evidence:
    """The evidence behind effect ``name``.

    Examples
    --------
    >>> evidence("intervals").assumption
    True
    """
    try:
        return EVIDENCE[name]
    except KeyError:
        raise KeyError(f"no effect {name!r} (known: {', '.join(EVIDENCE)})") from None
