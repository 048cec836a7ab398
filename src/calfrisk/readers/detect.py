"""Which inputs a path holds, and the format of each, told from the content rather than the name.

A file is gunzipped when it starts with the gzip signature, then recognised by what it holds: the
``.FIT`` signature, a ``<gpx`` or ``<TrainingCenterDatabase`` root (after any leading whitespace,
which Strava uploads often carry), or a CSV header (Strava, Garmin Connect or calfrisk's own). A zip
or a folder that holds a Strava ``activities.csv`` is a Strava export: only that file is read,
because the activity files it lists are the same runs. Any other folder is searched (sub-folders
included, hidden files left out) for ``.csv``, ``.fit``, ``.gpx`` and ``.tcx`` files, each optionally
``.gz``; other files are listed in a note.
"""

from __future__ import annotations

import csv
import gzip
import io
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

from calfrisk.exceptions import InputError
from calfrisk.readers.garmin import looks_like_garmin
from calfrisk.readers.own_csv import looks_like_own_csv
from calfrisk.readers.strava import looks_like_strava
from calfrisk.readers.tabular import decode_text

__all__ = ["KINDS", "MAX_BYTES", "Input", "find_inputs", "sniff"]

#: The formats, as :attr:`Input.kind` names them.
KINDS: tuple[str, ...] = ("own_csv", "strava", "garmin", "fit", "gpx", "tcx")
#: Largest file (after decompression) read, against zip and gzip bombs: 256 MiB.
MAX_BYTES = 256 * 2**20

_SUFFIXES = (".csv", ".fit", ".gpx", ".tcx")
_STRAVA_CSV = "activities.csv"


@dataclass(frozen=True)
class Input:
    """One file to read.

    Attributes
    ----------
    name : str
        The file as named in messages and in the ``source`` column (``export.zip:activities.csv``
        for a zip member).
    kind : str
        One of :data:`KINDS`.
    data : bytes
        The content, decompressed.
    key : str
        Identifies the file whatever path led to it, so a file given twice is read once.
    """

    name: str
    kind: str
    data: bytes
    key: str


def _limited(stream: io.BufferedIOBase | gzip.GzipFile, name: str) -> bytes:
    data = stream.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise InputError(f"{name}: larger than {MAX_BYTES // 2**20} MiB, too large for a training log")
    return data


def _gunzip(data: bytes, name: str) -> bytes:
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(data)) as stream:
            return _limited(stream, name)
    except (OSError, EOFError, zlib.error) as exc:
        raise InputError(f"{name}: corrupt gzip file ({exc})") from None


def _stem_suffix(name: str) -> str:
    lower = name.lower().removesuffix(".gz")
    return Path(lower).suffix


def _csv_kind(data: bytes, name: str) -> str:
    text, _ = decode_text(data[:65536], name) if len(data) > 65536 else decode_text(data, name)
    first = text.lstrip("\r\n").split("\n", 1)[0]
    try:
        header = next(csv.reader([first], delimiter=max(",;\t", key=first.count)), [])
    except csv.Error:
        header = []
    header = [h.strip() for h in header]
    if looks_like_strava(header):
        return "strava"
    if looks_like_garmin(header):
        return "garmin"
    if looks_like_own_csv(header):
        return "own_csv"
    shown = ", ".join(header[:6]) + (", ..." if len(header) > 6 else "")
    raise InputError(
        f"{name}: unknown format (header: {shown[:120]!r}); expected calfrisk's own CSV "
        "(date, distance_km, duration_min), a Strava activities.csv, a Garmin Connect Activities.csv, "
        "or a FIT, GPX or TCX file"
    )


