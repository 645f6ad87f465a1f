"""The HTML report: one self-contained file (`report.html`) beside the tables, for a person to read.

`render_report(clauses, documents, alignments)` turns the three tables into one HTML document:
a header with the run's counts, an overview of every document (rejected ones with their
error), every accepted document's clause tree (anomalies highlighted; non-English documents
shown side by side with their English, a dictionary gloss marked as such), the parallel
language versions clause by clause, and per topic the best clause of each agreement.

The page needs nothing but itself: CSS is inline, there is no external URL (a Content
Security Policy forbids loading any), and the little JavaScript (expand/collapse all, open
a collapsed document when a link points into it) is optional. Large runs stay readable:
documents are collapsed when there are many, clause trees stop after `max_tree_clauses`
clauses (the anomalies of the rest are still listed) and the per-topic and anomaly lists are
capped. The output depends only on the tables (no clock), so the same run gives the same page.
Nothing is wider than the window: long unbreakable strings (a 150-character clause id, a URL,
a heading without spaces) may break anywhere (`overflow-wrap: anywhere`, which also lets a
table column shrink below such a string), while the short words of lexnorm's own (column
headers, statuses, languages, anomaly codes, numbers) stay whole.

`write_report(out_dir)` reads the tables from `out_dir` and writes `out_dir/report.html`
atomically (temporary file in the same folder, fsync, rename).
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from collections.abc import Iterable
from html import escape
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from stages.summary import AnomalyCount, count_anomalies, pair_counts, status_counts

REPORT_NAME = "report.html"
RUN_ID_KEY = b"lexnorm.run_id"
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

_CLAUSE_COLUMNS = (
    "doc_id", "clause_id", "parent_id", "level", "seq", "label", "number_inferred", "heading", "text", "lang",
    "text_en", "translation_engine", "anomalies", "translation_scores", "topics", "topic_scores",
)  # fmt: skip
_DOCUMENT_COLUMNS = (
    "doc_id", "source_path", "encoding", "lang", "lang_confidence", "n_clauses", "status", "error",
    "pipeline_version", "warnings",
)  # fmt: skip
_ALIGNMENT_COLUMNS = ("kind", "left_doc", "left_clause", "right_doc", "right_clause", "score", "method", "detail")


# ------------------------------------------------------------------ small helpers


def _e(value: object) -> str:
    """Escaped text (None -> empty)."""
    return "" if value is None else escape(str(value), quote=True)


def _anchor(value: str) -> str:
    """An HTML id part: the value itself, with white space and `%` percent-encoded (ids may not hold spaces)."""
    return "".join(f"%{ord(ch):02X}" if ch.isspace() or ch == "%" else ch for ch in value)


def doc_anchor(doc_id: str) -> str:
    return f"doc-{_anchor(doc_id)}"


def clause_anchor(doc_id: str, clause_id: str) -> str:
    return f"clause-{_anchor(doc_id)}/{_anchor(clause_id)}"  # `/` never occurs in a doc_id (a file name)


def topic_anchor(topic: str) -> str:
    return f"topic-{_anchor(topic)}"


def _rows(table: pa.Table, columns: Iterable[str]) -> list[dict]:
    """The table's rows as dicts over `columns` (missing columns read as None)."""
    present = [c for c in columns if c in table.column_names]
    rows = table.select(present).to_pylist()
    missing = [c for c in columns if c not in table.column_names]
    for row in rows:
        for c in missing:
            row[c] = None
    return rows


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


def _engine_note(engine: str) -> str:
    if _is_gloss(engine):
        return (
            f'<span class="engine gloss" data-engine="{_e(engine)}">{_e(engine)}</span> '
            '<span class="gloss-note">dictionary gloss, word by word — not a translation</span>'
        )
    return f'<span class="engine" data-engine="{_e(engine)}">{_e(engine)}</span> <span class="muted">machine translation</span>'


# ------------------------------------------------------------------ sections


def _header(run_id: str | None, docs: list[dict], clauses: list[dict], links: list[dict], totals: Totals | None) -> str:
    n_clauses = totals.clauses if totals else len(clauses)
    found = totals.anomalies if totals else count_anomalies(c["anomalies"] for c in clauses)
    kinds = Counter(totals.links) if totals else Counter(link["kind"] for link in links)
    langs = Counter(d["lang"] for d in docs if d["status"] == "ok" and d["lang"])
    versions = sorted({d["pipeline_version"] for d in docs if d["pipeline_version"]})

    def stat(label: str, value: object, cls: str = "", key: str = "") -> str:
        data = f' data-stat="{_e(key)}"' if key else ""
        return f'<div class="stat {cls}"{data}><span class="value">{_e(value)}</span><span class="label">{_e(label)}</span></div>'

    tone = {"ok": "ok", "rejected": "bad"}
    stats = [
        stat("documents ok" if status == "ok" else status, f"{n:,}", tone.get(status, "") if n else "", f"documents-{status}")
        for status, n in status_counts(d["status"] for d in docs)
    ]
    stats += [
        stat("clauses", f"{n_clauses:,}", "", "clauses"),
        stat("anomalies", f"{found.anomalies:,}", "warn" if found.anomalies else "", "anomalies"),
        stat("clauses with anomalies", f"{found.clauses:,}", "warn" if found.clauses else "", "clauses-with-anomalies"),
    ]
    stats += [
        stat(f"{kind} links", f"{kinds.get(kind, 0):,}", "", f"links-{kind}")
        for kind in ("translation", "parallel", "topic")
    ]
    stats += [
        stat(f"{kind} links", f"{n:,}", "", f"links-{kind}")
        for kind, n in sorted(kinds.items())
        if kind not in ("translation", "parallel", "topic")
    ]
    meta = [f'run <code class="run-id">{_e(run_id or "unknown")}</code>']
    if langs:
        meta.append("languages " + ", ".join(f"{_e(lang)} ({n})" for lang, n in sorted(langs.items())))
    if versions:
        meta.append("lexnorm " + ", ".join(_e(v) for v in versions))
    return (
        '<header class="top" id="top">'
        "<h1>lexnorm report</h1>"
        f'<p class="meta">{" · ".join(meta)}</p>'
        f'<div class="stats">{"".join(stats)}</div>'
        "</header>"
    )


