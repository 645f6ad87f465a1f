"""Typed records that flow between the stages.

Each stage is a function from records to records; the flows only wire them. Field names
match the Parquet columns one to one (see `lexnorm.output.schema`), so a record becomes a row
without any renaming.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from typing import Any, Literal

Status = Literal["ok", "rejected", "skipped"]  # skipped: in the input folder, not a kind of file lexnorm reads


@dataclass(frozen=True, slots=True)
class Clause:
    """One numbered (or bulleted) unit of an agreement; ids per docs/clause-ids.md."""

    doc_id: str
    clause_id: str
    parent_id: str | None
    level: int
    seq: int
    label: str | None
    number_inferred: bool
    heading: str | None
    text: str
    lang: str | None
    char_start: int
    char_end: int
    tokens: tuple[str, ...] = ()
    text_en: str | None = None
    translation_engine: str | None = None
    anomalies: tuple[str, ...] = ()
    sentences: tuple[str, ...] = ()
    sentences_en: tuple[str, ...] | None = None
    translation_scores: tuple[float, ...] | None = None
    topics: tuple[str, ...] = ()
    topic_scores: tuple[float, ...] = ()


@dataclass(frozen=True, slots=True)
class Document:
    """One input file, accepted (`status == "ok"`) or not, with its clauses once parsed.

    `text` is the decoded text (BOM removed, line endings normalised to LF, Unicode NFC):
    the reference that every clause's `char_start`/`char_end` points into.
    """

    doc_id: str
    source_path: str
    sha256: str
    size_bytes: int
    encoding: str | None
    status: Status
    error: str | None
    pipeline_version: str
    processed_at: datetime
    text: str = ""
    lang: str | None = None
    lang_confidence: float | None = None
    warnings: tuple[str, ...] = ()
    clauses: tuple[Clause, ...] = field(default=(), repr=False)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def n_clauses(self) -> int:
        return len(self.clauses)


@dataclass(frozen=True, slots=True)
class Alignment:
    """A link between two clauses (or sentences or paragraphs of them); see alignments.parquet."""

    kind: str  # translation | parallel | topic
    left_doc: str
    left_clause: str | None
    right_doc: str
    right_clause: str | None
    score: float
    method: str
    detail: str  # JSON: what was compared and what was found


def as_row(record: Any, exclude: frozenset[str] = frozenset()) -> dict[str, Any]:
    """A record as a plain dict (tuples become lists), for building Arrow tables."""
    row = {}
    for f in fields(record):
        if f.name in exclude:
            continue
        value = getattr(record, f.name)
        row[f.name] = list(value) if isinstance(value, tuple) else value
    return row
