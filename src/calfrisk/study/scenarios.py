"""A study's worlds: the base cohort config and each scenario's, resolved and checked before any work.

Every scenario's overrides are laid over the base world's config and validated by the cohort
config's own rules (:func:`calfrisk.config.load_cohort_config`); a bad key is one line naming the
scenario and the key. The sweep's ``evidence_ends`` add a scenario per end of each effect's evidence
range (:data:`calfrisk.simulate.evidence.EVIDENCE`).

Seeds. Every cohort of a study draws from a seed derived from the design's (:func:`cohort_seed`):
the same design gives the same cohorts. A replicate has the same seed in every scenario, so the
scenarios' cohorts are the same runners with the same plans wherever the scenario leaves the
population and training alone (common random numbers): what differs between two scenarios' figures
is their worlds' rules, much more than chance.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from calfrisk.config import CohortConfig, load_cohort_config
from calfrisk.config.base import describe_error, overlay
from calfrisk.config.study import StudyDesign
from calfrisk.exceptions import InputError
from calfrisk.simulate.evidence import EVIDENCE

__all__ = ["World", "base_world", "cohort_seed", "evidence_scenarios", "resolve_worlds"]

#: Streams of seeds, one per use, so that no two cohorts of a study share one by accident.
STREAMS = {"train": 0, "sweep": 1, "power": 2, "model_auc": 3}


@dataclass(frozen=True)
class World:
    """A scenario resolved: its name, description, overrides and validated cohort config."""

    name: str
    description: str
    overrides: dict[str, Any]
    config: CohortConfig


def cohort_seed(design_seed: int, stream: str, replicate: int, size: int = 0) -> int:
    """The seed of one cohort of a study: a stream (``train``, ``sweep``, ``power``, ``model_auc``),
    a replicate and, where cohorts of several sizes are drawn apart, a size.

    Examples
    --------
    >>> cohort_seed(1, "power", 0) == cohort_seed(1, "power", 0)
    True
    >>> cohort_seed(1, "power", 0) != cohort_seed(1, "power", 1)
    True
    """
    entropy = [design_seed, STREAMS[stream], replicate, size]
    return int(np.random.SeedSequence(entropy).generate_state(1, np.uint32)[0])


def evidence_scenarios(effects: list[str], base: CohortConfig) -> list[tuple[str, str, dict[str, Any]]]:
    """``(name, description, overrides)`` per end of each effect's evidence range that differs from
    the base world's value.

    Examples
    --------
    >>> base = load_cohort_config()
    >>> [name for name, _, _ in evidence_scenarios(["intervals", "weekly_jump"], base)]
    ['intervals_low', 'intervals_high', 'weekly_jump_high']
    """
    out = []
    for effect in effects:
        ev = EVIDENCE[effect]
        current = getattr(base.effects, effect).hazard_ratio
        for end, value in (("low", ev.low), ("high", ev.high)):
            if value == current or (end == "high" and ev.high == ev.low):
                continue
            note = " (an assumption)" if ev.assumption else ""
            description = (
                f"{effect} at the {end} end of its evidence range{note}: HR {value:g} (base {current:g})"
            )
            out.append((f"{effect}_{end}", description, {"effects": {effect: {"hazard_ratio": value}}}))
    return out


def base_world(design: StudyDesign, design_path: str | Path | None = None) -> CohortConfig:
    """The base world's cohort config: ``base_config`` (relative to the design's folder) with the
    design's ``base`` overrides laid over it."""
    path = None
    if design.base_config is not None:
        path = Path(design.base_config)
        if not path.is_absolute() and design_path is not None:
            path = Path(design_path).parent / path
    try:
        return load_cohort_config(path, design.base)
    except InputError as exc:
        raise InputError(f"base world: {exc}") from None


def resolve_worlds(design: StudyDesign, design_path: str | Path | None = None) -> dict[str, World]:
    """Every world of a study, by name: the design's scenarios, then the evidence ends.

    Parameters
    ----------
    design : StudyDesign
        The validated design.
    design_path : str or Path, optional
        Where the design was read from: ``base_config`` is relative to its folder.

    Returns
    -------
    dict of str to World
        In the design's order; the cohort size and seed are the base world's (the analyses set them).

    Raises
    ------
    InputError
        Naming the scenario and the key when a scenario's world breaks a rule of the cohort config,
        an unknown effect in ``evidence_ends``, or a power analysis of an unknown scenario.
    """
    base = base_world(design, design_path)
    data = base.model_dump()
    listed = [(s.name, s.description, dict(s.overrides)) for s in design.scenarios]
    if design.sweep is not None:
        effects = list(EVIDENCE) if design.sweep.evidence_ends == "all" else design.sweep.evidence_ends
        unknown = [e for e in effects if e not in EVIDENCE]
        if unknown:
            raise InputError(
                f"sweep.evidence_ends: unknown effect {unknown[0]!r} (known: {', '.join(EVIDENCE)})"
            )
        taken = {name for name, _, _ in listed}
        listed += [s for s in evidence_scenarios(effects, base) if s[0] not in taken]
    worlds = {}
    for name, description, overrides in listed:
        try:
            config = CohortConfig.model_validate(overlay(data, overrides))
        except ValidationError as exc:
            raise InputError(f"scenario {name!r}: {describe_error(exc.errors()[0])}") from None
        worlds[name] = World(name, description, overrides, config)
    if design.power is not None and design.power.scenario not in worlds:
        raise InputError(f"power.scenario: no scenario named {design.power.scenario!r}")
    return worlds
