"""Language knowledge (stages/lang/) and the one numbers module every stage reads numbers with."""

from __future__ import annotations

import dataclasses
import sys

import pytest

from stages import lang
from stages.alignment import numbers as alignment_numbers
from stages.lang import numbers
from stages.quality import missing_numbers, numbers_in
from stages.segment import segment_chinese, tokens_for, word_tokens
from stages.topics import _script


def test_lookup_by_code():
    assert lang.get("zh").code == "zh" and lang.get("en").code == "en"
    assert {"en", "ja", "ko", "zh"} <= {language.code for language in lang.known()}
    assert "numbers" not in {language.code for language in lang.known()}  # a helper module is no language


@pytest.mark.parametrize("code", ["pt", "nl", "numbers", "zh-cn", "../zh", "", "ZH"])
def test_a_code_without_a_module_gets_the_default(code):
    language = lang.get(code)
    assert language == lang.default(code)
    assert (language.word_segmentation, language.topic_patterns, language.dictionary_gloss) == ("words", "en", False)
    assert not language.scale_words and not language.numeral_chars


def test_an_unknown_language_cuts_han_text_with_jieba():
    assert lang.get(None) is lang.UNDETERMINED
    assert tokens_for("甲方应当履行合同义务", None) == segment_chinese("甲方应当履行合同义务")
    assert tokens_for("Party A shall", None) == ["Party", "A", "shall"]


def test_records_are_frozen_and_read_only():
    zh = lang.get("zh")
    with pytest.raises(dataclasses.FrozenInstanceError):
        zh.code = "xx"
    with pytest.raises(TypeError):
        zh.scale_words["兆"] = 10**12


def test_chinese():
    zh = lang.get("zh")
    assert (zh.word_segmentation, zh.topic_patterns, zh.dictionary_gloss) == ("jieba", "zh", True)
    assert zh.scale_words == {"百": 100, "千": 1_000, "万": 10_000, "亿": 100_000_000}
    assert zh.structure_words["条"] == "article" and zh.structure_words["章"] == "chapter"
    assert zh.ordinal_prefix == "第" and "十" in zh.numeral_chars and "。" in zh.sentence_ends


def test_english():
    en = lang.get("en")
    assert (en.word_segmentation, en.topic_patterns, en.dictionary_gloss) == ("words", "en", False)
    assert en.scale_words["million"] == 1_000_000 and en.scale_words["thousand"] == 1_000
    assert en.structure_words["article"] == "Article" and en.structure_words["paragraph"] == "paragraph"
    assert en.number_words["thirty"] == 30 and en.ordinal_words["third"] == 3 and en.month_names["july"] == 7
    assert {"ltd", "e.g"} <= en.abbreviations and {"section", "see"} <= en.reference_words


def test_japanese_borrows_chinese_explicitly():
    ja, zh = lang.get("ja"), lang.get("zh")
    assert ja.borrows == "zh"
    for field in ("numeral_chars", "scale_words", "structure_words", "counters", "sentence_ends", "topic_patterns"):
        assert getattr(ja, field) == getattr(zh, field), field
    assert ja.word_segmentation == "jieba-for-han" and not ja.dictionary_gloss
    assert _script("ja") == "ja"  # the taxonomy has Japanese patterns of its own
    assert tokens_for("第十二条の規定", "ja") == segment_chinese("第十二条の規定")
    assert tokens_for("これは テスト", "ja") == word_tokens("これは テスト")


def test_korean_cuts_hanja_with_jieba_only():
    assert tokens_for("甲方应当履行", "ko") == segment_chinese("甲方应当履行")
    assert tokens_for("계약 당사자", "ko") == ["계약", "당사자"]
    assert _script("ko") == "en"


@pytest.mark.parametrize(
    "written, value",
    [
        ("三十日", 30), ("百分之三十", 30), ("1,000", 1000), ("１，０００", 1000), ("千三百二十六", 1326),
        ("第十二条", 12), ("120万", 1_200_000), ("一百二十万元", 1_200_000), ("1.2 million", 1_200_000),
        ("2.5", 2.5), ("第十十条", None), ("十十", None), ("万", None), ("2025年7月1日", None), ("一致", None), ("", None),
    ],
)  # fmt: skip
def test_value_of_one_written_number(written, value):
    assert numbers.value(written) == value