def _toc(entries: list[tuple[str, str, list[tuple[str, str]]]]) -> str:
    items = []
    for anchor, title, children in entries:
        sub = ""
        if children:
            inline = " inline" if anchor == "topics" else ""
            sub = (
                f'<ul class="toc-sub{inline}">'
                + "".join(f'<li><a href="#{_e(a)}">{_e(t)}</a></li>' for a, t in children)
                + "</ul>"
            )
        items.append(f'<li><a href="#{_e(anchor)}">{_e(title)}</a>{sub}</li>')
    return f'<nav class="toc" id="contents" aria-label="Contents"><h2>Contents</h2><ol>{"".join(items)}</ol></nav>'


def _overview(docs: list[dict], per_doc: dict[str, list[dict]]) -> str:
    body = []
    for d in docs:
        doc_id, status = d["doc_id"], d["status"]
        rows = per_doc.get(doc_id, [])  # every anomalous clause is among them, even in a selection (`select_rows`)
        n_anomalies = count_anomalies(c["anomalies"] for c in rows).anomalies
        link = f'<a href="#{_e(doc_anchor(doc_id))}">{_e(doc_id)}</a>'
        notes = []
        if d["error"]:
            notes.append(f'<span class="error">{_e(d["error"])}</span>')
        notes += [f'<span class="warning">{_e(w)}</span>' for w in d["warnings"] or ()]
        n_clauses = d["n_clauses"] if d["n_clauses"] is not None else len(rows)
        cls = _e(status)
        body.append(
            f'<tr id="docrow-{_e(_anchor(doc_id))}" class="{cls}" data-doc-id="{_e(doc_id)}" data-status="{cls}">'
            f"<td>{link}</td>"
            f'<td class="word"><span class="status {cls}">{cls}</span></td>'
            f'<td class="word">{_e(d["lang"])}</td><td class="word">{_e(d["encoding"])}</td>'
            f'<td class="num">{_e(n_clauses)}</td>'
            f'<td class="num{" flagged" if n_anomalies else ""}">{n_anomalies}</td>'
            f'<td class="notes">{"<br>".join(notes)}</td></tr>'
        )
    return (
        '<section id="documents" class="card"><h2>Documents</h2>'
        f'<div class="scroll{" tall" if len(docs) > TALL_TABLE_ROWS else ""}"><table class="overview"><thead><tr><th>document</th><th>status</th><th>lang</th>'
        '<th>encoding</th><th class="num">clauses</th><th class="num">anomalies</th><th>error / warnings</th></tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table></div></section>"
    )


_STATUS_SECTIONS = {"rejected": "Rejected documents", "skipped": "Skipped files (not read)"}


def _status_title(status: str) -> str:
    return _STATUS_SECTIONS.get(status, f"{status.capitalize()} documents")


def _not_ok(docs: list[dict]) -> list[tuple[str, str]]:
    """(status, section) per status other than ok that some document has (rejected, skipped,
    ...): each document with its source and the reason, in words."""
    sections = []
    for status, n in status_counts(d["status"] for d in docs):
        if status == "ok" or not n:
            continue
        items = "".join(
            f'<li id="{_e(doc_anchor(d["doc_id"]))}" class="{_e(status)}-doc" data-doc-id="{_e(d["doc_id"])}">'
            f'<strong>{_e(d["doc_id"])}</strong> <span class="muted">{_e(d["source_path"])}</span><br>'
            f'<span class="error">{_e(d["error"] or status)}</span></li>'
            for d in docs
            if d["status"] == status
        )
        sections.append((
            status,
            f'<section id="{_e(_anchor(status))}" class="card"><h2>{_e(_status_title(status))}</h2>'
            f'<ul class="rejected-list">{items}</ul></section>',
        ))  # fmt: skip
    return sections


def _topic_tags(row: dict) -> str:
    topics = row["topics"] or []
    if not topics:
        return ""
    return " ".join(f'<a class="tag" href="#{_e(topic_anchor(t))}">{_e(t)}</a>' for t in topics)


def _anomaly_list(row: dict) -> str:
    items = "".join(f"<li>{_e(a)}</li>" for a in row["anomalies"] or ())
    return f'<ul class="anomaly-list">{items}</ul>' if items else ""


def _clause_head(row: dict) -> str:
    parts = [f'<code class="cid">{_e(row["clause_id"])}</code>']
    if row["label"] and row["label"].strip().rstrip(".,、:：") != row["clause_id"]:  # `1.` adds nothing to 1
        parts.append(f'<span class="label">{_e(row["label"])}</span>')
    if row["number_inferred"]:
        parts.append('<span class="inferred" title="number inferred">inferred</span>')
    if row["heading"]:
        parts.append(f'<span class="heading">{_e(row["heading"])}</span>')
    tags = _topic_tags(row)
    if tags:
        parts.append(f'<span class="tags">{tags}</span>')
    return f'<div class="chead">{" ".join(parts)}</div>'


