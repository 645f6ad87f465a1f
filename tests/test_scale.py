"""Workers: worker processes (the default), threads and a Dask LocalCluster give the same tables."""

from __future__ import annotations

import pandas as pd
import pytest

from conftest import SEEDS
from flows.normalize import default_settings, run


def tables(out) -> dict[str, pd.DataFrame]:
    return {
        t: pd.read_parquet(out / f"{t}.parquet").drop(columns=["processed_at", "source_path"], errors="ignore")
        for t in ("clauses", "documents", "alignments")
    }


@pytest.fixture(scope="module")
def reference(prefect_server, tmp_path_factory):
    raw = tmp_path_factory.mktemp("raw")
    for key in ("001", "003"):
        (raw / SEEDS[key].name).write_bytes(SEEDS[key].read_bytes())
    out = tmp_path_factory.mktemp("processes")
    run(raw, out, default_settings(out, package_dirs=(tmp_path_factory.mktemp("none"),)), workers=2)
    return raw, tables(out)


@pytest.mark.parametrize("how", ["threads", "dask-local"])
def test_other_workers_write_the_same_tables(reference, tmp_path, how):
    raw, expected = reference
    out = tmp_path / "out"
    settings = default_settings(out, package_dirs=(tmp_path / "none",))
    if how == "threads":
        result = run(raw, out, settings, workers=2, threads=True)
    else:
        result = run(raw, out, settings, workers=2, dask="local")
    assert len(result.ok) == 2
    got = tables(out)
    for name, frame in expected.items():
        pd.testing.assert_frame_equal(got[name], frame)
