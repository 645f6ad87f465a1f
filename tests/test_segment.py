"""Segmentation stage with the real jieba and lexnorm's legal dictionary."""

from __future__ import annotations

import pytest

from stages.segment import segment_chinese, tokens_for, word_tokens

LEGAL_TERMS = ["不可抗力", "违约责任", "知识产权", "个人信息", "个人信息处理者", "数据处理者", "中华人民共和国", "人民法院", "仲裁委员会"]


@pytest.mark.parametrize("term", LEGAL_TERMS)
def test_legal_terms_stay_one_token(term):
    sentence = f"双方同意，{term}的认定以本协议为准。"
    assert term in segment_chinese(sentence)


@pytest.mark.parametrize(
    "span",
    [
        "第十二条", "第二款", "本协议第5.2条", "本合同第３条",
        "人民币120万元", "¥1,000", "￥1,000", "￥１，０００", "USD 250",
        "30%", "３０％", "0.5‰",
        "2025年1月1日", "２０２５年１月１日", "二〇二五年七月",
        "《个人信息保护法》", "《中华人民共和国民法典》",
    ],
)  # fmt: skip
def test_protected_spans_stay_one_token(span):
    tokens = segment_chinese(f"根据{span}约定执行。")
    assert span in tokens, tokens


def test_tokens_are_substrings_without_white_space_or_punctuation():
    text = "甲方应于2025年1月1日前支付人民币120万元（￥1,200,000），逾期按0.5‰计息。"
    tokens = segment_chinese(text)
    assert all(t in text and t.strip() == t and t not in "，。（）" for t in tokens)
    assert "".join(segment_chinese(text, punctuation=True)) == text.replace(" ", "")


def test_english_word_tokens():
    assert word_tokens("As provided in Section 3.1, the party's non-exclusive licence (e.g. fees) of $36,000.") == [
        "As", "provided", "in", "Section", "3.1", "the", "party's", "non-exclusive", "licence", "e.g.", "fees", "of",
        "36,000",
    ]  # fmt: skip


def test_every_seed_clause_with_text_gets_tokens(seed_clauses):
    for key, clauses in seed_clauses.items():
        lang = "zh" if key == "003" else "en"
        for c in clauses:
            if any(ch.isalnum() for ch in c.text):
                assert tokens_for(c.text, lang), (key, c.clause_id)
