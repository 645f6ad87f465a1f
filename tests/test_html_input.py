"""The HTML reader (`stages.formats.html.read`, issue 15): HTML and XHTML pages to one block
per line, the Official Journal's two-column tables as `(1) text`, nothing fetched, bad bytes
rejected with a FormatError; and the two EU pages of ../shared/corpus/dev/html against their
text twin and ground truth (skipped without the folder)."""

from __future__ import annotations

import json
import os
import random
import re
import socket
import threading
from pathlib import Path

import pytest
from conftest import CORPUS

import stages.formats.html as html_reader
from lexnorm.testing import compare_with_expected, load_errata, measure_tree
from stages.clauses import build_clauses, parse_document
from stages.formats import Extracted, FormatError
from stages.formats.html import read
from stages.ingest import read_document

DEV = CORPUS / "dev"
PAGES = DEV / "html"


def page(body: str, head: str = "", charset: str | None = "utf-8") -> bytes:
    meta = f'<meta charset="{charset}">' if charset else ""
    return f"<!DOCTYPE html><html><head>{meta}{head}</head><body>{body}</body></html>".encode(charset or "utf-8")


def text_of(body: str, **kw) -> str:
    return read(page(body, **kw)).text


def row(*cells: str) -> str:
    return "<table><tr>" + "".join(f"<td><p>{c}</p></td>" for c in cells) + "</tr></table>"


# ------------------------------------------------------------------ blocks and inline text


def test_blocks_are_lines_with_a_blank_line_between_and_inline_white_space_collapses():
    got = read(page("<h1>Title</h1><p>One  <b>bold</b>\n  and\u00a0\u00a0<i>it</i>.</p><div>Two</div><ul><li>a</li><li>b</li></ul>"))
    assert isinstance(got, Extracted) and got.format == "html" and got.furniture == () and got.page_starts is None
    assert got.text == "Title\n\nOne bold and it.\n\nTwo\n\na\n\nb"


def test_br_ends_a_line_within_its_block_and_pre_keeps_its_lines():
    assert text_of("<p>Official Journal<br/>of the Union</p><p>next</p>") == "Official Journal\nof the Union\n\nnext"
    assert text_of("<pre>  x = 1\n  y =  2\n</pre><p>after</p>") == "  x = 1\n  y =  2\n\nafter"


def test_definition_lists_quotes_and_headings_are_blocks():
    assert text_of("<dl><dt>Term</dt><dd>Meaning</dd></dl><blockquote>Quoted</blockquote><h3>H</h3>") == "Term\n\nMeaning\n\nQuoted\n\nH"


def test_the_text_is_nfc_with_lf_line_ends():
    got = read(b"<html><body><p>Caf\x65\xcc\x81\r\n ok</p>\r\n<p>b</p></body></html>").text
    assert got == "Café ok\n\nb" and "\r" not in got


# ------------------------------------------------------------------ tables


@pytest.mark.parametrize("label", ["(1)", "1.", "(a)", "a)", "(iv)", "—", "‘(2)", "3.1."])
def test_a_row_whose_first_cell_is_only_a_label_reads_label_space_text(label):
    assert text_of(row(label, "The text of the point;")) == f"{label} The text of the point;"


def test_other_rows_are_one_line_with_cells_apart_by_a_tab_and_empty_cells_skipped():
    got = text_of("<table><tr><th>Year</th><th>Amount</th></tr><tr><td>2019</td><td></td><td>345 EUR</td></tr></table>")
    assert got == "Year\tAmount\n\n2019\t345 EUR"


def test_a_label_after_an_empty_first_cell_still_reads_as_a_label():
    assert text_of("<table><tr><td/><td><p>18.</p></td><td><span>Regulation (EU) 2018/858;</span></td></tr></table>") == "18. Regulation (EU) 2018/858;"


def test_nested_tables_give_each_text_once_the_points_on_their_own_lines():
    inner = row("(i)", "first sub-point;") + row("(ii)", "second sub-point.")
    got = text_of(f"<table><tr><td><p>(c)</p></td><td><p>the use of AI systems leading to:</p>{inner}</td></tr></table>" + row("(d)", "next."))
    assert got == "(c) the use of AI systems leading to:\n\n(i) first sub-point;\n\n(ii) second sub-point.\n\n(d) next."
    for piece in ("first sub-point", "second sub-point", "leading to", "next."):
        assert got.count(piece) == 1


