"""Write the output tables: records -> Arrow -> Parquet, atomically.

Every table is first written to a temporary file in the output folder and fsynced; only
when all tables of the run are complete are they renamed over the previous ones
(`os.replace`, atomic on POSIX). A reader therefore sees either the previous run's
tables or this run's, never a half-written file. Clause rows are streamed in row
groups, so memory does not grow with the number of documents.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from lexnorm.output.atomic import fsync_path, temp_path
from stages.records import Alignment, Document, as_row
from lexnorm.output.schema import ALIGNMENTS, CLAUSES, DOCUMENTS, column_metadata

TABLE_NAMES = ("clauses", "documents", "alignments")
ROW_GROUP_ROWS = 64_000
ROW_GROUP_CHARS = 2_000_000  # clause text per row group: memory stays bounded, groups stay large enough to scan fast
COMPRESSION = "zstd"
_DOCUMENT_ONLY = frozenset({"clauses", "furniture", "joins"})  # the parser's layout hints are not columns


def document_row(doc: Document) -> dict:
    row = as_row(doc, exclude=_DOCUMENT_ONLY)
    row["n_clauses"] = doc.n_clauses
    return row


def table_run_ids(out_dir: Path) -> dict[str, str | None]:
    """The run that wrote each table in `out_dir` (`lexnorm.run_id`), None where a table
    is missing or unreadable."""
    ids: dict[str, str | None] = {}
    for name in TABLE_NAMES:
        try:
            metadata = pq.read_schema(Path(out_dir) / f"{name}.parquet").metadata or {}
            ids[name] = metadata.get(b"lexnorm.run_id", b"").decode() or None
        except (OSError, pa.ArrowException):
            ids[name] = None
    return ids


def _with_run(schema: pa.Schema, run_id: str) -> pa.Schema:
    """The table's schema stamped with the run that wrote it (the same in all three tables), plus
    a file-level key per column description (`lexnorm.column.<name>`), which DuckDB can read."""
    run = {b"lexnorm.run_id": run_id.encode()}
    return schema.with_metadata({**(schema.metadata or {}), **column_metadata(schema), **run})


class TableWriter:
    """Streams a run's rows into the three tables' temporary files, a row group at a time,
    so memory does not grow with the number of documents; `commit()` fsyncs them and
    renames them over the previous tables. Documents must come in doc_id order."""

    def __init__(self, out_dir: Path, run_id: str | None = None) -> None:
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.run_id = run_id = run_id or datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        self.schemas = {
            "clauses": _with_run(CLAUSES, run_id), "documents": _with_run(DOCUMENTS, run_id),
            "alignments": _with_run(ALIGNMENTS, run_id),
        }  # fmt: skip
        self.temps = {name: temp_path(self.out_dir / f"{name}.parquet") for name in self.schemas}
        self.writers = {name: pq.ParquetWriter(self.temps[name], schema, compression=COMPRESSION) for name, schema in self.schemas.items()}
        self.buffers: dict[str, list[dict]] = {name: [] for name in self.schemas}
        self.buffered_chars = 0  # documents rows carry whole texts: flush them by size too
        self.clause_chars = 0
        self.last_doc_id: str | None = None

    def _flush(self, name: str) -> None:
        rows = self.buffers[name]
        if rows:
            self.writers[name].write_table(pa.Table.from_pylist(rows, schema=self.schemas[name]))
            self.buffers[name] = []

    def _add(self, name: str, rows: Iterable[dict]) -> None:
        self.buffers[name].extend(rows)
        if len(self.buffers[name]) >= ROW_GROUP_ROWS:
            self._flush(name)

    def add_document(self, doc: Document) -> None:
        if self.last_doc_id is not None and doc.doc_id < self.last_doc_id:
            raise ValueError(f"documents must come in doc_id order: {doc.doc_id} after {self.last_doc_id}")
        self.last_doc_id = doc.doc_id
        self._add("clauses", (as_row(c) for c in doc.clauses))
        self.clause_chars += len(doc.text)
        if self.clause_chars >= ROW_GROUP_CHARS:  # a row group holds texts, tokens and sentences: bound it by size
            self._flush("clauses")
            self.clause_chars = 0
        self.buffers["documents"].append(document_row(doc))
        self.buffered_chars += len(doc.text)
        if len(self.buffers["documents"]) >= 1024 or self.buffered_chars >= ROW_GROUP_CHARS:
            self._flush("documents")
            self.buffered_chars = 0

    def add_links(self, links: Iterable[Alignment]) -> None:
        self._add("alignments", (as_row(a) for a in links))

    def _close(self) -> None:
        for name, writer in self.writers.items():
            if writer is not None:
                self._flush(name)
                writer.close()
        self.writers = dict.fromkeys(self.writers)

    def commit(self) -> dict[str, Path]:
        """Make this run's tables the current ones (all three, after all are on disk)."""
        self._close()
        for tmp in self.temps.values():
            fsync_path(tmp)
        final = {name: self.out_dir / f"{name}.parquet" for name in self.temps}
        for name, tmp in self.temps.items():
            os.replace(tmp, final[name])
        fsync_path(self.out_dir)
        return final

    def abort(self) -> None:
        """Drop this run's temporary files; the previous tables stay. Closing a writer
        flushes it, which fails again on a full disk: that error is moot, the file goes."""
        for writer in self.writers.values():
            if writer is not None:
                try:
                    writer.close()
                except (OSError, pa.ArrowException):
                    writer.is_open = False  # closed as far as it can be: its __del__ must not retry
        self.writers = dict.fromkeys(self.writers)
        for tmp in self.temps.values():
            tmp.unlink(missing_ok=True)

    def __enter__(self) -> TableWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if any(w is not None for w in self.writers.values()):
            self.abort()


def write_tables(
    docs: Iterable[Document], out_dir: Path, alignments: Iterable[Alignment] = (), run_id: str | None = None
) -> dict[str, Path]:
    """Write the three tables for `docs` (sorted by doc_id) and `alignments` at once."""
    with TableWriter(out_dir, run_id) as writer:
        for doc in sorted(docs, key=lambda d: d.doc_id):
            writer.add_document(doc)
        writer.add_links(alignments)
        return writer.commit()
