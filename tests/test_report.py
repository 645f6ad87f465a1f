"""The HTML report (lexnorm/output/report.py) on the tables of a real flow run (prefect_test_harness), read back
with a stdlib HTML parser, and rendered by headless Chromium when it is installed."""

from __future__ import annotations

import json
import os
import re
import shutil
import struct
import subprocess
from collections import Counter, defaultdict
from datetime import UTC, datetime
from html.parser import HTMLParser
from importlib import resources
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from prefect.artifacts import Artifact
from prefect.testing.utilities import prefect_test_harness

import lexnorm.atomic as atomic
import lexnorm.output.report as report
from conftest import SEEDS, corpus_file, seed_folders
from flows.normalize import default_settings, normalize
from lexnorm.output.report import clause_anchor, doc_anchor, render_report, topic_anchor, write_report
from lexnorm.output.schema import ALIGNMENTS, CLAUSES, DOCUMENTS
from stages.records import Document
from lexnorm.output.summary import DocumentReport, RunResult, console, document_rows, markdown
from test_alignment import EN as PARALLEL_EN
from test_alignment import ZH as PARALLEL_ZH

ZH_SEED = SEEDS["003"].stem
MARKUP = "markup_terms"
MARKUP_TEXT = """Markup Terms
These terms apply to <script>alert("x")</script> and <b>bold</b> & "quoted" text, see https://example.com/terms.
The <img src="https://example.com/x.png"> tag is text too.
"""


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """One real run: the five seeds, a parallel zh/en pair, a document full of markup, two rejects."""
    raw, out = seed_folders(tmp_path_factory)
    (raw / "service_zh.txt").write_text(PARALLEL_ZH, encoding="utf-8")
    # the English version states another fee and day: its pair is low confidence
    (raw / "service_en.txt").write_text(PARALLEL_EN.replace("RMB 1000", "RMB 7500").replace("5th day", "20th day"), encoding="utf-8")
    (raw / f"{MARKUP}.txt").write_text(MARKUP_TEXT, encoding="utf-8")
    (raw / "broken.txt").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8)
    (raw / "empty.md").write_bytes(b"")
    no_models = (tmp_path_factory.mktemp("no-models"),)  # the gloss, whatever this machine has installed
    with prefect_test_harness(server_startup_timeout=120):
        normalize(raw, out, default_settings(out, package_dirs=no_models))
    return out


@pytest.fixture(scope="module")
def tables(run):
    return {name: pq.read_table(run / f"{name}.parquet") for name in ("clauses", "documents", "alignments")}


@pytest.fixture(scope="module")
def run_id(tables):
    return tables["clauses"].schema.metadata[b"lexnorm.run_id"].decode()


@pytest.fixture(scope="module")
def page(tables, run_id):
    return render_report(tables["clauses"], tables["documents"], tables["alignments"], run_id=run_id)


@pytest.fixture(scope="module")
def dom(page):
    return Dom.parse(page)


@pytest.fixture(scope="module")
def clauses(tables):
    return tables["clauses"].to_pylist()


@pytest.fixture(scope="module")
def documents(tables):
    return {d["doc_id"]: d for d in tables["documents"].to_pylist()}


@pytest.fixture(scope="module")
def report_file(run):
    return write_report(run)


# ------------------------------------------------------------------ a small DOM from html.parser

VOID = {"meta", "br", "img", "input", "link", "hr", "col", "source", "wbr", "area", "base", "embed", "param", "track"}


class Node:
    def __init__(self, tag: str, attrs: dict[str, str | None], parent: Node | None) -> None:
        self.tag, self.attrs, self.parent = tag, attrs, parent
        self.children: list[Node | str] = []

    @property
    def classes(self) -> set[str]:
        return set((self.attrs.get("class") or "").split())

    def text(self) -> str:
        return "".join(c if isinstance(c, str) else c.text() for c in self.children)

    def iter(self):
        yield self
        for c in self.children:
            if isinstance(c, Node):
                yield from c.iter()

    def find_all(self, tag: str | None = None, cls: str | None = None, **attrs: str) -> list[Node]:
        return [
            n
            for n in self.iter()
            if (tag is None or n.tag == tag)
            and (cls is None or cls in n.classes)
            and all(n.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())
        ]

    def ancestors(self):
        node = self.parent
        while node is not None:
            yield node
            node = node.parent


class Dom(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {}, None)
        self.current = self.root
        self.ids: Counter[str] = Counter()
        self.by_id: dict[str, Node] = {}

    @classmethod
    def parse(cls, html: str) -> Dom:
        dom = cls()
        dom.feed(html)
        dom.close()
        return dom

    def handle_starttag(self, tag, attrs):
        node = Node(tag, dict(attrs), self.current)
        self.current.children.append(node)
        if "id" in node.attrs:
            self.ids[node.attrs["id"]] += 1
            self.by_id[node.attrs["id"]] = node
        if tag not in VOID:
            self.current = node

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.current = self.current.parent

    def handle_endtag(self, tag):
        node = self.current
        while node is not None and node.tag != tag:
            node = node.parent
        if node is not None and node.parent is not None:
            self.current = node.parent

    def handle_data(self, data):
        self.current.children.append(data)

    def find_all(self, *args, **kwargs) -> list[Node]:
        return self.root.find_all(*args, **kwargs)


