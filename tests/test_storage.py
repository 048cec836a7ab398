"""Cohort folders at fsspec URLs: written whole, read part by part, bad URLs named."""

from __future__ import annotations

import json
from pathlib import Path

import fsspec
import pytest

from calfrisk.exceptions import ParameterError
from calfrisk.storage import atomic_folder, locate
from tests.conftest import TINY, run_cli

SMALL = ["--athletes", "150", "--days", "60", "--seed", "2"]


@pytest.fixture
def memory():
    """A clean in-memory file system (``memory://``), emptied after the test."""
    fs = fsspec.filesystem("memory")
    yield fs
    for path in fs.ls("/", detail=False):
        fs.rm(path, recursive=True)


def test_a_cohort_at_a_url_has_the_bytes_of_a_local_one_and_trains_the_same(tmp_path, capsys, memory) -> None:
    enriched = tmp_path / "cohort.yaml"  # 150 runners x 60 days need it to hold strains to train on
    enriched.write_text("injury: {enrichment: 9.0}\n")
    small = [*SMALL, "--config", str(enriched)]
    code, _, err = run_cli(["simulate", *small, "--out", str(tmp_path / "local")], capsys)
    assert code == 0, err
    code, _, err = run_cli(["simulate", *small, "--out", "memory://cohorts/a"], capsys)
    assert code == 0, err
    local = {
        str(p.relative_to(tmp_path / "local")): p.read_bytes()
        for p in (tmp_path / "local").rglob("*")
        if p.is_file()
    }
    remote = {path.removeprefix("/cohorts/a/"): memory.cat_file(path) for path in memory.find("/cohorts/a")}
    assert remote == local
    assert memory.ls("/cohorts") == [
        {"name": "/cohorts/a", "size": 0, "type": "directory"}
    ]  # no staging left
    config = tmp_path / "train.yaml"
    config.write_text(TINY + "data: {min_history_days: 14}\n")
    metrics = []
    for data in (str(tmp_path / "local"), "memory://cohorts/a"):
        out = tmp_path / f"m{len(metrics)}.json"
        argv = ["train", "--data", data, "--config", str(config), "--no-tracking", "--metrics-json", str(out)]
        code, _, err = run_cli(argv, capsys)
        assert code == 0, err
        metrics.append(json.loads(out.read_text()))
    assert metrics[0] == metrics[1]


def test_a_failed_write_leaves_nothing_at_the_url(memory) -> None:
    with pytest.raises(RuntimeError), atomic_folder("memory://cohorts/b") as staging:
        staging.write_bytes("x.txt", b"half")
        raise RuntimeError("worker lost")
    assert not memory.exists("/cohorts/b") and memory.find("/cohorts") == []


def test_a_non_empty_folder_at_a_url_needs_overwrite(capsys, memory) -> None:
    memory.pipe_file("/cohorts/c/old.txt", b"keep")
    code, _, err = run_cli(["simulate", *SMALL, "--out", "memory://cohorts/c"], capsys)
    assert code == 2 and "--out memory://cohorts/c: folder exists and is not empty" in err
    assert memory.cat_file("/cohorts/c/old.txt") == b"keep"


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("s3://bucket/cohort", "its file system is not installed (Install s3fs to access S3)"),
        ("nosuch://bucket/cohort", "not a file-system URL (Protocol not known: nosuch)"),
    ],
)
def test_a_url_without_its_file_system_is_one_line(tmp_path, capsys, url, needle) -> None:
    if url.startswith("s3") and _installed("s3fs"):
        pytest.skip("s3fs is installed here")
    code, _, err = run_cli(["simulate", *SMALL, "--out", url], capsys)
    assert code == 2 and err.count("\n") == 1 and f"--out {url}: {needle}" in err
    code, _, err = run_cli(["train", "--data", url, "--no-tracking"], capsys)
    assert code == 2 and err.count("\n") == 1 and f"--data {url}: {needle}" in err


def _installed(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def test_file_urls_are_the_local_disk(tmp_path) -> None:
    folder = locate(f"file://{tmp_path}", parameter="out_dir")
    assert folder.fs is None and Path(folder.path) == tmp_path
    with pytest.raises(ParameterError, match="data_dir nosuch://x"):
        locate("nosuch://x", parameter="data_dir")