def _clause_attrs(row: dict, base: str) -> str:
    level = max(0, min(int(row["level"] or 0), MAX_LEVEL_CLASS))
    cls = f"{base} lv{level}" + (" anomaly" if row["anomalies"] else "")
    attrs = (
        f'id="{_e(clause_anchor(row["doc_id"], row["clause_id"]))}" class="{cls}" '
        f'data-clause-id="{_e(row["clause_id"])}" data-level="{_e(row["level"])}"'
    )
    if row["anomalies"]:
        attrs += f' data-anomalies="{len(row["anomalies"])}"'
    return attrs


def _clause_plain(row: dict) -> str:
    body, _, _ = _split_heading(row)
    text = f'<div class="ctext">{_e(body)}</div>' if body.strip() else ""
    return f"<div {_clause_attrs(row, 'clause')}>{_clause_head(row)}{text}{_anomaly_list(row)}</div>"


def _clause_side_by_side(row: dict, doc_engines: set[str]) -> str:
    body, heading_en, body_en = _split_heading(row)
    left = f'<div class="ctext" lang="{_e(row["lang"] or "")}">{_e(body)}</div>' if body.strip() else ""
    if _is_translated(row):
        engine = row["translation_engine"]
        head_en = f'<div class="heading-en">{_e(heading_en)}</div>' if heading_en else ""
        text_en = f'<div class="ctext" lang="en">{_e(body_en)}</div>' if body_en and body_en.strip() else ""
        scores = row["translation_scores"] or []
        note = []
        if engine and (len(doc_engines) > 1 or engine not in doc_engines):
            note.append(_engine_note(engine))
        low = min(scores) if scores else None
        if low is not None and (low < LOW_SCORE or not _is_gloss(engine)):  # a full gloss coverage is not news
            what = "dictionary coverage" if _is_gloss(engine) else "confidence"
            cls = "score-low" if low < LOW_SCORE else "muted"
            note.append(f'<span class="{cls}">{what} {low:.2f}</span>')
        meta = f'<div class="en-meta">{" ".join(note)}</div>' if note else ""
        right = f'<div class="col en{" gloss" if _is_gloss(engine) else ""}">{head_en}{text_en}{meta}</div>'
    else:
        right = '<div class="col en same"><span class="muted">(English original)</span></div>'
    return (
        f"<div {_clause_attrs(row, 'clause sbs-row')}>"
        f'<div class="col orig">{_clause_head(row)}{left}{_anomaly_list(row)}</div>{right}</div>'
    )


def _document(doc: dict, rows: list[dict], open_: bool, show_tree: bool) -> str:
    doc_id = doc["doc_id"]
    translated = [r for r in rows if _is_translated(r)]
    engines = {r["translation_engine"] for r in translated if r["translation_engine"]}
    flagged = [r for r in rows if r["anomalies"]]
    found = count_anomalies(r["anomalies"] for r in flagged)
    size = doc["n_clauses"] if doc["n_clauses"] is not None else len(rows)  # rows may be a selection
    summary_bits = [
        f'<span class="doc-title">{_e(doc_id)}</span>',
        f'<span class="pill">{_e(doc["lang"] or "?")}</span>',
        f'<span class="muted">{size} clauses</span>',
    ]
    if flagged:
        summary_bits.append(f'<span class="pill warn">{found}</span>')
    if translated:
        summary_bits.append(f'<span class="pill">{"gloss" if all(map(_is_gloss, engines)) else "translated"}</span>')
    info = [f'<span class="muted">{_e(doc["source_path"])}</span>']
    if doc["encoding"]:
        info.append(f"encoding <code>{_e(doc['encoding'])}</code>")
    if doc["lang_confidence"] is not None:
        info.append(f"language {_e(doc['lang'])} ({doc['lang_confidence']:.2f})")
    warnings = "".join(f'<p class="warning">{_e(w)}</p>' for w in doc["warnings"] or ())
    parts = [f'<p class="doc-info">{" · ".join(info)}</p>{warnings}']
    if not show_tree:
        parts.append(
            f'<p class="omitted">Clause tree not shown: this report shows at most {MAX_TREE_CLAUSES:,} clauses in full. '
            f"This document's {size:,} clauses are in clauses.parquet.</p>"
        )
        if flagged:
            parts.append('<div class="tree">' + "".join(_clause_plain(r) for r in flagged) + "</div>")
    elif translated:
        lang = doc["lang"] or translated[0]["lang"] or "?"
        engine_html = " ".join(_engine_note(e) for e in sorted(engines))
        parts.append(
            f'<div class="side-by-side" data-engines="{_e(" ".join(sorted(engines)))}">'
            f'<div class="sbs-head"><div class="col orig">Original ({_e(lang)})</div>'
            f'<div class="col en">English: {engine_html}</div></div>'
            + "".join(_clause_side_by_side(r, engines) for r in rows)
            + "</div>"
        )
    else:
        parts.append('<div class="tree">' + "".join(_clause_plain(r) for r in rows) + "</div>")
    return (
        f'<details class="doc" id="{_e(doc_anchor(doc_id))}" data-doc-id="{_e(doc_id)}"{" open" if open_ else ""}>'
        f'<summary>{" ".join(summary_bits)}</summary><div class="doc-body">{"".join(parts)}</div></details>'
    )


