"""Engines: threads and Dask give the same files and metrics; faults are one line or a retry."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from calfrisk.engine import Engine, open_engine
from calfrisk.exceptions import ParameterError
from tests.conftest import TINY as CONFTEST_TINY
from tests.conftest import run_cli

SMALL = ["--athletes", "300", "--days", "90", "--seed", "3"]
TINY = CONFTEST_TINY + "data: {min_history_days: 14}\n"


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_threads_yield_every_result_once_with_its_index() -> None:
    with open_engine("threads", n_jobs=2) as engine:
        got = sorted(engine.map(lambda x: x * x, range(20)))
    assert got == [(i, i * i) for i in range(20)]
    assert list(Engine().map(abs, [])) == []


def test_an_unknown_engine_is_named() -> None:
    with pytest.raises(ParameterError, match="engine spark: not one of threads, dask"), open_engine("spark"):
        pass


def test_dask_missing_says_how_to_install_it(monkeypatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # import fails as if not installed
    with pytest.raises(ParameterError, match=r"pip install 'calfrisk\[dask\]'"), open_engine("dask"):
        pass


def _train(data: Path, out: Path, config: Path, capsys, *extra: str) -> dict:
    code, _, err = run_cli(
        [
            "train",
            "--data",
            str(data),
            "--config",
            str(config),
            "--no-tracking",
            "--metrics-json",
            str(out),
            *extra,
        ],
        capsys,
    )
    assert code == 0, err
    return json.loads(out.read_text())


@pytest.mark.slow
def test_a_local_cluster_writes_and_trains_exactly_as_threads(tmp_path, capsys) -> None:
    config = tmp_path / "train.yaml"
    config.write_text(TINY)
    for name, extra in (("threads", ["--jobs", "2"]), ("dask", ["--engine", "dask"])):
        code, _, err = run_cli(["simulate", *SMALL, "--out", str(tmp_path / name), *extra], capsys)
        assert code == 0, err
    assert _files(tmp_path / "threads") == _files(tmp_path / "dask")
    threads = _train(tmp_path / "threads", tmp_path / "threads.json", config, capsys)
    dask = _train(tmp_path / "threads", tmp_path / "dask.json", config, capsys, "--engine", "dask")
    assert threads == dask


@pytest.fixture
def scheduler(tmp_path):
    """A Dask scheduler and two single-threaded worker processes on this machine, as an operator
    would start them (``dask scheduler``, ``dask worker``); yields the scheduler's address."""
    bin_dir = Path(sys.executable).parent
    info = tmp_path / "scheduler.json"
    # The worker configuration the README recommends (glibc's adaptive mmap threshold kept).
    (tmp_path / "dask.yaml").write_text(
        "distributed:\n  nanny:\n    pre-spawn-environ:\n      MALLOC_TRIM_THRESHOLD_: null\n"
    )
    env = {**os.environ, "DASK_CONFIG": str(tmp_path / "dask.yaml")}
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env}
    processes = [
        subprocess.Popen(
            [bin_dir / "dask", "scheduler", "--scheduler-file", info, "--port", "0", "--no-dashboard"],
            **quiet,
        )
    ]
    try:
        deadline = time.monotonic() + 60
        while not info.exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        address = json.loads(info.read_text())["address"]
        worker = [bin_dir / "dask", "worker", "--scheduler-file", info, "--nworkers", "2", "--nthreads", "1"]
        processes.append(subprocess.Popen([*worker, "--no-dashboard"], **quiet))
        from distributed import Client

        with Client(address) as client:
            client.wait_for_workers(2, timeout=60)
        yield address
    finally:
        for process in reversed(processes):
            process.terminate()
            process.wait(timeout=30)


@pytest.mark.slow
def test_a_remote_scheduler_with_two_workers_writes_and_trains_exactly_as_threads(
    tmp_path, capsys, scheduler
) -> None:
    config = tmp_path / "train.yaml"
    config.write_text(TINY)
    for name, extra in (("threads", ["--jobs", "1"]), ("remote", ["--scheduler", scheduler])):
        code, _, err = run_cli(["simulate", *SMALL, "--out", str(tmp_path / name), *extra], capsys)
        assert code == 0, err
    assert _files(tmp_path / "threads") == _files(tmp_path / "remote")
    threads = _train(tmp_path / "threads", tmp_path / "threads.json", config, capsys)
    remote = _train(tmp_path / "remote", tmp_path / "remote.json", config, capsys, "--scheduler", scheduler)
    assert threads == remote


def _dies_once(marker: str, value: int) -> int:
    """A task whose worker process dies the first time it runs (for the retry test)."""
    path = Path(marker)
    if value == 3 and not path.exists():
        path.write_text("died")
        os._exit(1)
    return value * 10


@pytest.mark.slow
def test_a_task_whose_worker_dies_is_run_again(tmp_path) -> None:
    import functools

    with open_engine("dask") as engine:
        got = sorted(engine.map(functools.partial(_dies_once, str(tmp_path / "marker")), range(6)))
    assert (tmp_path / "marker").exists()  # the worker did die
    assert got == [(i, i * 10) for i in range(6)]


@pytest.mark.slow
def test_an_unreachable_scheduler_is_one_line_and_nothing_is_written(tmp_path, capsys) -> None:
    # Port 9 (discard) has no scheduler: the client gives up after its 10 s timeout.
    code, _, err = run_cli(
        ["simulate", *SMALL, "--out", str(tmp_path / "c"), "--scheduler", "tcp://127.0.0.1:9"], capsys
    )
    assert code == 2 and err.count("\n") == 1
    assert err.startswith("calfrisk: error: --scheduler tcp://127.0.0.1:9: no Dask scheduler answers there")
    assert not (tmp_path / "c").exists()