def squash(text: str) -> str:
    return " ".join(text.split())


def tail(text: str) -> str:
    """The end of a clause's text: always in its body (the heading the page shows apart is at the start)."""
    return squash(text.strip().split("\n")[-1])[-24:].strip()


# ------------------------------------------------------------------ structure


def test_page_is_one_complete_document_with_unique_ids_and_no_dangling_links(page, dom):
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert dom.find_all("h1")[0].text() == "lexnorm report"
    duplicates = [i for i, n in dom.ids.items() if n > 1]
    assert not duplicates
    hrefs = [a.attrs["href"] for a in dom.find_all("a")]
    assert hrefs and all(h.startswith("#") for h in hrefs)  # only links inside the page
    dangling = sorted({h for h in hrefs if h[1:] not in dom.ids})
    assert not dangling
    toc = dom.by_id["contents"]
    for section in ("documents", "clauses", "parallel", "topics", "rejected", "anomalies"):
        assert section in dom.ids and toc.find_all("a", href=f"#{section}")


def test_header_names_the_run_and_counts_documents_clauses_and_links(dom, tables, run_id):
    header = dom.by_id["top"]
    assert dom.find_all("code", cls="run-id")[0].text() == run_id
    stats = {
        n.attrs["data-stat"]: n.find_all("span", cls="value")[0].text().replace(",", "")
        for n in header.find_all(cls="stat")
    }
    status = Counter(tables["documents"].column("status").to_pylist())
    kinds = Counter(tables["alignments"].column("kind").to_pylist())
    assert stats["documents-ok"] == str(status["ok"]) == "8"
    assert stats["documents-rejected"] == str(status["rejected"]) == "2"
    assert stats["clauses"] == str(tables["clauses"].num_rows)
    for kind in ("translation", "parallel", "topic"):
        assert stats[f"links-{kind}"] == str(kinds[kind]) and kinds[kind] > 0


def test_overview_lists_every_document_and_marks_rejected_ones_with_their_error(dom, documents, clauses):
    rows = {r.attrs["data-doc-id"]: r for r in dom.by_id["documents"].find_all("tr") if "data-doc-id" in r.attrs}
    assert set(rows) == set(documents)
    anomalies = Counter()  # anomalies, not clauses with anomalies: the console's count
    for c in clauses:
        anomalies[c["doc_id"]] += len(c["anomalies"] or ())
    for doc_id, doc in documents.items():
        cells = [squash(td.text()) for td in rows[doc_id].find_all("td")]
        assert cells[0] == doc_id and cells[1] == doc["status"]
        if doc["status"] == "ok":
            assert cells[4] == str(doc["n_clauses"]) and cells[5] == str(anomalies[doc_id])
        else:
            assert "rejected" in rows[doc_id].classes and doc["error"] and cells[6] == squash(doc["error"])
            entry = dom.by_id[doc_anchor(doc_id)]  # the overview links to it
            assert "rejected-doc" in entry.classes and squash(doc["error"]) in squash(entry.text())
    assert {d for d, doc in documents.items() if doc["status"] == "rejected"} == {"broken", "empty"}
    warned = [d for d, doc in documents.items() if doc["warnings"]]
    for doc_id in warned:
        assert squash(documents[doc_id]["warnings"][0]) in squash(rows[doc_id].text())


def test_every_accepted_document_has_its_section_with_its_whole_clause_tree(dom, documents, clauses):
    by_doc = defaultdict(list)
    for c in clauses:
        by_doc[c["doc_id"]].append(c)
    toc = dom.by_id["contents"]
    for doc_id, doc in documents.items():
        if doc["status"] != "ok":
            continue
        section = dom.by_id[doc_anchor(doc_id)]
        assert section.tag == "details" and section.attrs["data-doc-id"] == doc_id
        assert toc.find_all("a", href=f"#{doc_anchor(doc_id)}")
        shown = [n for n in section.iter() if "clause" in n.classes]
        assert [n.attrs["data-clause-id"] for n in shown] == [
            c["clause_id"] for c in sorted(by_doc[doc_id], key=lambda c: c["seq"])
        ]
        for node, c in zip(shown, sorted(by_doc[doc_id], key=lambda c: c["seq"])):
            assert node.attrs["id"] == clause_anchor(doc_id, c["clause_id"])
            assert f"lv{min(c['level'], 8)}" in node.classes and node.attrs["data-level"] == str(c["level"])
            body = squash(node.find_all(cls="col")[0].text() if "sbs-row" in node.classes else node.text())
            assert tail(c["text"]) in body


