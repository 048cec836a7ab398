"""A study's design and worlds: checked whole before any work; evidence ends; seeds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from calfrisk.config import load_cohort_config
from calfrisk.config.study import load_study_design
from calfrisk.exceptions import InputError
from calfrisk.simulate.evidence import EVIDENCE
from calfrisk.study.run import plan_study
from calfrisk.study.scenarios import cohort_seed, evidence_scenarios, resolve_worlds
from tests.conftest import run_cli


def test_the_shipped_design_resolves_every_world() -> None:
    design = load_study_design()
    worlds = resolve_worlds(design)
    assert next(iter(worlds)) == "base" and not worlds["base"].overrides
    # Every effect whose range has two ends, each end that is not the default a world of its own.
    ends = [n for n in worlds if n.endswith(("_low", "_high"))]
    expected = sum(
        (e.low != getattr(worlds["base"].config.effects, name).hazard_ratio)
        + (e.high != e.low and e.high != getattr(worlds["base"].config.effects, name).hazard_ratio)
        for name, e in EVIDENCE.items()
    )
    assert len(ends) == expected > 20
    assert worlds["intervals_low"].config.effects.intervals.hazard_ratio == 0.61
    assert worlds["acwr_u_shaped"].config.effects.acwr.low_threshold == 0.8
    assert worlds["older_jumpier"].config.population.age.mean == 50.0
    # Overrides lay over the base: the rest of the world is the base's.
    assert worlds["intervals_low"].config.effects.age == worlds["base"].config.effects.age


def test_an_end_equal_to_the_base_value_is_the_base_world_and_is_left_out() -> None:
    base = load_cohort_config()
    names = [name for name, _, _ in evidence_scenarios(["weekly_jump", "warmup", "age"], base)]
    assert names == [
        "weekly_jump_high",
        "age_low",
        "age_high",
    ]  # weekly_jump's low end is its default; warm-up has no range


def test_a_replicate_has_one_seed_in_every_scenario_and_streams_do_not_collide() -> None:
    seeds = {
        cohort_seed(7, stream, r) for stream in ("train", "sweep", "power", "model_auc") for r in range(50)
    }
    assert len(seeds) == 200
    assert cohort_seed(7, "power", 3) == cohort_seed(7, "power", 3) != cohort_seed(8, "power", 3)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {
                "scenarios": [
                    {"name": "base"},
                    {"name": "typo", "overrides": {"effects": {"agee": {"hazard_ratio": 1}}}},
                ]
            },
            "scenario 'typo': unknown key 'effects.agee'",
        ),
        (
            {"scenarios": [{"name": "u", "overrides": {"effects": {"acwr": {"low_threshold": 1.5}}}}]},
            "scenario 'u': key 'effects.acwr': low_threshold (1.5) must lie below threshold (1.3)",
        ),
        (
            {"scenarios": [{"name": "mix", "overrides": {"population": {"progression": {"jumpy": 0.9}}}}]},
            "scenario 'mix': key 'population.progression': shares must add up to 1",
        ),
        ({"sweep": {"replicates": 0}}, "key 'sweep.replicates': Input should be greater than 0"),
        ({"power": {"replicates": 0}}, "key 'power.replicates': Input should be greater than 0"),
        ({"sweep": {"evidence_ends": ["age", "knees"]}}, "sweep.evidence_ends: unknown effect 'knees'"),
        ({"sweep": {"models": ["gbm", "forest"]}}, "sweep.models: unknown model 'forest'"),
        ({"power": {"scenario": "elsewhere"}}, "power.scenario: no scenario named 'elsewhere'"),
        ({"power": {"runners": [1000, 500]}}, "key 'power.runners': must be distinct and increasing"),
        ({"scenarios": [{"name": "a"}, {"name": "a"}]}, "scenario 'a' is named twice"),
        ({"sweep": None, "power": None}, "nothing to do"),
        ({"base": {"cohort": {"n_athletes": -1}}}, "base world: "),
        ({"train": {"oracle": {"n_rollouts": 0}}}, "train: "),
    ],
)
def test_a_bad_design_is_refused_whole_before_any_work(overrides: dict, message: str) -> None:
    with pytest.raises(InputError, match=None) as caught:
        plan_study(load_study_design(overrides=overrides))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_the_command_refuses_a_bad_design_in_one_line_and_writes_nothing(tmp_path: Path, capsys) -> None:
    design = tmp_path / "study.yaml"
    design.write_text(
        "scenarios:\n  - {name: base}\n  - {name: hot, overrides: {effects: {hills: {hazard_ratioo: 2.0}}}}\n"
    )
    out = tmp_path / "out"
    code, printed, err = run_cli(
        ["study", "--design", str(design), "--out", str(out), "--no-tracking"], capsys
    )
    assert code == 2
    assert err.strip() == "calfrisk: error: scenario 'hot': unknown key 'effects.hills.hazard_ratioo'"
    assert not out.exists() and printed == ""


def test_a_base_config_file_is_found_beside_the_design(tmp_path: Path) -> None:
    (tmp_path / "world.yaml").write_text("effects: {age: {hazard_ratio: 1.6}}\n")
    design = tmp_path / "study.yaml"
    design.write_text("base_config: world.yaml\nscenarios: [{name: base}]\nsweep: null\n")
    plan = plan_study(load_study_design(design), design)
    assert plan.base.effects.age.hazard_ratio == 1.6
    assert plan.worlds["base"].config.effects.age.hazard_ratio == 1.6
    assert all(key.startswith(("power-", "model_auc-")) for key in plan.tasks)
    assert np.isclose(plan.design.power.alpha, 0.05)
