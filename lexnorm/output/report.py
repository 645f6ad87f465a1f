"""The HTML report: one self-contained file (`report.html`) beside the tables, for a person to read.

`render_report(clauses, documents, alignments)` turns the three tables into one HTML document:
a header with the run's counts, an overview of every document (rejected ones with their
error), every accepted document's clause tree (anomalies highlighted; non-English documents
shown side by side with their English, a dictionary gloss marked as such), the parallel
language versions clause by clause, and per topic the best clause of each agreement.

The work is split three ways. `lexnorm/output/report_data.py` reads the tables and chooses the rows
a page can show; the functions here turn those rows into the page's content (plain dicts:
what each section lists, its anchors, counts and notes); the Jinja2 templates in
`lexnorm/output/templates/` (`report.html.j2`, the clause macros in `macros.html.j2`) turn that
content into markup, with autoescaping on, so every value from the tables is text, never
markup, without an escape call in sight. Line breaks and the indentation after them in a
template are layout of the template only (`_Compact`): the page holds no white space the
templates do not write inside a line, so what a reader sees does not depend on how the
templates are indented, and a 5,000-clause page carries no indentation.

The page needs nothing but itself: the CSS (`report.css`) and the little JavaScript
(`report.js`: expand/collapse all, open a collapsed document when a link points into it;
optional) are package data inlined into the page, there is no external URL (a Content
Security Policy forbids loading any). Large runs stay readable: documents are collapsed when
there are many, clause trees stop after `MAX_TREE_CLAUSES` clauses (the anomalies of the
rest are still listed) and the per-topic and anomaly lists are capped. The output depends
only on the tables (no clock), so the same run gives the same page. Nothing is wider than
the window: long unbreakable strings (a 150-character clause id, a URL, a heading without
spaces) may break anywhere (`overflow-wrap: anywhere`, which also lets a table column shrink
below such a string), while the short words of lexnorm's own (column headers, statuses,
languages, anomaly codes, numbers) stay whole.

`write_report(out_dir)` reads the tables from `out_dir` (only the rows the page shows) and
writes `out_dir/report.html` atomically (`lexnorm/atomic.py`).
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from functools import cache
from importlib import resources
from pathlib import Path

import pyarrow as pa
from jinja2 import Environment, PackageLoader, StrictUndefined
from jinja2.ext import Extension
from markupsafe import Markup

from lexnorm.atomic import write_atomically
from lexnorm.output import report_data
from lexnorm.output.report_data import ALIGNMENT_COLUMNS, CLAUSE_COLUMNS, DOCUMENT_COLUMNS, Totals
from lexnorm.output.summary import count_anomalies, pair_counts, status_counts

REPORT_NAME = "report.html"
TAXONOMY = Path(__file__).parent / "data" / "topics.json"

MAX_TREE_CLAUSES = 5_000  # clauses shown in full over all documents (~4 MB of page); beyond, trees are summarised
OPEN_DOCS_MAX = 6  # documents start expanded when there are at most this many ...
OPEN_CLAUSES_MAX = 2_000  # ... and at most this many clauses in all
OPEN_PAIRS_MAX = 3  # parallel document pairs start expanded up to this many
TOPIC_DOCS_MAX = 50  # documents listed per topic
TOPIC_TEXT_CHARS = 600  # clause text shown in the topic view (the full text is in the document)
MAX_ANOMALY_ROWS = 1_000
MAX_PAIR_ROWS = 2_000
MAX_LEVEL_CLASS = 8
TALL_TABLE_ROWS = 30  # a longer overview scrolls in its own box (header row kept in view)
LOW_SCORE = 0.8  # a sentence's translation confidence (or gloss coverage) below this is pointed out

_STATUS_SECTIONS = {"rejected": "Rejected documents", "skipped": "Skipped files (not read)"}


# ------------------------------------------------------------------ small helpers


def _anchor(value: str) -> str:
    """An HTML id part: the value itself, with white space and `%` percent-encoded (ids may not hold spaces)."""
    return "".join(f"%{ord(ch):02X}" if ch.isspace() or ch == "%" else ch for ch in value)


def doc_anchor(doc_id: str) -> str:
    return f"doc-{_anchor(doc_id)}"


def clause_anchor(doc_id: str, clause_id: str) -> str:
    return f"clause-{_anchor(doc_id)}/{_anchor(clause_id)}"  # `/` never occurs in a doc_id (a file name)


def topic_anchor(topic: str) -> str:
    return f"topic-{_anchor(topic)}"


def _fmt_score(score: float | None) -> str:
    return "" if score is None else f"{score:.2f}"


def _fmt_num(score: float | None) -> str:
    return "" if score is None else f"{score:g}"


def _is_gloss(engine: str | None) -> bool:
    return bool(engine) and engine.startswith("gloss:")


def _is_translated(row: dict) -> bool:
    """A non-English clause with an English text of its own."""
    return row["lang"] != "en" and row["text_en"] is not None and row["text_en"] != row["text"]


def _truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0] if " " in text[limit // 2 : limit] else text[:limit]
    return cut.rstrip() + " …"


def _split_heading(row: dict) -> tuple[str, str | None, str | None]:
    """(original body, English heading, English body): the heading line is shown once, in the
    clause's head, when the text starts with it; the English loses its first line only when it
    has the same number of lines (the translation keeps lines)."""
    text, text_en, heading = row["text"] or "", row["text_en"], row["heading"]
    if not heading:
        return text, None, text_en
    lines = text.split("\n")
    first = lines[0].strip()
    if first == heading or first.rstrip(".:：。") == heading:
        body = "\n".join(lines[1:])
    elif text.startswith(heading):
        body = text[len(heading) :].lstrip(" .:：。")
        return body, None, text_en
    else:
        return text, None, text_en
    if text_en is not None and text_en.count("\n") == text.count("\n"):
        en_lines = text_en.split("\n")
        return body, en_lines[0], "\n".join(en_lines[1:])
    return body, None, text_en


def _topic_labels() -> dict[str, str]:
    """Topic id -> "English / 中文" in taxonomy order (empty if the taxonomy cannot be read)."""
    try:
        raw = json.loads(TAXONOMY.read_text(encoding="utf-8"))["topics"]
        return {tid: f"{spec['en']} / {spec['zh']}" for tid, spec in raw.items()}
    except (OSError, ValueError, KeyError, TypeError):
        return {}


def _detail(raw: str | None) -> dict:
    try:
        value = json.loads(raw) if raw else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _link(doc_id: str, clause_id: str | None, shown: set[tuple[str, str]]) -> dict | None:
    """A link to a clause: to the clause itself when the page shows it, else to its document."""
    if clause_id is None:
        return None
    target = clause_anchor(doc_id, clause_id) if (doc_id, clause_id) in shown else doc_anchor(doc_id)
    return {"target": target, "clause_id": clause_id}


def _status_title(status: str) -> str:
    return _STATUS_SECTIONS.get(status, f"{status.capitalize()} documents")


# ------------------------------------------------------------------ the page's content, section by section


def _header(run_id: str | None, docs: list[dict], clauses: list[dict], links: list[dict], totals: Totals | None) -> dict:
    n_clauses = totals.clauses if totals else len(clauses)
    found = totals.anomalies if totals else count_anomalies(c["anomalies"] for c in clauses)
    kinds = Counter(totals.links) if totals else Counter(link["kind"] for link in links)
    tone = {"ok": "ok", "rejected": "bad"}

    def stat(label: str, n: int, cls: str, key: str) -> dict:
        return {"label": label, "value": f"{n:,}", "cls": cls, "key": key}

    stats = [
        stat("documents ok" if status == "ok" else status, n, tone.get(status, "") if n else "", f"documents-{status}")
        for status, n in status_counts(d["status"] for d in docs)
    ]
    stats += [
        stat("clauses", n_clauses, "", "clauses"),
        stat("anomalies", found.anomalies, "warn" if found.anomalies else "", "anomalies"),
        stat("clauses with anomalies", found.clauses, "warn" if found.clauses else "", "clauses-with-anomalies"),
    ]
    named = ("translation", "parallel", "topic")
    stats += [stat(f"{kind} links", kinds.get(kind, 0), "", f"links-{kind}") for kind in named]
    stats += [stat(f"{kind} links", n, "", f"links-{kind}") for kind, n in sorted(kinds.items()) if kind not in named]
    return {
        "run_id": run_id or "unknown",
        "languages": sorted(Counter(d["lang"] for d in docs if d["status"] == "ok" and d["lang"]).items()),
        "versions": sorted({d["pipeline_version"] for d in docs if d["pipeline_version"]}),
        "stats": stats,
    }


def _overview(docs: list[dict], per_doc: dict[str, list[dict]]) -> list[dict]:
    rows = []
    for d in docs:
        clauses = per_doc.get(d["doc_id"], [])  # every anomalous clause is among them, even in a selection
        rows.append(d | {
            "anchor": _anchor(d["doc_id"]),
            "n_clauses": d["n_clauses"] if d["n_clauses"] is not None else len(clauses),
            "n_anomalies": count_anomalies(c["anomalies"] for c in clauses).anomalies,
        })  # fmt: skip
    return rows


def _not_ok(docs: list[dict]) -> list[dict]:
    """Per status other than ok that some document has (rejected, skipped, ...): each
    document with its source and the reason, in words."""
    return [
        {"status": status, "anchor": _anchor(status), "title": _status_title(status),
         "docs": [d for d in docs if d["status"] == status]}
        for status, n in status_counts(d["status"] for d in docs)
        if status != "ok" and n
    ]  # fmt: skip


def pages(start: int | None, end: int | None) -> str | None:
    """Where a clause stands in a paged document, as a citation writes it: `p. 12`, `pp. 12–13`."""
    if start is None:
        return None
    return f"p. {start}" if end is None or end == start else f"pp. {start}–{end}"


def _clause(row: dict, doc_engines: set[str] = frozenset()) -> dict:
    """One clause as the page shows it (the side-by-side fields are used for translated documents)."""
    body, heading_en, body_en = _split_heading(row)
    label = row["label"]
    clause = row | {
        "anchor": clause_anchor(row["doc_id"], row["clause_id"]),
        "lv": max(0, min(int(row["level"] or 0), MAX_LEVEL_CLASS)),
        "label": label if label and label.strip().rstrip(".,、:：") != row["clause_id"] else None,  # `1.` adds nothing to 1
        "body": body, "heading_en": heading_en, "body_en": body_en, "translated": _is_translated(row),
        "show_engine": False, "score_note": None, "pages": pages(row.get("page_start"), row.get("page_end")),
    }  # fmt: skip
    if clause["translated"]:
        engine, scores = row["translation_engine"], row["translation_scores"] or []
        clause["show_engine"] = bool(engine) and (len(doc_engines) > 1 or engine not in doc_engines)
        low = min(scores) if scores else None
        if low is not None and (low < LOW_SCORE or not _is_gloss(engine)):  # a full gloss coverage is not news
            what = "dictionary coverage" if _is_gloss(engine) else "confidence"
            clause["score_note"] = ("score-low" if low < LOW_SCORE else "muted", f"{what} {low:.2f}")
    return clause


def _document(doc: dict, rows: list[dict], open_: bool, show_tree: bool) -> dict:
    translated = [r for r in rows if _is_translated(r)]
    engines = {r["translation_engine"] for r in translated if r["translation_engine"]}
    flagged = [r for r in rows if r["anomalies"]]
    if not show_tree:
        mode, shown = "omitted", [_clause(r) for r in flagged]
    elif translated:
        mode, shown = "side_by_side", [_clause(r, engines) for r in rows]
    else:
        mode, shown = "tree", [_clause(r) for r in rows]
    return doc | {
        "anchor": doc_anchor(doc["doc_id"]),
        "open": open_,
        "size": doc["n_clauses"] if doc["n_clauses"] is not None else len(rows),  # rows may be a selection
        "found": count_anomalies(r["anomalies"] for r in flagged) if flagged else None,
        "pill": ("gloss" if all(map(_is_gloss, engines)) else "translated") if translated else None,
        "confidence": None if doc["lang_confidence"] is None else f"{doc['lang_confidence']:.2f}",
        "mode": mode,
        "side_lang": (doc["lang"] or translated[0]["lang"] or "?") if translated else None,
        "engines": sorted(engines),
        "clauses": shown,
    }


def _anomalies(clauses: list[dict], shown: set[tuple[str, str]]) -> dict | None:
    flagged = [(c, a) for c in clauses for a in c["anomalies"] or ()]
    if not flagged:
        return None
    return {
        "found": count_anomalies(c["anomalies"] for c in clauses),
        "codes": sorted(Counter(a.split(":", 1)[0] for _, a in flagged).items()),
        "rows": [
            {"doc_id": c["doc_id"], "link": _link(c["doc_id"], c["clause_id"], shown), "code": a.split(":", 1)[0],
             "explanation": a.split(":", 1)[1].strip() if ":" in a else ""}
            for c, a in flagged[:MAX_ANOMALY_ROWS]
        ],  # fmt: skip
        "more": max(len(flagged) - MAX_ANOMALY_ROWS, 0),
    }


def _pair_side(doc_id: str, clause_id: str | None, index: dict, shown: set[tuple[str, str]]) -> dict | None:
    """One side of a pair: None when the clause has no counterpart; `clause` None when the
    linked clause is not in the table."""
    if clause_id is None:
        return None
    row = index.get((doc_id, clause_id))
    clause = None if row is None else {"heading": row["heading"], "body": _split_heading(row)[0], "lang": row["lang"]}
    return {"link": _link(doc_id, clause_id, shown), "clause": clause}


def _parallel(links: list[dict], index: dict[tuple[str, str], dict], shown: set[tuple[str, str]]) -> list[dict]:
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for link in links:
        if link["kind"] == "parallel":
            groups[(link["left_doc"], link["right_doc"])].append(link)
    pairs, budget = [], MAX_PAIR_ROWS
    for (left, right), rows in sorted(groups.items()):
        clause_rows = [r for r in rows if _detail(r["detail"]).get("level", "clause") == "clause"]
        paragraphs: dict[tuple, list[dict]] = defaultdict(list)
        for r in rows:
            d = _detail(r["detail"])
            if d.get("level") == "paragraph":
                k = d.get("left_paragraph") or 0
                paragraphs[(r["left_clause"], r["right_clause"])].append(
                    {"n": k + 1, "score": _fmt_score(r["score"]), "low": bool(d.get("low_confidence"))}
                )
        body = []
        for r in clause_rows[: max(budget, 0)]:
            lc, rc = r["left_clause"], r["right_clause"]
            body.append({
                "left_clause": lc, "right_clause": rc, "low": bool(_detail(r["detail"]).get("low_confidence")),
                "left": _pair_side(left, lc, index, shown), "right": _pair_side(right, rc, index, shown),
                "score": _fmt_score(r["score"]), "method": r["method"], "paragraphs": paragraphs.get((lc, rc), []),
            })  # fmt: skip
        pairs.append({
            "anchor": f"pair-{_anchor(left)}--{_anchor(right)}", "left": left, "right": right,
            "stats": str(pair_counts(rows)[(left, right)]),  # the console's words and numbers
            "open": len(groups) <= OPEN_PAIRS_MAX, "rows": body, "more": max(len(clause_rows) - max(budget, 0), 0),
        })  # fmt: skip
        budget -= len(clause_rows)
    return pairs


def _topics(
    clauses: list[dict], shown: set[tuple[str, str]], topic_counts: dict[str, Counter] | None = None
) -> list[dict]:
    """Per topic, the best clause of each document. `topic_counts` (topic -> doc -> clauses
    with the topic) when `clauses` is a selection; counted from `clauses` otherwise."""
    best: dict[str, dict[str, tuple[float, dict]]] = defaultdict(dict)  # topic -> doc -> (score, clause)
    counts: dict[str, Counter] = defaultdict(Counter)
    for c in clauses:
        for topic, score in zip(c["topics"] or (), c["topic_scores"] or ()):
            counts[topic][c["doc_id"]] += 1
            current = best[topic].get(c["doc_id"])
            if current is None or score > current[0]:  # ties: the first clause in document order
                best[topic][c["doc_id"]] = (score, c)
    counts = topic_counts if topic_counts is not None else counts
    labels = _topic_labels()
    order = [t for t in labels if t in best] + sorted(t for t in best if t not in labels)
    blocks = []
    for topic in order:
        entries = sorted(best[topic].items(), key=lambda kv: (-kv[1][0], kv[0]))
        rows = []
        for doc_id, (score, c) in entries[:TOPIC_DOCS_MAX]:
            body, heading_en, body_en = _split_heading(c)
            translated = _is_translated(c)
            rows.append({
                "doc_id": doc_id, "clause_id": c["clause_id"], "link": _link(doc_id, c["clause_id"], shown),
                "heading": c["heading"], "heading_en": heading_en if translated else None, "translated": translated,
                "text": _truncate(body_en or "", TOPIC_TEXT_CHARS) if translated else _truncate(body, TOPIC_TEXT_CHARS),
                "original": _truncate(body, TOPIC_TEXT_CHARS // 2) if translated else None, "lang": c["lang"],
                "gloss": c["translation_engine"] if translated and _is_gloss(c["translation_engine"]) else None,
                "score": _fmt_num(score), "others": counts[topic][doc_id] - 1,
            })  # fmt: skip
        blocks.append({
            "topic": topic, "anchor": topic_anchor(topic), "label": labels.get(topic, topic), "documents": len(entries),
            "clauses": sum(counts[topic].values()), "rows": rows, "more": max(len(entries) - TOPIC_DOCS_MAX, 0),
        })  # fmt: skip
    return blocks


# ------------------------------------------------------------------ page


class _Compact(Extension):
    """A line break in a template, with the indentation after it, is the template's layout,
    not the page's: removed before the template is compiled. A space the page needs is
    written inside a line."""

    def preprocess(self, source: str, name: str | None, filename: str | None = None) -> str:
        return re.sub(r"\n[ \t]*", "", source)


def _template_text(name: str) -> Markup:
    """A file of lexnorm/output/templates inlined as it is (the page's own CSS and JavaScript)."""
    return Markup(resources.files("lexnorm.output").joinpath("templates", name).read_text(encoding="utf-8"))


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("lexnorm.output", "templates"),
        autoescape=True,  # every value is text; markup comes from the templates only
        undefined=StrictUndefined,
        extensions=[_Compact],
        finalize=lambda value: "" if value is None else value,  # a missing value shows as nothing
    )
    env.filters.update(thousands="{:,}".format, topic_anchor=topic_anchor, doc_anchor=doc_anchor)
    env.tests["gloss"] = _is_gloss
    env.globals.update(css=_template_text("report.css"), js=_template_text("report.js"))
    return env