def _clause_link(doc_id: str, clause_id: str | None, shown: set[tuple[str, str]]) -> str:
    if clause_id is None:
        return ""
    target = clause_anchor(doc_id, clause_id) if (doc_id, clause_id) in shown else doc_anchor(doc_id)
    return f'<a href="#{_e(target)}"><code class="cid">{_e(clause_id)}</code></a>'


def _anomalies(clauses: list[dict], shown: set[tuple[str, str]]) -> str:
    flagged = [(c, a) for c in clauses for a in c["anomalies"] or ()]
    if not flagged:
        return ""
    rows = "".join(
        f"<tr><td>{_e(c['doc_id'])}</td><td>{_clause_link(c['doc_id'], c['clause_id'], shown)}</td>"
        f'<td class="word"><code>{_e(a.split(":", 1)[0])}</code></td>'
        f"<td>{_e(a.split(':', 1)[1].strip() if ':' in a else '')}</td></tr>"
        for c, a in flagged[:MAX_ANOMALY_ROWS]
    )
    more = ""
    if len(flagged) > MAX_ANOMALY_ROWS:
        more = f'<p class="muted">… and {len(flagged) - MAX_ANOMALY_ROWS:,} more (see the anomalies column of clauses.parquet).</p>'
    codes = Counter(a.split(":", 1)[0] for _, a in flagged)
    summary = ", ".join(f"<code>{_e(code)}</code> {n}" for code, n in sorted(codes.items()))
    found = count_anomalies(c["anomalies"] for c in clauses)
    return (
        f'<section id="anomalies" class="card"><h2>Anomalies</h2><p data-anomalies="{found.anomalies}">{found}: {summary}</p>'
        '<div class="scroll"><table class="list"><thead><tr><th>document</th><th>clause</th><th>code</th>'
        f"<th>explanation</th></tr></thead><tbody>{rows}</tbody></table></div>{more}</section>"
    )


def _pair_text(row: dict | None) -> str:
    if row is None:
        return '<span class="muted">(clause not found)</span>'
    head = f'<div class="heading">{_e(row["heading"])}</div>' if row["heading"] else ""
    body, _, _ = _split_heading(row)
    return f'{head}<div class="ctext" lang="{_e(row["lang"] or "")}">{_e(body)}</div>'


def _parallel(links: list[dict], index: dict[tuple[str, str], dict], shown: set[tuple[str, str]]) -> tuple[str, list]:
    groups: dict[tuple[str, str], list[dict]] = defaultdict(list)
    for link in links:
        if link["kind"] == "parallel":
            groups[(link["left_doc"], link["right_doc"])].append(link)
    if not groups:
        return "", []
    blocks, toc, budget = [], [], MAX_PAIR_ROWS
    for (left, right), rows in sorted(groups.items()):
        anchor = f"pair-{_anchor(left)}--{_anchor(right)}"
        toc.append((anchor, f"{left} ↔ {right}"))
        clause_rows = [r for r in rows if _detail(r["detail"]).get("level", "clause") == "clause"]
        paragraphs: dict[tuple, list[tuple[dict, dict]]] = defaultdict(list)
        for r in rows:
            d = _detail(r["detail"])
            if d.get("level") == "paragraph":
                paragraphs[(r["left_clause"], r["right_clause"])].append((r, d))
        body = []
        for r in clause_rows[: max(budget, 0)]:
            d = _detail(r["detail"])
            lc, rc = r["left_clause"], r["right_clause"]
            is_low = bool(d.get("low_confidence"))
            cls = "pair" + (" low" if is_low else "") + (" unmatched" if lc is None or rc is None else "")
            left_cell = (
                f"{_clause_link(left, lc, shown)}{_pair_text(index.get((left, lc)))}"
                if lc is not None
                else '<span class="missing">no counterpart</span>'
            )
            right_cell = (
                f"{_clause_link(right, rc, shown)}{_pair_text(index.get((right, rc)))}"
                if rc is not None
                else '<span class="missing">no counterpart</span>'
            )
            score = [
                f'<span class="score">{_fmt_score(r["score"])}</span>',
                f'<span class="muted">{_e(r["method"])}</span>',
            ]
            if is_low:
                score.append('<span class="low-mark" title="low confidence">low confidence</span>')
            for p, pd in paragraphs.get((lc, rc), []):
                mark = " low" if pd.get("low_confidence") else ""
                k = pd.get("left_paragraph") or 0
                score.append(
                    f'<span class="para{mark}" title="paragraph {k + 1}">¶{k + 1} {_fmt_score(p["score"])}</span>'
                )
            body.append(
                f'<tr class="{cls}" data-left="{_e(lc or "")}" data-right="{_e(rc or "")}" data-low-confidence="{str(is_low).lower()}">'
                f'<td class="side">{left_cell}</td><td class="side">{right_cell}</td><td class="meta">{"<br>".join(score)}</td></tr>'
            )
        more = ""
        if len(clause_rows) > max(budget, 0):
            more = f'<p class="muted">… {len(clause_rows) - max(budget, 0):,} more pairs in alignments.parquet.</p>'
        budget -= len(clause_rows)
        stats = str(pair_counts(rows)[(left, right)])  # the console's words and numbers
        blocks.append(
            f'<details class="pairs" id="{_e(anchor)}" data-left-doc="{_e(left)}" data-right-doc="{_e(right)}"'
            f"{' open' if len(groups) <= OPEN_PAIRS_MAX else ''}>"
            f'<summary><span class="doc-title">{_e(left)} ↔ {_e(right)}</span> <span class="muted">{stats}</span></summary>'
            '<div class="scroll"><table class="pair-table"><thead><tr>'
            f'<th>{_e(left)}</th><th>{_e(right)}</th><th class="meta">score</th></tr></thead>'
            f"<tbody>{''.join(body)}</tbody></table></div>{more}</details>"
        )
    return (
        '<section id="parallel" class="card"><h2>Parallel versions</h2>'
        '<p class="muted">Language versions of one agreement, clause by clause (¶: paragraph links inside the pair).</p>'
        + "".join(blocks)
        + "</section>",
        toc,
    )