def sniff(data: bytes, name: str) -> tuple[str, bytes]:
    """The format of a file's content, and the content (gunzipped if it was gzipped).

    Raises
    ------
    InputError
        An empty file, a corrupt gzip, a ``.fit`` without the FIT signature, XML that is neither GPX
        nor TCX, or content of no known format.
    """
    if name.lower().endswith(".gz") or data[:2] == b"\x1f\x8b":
        if data[:2] != b"\x1f\x8b":
            raise InputError(f"{name}: corrupt gzip file (no gzip signature)")
        data = _gunzip(data, name)
    if not data.strip():
        raise InputError(f"{name}: the file is empty")
    suffix = _stem_suffix(name)
    if len(data) >= 12 and data[8:12] == b".FIT":
        return "fit", data
    if suffix == ".fit":
        raise InputError(f"{name}: not a FIT file (no FIT signature: truncated or another format)")
    head = data.lstrip().removeprefix(b"\xef\xbb\xbf").lstrip()[:4096]
    if head.startswith(b"<"):
        if b"<gpx" in head:
            return "gpx", data
        if b"<TrainingCenterDatabase" in head:
            return "tcx", data
        raise InputError(f"{name}: an XML file that is neither GPX nor TCX")
    if b"\x00" in data[:1024]:
        raise InputError(f"{name}: unknown format (binary content, not a FIT file)")
    return _csv_kind(data, name), data


def _read_file(path: Path, name: str) -> bytes:
    try:
        with path.open("rb") as stream:
            return _limited(stream, name)
    except OSError as exc:
        raise InputError(f"{name}: cannot read ({exc.strerror or exc})") from None


def _from_zip(path: Path) -> tuple[list[Input], list[str]]:
    try:
        with zipfile.ZipFile(path) as archive:
            members = [m for m in archive.infolist() if Path(m.filename).name.lower() == _STRAVA_CSV]
            if not members:
                raise InputError(f"{path}: a zip without activities.csv (not a Strava export)")
            member = min(members, key=lambda m: m.filename.count("/"))
            name = f"{path}:{member.filename}"
            with archive.open(member) as stream:
                data = _limited(stream, name)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error) as exc:
        raise InputError(f"{path}: corrupt zip file ({exc})") from None
    kind, data = sniff(data, name)
    note = f"{path}: Strava export; read {member.filename} only (its activity files are the same runs)"
    return [Input(name=name, kind=kind, data=data, key=f"{path.resolve()}:{member.filename}")], [note]


def _strava_csv_in(folder: Path) -> Path | None:
    candidate = folder / _STRAVA_CSV
    if not candidate.is_file():
        return None
    head = _read_file(candidate, str(candidate))[:65536]
    try:
        return candidate if _csv_kind(head, str(candidate)) == "strava" else None
    except InputError:
        return None


def _from_folder(folder: Path) -> tuple[list[Input], list[str]]:
    strava = _strava_csv_in(folder)
    if strava is not None:
        note = f"{folder}: Strava export; read {_STRAVA_CSV} only (its activity files are the same runs)"
        return _from_file(strava)[0], [note]
    inputs: list[Input] = []
    notes: list[str] = []
    ignored: list[str] = []
    for child in sorted(folder.iterdir()):
        if child.name.startswith("."):
            continue
        if child.is_dir():
            found, found_notes = _from_folder(child)
            inputs += found
            notes += found_notes
        elif _stem_suffix(child.name) in _SUFFIXES:
            inputs += _from_file(child)[0]
        else:
            ignored.append(child.name)
    if ignored:
        shown = ", ".join(ignored[:3]) + (", ..." if len(ignored) > 3 else "")
        notes.append(f"{folder}: {len(ignored)} file(s) of other kinds ignored ({shown})")
    return inputs, notes


def _from_file(path: Path) -> tuple[list[Input], list[str]]:
    if path.suffix.lower() == ".zip" or zipfile.is_zipfile(path):
        return _from_zip(path)
    name = str(path)
    kind, data = sniff(_read_file(path, name), name)
    return [Input(name=name, kind=kind, data=data, key=str(path.resolve()))], []


def find_inputs(path: str | Path) -> tuple[list[Input], list[str]]:
    """The files a path holds, with their formats.

    Parameters
    ----------
    path : str or Path
        A file, a folder, or a Strava export zip.

    Returns
    -------
    inputs : list of Input
        In a stable order (folders are read sorted by name).
    notes : list of str
        What the user must be told (only ``activities.csv`` read from an export; files ignored).

    Raises
    ------
    InputError
        A missing path, a folder without logs, or a file that cannot be read or recognised.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if path.is_dir():
        inputs, notes = _from_folder(path)
        if not inputs:
            raise InputError(
                f"{path}: no training logs in this folder (looked for .csv, .fit, .gpx and .tcx files, "
                "optionally .gz)"
            )
        return inputs, notes
    return _from_file(path)