@pytest.mark.parametrize(
    "text, found",
    [
        ("三十日内", {30: 1}), ("二〇二五年七月一日起施行", {2025: 1, 7: 1, 1: 1}), ("第十十条", {}),
        ("第一百二十三条", {123: 1}), ("处五千万元以下罚款", {50_000_000: 1}), ("within thirty (30) days", {30: 2}),
        ("the third paragraph", {3: 1}), ("on July 1, 2025", {7: 1, 1: 1, 2025: 1}), ("1,200万元", {12_000_000: 1}),
        # words with a numeral that are no quantity: third party, third person, two or more
        ("不得向第三方披露", {}), ("第三人", {}), ("两个以上", {}), ("三个月内", {3: 1}), ("第一分编", {1: 1}),
        ("第一條", {1: 1}),
    ],
)  # fmt: skip
def test_mentions_in_running_text(text, found):
    assert dict(numbers.mentions(text)) == found
    assert alignment_numbers(text) == numbers.mentions(text)  # the alignment stage reads numbers so


@pytest.mark.parametrize("word", sorted(numbers.scale_words()))
def test_every_scale_word_reads_the_same_in_alignment_and_quality(word):
    """One table: a scale word known to one language is known to every use."""
    multiplier = numbers.scale_words()[word]
    assert dict(alignment_numbers(f"2 {word}")) == {2 * multiplier: 1}
    assert numbers_in(f"2 {word}") == {2.0 * multiplier}


def test_quality_reads_scales_across_languages():
    assert missing_numbers("支付5千元", "pays RMB 5 thousand") == []
    assert missing_numbers("支付人民币120万元", "pays RMB 1.2 million") == []
    assert missing_numbers("支付人民币120万元", "pays RMB 120") == ["1.2e+06"]


