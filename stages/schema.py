"""The one place that defines lexnorm's output tables (spec/tables.md).

Every column carries a description in the Parquet field metadata (key `description`), so
analysts can read it from pyarrow (`schema.field(name).metadata`) or DuckDB
(`parquet_kv_metadata`, `parquet_schema`).
"""

from __future__ import annotations

import pyarrow as pa

DESCRIPTION = b"description"


def _col(name: str, type_: pa.DataType, description: str, nullable: bool = True) -> pa.Field:
    return pa.field(name, type_, nullable=nullable, metadata={DESCRIPTION: description.encode()})


def _schema(name: str, description: str, columns: list[pa.Field]) -> pa.Schema:
    return pa.schema(columns, metadata={b"lexnorm.table": name.encode(), DESCRIPTION: description.encode()})


CLAUSES = _schema(
    "clauses",
    "One row per clause, in document order.",
    [
        _col("doc_id", pa.string(), "The source file name without extension.", nullable=False),
        _col("clause_id", pa.string(), "Clause id per spec/clause-ids.md; unique per doc_id.", nullable=False),
        _col("parent_id", pa.string(), "clause_id of the parent clause; null at top level."),
        _col("level", pa.int16(), "Depth in the clause tree: 0 preamble, 1 top level, ...", nullable=False),
        _col("seq", pa.int32(), "Position in the document, 0-based.", nullable=False),
        _col("label", pa.string(), "The label exactly as printed (`7.5,`, `- (1)`, `第十二条`, `•`); null if none."),
        _col("number_inferred", pa.bool_(), "True where the id was inferred (rules R4, R5).", nullable=False),
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
    ],
)

DOCUMENTS = _schema(
    "documents",
    "One row per input file, accepted or not.",
    [
        _col("doc_id", pa.string(), "The source file name without extension.", nullable=False),
        _col("source_path", pa.string(), "Path of the input file as given to the run.", nullable=False),
        _col("sha256", pa.string(), "SHA-256 of the file's bytes (empty when unreadable).", nullable=False),
        _col("size_bytes", pa.int64(), "Size of the file in bytes.", nullable=False),
        _col("encoding", pa.string(), "Detected text encoding (utf-8, utf-8-sig, utf-16, gb18030, ...)."),
        _col("lang", pa.string(), "ISO 639-1 language of the document (langdetect, fixed seed)."),
        _col("lang_confidence", pa.float64(), "langdetect's probability for `lang`, 0..1."),
        _col("n_clauses", pa.int32(), "Number of clauses (rows in clauses.parquet), preamble included.", nullable=False),
        _col("status", pa.string(), "`ok` or `rejected`.", nullable=False),
        _col("error", pa.string(), "Why the document was rejected, in words; null when ok."),
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
            "The decoded text (BOM removed, LF line endings, Unicode NFC): what char_start/char_end index.",
            nullable=False,
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