def _topics(
    clauses: list[dict], shown: set[tuple[str, str]], topic_counts: dict[str, Counter] | None = None
) -> tuple[str, list]:
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
    if not best:
        return "", []
    counts = topic_counts if topic_counts is not None else counts
    labels = _topic_labels()
    order = [t for t in labels if t in best] + sorted(t for t in best if t not in labels)
    blocks, toc = [], []
    for topic in order:
        anchor = topic_anchor(topic)
        label = labels.get(topic, topic)
        toc.append((anchor, label))
        entries = sorted(best[topic].items(), key=lambda kv: (-kv[1][0], kv[0]))
        rows = []
        for doc_id, (score, c) in entries[:TOPIC_DOCS_MAX]:
            body, heading_en, body_en = _split_heading(c)
            heading = _e(c["heading"])
            if _is_translated(c):
                if heading_en:
                    heading += f'<div class="heading-en">{_e(heading_en)}</div>'
                engine = c["translation_engine"]
                text = (
                    f'<div class="ctext" lang="en">{_e(_truncate(body_en or "", TOPIC_TEXT_CHARS))}</div>'
                    f'<div class="orig-small" lang="{_e(c["lang"] or "")}">{_e(_truncate(body, TOPIC_TEXT_CHARS // 2))}</div>'
                    + (f'<span class="gloss-note">dictionary gloss ({_e(engine)})</span>' if _is_gloss(engine) else "")
                )
            else:
                text = f'<div class="ctext">{_e(_truncate(body, TOPIC_TEXT_CHARS))}</div>'
            others = counts[topic][doc_id] - 1
            more = f'<br><span class="muted more">+{others} more</span>' if others else ""
            rows.append(
                f'<tr class="topic-row" data-doc-id="{_e(doc_id)}" data-clause-id="{_e(c["clause_id"])}">'
                f"<td>{_e(doc_id)}</td><td>{_clause_link(doc_id, c['clause_id'], shown)}</td>"
                f'<td class="heading">{heading}</td><td class="text">{text}</td><td class="num">{_fmt_num(score)}{more}</td></tr>'
            )
        more = ""
        if len(entries) > TOPIC_DOCS_MAX:
            more = f'<p class="muted">… and {len(entries) - TOPIC_DOCS_MAX:,} more documents.</p>'
        n_clauses = sum(counts[topic].values())
        blocks.append(
            f'<div class="topic" id="{_e(anchor)}" data-topic="{_e(topic)}"><h3>{_e(label)} <code>{_e(topic)}</code> '
            f'<span class="muted count">{len(entries)} documents, {n_clauses} clauses</span></h3>'
            '<div class="scroll"><table class="list"><thead><tr><th>document</th><th>clause</th><th>heading</th>'
            '<th>text (best clause of each document)</th><th class="num">score</th></tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table></div>{more}</div>"
        )
    return (
        '<section id="topics" class="card"><h2>Topics</h2>'
        '<p class="muted">Per topic, the best-scoring clause of each agreement, strongest first.</p>'
        + "".join(blocks)
        + "</section>",
        toc,
    )


# ------------------------------------------------------------------ page

