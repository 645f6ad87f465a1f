"""Word (.docx) input: numbering rendered as printed, tracked changes accepted, tables,
headers/footers as furniture, notes, and bad files rejected with a reason (R: issue 15)."""

from __future__ import annotations

import io
import os
import random
import shutil
import signal
import subprocess
import zipfile

import docx as python_docx
import pytest
from docx_fixtures import (
    abstract, build, contract_levels, level, num, para, run, style, with_declared_size, zip_parts,
)

from stages.clauses import build_clauses
from stages.formats import FormatError
from stages.formats.docx import format_number, read


def lines(data: bytes) -> list[str]:
    return read(data).text.split("\n\n")


def clause_ids(text: str) -> list[str]:
    return [c.clause_id for c in build_clauses("doc", text)[0]]


CONTRACT = [
    (0, "Definitions"),
    (1, "In this Agreement:"),
    (2, "any notice must be in writing;"),
    (3, "signed by a director; and"),
    (3, "delivered by hand."),
    (2, "the schedules form part of it."),
    (1, "Headings do not affect interpretation."),
    (0, "Services"),
    (1, "The Supplier shall provide the Services."),
    (2, "with reasonable skill and care."),
]


def test_multi_level_contract_labels_and_clause_tree():
    body = para("Services Agreement") + "".join(para(text, num=1, ilvl=lvl) for lvl, text in CONTRACT)
    extracted = read(build(body, numbering=contract_levels(1) + num(1, 1)))
    assert extracted.format == "docx"
    assert extracted.text.split("\n\n") == [
        "Services Agreement", "1. Definitions", "1.1 In this Agreement:", "(a) any notice must be in writing;",
        "(i) signed by a director; and", "(ii) delivered by hand.", "(b) the schedules form part of it.",
        "1.2 Headings do not affect interpretation.", "2. Services", "2.1 The Supplier shall provide the Services.",
        "(a) with reasonable skill and care.",
    ]
    assert clause_ids(extracted.text) == [
        "preamble", "1", "1.1", "1.1(a)", "1.1(a)(i)", "1.1(a)(ii)", "1.1(b)", "1.2", "2", "2.1", "2.1(a)",
    ]


def test_instances_of_one_definition_share_the_count_and_a_start_override_restarts_it():
    numbering = contract_levels(1) + num(1, 1) + num(2, 1) + num(3, 1, starts={0: 1}) + num(4, 1, starts={0: 7})
    body = (para("a", num=1, ilvl=0) + para("b", num=1, ilvl=0)
            + para("c", num=2, ilvl=0)  # another instance, no override: continues (3.)
            + para("d", num=3, ilvl=0) + para("e", num=3, ilvl=0)  # startOverride 1: restarts
            + para("f", num=1, ilvl=0)  # back to the first instance: the shared count goes on
            + para("g", num=4, ilvl=0) + para("h", num=4, ilvl=1))
    assert lines(build(body, numbering=numbering)) == ["1. a", "2. b", "3. c", "1. d", "2. e", "3. f", "7. g", "7.1 h"]


def test_legal_style_restart_rule_suffix_and_start():
    numbering = abstract(
        1,
        level(0, "upperRoman", "Article %1", suff="space"),
        level(1, "lowerLetter", "Section %1.%2", legal=True),  # isLgl: I and b print as 1.2
        level(2, "lowerLetter", "(%3)", restart=1),  # restarts only when level 1 (Article) is used
        level(3, "decimalZero", "%4", start=8, suff="nothing"),
    ) + num(1, 1)
    body = (para("Scope", num=1, ilvl=0) + para("Terms", num=1, ilvl=1) + para("x", num=1, ilvl=2)
            + para("More", num=1, ilvl=1) + para("y", num=1, ilvl=2) + para("-z", num=1, ilvl=3)
            + para("Law", num=1, ilvl=0) + para("w", num=1, ilvl=2))
    assert lines(build(body, numbering=numbering)) == [
        "Article I Scope", "Section 1.1 Terms", "(a) x", "Section 1.2 More", "(b) y", "08-z", "Article II Law", "(a) w",
    ]


