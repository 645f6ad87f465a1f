"""Write the output tables: records -> Arrow -> Parquet, atomically.

Every table is first written to a temporary file in the output folder and fsynced; only
when all tables of the run are complete are they renamed over the previous ones
(`os.replace`, atomic on POSIX). A reader therefore sees either the previous run's
tables or this run's, never a half-written file. Clause rows are streamed in row
groups, so memory does not grow with the number of documents.
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from stages.records import Alignment, Document, as_row
from stages.schema import ALIGNMENTS, CLAUSES, DOCUMENTS

LOCK_FILE = ".lexnorm.lock"
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


def clean_stale_temps(out_dir: Path) -> list[Path]:
    """Remove temporary table files left by a run that was killed (call under the lock)."""
    removed = []
    for tmp in Path(out_dir).glob(".*.parquet.*.tmp"):
        tmp.unlink(missing_ok=True)
        removed.append(tmp)
    return removed


class OutputLocked(RuntimeError):
    """Another run is writing to the same output folder."""


_locks: dict[Path, tuple[int, int, int]] = {}  # lock path -> (fd, owning thread, depth)
_locks_guard = threading.Lock()


@contextmanager
def output_lock(out_dir: Path) -> Iterator[None]:
    """Hold the output folder for one run: a second run (another process, or another
    thread) fails at once with OutputLocked instead of interleaving its writes. The lock
    is the kernel's (flock): it is released if the holder dies, so it never goes stale."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = (out_dir / LOCK_FILE).resolve()
    me = threading.get_ident()
    with _locks_guard:
        held = _locks.get(path)
        if held is not None:
            fd, owner, depth = held
            if owner != me:
                raise OutputLocked(f"another lexnorm run in this process is writing to {out_dir}")
            _locks[path] = (fd, owner, depth + 1)
        else:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.pread(fd, 200, 0).decode(errors="replace").strip() or "unknown"
                os.close(fd)
                raise OutputLocked(
                    f"another lexnorm run ({holder}) is writing to {out_dir}; wait for it to finish or use another --out"
                ) from None
            os.ftruncate(fd, 0)
            os.pwrite(fd, f"pid {os.getpid()}, started {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC".encode(), 0)
            _locks[path] = (fd, me, 1)
    try:
        yield
    finally:
        with _locks_guard:
            fd, owner, depth = _locks[path]
            if depth > 1:
                _locks[path] = (fd, owner, depth - 1)
            else:
                del _locks[path]
                fcntl.flock(fd, fcntl.LOCK_UN)
                os.close(fd)


def _with_run(schema: pa.Schema, run_id: str) -> pa.Schema:
    """The table's schema stamped with the run that wrote it (the same in all three tables)."""
    return schema.with_metadata({**(schema.metadata or {}), b"lexnorm.run_id": run_id.encode()})


def _write_clauses(docs: list[Document], path: Path, schema: pa.Schema) -> None:
    with pq.ParquetWriter(path, schema, compression=COMPRESSION) as writer:
        batch: list[dict] = []
        for doc in docs:
            batch.extend(as_row(c) for c in doc.clauses)
            if len(batch) >= ROW_GROUP_ROWS:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                batch = []
        if batch or not docs:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))


def alignments_table(links: Iterable[Alignment]) -> pa.Table:
    return pa.Table.from_pylist([as_row(a) for a in links], schema=ALIGNMENTS)


def write_tables(
    docs: Iterable[Document], out_dir: Path, alignments: Iterable[Alignment] = (), run_id: str | None = None
) -> dict[str, Path]:
    """Write clauses, documents and alignments tables for `docs` (sorted by doc_id).

    All three are written to temporary files and fsynced first; only then are they renamed
    over the previous tables, so a reader (or a run killed at any moment) sees complete
    tables. Each carries `lexnorm.run_id` in its metadata to tell which run wrote it."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    run_id = run_id or datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%fZ")
    ordered = sorted(docs, key=lambda d: d.doc_id)
    temps: dict[str, Path] = {}
    try:
        temps["clauses"] = _temp_path(out_dir, "clauses")
        _write_clauses(ordered, temps["clauses"], _with_run(CLAUSES, run_id))
        temps["documents"] = _temp_path(out_dir, "documents")
        documents = documents_table(ordered).cast(_with_run(DOCUMENTS, run_id))
        pq.write_table(documents, temps["documents"], compression=COMPRESSION)
        temps["alignments"] = _temp_path(out_dir, "alignments")
        links = alignments_table(alignments).cast(_with_run(ALIGNMENTS, run_id))
        pq.write_table(links, temps["alignments"], compression=COMPRESSION)
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
