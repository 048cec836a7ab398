"""Config loading: defaults, overlays and one clear error per bad key."""

from __future__ import annotations

from pathlib import Path

import pytest

from calfrisk.config import default_cohort_path, load_cohort_config
from calfrisk.exceptions import InputError

ROOT = Path(__file__).resolve().parents[2]


def test_defaults_load_and_repository_config_is_the_shipped_one() -> None:
    cfg = load_cohort_config()
    assert cfg.cohort.n_athletes > 0
    assert (ROOT / "configs" / "cohort.yaml").read_text() == default_cohort_path().read_text()
    assert load_cohort_config(ROOT / "configs" / "cohort.yaml") == cfg


def test_every_effect_cites_a_source_in_the_default_file() -> None:
    text = default_cohort_path().read_text()
    cfg = load_cohort_config()
    for factor in cfg.factors:
        block = text.split(f"  {factor}:", 1)[1].split("\n  ", 2)
        line = next(b for b in block if "hazard_ratio" in b)
        assert "#" in line, f"effect {factor} has no source comment"


def test_user_file_is_laid_over_defaults(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("effects:\n  age:\n    hazard_ratio: 1.0\ncohort:\n  n_athletes: 10\n")
    cfg = load_cohort_config(path)
    default = load_cohort_config()
    assert cfg.effects.age.hazard_ratio == 1.0
    assert cfg.effects.age.center == default.effects.age.center
    assert cfg.cohort.n_athletes == 10
    assert cfg.population == default.population


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("cohort:\n  n_athlets: 10\n", "unknown key 'cohort.n_athlets'"),
        ("effects:\n  sleep:\n    hazard_ratio: 1.2\n", "unknown key 'effects.sleep'"),
        ("cohort:\n  n_athletes: '10'\n", "key 'cohort.n_athletes'"),
        ("cohort:\n  n_athletes: 0\n", "key 'cohort.n_athletes'"),
        ("cohort:\n  n_days: -5\n", "key 'cohort.n_days'"),
        ("cohort:\n  chunk_size: 0\n", "key 'cohort.chunk_size'"),
        ("effects:\n  age:\n    hazard_ratio: 0\n", "key 'effects.age.hazard_ratio'"),
        ("effects:\n  age:\n    hazard_ratio: true\n", "key 'effects.age.hazard_ratio'"),
        ("population:\n  progression: {cautious: 0.5, steady: 0.5, jumpy: 0.5}\n", "population.progression"),
        # Bounds the wrong way round: a range, a truncated normal, a clipped log-normal.
        ("population:\n  hill_share: {low: 0.5, high: 0.1}\n", "'population.hill_share': low (0.5) must not"),
        ("population:\n  age: {low: 60, high: 20}\n", "'population.age': low (60.0) must not exceed high"),
        ("population:\n  base_weekly_km: {low: 80, high: 10}\n", "'population.base_weekly_km': low (80.0)"),
        (
            "effects:\n  acwr: {threshold: 2.0, cap: 1.5}\n",
            "'effects.acwr': cap (1.5) must exceed threshold (2.0)",
        ),
        # Ranges keep to their domain: shares within [0, 1], days and km positive.
        ("population:\n  speed_share: {low: 0.2, high: 1.5}\n", "key 'population.speed_share.high'"),
        ("training:\n  holiday_days: {low: -2, high: 9}\n", "key 'training.holiday_days.low'"),
        (
            "injury:\n  grades:\n  - {share: 0.6, layoff_days: {low: 0, high: 28}}\n"
            "  - {share: 0.32, layoff_days: {low: 28, high: 42}}\n"
            "  - {share: 0.08, layoff_days: {low: 84, high: 120}}\n",
            "key 'injury.grades.0.layoff_days.low'",
        ),
        ("cohort: [1, 2]\n", "key 'cohort'"),
        ("cohort: {n_athletes: 3\n", "not valid YAML"),
        ("- 1\n", "expected a mapping"),
    ],
)
def test_bad_config_names_the_key(tmp_path: Path, text: str, needle: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        load_cohort_config(path)
    message = str(info.value)
    assert needle in message
    assert str(path) in message
    assert "\n" not in message


def test_missing_file_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="not found"):
        load_cohort_config(tmp_path / "nope.yaml")


def test_config_is_frozen() -> None:
    cfg = load_cohort_config()
    with pytest.raises(Exception, match="frozen"):
        cfg.cohort.n_athletes = 3  # type: ignore[misc]
