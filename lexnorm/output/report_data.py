"""The report's data: which rows of the tables the HTML report shows, read from Parquet.

A large run has hundreds of thousands of clauses and links, and the report shows a few
thousand of them (`report.MAX_TREE_CLAUSES`). `select_rows` chooses them on the Arrow
columns before any row becomes a Python object, and `load` reads the texts of those rows
only, one record batch at a time, so memory follows the page, not the run. The counts of
the page's header (`Totals`) are taken over the whole tables here, since the rendering sees
only the selection. `rows` turns a table into the plain dicts the rendering consumes.

Nothing here knows HTML; `lexnorm/output/report.py` renders what this module reads.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from lexnorm.output.summary import AnomalyCount

RUN_ID_KEY = b"lexnorm.run_id"

CLAUSE_COLUMNS = (
    "doc_id", "clause_id", "parent_id", "level", "seq", "label", "number_inferred", "heading", "text", "lang",
    "text_en", "translation_engine", "anomalies", "translation_scores", "topics", "topic_scores", "page_start",
    "page_end",
)  # fmt: skip
DOCUMENT_COLUMNS = (
    "doc_id", "source_path", "encoding", "lang", "lang_confidence", "n_clauses", "status", "error",
    "pipeline_version", "warnings",
)  # fmt: skip
ALIGNMENT_COLUMNS = ("kind", "left_doc", "left_clause", "right_doc", "right_clause", "score", "method", "detail")
_SELECTION_COLUMNS = ("doc_id", "clause_id", "anomalies", "topics", "topic_scores", "translation_engine")


@dataclass(frozen=True, slots=True)
class Totals:
    """Counts over the whole tables, for a report rendered from a selection of their rows."""

    clauses: int
    anomalies: AnomalyCount
    links: dict[str, int]  # rows per kind of the whole alignments table
    topic_counts: dict[str, Counter] | None = None  # topic -> doc_id -> clauses; None: count the rows given


@dataclass(frozen=True, slots=True)
class ReportTables:
    """What the report of one output folder is rendered from."""

    clauses: pa.Table  # the rows the report shows (all of them for a small run)
    documents: pa.Table
    parallel: pa.Table  # the `parallel` links (the only kind the page lists one by one)
    run_id: str | None
    totals: Totals


def rows(table: pa.Table, columns: Iterable[str]) -> list[dict]:
    """The table's rows as dicts over `columns` (missing columns read as None)."""
    present = [c for c in columns if c in table.column_names]
    found = table.select(present).to_pylist()
    missing = [c for c in columns if c not in table.column_names]
    for row in found:
        for c in missing:
            row[c] = None
    return found


def select(clauses: pa.Table, parallel: pa.Table, links: dict[str, int], tree_clauses: int) -> tuple[pa.Table, Totals]:
    """`clauses` reduced to the rows the report shows (see `select_rows`), and the totals."""
    picked, totals = select_rows(clauses, parallel, links, tree_clauses)
    return (clauses if picked is None else clauses.take(picked)), totals


