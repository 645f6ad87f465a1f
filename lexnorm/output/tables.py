"""Write the output tables: records -> Arrow -> Parquet, atomically.

Every table is first written to a temporary file in the output folder and fsynced; only
when all tables of the run are complete are they renamed over the previous ones
(`os.replace`, atomic on POSIX). A reader therefore sees either the previous run's
tables or this run's, never a half-written file. Clause rows are streamed in row
groups, so memory does not grow with the number of documents.
"""

from __future__ import annotations

import os
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from lexnorm.atomic import fsync_path, temp_path
from stages.records import Alignment, Document, as_row
from lexnorm.output.schema import ALIGNMENTS, CLAUSES, DOCUMENTS, column_metadata

TABLE_NAMES = ("clauses", "documents", "alignments")
ROW_GROUP_ROWS = 64_000
ROW_GROUP_CHARS = 2_000_000  # clause text per row group: memory stays bounded, groups stay large enough to scan fast
COMPRESSION = "zstd"
_GROUP_ROWS = {"clauses": ROW_GROUP_ROWS, "documents": 1024, "alignments": 16_384}  # links: many small rows
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
    renames them over the previous tables. Documents must come in doc_id order: made this
    run (`add_document`), or an unchanged document's rows as the last run wrote them
    (`add_rows`, from `PreviousTables`)."""

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
        self.buffers: dict[str, list[dict]] = {name: [] for name in self.schemas}  # rows not yet in Arrow
        self.chunks: dict[str, list[pa.Table]] = {name: [] for name in self.schemas}  # in Arrow, not yet written
        self.pending = {name: [0, 0] for name in self.schemas}  # rows and text characters not yet written
        self.last_doc_id: str | None = None

    def _seal(self, name: str) -> None:
        """The buffered rows as an Arrow chunk (before rows that come as Arrow already)."""
        if self.buffers[name]:
            self.chunks[name].append(pa.Table.from_pylist(self.buffers[name], schema=self.schemas[name]))
            self.buffers[name] = []

    def _flush(self, name: str) -> None:
        self._seal(name)
        if self.chunks[name]:
            self.writers[name].write_table(pa.concat_tables(self.chunks[name]))
            self.chunks[name] = []
        self.pending[name] = [0, 0]

    def _grew(self, name: str, rows: int, chars: int) -> None:
        """Flush a table's rows once they make a row group: by count, and by the size of
        the texts they carry (a clause row holds texts, tokens and sentences; a documents
        row its whole text), so memory stays bounded."""
        pending = self.pending[name]
        pending[0] += rows
        pending[1] += chars
        if pending[0] >= _GROUP_ROWS[name] or pending[1] >= ROW_GROUP_CHARS:
            self._flush(name)

    def _add(self, name: str, rows: Iterable[dict], chars: int = 0) -> None:
        """Buffer `rows` (of one document, or a run's links: 100,000s), taken no further
        than the current row group's room at a time, so that no more than a row group
        of them is ever held as dicts; `chars` counts with the first."""
        rows = iter(rows)
        while True:
            chunk = list(islice(rows, max(1, _GROUP_ROWS[name] - self.pending[name][0])))
            self.buffers[name].extend(chunk)
            self._grew(name, len(chunk), chars)
            chars = 0
            if not chunk:
                return

    def _in_order(self, doc_id: str) -> None:
        if self.last_doc_id is not None and doc_id < self.last_doc_id:
            raise ValueError(f"documents must come in doc_id order: {doc_id} after {self.last_doc_id}")
        self.last_doc_id = doc_id

    def add_document(self, doc: Document) -> None:
        self._in_order(doc.doc_id)
        self._add("clauses", (as_row(c) for c in doc.clauses), len(doc.text))
        self._add("documents", [document_row(doc)], len(doc.text))

    def add_rows(self, rows: dict[str, pa.Table]) -> None:
        """One document's rows of each table as Arrow (its translation links for
        `alignments`), written as they are: an unchanged document's rows from the last run."""
        self._in_order(rows["documents"]["doc_id"][0].as_py())
        chars = pc.sum(pc.utf8_length(rows["documents"]["text"])).as_py() or 0
        for name, table in rows.items():
            if table.num_rows:
                self._seal(name)
                self.chunks[name].append(pa.Table.from_arrays(table.columns, schema=self.schemas[name]))
                self._grew(name, table.num_rows, chars if name != "alignments" else 0)

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


BATCH_ROWS = 4096  # rows of the last run's tables read at a time


