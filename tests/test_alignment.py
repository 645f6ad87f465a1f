"""Alignment stage: translation, parallel and topic links."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from conftest import SEEDS, by_id, corpus_file
from stages.alignment import align, parallel_links, parallel_pairs, topic_links, translation_links
from stages.clauses import parse_document
from stages.ingest import read_document, read_manifest
from stages.language import detect_languages
from stages.records import Document
from stages.topics import classify_document
from stages.translate import TranslationSettings, Translator, translate_document

ZH = """服务协议
第一条 总则
本协议自2025年1月1日起生效，有效期三年。
双方应当遵守本协议。
第二条 费用
用户应于每月5日前支付服务费人民币1000元。
第三条 保密
双方对本协议内容负有保密义务，期限为5年。
（一）不得向第三方披露；
（二）不得用于其他目的。
第四条 法律适用
本协议适用中华人民共和国法律。
"""
EN = """Service Agreement
Article 1 General
This Agreement takes effect on January 1, 2025 and lasts three years.
Both parties shall comply with this Agreement.
Article 2 Fees
The user shall pay a service fee of RMB 1000 before the 5th day of each month.
Article 3 Confidentiality
Both parties shall keep this Agreement confidential for 5 years.
(1) not disclose it to any third party;
(2) not use it for any other purpose.
Article 4 Governing Law
This Agreement is governed by the laws of the People's Republic of China.
Article 5 Counterparts
This Agreement is made in two copies.
"""


def doc_from_text(doc_id: str, text: str) -> Document:
    doc = Document(doc_id, f"{doc_id}.txt", "", len(text), "utf-8", "ok", None, "0", datetime.now(UTC), text=text)
    return classify_document(detect_languages(parse_document(doc)))


def seed(key: str) -> Document:
    return classify_document(detect_languages(parse_document(read_document(SEEDS[key]))))


def detail(link) -> dict:
    return json.loads(link.detail)


# ----------------------------------------------------------------------------- translation


def test_translation_links_clause_and_every_sentence(tmp_path):
    settings = TranslationSettings(cache_path=None, package_dirs=(tmp_path,))
    doc = translate_document(seed("003"), Translator(settings))
    links = translation_links(doc)
    clause_links = [link for link in links if detail(link)["level"] == "clause"]
    assert len(clause_links) == len(doc.clauses)
    clauses = by_id(doc.clauses)
    for link in links:
        assert link.left_clause == link.right_clause and link.method == "gloss:cc-cedict" and 0 <= link.score <= 1
        d = detail(link)
        if d["level"] == "sentence":
            assert 0 <= d["sentence"] < len(clauses[link.left_clause].sentences_en)
    assert sum(1 for link in links if detail(link)["level"] == "sentence") == sum(len(c.sentences) for c in doc.clauses)


# -------------------------------------------------------------------------------- parallel


def test_parallel_pair_is_detected_and_aligned_by_id_paragraph_and_evidence():
    zh, en = doc_from_text("contract_zh", ZH), doc_from_text("contract_en", EN)
    pairs = parallel_pairs([en, zh, seed("001")])
    assert [(a.doc_id, b.doc_id) for a, b, _ in pairs] == [("contract_zh", "contract_en")]
    links = parallel_links(*pairs[0])
    clause_links = {(x.left_clause, x.right_clause): x for x in links if detail(x)["level"] == "clause"}
    for article in ("art1", "art2", "art3", "art3(1)", "art3(2)", "art4"):
        assert clause_links[(article, article)].method == "id"
    fees = detail(clause_links[("art2", "art2")])
    assert fees["numbers"]["agreement"] == 1.0 and not fees["low_confidence"]
    assert clause_links[(None, "art5")].method == "unmatched"  # the English has a fifth article
    paragraphs = [x for x in links if detail(x)["level"] == "paragraph"]
    assert [(detail(p)["left_paragraph"], detail(p)["right_paragraph"]) for p in paragraphs if p.left_clause == "art1"] == [(0, 0), (1, 1), (2, 2)]


def test_contradicting_numbers_make_a_low_confidence_pair():
    zh, en = doc_from_text("a_zh", ZH), doc_from_text("a_en", EN.replace("RMB 1000", "RMB 7500").replace("5th day", "20th day"))
    links = parallel_links(*parallel_pairs([zh, en])[0])
    fees = next(x for x in links if x.left_clause == "art2" and detail(x)["level"] == "clause")
    assert detail(fees)["low_confidence"] and fees.score < 0.5


def test_manifest_pairs_documents_detection_would_not(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps({"parallel": [["x_zh.txt", "x_en.txt"]]}))
    assert read_manifest(tmp_path) == [("x_zh", "x_en")]
    zh = doc_from_text("x_zh", ZH)
    en = doc_from_text("x_en", "Preface\n1. General\nText of 2025.\n2. Other\nMore.\n")
    assert parallel_pairs([zh, en]) == []
    pairs = parallel_pairs([zh, en], read_manifest(tmp_path))
    assert pairs and pairs[0][2] == {"found_by": "manifest"}
    (tmp_path / "manifest.json").write_text("{broken")
    with pytest.raises(ValueError, match=r"manifest\.json"):
        read_manifest(tmp_path)


def test_renumbered_clause_is_paired_by_position():
    zh = doc_from_text("p_zh", ZH)
    en = doc_from_text("p_en", EN.replace("Article 2 Fees", "Article 9 Fees"))
    links = parallel_links(zh, en, {"found_by": "test"})
    moved = next(x for x in links if x.left_clause == "art2" and detail(x)["level"] == "clause")
    assert moved.right_clause == "art9" and moved.method == "position"


def test_when_ids_differ_the_versions_are_aligned_by_structure_and_an_extra_clause_stays_alone():
    """The English version numbers its clauses `1.`, `2.` where the Chinese has 第一条 (no
    id in common) and has a clause the Chinese lacks: the sequences are aligned by length,
    level, printed number and the numbers mentioned, and the extra clause stays alone
    instead of shifting every pair after it."""
    en = (
        "Service Agreement\n1. General\nThis Agreement takes effect on January 1, 2025 and lasts three years.\n"
        "Both parties shall comply with this Agreement.\n"
        "2. Definitions\nIn this Agreement, words have the meanings given to them in this clause, and the Service "
        "means the platform service that the provider operates for the user under this Agreement.\n"
        "3. Fees\nThe user shall pay a service fee of RMB 1000 before the 5th day of each month.\n"
        "4. Confidentiality\nBoth parties shall keep this Agreement confidential for 5 years.\n"
        "(1) not disclose it to any third party;\n(2) not use it for any other purpose.\n"
        "5. Governing Law\nThis Agreement is governed by the laws of the People's Republic of China.\n"
    )
    zh, en = doc_from_text("s_zh", ZH), doc_from_text("s_en", en)
    links = [x for x in parallel_links(zh, en, {"found_by": "test"}) if detail(x)["level"] == "clause"]
    pairs = {x.left_clause: x.right_clause for x in links if x.left_clause and x.right_clause}
    ids = [c.clause_id for c in en.clauses]
    assert "art1" not in ids and "1" in ids  # no id in common but the preamble
    assert (pairs["art1"], pairs["art2"], pairs["art3"], pairs["art4"]) == ("1", "3", "4", "5")
    assert [pairs["art3(1)"], pairs["art3(2)"]] == [c for c in ids if c.startswith("4") and c != "4"]
    assert {x.method for x in links if x.left_clause == "art2"} == {"structure"}
    alone = [x for x in links if x.left_clause is None]
    assert [x.right_clause for x in alone] == ["2"] and alone[0].method == "unmatched"


def test_an_extra_clause_in_a_gap_between_id_matches_stays_alone():
    """Ids agree but one version has an item the other lacks: the unmatched items between
    two id matches are aligned by structure, not paired in order until one runs out."""
    zh = doc_from_text("g_zh", ZH)
    en = doc_from_text("g_en", EN.replace("(1) not disclose", "(1) keep records of every disclosure for 5 years;\n(2) not disclose").replace("(2) not use", "(3) not use"))
    links = [x for x in parallel_links(zh, en, {"found_by": "test"}) if detail(x)["level"] == "clause"]
    by_left = {x.left_clause: x for x in links if x.left_clause}
    assert by_left["art3(1)"].right_clause == "art3(1)"  # matched by id: trusted
    assert by_left["art3(2)"].right_clause == "art3(2)"


def test_the_sequence_alignment_is_bounded():
    from stages.alignment import MAX_CELLS, align_sequences

    zh = doc_from_text("b_zh", ZH)
    few = list(zh.clauses[:3])
    assert align_sequences(few, few, 1.0) == [(0, 0), (1, 1), (2, 2)]
    assert align_sequences(few * 3, few, 1.0) != []  # a band as wide as the difference
    many = few * (MAX_CELLS // 40)
    assert align_sequences(many, few, 1.0) == []  # too long a gap: left unmatched, in bounded time


def test_pipl_chinese_and_english_link_every_article_and_item(corpus_clauses):
    zh = classify_document(detect_languages(parse_document(read_document(corpus_file("cn_pipl_zh.txt")))))
    en = classify_document(detect_languages(parse_document(read_document(corpus_file("cn_pipl_en.txt")))))
    pairs = parallel_pairs([zh, en])
    assert len(pairs) == 1 and pairs[0][2]["found_by"] == "detection"
    links = parallel_links(*pairs[0])
    clause_links = [x for x in links if detail(x)["level"] == "clause"]
    articles = [x for x in clause_links if x.left_clause and re.fullmatch(r"art\d+", x.left_clause)]
    items = [x for x in clause_links if x.left_clause and re.fullmatch(r"art\d+\(\d+\)", x.left_clause)]
    assert len(articles) == 74 and all(x.left_clause == x.right_clause for x in articles)
    assert len(items) == 62 and all(x.left_clause == x.right_clause for x in items)
    assert not [x for x in links if x.method == "unmatched"]
    assert sum(detail(x)["low_confidence"] for x in clause_links) <= 8


# ---------------------------------------------------------------------------------- topics


GOVERNING_LAW = {"000": "11.1", "001": "8.1", "002": "13", "003": "8", "004": "[9][3]"}


def test_governing_law_clauses_of_all_seeds_are_linked_to_each_other():
    docs = [seed(k) for k in sorted(GOVERNING_LAW)]
    links = [x for x in topic_links(docs) if detail(x)["topic"] == "governing_law"]
    wanted = {(SEEDS[k].stem, c) for k, c in GOVERNING_LAW.items()}
    linked = {frozenset({(x.left_doc, x.left_clause), (x.right_doc, x.right_clause)}) for x in links}
    expected = {frozenset({a, b}) for a in wanted for b in wanted if a != b}
    assert expected <= linked
    assert all(0 < x.score <= 1 and x.method == "topic-keywords" and detail(x)["left_terms"] for x in links)


def test_chinese_is_classified_on_its_own_words():
    doc = seed("003")
    clauses = by_id(doc.clauses)
    assert clauses["8"].text_en is None  # nothing translated, yet:
    assert "governing_law" in clauses["8"].topics
    assert "indemnification" in clauses["6"].topics or "indemnification" in clauses["6(2)"].topics
    assert "content_rules" in clauses["5.1(4)"].topics


def test_align_puts_the_three_kinds_together(tmp_path):
    settings = TranslationSettings(cache_path=None, package_dirs=(tmp_path,))
    translator = Translator(settings)
    docs = [translate_document(d, translator) for d in (doc_from_text("c_zh", ZH), doc_from_text("c_en", EN), seed("003"))]
    kinds = {x.kind for x in align(docs)}
    assert kinds == {"translation", "parallel", "topic"}


def test_the_swiss_act_in_three_languages_aligns_article_by_article_without_a_manifest():
    """The Federal Act on Data Protection in German, French and English (77 articles
    with Art. 44a, 47a, 72a): detected as language versions of one text, every pair
    links each article to the same article, nothing unmatched."""
    docs = [
        classify_document(detect_languages(parse_document(read_document(corpus_file(f"dev/ch_fadp_2020_{code}.txt")))))
        for code in ("de", "fr", "en")
    ]
    pairs = parallel_pairs(docs)
    assert sorted((a.doc_id, b.doc_id) for a, b, _ in pairs) == [
        ("ch_fadp_2020_de", "ch_fadp_2020_en"), ("ch_fadp_2020_de", "ch_fadp_2020_fr"), ("ch_fadp_2020_fr", "ch_fadp_2020_en"),
    ]  # fmt: skip
    for left, right, found in pairs:
        assert found["found_by"] == "detection"
        links = [x for x in parallel_links(left, right, found) if detail(x)["level"] == "clause"]
        articles = [x for x in links if x.left_clause and re.fullmatch(r"art\d+[a-z]?", x.left_clause)]
        assert len(articles) == 77 and all(x.right_clause == x.left_clause for x in articles)
        assert not [x for x in links if x.method == "unmatched"]
