"""Segmentation stage: word tokens for every clause.

- Chinese: jieba, precise mode, one tokenizer per process with lexnorm's legal user
  dictionary (`stages/data/legal_glossary_zh_en.tsv`), so 不可抗力, 个人信息处理者,
  中华人民共和国 ... stay whole.
- Protected spans are cut out before jieba sees the text and stay one token each:
  clause references (第十二条, 第二款, 本协议第5.2条), amounts (人民币120万元, ¥1,000),
  percentages and per-mille (30%, 0.5‰), dates (2025年1月1日), book-title references
  (《个人信息保护法》), in full-width and half-width forms alike.
- Which languages are cut by jieba is each language's `word_segmentation` (stages/lang/).
- Other languages: simple word tokens (letters, digits, decimal numbers, contractions),
  so `tokens` is never empty for a clause with text.
Tokens are substrings of the clause text; white space is never a token.
"""

from __future__ import annotations

import logging
import re
import threading
import warnings
from collections.abc import Sequence
from dataclasses import replace
from functools import cache
from pathlib import Path

from stages import lang as languages
from stages.lang import numbers
from stages.records import Clause, Document

GLOSSARY = Path(__file__).parent / "data" / "legal_glossary_zh_en.tsv"

_D = "[0-9０-９]"
_NUM = rf"{_D}+(?:[,，]{_D}{{3}})*(?:[.．]{_D}+)?"
_CHINESE = languages.get("zh")  # the protected spans are Chinese forms (Japanese borrows them)
_HAN_NUM = f"[{numbers.numeral_chars()}]+"
_DIVISION = "".join(w for w in _CHINESE.structure_words if len(w) == 1)  # 条款项章节编目
# A scale before a currency (5千元, 120万美元); alone after digits only 万 and 亿: 千 and 百
# after digits begin measure words (千克, 千米, 百分点), which jieba keeps whole.
_UNIT = f"(?:[{numbers.han_scales()}]?(?:元|美元|港元|欧元)|{'|'.join(numbers.han_scales(10_000))})"
PROTECTED = re.compile(
    "|".join(
        [
            # clause references: 第十二条, 第二款, 本协议第5.2条, 第 3 章
            rf"(?:本(?:协议|合同|法|条例|规定|办法|条款|章程|细则))?{_CHINESE.ordinal_prefix}[ \u3000]*(?:{_NUM}|{_HAN_NUM})(?:[.．]{_D}+)*[ \u3000]*[{_DIVISION}]",
            # amounts: 人民币120万元, RMB 1,000, ¥1,000, ￥１,０００元, 120万元
            rf"(?:人民币|美元|港币|港元|欧元|RMB|CNY|USD|HKD|EUR)[ \u3000]*{_NUM}[ \u3000]*{_UNIT}?",
            rf"[¥￥$＄€£][ \u3000]*{_NUM}(?:[ \u3000]*{_UNIT})?",
            rf"{_NUM}[ \u3000]*{_UNIT}",
            # percentages and per-mille: 30%, 0.5‰, ３０％
            rf"{_NUM}[ \u3000]*[%％‰]",
            # dates: 2025年1月1日, 2025年1月, 1月1日, 二〇二五年七月
            rf"{_D}{{4}}[ \u3000]*年(?:[ \u3000]*{_D}{{1,2}}[ \u3000]*月(?:[ \u3000]*{_D}{{1,2}}[ \u3000]*[日号])?)?",
            rf"{_D}{{1,2}}[ \u3000]*月[ \u3000]*{_D}{{1,2}}[ \u3000]*[日号]",
            r"[〇零一二三四五六七八九]{4}年(?:[一二三四五六七八九十]{1,3}月(?:[一二三四五六七八九十]{1,3}日)?)?",
            # book-title references
            r"《[^《》\n]{1,80}》",
        ]
    )
)
_WORD = re.compile(
    r"(?:[^\W\d_]\.){2,}"  # abbreviations: e.g. i.e. U.S.
    r"|\d+(?:[.,]\d+)*"  # numbers: 3.1, 36,000
    r"|[^\W_]+(?:['’\-][^\W_]+)*"  # words: party's, non-exclusive
)
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")
_lock = threading.Lock()


def glossary_entries() -> list[tuple[str, str]]:
    """(Chinese term, English) pairs from lexnorm's legal glossary."""
    entries = []
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            term, _, english = line.partition("\t")
            entries.append((term.strip(), english.strip()))
    return entries


@cache
def tokenizer():
    """The process's jieba tokenizer, with the legal dictionary (built once, thread-safe)."""
    with _lock:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=UserWarning, message=".*pkg_resources.*")
            import jieba
        jieba.setLogLevel(logging.WARNING)  # no "Building prefix dict..." on stderr
        tok = jieba.Tokenizer()
        tok.initialize()
        for term, _ in glossary_entries():
            if len(term) > 1:
                tok.add_word(term)  # frequency suggested by jieba so the term is cut whole
        return tok


def segment_chinese(text: str, punctuation: bool = False) -> list[str]:
    """jieba precise-mode tokens with protected spans kept whole; no white space, and no
    punctuation unless asked for (the gloss keeps it to render sentence marks)."""
    keep = _keep_with_punctuation if punctuation else _is_word
    lcut = tokenizer().lcut
    tokens: list[str] = []
    pos = 0
    for m in PROTECTED.finditer(text):
        if m.start() > pos:
            tokens.extend(t for t in lcut(text[pos : m.start()], cut_all=False, HMM=True) if keep(t))
        tokens.append(m.group())
        pos = m.end()
    if pos < len(text):
        tokens.extend(t for t in lcut(text[pos:], cut_all=False, HMM=True) if keep(t))
    return tokens


