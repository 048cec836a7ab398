"""Where calfrisk's independent tasks run: threads of this process, or the workers of a Dask cluster.

Simulation chunks, a cohort's parts on their way to the training sample and the oracle's chunks
are independent tasks whose results calfrisk combines in a way that does not depend on the order
they finish in. :class:`Engine` maps a function over such tasks and yields each result as it
comes: on threads (joblib; the compiled kernel and Parquet release the GIL), or on a
``dask.distributed`` cluster, local (:class:`distributed.LocalCluster`, one single-threaded worker
process per core) or remote (a running scheduler's address). A task that dies with its worker is
run again (Dask's retries), not the whole job.

Dask is an optional extra (``pip install 'calfrisk[dask]'``); the threaded engine needs nothing.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from calfrisk.exceptions import ParameterError

__all__ = ["ENGINES", "Engine", "open_engine"]

#: The engines, by name.
ENGINES: tuple[str, ...] = ("threads", "dask")
#: Times a Dask task is run again after its worker died.
RETRIES = 2


def _indexed(fn: Callable[[Any], Any], index: int, item: Any) -> tuple[int, Any]:
    return index, fn(item)


class Engine:
    """Runs independent tasks; see the module docstring. Made by :func:`open_engine`.

    Attributes
    ----------
    name : {"threads", "dask"}
    n_jobs : int or None
        Threads (joblib convention) for the threaded engine.
    client : distributed.Client or None
        The Dask client.
    """

    def __init__(self, name: str = "threads", *, n_jobs: int | None = None, client: Any = None):
        self.name, self.n_jobs, self.client = name, n_jobs, client

    @property
    def distributed(self) -> bool:
        """Whether tasks leave this process (their arguments and results are pickled)."""
        return self.client is not None

    def map(self, fn: Callable[[Any], Any], items: Iterable[Any]) -> Iterator[tuple[int, Any]]:
        """``(i, fn(items[i]))`` for every item, in the order they finish.

        ``fn`` must be picklable (a module-level function or a :func:`functools.partial` of one)
        for the Dask engine.
        """
        items = list(items)
        if not items:
            return
        if self.client is None:
            from joblib import Parallel, delayed

            workers = 1 if len(items) == 1 else self.n_jobs
            run = Parallel(n_jobs=workers, prefer="threads", return_as="generator_unordered")
            yield from run(delayed(_indexed)(fn, i, item) for i, item in enumerate(items))
            return
        from distributed import as_completed

        futures = self.client.map(
            _indexed, [fn] * len(items), range(len(items)), items, retries=RETRIES, pure=False
        )
        try:
            for _, result in as_completed(futures, with_results=True):
                yield result
        finally:
            self.client.cancel(futures)


def _client(scheduler: str | None) -> Any:
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise ParameterError(
            "engine", "dask", "needs Dask's distributed package: pip install 'calfrisk[dask]'"
        ) from None
    if scheduler is None:
        import dask

        # Dask's nanny sets MALLOC_TRIM_THRESHOLD_ in its workers, which turns off glibc's adaptive
        # mmap threshold: every large array is then fresh pages, and the feature pipeline ran at
        # half speed in a worker (0.95 s against 0.5 s a part, measured). Left unset here.
        with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
            cluster = LocalCluster(
                n_workers=os.cpu_count() or 1, threads_per_worker=1, processes=True, dashboard_address=None
            )
        return Client(cluster)
    try:
        return Client(scheduler, timeout="10s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise ParameterError("scheduler", scheduler, f"no Dask scheduler answers there ({exc})") from None


@contextmanager
def open_engine(
    engine: str = "threads", *, scheduler: str | None = None, n_jobs: int | None = None
) -> Iterator[Engine]:
    """An engine for the duration of a ``with`` block; a local cluster it started is shut down after.

    Parameters
    ----------
    engine : {"threads", "dask"}, default="threads"
        Threads of this process, or Dask.
    scheduler : str, optional
        A running ``dask.distributed`` scheduler's address (``tcp://10.0.0.5:8786``); implies
        ``engine="dask"``. Without one, ``"dask"`` starts a local cluster, one worker per core.
    n_jobs : int, optional
        Threads for the threaded engine (joblib convention: ``None`` = 1, ``-1`` = one per core).

    Raises
    ------
    ParameterError
        An unknown engine, Dask not installed, or a scheduler that does not answer.

    Examples
    --------
    >>> with open_engine("threads", n_jobs=2) as engine:
    ...     sorted(engine.map(abs, [-2, 3]))
    [(0, 2), (1, 3)]
    """
    if engine not in ENGINES:
        raise ParameterError("engine", engine, f"not one of {', '.join(ENGINES)}")
    if engine == "threads" and scheduler is None:
        yield Engine("threads", n_jobs=n_jobs)
        return
    client = _client(scheduler)
    try:
        yield Engine("dask", client=client)
    finally:
        cluster = client.cluster if scheduler is None else None
        client.close()
        if cluster is not None:
            cluster.close()