class _Rows:
    """One of the last run's tables read forward, a batch at a time, by a sorted key:
    `take(doc_id)` skips the rows before `doc_id` (documents changed or gone) and returns
    its rows. For alignments only the translation links are keyed (they come first, in
    doc_id order); the links across documents after them are made again each run."""

    def __init__(self, file: pq.ParquetFile, translation_only: bool) -> None:
        self.batches = file.iter_batches(batch_size=BATCH_ROWS)
        self.schema = file.schema_arrow
        self.translation_only = translation_only
        self.batch: pa.RecordBatch | None = None
        self.keys: list[str] = []
        self.at = 0
        self.done = False

    def _next(self) -> None:
        batch = next(self.batches, None)
        if batch is None:
            self.done = True
            return
        if self.translation_only:
            kinds = batch.column("kind").to_pylist()
            leading = next((i for i, kind in enumerate(kinds) if kind != "translation"), len(kinds))
            self.done = leading < len(kinds)  # past the translation links
            keys = batch.column("left_doc").to_pylist()[:leading]
        else:
            keys = batch.column("doc_id").to_pylist()
        ordered = self.keys[-1:] + keys  # with the last batch's last key
        if any(a > b for a, b in zip(ordered, ordered[1:])):
            raise ValueError("the rows are not in doc_id order")
        self.batch, self.keys, self.at = batch, keys, 0

    def take(self, doc_id: str) -> pa.Table:
        parts = []
        while True:
            if self.at == len(self.keys):
                if self.done:
                    break
                self._next()
                continue
            start = bisect_left(self.keys, doc_id, self.at)
            end = bisect_right(self.keys, doc_id, start)
            if end > start:
                parts.append(self.batch.slice(start, end - start))
            self.at = end
            if end < len(self.keys):  # the next row is a later document's
                break
        return pa.Table.from_batches(parts, schema=self.schema)


class PreviousTables:
    """The tables the last run wrote, as a source of unchanged documents' rows: copying them
    costs a fraction of loading each document from the results store and writing it row by
    row again. Usable only when all three are there, readable, of this version's schema and
    stamped with `run_id` (the run the results store recorded last: its rows are those of
    the documents it recorded); once a read fails (a damaged file) `rows` gives None for
    every later document, which is then written from the results store."""

    def __init__(self, out_dir: Path, run_id: str | None) -> None:
        self.files: dict[str, pq.ParquetFile] = {}
        self.rows_of: dict[str, _Rows] = {}
        self.usable = False
        if not run_id:
            return
        schemas = {"clauses": CLAUSES, "documents": DOCUMENTS, "alignments": ALIGNMENTS}
        try:
            for name, schema in schemas.items():
                self.files[name] = file = pq.ParquetFile(Path(out_dir) / f"{name}.parquet")
                stamped = (file.schema_arrow.metadata or {}).get(b"lexnorm.run_id") == run_id.encode()
                if not stamped or not file.schema_arrow.equals(schema, check_metadata=False):
                    return self.close()
                self.rows_of[name] = _Rows(file, translation_only=name == "alignments")
        except (OSError, pa.ArrowException, ValueError):
            return self.close()
        self.usable = True

    def rows(self, doc_id: str, counts: dict[str, int], sha256: str) -> dict[str, pa.Table] | None:
        """The rows of `doc_id` in each table when they are what the caller expects (as many
        rows per table as `counts` says, one documents row of content `sha256`), else None.
        Calls come in doc_id order."""
        if not self.usable:
            return None
        try:
            found = {name: rows.take(doc_id) for name, rows in self.rows_of.items()}
        except (OSError, pa.ArrowException, ValueError):  # damaged past its footer: the store writes the rest
            self.close()
            return None
        if any(found[name].num_rows != n for name, n in counts.items()):
            return None
        return found if found["documents"]["sha256"][0].as_py() == sha256 else None

    def close(self) -> None:
        for file in self.files.values():
            file.close()
        self.files, self.rows_of, self.usable = {}, {}, False

    def __enter__(self) -> PreviousTables:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def write_tables(
    docs: Iterable[Document], out_dir: Path, alignments: Iterable[Alignment] = (), run_id: str | None = None
) -> dict[str, Path]:
    """Write the three tables for `docs` (sorted by doc_id) and `alignments` at once."""
    with TableWriter(out_dir, run_id) as writer:
        for doc in sorted(docs, key=lambda d: d.doc_id):
            writer.add_document(doc)
        writer.add_links(alignments)
        return writer.commit()
