"""What a run did, for people: a report per document, the run's totals, and two renderings
of them: the console table `lexnorm run` prints, and the Markdown published as the flow
run's Prefect artifact (the Prefect UI's Artifacts tab).

Every count a person reads is defined once, here, and the HTML report (lexnorm/output/report.py)
uses the same definitions and words, so the console, the artifact, the report and the
tables agree: `count_anomalies` (anomalies, and clauses with anomalies), `status_counts`
(documents per status: ok, rejected, skipped, ...), `pair_counts` (per pair of parallel
versions: clause pairs linked, clauses unmatched, low confidence, paragraph links).

RunResult is a plain class, not a dataclass: Prefect walks a flow's dataclass results field by field.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lexnorm import INSTALL_HINT
from stages.records import Alignment, Document, as_row

STATUS_ORDER = ("ok", "rejected", "skipped")  # documents.status; an unknown status is listed after these
STATUS_TITLES = {"rejected": "Rejected", "skipped": "Skipped (not read)"}


# ------------------------------------------------------------------ the counts, defined once


@dataclass(frozen=True)
class AnomalyCount:
    """Anomalies (each `code: explanation` entry counts) and the clauses that have any: one
    clause can have several, so the two differ and are always named apart."""

    anomalies: int
    clauses: int | None  # None: not known (a results store older than this count)

    def __str__(self) -> str:
        known = self.anomalies and self.clauses is not None
        return f"{self.anomalies} anomalies" + (f" (in {self.clauses} clauses)" if known else "")


def count_anomalies(anomaly_lists: Iterable[Sequence[str] | None]) -> AnomalyCount:
    """The anomalies of some clauses, given each clause's anomalies list (None: no list)."""
    anomalies = clauses = 0
    for found in anomaly_lists:
        anomalies += len(found or ())
        clauses += bool(found)
    return AnomalyCount(anomalies, clauses)


def status_counts(statuses: Iterable[str]) -> list[tuple[str, int]]:
    """(status, documents) in STATUS_ORDER, then any other status alphabetically; `ok` and
    `rejected` always (a 0 is news), other statuses when some document has them."""
    counts = Counter(statuses)
    known = [(s, counts[s]) for s in STATUS_ORDER if s in ("ok", "rejected") or counts[s]]
    return known + sorted((s, n) for s, n in counts.items() if s not in STATUS_ORDER)


def documents_line(counts: list[tuple[str, int]]) -> str:
    """`5 document(s) ok, 1 rejected, 2 skipped`."""
    return ", ".join(f"{n} document(s) {s}" if i == 0 else f"{n} {s}" for i, (s, n) in enumerate(counts))


@dataclass(frozen=True)
class PairCounts:
    """What the parallel links of one pair of language versions say. A clause pair is a
    clause of each version linked to each other; a clause of either version that found no
    counterpart is unmatched (its `parallel` row has one side empty, and is not a pair);
    paragraph links are the finer links inside a linked pair. Rows of `kind = parallel` =
    pairs + unmatched + paragraph links."""

    pairs: int = 0
    unmatched: int = 0
    low_confidence: int = 0
    paragraphs: int = 0

    def __str__(self) -> str:
        return (
            f"{self.pairs} clause pairs ({self.low_confidence} low confidence), "
            f"{self.unmatched} clauses unmatched, {self.paragraphs} paragraph links"
        )


def pair_counts(links: Iterable[Alignment | Mapping]) -> dict[tuple[str, str], PairCounts]:
    """(left_doc, right_doc) -> PairCounts, sorted, from `parallel` links (records, or rows
    of alignments.parquet as dicts; other kinds are ignored)."""
    per_pair: dict[tuple[str, str], Counter] = {}
    for link in links:
        row = link if isinstance(link, Mapping) else as_row(link)
        if row["kind"] != "parallel":
            continue
        try:
            detail = json.loads(row["detail"] or "{}")
        except ValueError:
            detail = {}
        detail = detail if isinstance(detail, dict) else {}
        counts = per_pair.setdefault((row["left_doc"], row["right_doc"]), Counter())
        if detail.get("level", "clause") != "clause":
            counts["paragraphs"] += 1
        elif row["method"] == "unmatched" or row["left_clause"] is None or row["right_clause"] is None:
            counts["unmatched"] += 1
        else:
            counts["pairs"] += 1
            counts["low_confidence"] += bool(detail.get("low_confidence"))
    return {pair: PairCounts(**counts) for pair, counts in sorted(per_pair.items())}