def test_anomalous_clauses_are_highlighted_with_their_anomalies(dom, clauses):
    expected = {(c["doc_id"], c["clause_id"]): c["anomalies"] for c in clauses if c["anomalies"]}
    assert len(expected) >= 3  # the seeds have an inferred number and mid-line labels
    marked = {}
    for node in dom.find_all(cls="anomaly"):
        doc = next(a for a in node.ancestors() if a.tag == "details")
        marked[(doc.attrs["data-doc-id"], node.attrs["data-clause-id"])] = node
    assert set(marked) == set(expected)
    for key, anomalies in expected.items():
        items = [squash(li.text()) for li in marked[key].find_all("li")]
        assert items == [squash(a) for a in anomalies] and marked[key].attrs["data-anomalies"] == str(len(anomalies))
    clean = [n for n in dom.find_all(cls="clause") if "anomaly" not in n.classes]
    assert clean and not any(n.find_all(cls="anomaly-list") for n in clean)
    listing = squash(dom.by_id["anomalies"].text())
    assert all(squash(a.split(":", 1)[1]) in listing for anomalies in expected.values() for a in anomalies)


def test_chinese_documents_show_original_and_gloss_side_by_side(dom, clauses):
    for doc_id in (ZH_SEED, "service_zh"):
        section = dom.by_id[doc_anchor(doc_id)]
        (view,) = section.find_all(cls="side-by-side")
        assert view.attrs["data-engines"] == "gloss:cc-cedict"
        head = squash(view.find_all(cls="sbs-head")[0].text())
        assert "Original (zh)" in head and "gloss:cc-cedict" in head and "not a translation" in head
        rows = view.find_all(cls="sbs-row")
        mine = [c for c in clauses if c["doc_id"] == doc_id]
        assert len(rows) == len(mine) and all(c["lang"] == "zh" and c["text_en"] != c["text"] for c in mine)
        for row, c in zip(rows, sorted(mine, key=lambda c: c["seq"])):
            original, english = row.find_all(cls="col")
            assert "orig" in original.classes and "en" in english.classes and "gloss" in english.classes
            assert tail(c["text"]) in squash(original.text()) and tail(c["text_en"]) in squash(english.text())
    english = [d for d in dom.find_all("details", cls="doc") if d.attrs["data-doc-id"] not in (ZH_SEED, "service_zh")]
    assert len(english) == 6 and not any(d.find_all(cls="side-by-side") for d in english)


def test_parallel_versions_are_shown_clause_by_clause(dom, tables, clauses):
    links = [r for r in tables["alignments"].to_pylist() if r["kind"] == "parallel"]
    clause_links = [r for r in links if json.loads(r["detail"])["level"] == "clause"]
    groups = dom.by_id["parallel"].find_all("details", cls="pairs")
    assert [(g.attrs["data-left-doc"], g.attrs["data-right-doc"]) for g in groups] == [("service_zh", "service_en")]
    pairs = groups[0].find_all("tr", cls="pair")
    assert [(p.attrs["data-left"] or None, p.attrs["data-right"] or None) for p in pairs] == [
        (r["left_clause"], r["right_clause"]) for r in clause_links
    ]
    text = {(c["doc_id"], c["clause_id"]): c["text"] for c in clauses}
    for pair, link in zip(pairs, clause_links):
        left, right, meta = pair.find_all("td")
        detail = json.loads(link["detail"])
        assert f"{link['score']:.2f}" in meta.text()
        low = bool(detail.get("low_confidence", False))
        assert pair.attrs["data-low-confidence"] == str(low).lower() and ("low confidence" in meta.text()) == low
        for side, doc, clause in (
            (left, "service_zh", link["left_clause"]),
            (right, "service_en", link["right_clause"]),
        ):
            if clause is None:
                assert "no counterpart" in side.text() and "unmatched" in pair.classes
            else:
                assert tail(text[(doc, clause)]) in squash(side.text())
    low = [p.attrs["data-left"] for p in pairs if p.attrs["data-low-confidence"] == "true"]
    assert "art2" in low  # the fee and the day disagree (1000 and 7500, 5 and 20)
    assert ("", "art5") in [(p.attrs["data-left"], p.attrs["data-right"]) for p in pairs]


def test_topics_show_the_best_clause_of_every_agreement_strongest_first(dom, clauses):
    best: dict[str, dict[str, tuple[float, int, str]]] = defaultdict(dict)
    for c in clauses:
        for topic, score in zip(c["topics"], c["topic_scores"]):
            key = (score, -c["seq"], c["clause_id"])
            if c["doc_id"] not in best[topic] or key > best[topic][c["doc_id"]]:
                best[topic][c["doc_id"]] = key
    assert "governing_law" in best and len(best) > 10
    section = dom.by_id["topics"]
    assert sorted(n.attrs["data-topic"] for n in section.find_all(cls="topic")) == sorted(best)
    for topic, per_doc in best.items():
        block = dom.by_id[topic_anchor(topic)]
        rows = [(r.attrs["data-doc-id"], r.attrs["data-clause-id"]) for r in block.find_all("tr", cls="topic-row")]
        ranked = sorted(per_doc.items(), key=lambda kv: (-kv[1][0], kv[0]))
        assert rows == [(doc, key[2]) for doc, key in ranked]
        assert dom.by_id["contents"].find_all("a", href=f"#{topic_anchor(topic)}")
    zh_law = [
        r
        for r in dom.by_id[topic_anchor("governing_law")].find_all("tr", cls="topic-row")
        if r.attrs["data-doc-id"] == "service_zh"
    ]
    assert zh_law and "governing law" in zh_law[0].text() and "dictionary gloss" in zh_law[0].text()


