"""Typed records that flow between the stages.

Each stage is a function from records to records; the flows only wire them. Field names
match the Parquet columns one to one (see `lexnorm.output.schema`), so a record becomes a row
without any renaming.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import datetime
from functools import cache
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
    page_start: int | None = None  # 1-based page of char_start, for formats with pages (PDF)
    page_end: int | None = None  # ... and of the span's last character


@dataclass(frozen=True, slots=True)
class Document:
    """One input file, accepted (`status == "ok"`) or not, with its clauses once parsed.

    `text` is the decoded text (BOM removed, line endings normalised to LF, Unicode NFC), or
    for a PDF, Word or HTML file the text its reader extracted (`stages.formats`): the
    reference that every clause's `char_start`/`char_end` points into. `furniture` and
    `joins` are what the reader knows about its layout (page furniture, line breaks that only
    wrap a paragraph), for the parser's view of the text; they are not written to the tables.
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
    format: str | None = None  # text, markdown, pdf, docx, html
    page_count: int | None = None
    page_starts: tuple[int, ...] | None = None  # offset in `text` where each page begins
    furniture: tuple[tuple[int, int], ...] = field(default=(), repr=False)
    joins: tuple[int, ...] = field(default=(), repr=False)
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
    for name in _field_names(type(record)):
        if name in exclude:
            continue
        value = getattr(record, name)
        row[name] = list(value) if isinstance(value, tuple) else value
    return row


@cache
def _field_names(kind: type) -> tuple[str, ...]:
    """A record type's field names: `fields()` builds them anew on every call, a third
    of the time of writing a clause's row."""
    return tuple(f.name for f in fields(kind))
