"""Same config and seed, same bytes; adding athletes or days never changes what was simulated."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from calfrisk.simulate import simulate_chunk, simulate_cohort
from calfrisk.simulate.cohort import chunk_seeds
from tests.conftest import read_tables, small_config


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_same_seed_same_bytes_whatever_the_workers(small_cohort, tmp_path: Path) -> None:
    cfg, first, _ = small_cohort
    simulate_cohort(cfg, tmp_path / "again", n_jobs=2)
    assert _files(tmp_path / "again") == _files(first)


def test_another_seed_gives_another_cohort(small_tables, tmp_path: Path) -> None:
    simulate_cohort(small_config(seed=8), tmp_path / "other", n_jobs=1)
    other = read_tables(tmp_path / "other")
    assert not other["training_log"].equals(small_tables["training_log"])


def _head(tables: dict[str, pd.DataFrame], n_athletes: int, n_days: int | None = None) -> dict:
    out = {}
    for name, table in tables.items():
        keep = table["athlete_id"] < n_athletes
        if n_days is not None and "date" in table:
            start = pd.Timestamp(small_config().cohort.start_date)
            keep &= table["date"] < start + pd.Timedelta(days=n_days)
        out[name] = table[keep].reset_index(drop=True)
    return out


@pytest.mark.parametrize("n_athletes", [10, 64, 100])
def test_adding_athletes_never_changes_the_athletes_already_simulated(
    small_tables, tmp_path: Path, n_athletes: int
) -> None:
    # 10 and 100 leave a short last chunk; 64 is exactly one chunk of the 150-athlete cohort.
    simulate_cohort(small_config(n_athletes=n_athletes), tmp_path / "fewer", n_jobs=1)
    fewer = read_tables(tmp_path / "fewer")
    expected = _head(small_tables, n_athletes)
    for name in fewer:
        pd.testing.assert_frame_equal(fewer[name], expected[name], check_categorical=False)


def test_adding_days_never_changes_the_days_already_simulated(small_tables, tmp_path: Path) -> None:
    simulate_cohort(small_config(n_days=50), tmp_path / "shorter", n_jobs=1)
    shorter = read_tables(tmp_path / "shorter")
    expected = _head(small_tables, 150, n_days=50)
    for name in ("athletes", "training_log", "injuries"):
        pd.testing.assert_frame_equal(shorter[name], expected[name], check_categorical=False)
    truth = expected["truth"]
    pd.testing.assert_frame_equal(shorter["truth"], truth)


def test_each_written_chunk_equals_the_chunk_simulated_alone(small_cohort) -> None:
    # The cohort run reuses each thread's arrays from chunk to chunk; simulate_chunk allocates fresh
    # ones. A value left over from the previous chunk would show up here.
    cfg, folder, _ = small_cohort
    seeds = chunk_seeds(cfg)
    for chunk in range(len(seeds)):
        tables, _ = simulate_chunk(cfg, chunk, seeds[chunk])
        for name, table in tables.items():
            written = pq.read_table(folder / f"{name}.parquet" / f"part-{chunk:05d}.parquet")
            assert written.equals(table.cast(written.schema)), f"{name}, chunk {chunk}"