def select_rows(
    clauses: pa.Table, parallel: pa.Table, links: dict[str, int], tree_clauses: int
) -> tuple[list[int] | None, Totals]:
    """The rows the report can show (None: all), chosen on the Arrow tables before any row
    becomes a Python object: the clauses of the trees shown in full (documents in order
    while `tree_clauses` lasts), anomalous clauses, each document's strongest clauses per
    topic, a clause per translation engine of each document, clauses in the `parallel`
    links. Plus the counts over everything, for the header (`links`: rows per kind of the
    whole alignments table)."""
    n_anomalies = pc.fill_null(pc.list_value_length(clauses["anomalies"]), 0)
    found = AnomalyCount(  # count_anomalies, in Arrow
        int(pc.sum(n_anomalies).as_py() or 0), int(pc.sum(pc.greater(n_anomalies, 0)).as_py() or 0)
    )
    if clauses.num_rows <= tree_clauses:
        return None, Totals(clauses.num_rows, found, links)
    doc_ids = clauses["doc_id"].to_pylist()
    keep = set()
    budget, counts = tree_clauses, Counter(doc_ids)
    for doc_id in sorted(counts):  # the trees shown in full: documents in order while the budget lasts
        if counts[doc_id] > budget:
            break
        budget -= counts[doc_id]
        keep.add(doc_id)
    picked = {i for i, d in enumerate(doc_ids) if d in keep}
    picked.update(i for i, n in enumerate(n_anomalies.to_pylist()) if n)
    # per (document, topic): the clauses with the highest score (ties all kept), in Arrow
    parents = pc.list_parent_indices(clauses["topics"])
    mentions = pa.table({
        "row": parents, "doc": pc.take(clauses["doc_id"], parents),
        "topic": pc.list_flatten(clauses["topics"]), "score": pc.list_flatten(clauses["topic_scores"]),
    })  # fmt: skip
    top = mentions.group_by(["doc", "topic"]).aggregate([("score", "max"), ("row", "count")])
    topic_counts: dict[str, Counter] = defaultdict(Counter)
    for r in top.select(["doc", "topic", "row_count"]).to_pylist():
        topic_counts[r["topic"]][r["doc"]] = r["row_count"]
    joined = mentions.join(top.select(["doc", "topic", "score_max"]), ["doc", "topic"])
    picked.update(joined.filter(pc.equal(joined["score"], joined["score_max"]))["row"].to_pylist())
    engines = clauses["translation_engine"].to_pylist()  # each document's engines, for its summary line
    picked.update({(doc_ids[i], e): i for i, e in reversed(list(enumerate(engines))) if e}.values())
    paired = {(r["left_doc"], r["left_clause"]) for r in parallel.select(["left_doc", "left_clause"]).to_pylist()}
    paired |= {(r["right_doc"], r["right_clause"]) for r in parallel.select(["right_doc", "right_clause"]).to_pylist()}
    if paired:
        picked.update(i for i, c in enumerate(clauses["clause_id"].to_pylist()) if (doc_ids[i], c) in paired)
    return sorted(picked), Totals(clauses.num_rows, found, links, topic_counts)


def load(out_dir: Path, tree_clauses: int) -> ReportTables:
    """The tables in `out_dir` as the report needs them: the clauses chosen from the small
    columns first (`select_rows`), then the texts of those rows only."""
    out_dir = Path(out_dir)
    clauses_path = out_dir / "clauses.parquet"
    documents = _read(out_dir / "documents.parquet", DOCUMENT_COLUMNS)
    links_path = out_dir / "alignments.parquet"
    counts = pc.value_counts(pq.read_table(links_path, columns=["kind"])["kind"]).to_pylist()
    links = {c["values"]: c["counts"] for c in counts}
    parallel = pq.read_table(links_path, columns=list(ALIGNMENT_COLUMNS), filters=[("kind", "=", "parallel")])
    picked, totals = select_rows(_read(clauses_path, _SELECTION_COLUMNS), parallel, links, tree_clauses)
    clauses = _read(clauses_path, CLAUSE_COLUMNS) if picked is None else _read_rows(clauses_path, CLAUSE_COLUMNS, picked)
    return ReportTables(clauses, documents, parallel, _run_id(clauses, documents, parallel), totals)


def _run_id(*tables: pa.Table) -> str | None:
    for table in tables:
        value = (table.schema.metadata or {}).get(RUN_ID_KEY)
        if value:
            return value.decode()
    return None


def _read(path: Path, columns: Iterable[str]) -> pa.Table:
    names = set(pq.read_schema(path).names)
    return pq.read_table(path, columns=[c for c in columns if c in names])


def _read_rows(path: Path, columns: Iterable[str], picked: list[int]) -> pa.Table:
    """Only the rows `picked` (sorted indices) of a Parquet file, one record batch at a time."""
    parquet = pq.ParquetFile(path)
    names = [c for c in columns if c in parquet.schema_arrow.names]
    batches, offset, k = [], 0, 0
    for batch in parquet.iter_batches(columns=names, batch_size=16_384):
        end, start = offset + batch.num_rows, k
        while k < len(picked) and picked[k] < end:
            k += 1
        if k > start:
            batches.append(batch.take(pa.array([r - offset for r in picked[start:k]], type=pa.int64())))
        offset = end
    return pa.Table.from_batches(batches, schema=parquet.schema_arrow.select(names) if not batches else None)
