"""A re-run after a few documents changed copies the unchanged documents' rows from the last
run's tables instead of loading each from the results store, and writes the same tables a
full run does: the same rows as a fresh run into a fresh folder (new, changed and removed
documents, the links across documents), exactly the rows of the results-store path, and,
when the last run's tables are missing, damaged or of another run, the results store's.
Real Prefect runs, real Parquet files."""

from __future__ import annotations

import shutil

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from conftest import SEEDS
from test_alignment import EN as PARALLEL_EN
from test_alignment import ZH as PARALLEL_ZH
from flows.normalize import default_settings, normalize
from lexnorm.output.tables import TABLE_NAMES
from lexnorm.runtime import incremental

PAIR = ("service_en", "service_zh")


def run(raw, out, tmp_path):
    return normalize(raw, out, default_settings(out, package_dirs=(tmp_path / "no-models",)))


def read(out) -> dict[str, pa.Table]:
    return {name: pq.read_table(out / f"{name}.parquet") for name in TABLE_NAMES}


def without_time(found: dict[str, pa.Table]) -> dict:
    """The tables as pandas, without `processed_at` (a fresh run reads every document now)."""
    return {name: t.drop_columns([c for c in ("processed_at",) if c in t.column_names]).to_pandas() for name, t in found.items()}


def assert_same(got: dict, expected: dict) -> None:
    import pandas as pd

    for name in TABLE_NAMES:
        pd.testing.assert_frame_equal(got[name], expected[name], obj=name)


@pytest.fixture(scope="module")
def before(prefect_server, tmp_path_factory):
    """A first run over the seeds and a pair of language versions, and the input folder
    after one document changed, one was added and one removed."""
    tmp = tmp_path_factory.mktemp("partial")
    raw = tmp / "raw"
    raw.mkdir()
    for key in ("000", "001", "002", "003"):
        shutil.copy(SEEDS[key], raw)
    (raw / "service_zh.txt").write_text(PARALLEL_ZH, encoding="utf-8")
    (raw / "service_en.txt").write_text(PARALLEL_EN, encoding="utf-8")
    out = tmp / "first"
    run(raw, out, tmp)
    changed = raw / SEEDS["001"].name
    changed.write_text(changed.read_text(encoding="utf-8") + "\n99. Extra\nThe parties agree on one more clause.\n", encoding="utf-8")
    shutil.copy(SEEDS["004"], raw)
    (raw / SEEDS["002"].name).unlink()
    fresh = tmp / "fresh"
    run(raw, fresh, tmp)
    return tmp, raw, out, without_time(read(fresh))


def partial(before, name: str, damage=None, monkeypatch=None):
    """A copy of the first run's folder, `damage` done to it, and the re-run into it: its
    result, tables and the doc_ids it loaded from the results store."""
    tmp, raw, first, _ = before
    out = tmp / name
    shutil.copytree(first, out)
    if damage:
        damage(out)
    loaded = []
    if monkeypatch is not None:
        load = incremental.ResultStore.load

        def counted(store, key):
            doc = load(store, key)
            loaded.append(doc.doc_id if doc else None)
            return doc

        monkeypatch.setattr(incremental.ResultStore, "load", counted)
    result = run(raw, out, tmp)
    return result, read(out), loaded


def test_a_partial_rerun_writes_a_fresh_runs_tables_without_loading_the_unchanged(before, monkeypatch):
    result, found, loaded = partial(before, "copied", monkeypatch=monkeypatch)
    changes = result.changes
    assert (len(changes["new"]), len(changes["changed"]), len(changes["removed"])) == (1, 1, 1)
    assert len(changes["unchanged"]) == 4
    assert set(loaded) <= set(PAIR)  # only the language versions, to align them clause by clause
    assert result.alignment_counts["parallel"] > 0 and result.alignment_counts["topic"] > 0
    assert_same(without_time(found), before[3])
    assert found["documents"]["doc_id"].to_pylist() == sorted(found["documents"]["doc_id"].to_pylist())


def test_copied_rows_are_exactly_the_results_stores(before):
    """Without the kept summaries every unchanged document comes from the results store:
    the same tables, `processed_at` included."""

    def forget_summaries(out):
        for path in (out / incremental.CACHE_DIR / "documents").glob(f"*{incremental.SUMMARY_SUFFIX}"):
            path.unlink()

    result, copied, _ = partial(before, "copied-again")
    _, stored, _ = partial(before, "stored", forget_summaries)
    assert_same(without_time(copied), without_time(stored))
    unchanged = pa.array(result.changes["unchanged"])
    for name in ("clauses", "documents"):  # processed_at too (the others were read again by each run)
        kept = [t.filter(pc.is_in(t["doc_id"], unchanged)) for t in (copied[name], stored[name])]
        assert kept[0].num_rows and kept[0].equals(kept[1]), name


def _restamp(out):
    """documents.parquet as if another run had written it (the store recorded another)."""
    path = out / "documents.parquet"
    table = pq.read_table(path)
    pq.write_table(table.replace_schema_metadata({**table.schema.metadata, b"lexnorm.run_id": b"another run"}), path)


def _zeros_inside(out):
    """clauses.parquet with its data pages overwritten, its footer whole: found only when read."""
    path = out / "clauses.parquet"
    data = bytearray(path.read_bytes())
    data[4 : len(data) // 2] = bytes(len(data) // 2 - 4)
    path.write_bytes(bytes(data))


def _other_schema(out):
    path = out / "alignments.parquet"
    table = pq.read_table(path)
    pq.write_table(table.drop_columns(["detail"]).replace_schema_metadata(table.schema.metadata), path)


DAMAGES = {
    "missing": lambda out: (out / "clauses.parquet").unlink(),
    "truncated": lambda out: (out / "documents.parquet").write_bytes((out / "documents.parquet").read_bytes()[:999]),
    "zeros inside": _zeros_inside,
    "of another run": _restamp,
    "of another schema": _other_schema,
}


@pytest.mark.parametrize("damage", DAMAGES)
def test_unusable_previous_tables_fall_back_to_the_results_store(before, damage, monkeypatch):
    result, found, loaded = partial(before, damage.replace(" ", "-"), DAMAGES[damage], monkeypatch)
    assert len(result.ok) == 6
    assert set(loaded) - set(PAIR)  # the unchanged documents came from the results store
    assert_same(without_time(found), before[3])
