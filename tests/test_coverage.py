"""Nothing lost: clause spans partition the document text, and every non-blank
character of every line is inside some clause's span (its label included)."""

from __future__ import annotations

import pytest

from conftest import CORPUS, SEEDS, corpus_file, parse_text

CORPUS_FILES = [
    "cn_pipl_zh.txt", "cn_pipl_en.txt", "cn_dsl_zh.txt", "cn_civil_code_zh.txt", "en_cuad_endorsement_womensgolf.txt",
    "en_cuad_hosting_inktomi.txt", "zh_contract_samr_data_processing_gf2025_2616.txt", "zh_tos_payee_platform.txt",
]  # fmt: skip

TRICKY = {
    "mid-line label": "Title\n1. One\n1.1 first\nSpecial tips for 1.2 Minor users\n1.2.1 x\n",
    "trailing label": "1. Term\n1.1 a\nWe may terminate this Agreement 1.2:\n- (1) breach\n",
    "blank lead": "\n\n\n1、总则\n1.1 内容\n",
    "no numbering": "Just a letter.\nWith two lines.\n",
    "toc": "Contents\nChapter I General\nChapter II Rules\nChapter III End\nChapter I\nGeneral\nArticle 1 Text.\n"
    "Chapter II\nRules\nArticle 2 More.\nChapter III\nEnd\nArticle 3 Last.\n",
}


def assert_partition(text: str, clauses) -> None:
    assert clauses, "at least one clause"
    assert clauses[0].char_start == 0
    assert clauses[-1].char_end == len(text)
    for a, b in zip(clauses, clauses[1:]):
        assert a.char_end == b.char_start, f"gap or overlap between {a.clause_id} and {b.clause_id}"
        assert a.char_start < a.char_end or a.char_start == a.char_end == b.char_start
    covered = [False] * len(text)
    for c in clauses:
        for i in range(c.char_start, c.char_end):
            assert not covered[i]
            covered[i] = True
    missing = [i for i, ch in enumerate(text) if not covered[i] and not ch.isspace()]
    assert not missing


def assert_text_kept(clauses, text: str) -> None:
    """Every word of the document is in some clause's label or text."""
    import re

    kept = " ".join((c.label or "") + " " + c.text for c in clauses)
    for word in set(re.findall(r"\w{4,}", text)):
        assert word in kept, word


@pytest.mark.parametrize("key", sorted(SEEDS))
def test_seed_spans_partition_the_text(key):
    text = SEEDS[key].read_text(encoding="utf-8")
    clauses = parse_text(text)
    assert_partition(text, clauses)
    assert_text_kept(clauses, text)


@pytest.mark.parametrize("name", CORPUS_FILES)
def test_corpus_spans_partition_the_text(name):
    text = corpus_file(name).read_text(encoding="utf-8")
    clauses = parse_text(text)
    assert_partition(text, clauses)


@pytest.mark.parametrize("case", sorted(TRICKY))
def test_tricky_texts_lose_nothing(case):
    text = TRICKY[case]
    clauses = parse_text(text)
    assert_partition(text, clauses)
    assert_text_kept(clauses, text)


def test_label_lies_inside_its_clause_span(seed_clauses):
    for key, clauses in seed_clauses.items():
        text = SEEDS[key].read_text(encoding="utf-8")
        for c in clauses:
            if c.label and not c.number_inferred:
                assert c.label in text[c.char_start : c.char_end], (key, c.clause_id)


def test_corpus_folder_is_used_only_when_present():
    assert CORPUS.name == "corpus"