def render_report(
    clauses: pa.Table, documents: pa.Table, alignments: pa.Table, *, run_id: str | None = None, totals: Totals | None = None
) -> str:
    """The report of one run as a complete, self-contained HTML document (a pure function of
    the tables). `totals`: the header's counts when the tables are a selection
    (`report_data.select`)."""
    docs = report_data.rows(documents, DOCUMENT_COLUMNS)
    docs.sort(key=lambda d: d["doc_id"])
    clause_rows = report_data.rows(clauses, CLAUSE_COLUMNS)
    links = report_data.rows(alignments, ALIGNMENT_COLUMNS)

    per_doc: dict[str, list[dict]] = defaultdict(list)
    for c in clause_rows:
        per_doc[c["doc_id"]].append(c)
    for rows in per_doc.values():
        rows.sort(key=lambda c: c["seq"] if c["seq"] is not None else 0)
    index = {(c["doc_id"], c["clause_id"]): c for c in clause_rows}

    ok_docs = [d for d in docs if d["status"] == "ok"]
    open_docs = len(ok_docs) <= OPEN_DOCS_MAX and len(clause_rows) <= OPEN_CLAUSES_MAX
    budget = MAX_TREE_CLAUSES
    shown: set[tuple[str, str]] = set()
    documents_shown = []
    omitted = 0  # documents whose tree is summarised
    for d in ok_docs:
        rows = per_doc.get(d["doc_id"], [])
        size = d["n_clauses"] if d["n_clauses"] is not None else len(rows)  # rows may be a selection (`select`)
        show_tree = size <= budget
        if show_tree:
            budget -= size
            shown.update((r["doc_id"], r["clause_id"]) for r in rows)
        else:
            budget = 0  # keep document order: once the budget is spent, later trees are summarised too
            omitted += 1
            shown.update((r["doc_id"], r["clause_id"]) for r in rows if r["anomalies"])
        documents_shown.append(_document(d, rows, open_docs, show_tree))

    parallel = _parallel(links, index, shown)
    topics = _topics(clause_rows, shown, totals.topic_counts if totals else None)
    anomalies = _anomalies(clause_rows, shown)
    not_ok = _not_ok(docs)

    toc: list[tuple[str, str, list[tuple[str, str]]]] = [("documents", "Documents overview", [])]
    toc += [(s["anchor"], s["title"], []) for s in not_ok]
    if anomalies:
        toc.append(("anomalies", "Anomalies", []))
    doc_children = [(doc_anchor(d["doc_id"]), d["doc_id"]) for d in ok_docs] if len(ok_docs) <= 30 else []
    toc.append(("clauses", "Clauses by document", doc_children))
    if parallel:
        pair_children = [(p["anchor"], f"{p['left']} ↔ {p['right']}") for p in parallel]
        toc.append(("parallel", "Parallel versions", pair_children if len(pair_children) <= 30 else []))
    if topics:
        toc.append(("topics", "Topics", [(t["anchor"], t["label"]) for t in topics]))

    return _environment().get_template("report.html.j2").render(
        run_id=run_id,
        header=_header(run_id, docs, clause_rows, links, totals),
        toc=toc,
        overview=_overview(docs, per_doc),
        tall=len(docs) > TALL_TABLE_ROWS,
        not_ok=not_ok,
        anomalies=anomalies,
        documents=documents_shown,
        omitted=omitted,
        max_tree_clauses=MAX_TREE_CLAUSES,
        parallel=parallel,
        topics=topics,
    ) + "\n"


def select(clauses: pa.Table, parallel: pa.Table, links: dict[str, int]) -> tuple[pa.Table, Totals]:
    """`clauses` reduced to the rows this page shows, and the totals (`report_data.select`)."""
    return report_data.select(clauses, parallel, links, MAX_TREE_CLAUSES)


def write_report(out_dir: Path) -> Path:
    """Render the tables in `out_dir` into `out_dir/report.html`, atomically; returns its path."""
    tables = report_data.load(out_dir, MAX_TREE_CLAUSES)
    page = render_report(tables.clauses, tables.documents, tables.parallel, run_id=tables.run_id, totals=tables.totals)
    return write_atomically(Path(out_dir) / REPORT_NAME, page.encode("utf-8"))