# ------------------------------------------------------------------ safety


def test_clause_text_is_escaped_never_markup(page, dom, clauses):
    markup = [c for c in clauses if c["doc_id"] == MARKUP]
    assert any("<script>" in c["text"] for c in markup)
    assert (
        "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page  # the templates' autoescaping (markupsafe)
        and "&lt;b&gt;bold&lt;/b&gt; &amp; &#34;quoted&#34;" in page
    )
    assert len(dom.find_all("script")) == 1 and "alert" not in dom.find_all("script")[0].text()  # only the report's own
    assert not dom.find_all("b") and not dom.find_all("img")
    section = dom.by_id[doc_anchor(MARKUP)]
    assert '<script>alert("x")</script>' in section.text() and '<img src="https://example.com/x.png">' in section.text()


def doc_row(doc_id: str, **fields) -> dict:
    """A documents row made by hand: an accepted document unless `fields` say otherwise."""
    return {name: None for name in DOCUMENTS.names} | {
        "doc_id": doc_id, "source_path": f"raw/{doc_id}.txt", "sha256": "", "size_bytes": 1, "n_clauses": 1,
        "status": "ok", "pipeline_version": "0", "processed_at": datetime(2025, 1, 1, tzinfo=UTC), "text": "", "lang": "en",
    } | fields  # fmt: skip


def clause_row(doc_id: str, clause_id: str, **fields) -> dict:
    """A clauses row made by hand."""
    return {name: None for name in CLAUSES.names} | {
        "doc_id": doc_id, "clause_id": clause_id, "level": 1, "seq": 0, "number_inferred": False, "text": "",
        "lang": "en", "char_start": 0, "char_end": 1, "topics": [], "topic_scores": [],
    } | fields  # fmt: skip


def hand_made(docs: list[dict], clauses: list[dict], links: list[dict] = ()) -> tuple[pa.Table, pa.Table, pa.Table]:
    """(clauses, documents, alignments) tables from rows made by hand."""
    return (
        pa.Table.from_pylist(clauses, schema=CLAUSES),
        pa.Table.from_pylist(docs, schema=DOCUMENTS),
        pa.Table.from_pylist(list(links), schema=ALIGNMENTS),
    )


def test_hostile_ids_and_texts_in_hand_made_tables():
    doc = doc_row('my "doc" <1>', warnings=["<i>warned</i>"])
    clause = clause_row(
        doc["doc_id"], "1 & 2", heading="<h1>Heading</h1>", text="<h1>Heading</h1>\n</details></section><script>alert(1)</script>",
        text_en="x", anomalies=["duplicate_number: a <second> one"], topics=["<evil>"], topic_scores=[9.0],
    )  # fmt: skip
    page = render_report(*hand_made([doc], [clause]), run_id="<run>")
    dom = Dom.parse(page)
    assert len(dom.find_all("script")) == 1 and not dom.find_all("i") and len(dom.find_all("h1")) == 1
    assert "&lt;run&gt;" in page and 'id="doc-my%20&#34;doc&#34;%20&lt;1&gt;"' in page
    section = dom.by_id['doc-my%20"doc"%20<1>']
    (node,) = section.find_all(cls="anomaly")
    assert node.attrs["id"] == 'clause-my%20"doc"%20<1>/1%20&%202' and "a <second> one" in node.text()
    assert "</details></section><script>alert(1)</script>" in node.text()
    assert dom.by_id["topic-<evil>"] and not [
        h for h in (a.attrs["href"] for a in dom.find_all("a")) if h[1:] not in dom.ids
    ]


def test_no_external_resources(page, dom):
    attrs = [(k, v or "") for n in dom.root.iter() for k, v in n.attrs.items()]
    assert not [
        (k, v) for k, v in attrs if k in ("src", "href", "action", "srcset", "poster", "data") and not v.startswith("#")
    ]
    assert not re.search(r"""(?:src|href|action)\s*=\s*["']?\s*(?:https?:)?//""", page, re.IGNORECASE)
    style = "".join(n.text() for n in dom.find_all("style"))
    assert "url(" not in style and "@import" not in style and "http" not in style
    assert "http" not in "".join(n.text() for n in dom.find_all("script"))
    (csp,) = [n for n in dom.find_all("meta") if n.attrs.get("http-equiv") == "Content-Security-Policy"]
    assert "default-src 'none'" in csp.attrs["content"]
    assert not dom.find_all("link") and not dom.find_all("img") and not dom.find_all("iframe")


def test_the_page_inlines_the_packaged_css_and_javascript(page, dom):
    """report.css and report.js are package data, inlined as they are: the page needs no other file."""
    templates = resources.files("lexnorm.output").joinpath("templates")
    css, js = (templates.joinpath(name).read_text(encoding="utf-8") for name in ("report.css", "report.js"))
    assert [n.text() for n in dom.find_all("style")] == [css] and [n.text() for n in dom.find_all("script")] == [js]
    assert "\n  <" not in page.replace(css, "").replace(js, "")  # the templates' indentation is not the page's