def test_bullets_print_their_character_and_none_prints_no_number():
    numbering = abstract(1, level(0, "bullet", "\uf0b7"), level(1, "bullet", "o"), level(2, "none", "")) + num(1, 1)
    body = para("first", num=1, ilvl=0) + para("inner", num=1, ilvl=1) + para("plain", num=1, ilvl=2)
    assert lines(build(body, numbering=numbering)) == ["• first", "◦ inner", "plain"]


def test_numbering_through_paragraph_styles_and_their_based_on_chain():
    numbering = abstract(
        1, level(0, "decimal", "%1.", style="Clause1"), level(1, "decimal", "%1.%2", style="Clause2"),
    ) + num(5, 1)
    styles = (style("Clause1", num=5) + style("Clause2", based_on="Clause1", ilvl=1)
              + style("Body", based_on="Clause1"))  # numbered through its base style, level 0
    body = (para("Payment", style="Clause1") + para("Fees are due monthly.", style="Clause2")
            + para("Late fees apply.", style="Clause2") + para("Term", style="Body")
            + para("Not numbered", style="Clause2", num=0))  # numId 0 turns the style's numbering off
    text = read(build(body, numbering=numbering, styles=styles)).text
    assert text.split("\n\n") == ["1. Payment", "1.1 Fees are due monthly.", "1.2 Late fees apply.", "2. Term", "Not numbered"]
    assert clause_ids(text) == ["1", "1.1", "1.2", "2"]


def test_python_docx_default_template_list_styles():
    document = python_docx.Document()
    document.add_paragraph("Obligations", style="List Number")
    document.add_paragraph("Warranties", style="List Number")
    document.add_paragraph("a point", style="List Bullet")
    buffer = io.BytesIO()
    document.save(buffer)
    assert lines(buffer.getvalue()) == ["1. Obligations", "2. Warranties", "• a point"]


@pytest.mark.parametrize(("n", "fmt", "printed"), [
    (3, "lowerLetter", "c"), (28, "upperLetter", "BB"), (14, "lowerRoman", "xiv"), (4, "upperRoman", "IV"),
    (7, "decimalZero", "07"), (12, "decimalZero", "12"), (21, "chineseCounting", "二十一"),
    (3, "chineseLegalSimplified", "叁"), (2, "ordinal", "2nd"), (11, "ordinal", "11th"), (3, "ordinalText", "Third"),
    (3, "ideographTraditional", "丙"), (5, "decimalEnclosedCircle", "⑤"), (0, "lowerRoman", "0"), (9, "unknownFmt", "9"),
])
def test_number_formats(n, fmt, printed):
    assert format_number(n, fmt) == printed


def test_chinese_counting_labels_parse_as_articles():
    numbering = abstract(1, level(0, "chineseCounting", "第%1条", suff="space")) + num(1, 1)
    body = "".join(para(f"条款内容{i}。", num=1, ilvl=0) for i in range(12))
    text = read(build(body, numbering=numbering)).text
    assert text.split("\n\n")[10] == "第十一条 条款内容10。"
    assert clause_ids(text)[-1] == "art12"


def test_tracked_changes_fields_and_special_characters_read_as_accepted():
    inner = (run("The ") + '<w:ins w:id="1" w:author="A">' + run("Supplier") + "</w:ins>"
             + '<w:del w:id="2" w:author="A"><w:r><w:delText>Vendor</w:delText></w:r></w:del>'
             + run(" shall") + '<w:moveFrom w:id="3">' + run(" never") + "</w:moveFrom>"
             + '<w:moveTo w:id="4">' + run(" promptly") + "</w:moveTo>"
             + '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> REF Clause5 \\h </w:instrText></w:r>'
             + '<w:r><w:fldChar w:fldCharType="separate"/></w:r>' + run(" pay") + '<w:r><w:fldChar w:fldCharType="end"/></w:r>'
             + '<w:r><w:tab/><w:t>non</w:t><w:noBreakHyphen/><w:t>refundable fees</w:t><w:softHyphen/><w:t>.</w:t></w:r>'
             + '<w:r><w:rPr><w:vanish/></w:rPr><w:t>hidden</w:t></w:r>'
             + '<w:r><w:br/><w:t>Second  line\u00a0here</w:t></w:r>')
    assert lines(build(para(inner=inner))) == ["The Supplier shall promptly pay non-refundable fees.\nSecond line here"]


