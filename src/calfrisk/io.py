"""Atomic outputs: a run's files appear whole or not at all."""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

from calfrisk.exceptions import ParameterError

__all__ = [
    "atomic_output_dir",
    "atomic_write_bytes",
    "atomic_write_text",
    "check_output_dir",
    "check_output_file",
]


def _check_creatable(path: Path, parameter: str) -> None:
    """Refuse a path whose nearest existing ancestor is a file or a folder we cannot write into."""
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise ParameterError(parameter, path, f"{parent} is a file, so nothing can be written under it")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ParameterError(parameter, path, f"no permission to write in {parent}")


def check_output_file(path: str | Path, *, parameter: str) -> None:
    """Refuse an output file that cannot be written, before the work that produces it.

    Parameters
    ----------
    path : str or Path
        The file to write (its folders are created when it is written).
    parameter : str
        The parameter that named the file, for the error message.

    Raises
    ------
    ParameterError
        If ``path`` is a folder, or a folder on its way is a file or cannot be written into.

    Examples
    --------
    >>> try:
    ...     check_output_file("README.md/metrics.json", parameter="metrics_json")
    ... except ParameterError as exc:
    ...     print(exc)
    metrics_json README.md/metrics.json: README.md is a file, so nothing can be written under it
    """
    path = Path(path)
    if path.is_dir():
        raise ParameterError(parameter, path, "is a folder (name a file)")
    _check_creatable(path, parameter)


def check_output_dir(path: Path, *, overwrite: bool, parameter: str = "out_dir") -> None:
    """Refuse an output folder that exists and is not empty, unless ``overwrite``.

    Parameters
    ----------
    path : Path
        The output folder.
    overwrite : bool
        Replace an existing folder's contents.
    parameter : str, default="out_dir"
        The parameter that named the folder, for the error message.

    Raises
    ------
    InputError
        If ``path`` is a file, or a non-empty folder without ``overwrite``, or cannot be created.
    """
    if path.exists() and not path.is_dir():
        raise ParameterError(parameter, path, "exists and is not a folder")
    if path.is_dir() and any(path.iterdir()) and not overwrite:
        raise ParameterError(parameter, path, "folder exists and is not empty (`overwrite` replaces it)")
    _check_creatable(path, parameter)


@contextlib.contextmanager
def atomic_output_dir(path: str | Path, *, overwrite: bool = False) -> Iterator[Path]:
    """Write a folder atomically: yield a staging folder, move it into place on success.

    The staging folder sits beside ``path`` (same file system, so the final rename is atomic). If
    the body raises, the staging folder is removed and ``path`` is left as it was.

    Parameters
    ----------
    path : str or Path
        The folder to produce.
    overwrite : bool, default=False
        Replace an existing non-empty folder.

    Yields
    ------
    Path
        The staging folder to write into.
    """
    path = Path(path)
    check_output_dir(path, overwrite=overwrite)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.parent / f".{path.name}.partial-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    old = path.parent / f".{path.name}.old-{os.getpid()}"
    if path.exists():
        path.rename(old)
    staging.rename(path)
    shutil.rmtree(old, ignore_errors=True)


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write a file atomically: to a temporary file beside it, then renamed over it."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    staging = path.parent / f".{path.name}.partial-{os.getpid()}"
    try:
        staging.write_bytes(data)
        os.replace(staging, path)
    finally:
        staging.unlink(missing_ok=True)


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write a text file atomically (UTF-8), like :func:`atomic_write_bytes`."""
    atomic_write_bytes(path, text.encode("utf-8"))