def read_pair_counts(path: Path) -> dict[tuple[str, str], PairCounts]:
    """`pair_counts` of the parallel rows of an alignments.parquet ({} if it cannot be read:
    a summary never fails a run)."""
    import pyarrow.parquet as pq  # only here: the rest of this module is plain Python

    columns = ["kind", "left_doc", "left_clause", "right_doc", "right_clause", "method", "detail"]
    try:
        table = pq.read_table(path, columns=columns, filters=[("kind", "=", "parallel")])
    except (OSError, ValueError, TypeError):  # missing, damaged, or lacking a column
        return {}
    return pair_counts(table.to_pylist())


# ------------------------------------------------------------------ a run's result


def read_as(doc: Document) -> str | None:
    """How a document was read, for the summary's `encoding` column: a text file's encoding
    (`utf-8`), else its format, with its pages or the encoding its page declared
    (`pdf, 16 pages`, `docx`, `html utf-8`)."""
    if doc.format in (None, "text", "markdown"):
        return doc.encoding
    if doc.page_count is not None:
        return f"{doc.format}, {doc.page_count} page{'s' if doc.page_count != 1 else ''}"
    return f"{doc.format} {doc.encoding}" if doc.encoding else doc.format


@dataclass(frozen=True)
class DocumentReport:
    """What the run summary says of one document (its clauses are in the tables)."""

    doc_id: str
    status: str
    error: str | None
    lang: str | None
    encoding: str | None
    n_clauses: int
    n_anomalies: int
    warnings: tuple[str, ...]
    engines: tuple[str, ...]
    state: str = "new"  # new / changed / unchanged (taken from the results store)
    n_flagged: int | None = None  # clauses with anomalies (None: from a results store older than this count)

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    @property
    def note(self) -> str:
        return self.error or "; ".join(self.warnings)

    def stored(self) -> dict:
        """As recorded in the results store's manifest (without `state`)."""
        return {
            "doc_id": self.doc_id, "status": self.status, "error": self.error, "lang": self.lang,
            "encoding": self.encoding, "n_clauses": self.n_clauses, "n_anomalies": self.n_anomalies,
            "warnings": list(self.warnings), "engines": list(self.engines), "n_flagged": self.n_flagged,
        }  # fmt: skip

    @classmethod
    def from_stored(cls, record: dict, state: str) -> DocumentReport:
        fields = {**record, "warnings": tuple(record.get("warnings", ())), "engines": tuple(record.get("engines", ()))}
        return cls(**fields, state=state)

    @classmethod
    def of(cls, doc: Document, state: str = "new") -> DocumentReport:
        found = count_anomalies(c.anomalies for c in doc.clauses)
        return cls(
            doc.doc_id, doc.status, doc.error, doc.lang, read_as(doc), doc.n_clauses, found.anomalies, doc.warnings,
            tuple(sorted({c.translation_engine for c in doc.clauses if c.translation_engine})), state, found.clauses,
        )  # fmt: skip


