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


# A Hong Kong-style ordinance in Traditional characters: langdetect alone calls it Korean.
HK_ORDINANCE = (
    "第1條 簡稱\n本條例可引稱為《僱傭條例》。\n"
    "第2條 工資的支付\n僱主須於工資期屆滿後七天內向僱員支付工資。僱主如無合理辯解而故意不支付工資，即屬違法。\n"
    "第3條 適用範圍\n本條例適用於香港特別行政區政府，並對其具約束力。任何人違反本條例的規定，即屬犯罪，一經定罪，"
    "可處罰款及監禁兩年。\n"
)


def test_script_constrains_the_language_traditional_chinese_is_not_korean():
    assert {lang for lang, _ in detect(HK_ORDINANCE)} <= {"ko", "ja"}  # what langdetect says on its own
    doc = detect_languages(parse_document(doc_of(HK_ORDINANCE)))
    assert doc.lang == "zh" and "language could not be detected" not in doc.warnings
    assert {c.lang for c in doc.clauses} == {"zh"}


def test_kana_means_japanese_and_hangul_korean():
    ja = "第1条 本規約は、当社が提供するサービスの利用条件を定めるものです。利用者は本規約に同意したものとみなされます。\n"
    ko = "제1조 본 약관은 회사가 제공하는 서비스의 이용 조건을 정합니다. 이용자는 본 약관에 동의한 것으로 봅니다.\n"
    assert detect_languages(parse_document(doc_of(ja))).lang == "ja"
    assert detect_languages(parse_document(doc_of(ko))).lang == "ko"
