"""Language stage with the real langdetect."""

from __future__ import annotations

from datetime import UTC, datetime

from conftest import SEEDS
from stages.clauses import parse_document
from stages.language import clause_language, detect, detect_languages
from stages.records import Document


def doc_of(text: str) -> Document:
    return Document("d", "d.txt", "", len(text), "utf-8", "ok", None, "0", datetime.now(UTC), text=text)


def test_seeds_detected_with_zh_mapped():
    for key, lang in (("000", "en"), ("003", "zh")):
        doc = detect_languages(parse_document(doc_of(SEEDS[key].read_text(encoding="utf-8"))))
        assert doc.lang == lang and doc.lang_confidence > 0.9
        assert {c.lang for c in doc.clauses} == {lang}


def test_detection_is_deterministic():
    text = "Les parties conviennent de ce qui suit concernant la confidentialité des informations."
    assert {tuple(detect(text)) for _ in range(5)} == {tuple(detect(text))}
    assert detect(text)[0][0] == "fr"


def test_short_clauses_inherit_the_document_language():
    assert clause_language("7.5", "en") == "en"
    assert clause_language("Disclaimer", "en", "other") == "en"  # langdetect alone says German
    assert clause_language("违约赔偿", "zh", "han") == "zh"


def test_mixed_document_gets_a_language_per_clause():
    text = (
        "1. General\n1.1 This Agreement is governed by the laws of Singapore and any dispute shall be settled by "
        "arbitration in Singapore under its rules.\n2. 一般规定\n2.1 本协议受中华人民共和国法律管辖，因本协议产生的争议提交仲裁委员会仲裁。\n"
    )
    doc = detect_languages(parse_document(doc_of(text)))
    langs = {c.clause_id: c.lang for c in doc.clauses}
    assert langs["1.1"] == "en" and langs["2"] == "zh" and langs["2.1"] == "zh"