class RunResult:
    """What a run produced: a report per document, link counts, the files written,
    translation counts, seconds per stage, which documents were new, changed, unchanged,
    removed, and the run's wall time."""

    __slots__ = (
        "_pairs", "alignment_counts", "changes", "documents", "elapsed", "order", "outputs", "run_id", "seconds",
        "translation",
    )  # fmt: skip

    def __init__(
        self, documents, alignment_counts, outputs, translation, changes, seconds, elapsed=0.0, run_id=None, order=()
    ):  # fmt: skip
        self.documents: list[DocumentReport] = documents
        self.alignment_counts: dict[str, int] = alignment_counts
        self.outputs: dict[str, Path] = outputs
        self.translation: dict[str, int] = translation
        self.changes: dict[str, list[str]] = changes
        self.seconds: dict[str, float] = seconds
        self.elapsed: float = elapsed
        self.run_id: str | None = run_id
        self.order: tuple[str, ...] = tuple(order)  # the run's steps in order (the pipeline's stages among them)
        self._pairs: dict[tuple[str, str], PairCounts] | None = None

    @property
    def ok(self) -> list[DocumentReport]:
        return [d for d in self.documents if d.ok]

    @property
    def rejected(self) -> list[DocumentReport]:
        return self.with_status("rejected")

    @property
    def skipped(self) -> list[DocumentReport]:
        """Files of the input folder that were not read (e.g. a PDF), each with its reason."""
        return self.with_status("skipped")

    def with_status(self, status: str) -> list[DocumentReport]:
        return [d for d in self.documents if d.status == status]

    def not_ok(self) -> list[tuple[str, list[DocumentReport]]]:
        """(status, documents) for every status but ok that some document has."""
        return [(s, self.with_status(s)) for s, n in status_counts(d.status for d in self.documents) if s != "ok" and n]

    @property
    def anomalies(self) -> AnomalyCount:
        """Over the documents; the clauses count is unknown (None) when a stored report lacks it."""
        flagged = [d.n_flagged for d in self.documents]
        clauses = None if None in flagged else sum(flagged)
        return AnomalyCount(sum(d.n_anomalies for d in self.documents), clauses)

    def pairs(self) -> dict[tuple[str, str], PairCounts]:
        """PairCounts per pair of parallel versions, counted from the alignments table the run
        wrote (the same rows the report counts; {} when there is none)."""
        if self._pairs is None:
            path = self.outputs.get("alignments")
            self._pairs = read_pair_counts(Path(path)) if path else {}
        return self._pairs

    def pair_lines(self) -> list[str]:
        return [f"{left} <-> {right}: {counts}" for (left, right), counts in self.pairs().items()]

    def links_line(self) -> str:
        """Rows of alignments.parquet per kind (the report's header counts the same rows)."""
        return ", ".join(f"{n} {k}" for k, n in self.alignment_counts.items())

    @property
    def engines(self) -> list[str]:
        return sorted({engine for d in self.documents for engine in d.engines})

    def headline(self) -> str:
        clauses = sum(d.n_clauses for d in self.documents)
        documents = documents_line(status_counts(d.status for d in self.documents))
        return f"{documents}, {clauses} clauses, {self.anomalies} in {self.elapsed:.1f} s"

    def translation_line(self) -> str:
        t = self.translation
        missing = self.untranslated()
        engines = ", ".join(self.engines) or ("none" if missing else "none needed")
        gloss = " (no model installed: a dictionary gloss, not a translation)" if any(
            e.startswith("gloss:") for e in self.engines
        ) else ""  # fmt: skip
        line = (
            f"{engines}{gloss}; {t.get('translated', 0)} sentence(s) translated, "
            f"{t.get('cached', 0)} from cache, {t.get('glossed', 0)} glossed"
        )
        if missing:
            languages = ", ".join(
                f"{lang} ({_count(docs, 'document')}, {_count(clauses, 'clause')})" for lang, docs, clauses in missing
            )
            line += f"; no model for {languages}: text_en left empty; {INSTALL_HINT}"
        return line

    def untranslated(self) -> list[tuple[str, int, int]]:
        """(language, documents, clauses) this run left without English for want of a
        translation model (the translation stage's per-language counts), by language."""
        docs = self.translation.get("untranslated_documents") or {}
        clauses = self.translation.get("untranslated_clauses") or {}
        return [(lang, docs.get(lang, 0), clauses.get(lang, 0)) for lang in sorted({*docs, *clauses})]

    def stage_seconds(self) -> list[tuple[str, float]]:
        """(stage, seconds) in pipeline order; the stages' own time summed over documents
        (with several workers the sum can exceed the wall time)."""
        known = [(s, self.seconds[s]) for s in self.order if s in self.seconds]
        return known + sorted((s, v) for s, v in self.seconds.items() if s not in self.order)


class Tally:
    """What a run counts as it goes, for its `RunResult`: the documents' reports, the
    seconds each step took (the stages' own time summed over documents), the translation
    counts, the links written per kind, and the wall time since it began."""

    def __init__(self, translation: dict[str, Any], order: Sequence[str] = ()) -> None:
        self.started = time.perf_counter()
        self.order = tuple(order)
        self.reports: list[DocumentReport] = []
        self.seconds: dict[str, float] = {}
        self.translation = translation
        self.links = {"translation": 0, "parallel": 0, "topic": 0}

    @contextmanager
    def timed(self, step: str) -> Iterator[None]:
        """Add the time spent in the block to step `step` (lexnorm's own work in the flow:
        planning, storing and writing, aligning, the report)."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.add_seconds({step: time.perf_counter() - start})

    def add_seconds(self, seconds: Mapping[str, float]) -> None:
        for step, spent in seconds.items():
            self.seconds[step] = self.seconds.get(step, 0.0) + spent

    def add_translation(self, counts: Mapping[str, Any]) -> None:
        for key, n in counts.items():
            self.translation[key] += n

    def count_links(self, links: Iterable[Alignment]) -> None:
        for link in links:
            self.links[link.kind] += 1

    def result(self, outputs: dict, changes: dict[str, list[str]], run_id: str | None = None) -> RunResult:
        elapsed = time.perf_counter() - self.started
        return RunResult(
            self.reports, self.links, outputs, self.translation, changes, self.seconds, elapsed, run_id, self.order
        )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _table(rows: list[tuple[str, ...]]) -> list[str]:
    """Left-aligned columns; the last column (a free note) is not padded."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r[:-1], widths)) + ("  " + r[-1] if r[-1] else "") for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return [line.rstrip() for line in lines]