_CSS = """
:root{--fg:#1f2328;--muted:#656d76;--line:#d8dee4;--bg:#f6f8fa;--card:#fff;--accent:#0b5cad;
--warn-bg:#fff5e0;--warn-line:#e3a008;--bad:#b42318;--bad-bg:#fdecea;--ok:#1a7f37;--gloss:#8250df}
*{box-sizing:border-box}
html{scroll-behavior:smooth}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.55 system-ui,-apple-system,"Segoe UI",Roboto,
"Helvetica Neue",Arial,"Noto Sans","Noto Sans CJK SC","PingFang SC","Microsoft YaHei",sans-serif}
main{max-width:1240px;margin:0 auto;padding:24px 28px 64px;overflow-wrap:anywhere}
h1{font-size:26px;margin:0 0 4px;letter-spacing:-.01em}
h2{font-size:19px;margin:0 0 12px}
h3{font-size:16px;margin:22px 0 8px}
a{color:var(--accent);text-decoration:none}
a:hover{text-decoration:underline}
code{font:12.5px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,"Liberation Mono",monospace}
.muted{color:var(--muted);font-size:13px}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:18px 22px;margin:18px 0}
header.top{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:20px 22px;border-top:4px solid var(--accent)}
header .meta{color:var(--muted);margin:0 0 14px;font-size:14px}
.stats{display:flex;flex-wrap:wrap;gap:10px}
.stat{border:1px solid var(--line);border-radius:6px;padding:6px 12px;min-width:104px;background:#fbfcfd}
.stat .value{display:block;font-size:20px;font-weight:600}
.stat .label{font-size:12px;color:var(--muted)}
.stat.ok .value{color:var(--ok)}.stat.bad .value{color:var(--bad)}.stat.warn .value{color:#9a6700}
nav.toc{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:14px 22px;margin:18px 0}
nav.toc h2{font-size:15px;margin:0 0 6px}
nav.toc ol{margin:0;padding-left:20px;columns:2;column-gap:32px}
nav.toc li{break-inside:avoid;font-size:14px}
nav.toc .toc-sub{list-style:none;padding-left:12px;margin:2px 0 6px;font-size:13px}
nav.toc .toc-sub.inline{display:flex;flex-wrap:wrap;gap:1px 14px}
.scroll{overflow-x:auto}
.scroll.tall{max-height:70vh;overflow:auto;border:1px solid var(--line);border-radius:6px}
.scroll.tall th{position:sticky;top:0;z-index:1}
table{border-collapse:collapse;width:100%;font-size:14px}
th,td{border-bottom:1px solid var(--line);padding:6px 10px;text-align:left;vertical-align:top}
th{background:#f0f3f6;font-weight:600;font-size:13px}
th,td.num,td.word{overflow-wrap:break-word}
.pair-table th:not(.meta){overflow-wrap:anywhere}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.flagged{color:#9a6700;font-weight:600}
tr.rejected td{background:var(--bad-bg)}
.status{font-size:12px;font-weight:600;padding:1px 8px;border-radius:10px;background:#dafbe1;color:var(--ok)}
.status.rejected{background:var(--bad);color:#fff}
.status.skipped{background:#eaeef2;color:var(--muted)}
tr.skipped td{background:#f6f8fa}
.error{color:var(--bad);font-weight:500}
.warning{color:#9a6700}
.notes{max-width:420px}
.rejected-list{margin:0;padding-left:20px}
.rejected-list li{margin:6px 0}
details.doc,details.pairs{border:1px solid var(--line);border-radius:6px;margin:10px 0;background:var(--card)}
details>summary{cursor:pointer;padding:9px 14px;list-style-position:inside;background:#f6f8fa;border-radius:6px}
details[open]>summary{border-bottom:1px solid var(--line);border-radius:6px 6px 0 0}
.doc-title{font-weight:600;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:14px}
.pill{display:inline-block;font-size:12px;padding:0 8px;border-radius:10px;background:#eaeef2;margin-left:4px}
.pill.warn{background:var(--warn-bg);color:#9a6700;border:1px solid #f5d48a}
.doc-body{padding:10px 14px 14px}
.doc-info{margin:0 0 8px;font-size:13px;color:var(--muted)}
.omitted{background:#f6f8fa;border:1px dashed var(--line);padding:8px 12px;border-radius:6px}
.clause{border-left:2px solid #e6eaef;padding:5px 10px 6px;margin:0 0 2px;overflow-wrap:anywhere}
.lv0{margin-left:0}.lv1{margin-left:0}.lv2{margin-left:22px}.lv3{margin-left:44px}.lv4{margin-left:66px}
.lv5{margin-left:88px}.lv6{margin-left:110px}.lv7{margin-left:132px}.lv8{margin-left:154px}
.clause.lv0{border-left-color:#c9d1d9;background:#fafbfc}
.clause.lv1{border-left-color:var(--accent)}
.chead{font-size:14px}
.cid{background:#eef2f6;border-radius:4px;padding:0 5px;color:#24292f}
.chead .label{color:var(--muted);font-size:13px;margin-left:2px}
.chead .heading,.pair-table .heading,.heading-en{font-weight:600}
.inferred{font-size:11px;color:var(--muted);border:1px solid var(--line);border-radius:8px;padding:0 6px}
.tags{margin-left:6px}
.tag{font-size:11px;background:#ddf4ff;color:#0550ae;border-radius:8px;padding:0 7px;margin-right:3px;white-space:nowrap}
.ctext{white-space:pre-wrap;max-width:92ch}
.clause.anomaly{background:var(--warn-bg);border-left:4px solid var(--warn-line)}
.anomaly-list{margin:4px 0 0;padding-left:20px;color:#7d4e00;font-size:13px}
.anomaly-list li::marker{content:"⚠ "}
.side-by-side{border:1px solid var(--line);border-radius:6px;overflow:clip}
.sbs-head,.sbs-row{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr)}
.sbs-head{background:#f0f3f6;font-weight:600;font-size:13px;position:sticky;top:0;z-index:1}
.sbs-head .col{padding:7px 12px}
.sbs-row{margin:0;border-left:0;border-top:1px solid #eef1f4;padding:0}
.sbs-row .col{padding:6px 12px;overflow-wrap:anywhere;min-width:0}
.sbs-row .col.orig{border-right:1px solid #eef1f4}
.sbs-row.lv2 .col.orig{padding-left:30px}.sbs-row.lv3 .col.orig{padding-left:48px}
.sbs-row.lv4 .col.orig,.sbs-row.lv5 .col.orig,.sbs-row.lv6 .col.orig,.sbs-row.lv7 .col.orig,.sbs-row.lv8 .col.orig{padding-left:66px}
.sbs-row.lv2 .col.en{padding-left:30px}.sbs-row.lv3 .col.en{padding-left:48px}
.sbs-row.lv4 .col.en,.sbs-row.lv5 .col.en,.sbs-row.lv6 .col.en,.sbs-row.lv7 .col.en,.sbs-row.lv8 .col.en{padding-left:66px}
.sbs-row.anomaly{border-left:4px solid var(--warn-line)}
.col.en.gloss .ctext{color:#3d2a6b}
.en-meta{margin-top:2px}
.engine{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:#eef2f6;border-radius:4px;padding:0 5px}
.engine.gloss{background:#fbefff;color:var(--gloss)}
.gloss-note{font-size:12px;color:var(--gloss);font-weight:600}
.pair-table td.side{width:45%;overflow-wrap:anywhere}
.pair-table td.side .ctext{max-width:none}
.pair-table td.meta,.pair-table th.meta{width:10%;white-space:nowrap;font-size:13px}
.pair-table .score{font-weight:600;font-variant-numeric:tabular-nums}
.pair-table .para{font-size:12px;color:var(--muted)}
.pair-table .para.low{color:#9a6700}
tr.pair.low td{background:var(--warn-bg)}
tr.pair.unmatched td{background:#f6f8fa}
.low-mark{font-size:12px;font-weight:600;color:#9a6700}
.missing{color:var(--muted);font-style:italic}
.topic h3{border-top:1px solid var(--line);padding-top:14px}
.topic:first-of-type h3{border-top:0;padding-top:0}
.topic td.text{max-width:640px;overflow-wrap:anywhere}
.topic td.heading{max-width:200px}
.topic .count{font-weight:400;margin-left:4px}
.more{white-space:nowrap}
.score-low{font-size:13px;color:#9a6700;font-weight:600}
.orig-small{font-size:13px;color:var(--muted);margin-top:3px;white-space:pre-wrap}
.tools{float:right}
.tools button{font:13px inherit;border:1px solid var(--line);background:#f6f8fa;border-radius:6px;padding:3px 10px;cursor:pointer;margin-left:6px}
footer{color:var(--muted);font-size:12px;text-align:center;margin-top:30px}
@media (max-width:800px){nav.toc ol{columns:1}.sbs-head,.sbs-row{grid-template-columns:1fr}main{padding:12px}}
@media print{details{break-inside:avoid}.tools{display:none}}
"""

