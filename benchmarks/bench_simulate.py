"""Benchmark the cohort simulator: throughput, peak memory and output size, with references.

What it measures
----------------
For each case (by default 10,000 and 100,000 athletes over 365 days) the simulator runs end to end
through :func:`calfrisk.simulate.simulate_cohort`, Parquet writing included, in a fresh subprocess of
the same interpreter, so that one case's memory cannot pollute another's. For each case it prints:

* ``start-up s`` -- what a fresh process pays once, before its first cohort whatever its size,
  measured as a one-athlete, one-week cohort simulated first: loading the compiled kernel from
  numba's cache (numba initialises its compiler context, which imports scipy.linalg: ~0.3 s in
  all), pyarrow's Parquet writer, joblib. Like the interpreter's start-up and the imports (also
  outside ``sim s``) it is a fixed latency, not throughput: it is shown, and it is inside ``proc s``;
* ``sim s`` -- wall seconds of the ``simulate_cohort`` call of the case, the first at this size in
  the process (its worker arrays are fresh pages), timed inside the subprocess;
* ``warm s`` -- the same cohort simulated again in the same process (to a second folder): the rate a
  long-lived process (a notebook, a study that simulates many cohorts) sustains;
* ``proc s`` -- wall seconds of the whole subprocess, as seen by this (parent) process;
* ``days/s`` and ``warm/s`` -- runner-days per second, ``CohortSummary.athlete_days`` over ``sim s``
  and over ``warm s``; the references also give the rate of a fresh process's first cohort with its
  start-up counted in (``start-up s + sim s``);
* ``peak tree`` -- the peak of the resident set size summed over the subprocess and all its
  descendants (none: the simulator runs its chunks on threads), sampled by a background thread
  every ~20 ms with psutil.
  Summed RSS counts shared pages (libraries, copy-on-write memory) once per process, so it is an
  upper bound of the physical memory used; samples can miss spikes shorter than the interval;
* ``peak proc`` -- the largest peak RSS reached by any single process of that tree;
* ``output`` -- the size on disk of the written Parquet tables and metadata.

References, measured in the same run
------------------------------------
* the target of 5,000,000 runner-days per second, with PASS or MISS for each case;
* a single-worker run (``n_jobs=1``) of the smallest case, so the parallel speed-up is visible;
* an I/O floor: the smallest case's output is read back with pyarrow and rewritten, part file by
  part file, with the simulator's writer options, once serially and once on as many threads as
  the parallel run had workers; the time it takes is the part of ``sim s`` that is Parquet alone;
* the ratio of the peak memory of the largest case to that of the smallest (the simulator is meant to
  use memory per chunk, not per cohort).

How to run
----------
``make bench`` runs ``.venv/bin/python benchmarks/bench_simulate.py`` (both cases, under a minute on
two cores). ``--quick`` runs only the 10,000-athlete case and its references. Other options::

    .venv/bin/python benchmarks/bench_simulate.py --athletes 10000 100000 --days 365 --jobs -1

Temporary output goes to a :class:`tempfile.TemporaryDirectory` that is removed afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import psutil

from calfrisk.simulate.cohort import WRITE_OPTIONS

#: Target throughput of the simulator, runner-days per second, end to end.
TARGET_DAYS_PER_S = 5_000_000
#: Interval between two memory samples, seconds.
SAMPLE_INTERVAL_S = 0.02

#: Ratio of peak memories (largest case over smallest) above which memory is reported as growing.
GROWTH_TOLERANCE = 1.25
_MIB = 1024.0**2


@dataclass(frozen=True)
class CaseResult:
    """Figures of one simulator run in its own subprocess."""

    label: str
    n_athletes: int
    n_days: int
    n_jobs: int
    athlete_days: int
    startup_s: float
    sim_s: float
    warm_s: float
    proc_s: float
    peak_tree_rss: int
    peak_proc_rss: int
    max_procs: int
    output_bytes: int

    @property
    def days_per_s(self) -> float:
        """Runner-days per second over the ``simulate_cohort`` call."""
        return self.athlete_days / self.sim_s

    @property
    def fresh_days_per_s(self) -> float:
        """Runner-days per second of a fresh process's first cohort, its start-up counted in."""
        return self.athlete_days / (self.startup_s + self.sim_s)

    @property
    def warm_days_per_s(self) -> float:
        """Runner-days per second over the second ``simulate_cohort`` call of the process."""
        return self.athlete_days / self.warm_s


