"""Cohort folders on the local disk or on any fsspec file system (``s3://``, ``gs://``, ``memory://``).

A cohort's ``--out`` and ``--data`` may be fsspec URLs where the matching file-system package is
installed (``s3fs`` for ``s3://``, ``gcsfs`` for ``gs://``; ``file://`` and ``memory://`` come
with fsspec). :func:`locate` turns a location into a :class:`Folder`: the local disk (paths and
``file://`` URLs) or an fsspec file system. :func:`atomic_folder` writes a folder whole: its files
go to a temporary prefix beside it, which becomes the folder once every file is written, so a
failed run leaves nothing at the location. On an object store that last step copies the prefix
(object stores have no rename), but nothing is at the final location until it starts.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from calfrisk.exceptions import ParameterError

__all__ = ["Folder", "atomic_folder", "check_output", "is_url", "locate"]


def is_url(location: str | Path) -> bool:
    """Whether ``location`` is a URL (``scheme://...``) rather than a local path."""
    return isinstance(location, str) and "://" in location


@dataclass(frozen=True)
class Folder:
    """A folder on the local disk (``fs`` None) or an fsspec file system; picklable for Dask workers.

    Attributes
    ----------
    path : str
        The folder's path on its file system.
    fs : fsspec.AbstractFileSystem or None
        The file system; None for the local disk.
    url : str
        The location as given, for messages.
    """

    path: str
    fs: Any = None
    url: str = ""

    def __str__(self) -> str:
        return self.url or self.path

    def show(self, path: str) -> str:
        """A path inside as a reader knows it: local as it is, otherwise as a URL."""
        return (
            path
            if self.fs is None
            else f"{self.fs.protocol[0] if isinstance(self.fs.protocol, tuple) else self.fs.protocol}://{path.lstrip('/')}"
        )

    def child(self, *names: str) -> str:
        """The path of a file or folder inside."""
        return "/".join([self.path.rstrip("/"), *names])

    def exists(self, relative: str = "") -> bool:
        """Whether the folder (or a path inside it) exists."""
        path = self.child(relative) if relative else self.path
        return Path(path).exists() if self.fs is None else self.fs.exists(path)

    def isdir(self, relative: str = "") -> bool:
        """Whether the folder (or a path inside it) is a folder."""
        path = self.child(relative) if relative else self.path
        return Path(path).is_dir() if self.fs is None else self.fs.isdir(path)

    def glob(self, pattern: str) -> list[str]:
        """Paths inside matching ``pattern``, sorted."""
        if self.fs is None:
            return sorted(str(p) for p in Path(self.path).glob(pattern))
        return sorted(self.fs.glob(self.child(pattern)))

    def open(self, path: str, mode: str = "rb") -> Any:
        """A file inside (``path`` from :meth:`child` or :meth:`glob`)."""
        return open(path, mode) if self.fs is None else self.fs.open(path, mode)

    def read_text(self, relative: str) -> str:
        """A text file inside, UTF-8."""
        with self.open(self.child(relative), "rb") as f:
            return f.read().decode("utf-8")

    def write(self, relative: str, writer: Any) -> None:
        """Write a file inside, whole, by calling ``writer(target)`` (a path or a binary file).

        A file written again (a retried task) is replaced, never torn: locally it is written beside
        its name and renamed over it; on an object store it appears when its upload completes.
        """
        path = self.child(relative)
        if self.fs is None:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            partial = Path(path).with_name(f".{Path(path).name}.partial-{uuid.uuid4().hex[:12]}")
            try:
                writer(str(partial))
                partial.replace(path)
            finally:
                partial.unlink(missing_ok=True)
        else:
            self.fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
            with self.fs.open(path, "wb") as f:
                writer(f)

    def write_bytes(self, relative: str, data: bytes) -> None:
        """Write a file inside, whole (see :meth:`write`)."""

        def put(target: Any) -> None:
            if isinstance(target, str):
                Path(target).write_bytes(data)
            else:
                target.write(data)

        self.write(relative, put)


def locate(location: str | Path, *, parameter: str) -> Folder:
    """The :class:`Folder` a path or URL names.

    Raises
    ------
    ParameterError
        Naming ``parameter``: an unknown protocol, or one whose file-system package is missing.

    Examples
    --------
    >>> folder = locate("memory://cohorts/a", parameter="out_dir")
    >>> folder.path, folder.show(folder.child("athletes.parquet"))
    ('/cohorts/a', 'memory://cohorts/a/athletes.parquet')
    >>> locate("data/synthetic/sample", parameter="data_dir").fs is None
    True
    """
    if not is_url(location):
        return Folder(str(location), None, str(location))
    import fsspec

    try:
        fs, path = fsspec.core.url_to_fs(str(location))
    except ImportError as exc:
        raise ParameterError(parameter, location, f"its file system is not installed ({exc})") from None
    except ValueError as exc:
        raise ParameterError(parameter, location, f"not a file-system URL ({exc})") from None
    if "file" in fs.protocol:
        return Folder(path, None, str(location))
    return Folder(path, fs, str(location))


def check_output(location: str | Path, *, overwrite: bool, parameter: str = "out_dir") -> None:
    """Refuse an output folder that exists and is not empty, unless ``overwrite``, or that cannot
    be written (see :func:`calfrisk.io.check_output_dir`), before the work that fills it."""
    from calfrisk.io import check_output_dir

    folder = locate(location, parameter=parameter)
    if folder.fs is None:
        check_output_dir(Path(folder.path), overwrite=overwrite, parameter=parameter)
    else:
        _check_remote(folder, overwrite=overwrite, parameter=parameter)


def _check_remote(folder: Folder, *, overwrite: bool, parameter: str) -> None:
    if folder.fs.isfile(folder.path):
        raise ParameterError(parameter, folder, "exists and is not a folder")
    if folder.fs.isdir(folder.path) and folder.fs.ls(folder.path) and not overwrite:
        raise ParameterError(parameter, folder, "folder exists and is not empty (`overwrite` replaces it)")


@contextlib.contextmanager
def atomic_folder(
    location: str | Path, *, overwrite: bool = False, parameter: str = "out_dir"
) -> Iterator[Folder]:
    """Write a folder whole: yield a staging :class:`Folder`, put in place when the body succeeds.

    Local folders use :func:`calfrisk.io.atomic_output_dir` (an atomic rename); on an fsspec file
    system the staging prefix sits beside the folder and is moved onto it at the end. A body that
    raises leaves the location as it was.
    """
    from calfrisk.io import atomic_output_dir

    folder = locate(location, parameter=parameter)
    if folder.fs is None:
        with atomic_output_dir(folder.path, overwrite=overwrite) as staging:
            yield Folder(str(staging), None, str(staging))
        return
    fs = folder.fs
    _check_remote(folder, overwrite=overwrite, parameter=parameter)
    staging = Folder(
        f"{folder.path.rstrip('/')}.partial-{os.getpid()}-{uuid.uuid4().hex[:8]}", fs, folder.url
    )
    fs.makedirs(staging.path, exist_ok=True)
    try:
        yield staging
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            fs.rm(staging.path, recursive=True)
        raise
    if fs.exists(folder.path):
        fs.rm(folder.path, recursive=True)
    fs.mv(staging.path, folder.path, recursive=True)
    with contextlib.suppress(FileNotFoundError):
        fs.rm(staging.path, recursive=True)
