"""The PDF reader (stages.formats.pdf) and what the pipeline makes of its output: pages,
page furniture, paragraphs, hyphenation, bad files, and the eight dev contracts as PDFs."""

from __future__ import annotations

import json
import random
import zlib

import pytest
from pdf_fixtures import BOTTOM, LEFT, PITCH, RIGHT, TOP, Line, build, centred, paragraph, width

from conftest import CORPUS
from lexnorm.runtime import sandbox
from lexnorm.testing import compare_with_expected, load_errata, measure_tree
from stages import ingest
from stages.clauses import parse_document
from stages.formats import MAX_PAGES, FormatError, pdf
from stages.layout import reader_view

DEV = CORPUS / "dev"
DEV_PDFS = sorted((DEV / "pdf").glob("*.pdf")) if (DEV / "pdf").is_dir() else []
CLAUSES = [
    "1. Scope. This Agreement governs the supply of services by the Supplier to the Customer and every order placed under it.",
    "2. Term. This Agreement starts on the Effective Date and continues for three years unless it is terminated earlier.",
    "3. Fees. The Customer shall pay the fees set out in the order within thirty days of the date of each invoice, "
    "without any set-off or deduction, and interest accrues on every amount that is paid late at the statutory rate "
    "from the date it fell due until the date it is paid in full, before and after any judgment.",
    "4. Confidentiality. Each party shall keep the other party's confidential information secret.",
    "5. Liability. Neither party limits its liability for death or personal injury caused by its negligence.",
    "6. Law. This Agreement is governed by the laws of England and Wales.",
]


def _pages(paragraphs: list[str], per_page: int, header: str | None = "ACME CORP SERVICES AGREEMENT",
           footer: str | None = "Page {n} of {total}") -> list[list[Line]]:  # fmt: skip
    """Paragraphs laid out on pages of `per_page` lines each (a paragraph runs on to the next
    page where it does not fit), a running header and a page-number footer on each page."""
    lines: list[Line] = []
    y = TOP
    for text in paragraphs:
        for line in paragraph(text, y):
            lines.append(line)
        y = lines[-1].y - 2 * PITCH
    flat = [line.text for line in lines]
    gaps = {i for i in range(1, len(lines)) if lines[i - 1].y - lines[i].y > PITCH}
    pages: list[list[Line]] = []
    i = 0
    while i < len(flat):
        page, y = [], TOP
        for k in range(i, min(i + per_page, len(flat))):
            if k in gaps and page:
                y -= PITCH
            page.append(Line(lines[k].x, y, flat[k]))
            y -= PITCH
        pages.append(page)
        i += per_page
    total = len(pages)
    for n, page in enumerate(pages, 1):
        if header:
            page.insert(0, Line(LEFT, TOP + 36, header))
        if footer:
            page.append(centred(footer.format(n=n, total=total), BOTTOM - 36))
    return pages


def _document(data: bytes, tmp_path, name: str = "contract.pdf"):
    path = tmp_path / name
    path.write_bytes(data)
    return parse_document(ingest.read_document(path, tmp_path))


def test_a_contract_over_pages_keeps_its_clauses_pages_and_furniture_apart(tmp_path):
    pages = _pages(CLAUSES, per_page=3)
    doc = _document(build(pages), tmp_path)
    assert doc.status == "ok" and doc.format == "pdf"
    assert [c.clause_id for c in doc.clauses] == ["1", "2", "3", "4", "5", "6"]
    assert doc.page_count == len(doc.page_starts) >= 3
    # nothing lost: the reference text has every header and footer, and the spans cover it all
    assert doc.text.count("ACME CORP SERVICES AGREEMENT") == doc.page_count
    assert f"Page {doc.page_count} of {doc.page_count}" in doc.text
    assert doc.clauses[0].char_start == 0 and doc.clauses[-1].char_end == len(doc.text)
    assert all(a.char_end == b.char_start for a, b in zip(doc.clauses, doc.clauses[1:]))
    # the furniture is in no clause's text, and each clause's text is its paragraph, unwrapped
    for clause, printed in zip(doc.clauses, CLAUSES):
        assert "ACME" not in clause.text and "Page " not in clause.text
        assert " ".join(clause.text.split()) == printed.split(" ", 1)[1]
    def page_of(words: str) -> int:
        return next(n for n, page in enumerate(pages, 1) if any(words in line.text for line in page))

    for clause, printed in zip(doc.clauses, CLAUSES):
        assert (clause.page_start, clause.page_end) == (page_of(printed[:12]), page_of(printed.split()[-1]))
    assert any(c.page_end == c.page_start + 1 for c in doc.clauses)  # a clause runs on to the next page


