"""A cohort's tables are Parquet datasets, one file per chunk, that the usual readers take whole."""

from __future__ import annotations

import pandas as pd
import pyarrow.dataset as ds
import pytest

from calfrisk.schema import TABLES


# dask.dataframe itself calls a pandas method pandas 3.1 deprecates; not calfrisk's to fix.
@pytest.mark.filterwarnings("ignore:The inplace keyword in DataFrame.reset_index")
@pytest.mark.parametrize("name", TABLES)
def test_pyarrow_and_dask_read_each_table_as_pandas_does(small_cohort, name) -> None:
    dd = pytest.importorskip("dask.dataframe")
    folder = small_cohort[1] / f"{name}.parquet"
    assert len(list(folder.glob("part-*.parquet"))) == 3  # one file per chunk
    expected = pd.read_parquet(folder)
    assert ds.dataset(folder).count_rows() == len(expected)
    got = dd.read_parquet(folder).compute().reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, check_categorical=False)