@pytest.fixture
def extra_language(tmp_path, monkeypatch):
    """A language module outside the package, found like the package's own."""
    (tmp_path / "xq.py").write_text(
        "from stages.lang import Language\n"
        "LANGUAGE = Language(code='xq', name='Test', word_segmentation='jieba', topic_patterns='zh')\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(lang, "__path__", [*lang.__path__, str(tmp_path)])
    lang.get.cache_clear()
    lang.known.cache_clear()
    yield
    sys.modules.pop("stages.lang.xq", None)
    monkeypatch.undo()
    lang.get.cache_clear()
    lang.known.cache_clear()


def test_adding_a_language_is_one_module(extra_language):
    assert lang.get("xq").name == "Test"
    assert "xq" in {language.code for language in lang.known()}
    assert tokens_for("甲方应当履行", "xq") == segment_chinese("甲方应当履行")
    assert _script("xq") == "zh"


def test_the_parser_reads_its_words_from_the_language_modules():
    """The clause parser keeps no word list: its heading units, the numeral characters
    of 第N and its reference words are the language modules'."""
    from stages import numbering
    from stages.lang import en, zh

    chinese = lang.get("zh")
    units = {"编": "book", "分编": "part", "部": "part", "分部": "division", "章": "chapter", "节": "section", "条": "article"}
    assert numbering.HEADING_UNITS == units
    assert numbering.HEADING_UNITS == {w: chinese.structure_words[w] for w in chinese.heading_units}
    assert numbering.HAN_DIGITS is zh.HAN_DIGITS is chinese.numeral_chars
    assert en.REFERENCE_WORDS == lang.get("en").reference_words <= numbering.REFERENCE_WORDS
    assert numbering.REFERENCE_WORDS == {w.lower() for known in lang.known() for w in known.reference_words}
    # 款, 项 and 目 are structure words that only cite: no division heads a line with them
    assert {"款", "项", "目"} <= set(chinese.structure_words) - set(chinese.heading_units)
    assert [lab.style for lab in numbering.scan_line("第一分编 总则", 0)] == ["part"]
    assert numbering.scan_line("第二款 本款规定", 0) == []


def test_a_heading_unit_is_one_of_the_structure_words():
    with pytest.raises(ValueError, match="heading units"):
        lang.Language(code="xx", name="X", heading_units=("条",))


def test_the_script_tables_are_built_from_the_modules():
    from stages import language

    assert lang.get("ja").borrows == "zh" and lang.get("ja").script == "kana"  # its own, not borrowed
    assert language._SCRIPT_LANGS == {"han": {"zh"}, "kana": {"ja"}, "hangul": {"ko"}}
    assert language._DEFAULT_FOR_SCRIPT == {"han": "zh", "kana": "ja", "hangul": "ko"}
    for writing, codes in language._SCRIPT_LANGS.items():
        assert codes == {x.code for x in lang.known() if x.script == writing}
        defaults = [x.code for x in lang.known() if x.script == writing and x.script_default]
        assert defaults == [language._DEFAULT_FOR_SCRIPT[writing]], writing  # one default per script
    assert language._plausible([("ja", 0.6), ("zh", 0.3), ("de", 0.1)], "han") == [("zh", 0.3)]
    assert language._plausible([("ko", 0.6), ("de", 0.4)], "other") == [("de", 0.4)]


ADDED_LANGUAGE = """
import sys
from stages import lang
lang.__path__.append(sys.argv[1])
from stages import language, numbering
print(sorted(numbering.HEADING_UNITS.items()))
print([(lab.style, lab.value) for lab in numbering.scan_line("第十二條 定義", 0)])
print(*([lab.text for lab in numbering.scan_line(line, 0)] for line in ("Siehe 3.1", "Sehen 3.1")))
print(sorted(language._SCRIPT_LANGS["han"]), language._DEFAULT_FOR_SCRIPT["han"])
"""


def test_a_language_module_extends_the_parser_and_the_script_tables(tmp_path):
    """A module added next to the package's own (Traditional-script 條 as a heading unit,
    a German reference word, written in Han but not its default) is read by the parser
    and the language stage, which import it: no word is added to either. In a fresh
    interpreter, since both build their tables once, on import."""
    import subprocess

    from conftest import REPO

    (tmp_path / "xq.py").write_text(
        "from stages.lang import Language\n"
        "LANGUAGE = Language(code='xq', name='Test', structure_words={'條': 'article'}, heading_units=('條',),\n"
        "                    reference_words=frozenset({'Siehe'}), script='han')\n",
        encoding="utf-8",
    )
    proc = subprocess.run(
        [sys.executable, "-c", ADDED_LANGUAGE, str(tmp_path)], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    units, labels, references, han = proc.stdout.splitlines()
    assert "('條', 'article')" in units and "('条', 'article')" in units
    assert labels == "[('article', 12)]"
    assert references == "[] ['3.1']"  # after a reference word a number is no label
    assert han == "['xq', 'zh'] zh"


LONG_RUNS = """
import sys
from stages.lang import numbers
n = 200_000
for text in ("一" * n, "一二三" * (n // 3) + "条", "1" * n, "1,000" * (n // 5) + "万", "第" + "十" * n + "条"):
    numbers.mentions(text)
    list(numbers.scaled(text))
print("done")
"""


def test_long_runs_of_numerals_and_digits_are_read_in_linear_time():
    """Each pattern is tried only where a number begins, and a numeral longer than any
    real one is no numeral: 200,000-character runs take a fraction of a second (tried at
    every character, they took minutes). The timeout turns a regression into a failure."""
    import subprocess
    import sys

    from conftest import REPO

    proc = subprocess.run([sys.executable, "-c", LONG_RUNS], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert proc.stdout.strip() == "done", proc.stderr


def test_a_numeral_longer_than_any_real_one_is_none():
    from stages.numbering import MAX_NUMERAL_CHARS, han_to_int

    assert han_to_int("九千九百九十九万九千九百九十九") == 99_999_999
    assert han_to_int("一" * (MAX_NUMERAL_CHARS + 1)) is None
    assert han_to_int("1" * 5000) is None  # int() of it would raise past Python's digit limit