def test_render_is_deterministic(tables, run_id, page):
    again = render_report(tables["clauses"], tables["documents"], tables["alignments"], run_id=run_id)
    assert again == page


# ------------------------------------------------------------------ write_report


def test_write_report_writes_the_rendered_page_atomically(run, report_file, page):
    assert report_file == run / "report.html" and report_file.is_file()
    assert report_file.read_text(encoding="utf-8") == page  # the run id comes from the Parquet metadata
    assert not [p.name for p in run.iterdir() if p.name.endswith(".tmp") or "report.html." in p.name]
    inode = report_file.stat().st_ino
    assert write_report(run) == report_file and report_file.stat().st_ino != inode  # replaced, not rewritten in place
    assert report_file.read_text(encoding="utf-8") == page


def test_write_report_failure_keeps_the_previous_report(run, report_file, page, monkeypatch):
    def refuse(src, dst):
        raise OSError("disk says no")

    monkeypatch.setattr(atomic.os, "replace", refuse)
    with pytest.raises(OSError, match="disk says no"):
        write_report(run)
    monkeypatch.undo()
    assert report_file.read_text(encoding="utf-8") == page
    assert not [p.name for p in run.iterdir() if p.name.endswith(".tmp")]


def test_big_runs_are_collapsed_and_capped(tables, page, monkeypatch):
    monkeypatch.setattr(report, "MAX_TREE_CLAUSES", 200)
    monkeypatch.setattr(report, "TOPIC_DOCS_MAX", 2)
    capped = render_report(tables["clauses"], tables["documents"], tables["alignments"])
    dom = Dom.parse(capped)
    docs = dom.find_all("details", cls="doc")
    assert docs and not any("open" in d.attrs for d in docs)  # 8 documents, more than OPEN_DOCS_MAX: collapsed
    shown = dom.find_all(cls="clause")
    assert 0 < len([n for n in shown if "anomaly" not in n.classes]) <= 200
    assert "Clause tree not shown" in capped and "only the anomalous clauses are shown" in capped
    assert len(dom.find_all(cls="anomaly")) == sum(bool(a) for a in tables["clauses"].column("anomalies").to_pylist())
    assert all(len(t.find_all("tr", cls="topic-row")) <= 2 for t in dom.find_all(cls="topic"))
    assert not [h for h in (a.attrs["href"] for a in dom.find_all("a")) if h[1:] not in dom.ids]
    assert len(capped) < 0.5 * len(page)


def test_a_big_run_renders_the_same_page_from_the_rows_it_selects(run, tables, run_id, tmp_path, monkeypatch):
    """write_report picks the rows it can show before they become Python objects (memory);
    the page must be the one the whole tables give."""
    monkeypatch.setattr(report, "MAX_TREE_CLAUSES", 200)
    monkeypatch.setattr(report, "TOPIC_DOCS_MAX", 2)
    alignments = tables["alignments"]
    links = dict(Counter(alignments.column("kind").to_pylist()))
    parallel = alignments.filter(pc.equal(alignments["kind"], "parallel"))
    clauses, totals = report.select(tables["clauses"], parallel, links)
    assert clauses.num_rows < tables["clauses"].num_rows  # rows were left out ...
    whole = render_report(tables["clauses"], tables["documents"], alignments)
    assert render_report(clauses, tables["documents"], parallel, totals=totals) == whole  # ... and none was missed
    out = tmp_path / "out"  # write_report reads only the selected rows' texts, batch by batch: the same page
    shutil.copytree(run, out, ignore=shutil.ignore_patterns("report.html", ".*"))
    expected = render_report(tables["clauses"], tables["documents"], alignments, run_id=run_id)
    assert write_report(out).read_text(encoding="utf-8") == expected


# ------------------------------------------------------------------ Chromium


def chromium_binary() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("headless Chromium not found on PATH (install the chromium package to render the report)")


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    flags = [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-default-apps", "--disable-extensions", "--hide-scrollbars", f"--user-data-dir={tmp_path / 'profile'}",
    ]  # fmt: skip
    env = {**os.environ, "HOME": str(tmp_path)}
    return subprocess.run(
        [chromium_binary(), *flags, *args], capture_output=True, text=True, timeout=120, env=env, check=False
    )


