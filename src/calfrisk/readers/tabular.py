"""Reading exported tables: text, rows, columns found by name, numbers and clock times.

The csv module reads the rows, not pandas: exports repeat column names (Strava's two ``Distance``
columns) and quote cells that span several lines, and both must survive as they are.
"""

from __future__ import annotations

import csv
import difflib
import io
import re
from dataclasses import dataclass

from calfrisk.exceptions import InputError
from calfrisk.readers.validate import location

__all__ = ["MISSING", "Table", "decode_text", "parse_clock", "parse_number", "read_table"]

#: Cell values that mean "no value" in the exports (Garmin writes ``--`` and ``--:--:--``).
MISSING = frozenset({"", "--", "--:--", "--:--:--", "-"})


@dataclass(frozen=True)
class Table:
    """A CSV file's header and data rows, cells stripped of surrounding spaces.

    Attributes
    ----------
    name : str
        The file as named in messages.
    header : list of str
        Column names, in file order (repeated names kept).
    rows : list of (int, list of str)
        Spreadsheet row number (the header is row 1) and cells, padded to the header's width.
        Rows whose cells are all empty are left out.
    notes : list of str
        What was assumed while reading (e.g. the text encoding).
    delimiter : str
        The cell separator, told from the header: ``,``, ``;`` or a tab.
    """

    name: str
    header: list[str]
    rows: list[tuple[int, list[str]]]
    notes: list[str]
    delimiter: str = ","

    def find(self, *names: str) -> list[int]:
        """Positions of the columns called any of ``names`` (case-insensitive), in file order."""
        wanted = {n.casefold() for n in names}
        return [i for i, h in enumerate(self.header) if h.casefold() in wanted]

    def first(self, *names: str) -> int | None:
        """Position of the first column called one of ``names``, trying the names in order."""
        for name in names:
            found = self.find(name)
            if found:
                return found[0]
        return None

    def require(self, what: str, *names: str) -> int:
        """Like :meth:`first`, but a missing column is an error naming what is missing."""
        index = self.first(*names)
        if index is None:
            close = difflib.get_close_matches(names[0], self.header, n=1)
            hint = f" (is {close[0]!r} meant?)" if close else ""
            raise InputError(f"{self.name}: missing the {what} column {names[0]!r}{hint}")
        return index


def decode_text(data: bytes, name: str) -> tuple[str, list[str]]:
    """Decode a text file: UTF-8 (with or without BOM), else Windows-1252 with a note.

    Returns
    -------
    text : str
    notes : list of str
    """
    try:
        return data.decode("utf-8-sig"), []
    except UnicodeDecodeError:
        # Spreadsheets on Windows save CSV as cp1252; any byte sequence but five decodes, so say so.
        try:
            return data.decode("cp1252"), [f"{name}: not UTF-8 text; read as Windows-1252"]
        except UnicodeDecodeError:
            raise InputError(f"{name}: not a text file (neither UTF-8 nor Windows-1252)") from None


def _delimiter(first_line: str) -> str:
    # Spreadsheets in comma-decimal locales save with ';'. The header never holds a quoted delimiter.
    counts = {d: first_line.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def read_table(data: bytes, name: str) -> Table:
    """Read a CSV file into a :class:`Table`.

    Raises
    ------
    InputError
        If the file is empty, has only a header, repeats a column where it must not (never: the
        callers decide), or a row has more cells than the header.
    """
    text, notes = decode_text(data, name)
    if not text.strip():
        raise InputError(f"{name}: the file is empty")
    lines = text.lstrip("\r\n").splitlines()
    delimiter = _delimiter(lines[0])
    reader = csv.reader(io.StringIO(text.lstrip("\r\n"), newline=""), delimiter=delimiter)
    try:
        header = [h.strip() for h in next(reader)]
        rows: list[tuple[int, list[str]]] = []
        row_number = 1
        for cells in reader:
            row_number += 1
            cells = [c.strip() for c in cells]
            if not any(cells):
                continue
            if len(cells) > len(header):
                if any(cells[len(header) :]):
                    raise InputError(
                        f"{location(name, row_number)}: {len(cells)} cells but the header has "
                        f"{len(header)} columns (a stray delimiter or an unclosed quote?)"
                    )
                cells = cells[: len(header)]
            rows.append((row_number, cells + [""] * (len(header) - len(cells))))
    except csv.Error as exc:
        raise InputError(f"{name}: not a readable CSV file ({exc})") from None
    if not rows:
        raise InputError(f"{name}: a header but no rows")
    return Table(name=name, header=header, rows=rows, notes=notes, delimiter=delimiter)


_PLAIN = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?")
_POINT = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def parse_number(
    text: str, *, where: str, decimal: str | None = None, grouping: bool = False
) -> float | None:
    """Read a number cell; None when it is empty or one of :data:`MISSING`.

    Parameters
    ----------
    text : str
        The cell, e.g. ``'3322.95'``, ``'2,81'``, ``'4,808'`` (quotes already removed).
    where : str
        The cell's place, for messages.
    decimal : {'.', ',', None}
        The file's decimal mark. None: a single ``.`` or ``,`` is the decimal mark (exports that
        never group thousands, such as Strava's).
    grouping : bool, default=False
        With ``decimal``, the other mark may group thousands (``4,808.5``, ``4.808,5``).

    Raises
    ------
    InputError
        If the cell is not a number in that convention.
    """
    text = text.strip().replace("\u00a0", "").replace("\u202f", "")
    if text in MISSING:
        return None
    if decimal is None:
        if _PLAIN.fullmatch(text):
            return float(text.replace(",", "."))
    elif decimal == "." and _POINT.fullmatch(text):
        return float(text)
    elif grouping or decimal == ",":
        thousands = "," if decimal == "." else "."
        digits = rf"\d{{1,3}}(\{thousands}\d{{3}})+" if grouping else r"\d+"
        if re.fullmatch(rf"[+-]?({digits}|\d+)(\{decimal}\d+)?", text):
            return float(text.replace(thousands, "").replace(decimal, "."))
    raise InputError(f"{where}: {text!r} is not a number")


_CLOCK = re.compile(r"(?:(\d+):)?(\d{1,2}):(\d{2}(?:[.,]\d+)?)")


def parse_clock(text: str, *, where: str) -> float | None:
    """Read ``HH:MM:SS(.f)``, ``H:MM:SS`` or ``MM:SS`` as seconds; None when missing."""
    text = text.strip()
    if text in MISSING:
        return None
    match = _CLOCK.fullmatch(text)
    if not match:
        raise InputError(f"{where}: {text!r} is not a time (expected HH:MM:SS)")
    hours, minutes, seconds = match.groups()
    if int(minutes) >= 60 and hours is not None:
        raise InputError(f"{where}: {text!r} is not a time (minutes over 59)")
    return int(hours or 0) * 3600 + int(minutes) * 60 + float(seconds.replace(",", "."))
