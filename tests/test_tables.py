"""Schema module and Parquet writer (real files, read back with pyarrow, pandas, DuckDB)."""

from __future__ import annotations

from dataclasses import fields

import duckdb
import pyarrow.parquet as pq

from conftest import RAW
from stages.clauses import parse_document
from stages.ingest import discover, read_document
from stages.language import detect_languages
from stages.records import Clause, Document
from lexnorm.output.schema import CLAUSES, DOCUMENTS, describe
from lexnorm.output.tables import write_tables


def seed_documents():
    return [detect_languages(parse_document(read_document(p, RAW))) for p in discover(RAW)]


def test_schema_columns_match_the_records_and_the_spec():
    assert [f.name for f in fields(Clause)] == CLAUSES.names
    assert set(DOCUMENTS.names) == ({f.name for f in fields(Document)} - {"clauses", "furniture", "joins"}) | {"n_clauses"}
    spec_documents = "doc_id source_path sha256 size_bytes encoding lang lang_confidence n_clauses status error pipeline_version processed_at"
    assert DOCUMENTS.names[:12] == spec_documents.split()
    assert all(describe(s)[name] for s in (CLAUSES, DOCUMENTS) for name in s.names)


def test_write_tables_round_trip_and_leaves_no_temp_files(tmp_path):
    docs = seed_documents()
    paths = write_tables(docs, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["alignments.parquet", "clauses.parquet", "documents.parquet"]
    clauses = pq.read_table(paths["clauses"])
    assert clauses.schema.equals(CLAUSES, check_metadata=False)
    assert clauses.num_rows == sum(d.n_clauses for d in docs)
    field = pq.read_schema(paths["clauses"]).field("clause_id")
    assert b"unique per doc_id" in field.metadata[b"description"]
    # offsets point into documents.text
    docs_table = pq.read_table(paths["documents"]).to_pylist()
    text = {d["doc_id"]: d["text"] for d in docs_table}
    for row in clauses.to_pylist()[:200]:
        span = text[row["doc_id"]][row["char_start"] : row["char_end"]]
        if row["label"] and not row["number_inferred"]:
            assert row["label"] in span


def test_duckdb_reads_tables_and_descriptions(tmp_path):
    write_tables(seed_documents(), tmp_path)
    con = duckdb.connect()
    n = con.execute(f"select count(*) from '{tmp_path}/clauses.parquet' where doc_id like '003%'").fetchone()[0]
    assert n == 47
    keys = {
        k.decode() if isinstance(k, bytes) else k
        for (k,) in con.execute(f"select key from parquet_kv_metadata('{tmp_path}/clauses.parquet')").fetchall()
    }
    assert "lexnorm.table" in keys


def test_rewrite_replaces_previous_tables(tmp_path):
    docs = seed_documents()
    write_tables(docs, tmp_path)
    write_tables(docs[:2], tmp_path)
    assert pq.read_table(tmp_path / "documents.parquet").num_rows == 2


def test_the_writer_holds_no_more_than_a_row_group_of_a_long_stream_of_links(tmp_path):
    """A run's links across documents come as one stream (118,000 topic links on 1,000
    documents): the writer takes them a row group at a time, not all at once."""
    from lexnorm.output import tables
    from stages.records import Alignment

    group = tables._GROUP_ROWS["alignments"]
    held = []
    with tables.TableWriter(tmp_path) as writer:

        def links(n: int):
            for i in range(n):
                held.append(len(writer.buffers["alignments"]))
                yield Alignment("topic", "a", f"{i}", "b", f"{i}", 0.5, "topic-keywords", "{}")

        writer.add_links(links(2 * group + 10))
        writer.commit()
    assert max(held) < group
    written = pq.read_table(tmp_path / "alignments.parquet")
    assert written["left_clause"].to_pylist() == [f"{i}" for i in range(2 * group + 10)]
    assert pq.ParquetFile(tmp_path / "alignments.parquet").num_row_groups == 3