_PUNCT_ONLY = re.compile(r"[\W_]+")


def _is_word(token: str) -> bool:
    return _PUNCT_ONLY.fullmatch(token) is None


def _keep_with_punctuation(token: str) -> bool:
    return not token.isspace()


def word_tokens(text: str) -> list[str]:
    """Letters-and-digits words: `Section`, `3.1`, `party's`, `non-exclusive`."""
    return _WORD.findall(text)


def has_han(text: str) -> bool:
    """Whether `text` holds a Han character (what jieba cuts in every language)."""
    return _HAN.search(text) is not None


def cut_by_jieba(text: str, lang: str | None) -> bool:
    """Whether `text` in `lang` is cut by jieba (`Language.word_segmentation`)."""
    how = languages.get(lang).word_segmentation
    return how == "jieba" or (how == "jieba-for-han" and has_han(text))


def tokens_for(text: str, lang: str | None) -> list[str]:
    """Tokens of `text` as its language is cut (`Language.word_segmentation`)."""
    return segment_chinese(text) if cut_by_jieba(text, lang) else word_tokens(text)


# What jieba cuts in runs: Han, letters, digits and these marks (its `re_han_default`).
# Every other character it yields alone (white space too), so between two word tokens a
# character outside these runs is a token of its own, and so is a lone one of these marks.
_JIEBA_RUN = re.compile(r"[+#&._%\-]{2,}")


@cache
def _joined_marks() -> frozenset[str]:
    """The marks of `_JIEBA_RUN` that a word of the tokenizer's dictionary holds two or
    more of in a row (the + of C++). Two or more marks in a row among words are one token
    (a blank, ____: jieba's HMM step yields what is not Han, letters or digits whole),
    unless such a word may have claimed them."""
    return frozenset("".join(m.group() for m in _JIEBA_RUN.finditer("\n".join(tokenizer().FREQ))))


def punctuated(text: str, tokens: Sequence[str]) -> list[tuple[int, int, str | None]] | None:
    """`segment_chinese(text, punctuation=True)` as (start, end, token), rebuilt from `tokens`,
    `segment_chinese(text)` (the segmentation stage's), without cutting again: what lies
    between two of them is the punctuation and white space jieba cut there, a character at
    a time, or two or more of `_JIEBA_RUN`'s marks at once (None, unknown, where a word of
    the dictionary has such marks: see `_joined_marks`). None when `tokens` are not the
    text's."""
    out: list[tuple[int, int, str | None]] = []
    pos = 0
    for token in (*tokens, None):
        start = len(text) if token is None else text.find(token, pos)
        if start < 0:
            return None
        if start > pos:
            gap = text[pos:start]
            if not _PUNCT_ONLY.fullmatch(gap):  # a word between two tokens: not this text's
                return None
            runs = {m.start(): m.group() for m in _JIEBA_RUN.finditer(gap)}
            i = 0
            while i < len(gap):
                if i in runs:
                    run = runs[i]
                    out.append((pos + i, pos + i + len(run), None if _joined_marks().intersection(run) else run))
                    i += len(run)
                    continue
                if not gap[i].isspace():
                    out.append((pos + i, pos + i + 1, gap[i]))
                i += 1
        if token is not None:
            pos = start + len(token)
            out.append((start, pos, token))
    return out


def sentence_tokens(text: str, tokens: Sequence[str], sentences: Sequence[str]) -> list[list[str] | None]:
    """The tokens with punctuation of each of `sentences` (`stages.sentences` of `text`, in
    order) as `segment_chinese(sentence, punctuation=True)` cuts them, taken from the
    clause's `tokens` (see `punctuated`); None for a sentence they do not settle, to be cut.

    A sentence cut alone is cut as within its clause: it begins and ends beside white
    space or a sentence mark, where no run of jieba's and no protected span continues,
    unless one crosses it (a book title with a full stop inside): that sentence is cut."""
    cut = punctuated(text, tokens)
    if cut is None:
        return [None] * len(sentences)
    out: list[list[str] | None] = []
    k, pos, reach = 0, 0, 0  # reach: where the last token ends
    for sentence in sentences:
        start = text.find(sentence, pos)
        if start < 0:  # not a sentence of this text
            return [None] * len(sentences)
        pos = start + len(sentence)
        mine: list[str] | None = [] if reach <= start else None  # None: a token from before reaches into it
        while k < len(cut) and cut[k][0] < pos:
            at, reach, token = cut[k]
            if token is None or reach > pos:  # unknown, or across the sentence's end
                mine = None
            elif mine is not None:
                mine.append(token)
            k += 1
        out.append(mine)
    return out


def segment_document(doc: Document) -> Document:
    """Segmentation stage: fills `tokens` for every clause of an accepted document."""
    if not doc.ok:
        return doc
    clauses: tuple[Clause, ...] = tuple(
        replace(c, tokens=tuple(tokens_for(c.text, c.lang or doc.lang))) for c in doc.clauses
    )
    return replace(doc, clauses=clauses)
