"""Sentence splitting, the unit of translation.

Every line break ends a sentence (a clause's paragraphs and headings are kept apart).
Within a line:
- Chinese (and other CJK) text ends a sentence after 。！？； (and ! ? ;), with any
  closing quotes or brackets that follow (Chinese's `sentence_ends`, stages/lang/zh.py);
- other text ends a sentence after . ! ? followed by white space and an upper-case
  letter, digit, bracket or quote, unless the word before the dot is an abbreviation
  legal text is full of ("Co., Ltd.", "e.g.", "No. 5", "Art.", "U.S."; English's
  `abbreviations`) or an initial.
  Dots inside numbers ("Section 3.1", "1.5%") never end a sentence.

Written here rather than taken from a library: pysbd runs at about 0.3 MB/s and splits
"PTE. LTD."; NLTK's punkt and Argos's MiniSBD download their models at first use.
"""

from __future__ import annotations

import re

from stages import lang as languages

_CJK_RULES, _LATIN_RULES = languages.get("zh"), languages.get("en")  # by script: Han and kana text, the rest
ABBREVIATIONS = _LATIN_RULES.abbreviations
_CJK_END = re.compile(f"[{re.escape(_CJK_RULES.sentence_ends)}][{re.escape(_CJK_RULES.sentence_closers)}]*")
_LATIN_END = re.compile(
    f"[{re.escape(_LATIN_RULES.sentence_ends)}][{re.escape(_LATIN_RULES.sentence_closers)}]*"
    r"(?=\s+[\"'“‘(\[A-Z0-9\u00c0-\u024f])"
)
_LAST_WORD = re.compile(r"[\w.]*$")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\u3040-\u30ff\uac00-\ud7af]")


def sentences_by_line(text: str) -> list[list[str]]:
    """The sentences of each non-blank line of `text`, stripped, in order."""
    return [_split_line(line) for line in (raw.strip() for raw in text.split("\n")) if line]


def split_sentences(text: str) -> list[str]:
    """Sentences of `text`, stripped, in order; every non-space character is kept."""
    return [sentence for line in sentences_by_line(text) for sentence in line]


def _split_line(line: str) -> list[str]:
    if _CJK.search(line):
        return _cut(line, (m.end() for m in _CJK_END.finditer(line)))
    return _cut(line, (m.end() for m in _LATIN_END.finditer(line) if _ends_sentence(line, m.start())))


def _ends_sentence(line: str, dot: int) -> bool:
    if line[dot] != ".":
        return True
    word = _LAST_WORD.search(line, max(0, dot - 40), dot).group()  # the word the dot closes ("e.g", "Ltd", "3.1")
    if not word:
        return True
    if word.lower() in ABBREVIATIONS or word.lower().rstrip(".") in ABBREVIATIONS:
        return False
    return not (len(word) == 1 and word.isupper())  # an initial: "J. Smith"


def _cut(line: str, ends) -> list[str]:
    out, start = [], 0
    for end in ends:
        piece = line[start:end].strip()
        if piece:
            out.append(piece)
        start = end
    rest = line[start:].strip()
    if rest:
        out.append(rest)
    return out
