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
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from stages.records import Alignment, Document, as_row
from stages.schema import ALIGNMENTS, CLAUSES, DOCUMENTS

ROW_GROUP_ROWS = 64_000
COMPRESSION = "zstd"
_DOCUMENT_ONLY = frozenset({"clauses"})


def document_row(doc: Document) -> dict:
    row = as_row(doc, exclude=_DOCUMENT_ONLY)
    row["n_clauses"] = doc.n_clauses
    return row


def documents_table(docs: Iterable[Document]) -> pa.Table:
    return pa.Table.from_pylist([document_row(d) for d in docs], schema=DOCUMENTS)


def clauses_table(docs: Iterable[Document]) -> pa.Table:
    return pa.Table.from_pylist([as_row(c) for d in docs for c in d.clauses], schema=CLAUSES)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _temp_path(out_dir: Path, name: str) -> Path:
    return out_dir / f".{name}.parquet.{os.getpid()}.tmp"


def _write_clauses(docs: list[Document], path: Path) -> None:
    with pq.ParquetWriter(path, CLAUSES, compression=COMPRESSION) as writer:
        batch: list[dict] = []
        for doc in docs:
            batch.extend(as_row(c) for c in doc.clauses)
            if len(batch) >= ROW_GROUP_ROWS:
                writer.write_table(pa.Table.from_pylist(batch, schema=CLAUSES))
                batch = []
        if batch or not docs:
            writer.write_table(pa.Table.from_pylist(batch, schema=CLAUSES))


def alignments_table(links: Iterable[Alignment]) -> pa.Table:
    return pa.Table.from_pylist([as_row(a) for a in links], schema=ALIGNMENTS)


def write_tables(docs: Iterable[Document], out_dir: Path, alignments: Iterable[Alignment] = ()) -> dict[str, Path]:
    """Write clauses, documents and alignments tables for `docs` (sorted by doc_id)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    ordered = sorted(docs, key=lambda d: d.doc_id)
    temps: dict[str, Path] = {}
    try:
        temps["clauses"] = _temp_path(out_dir, "clauses")
        _write_clauses(ordered, temps["clauses"])
        temps["documents"] = _temp_path(out_dir, "documents")
        pq.write_table(documents_table(ordered), temps["documents"], compression=COMPRESSION)
        temps["alignments"] = _temp_path(out_dir, "alignments")
        pq.write_table(alignments_table(alignments), temps["alignments"], compression=COMPRESSION)
        for tmp in temps.values():
            _fsync(tmp)
        final = {name: out_dir / f"{name}.parquet" for name in temps}
        for name, tmp in temps.items():
            os.replace(tmp, final[name])
        _fsync(out_dir)
        return final
    finally:
        for tmp in temps.values():
            tmp.unlink(missing_ok=True)