def test_a_reader_view_joins_wrapped_lines_only():
    data = build(_pages(CLAUSES[:3], per_page=40, header=None, footer=None))
    got = pdf.read(data)
    view = reader_view(got.text, got.furniture, got.joins)
    assert len(view) == len(got.text)
    assert [line for line in view.split("\n") if line.strip()] == CLAUSES[:3]
    assert got.text.count("\n") > view.count("\n")  # the reference text keeps the PDF's own lines


def test_a_word_broken_at_a_line_end_is_joined_again(tmp_path):
    # a hyphen at the end of a justified line: the words are joined without a space; the
    # hyphen stays, since a typesetter's hyphen and a compound's look the same in the file
    first = "1. Services. The Supplier shall provide the services with all reasonable skill and care; the agree-"
    second = "ment between the parties is the whole agreement and binds the Customer's third-"
    third = "party contractors who rely on it."
    lines = [Line(LEFT, TOP, first), Line(LEFT, TOP - PITCH, second), Line(LEFT, TOP - 2 * PITCH, third)]
    lines = [Line(LEFT, line.y, line.text, size=10.0 * (RIGHT - LEFT) / width(line.text)) if k < 2 else line
             for k, line in enumerate(lines)]  # fmt: skip  (each line set to fill the measure, as justified)
    doc = _document(build([lines]), tmp_path)
    (clause,) = doc.clauses
    assert "the agree-ment between" in clause.text and "third-party contractors" in clause.text


def test_a_hyphen_the_pdf_marks_as_soft_is_dropped_where_the_word_is_joined():
    text = "1. The agree\xad\n   ment binds the parties.\n2. Non-\n   compete."
    joins = (text.index("\n"), text.index("\n", text.index("Non")))
    view = reader_view(text, (), joins)
    assert len(view) == len(text)
    lines = view.split("\n")
    assert lines[0].replace("\xad", "") == "1. The agreement binds the parties."
    assert lines[1].replace("\xad", "") == "2. Non-compete."


def test_a_line_repeated_in_the_text_is_not_furniture_but_running_lines_are():
    quoted = "“The Supplier shall not be liable for delay.”"
    pages = []
    for n in range(8):
        body = [Line(LEFT, TOP - PITCH * k, f"{n + 1}.{k + 1} Clause {n + 1}.{k + 1} of the agreement reads as follows.") for k in range(3)]
        if n in (1, 3, 5):
            body.append(Line(LEFT, TOP - 4 * PITCH, quoted))  # quoted three times, mid-page
        pages.append([Line(LEFT, TOP + 36, "Master Services Agreement – Execution Version"), *body,
                      centred(f"- {n + 1} -", BOTTOM - 36)])  # fmt: skip
    got = pdf.read(build(pages))
    furniture = [got.text[a:b] for a, b in got.furniture]
    assert sorted(set(furniture)) == sorted({"Master Services Agreement – Execution Version", *(f"- {n} -" for n in range(1, 9))})
    assert quoted not in furniture and got.text.count(quoted) == 3


def test_attachments_that_begin_a_page_each_are_not_running_headers(tmp_path):
    pages = [paragraph(CLAUSES[0], TOP) + paragraph(CLAUSES[2].replace("3.", "2.", 1), TOP - 4 * PITCH)]
    for n, what in enumerate(["service levels", "fees", "subcontractors", "exit plan"], 1):
        body = f"This exhibit sets out the {what} that apply to the services, as agreed by the parties on the date of this Agreement. " * 3
        pages.append([centred(f"EXHIBIT {n}", TOP + 36), *paragraph(body, TOP)])
    doc = _document(build(pages), tmp_path)
    assert [c.clause_id for c in doc.clauses] == ["1", "2", "exh1", "exh2", "exh3", "exh4"]
    assert [c.page_start for c in doc.clauses] == [1, 1, 2, 3, 4, 5]


def test_a_label_set_apart_from_its_words_gets_its_space():
    # `1.` and `Scope` drawn 0.8 pt apart with no space character: the text layer says `1.Scope`
    lines = [Line(LEFT, TOP, "1."), Line(LEFT + width("1.") + 0.8, TOP, "Scope of the services."),
             Line(LEFT, TOP - 2 * PITCH, "2."), Line(LEFT + width("2.") + 0.8, TOP - 2 * PITCH, "Term of the agreement.")]  # fmt: skip
    got = pdf.read(build([lines]))
    assert [line for line in got.text.split("\n") if line.strip()] == ["1. Scope of the services.", "2. Term of the agreement."]