class TreeSampler:
    """Sample the resident set size of a process and all its descendants in a background thread.

    Parameters
    ----------
    pid : int
        The root process of the tree.
    interval : float, default=SAMPLE_INTERVAL_S
        Seconds between two samples.
    """

    def __init__(self, pid: int, interval: float = SAMPLE_INTERVAL_S) -> None:
        self._root = psutil.Process(pid)
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._procs: dict[int, psutil.Process] = {}
        self.peak_tree = 0
        self.peak_proc = 0
        self.max_procs = 0

    def __enter__(self) -> TreeSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _tree(self) -> list[psutil.Process]:
        try:
            found = [self._root, *self._root.children(recursive=True)]
        except psutil.Error:
            return []
        # Keep one Process object per pid so psutil's cached identity check guards against pid reuse.
        for p in found:
            self._procs.setdefault(p.pid, p)
        return [self._procs[p.pid] for p in found]

    def sample(self) -> None:
        """Take one sample and update the peaks."""
        total, n = 0, 0
        for p in self._tree():
            try:
                rss = p.memory_info().rss
            except psutil.Error:  # exited between listing and reading
                continue
            total += rss
            n += 1
            self.peak_proc = max(self.peak_proc, rss)
        self.peak_tree = max(self.peak_tree, total)
        self.max_procs = max(self.max_procs, n)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self._interval)


def _dir_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def run_case_child(n_athletes: int, n_days: int, n_jobs: int, out_dir: str) -> None:
    """Pay the start-up, simulate one cohort twice, print the timings as one JSON line (``--_case``).

    The start-up cohort and the second run write next to ``out_dir`` and are removed afterwards.

    Parameters
    ----------
    n_athletes, n_days : int
        Size of the cohort.
    n_jobs : int
        Workers (threads) for :func:`calfrisk.simulate.simulate_cohort`.
    out_dir : str
        Output folder; must not exist.
    """
    from calfrisk.config import load_cohort_config
    from calfrisk.simulate import simulate_cohort

    tiny = load_cohort_config(overrides={"cohort": {"n_athletes": 1, "n_days": 7}})
    t0 = time.perf_counter()
    simulate_cohort(tiny, out_dir + "-startup", n_jobs=n_jobs)
    startup_s = time.perf_counter() - t0
    shutil.rmtree(out_dir + "-startup")
    cfg = load_cohort_config(overrides={"cohort": {"n_athletes": n_athletes, "n_days": n_days}})
    t0 = time.perf_counter()
    summary = simulate_cohort(cfg, out_dir, n_jobs=n_jobs)
    sim_s = time.perf_counter() - t0
    warm_dir = out_dir + "-warm"
    t0 = time.perf_counter()
    simulate_cohort(cfg, warm_dir, n_jobs=n_jobs)
    warm_s = time.perf_counter() - t0
    shutil.rmtree(warm_dir)
    timings = {"startup_s": startup_s, "sim_s": sim_s, "warm_s": warm_s}
    print(json.dumps({**timings, "athlete_days": summary.athlete_days}), flush=True)


