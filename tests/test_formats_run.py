"""A run over a folder that mixes PDF, Word, HTML and text files writes one set of tables
(real Prefect flow run, real readers in their bounded child processes, real Parquet), with
each document's format and pages, each clause's pages, and the report citing them."""

from __future__ import annotations

import re
import shutil

import pandas as pd
from docx_fixtures import build as build_docx
from docx_fixtures import contract_levels, num, para
from pdf_fixtures import build as build_pdf
from test_pdf_input import CLAUSES, _pages

from conftest import SEEDS
from flows.normalize import default_settings, normalize

HTML = """<!DOCTYPE html><html><head><title>Terms</title><script src="http://127.0.0.1:9/analytics.js"></script>
<style>p { color: red }</style></head><body><nav><a href="/">Home</a></nav>
<h1>Terms of Service</h1>
<p>Whereas:</p>
<table><tr><td><p>(1)</p></td><td><p>The parties wish to agree terms.</p></td></tr>
<tr><td><p>(2)</p></td><td><p>The terms should be clear.</p></td></tr></table>
<p>HAVE AGREED AS FOLLOWS:</p>
<p>Article 1</p><p>Scope</p><p>1. These terms govern the service.</p><p>2. They apply to every user.</p>
<p>Article 2</p><p>Term</p><p>These terms apply from today.</p>
</body></html>"""


def test_a_folder_of_pdf_word_html_and_text_files_gives_one_set_of_tables(prefect_server, tmp_path):
    raw, out = tmp_path / "raw", tmp_path / "out"
    raw.mkdir()
    shutil.copy(SEEDS["003"], raw)
    (raw / "services.pdf").write_bytes(build_pdf(_pages(CLAUSES, per_page=3)))
    body = para("Definitions", num=1, ilvl=0) + para("In this Agreement:", num=1, ilvl=1)
    body += para("“Affiliate” means any entity;", num=1, ilvl=2) + para("Term", num=1, ilvl=0)
    (raw / "nda.docx").write_bytes(build_docx(body, numbering=contract_levels(0) + num(1, 0), headers=(para("ACME CONFIDENTIAL"),)))
    (raw / "terms.html").write_text(HTML, encoding="utf-8")
    (raw / "scan.pdf").write_bytes(build_pdf([[]]))
    (raw / "legacy.doc").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1")
    result = normalize(raw, out, default_settings(out, package_dirs=(tmp_path / "no-models",)))

    docs = pd.read_parquet(out / "documents.parquet").set_index("doc_id")
    seed = SEEDS["003"].stem
    assert docs.loc[[seed, "services", "nda", "terms"], "format"].tolist() == ["text", "pdf", "docx", "html"]
    assert (docs.loc[[seed, "services", "nda", "terms"], "status"] == "ok").all()
    assert docs.loc["scan", "status"] == "rejected" and docs.loc["scan", "error"] == "no text layer (a scanned document?): OCR it first"
    assert docs.loc["legacy.doc", "status"] == "skipped" and "convert it to .docx" in docs.loc["legacy.doc", "error"]
    pdf = docs.loc["services"]
    assert pdf.page_count == len(pdf.page_starts) >= 3 and pdf.page_starts[0] == 0
    assert pd.isna(docs.loc["nda", "page_count"]) and docs.loc["nda", "page_starts"] is None

    clauses = pd.read_parquet(out / "clauses.parquet")
    ids = {d: clauses[clauses.doc_id == d].clause_id.tolist() for d in ("services", "nda", "terms")}
    assert ids["services"] == ["1", "2", "3", "4", "5", "6"]
    assert ids["nda"] == ["1", "1.1", "1.1(a)", "2"]
    assert ids["terms"] == ["preamble", "rec1", "rec2", "art1", "art1(1)", "art1(2)", "art2"]
    paged = clauses[clauses.doc_id == "services"]
    assert paged.page_start.notna().all() and (paged.page_end >= paged.page_start).all()
    assert clauses[clauses.doc_id != "services"].page_start.isna().all()
    assert not clauses.text.str.contains("ACME").any()  # the Word header is furniture
    for doc_id, group in clauses.groupby("doc_id"):  # the spans still cover each text, furniture included
        text = docs.loc[doc_id, "text"]
        assert group.char_start.iloc[0] == 0 and group.char_end.iloc[-1] == len(text)

    report = (out / "report.html").read_text(encoding="utf-8")
    cited = re.findall(r'data-clause-id="(\d)"[^>]*>.*?<span class="pages muted"[^>]*>(pp?\. [\d–]+)<', report, re.S)
    assert cited and all(where.startswith(("p. ", "pp. ")) for _, where in cited)
    assert {d.doc_id: d.status for d in result.documents}["services"] == "ok"


def test_lexnorm_read_shows_what_a_run_reads_from_one_file(tmp_path, capsys):
    from lexnorm.cli import main

    path = tmp_path / "services.pdf"
    path.write_bytes(build_pdf(_pages(CLAUSES, per_page=3)))
    assert main(["read", str(path), "--clauses"]) == 0
    out, err = capsys.readouterr()
    assert "services: pdf, 4 pages" in err and "8 page-furniture lines" in err
    rows = [line.split("\t") for line in out.splitlines()]
    assert [row[0].strip() for row in rows] == ["1", "2", "3", "4", "5", "6"]
    assert rows[0][1] == "p. 1" and any(row[1].startswith("pp. ") for row in rows)
    assert main(["read", str(path)]) == 0
    view = capsys.readouterr().out
    assert "ACME CORP" not in view and all(clause in " ".join(view.split()) for clause in CLAUSES)  # furniture blanked
    assert CLAUSES[0] in view.splitlines()  # a paragraph wrapped on the page is one line
    (tmp_path / "scan.pdf").write_bytes(build_pdf([[]]))
    assert main(["read", str(tmp_path / "scan.pdf")]) == 1
    assert "rejected: no text layer (a scanned document?): OCR it first" in capsys.readouterr().err
