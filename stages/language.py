"""Language stage: langdetect, deterministic, per document and per clause.

- langdetect is seeded (`DetectorFactory.seed = 0`), so the same text always gives the
  same answer; its profiles load once per process.
- `zh-cn` / `zh-tw` become `zh` (ISO 639-1).
- The script decides first and constrains the candidates: Han text without kana or Hangul
  is Chinese (langdetect calls Traditional Chinese and short Han text `ko` or `ja`), text
  with kana is Japanese, Hangul text is Korean, Latin text is never zh/ja/ko. When
  langdetect offers nothing the script allows, the script's language stands (its
  confidence is then unknown); langdetect never overrules the script.
- Clauses with too few letters to judge (a label, a number) inherit the document's
  language, and so does a clause written in the document's script that is shorter
  than TRUST_LETTERS (langdetect calls "Disclaimer" German) or whose detection still
  gives the document's language a fair chance.

Which language a script tells is the language modules' (`stages.lang`, their `script`
and `script_default`): the tables below are built from every known language.
"""

from __future__ import annotations

import threading
from dataclasses import replace

from langdetect import DetectorFactory
from langdetect.detector_factory import PROFILES_DIRECTORY
from langdetect.lang_detect_exception import LangDetectException

from stages import lang as languages
from stages.records import Clause, Document

SEED = 0
MIN_LETTERS = 10  # fewer letters than this: inherit the document language
DOC_SAMPLE_CHARS = 20_000  # a document's language is read off its first characters
CLAUSE_SAMPLE_CHARS = 2_000
KEEP_DOC_LANG_PROB = 0.10  # keep the document's language if the clause gives it this much
TRUST_LETTERS = 200  # in the document's own script, langdetect decides only past this length

_LANG_MAP = {"zh-cn": "zh", "zh-tw": "zh"}
_lock = threading.Lock()
_factory: DetectorFactory | None = None


def _detectors() -> DetectorFactory:
    """One seeded factory per process (loading the profiles takes about a second)."""
    global _factory
    if _factory is None:
        with _lock:
            if _factory is None:
                factory = DetectorFactory()
                factory.load_profile(PROFILES_DIRECTORY)
                factory.seed = SEED
                _factory = factory
    return _factory


def iso639(code: str) -> str:
    return _LANG_MAP.get(code, code.split("-")[0])


def detect(text: str, max_chars: int = DOC_SAMPLE_CHARS) -> list[tuple[str, float]]:
    """Languages and probabilities, best first; [] when nothing can be detected."""
    detector = _detectors().create()
    detector.append(text[:max_chars])
    try:
        probs = detector.get_probabilities()
    except LangDetectException:
        return []
    merged: dict[str, float] = {}
    for p in probs:
        code = iso639(p.lang)
        merged[code] = merged.get(code, 0.0) + p.prob
    return sorted(merged.items(), key=lambda kv: -kv[1])


def letters(text: str) -> int:
    return sum(1 for ch in text if ch.isalpha())


def script(text: str) -> str:
    """The writing system most of the letters are in: han, kana, hangul or latin/other."""
    counts = {"han": 0, "kana": 0, "hangul": 0, "other": 0}
    for ch in text:
        if not ch.isalpha():
            continue
        if _is_han(ch):
            counts["han"] += 1
        elif "\u3040" <= ch <= "\u30ff" or "\u31f0" <= ch <= "\u31ff" or "\uff66" <= ch <= "\uff9d":
            counts["kana"] += 1
        elif "\uac00" <= ch <= "\ud7af" or "\u1100" <= ch <= "\u11ff" or "\u3130" <= ch <= "\u318f":
            counts["hangul"] += 1
        else:
            counts["other"] += 1
    if counts["kana"]:
        return "kana"  # Japanese mixes kana into Han text
    if counts["hangul"] > counts["han"]:
        return "hangul"
    return "han" if counts["han"] >= counts["other"] else "other"


def _script_tables() -> tuple[dict[str, frozenset[str]], dict[str, str]]:
    """For each script a known language is told by: the languages written in it, and the
    one its text is when detection offers none of them (han: zh, kana: ja, hangul: ko)."""
    allowed: dict[str, set[str]] = {}
    default: dict[str, str] = {}
    for language in languages.known():
        if language.script is not None:
            allowed.setdefault(language.script, set()).add(language.code)
            if language.script_default:
                default.setdefault(language.script, language.code)
    return {writing: frozenset(codes) for writing, codes in allowed.items()}, default


_SCRIPT_LANGS, _DEFAULT_FOR_SCRIPT = _script_tables()
# Languages with a script of their own: text in any other script is none of them.
_SCRIPT_BOUND = frozenset().union(*_SCRIPT_LANGS.values())


def _plausible(found: list[tuple[str, float]], writing: str) -> list[tuple[str, float]]:
    """Drop what the script rules out (langdetect calls Han-only text `ko` or `ja`)."""
    allowed = _SCRIPT_LANGS.get(writing)
    if allowed is None:
        return [(lang, p) for lang, p in found if lang not in _SCRIPT_BOUND]
    return [(lang, p) for lang, p in found if lang in allowed]


def clause_language(text: str, doc_lang: str | None, doc_script: str | None = None) -> str | None:
    """A clause's language, given its document's language and script (read off the
    clause's first CLAUSE_SAMPLE_CHARS characters)."""
    text = text[:CLAUSE_SAMPLE_CHARS]
    if letters(text) < MIN_LETTERS and not _has_han(text):
        return doc_lang
    writing = script(text)
    if doc_script is not None and writing == doc_script and letters(text) < TRUST_LETTERS:
        return doc_lang  # same script, too short for langdetect to overrule the document
    found = _plausible(detect(text, CLAUSE_SAMPLE_CHARS), writing)
    if doc_lang is not None and dict(found).get(doc_lang, 0.0) >= KEEP_DOC_LANG_PROB:
        return doc_lang
    if found:
        return found[0][0]
    return _DEFAULT_FOR_SCRIPT.get(writing, doc_lang)


def _is_han(ch: str) -> bool:
    """A Han ideograph: the unified blocks, their extensions and the compatibility forms."""
    return (
        "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf" or "\uf900" <= ch <= "\ufaff"
        or "\U00020000" <= ch <= "\U0003134f"
    )  # fmt: skip


def _has_han(text: str) -> bool:
    return any(_is_han(ch) for ch in text)


def detect_languages(doc: Document) -> Document:
    """Language stage over a parsed document: sets the document's and each clause's lang."""
    if not doc.ok:
        return doc
    sample = doc.text[:DOC_SAMPLE_CHARS]
    writing = script(sample)
    found = _plausible(detect(sample), writing)  # never unfiltered: langdetect calls Traditional Chinese `ko`
    lang, confidence = found[0] if found else (_DEFAULT_FOR_SCRIPT.get(writing), None)
    clauses: tuple[Clause, ...] = tuple(replace(c, lang=clause_language(c.text, lang, writing)) for c in doc.clauses)
    warnings = doc.warnings if lang else doc.warnings + ("language could not be detected",)
    return replace(doc, lang=lang, lang_confidence=confidence, clauses=clauses, warnings=warnings)