def test_ligatures_and_no_break_spaces_are_read_as_letters_and_spaces():
    assert pdf._repaired("the \ufb01rst of\xa0the e\ufb00ects") == "the first of the effects"
    assert pdf._repaired("non\xadcash mark\ufffeto\ufffemarket agree\xad") == "non-cash mark-to-market agree\xad"


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "not a PDF file (it is empty)"),
        (b"1. Scope\nThis is a text file named .pdf\n", "not a PDF file (it does not start with %PDF-)"),
        (b"%PDF-1.7\n" + b"\x00garbage" * 100, "damaged PDF"),
        (build([[]]), "no text layer (a scanned document?): OCR it first"),
        (build([[Line(LEFT, TOP, "1. Scope.")]], page_count=1_000_000), f"lexnorm reads PDFs of up to {MAX_PAGES:,} pages"),
    ],
    ids=["empty", "not-pdf", "garbage", "scan", "million-pages"],
)
def test_bad_pdfs_are_rejected_with_the_reason(data, message):
    with pytest.raises(FormatError) as caught:
        pdf.read(data)
    assert message in str(caught.value)


def test_an_encrypted_pdf_is_rejected_with_the_reason():
    import io

    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter()
    for page in PdfReader(io.BytesIO(build([[Line(LEFT, TOP, "1. Scope.")]]))).pages:
        writer.add_page(page)
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    with pytest.raises(FormatError, match="encrypted PDF: it needs a password"):
        pdf.read(out.getvalue())


def test_damaged_pdfs_are_read_or_rejected_never_anything_else():
    data = build(_pages(CLAUSES, per_page=4))
    rng = random.Random(15)
    cases = [data[:cut] for cut in range(0, len(data), max(1, len(data) // 60))]
    for _ in range(150):
        flipped = bytearray(data)
        for _ in range(rng.randint(1, 8)):
            flipped[rng.randrange(len(flipped))] = rng.randrange(256)
        cases.append(bytes(flipped))
    for case in cases:
        try:
            got = pdf.read(case)
        except FormatError:
            continue
        assert got.text.strip() and len(got.page_starts) >= 1


def test_the_sandbox_bounds_a_bomb_stream_in_memory_and_time(monkeypatch):
    # a page whose content stream inflates to 1 GB: the reader's child process runs out of
    # its memory limit (or time) and the file is rejected, saying so; the run is untouched
    deflate = zlib.compressobj(9)
    chunk = b"0 " * (1 << 20)
    stream = b"".join(deflate.compress(chunk) for _ in range(512)) + deflate.flush()
    data = build([[Line(LEFT, TOP, "1. Scope.")], []], raw_streams={1: stream})
    monkeypatch.setenv("LEXNORM_READER_MEMORY_MB", "512")
    monkeypatch.setenv("LEXNORM_READER_SECONDS", "60")
    with pytest.raises(FormatError, match="memory|took longer"):
        sandbox.extract("pdf", data)


def test_the_sandbox_stops_a_reader_that_takes_too_long(monkeypatch):
    monkeypatch.setenv("LEXNORM_READER_SECONDS", "0.001")
    with pytest.raises(FormatError, match=r"took longer than 0\.001 s; it was stopped"):
        sandbox.extract("pdf", build([[Line(LEFT, TOP, "1. Scope.")]]))


def test_the_sandbox_gives_what_the_reader_gives():
    data = build(_pages(CLAUSES, per_page=4))
    assert sandbox.extract("pdf", data) == pdf.read(data)
    with pytest.raises(FormatError, match="not a PDF file"):
        sandbox.extract("pdf", b"plain text")


# ------------------------------------------------------------------ the dev contracts as PDFs

needs_dev_pdfs = pytest.mark.skipif(not DEV_PDFS, reason=f"the dev corpus PDFs are not here ({DEV / 'pdf'}): ../shared is absent")


@needs_dev_pdfs
@pytest.mark.parametrize("path", DEV_PDFS, ids=[p.stem for p in DEV_PDFS])
def test_a_dev_pdf_parses_as_its_ground_truth_says(path, tmp_path):
    doc = parse_document(ingest.read_document(path, path.parent))
    assert doc.status == "ok" and doc.page_count == len(doc.page_starts) > 1
    expected = json.loads((DEV / "expected" / f"{path.stem}.json").read_text(encoding="utf-8"))
    assert compare_with_expected(expected, measure_tree(doc), load_errata().get(path.stem, ())) == []
    assert not [w for w in doc.warnings if "implausible" in w]
    twin = parse_document(ingest.read_document(DEV / f"{path.stem}.txt", DEV))
    ids = [c.clause_id for c in doc.clauses]
    # every top-level clause of the text twin is there, in the same order
    top = [c.clause_id for c in twin.clauses if c.level == 1]
    assert [i for i in ids if i in set(top)] == top