def run_case(label: str, n_athletes: int, n_days: int, n_jobs: int, out_dir: Path) -> CaseResult:
    """Run one case in a fresh subprocess and measure its process tree from here.

    Parameters
    ----------
    label : str
        Name of the case in the report.
    n_athletes, n_days : int
        Size of the cohort.
    n_jobs : int
        Workers (threads) for the simulator.
    out_dir : Path
        Output folder of the simulator; must not exist. Left in place for the caller.

    Returns
    -------
    CaseResult
        The case's figures.
    """
    cmd = [sys.executable, str(Path(__file__).resolve()), "--_case", str(n_athletes)]
    cmd += ["--days", str(n_days), "--jobs", str(n_jobs), "--_out", str(out_dir)]
    print(f"  running {label} ...", end="", flush=True)
    t0 = time.perf_counter()
    child = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    with TreeSampler(child.pid) as sampler:
        stdout, _ = child.communicate()
    proc_s = time.perf_counter() - t0
    if child.returncode != 0:
        raise RuntimeError(f"{label}: benchmark subprocess failed with exit code {child.returncode}")
    reported = json.loads(stdout.strip().splitlines()[-1])
    result = CaseResult(
        label=label,
        n_athletes=n_athletes,
        n_days=n_days,
        n_jobs=n_jobs,
        athlete_days=int(reported["athlete_days"]),
        startup_s=float(reported["startup_s"]),
        sim_s=float(reported["sim_s"]),
        warm_s=float(reported["warm_s"]),
        proc_s=proc_s,
        peak_tree_rss=sampler.peak_tree,
        peak_proc_rss=sampler.peak_proc,
        max_procs=sampler.max_procs,
        output_bytes=_dir_bytes(out_dir),
    )
    print(
        f" start-up {result.startup_s:.2f} s, {result.sim_s:.2f} s, again {result.warm_s:.2f} s", flush=True
    )
    return result


def _parquet_files(root: Path) -> list[Path]:
    """Every Parquet file under ``root``: one per table, or one per table and chunk."""
    return sorted(p for p in root.rglob("*.parquet") if p.is_file())


def io_floor(out_dir: Path, scratch: Path, n_threads: int) -> tuple[float, float, int, int]:
    """Time rewriting a simulated cohort's Parquet files with the simulator's compression.

    Every file is read back first (not timed), so that only writing is measured; the same row
    counts, column types and file layout are written again, once serially and once on threads.

    Parameters
    ----------
    out_dir : Path
        A cohort written by :func:`calfrisk.simulate.simulate_cohort`.
    scratch : Path
        A folder to write the copies into (created; may not exist).
    n_threads : int
        Threads of the parallel rewrite.

    Returns
    -------
    serial_s : float
        Seconds to write every file one after another.
    threaded_s : float
        Seconds to write them on ``n_threads`` threads.
    n_files : int
        Number of Parquet files.
    n_rows : int
        Rows over all files.
    """
    import pyarrow.parquet as pq

    def _options(rel: Path) -> dict[str, object]:
        # "truth.parquet" or "truth.parquet/part-00000.parquet": the table is the first part's stem.
        return WRITE_OPTIONS[Path(rel.parts[0]).stem]

    files = _parquet_files(out_dir)
    tables = [(f.relative_to(out_dir), pq.read_table(f)) for f in files]

    def write_all(dest: Path, pool: ThreadPoolExecutor | None) -> float:
        for rel, _ in tables:
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        if pool is None:
            for rel, table in tables:
                pq.write_table(table, dest / rel, **_options(rel))
        else:
            jobs = [pool.submit(pq.write_table, t, dest / r, **_options(r)) for r, t in tables]
            for job in jobs:
                job.result()
        return time.perf_counter() - t0

    serial_s = write_all(scratch / "serial", None)
    with ThreadPoolExecutor(max_workers=n_threads) as pool:
        threaded_s = write_all(scratch / "threaded", pool)
    return serial_s, threaded_s, len(tables), sum(t.num_rows for _, t in tables)


def _machine_facts(n_jobs: int) -> list[str]:
    import joblib
    import numpy as np
    import pyarrow as pa

    mem = psutil.virtual_memory().total / 1024.0**3
    workers = joblib.effective_n_jobs(n_jobs)
    return [
        f"CPU count       {os.cpu_count()} (os.cpu_count); {workers} worker(s) for --jobs {n_jobs}",
        f"Machine         {platform.machine()}, {platform.system()} {platform.release()}, {mem:.1f} GiB RAM",
        f"Python          {platform.python_version()} ({sys.executable})",
        f"numpy           {np.__version__}",
        f"pyarrow         {pa.__version__}",
        f"joblib          {joblib.__version__}",
    ]


