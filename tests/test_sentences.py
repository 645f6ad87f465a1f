"""Sentence splitting, Chinese and legal-aware English."""

from __future__ import annotations

import pytest

from stages.sentences import split_sentences


def test_chinese_splits_on_full_stop_exclamation_question_and_semicolon():
    text = "本协议构成完整协议。除本协议规定外，未赋予其他权利；任何一方不得转让！是否生效？以签署为准"
    assert split_sentences(text) == [
        "本协议构成完整协议。", "除本协议规定外，未赋予其他权利；", "任何一方不得转让！", "是否生效？", "以签署为准",
    ]  # fmt: skip


@pytest.mark.parametrize(
    "text",
    [
        "Beijing Zhixun Co., Ltd. provides the API.",
        "RAYWING PTE. LTD. and its affiliates operate the site.",
        "Fees apply, e.g. Storage and transfer fees.",
        "See No. 5 of the schedule for details.",
        "As provided in Section 3.1, the term is five years.",
        "Interest accrues at 1.5% per month.",
        "The U.S. Government may request data.",
    ],
)
def test_legal_abbreviations_and_numbers_do_not_end_a_sentence(text):
    assert split_sentences(text) == [text]
    assert split_sentences(f"{text} Either party may terminate.") == [text, "Either party may terminate."]


def test_lines_are_sentence_boundaries_and_nothing_is_lost():
    text = "Governing Law\nThis Agreement is governed by the laws of Singapore. Disputes go to arbitration!"
    sentences = split_sentences(text)
    assert sentences == ["Governing Law", "This Agreement is governed by the laws of Singapore.", "Disputes go to arbitration!"]
    assert "".join(sentences).replace(" ", "") == text.replace("\n", "").replace(" ", "")
