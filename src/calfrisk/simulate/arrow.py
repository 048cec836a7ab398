"""NumPy arrays as Arrow arrays and tables, zero-copy where Arrow's layout allows, without pandas.

:func:`pyarrow.array` probes each input for pandas types, and that probe imports pandas: ~0.2 s on a
process's first conversion, more than a 1,000-athlete chunk takes to simulate. The simulator's
columns are plain NumPy arrays, so these functions hand their buffers to
:meth:`pyarrow.Array.from_buffers` directly. Results equal those of :func:`pyarrow.array`
(tests check it); numeric and timestamp columns share the NumPy memory, booleans are bit-packed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pyarrow as pa

__all__ = ["array", "dictionary", "table", "timestamps_ms"]


def _bitmap(flags: np.ndarray) -> pa.Buffer:
    # Arrow stores booleans and validity one bit per value, least significant bit first.
    return pa.py_buffer(np.packbits(flags, bitorder="little"))


def array(values: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    """A one-dimensional numeric or boolean array as an Arrow array.

    Parameters
    ----------
    values : ndarray
        Booleans, integers or floats, one dimension.
    mask : ndarray of bool, optional
        True where the value is missing (as ``pyarrow.array(values, mask=mask)``).

    Returns
    -------
    pyarrow.Array
        The same values; numeric ones share ``values``' memory when it is contiguous.
    """
    if values.ndim != 1:
        raise ValueError(f"expected a one-dimensional array, got shape {values.shape}")
    n = len(values)
    validity, nulls = None, 0
    if mask is not None:
        nulls = int(np.count_nonzero(mask))
        if nulls:
            validity = _bitmap(~np.asarray(mask, bool))
    if values.dtype == np.bool_:
        return pa.Array.from_buffers(pa.bool_(), n, [validity, _bitmap(values)], null_count=nulls)
    values = np.ascontiguousarray(values)
    kind = pa.from_numpy_dtype(values.dtype)
    return pa.Array.from_buffers(kind, n, [validity, pa.py_buffer(values)], null_count=nulls)


def timestamps_ms(ms: np.ndarray) -> pa.Array:
    """Milliseconds since the epoch as an Arrow ``timestamp[ms]`` array (pandas reads datetime64).

    Parameters
    ----------
    ms : ndarray of int64
        Milliseconds since 1970-01-01, one dimension.

    Returns
    -------
    pyarrow.TimestampArray
        The same instants, sharing ``ms``' memory when it is contiguous int64.
    """
    ms = np.ascontiguousarray(ms, dtype=np.int64)
    return pa.Array.from_buffers(pa.timestamp("ms"), len(ms), [None, pa.py_buffer(ms)], null_count=0)


def dictionary(codes: np.ndarray, labels: Sequence[str]) -> pa.DictionaryArray:
    """Integer codes into ``labels`` as an Arrow dictionary array (pandas reads a categorical).

    Parameters
    ----------
    codes : ndarray of int
        Position of each value's label in ``labels``.
    labels : sequence of str
        The categories, in code order.

    Returns
    -------
    pyarrow.DictionaryArray
        Indices of ``codes``' integer type into a string dictionary.
    """
    encoded = [label.encode() for label in labels]
    offsets = np.zeros(len(encoded) + 1, np.int32)
    np.cumsum([len(b) for b in encoded], out=offsets[1:])
    strings = pa.Array.from_buffers(
        pa.string(),
        len(encoded),
        [None, pa.py_buffer(offsets), pa.py_buffer(b"".join(encoded))],
        null_count=0,
    )
    return pa.DictionaryArray.from_arrays(array(codes), strings)


def table(columns: Mapping[str, np.ndarray | pa.Array]) -> pa.Table:
    """A table of the given columns, NumPy arrays converted with :func:`array`.

    Parameters
    ----------
    columns : mapping of str to ndarray or pyarrow.Array
        Column name to values, in table order; all of one length.

    Returns
    -------
    pyarrow.Table
        Columns without missing values are declared non-null, so Parquet stores them without
        definition levels (smaller files, faster writing).
    """
    arrays = [c if isinstance(c, pa.Array) else array(c) for c in columns.values()]
    fields = [
        pa.field(name, a.type, nullable=a.null_count > 0) for name, a in zip(columns, arrays, strict=True)
    ]
    return pa.Table.from_arrays(arrays, schema=pa.schema(fields))
