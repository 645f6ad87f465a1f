"""The one place that defines lexnorm's output tables (the project brief's spec/tables.md,
plus the columns lexnorm adds). docs/tables.md is generated from here.

Every column carries a description in the Parquet field metadata (key `description`), read
with pyarrow (`schema.field(name).metadata`), and in a file-level key per column
(`lexnorm.column.<name>`), read with DuckDB's `parquet_kv_metadata`.
"""

from __future__ import annotations

import pyarrow as pa

DESCRIPTION = b"description"


def _col(name: str, type_: pa.DataType, description: str, nullable: bool = True) -> pa.Field:
    return pa.field(name, type_, nullable=nullable, metadata={DESCRIPTION: description.encode()})


def _schema(name: str, description: str, columns: list[pa.Field]) -> pa.Schema:
    return pa.schema(columns, metadata={b"lexnorm.table": name.encode(), DESCRIPTION: description.encode()})


DOC_ID = (
    "The source file name without extension; for a skipped file, or a second file whose name differs only in "
    "case or extension, the whole file name. Bytes of a name that are not UTF-8 are escaped (`caf\\xe9`)."
)

CLAUSES = _schema(
    "clauses",
    "One row per clause, in document order.",
    [
        _col("doc_id", pa.string(), DOC_ID, nullable=False),
        _col("clause_id", pa.string(), "Stable clause id (`3.1.7(1)`, `art12(3)`, `book3.ch2`; docs/clause-ids.md); unique per doc_id.", nullable=False),
        _col("parent_id", pa.string(), "clause_id of the parent clause; null at top level."),
        _col("level", pa.int16(), "Depth in the clause tree: 0 preamble, 1 top level, ...", nullable=False),
        _col("seq", pa.int32(), "Position in the document, 0-based.", nullable=False),
        _col("label", pa.string(), "The label exactly as printed (`7.5,`, `- (1)`, `第十二条`, `•`); null if none."),
        _col("number_inferred", pa.bool_(), "True where the id was inferred (rules R4, R5 of docs/clause-ids.md).", nullable=False),
        _col("heading", pa.string(), "Heading words of the clause, if any."),
        _col(
            "text",
            pa.string(),
            "The clause's own text in the original language, without its label and its children "
            "(white space within a line collapsed).",
            nullable=False,
        ),
        _col("lang", pa.string(), "ISO 639-1 language of this clause (zh, en, ...)."),
        _col(
            "char_start",
            pa.int64(),
            "Start of the clause's span (label included, children excluded) in documents.text.",
            nullable=False,
        ),
        _col("char_end", pa.int64(), "End (exclusive) of the clause's span in documents.text.", nullable=False),
        _col("tokens", pa.list_(pa.string()), "Word tokens (jieba for Chinese)."),
        _col("text_en", pa.string(), "English text: the original for English clauses, the translation otherwise."),
        _col(
            "translation_engine",
            pa.string(),
            "What produced text_en for non-English clauses (model name and version, or gloss).",
        ),
        _col(
            "anomalies",
            pa.list_(pa.string()),
            "Numbering, parsing and translation-quality anomalies found at this clause, each `code: explanation`.",
        ),
        _col("sentences", pa.list_(pa.string()), "The clause's text split into sentences (the unit of translation)."),
        _col(
            "sentences_en",
            pa.list_(pa.string()),
            "English for each of `sentences`, same length and order; null for English clauses.",
        ),
        _col(
            "translation_scores",
            pa.list_(pa.float64()),
            "Confidence of each English sentence, 0..1: the model's mean token probability for Argos "
            "translations, the share of words found in the dictionaries for a gloss; null for English clauses.",
        ),
        _col("topics", pa.list_(pa.string()), "Clause topics from lexnorm's taxonomy (governing_law, minors, ...)."),
        _col(
            "topic_scores",
            pa.list_(pa.float64()),
            "Score of each of `topics` (same order): pattern weights found, heading matches doubled; higher is stronger.",
        ),
        _col("page_start", pa.int32(), "Page (1-based) where the clause's span begins, for documents with pages (PDF); null otherwise."),
        _col("page_end", pa.int32(), "Page (1-based) of the last character of the clause's span; null for documents without pages."),
    ],
)

DOCUMENTS = _schema(
    "documents",
    "One row per input file, accepted or not.",
    [
        _col("doc_id", pa.string(), DOC_ID, nullable=False),
        _col("source_path", pa.string(), "Path of the input file as given to the run.", nullable=False),
        _col("sha256", pa.string(), "SHA-256 of the file's bytes (empty when unreadable).", nullable=False),
        _col("size_bytes", pa.int64(), "Size of the file in bytes.", nullable=False),
        _col("encoding", pa.string(), "Detected text encoding (utf-8, utf-8-sig, utf-16, gb18030, ...)."),
        _col("lang", pa.string(), "ISO 639-1 language of the document (langdetect, fixed seed)."),
        _col("lang_confidence", pa.float64(), "langdetect's probability for `lang`, 0..1."),
        _col("n_clauses", pa.int32(), "Number of clauses (rows in clauses.parquet), preamble included.", nullable=False),
        _col("status", pa.string(), "`ok`; `rejected` (could not be taken in); `skipped` (in the input folder but not a kind of file lexnorm reads, e.g. a .doc or an image: listed, not processed).", nullable=False),
        _col("error", pa.string(), "Why the document was rejected or skipped, in words; null when ok."),
        _col("pipeline_version", pa.string(), "lexnorm version that produced the row.", nullable=False),
        _col("processed_at", pa.timestamp("us", tz="UTC"), "When the document was read.", nullable=False),
        _col(
            "warnings",
            pa.list_(pa.string()),
            "Things an analyst should know about an accepted document (e.g. no numbering found).",
        ),
        _col(
            "text",
            pa.large_string(),
            "The decoded text (BOM removed, LF line endings, Unicode NFC), or the text read from a PDF, Word or HTML "
            "file (page furniture included, pages separated by a line break): what char_start/char_end index.",
            nullable=False,
        ),
        _col("format", pa.string(), "What the file was read as: `text`, `markdown`, `pdf`, `docx` or `html`; null when not read."),
        _col("page_count", pa.int32(), "Number of pages (PDF); null for formats without pages."),
        _col(
            "page_starts",
            pa.list_(pa.int64()),
            "Offset in `text` where each page begins (page k starts at page_starts[k-1]); null for formats without pages.",
        ),
    ],
)