def _fmt_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        # First column left-aligned, figures right-aligned.
        return "  ".join(
            c.rjust(w) if i else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    return "\n".join([line(header), "  ".join("-" * w for w in widths), *(line(r) for r in rows)])


def _verdict(days_per_s: float) -> str:
    return "PASS" if days_per_s >= TARGET_DAYS_PER_S else "MISS"


def run_benchmark(athletes: Sequence[int], n_days: int, n_jobs: int) -> None:
    """Run every case and the references, and print the report.

    Parameters
    ----------
    athletes : sequence of int
        Cohort sizes, one case each; the smallest also gets the single-worker and I/O references.
    n_days : int
        Days simulated per athlete.
    n_jobs : int
        Workers (threads) of the parallel runs (joblib convention, ``-1`` = all cores).
    """
    import joblib

    from calfrisk.config import load_cohort_config

    print("calfrisk simulator benchmark")
    print("\n".join(_machine_facts(n_jobs)))
    chunk_size = load_cohort_config().cohort.chunk_size
    print(f"Chunk size      {chunk_size} athletes; target {TARGET_DAYS_PER_S:,} runner-days/s")
    print()

    sizes = sorted(set(athletes))
    smallest = sizes[0]
    results: list[CaseResult] = []
    with tempfile.TemporaryDirectory(prefix="calfrisk-bench-") as tmp:
        root = Path(tmp)
        floor: tuple[float, float, int, int] | None = None
        n_threads = 1
        single: CaseResult | None = None
        for n in sizes:
            out = root / f"cohort-{n}"
            results.append(run_case(f"{n:,} x {n_days}", n, n_days, n_jobs, out))
            if n == smallest:
                n_chunks = -(-n // chunk_size)
                n_threads = max(1, min(joblib.effective_n_jobs(n_jobs), n_chunks))
                print("  running I/O floor (rewrite of its Parquet output) ...", end="", flush=True)
                floor = io_floor(out, root / "io-floor", n_threads)
                print(f" {floor[0]:.2f} s serial, {floor[1]:.2f} s on {n_threads} thread(s)", flush=True)
                if joblib.effective_n_jobs(n_jobs) != 1:
                    single = run_case(f"{n:,} x {n_days}, 1 worker", n, n_days, 1, root / f"cohort-{n}-1")
            for leftover in root.iterdir():  # free the disk between cases
                shutil.rmtree(leftover, ignore_errors=True)
        if single is not None:
            results.insert(1, single)

    print()
    header = ["case", "jobs", "chunks", "runner-days", "start-up s", "sim s", "days/s", "target"]
    header += ["warm s", "warm/s", "target", "proc s"]
    header += ["peak tree MiB", "peak proc MiB", "procs", "output MiB"]
    rows = [
        [
            r.label,
            str(r.n_jobs),
            str(-(-r.n_athletes // chunk_size)),
            f"{r.athlete_days:,}",
            f"{r.startup_s:.2f}",
            f"{r.sim_s:.2f}",
            f"{r.days_per_s:,.0f}",
            _verdict(r.days_per_s) if r is not single else "ref",
            f"{r.warm_s:.2f}",
            f"{r.warm_days_per_s:,.0f}",
            _verdict(r.warm_days_per_s) if r is not single else "ref",
            f"{r.proc_s:.2f}",
            f"{r.peak_tree_rss / _MIB:,.0f}",
            f"{r.peak_proc_rss / _MIB:,.0f}",
            str(r.max_procs),
            f"{r.output_bytes / _MIB:,.1f}",
        ]
        for r in results
    ]
    print(_fmt_table(header, rows))
    print()
    print("start-up s = a fresh process's one-time cost before its first cohort (kernel loaded from")
    print("          numba's cache, Parquet writer, joblib), timed as a 1-athlete, 7-day cohort")
    print("sim s   = the case's first simulate_cohort() call, after the start-up, timed inside the process")
    print("warm s  = the same cohort again in the same process")
    print("proc s  = whole subprocess as seen by the parent (interpreter, imports, start-up, both runs)")
    print("days/s  = runner-days / sim s, warm/s = runner-days / warm s; end to end incl. Parquet writing")
    print("peak    = peak RSS summed over the subprocess and any children (tree) / of one process;")
    interval_ms = SAMPLE_INTERVAL_S * 1000
    print(f"          sampled every {interval_ms:.0f} ms; 'procs' = most processes seen at once")
    print()

    parallel = {r.n_athletes: r for r in results if r.n_jobs == n_jobs}
    base = parallel[smallest]
    print("References")
    # The single-worker run is a reference for the parallel speed-up, not a case of the target.
    for r in (r for r in results if r is not single):
        first, warm = r.days_per_s / TARGET_DAYS_PER_S, r.warm_days_per_s / TARGET_DAYS_PER_S
        print(
            f"  target {TARGET_DAYS_PER_S:,}/s: {r.label:<24} first run {_verdict(r.days_per_s)}"
            f" ({first:.1%}), warm {_verdict(r.warm_days_per_s)} ({warm:.1%})"
        )
        print(
            f"  {'':<{len(f'target {TARGET_DAYS_PER_S:,}/s:')}} {'':<24} a fresh process's first cohort,"
            f" its start-up ({r.startup_s:.2f} s) counted in: {r.fresh_days_per_s:,.0f}/s"
        )
    if single is not None:
        print(
            f"  parallel speed-up ({smallest:,} athletes): {single.sim_s / base.sim_s:.2f}x"
            f" ({single.sim_s:.2f} s on 1 worker -> {base.sim_s:.2f} s with --jobs {n_jobs})"
        )
    if floor is not None:
        serial_s, threaded_s, n_files, n_rows = floor
        ref = single if single is not None else base
        print(f"  I/O floor ({smallest:,} athletes, {n_files} files, {n_rows:,} rows, as written):")
        for how, secs, run in (("serially", serial_s, ref), (f"on {n_threads} thread(s)", threaded_s, base)):
            print(f"    rewrite {how:<16} {secs:6.2f} s = {secs / run.sim_s:4.0%} of 'sim s' of {run.label}")
    if len(parallel) > 1:
        largest = parallel[sizes[-1]]
        tree = largest.peak_tree_rss / base.peak_tree_rss
        proc = largest.peak_proc_rss / base.peak_proc_rss
        grew = "GREW" if tree > GROWTH_TOLERANCE else "flat"
        print(
            f"  peak memory {smallest:,} -> {sizes[-1]:,} athletes ({sizes[-1] / smallest:.0f}x the cohort):"
            f" tree {tree:.2f}x, largest process {proc:.2f}x -> {grew}"
            f" (flat means within {GROWTH_TOLERANCE:.2f}x)"
        )


def main(argv: Sequence[str] | None = None) -> None:
    """Parse the command line and run the benchmark, or one case in ``--_case`` mode.

    Parameters
    ----------
    argv : sequence of str, optional
        Arguments; ``None`` reads ``sys.argv``.
    """
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--athletes", type=int, nargs="+", default=[10_000, 100_000], help="cohort sizes")
    parser.add_argument("--days", type=int, default=365, help="days per athlete (default 365)")
    parser.add_argument("--jobs", type=int, default=-1, help="worker processes (default -1: all cores)")
    parser.add_argument("--quick", action="store_true", help="run only the 10,000-athlete case")
    parser.add_argument("--_case", type=int, default=None, help=argparse.SUPPRESS)
    parser.add_argument("--_out", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args._case is not None:
        run_case_child(args._case, args.days, args.jobs, args._out)
        return
    athletes = [10_000] if args.quick else args.athletes
    run_benchmark(athletes, args.days, args.jobs)


if __name__ == "__main__":
    main()