def test_deleted_paragraph_mark_joins_the_next_paragraph():
    first = '<w:p><w:pPr><w:rPr><w:del w:id="1" w:author="A"/></w:rPr></w:pPr>' + run("The Term is ") + "</w:p>"
    assert lines(build(first + para("two years."))) == ["The Term is two years."]


def test_tables_one_row_a_line_label_cells_and_nested_tables_once():
    def cell(*blocks: str) -> str:
        return f"<w:tc>{''.join(blocks)}</w:tc>"

    nested = f"<w:tbl><w:tr>{cell(para('inner A'))}{cell(para('inner B'))}</w:tr></w:tbl>"
    table = ("<w:tbl>"
             f"<w:tr>{cell(para('1.'))}{cell(para('The Supplier shall deliver.'))}</w:tr>"
             f"<w:tr>{cell(para('(a)'))}{cell(para('on time;'))}</w:tr>"
             f"<w:tr>{cell(para('Fee'))}{cell(para('100'), para('per month'))}{cell()}</w:tr>"
             f"<w:tr>{cell(para('Outer'))}{cell(para('before'), nested)}</w:tr>"
             f'<w:tr><w:trPr><w:del w:id="9" w:author="A"/></w:trPr>{cell(para("gone"))}{cell(para("row"))}</w:tr>'
             "</w:tbl>")
    text = read(build(para("Schedule") + table + para("After"))).text
    assert text.split("\n\n") == [
        "Schedule", "1. The Supplier shall deliver.", "(a) on time;", "Fee\t100 per month", "Outer\tbefore inner A inner B", "After",
    ]
    assert text.count("inner A") == 1


def test_headers_and_footers_once_as_furniture_notes_after_the_body():
    header = para("ACME Ltd - Confidential")
    footer = para(inner='<w:r><w:t>Page </w:t></w:r><w:fldSimple w:instr=" PAGE ">' + run("1") + "</w:fldSimple>")
    sections = ('<w:p><w:pPr><w:sectPr><w:headerReference w:type="default" r:id="rheader1"/>'
                '<w:footerReference w:type="default" r:id="rfooter1"/></w:sectPr></w:pPr></w:p>'
                '<w:sectPr><w:headerReference w:type="default" r:id="rheader1"/>'
                '<w:headerReference w:type="first" r:id="rheader2"/><w:footerReference w:type="default" r:id="rfooter1"/></w:sectPr>')
    footnotes = ('<w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:separator/></w:r></w:p></w:footnote>'
                 '<w:footnote w:id="5"><w:p><w:r><w:footnoteRef/></w:r>' + run(" As amended.") + "</w:p></w:footnote>"
                 '<w:footnote w:id="4"><w:p>' + run("See Schedule 2.") + "</w:p></w:footnote>")
    body = (para("1. Scope", inner='<w:r><w:footnoteReference w:id="4"/></w:r>')
            + para("2. Law", inner='<w:r><w:footnoteReference w:id="5"/></w:r>'))
    extracted = read(build(body, headers=(header, header), footers=(footer,), footnotes=footnotes, sections=sections))
    assert extracted.text.split("\n\n") == [
        "ACME Ltd - Confidential", "1. Scope", "2. Law", "[1] See Schedule 2.", "[2] As amended.", "Page 1",
    ]
    assert [extracted.text[a:b] for a, b in extracted.furniture] == ["ACME Ltd - Confidential", "Page 1"]


def test_text_is_nfc_with_lf_only():
    text = read(build(para("Cafe\u0301\r") + para("ok"))).text
    assert text == "Café\n\nok" and "\r" not in text


