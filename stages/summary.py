"""What a run did, for people: a report per document, the run's totals, and two renderings
of them: the console table `lexnorm run` prints, and the Markdown published as the flow
run's Prefect artifact (the Prefect UI's Artifacts tab).

Plain classes, not dataclasses: Prefect walks a flow's dataclass results field by field.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from stages.models import INSTALL_HINT
from stages.records import Document

STAGE_ORDER = ("plan", "ingest", "clause", "language", "segmentation", "translation", "topic", "write", "alignment")


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
            "warnings": list(self.warnings), "engines": list(self.engines),
        }  # fmt: skip

    @classmethod
    def from_stored(cls, record: dict, state: str) -> DocumentReport:
        fields = {**record, "warnings": tuple(record.get("warnings", ())), "engines": tuple(record.get("engines", ()))}
        return cls(**fields, state=state)

    @classmethod
    def of(cls, doc: Document, state: str = "new") -> DocumentReport:
        return cls(
            doc.doc_id, doc.status, doc.error, doc.lang, doc.encoding, doc.n_clauses,
            sum(len(c.anomalies) for c in doc.clauses), doc.warnings,
            tuple(sorted({c.translation_engine for c in doc.clauses if c.translation_engine})), state,
        )  # fmt: skip


class RunResult:
    """What a run produced: a report per document, link counts, the files written,
    translation counts, seconds per stage, which documents were new, changed, unchanged,
    removed, and the run's wall time."""

    __slots__ = ("alignment_counts", "changes", "documents", "elapsed", "outputs", "run_id", "seconds", "translation")

    def __init__(self, documents, alignment_counts, outputs, translation, changes, seconds, elapsed=0.0, run_id=None):
        self.documents: list[DocumentReport] = documents
        self.alignment_counts: dict[str, int] = alignment_counts
        self.outputs: dict[str, Path] = outputs
        self.translation: dict[str, int] = translation
        self.changes: dict[str, list[str]] = changes
        self.seconds: dict[str, float] = seconds
        self.elapsed: float = elapsed
        self.run_id: str | None = run_id

    @property
    def ok(self) -> list[DocumentReport]:
        return [d for d in self.documents if d.ok]

    @property
    def rejected(self) -> list[DocumentReport]:
        return [d for d in self.documents if not d.ok]

    @property
    def engines(self) -> list[str]:
        return sorted({engine for d in self.documents for engine in d.engines})

    def headline(self) -> str:
        clauses = sum(d.n_clauses for d in self.documents)
        anomalies = sum(d.n_anomalies for d in self.documents)
        return (
            f"{len(self.ok)} document(s) ok, {len(self.rejected)} rejected, {clauses} clauses, "
            f"{anomalies} anomalies in {self.elapsed:.1f} s"
        )

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
        known = [(s, self.seconds[s]) for s in STAGE_ORDER if s in self.seconds]
        return known + sorted((s, v) for s, v in self.seconds.items() if s not in STAGE_ORDER)


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
    lines.append("alignments: " + ", ".join(f"{n} {k}" for k, n in result.alignment_counts.items()))
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
        "- alignments: " + ", ".join(f"{n} {k}" for k, n in result.alignment_counts.items()),
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
    if result.rejected:
        lines += ["", "## Rejected", ""]
        lines += [f"- `{d.doc_id}`: {d.error}" for d in result.rejected]
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