def test_a_table_right_after_a_label_keeps_its_rows_whole():
    got = text_of(f"<table><tr><td><p>(c)</p></td><td>{row('(i)', 'first;')}{row('(ii)', 'second.')}</td></tr></table>")
    assert got == "(c)\n\n(i) first;\n\n(ii) second."


def test_a_row_of_many_cells_is_one_line():
    cells = [f"c{n}" for n in range(20_000)]
    assert text_of("<table><tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr></table>") == "\t".join(cells)


def test_a_cell_of_several_paragraphs_keeps_them_apart_after_the_first():
    assert text_of(row("1.", "First paragraph.</p><p>Second paragraph.")) == "1. First paragraph.\n\nSecond paragraph."


def test_xhtml_self_closing_tags_keep_the_text_in_order():
    data = b'<?xml version="1.0" encoding="UTF-8"?><html xmlns="http://www.w3.org/1999/xhtml"><body><p>a<a id="x"/>b</p><div/><p>c</p></body></html>'
    assert read(data).text == "ab\n\nc"


# ------------------------------------------------------------------ what is dropped, what is never fetched


def test_scripts_styles_head_navigation_and_hidden_elements_are_dropped_the_rest_in_order():
    body = (
        "<nav><a>Home</a></nav><div role='navigation'>Menu</div><p>First</p><script>var x = 'code';</script>"
        "<style>p { color: red }</style><noscript>Enable JS</noscript><template><p>tpl</p></template>"
        "<p hidden>secret</p><p>Second <span hidden>(x)</span>end</p><!-- comment --><?php echo 1 ?>"
    )
    assert text_of(body, head="<title>Page title</title><style>body{}</style>") == "First\n\nSecond end"


def test_an_unclosed_embed_or_video_does_not_swallow_the_text_after_it():
    assert text_of('<embed src="a.swf"><p>after embed</p><video src="v.mp4">No video.<p>after video</p>') == (
        "after embed\n\nNo video.\n\nafter video"
    )