def test_chromium_renders_the_report(tmp_path, report_file, documents, clauses):
    done = chromium(tmp_path, "--virtual-time-budget=2000", "--dump-dom", report_file.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    rendered = Dom.parse(done.stdout)
    assert rendered.find_all("h1")[0].text() == "lexnorm report"
    for doc_id, doc in documents.items():
        assert doc_anchor(doc_id) in rendered.ids
        if doc["status"] == "ok":
            assert rendered.by_id[doc_anchor(doc_id)].tag == "details"
    assert len(rendered.find_all(cls="anomaly")) == sum(bool(c["anomalies"]) for c in clauses)
    assert rendered.by_id[doc_anchor(ZH_SEED)].find_all(cls="side-by-side")
    assert "not a translation" in rendered.by_id[doc_anchor(ZH_SEED)].text()
    assert topic_anchor("governing_law") in rendered.ids and rendered.find_all("tr", cls="pair")
    buttons = [b.text() for b in rendered.find_all("button")]
    assert buttons == ["Expand all", "Collapse all"]  # the inline script ran (the page's CSP allows only inline code)


def test_chromium_screenshot(tmp_path, report_file):
    shot = tmp_path / "report.png"
    done = chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,2000", report_file.as_uri())
    assert done.returncode == 0 and shot.is_file(), done.stderr[-2000:]
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    assert struct.unpack(">II", data[16:24]) == (1280, 2000)
    assert len(data) > 50_000  # text, tables and colours, not a blank page


LAYOUT_PROBE = """<script>
(function(){
  var page = document.documentElement, view = page.clientWidth;
  function right(el){ return Math.round(el.getBoundingClientRect().right); }
  var layout = {
    view: view, page: page.scrollWidth,
    columns: Array.from(document.querySelectorAll("#anomalies th")).map(function(th){ return [th.textContent, right(th)]; }),
    scrolls: Array.from(document.querySelectorAll(".scroll")).map(function(s){ return [s.scrollWidth, s.clientWidth]; }),
    wide: Array.from(document.querySelectorAll("main *")).filter(function(el){ return right(el) > view; })
      .map(function(el){ return el.tagName + "." + el.className; }).slice(0, 20)
  };
  document.body.setAttribute("data-layout", JSON.stringify(layout));
})();
</script></body>"""


@pytest.mark.parametrize("window", [1280, 800])
def test_chromium_wraps_long_ids_headings_and_tokens_inside_the_viewport(tmp_path, window):
    """A 150-character clause id (and doc id, heading, URL, error) must wrap: the anomalies
    table keeps its code and explanation columns on screen, and nothing on the page is
    wider than the window (measured in headless Chromium by a script added to the page)."""
    long_id = "s" + ".".join(f"{n:02d}" for n in range(50))  # 150 characters, no space
    doc_id, other = "agreement_" + "x" * 70, "agreement_" + "y" * 70
    url = "https://example.com/" + "a" * 300
    docs = [doc_row(doc_id, n_clauses=2), doc_row(other), doc_row("unreadable_" + "z" * 120, status="rejected",
            n_clauses=0, error="not a text file: " + "b" * 200)]  # fmt: skip
    clauses = [
        clause_row(doc_id, long_id, heading="H" * 200, text=f"See {url} for the terms.",
                   anomalies=[f"number_gap: after {long_id} comes a gap", "translation_truncated: " + url]),
        clause_row(doc_id, "2", seq=1, text="Plain clause.", anomalies=["gap: short"]),
        clause_row(other, long_id, text="The same clause in another version."),
    ]  # fmt: skip
    links = [{"kind": "parallel", "left_doc": doc_id, "left_clause": long_id, "right_doc": other,
              "right_clause": long_id, "score": 1.0, "method": "id", "detail": '{"level": "clause"}'}]  # fmt: skip
    page = render_report(*hand_made(docs, clauses, links))
    path = tmp_path / "report.html"
    path.write_text(page.replace("</body>", LAYOUT_PROBE, 1), encoding="utf-8")
    done = chromium(tmp_path, "--virtual-time-budget=2000", f"--window-size={window},900", "--dump-dom", path.as_uri())
    assert done.returncode == 0, done.stderr[-2000:]
    (body,) = Dom.parse(done.stdout).find_all("body")
    layout = json.loads(body.attrs["data-layout"])
    columns = dict(layout["columns"])
    assert list(columns) == ["document", "clause", "code", "explanation"]
    assert columns["code"] <= columns["explanation"] <= layout["view"], layout
    assert layout["page"] <= layout["view"] and layout["wide"] == [], layout
    assert all(scroll <= client for scroll, client in layout["scrolls"]), layout  # no table scrolls sideways


# ------------------------------------------------------------------ one count everywhere: console, artifact, report, tables

CORPUS_RUN = {  # the Swiss data-protection act in three languages, and China's PIPL in two
    "ch_fadp_2020_de.txt": "dev/ch_fadp_2020_de.txt",
    "ch_fadp_2020_fr.txt": "dev/ch_fadp_2020_fr.txt",
    "ch_fadp_2020_en.txt": "dev/ch_fadp_2020_en.txt",
    "cn_pipl_zh.txt": "cn_pipl_zh.txt",
    "cn_pipl_en.txt": "cn_pipl_en.txt",
}
CORPUS_PAIRS = [["ch_fadp_2020_de.txt", "ch_fadp_2020_en.txt"], ["ch_fadp_2020_fr.txt", "ch_fadp_2020_en.txt"],
                ["cn_pipl_zh.txt", "cn_pipl_en.txt"]]  # fmt: skip
HEADLINE = re.compile(r"(\d+) document\(s\) ok, (\d+) rejected, (\d+) clauses, (\d+) anomalies \(in (\d+) clauses\) in ")
LINKS = re.compile(r"links \(rows of alignments\.parquet\): (\d+) translation, (\d+) parallel, (\d+) topic")
PAIR = re.compile(
    r"parallel versions (\S+) <-> (\S+): (\d+) clause pairs \((\d+) low confidence\), (\d+) clauses unmatched, (\d+) paragraph links"
)


@pytest.fixture(scope="module")
def corpus_run(tmp_path_factory):
    """A real flow run on real statutes whose counts once differed between the console (30
    anomalies, 887 clause pairs) and the report (21, 910): the console summary, the Markdown
    artifact the run published, and the folder with its tables and report."""
    raw, out = tmp_path_factory.mktemp("corpus-raw"), tmp_path_factory.mktemp("corpus-out")
    for name, source in CORPUS_RUN.items():
        shutil.copy(corpus_file(source), raw / name)
    # the English PIPL with its last article replaced by the one before, printed again: the
    # Chinese article 74 is left unmatched, and the repeated article has two anomalies
    # (duplicate_number, duplicate_text)
    english = corpus_file("cn_pipl_en.txt").read_text(encoding="utf-8")
    body = english[: english.rindex("\nArticle ")]
    (raw / "cn_pipl_en.txt").write_text(body + body[body.rindex("\nArticle ") :] + "\n", encoding="utf-8")
    (raw / "manifest.json").write_text(json.dumps({"parallel": CORPUS_PAIRS}), encoding="utf-8")
    no_models = (tmp_path_factory.mktemp("no-models"),)
    with prefect_test_harness(server_startup_timeout=120):
        result = normalize(raw, out, default_settings(out, package_dirs=no_models))
        artifact = Artifact.get("lexnorm-run-summary")
    return console(result), artifact.data, out


def table_counts(out: Path) -> dict:
    """The counts, from the Parquet tables alone (pyarrow, no lexnorm code)."""
    clauses = pq.read_table(out / "clauses.parquet", columns=["doc_id", "anomalies"]).to_pylist()
    links = pq.read_table(out / "alignments.parquet").to_pylist()
    per_doc, pairs = defaultdict(Counter), defaultdict(Counter)
    for c in clauses:
        per_doc[c["doc_id"]].update(clauses=1, anomalies=len(c["anomalies"] or ()), flagged=bool(c["anomalies"]))
    for link in links:
        if link["kind"] != "parallel":
            continue
        detail, pair = json.loads(link["detail"]), pairs[(link["left_doc"], link["right_doc"])]
        if detail["level"] != "clause":
            pair["paragraphs"] += 1
        elif link["left_clause"] is None or link["right_clause"] is None:
            pair["unmatched"] += 1
        else:
            pair.update(pairs=1, low=bool(detail.get("low_confidence")))
    return {
        "per_doc": {d: (n["clauses"], n["anomalies"]) for d, n in per_doc.items()},
        "totals": (sum(n["clauses"] for n in per_doc.values()), sum(n["anomalies"] for n in per_doc.values()),
                   sum(n["flagged"] for n in per_doc.values())),
        "kinds": Counter(link["kind"] for link in links),
        "pairs": {k: (n["pairs"], n["low"], n["unmatched"], n["paragraphs"]) for k, n in pairs.items()},
    }  # fmt: skip


def test_console_artifact_report_and_tables_give_the_same_counts(corpus_run):
    text, artifact, out = corpus_run
    truth = table_counts(out)
    assert truth["totals"][1] != truth["totals"][2]  # some clause has two anomalies: the counts differ ...
    assert any(unmatched for _, _, unmatched, _ in truth["pairs"].values())  # ... and some clause is unmatched
    assert truth["kinds"]["parallel"] > sum(pairs for pairs, *_ in truth["pairs"].values())
    documents = pq.read_table(out / "documents.parquet", columns=["doc_id", "status"]).to_pylist()
    assert [d["status"] for d in documents] == ["ok"] * len(CORPUS_RUN)

    for summary in (text, artifact):  # the console and the Markdown artifact say the same
        (headline,) = HEADLINE.findall(summary)
        assert tuple(map(int, headline)) == (len(CORPUS_RUN), 0, *truth["totals"])
        (kinds,) = LINKS.findall(summary)
        assert tuple(map(int, kinds)) == tuple(truth["kinds"][k] for k in ("translation", "parallel", "topic"))
        pairs = {(left, right): tuple(map(int, n)) for left, right, *n in PAIR.findall(summary)}
        # the manifest's three pairs, and German <-> French found by detection
        assert pairs == truth["pairs"] and len(pairs) == len(CORPUS_PAIRS) + 1
    rows = [line.split() for line in text.splitlines()[2 : 2 + len(CORPUS_RUN)]]
    assert {r[0]: (int(r[4]), int(r[5])) for r in rows} == truth["per_doc"]
    cells = [line.split(" | ") for line in artifact.splitlines() if line.startswith("| ch_") or line.startswith("| cn_")]
    assert {c[0][2:]: (int(c[4]), int(c[5])) for c in cells} == truth["per_doc"]

    dom = Dom.parse((out / "report.html").read_text(encoding="utf-8"))  # the report the run wrote
    stats = {
        n.attrs["data-stat"]: int(n.find_all("span", cls="value")[0].text().replace(",", ""))
        for n in dom.by_id["top"].find_all(cls="stat")
    }
    assert (stats["clauses"], stats["anomalies"], stats["clauses-with-anomalies"]) == truth["totals"]
    assert [stats[f"links-{k}"] for k in ("translation", "parallel", "topic")] == [
        truth["kinds"][k] for k in ("translation", "parallel", "topic")
    ]
    overview = {r.attrs["data-doc-id"]: r for r in dom.by_id["documents"].find_all("tr") if "data-doc-id" in r.attrs}
    assert {d: (int(r.find_all("td")[4].text()), int(r.find_all("td")[5].text())) for d, r in overview.items()} == truth[
        "per_doc"
    ]
    (listed,) = dom.by_id["anomalies"].find_all("p", data_anomalies=str(truth["totals"][1]))
    assert listed.text().startswith(f"{truth['totals'][1]} anomalies (in {truth['totals'][2]} clauses)")
    for group in dom.by_id["parallel"].find_all("details", cls="pairs"):
        pair = (group.attrs["data-left-doc"], group.attrs["data-right-doc"])
        said = group.find_all("summary")[0].text()
        (numbers,) = PAIR.findall(f"parallel versions {pair[0]} <-> {pair[1]}: " + said.split(" ", 3)[-1])
        assert tuple(map(int, numbers[2:])) == truth["pairs"][pair]


# ------------------------------------------------------------------ a third status: files skipped (not read)

SKIPPED = {"scan.pdf": "not read: .pdf files are not supported (convert it to text)", "logo.png": "not read: an image"}


def skipped_run() -> RunResult:
    """A run's result built by hand: two documents ok, one rejected, two files skipped."""
    when = datetime(2025, 1, 1, tzinfo=UTC)
    skipped = [
        DocumentReport.of(Document(name, f"raw/{name}", "", 10, None, "skipped", why, "0", when))
        for name, why in SKIPPED.items()
    ]
    docs = [
        DocumentReport("a", "ok", None, "en", "utf-8", 10, 3, (), (), "new"),
        DocumentReport("b", "ok", None, "zh", "utf-8", 5, 0, (), (), "new"),
        DocumentReport("broken", "rejected", "not a text file (binary content)", None, None, 0, 0, (), (), "new"),
        *skipped,
    ]
    return RunResult(docs, {"translation": 0, "parallel": 0, "topic": 0}, {}, {}, {"new": ["a", "b"]}, {}, 1.0, "r")


def test_console_and_artifact_count_and_list_skipped_files_with_their_reason():
    result = skipped_run()
    headline = "2 document(s) ok, 1 rejected, 2 skipped, 15 clauses, 3 anomalies in 1.0 s"  # clauses with them: unknown
    text = console(result)
    assert headline in text
    assert [d.doc_id for d in result.skipped] == list(SKIPPED) and [d.doc_id for d in result.rejected] == ["broken"]
    rows = {line.split()[0]: line for line in text.splitlines()[2:7]}
    for name, why in SKIPPED.items():
        assert rows[name].split()[1] == "skipped" and rows[name].endswith(why)
    page = markdown(result)
    assert f"**{headline}**" in page
    assert "## Rejected\n\n- `broken`: not a text file (binary content)\n" in page
    assert "## Skipped (not read)\n\n" + "\n".join(f"- `{n}`: {why}" for n, why in SKIPPED.items()) + "\n" in page
    assert [(r["document"], r["status"], r["note"]) for r in document_rows(result)][3:] == [
        (n, "skipped", why) for n, why in SKIPPED.items()
    ]


def test_report_counts_and_lists_skipped_files_with_their_reason():
    docs = [doc_row("a"), doc_row("broken", status="rejected", n_clauses=0, error="not a text file (binary content)")]
    docs += [doc_row(name, status="skipped", n_clauses=0, lang=None, error=why) for name, why in SKIPPED.items()]
    dom = Dom.parse(render_report(*hand_made(docs, [clause_row("a", "1", text="One.")])))
    stats = {n.attrs["data-stat"]: n.find_all("span", cls="value")[0].text() for n in dom.by_id["top"].find_all(cls="stat")}
    assert (stats["documents-ok"], stats["documents-rejected"], stats["documents-skipped"]) == ("1", "1", "2")
    rows = {r.attrs["data-doc-id"]: r for r in dom.by_id["documents"].find_all("tr") if "data-doc-id" in r.attrs}
    section = dom.by_id["skipped"]
    assert squash(section.find_all("h2")[0].text()) == "Skipped files (not read)"
    assert dom.by_id["contents"].find_all("a", href="#skipped") and dom.by_id["contents"].find_all("a", href="#rejected")
    for name, why in SKIPPED.items():
        assert rows[name].attrs["data-status"] == "skipped" and squash(rows[name].find_all("td")[6].text()) == why
        entry = dom.by_id[doc_anchor(name)]  # the overview's link leads to the file and its reason
        assert entry in section.iter() and why in entry.text() and f"raw/{name}" in entry.text()
    assert "broken" not in section.text() and "broken" in dom.by_id["rejected"].text()
    assert not [n for n in dom.find_all("details", cls="doc") if n.attrs["data-doc-id"] in SKIPPED]