def _seconds(value: float) -> str:
    return f"{value:.2f} s" if value < 10 else f"{value:.0f} s"


def console(result: RunResult) -> str:
    """The short table `lexnorm run` prints when a run ends."""
    rows = [("document", "status", "lang", "encoding", "clauses", "anomalies", "note")]
    for d in result.documents:
        rows.append((d.doc_id, d.status, d.lang or "-", d.encoding or "-", str(d.n_clauses), str(d.n_anomalies), d.note))
    lines = _table(rows)
    lines.append("")
    lines.append(result.headline())
    lines.append("documents: " + ", ".join(f"{len(v)} {k}" for k, v in result.changes.items()))
    lines.append("translation: " + result.translation_line())
    lines.append("links (rows of alignments.parquet): " + result.links_line())
    lines += [f"parallel versions {line}" for line in result.pair_lines()]
    lines.append("time per stage: " + ", ".join(f"{s} {_seconds(v)}" for s, v in result.stage_seconds()))
    for name, path in result.outputs.items():
        lines.append(f"  {name:<10} {path}")
    return "\n".join(lines)


def _md(text: str) -> str:
    """Text for a Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|") or " "


def markdown(result: RunResult) -> str:
    """The run summary as Markdown: the flow run's Prefect artifact."""
    lines = [
        "# lexnorm run" + (f" `{result.run_id}`" if result.run_id else ""),
        "",
        f"**{result.headline()}**",
        "",
        "- documents: " + ", ".join(f"{len(v)} {k}" for k, v in result.changes.items()),
        "- translation: " + result.translation_line(),
        "- links (rows of alignments.parquet): " + result.links_line(),
        *(f"- parallel versions {_md(line)}" for line in result.pair_lines()),
        "",
        "## Documents",
        "",
        "| document | status | lang | encoding | clauses | anomalies | translation | this run |",
        "|---|---|---|---|---:|---:|---|---|",
    ]
    for d in result.documents:
        cells = (d.doc_id, d.status, d.lang or "-", d.encoding or "-", d.n_clauses, d.n_anomalies,
                 ", ".join(d.engines) or "-", d.state)  # fmt: skip
        lines.append("| " + " | ".join(_md(c) for c in cells) + " |")
    for status, docs in result.not_ok():  # rejected, skipped, ...: each file with its reason
        lines += ["", f"## {STATUS_TITLES.get(status, status.capitalize())}", ""]
        lines += [f"- `{d.doc_id}`: {d.error}" for d in docs]
    warned = [d for d in result.ok if d.warnings]
    if warned:
        lines += ["", "## Warnings", ""]
        lines += [f"- `{d.doc_id}`: {'; '.join(d.warnings)}" for d in warned]
    lines += ["", "## Time per stage", "", "| stage | seconds |", "|---|---:|"]
    lines += [f"| {s} | {v:.2f} |" for s, v in result.stage_seconds()]
    lines += ["", f"Wall time {result.elapsed:.1f} s (stage times are summed over documents and workers).", ""]
    if result.outputs:
        lines += ["## Output", ""] + [f"- {name}: `{path}`" for name, path in result.outputs.items()] + [""]
    return "\n".join(lines)


def document_rows(result: RunResult) -> list[dict]:
    """One dict per document, for a Prefect table artifact."""
    return [
        {"document": d.doc_id, "status": d.status, "lang": d.lang or "", "clauses": d.n_clauses,
         "anomalies": d.n_anomalies, "translation": ", ".join(d.engines), "note": d.note, "this run": d.state}
        for d in result.documents
    ]  # fmt: skip