_JS = """
(function(){
  function openTo(id){var el=document.getElementById(id);while(el){if(el.tagName==="DETAILS"){el.open=true;}el=el.parentElement;}}
  function fromHash(){if(location.hash.length>1){try{openTo(decodeURIComponent(location.hash.slice(1)));}catch(e){openTo(location.hash.slice(1));}}}
  window.addEventListener("hashchange",fromHash);fromHash();
  var docs=document.getElementById("clauses");
  if(docs){var t=document.createElement("span");t.className="tools";
    [["Expand all",true],["Collapse all",false]].forEach(function(b){var x=document.createElement("button");x.type="button";
      x.textContent=b[0];x.onclick=function(){docs.querySelectorAll("details.doc").forEach(function(d){d.open=b[1];});};t.appendChild(x);});
    docs.querySelector("h2").appendChild(t);}
})();
"""

_CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


class Totals:
    """Counts over the whole tables, for a report rendered from a selection of their rows."""

    __slots__ = ("anomalies", "clauses", "links", "topic_counts")

    def __init__(self, clauses: int, anomalies: AnomalyCount, links: dict[str, int], topic_counts=None) -> None:
        self.clauses, self.anomalies, self.links = clauses, anomalies, links
        self.topic_counts: dict[str, Counter] | None = topic_counts  # topic -> doc_id -> clauses


def render_report(
    clauses: pa.Table, documents: pa.Table, alignments: pa.Table, *, run_id: str | None = None, totals: Totals | None = None
) -> str:
    """The report of one run as a complete, self-contained HTML document (a pure function of
    the tables). `totals`: the header's counts when the tables are a selection (`select`)."""
    docs = _rows(documents, _DOCUMENT_COLUMNS)
    docs.sort(key=lambda d: d["doc_id"])
    clause_rows = _rows(clauses, _CLAUSE_COLUMNS)
    links = _rows(alignments, _ALIGNMENT_COLUMNS)

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
    doc_blocks = []
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
        doc_blocks.append(_document(d, rows, open_docs, show_tree))

    parallel_html, parallel_toc = _parallel(links, index, shown)
    topics_html, topics_toc = _topics(clause_rows, shown, totals.topic_counts if totals else None)
    anomalies_html = _anomalies(clause_rows, shown)
    not_ok = _not_ok(docs)

    toc: list[tuple[str, str, list[tuple[str, str]]]] = [("documents", "Documents overview", [])]
    toc += [(_anchor(status), _status_title(status), []) for status, _ in not_ok]
    if anomalies_html:
        toc.append(("anomalies", "Anomalies", []))
    doc_children = [(doc_anchor(d["doc_id"]), d["doc_id"]) for d in ok_docs] if len(ok_docs) <= 30 else []
    toc.append(("clauses", "Clauses by document", doc_children))
    if parallel_html:
        toc.append(("parallel", "Parallel versions", parallel_toc if len(parallel_toc) <= 30 else []))
    if topics_html:
        toc.append(("topics", "Topics", topics_toc))

    note = ""
    if omitted:
        note = (
            f'<p class="muted">This report shows at most {MAX_TREE_CLAUSES:,} clauses in full; for {omitted:,} '
            "later documents only the anomalous clauses are shown (every clause is in clauses.parquet).</p>"
        )
    clauses_html = (
        '<section id="clauses" class="card"><h2>Clauses by document</h2>'
        + note
        + ("".join(doc_blocks) or '<p class="muted">No accepted documents.</p>')
        + "</section>"
    )
    title = "lexnorm report" + (f" — {run_id}" if run_id else "")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{_e(_CSP)}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="generator" content="lexnorm">'
        f"<title>{_e(title)}</title><style>{_CSS}</style></head>\n<body><main>"
        + _header(run_id, docs, clause_rows, links, totals)
        + _toc(toc)
        + _overview(docs, per_doc)
        + "".join(html for _, html in not_ok)
        + anomalies_html
        + clauses_html
        + parallel_html
        + topics_html
        + "<footer>lexnorm report · generated from clauses.parquet, documents.parquet and alignments.parquet"
        + (f" · run {_e(run_id)}" if run_id else "")
        + "</footer></main>"
        + f"<script>{_JS}</script></body></html>\n"
    )