# --- bad files ---------------------------------------------------------------------------

GOOD = build(para("1. Scope") + para("The Supplier shall deliver."), numbering=contract_levels(1) + num(1, 1))


@pytest.mark.parametrize(("data", "reason"), [
    (b"", "empty"),
    (b"%PDF-1.7\n...", "PDF"),
    (b"{\\rtf1\\ansi hello}", "RTF"),
    (b"plain words, not a zip", "not a zip archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600 + "WordDocument".encode("utf-16-le"), "legacy Word 97-2003 .doc"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600 + "EncryptedPackage".encode("utf-16-le"), "password-protected"),
    (GOOD[: len(GOOD) // 2], "truncated"),
    (zip_parts({"mimetype": "application/vnd.oasis.opendocument.text", "content.xml": "<x/>"}), "OpenDocument"),
    (zip_parts({"xl/workbook.xml": "<x/>"}), "Excel"),
    (zip_parts({"readme.txt": "hello"}), "no word/document.xml"),
    (zip_parts({"word/document.xml": "<w:document xmlns:w='x'><unclosed>"}), "not well-formed"),
    (zip_parts({"word/document.xml": "<html/>"}), "not a WordprocessingML"),
    (build(""), "no text"),
])
def test_bad_files_are_rejected_with_a_reason(data, reason):
    with pytest.raises(FormatError, match=reason):
        read(data)


def test_decompression_bombs_are_rejected_before_inflating():
    zeros = b"<w:document/>" + b" " * 30_000_000  # 30 MB of spaces deflate about 1,000 times
    with pytest.raises(FormatError, match="decompression bomb"):
        read(zip_parts({"word/document.xml": zeros}))
    declared = with_declared_size(GOOD, "word/document.xml", 3_000_000_000)  # over MAX_UNPACKED_BYTES
    with pytest.raises(FormatError, match="decompression bomb"):
        read(declared)
    lying = with_declared_size(GOOD, "word/document.xml", 40)  # declares less than it inflates to
    with pytest.raises(FormatError, match="document.xml"):
        read(lying)


def test_entity_bomb_and_deep_nesting_are_rejected():
    entities = "".join(f'<!ENTITY e{i} "{f"&e{i - 1};" * 10 if i else "lol"}">' for i in range(10))
    bomb = f'<?xml version="1.0"?><!DOCTYPE w:document [{entities}]><w:document xmlns:w="{"http://schemas.openxmlformats.org/wordprocessingml/2006/main"}"><w:body><w:p><w:r><w:t>&e9;</w:t></w:r></w:p></w:body></w:document>'
    with pytest.raises(FormatError, match="DTD|entity|amplification"):
        read(zip_parts({"word/document.xml": bomb}))
    small = bomb.replace("&e9;", "&e1;")  # no amplification: the DTD alone is refused
    with pytest.raises(FormatError, match="DTD"):
        read(zip_parts({"word/document.xml": small}))
    deep = para(inner="<w:sdt><w:sdtContent>" * 2000 + run("deep") + "</w:sdtContent></w:sdt>" * 2000)
    with pytest.raises(FormatError, match="not well-formed"):
        read(build(deep))
    within = para(inner="<w:sdt><w:sdtContent>" * 100 + run("deep enough") + "</w:sdtContent></w:sdt>" * 100)
    assert lines(build(within)) == ["deep enough"]


def test_fuzz_truncated_and_damaged_files_raise_only_format_error():
    rng = random.Random(15)
    sample = build(para("Scope", num=1, ilvl=0) + para("x", num=1, ilvl=1), numbering=contract_levels(1) + num(1, 1),
                   headers=(para("Header"),))
    cases = [sample[:cut] for cut in range(0, len(sample), max(1, len(sample) // 150))]
    for _ in range(300):
        damaged = bytearray(sample)
        for _ in range(rng.randint(1, 8)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        cases.append(bytes(damaged))
    cases += [bytes(rng.randrange(256) for _ in range(rng.randint(1, 400))) for _ in range(100)]
    outcomes = {"read": 0, "rejected": 0}
    for data in cases:
        try:
            read(data)
            outcomes["read"] += 1
        except FormatError as exc:
            assert str(exc)
            outcomes["rejected"] += 1
    assert outcomes["rejected"] > 100


# --- LibreOffice -------------------------------------------------------------------------

FODT = """<?xml version="1.0" encoding="UTF-8"?>
<office:document xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"
  xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"
  office:version="1.2" office:mimetype="application/vnd.oasis.opendocument.text">
<office:automatic-styles><text:list-style style:name="L1">{levels}</text:list-style></office:automatic-styles>
<office:body><office:text><text:p>Services Agreement</text:p><text:list text:style-name="L1">{items}</text:list></office:text></office:body>
</office:document>"""
FODT_LEVEL = ('<text:list-level-style-number text:level="{n}" style:num-prefix="{prefix}" style:num-suffix="{suffix}" '
              'style:num-format="{fmt}" text:display-levels="{shown}"><style:list-level-properties '
              'text:list-level-position-and-space-mode="label-alignment"><style:list-level-label-alignment '
              'text:label-followed-by="listtab"/></style:list-level-properties></text:list-level-style-number>')


def _fodt_items(outline: list[tuple[int, str]]) -> str:
    """Nested text:list markup for (level, text) items in document order."""
    out, depth = "", 0
    for lvl, text in outline:
        while depth > lvl:
            out += "</text:list-item></text:list>" if depth > 0 else ""
            depth -= 1
        if out and depth == lvl:
            out += "</text:list-item>"
        while depth < lvl:
            out += "<text:list>"
            depth += 1
        out += f"<text:list-item><text:p>{text}</text:p>"
    return out + "</text:list-item></text:list>" * depth + "</text:list-item>"


def test_libreoffice_converted_contract(tmp_path):
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice (soffice) is not installed: apt-get install libreoffice-writer-nogui")
    levels = "".join(FODT_LEVEL.format(n=n, prefix=p, suffix=s, fmt=f, shown=d) for n, p, s, f, d in
                     [(1, "", ".", "1", 1), (2, "", "", "1", 2), (3, "(", ")", "a", 1), (4, "(", ")", "i", 1)])
    source = tmp_path / "contract.fodt"
    source.write_text(FODT.format(levels=levels, items=_fodt_items(CONTRACT)), encoding="utf-8")
    env = {**os.environ, "HOME": str(tmp_path)}
    profile = f"-env:UserInstallation=file://{tmp_path}/profile"
    command = [soffice, "--headless", "--norestore", profile, "--convert-to", "docx", "--outdir", str(tmp_path / "out"), str(source)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        output, _ = process.communicate(timeout=180)
    finally:  # LibreOffice may leave a helper behind: its whole session ends with the test
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()
    converted = tmp_path / "out" / "contract.docx"
    assert converted.exists(), output.decode(errors="replace")
    text = read(converted.read_bytes()).text
    assert text.split("\n\n")[:5] == [
        "Services Agreement", "1. Definitions", "1.1 In this Agreement:", "(a) any notice must be in writing;",
        "(i) signed by a director; and",
    ]
    assert clause_ids(text) == [
        "preamble", "1", "1.1", "1.1(a)", "1.1(a)(i)", "1.1(a)(ii)", "1.1(b)", "1.2", "2", "2.1", "2.1(a)",
    ]


def test_zip_reader_handles_word_paths_from_relationships():
    # the main part named by _rels/.rels, not at word/document.xml (some generators do this)
    data = build(para("Relocated"))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = {name: archive.read(name) for name in archive.namelist()}
    parts["word/main.xml"] = parts.pop("word/document.xml")
    parts["word/_rels/main.xml.rels"] = parts.pop("word/_rels/document.xml.rels")
    parts["_rels/.rels"] = parts["_rels/.rels"].replace(b"word/document.xml", b"word/main.xml")
    assert lines(zip_parts(parts)) == ["Relocated"]
