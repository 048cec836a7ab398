"""The command line: exit codes, one-line errors, nothing written on failure."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from calfrisk.schema import TABLES
from tests.conftest import run_cli

SMALL = ["--athletes", "30", "--days", "40", "--jobs", "1"]


def test_simulate_writes_the_tables_and_prints_a_summary(tmp_path: Path, capsys) -> None:
    code, out, err = run_cli(["simulate", *SMALL, "--out", str(tmp_path / "c")], capsys)
    assert code == 0, err
    assert "calf strains" in out
    tables = {name: pd.read_parquet(tmp_path / "c" / f"{name}.parquet") for name in TABLES}
    summary = json.loads((tmp_path / "c" / "summary.json").read_text())
    assert summary["n_athletes"] == 30 and len(tables["athletes"]) == 30
    assert len(tables["truth"]) == 30 * 40 == summary["athlete_days"]
    assert len(tables["training_log"]) == summary["running_days"] > 0
    assert len(tables["injuries"]) == summary["strains"]  # may be 0 in so small a cohort
    assert set(tables["shoes"]["athlete_id"]) <= set(tables["athletes"]["athlete_id"])
    assert not list(tmp_path.glob(".*partial*"))


def test_config_and_flags_combine(tmp_path: Path, capsys) -> None:
    cfg = tmp_path / "c.yaml"
    cfg.write_text("cohort:\n  n_athletes: 12\n  n_days: 20\n")
    code, _, err = run_cli(
        ["simulate", "--config", str(cfg), "--days", "15", "--out", str(tmp_path / "o")], capsys
    )
    assert code == 0, err
    truth = pd.read_parquet(tmp_path / "o" / "truth.parquet")
    assert truth["athlete_id"].nunique() == 12 and truth["date"].nunique() == 15


def test_the_resolved_config_regenerates_the_cohort(tmp_path: Path, capsys) -> None:
    assert run_cli(["simulate", *SMALL, "--seed", "3", "--out", str(tmp_path / "a")], capsys)[0] == 0
    again = ["simulate", "--config", str(tmp_path / "a" / "config.yaml"), "--out", str(tmp_path / "b")]
    assert run_cli(again, capsys)[0] == 0
    for name in ("training_log", "truth"):
        a = (tmp_path / "a" / f"{name}.parquet").read_bytes()
        assert a == (tmp_path / "b" / f"{name}.parquet").read_bytes()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--athletes", "0"], "--athletes"),
        (["--athletes", "-3"], "--athletes"),
        (["--days", "0"], "--days"),
        (["--athletes", "many"], "--athletes"),
        (["--seed", "-1"], "--seed"),
        (["--jobs", "0"], "--jobs"),
        (["--bogus"], "--bogus"),
    ],
)
def test_bad_flags_are_one_line_exit_2_nothing_written(tmp_path: Path, capsys, args, needle) -> None:
    out = tmp_path / "out"
    code, _, err = run_cli(["simulate", *args, "--out", str(out)], capsys)
    assert code == 2
    assert needle in err
    assert err.count("\n") == 1 and err.startswith("calfrisk: error: ")
    assert not out.exists()
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("cohort:\n  n_athletes: 5\n  colour: red\n", "unknown key 'cohort.colour'"),
        ("cohort:\n  n_days: 'ten'\n", "key 'cohort.n_days'"),
        ("cohort:\n  n_athletes: -1\n", "key 'cohort.n_athletes'"),
        ("effects:\n  acwr:\n    hazard_ratio: -2\n", "key 'effects.acwr.hazard_ratio'"),
    ],
)
def test_bad_config_is_one_line_exit_2_nothing_written(tmp_path: Path, capsys, text, needle) -> None:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(text)
    code, _, err = run_cli(["simulate", "--config", str(cfg), "--out", str(tmp_path / "out")], capsys)
    assert code == 2
    assert needle in err and str(cfg) in err
    assert err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]


def test_missing_config_file(tmp_path: Path, capsys) -> None:
    code, _, err = run_cli(
        ["simulate", "--config", str(tmp_path / "no.yaml"), "--out", str(tmp_path / "o")], capsys
    )
    assert code == 2 and "not found" in err


def test_non_empty_output_folder_needs_overwrite(tmp_path: Path, capsys) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    code, _, err = run_cli(["simulate", *SMALL, "--out", str(out)], capsys)
    assert code == 2 and "--overwrite" in err and "--out" in err
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
    code, _, err = run_cli(["simulate", *SMALL, "--out", str(out), "--overwrite"], capsys)
    assert code == 0, err
    assert not (out / "keep.txt").exists() and (out / "truth.parquet").exists()


def test_empty_output_folder_is_fine(tmp_path: Path, capsys) -> None:
    (tmp_path / "out").mkdir()
    assert run_cli(["simulate", *SMALL, "--out", str(tmp_path / "out")], capsys)[0] == 0


def test_output_path_that_is_a_file(tmp_path: Path, capsys) -> None:
    (tmp_path / "f").write_text("x")
    code, _, err = run_cli(["simulate", *SMALL, "--out", str(tmp_path / "f")], capsys)
    assert code == 2 and "not a folder" in err


def test_a_failed_run_leaves_nothing_half_written(tmp_path: Path, monkeypatch) -> None:
    from calfrisk.config import load_cohort_config
    from calfrisk.simulate import cohort, simulate_cohort

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(cohort, "_write_chunk", broken)
    cfg = load_cohort_config(overrides={"cohort": {"n_athletes": 10, "n_days": 5}})
    with pytest.raises(RuntimeError):
        simulate_cohort(cfg, tmp_path / "out", n_jobs=1)
    assert list(tmp_path.iterdir()) == []


def test_console_script_help_and_real_exit_code(tmp_path: Path) -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "calfrisk", "simulate", "--help"], capture_output=True, text=True
    )
    assert ok.returncode == 0 and "--athletes" in ok.stdout
    bad = subprocess.run(
        [sys.executable, "-m", "calfrisk", "simulate", "--athletes", "0", "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 2
    assert bad.stderr.strip().count("\n") == 0 and "Traceback" not in bad.stderr
