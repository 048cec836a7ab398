"""Every effect of the simulator says what it rests on, and the config and docs say the same."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from calfrisk.config import load_cohort_config
from calfrisk.simulate.evidence import EVIDENCE, Evidence, evidence

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "src" / "calfrisk" / "configs" / "cohort.yaml"


def _effect_blocks() -> dict[str, str]:
    """Each effect's lines in the shipped config, comments included (those above its key too)."""
    section = CONFIG.read_text().split("\neffects:\n", 1)[1]
    blocks: dict[str, str] = {}
    pending, name = [], None
    for line in section.splitlines():
        key = re.match(r"^  (\w+):", line)
        if key:
            name = key.group(1)
            blocks[name] = "\n".join([*pending, line])
            pending = []
        elif line.startswith("  #") and not line.startswith("   "):
            pending.append(line)
        elif name is not None:
            blocks[name] += "\n" + line
    return blocks


def test_every_effect_has_its_evidence_and_its_default_lies_in_the_range() -> None:
    cfg = load_cohort_config()
    assert list(EVIDENCE) == list(cfg.factors)
    for name in cfg.factors:
        e = evidence(name)
        assert e.low <= getattr(cfg.effects, name).hazard_ratio <= e.high, name
        assert e.source
        # A measured figure says how its study differs from what it is applied to (calf strains in runners).
        assert e.assumption or e.gap, name


def test_the_config_states_each_effects_range_and_says_which_are_assumptions() -> None:
    blocks = _effect_blocks()
    for name, e in EVIDENCE.items():
        block = blocks[name]
        stated = re.search(r"range (\d+(?:\.\d+)?)-(\d+(?:\.\d+)?)", block, re.IGNORECASE)
        assert stated, f"{name}: the config's comment gives no range"
        assert (float(stated[1]), float(stated[2])) == (e.low, e.high), f"{name}: the config says {stated[0]}"
        if e.assumption:
            assert "assumption" in block.lower(), f"{name}: an assumption the config does not call one"


def test_the_docs_tables_carry_each_effects_range() -> None:
    world = (ROOT / "docs" / "world.md").read_text()
    for name, e in EVIDENCE.items():
        row = next(line for line in world.splitlines() if line.startswith(f"| `{name}` |"))
        assert e.range.replace("-", "\N{EN DASH}") in row, f"docs/world.md: {name} lacks {e.range}"


def test_the_intervals_conflict_is_represented_not_picked() -> None:
    speed, intervals = evidence("speed_work"), evidence("intervals")
    # Both ends of the conflict are inside the intervals' range, and the default picks neither.
    assert intervals.low <= 0.61 and intervals.high >= 1.46
    assert 0.61 < load_cohort_config().effects.intervals.hazard_ratio < 1.46
    assert speed.low > 1.0


def test_an_unknown_effect_is_named() -> None:
    with pytest.raises(KeyError, match="no effect 'tempo'"):
        evidence("tempo")
    with pytest.raises(ValueError, match="low <= high"):
        Evidence(2.0, 1.0, "s", "", True)