def test_nothing_a_page_points_to_is_ever_loaded(tmp_path):
    """Every URL of the page points at a listening socket of this test, or at a FIFO whose
    opening this test would see: after reading, neither was touched."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.setblocking(False)
    url = f"http://127.0.0.1:{server.getsockname()[1]}"
    fifo = tmp_path / "resource"
    os.mkfifo(fifo)
    opened_by_reader = threading.Event()
    released = threading.Event()

    def watch():
        fd = os.open(fifo, os.O_WRONLY)  # blocks until someone opens the FIFO to read it
        if not released.is_set():
            opened_by_reader.set()
        try:
            os.write(fd, b"<p>LOADED</p>")
        except BrokenPipeError:
            pass
        os.close(fd)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    targets = [url + "/x", "file://" + str(fifo), str(fifo)]
    refs = "".join(
        f'<img src="{t}"><link rel="stylesheet" href="{t}"><script src="{t}"></script><iframe src="{t}"></iframe>'
        f'<object data="{t}"></object><embed src="{t}"><video src="{t}"></video>'
        for t in targets
    )
    data = (
        f'<?xml version="1.0"?><?xml-stylesheet href="{url}/s.xsl"?><!DOCTYPE html SYSTEM "{url}/x.dtd">'
        f'<html><head><link rel="stylesheet" href="{url}/c.css"><base href="{url}/"></head>'
        f"<body>{refs}<p>Text only.</p></body></html>"
    ).encode()
    try:
        assert read(data).text == "Text only."
        with pytest.raises(BlockingIOError):
            server.accept()
        assert not opened_by_reader.is_set()
    finally:
        released.set()
        os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))  # lets the watcher's open return
        watcher.join(5)
        server.close()
    assert not opened_by_reader.is_set()


# ------------------------------------------------------------------ bad input


BOMB = (
    '<?xml version="1.0"?><!DOCTYPE html [<!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">'
    + "".join(f'<!ENTITY {"b" * (n + 1)} "{("&" + ("b" * n or "a") + ";") * 10}">' for n in range(9))
    + ']><html><body><p>&bbbbbbbbb;</p></body></html>'
)


def test_an_entity_bomb_is_rejected_unexpanded():
    with pytest.raises(FormatError, match="entities"):
        read(BOMB.encode())


def test_an_external_entity_is_rejected():
    data = b'<!DOCTYPE html [<!ENTITY x SYSTEM "file:///etc/passwd">]><html><body><p>&x;</p></body></html>'
    with pytest.raises(FormatError, match="entities"):
        read(data)


def test_a_doctype_internal_subset_without_entities_is_not_printed():
    assert read(b'<!DOCTYPE html [<!ELEMENT p ANY>]><html><body><p>Text</p></body></html>').text == "Text"


def test_markup_nested_100k_deep_is_rejected_without_recursion():
    n = 100_000
    with pytest.raises(FormatError, match="nested"):
        read(b"<html><body>" + b"<div>" * n + b"deep" + b"</div>" * n + b"<p>after</p></body></html>")


def test_markup_nested_200_deep_is_read():
    assert text_of("<div>" * 200 + "deep" + "</div>" * 200 + "<p>after</p>") == "deep\n\nafter"


def test_text_beyond_the_limit_is_rejected(monkeypatch):
    monkeypatch.setattr(html_reader, "MAX_TEXT_CHARS", 1_000)
    assert read(page("<p>" + "word " * 150 + "</p>")).text  # 750 characters: read
    with pytest.raises(FormatError, match="longer than 1,000 characters"):
        read(page("<p>" + "word " * 150 + "</p>" * 2 + "<p>" + "word " * 150 + "</p>"))


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty"),
        (b" \n\t ", "empty"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj<</Type/Catalog>>endobj", "PDF"),
        (b"PK\x03\x04\x14\x00\x06\x00", "ZIP"),
        (b"Just a plain text file, no tags at all.", "no HTML markup"),
        (b"<html><body><script>only()</script><p> </p></body></html>", "no text"),
        (b"<html><head><title>t</title></head></html>", "no text"),
        (b'<html><head><meta charset="utf-8"></head><body><p>caf\xe9</p></body></html>', "not valid utf-8"),
        (b"<p>" + bytes(range(0, 32)) * 40 + b"</p>", "binary"),
    ],
)
def test_bad_bytes_are_a_format_error_that_says_why(data, message):
    with pytest.raises(FormatError, match=re.compile(message, re.IGNORECASE)):
        read(data)


def test_garbage_and_truncated_pages_give_text_or_a_format_error_never_another_exception():
    rng = random.Random(15)
    good = page(row("(1)", "Recital text.") + "<p>Article 1</p><p>Some text é €.</p>" * 5)
    samples = [rng.randbytes(rng.randint(1, 4000)) for _ in range(150)]
    samples += [good[:n] for n in range(0, len(good), 7)]
    for _ in range(150):
        mutated = bytearray(good)
        for _ in range(rng.randint(1, 20)):
            mutated[rng.randrange(len(mutated))] = rng.randrange(256)
        samples.append(bytes(mutated))
    outcomes = {"text": 0, "rejected": 0}
    for data in samples:
        try:
            got = read(data)
        except FormatError as exc:
            assert str(exc)
            outcomes["rejected"] += 1
        else:
            assert got.text.strip() and "\r" not in got.text
            outcomes["text"] += 1
    assert outcomes["text"] and outcomes["rejected"]


# ------------------------------------------------------------------ encodings


def test_a_cp1252_page_is_read_by_its_meta_charset():
    assert read(page("<p>Vergütung: 5 € – “fees”</p>", charset="windows-1252")).text == "Vergütung: 5 € – “fees”"


def test_latin1_is_read_as_cp1252_as_browsers_do():
    data = '<html><head><meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1"></head><body><p>5 € café</p></body></html>'
    assert read(data.encode("cp1252")).text == "5 € café"


@pytest.mark.parametrize("declared", ["gb18030", "GB2312", "gbk"])
def test_a_chinese_page_is_read_by_its_declared_charset(declared):
    data = f'<html><head><meta charset="{declared}"></head><body><p>第一条　为了保护当事人的权益，制定本法。</p></body></html>'
    assert read(data.encode("gb18030")).text == "第一条　为了保护当事人的权益，制定本法。"


def test_the_xml_declaration_gives_the_encoding_of_an_xhtml_page():
    data = '<?xml version="1.0" encoding="windows-1252"?><html xmlns="http://www.w3.org/1999/xhtml"><body><p>Frais: 5 €</p></body></html>'
    assert read(data.encode("cp1252")).text == "Frais: 5 €"


def test_a_byte_order_mark_decides_before_a_declaration():
    data = '<html><head><meta charset="iso-8859-1"></head><body><p>Ελληνικά €</p></body></html>'
    assert read(b"\xff\xfe" + data.encode("utf-16-le")).text == "Ελληνικά €"
    assert read(b"\xef\xbb\xbf" + data.encode("utf-8")).text == "Ελληνικά €"


def test_an_undeclared_page_is_utf8_else_read_as_a_text_file_would_be_with_a_warning():
    assert read("<p>Grüße €</p>".encode()).text == "Grüße €" and read("<p>Grüße</p>".encode()).warnings == ()
    body = "<p>La société paiera les frais à la date prévue; les pénalités sont dues après échéance.</p>" * 3
    got = read(body.encode("cp1252"))
    assert got.text.startswith("La société paiera") and any("cp1252" in w for w in got.warnings)


def test_an_unknown_declared_charset_is_a_warning_and_utf8_is_read():
    got = read('<html><head><meta charset="x-no-such"></head><body><p>ok é</p></body></html>'.encode())
    assert got.text == "ok é" and any("x-no-such" in w for w in got.warnings)


# ------------------------------------------------------------------ the EU pages of the dev corpus


def dev_page(name: str) -> bytes:
    path = PAGES / name
    if not path.exists():
        pytest.skip(f"{path} not found: ../shared/corpus/dev is absent on this machine (set LEXNORM_SHARED)")
    return path.read_bytes()


def measured(text: str, tmp_path: Path) -> dict:
    path = tmp_path / "page.txt"
    path.write_text(text, encoding="utf-8")
    return measure_tree(parse_document(read_document(path, tmp_path)))


def test_the_ai_act_page_gives_its_twins_clauses_and_the_ground_truth(tmp_path):
    """The clause ids of the page are those of its .txt twin, plus nine points the twin's
    conversion joined onto one line: in Annex VII, the rows of points 3.1 and 4.2 have three
    cells (empty | 3.1. | text) and their text cell holds a <span> and nested point tables;
    the twin dropped the span and ran the points (a)..(f) together, the page has them apart."""
    text = read(dev_page("eu_ai_act_2024_1689_en.xhtml")).text
    ids = [c.clause_id for c in build_clauses("x", text)[0]]
    twin = [c.clause_id for c in build_clauses("x", (DEV / "eu_ai_act_2024_1689_en.txt").read_text(encoding="utf-8"))[0]]
    assert [i for i in ids if i in set(twin)] == twin
    points = [f"annex7.3.1({p})" for p in "abcdef"] + [f"annex7.4.2({p})" for p in "abc"]
    assert [i for i in ids if i not in set(twin)] == points
    expected = json.loads((DEV / "expected" / "eu_ai_act_2024_1689_en.json").read_text(encoding="utf-8"))
    assert compare_with_expected(expected, measured(text, tmp_path), load_errata().get("eu_ai_act_2024_1689_en", ())) == []
    assert "ruxitagent" not in text and "L_202401689EN" not in text  # the script and the head's title


def test_the_data_governance_act_page_gives_38_articles_in_9_chapters(tmp_path):
    got = measured(read(dev_page("eu_data_governance_act_2022_868_en.html")).text, tmp_path)
    assert got["articles"] == 38 and got["article_ids"] == [str(n) for n in range(1, 39)]
    assert got["chapter_ids"] == [str(n) for n in range(1, 10)]
    assert got["recitals"] == 63