def _run_id(*tables: pa.Table) -> str | None:
    for table in tables:
        value = (table.schema.metadata or {}).get(RUN_ID_KEY)
        if value:
            return value.decode()
    return None


def _read(path: Path, columns: Iterable[str]) -> pa.Table:
    names = set(pq.read_schema(path).names)
    return pq.read_table(path, columns=[c for c in columns if c in names])


def select(clauses: pa.Table, parallel: pa.Table, links: dict[str, int]) -> tuple[pa.Table, Totals]:
    """`clauses` reduced to the rows the report shows (see `select_rows`), and the totals."""
    rows, totals = select_rows(clauses, parallel, links)
    return (clauses if rows is None else clauses.take(rows)), totals


_SELECTION_COLUMNS = ("doc_id", "clause_id", "anomalies", "topics", "topic_scores", "translation_engine")


def select_rows(clauses: pa.Table, parallel: pa.Table, links: dict[str, int]) -> tuple[list[int] | None, Totals]:
    """The rows the report can show, chosen on the Arrow tables before any row becomes a
    Python object (a large run has hundreds of thousands of clauses and links): the
    clauses of the trees shown in full, anomalous clauses, each document's strongest
    clauses per topic, clauses in the `parallel` links. Plus the counts over everything,
    for the header (`links`: rows per kind of the whole alignments table)."""
    n_anomalies = pc.fill_null(pc.list_value_length(clauses["anomalies"]), 0)
    found = AnomalyCount(  # count_anomalies, in Arrow
        int(pc.sum(n_anomalies).as_py() or 0), int(pc.sum(pc.greater(n_anomalies, 0)).as_py() or 0)
    )
    totals = Totals(clauses.num_rows, found, links)
    if clauses.num_rows <= MAX_TREE_CLAUSES:
        return None, totals
    doc_ids = clauses["doc_id"].to_pylist()
    keep = set()
    budget, counts = MAX_TREE_CLAUSES, Counter(doc_ids)
    for doc_id in sorted(counts):  # the trees shown in full: documents in order while the budget lasts
        if counts[doc_id] > budget:
            break
        budget -= counts[doc_id]
        keep.add(doc_id)
    rows = {i for i, d in enumerate(doc_ids) if d in keep}
    rows.update(i for i, n in enumerate(n_anomalies.to_pylist()) if n)
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
    totals.topic_counts = topic_counts
    joined = mentions.join(top.select(["doc", "topic", "score_max"]), ["doc", "topic"])
    rows.update(joined.filter(pc.equal(joined["score"], joined["score_max"]))["row"].to_pylist())
    engines = clauses["translation_engine"].to_pylist()  # each document's engines, for its summary line
    rows.update({(doc_ids[i], e): i for i, e in reversed(list(enumerate(engines))) if e}.values())
    paired = {(r["left_doc"], r["left_clause"]) for r in parallel.select(["left_doc", "left_clause"]).to_pylist()}
    paired |= {(r["right_doc"], r["right_clause"]) for r in parallel.select(["right_doc", "right_clause"]).to_pylist()}
    if paired:
        rows.update(i for i, c in enumerate(clauses["clause_id"].to_pylist()) if (doc_ids[i], c) in paired)
    return sorted(rows), totals


def _read_rows(path: Path, columns: Iterable[str], rows: list[int]) -> pa.Table:
    """Only `rows` (sorted indices) of a Parquet file, one record batch at a time."""
    parquet = pq.ParquetFile(path)
    names = [c for c in columns if c in parquet.schema_arrow.names]
    picked, offset, k = [], 0, 0
    for batch in parquet.iter_batches(columns=names, batch_size=16_384):
        end, start = offset + batch.num_rows, k
        while k < len(rows) and rows[k] < end:
            k += 1
        if k > start:
            picked.append(batch.take(pa.array([r - offset for r in rows[start:k]], type=pa.int64())))
        offset = end
    return pa.Table.from_batches(picked, schema=parquet.schema_arrow.select(names) if not picked else None)


def write_report(out_dir: Path) -> Path:
    """Render the tables in `out_dir` into `out_dir/report.html`, atomically; returns its path."""
    out_dir = Path(out_dir)
    clauses_path = out_dir / "clauses.parquet"
    documents = _read(out_dir / "documents.parquet", _DOCUMENT_COLUMNS)
    links_path = out_dir / "alignments.parquet"
    counts = pc.value_counts(pq.read_table(links_path, columns=["kind"])["kind"]).to_pylist()
    links = {c["values"]: c["counts"] for c in counts}
    parallel = pq.read_table(links_path, columns=list(_ALIGNMENT_COLUMNS), filters=[("kind", "=", "parallel")])
    # choose the rows from the small columns, then read the texts of those rows only
    rows, totals = select_rows(_read(clauses_path, _SELECTION_COLUMNS), parallel, links)
    clauses = _read(clauses_path, _CLAUSE_COLUMNS) if rows is None else _read_rows(clauses_path, _CLAUSE_COLUMNS, rows)
    run_id = _run_id(clauses, documents, parallel)
    page = render_report(clauses, documents, parallel, run_id=run_id, totals=totals)
    target = out_dir / REPORT_NAME
    tmp = out_dir / f".{REPORT_NAME}.{os.getpid()}.tmp"
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(page)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    dir_fd = os.open(out_dir, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return target