ALIGNMENTS = _schema(
    "alignments",
    "One row per link between clauses: a clause and its English (translation), two language "
    "versions of one agreement (parallel), the same kind of clause across agreements (topic).",
    [
        _col("kind", pa.string(), "`translation`, `parallel` or `topic`.", nullable=False),
        _col("left_doc", pa.string(), "doc_id of the left side.", nullable=False),
        _col("left_clause", pa.string(), "clause_id on the left; null for a right clause with no counterpart."),
        _col("right_doc", pa.string(), "doc_id of the right side.", nullable=False),
        _col("right_clause", pa.string(), "clause_id on the right; null for a left clause with no counterpart."),
        _col("score", pa.float64(), "Confidence of the link, 0..1.", nullable=False),
        _col(
            "method",
            pa.string(),
            "How the link was made: the translation engine; `id`, `position` or `unmatched` for parallel "
            "clauses; `topic-keywords` for topics.",
            nullable=False,
        ),
        _col(
            "detail",
            pa.string(),
            "JSON with the evidence: level (clause, sentence, paragraph), sentence or paragraph indices, "
            "compared numbers and terms, topic and matched words, low_confidence.",
            nullable=False,
        ),
    ],
)

TABLES: dict[str, pa.Schema] = {"clauses": CLAUSES, "documents": DOCUMENTS, "alignments": ALIGNMENTS}


def describe(schema: pa.Schema) -> dict[str, str]:
    """Column name -> description, for docs and notebooks."""
    return {f.name: (f.metadata or {}).get(DESCRIPTION, b"").decode() for f in schema}


# ------------------------------------------------------------------ column descriptions for readers and docs

COLUMN_KEY = "lexnorm.column."  # file-level key per column: lexnorm.column.<name> = description


def column_metadata(schema: pa.Schema) -> dict[bytes, bytes]:
    """One file-level key/value per column (`lexnorm.column.<name>` -> description).

    pyarrow keeps field metadata only inside the serialized Arrow schema (`ARROW:schema`), which
    DuckDB does not decode; these keys make the descriptions visible to `parquet_kv_metadata`."""
    return {(COLUMN_KEY + name).encode(): text.encode() for name, text in describe(schema).items()}


def type_name(type_: pa.DataType) -> str:
    """A readable type: `list<string>` instead of `list<item: string>`."""
    if pa.types.is_list(type_) or pa.types.is_large_list(type_):
        return f"list<{type_name(type_.value_type)}>"
    return str(type_)


def _cell(text: str) -> str:
    """Text for a Markdown table cell: one line, `|` escaped, `<`/`>` escaped outside code spans."""
    parts = " ".join(text.split()).replace("|", "\\|").split("`")
    return "`".join(p if i % 2 else p.replace("<", "&lt;").replace(">", "&gt;") for i, p in enumerate(parts))


REGENERATE = ".venv/bin/python -m lexnorm.output.schema > docs/tables.md"


def markdown() -> str:
    """docs/tables.md: every table and column with its type, nullability and description."""
    lines = [
        "# lexnorm's tables",
        "",
        f"*Generated from `lexnorm/output/schema.py`: do not edit; regenerate with `{REGENERATE}`"
        " (a test checks it is current).*",
        "",
        "Every Parquet file lexnorm writes carries these descriptions: in each field's metadata (pyarrow:",
        "`pq.read_schema(path).field(name).metadata[b'description']`) and as file-level keys",
        f"`{COLUMN_KEY}<name>` (DuckDB: `select decode(key), decode(value) from parquet_kv_metadata(path)",
        f"where decode(key) like '{COLUMN_KEY}%'`). The table's own description is the file-level key `description`.",
    ]
    for name, schema in TABLES.items():
        lines += ["", f"## {name}.parquet", "", _cell((schema.metadata or {}).get(DESCRIPTION, b"").decode()), ""]
        lines += ["| column | type | nullable | description |", "|---|---|---|---|"]
        descriptions = describe(schema)
        for field in schema:
            type_, nullable = _cell(type_name(field.type)), "yes" if field.nullable else "no"
            lines.append(f"| {field.name} | {type_} | {nullable} | {_cell(descriptions[field.name])} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    import sys

    sys.stdout.reconfigure(encoding="utf-8")  # descriptions hold Chinese examples, whatever the locale
    sys.stdout.write(markdown())
