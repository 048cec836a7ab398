"""The simulator's NumPy-to-Arrow conversion equals pyarrow's own, and keeps pandas out of simulate."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import hypothesis.extra.numpy as hnp
import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from calfrisk.simulate import arrow

_DTYPES = [np.bool_, np.int8, np.int16, np.int32, np.int64, np.float32, np.float64]


@given(data=st.data(), dtype=st.sampled_from(_DTYPES), masked=st.booleans(), step=st.integers(1, 3))
def test_array_equals_pyarrow(data, dtype, masked: bool, step: int) -> None:
    values = data.draw(
        hnp.arrays(
            dtype,
            st.integers(0, 70),
            elements={"allow_nan": True} if dtype in (np.float32, np.float64) else None,
        )
    )
    values = values[::step]  # strided views too
    mask = data.draw(hnp.arrays(np.bool_, len(values))) if masked else None
    got = arrow.array(values, mask=mask)
    expected = pa.array(values, mask=mask)
    assert got.type == expected.type
    assert got.null_count == expected.null_count
    # Values and nulls alike, NaN equal to NaN (Array.equals says otherwise before pyarrow 19).
    assert got.is_null().equals(expected.is_null())
    fill = False if dtype is np.bool_ else 0
    np.testing.assert_array_equal(
        got.fill_null(fill).to_numpy(zero_copy_only=False),
        expected.fill_null(fill).to_numpy(zero_copy_only=False),
    )
    got.validate(full=True)


def test_numeric_arrays_share_memory() -> None:
    values = np.arange(10, dtype=np.float64)
    converted = arrow.array(values)
    values[3] = -1.0  # the simulator hands over arrays it will not touch until the table is written
    assert converted[3].as_py() == -1.0


def test_timestamps_and_dictionary() -> None:
    ms = np.array([0, 86_400_000, 2 * 86_400_000])
    assert arrow.timestamps_ms(ms).equals(pa.array(ms, type=pa.timestamp("ms")))
    codes = np.array([1, 0, 2, 1], np.int8)
    labels = ["easy", "long", "tempo"]
    expected = pa.DictionaryArray.from_arrays(pa.array(codes), pa.array(labels))
    got = arrow.dictionary(codes, labels)
    got.validate(full=True)
    assert got.equals(expected)
    assert got.to_pylist() == ["long", "easy", "tempo", "long"]


def test_table_declares_null_free_columns_required() -> None:
    values = np.array([1.0, np.nan])
    t = arrow.table({"a": np.array([1, 2], np.int32), "b": arrow.array(values, mask=np.isnan(values))})
    assert not t.schema.field("a").nullable
    assert t.schema.field("b").nullable
    assert t.column("b").to_pylist() == [1.0, None]


def test_two_dimensional_input_is_refused() -> None:
    with pytest.raises(ValueError, match="one-dimensional"):
        arrow.array(np.zeros((2, 2)))


def test_calfrisk_simulate_does_not_import_pandas(tmp_path) -> None:
    # pandas would cost a fresh `calfrisk simulate` ~0.25 s for nothing; a regression is easy to miss.
    script = textwrap.dedent(
        f"""
        import sys
        from calfrisk.cli.commands import main
        main(["simulate", "--athletes", "3", "--days", "20", "--jobs", "2", "--out", {str(tmp_path / "o")!r}])
        print("pandas" in sys.modules)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert result.stdout.strip().splitlines()[-1] == "False"
    assert (tmp_path / "o" / "truth.parquet").is_file()
