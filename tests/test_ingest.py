"""Ingest stage: encodings, line endings, bad files (each file made in the test)."""

from __future__ import annotations

import codecs
import os

import pytest

from conftest import SEEDS
from stages.ingest import discover, read_document, reads

ZH = SEEDS["003"].read_text(encoding="utf-8")
EN = SEEDS["000"].read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "data", "encoding", "text"),
    [
        ("utf8.txt", EN.encode(), "utf-8", EN),
        ("bom.txt", codecs.BOM_UTF8 + ZH.encode(), "utf-8-sig", ZH),
        ("le.txt", codecs.BOM_UTF16_LE + ZH.encode("utf-16-le"), "utf-16-le", ZH),
        ("be.txt", codecs.BOM_UTF16_BE + EN.encode("utf-16-be"), "utf-16-be", EN),
        ("gb.txt", ZH.encode("gb18030"), "gb18030", ZH),
        ("gbk.txt", ZH.encode("gbk"), "gb18030", ZH),
        ("crlf.txt", EN.replace("\n", "\r\n").encode(), "utf-8", EN),
        ("cr.txt", EN.replace("\n", "\r").encode(), "utf-8", EN),
    ],
)
def test_encodings_decode_to_the_same_text(tmp_path, name, data, encoding, text):
    path = tmp_path / name
    path.write_bytes(data)
    doc = read_document(path, tmp_path)
    assert doc.ok, doc.error
    assert doc.encoding == encoding
    assert doc.text == text
    assert doc.size_bytes == len(data) and len(doc.sha256) == 64


def test_text_is_nfc_normalised_and_offsets_refer_to_it(tmp_path):
    path = tmp_path / "nfd.txt"
    path.write_text("1. Cafe\u0301 terms\n", encoding="utf-8")
    doc = read_document(path, tmp_path)
    assert doc.text == "1. Café terms\n"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b"  \n\t \r\n", "only white space"),
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "not a text file"),
        (b"1. Term\x00\x00\x00 more\x00 bytes\x00" * 40, "not a text file"),
        ("1. 条款内容\n1.1 正文".encode() + b"\xff\xfe\xc3" + "以及更多的中文内容".encode(), "not valid UTF-8"),
    ],
)
def test_bad_files_are_rejected_with_a_clear_error(tmp_path, data, reason):
    path = tmp_path / "bad.txt"
    path.write_bytes(data)
    doc = read_document(path, tmp_path)
    assert doc.status == "rejected" and reason in doc.error
    assert doc.clauses == ()


def test_symlink_out_of_the_input_folder_is_refused(tmp_path):
    outside = tmp_path / "secret.txt"
    outside.write_text("1. secret\n")
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "link.txt").symlink_to(outside)
    doc = read_document(raw / "link.txt", raw)
    assert doc.status == "rejected" and "outside the input folder" in doc.error


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file; as root this case runs in test_reliability (user namespace)")
def test_unreadable_file(tmp_path):
    path = tmp_path / "locked.txt"
    path.write_text("1. x\n")
    path.chmod(0)
    doc = read_document(path, tmp_path)
    assert doc.status == "rejected" and "permission denied" in doc.error


def test_discover_lists_every_document_entry_sorted_and_reads_only_the_formats_it_knows(tmp_path):
    for name in ("b.md", "a.txt", "c.png", ".hidden.txt", "d.TXT", "e.PDF", "f.doc", "manifest.json"):
        (tmp_path / name).write_text("x")
    (tmp_path / "sub").mkdir()
    found = discover(tmp_path)
    assert [p.name for p in found] == ["a.txt", "b.md", "c.png", "d.TXT", "e.PDF", "f.doc", "sub"]  # no dot files, no manifest
    assert [p.name for p in found if reads(p)] == ["a.txt", "b.md", "d.TXT", "e.PDF"]
    png = read_document(tmp_path / "c.png", tmp_path)
    assert png.status == "skipped" and png.doc_id == "c.png" and ".png files are not supported" in png.error
    doc = read_document(tmp_path / "f.doc", tmp_path)
    assert doc.status == "skipped" and "convert it to .docx" in doc.error
    pdf = read_document(tmp_path / "e.PDF", tmp_path)  # read as a PDF, which it is not
    assert pdf.status == "rejected" and pdf.doc_id == "e" and pdf.error == "not a PDF file (it does not start with %PDF-)"
    assert "a folder" in read_document(tmp_path / "sub", tmp_path).error
