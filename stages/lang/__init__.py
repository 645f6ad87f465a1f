"""What lexnorm knows about each language, one module per language.

A stage never branches on a language code: it asks `get(code)` for that language's
`Language` record (how its words are cut, which topic patterns read it, its numerals,
scale words, structure words and the ones that head a numbered division, the words that
make a number a reference, sentence ends, the script it is told by, ...) and acts on what
the record says; a stage that reads every language (the clause parser, the numbers
module, the language stage's script tables) joins what `known()` languages hold.
`stages/lang/zh.py` holds Chinese (in both scripts), `en.py` English, `ja.py` Japanese
(which borrows Chinese where it has nothing of its own), `ko.py` Korean, `de.py` German,
`fr.py` French, `es.py` Spanish, `it.py` Italian. Adding a language is adding its module
here with a `LANGUAGE = Language(...)` in it: `get` and `known` find it by its file name.
A code without a module (pt, nl, ...) gets `default(code)`: word tokens, its own topic
patterns if the taxonomy has them (else English ones), no numerals besides digits; text whose language is unknown (None) gets
`UNDETERMINED`, which cuts Han text with jieba as the languages written in Han do.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from types import MappingProxyType



@dataclass(frozen=True)
class Language:
    """One language's knowledge, as the stages use it. Mappings are read-only."""

    code: str
    name: str
    # How the segmentation stage cuts its text into tokens: "jieba" (always, with the
    # legal dictionary and protected spans), "jieba-for-han" (jieba when the text has Han
    # characters, word tokens otherwise) or "words" (letters-and-digits words).
    word_segmentation: str = "words"
    # Which pattern set of the topic taxonomy (`patterns_<x>` in stages/data/topics.json) reads
    # it when the taxonomy has none of its own (a language with `patterns_<code>` is read by those).
    topic_patterns: str = "en"
    # A CC-CEDICT dictionary gloss stands in when no model translates it.
    dictionary_gloss: bool = False
    # Numerals written without digits: the characters of a numeral (digits and units, 一 .. 千)
    # and the word before an ordinal (第十三条).
    numeral_chars: str = ""
    ordinal_prefix: str = ""
    # Counters and measure words after which a native numeral is a count or a date (三十日, 五千万元),
    # and general measure words that count only before one of those (三个月 is three months;
    # 两个以上 "two or more" counts nothing, as "two or more" does not in English).
    counters: str = ""
    general_measures: str = ""
    # Words after an ordinal that make it a role, not a number: 第三方, 第三人, 第三者 are "the
    # third party", which no translation writes as a number.
    ordinal_roles: str = ""
    # Words for numbers (English "thirty"), ordinals ("third"), months ("July"), and the
    # nouns after which a number word counts something ("days", "copies") or an ordinal
    # names a division ("paragraph"); regex alternatives, matched case-insensitively.
    number_words: Mapping[str, int] = field(default_factory=dict, hash=False)
    ordinal_words: Mapping[str, int] = field(default_factory=dict, hash=False)
    month_names: Mapping[str, int] = field(default_factory=dict, hash=False)
    counted_nouns: tuple[str, ...] = ()
    ordinal_nouns: tuple[str, ...] = ()
    # Scale words written after a number, with their multiplier (120万, 1.2 million).
    scale_words: Mapping[str, int] = field(default_factory=dict, hash=False)
    # Division words: Chinese 条 -> "article"; for English, the division kind -> how an
    # English citation writes it ("article" -> "Article").
    structure_words: Mapping[str, str] = field(default_factory=dict, hash=False)
    # The structure words that head a numbered division of a text (第十三条, 第二章), as the
    # clause parser reads them; each one of `structure_words`, which says the division.
    # Not those that only cite one inside a sentence (第二款, 第三项).
    heading_units: tuple[str, ...] = ()
    # Languages written with spaces print the word before its number (`Artikel 5`, `Art. 5`,
    # `CHAPITRE III`): each such word (matched case-insensitively) -> the division it heads
    # (book, part, title, chapter, section, article). Some print a word after its number
    # (`1. Kapitel:`, `2. Abschnitt:`): those are also in `number_first_words`.
    division_words: Mapping[str, str] = field(default_factory=dict, hash=False)
    number_first_words: tuple[str, ...] = ()
    # Words that head an attachment after the text (`Annex 1`, `Anhang 2`, `EXHIBIT A`, 附件一),
    # each -> the kind of attachment, which is its id's prefix: `exh` (exhibit), `sch`
    # (schedule), `annex`, `app` (appendix), `att` (attachment). Annexes are numbered
    # (`Annex III` -> annex3); exhibits and schedules keep their letters (`exhA`).
    attachment_words: Mapping[str, str] = field(default_factory=dict, hash=False)
    # Back matter (R13). A consolidated statute may end with blocks of provisions that are not its
    # own and have no attachment word: Justice Laws prints `AMENDMENTS NOT IN FORCE` and `RELATED
    # PROVISIONS` (in capitals, alone on their line) after the schedules, and its XML makes them
    # schedules (`<Schedule id="NifProvs">`, `<Schedule id="RelatedProvs">`). Each heading, as
    # printed -> the block's id. And the headings of editorial notes after the law (an Australian
    # compilation's `Endnotes`: amendment history tables), matched case-insensitively: from there to
    # the end, no line starts a clause.
    back_matter_blocks: Mapping[str, str] = field(default_factory=dict, hash=False)
    endnote_headings: tuple[str, ...] = ()
    # Supplementary provisions (R13): a heading alone on its line after the body that opens the
    # block of transitional and final articles (`附则`, `Supplementary Provisions`, `Final
    # Provisions`, `Schlussbestimmungen`): id `supp`. Matched case-insensitively; a Chinese or
    # Japanese heading may be spaced out (`附　　则`).
    supplementary_headings: tuple[str, ...] = ()
    # Recitals (R12). The words that open them (an act's `Whereas:`, `in Erwägung nachstehender
    # Gründe:`; a contract's `RECITALS`, `BACKGROUND`, `WHEREAS`), the words each unnumbered one
    # begins with (a contract's `WHEREAS`, `AND WHEREAS`), and the words that end them and enact
    # the text (`HAVE ADOPTED THIS REGULATION`, `BE IT ENACTED`, a contract's `NOW, THEREFORE` or
    # `agree as follows`). Matched case-insensitively where a line or a sentence begins; lower case.
    recital_openers: tuple[str, ...] = ()
    recital_words: tuple[str, ...] = ()
    enacting_formulas: tuple[str, ...] = ()
    # Numbers a division label spells out besides `number_words` (`Article premier`, `1er`).
    label_numbers: Mapping[str, int] = field(default_factory=dict, hash=False)
    # How an amendment inserts a number after an existing one without renumbering the law:
    # a mark between the base and the inserted number (之 in 第十七条之一, の in 第百五条の二の二)
    # or a Latin adverb after it (`5bis`, `3ter`). The inserted label follows its base.
    insertion_marks: str = ""
    insertion_words: tuple[str, ...] = ()
    # How a label names a range of numbers, usually a block of repealed articles printed as
    # one stub (第五十五条から第六十三条まで　削除, 第百二十九条及び第百三十条　削除): each word
    # between the two numbered labels -> the word that may close the range after the second
    # (から .. まで), or "" (R10). The range is one clause.
    range_words: Mapping[str, str] = field(default_factory=dict, hash=False)
    # Characters this language writes for another's in the same words (Traditional 條 for
    # 条, 節 for 节): the clause parser reads a label through them, so one table of
    # heading units serves both.
    variants: Mapping[str, str] = field(default_factory=dict, hash=False)
    # Sentence-ending marks, the closing quotes and brackets that stay with them, and
    # abbreviations whose dot ends no sentence.
    sentence_ends: str = ""
    sentence_closers: str = ""
    abbreviations: frozenset[str] = frozenset()
    # Words that make a following number a reference, not a label ("see Section 3.01").
    reference_words: frozenset[str] = frozenset()
    # The script that tells this language's text from others' ("han", "kana", "hangul", as
    # `stages.language.script` names them), if it has one of its own, and whether text in
    # that script is this language when detection offers nothing the script allows.
    script: str | None = None
    script_default: bool = False
    # The language whose knowledge this one borrows where it has none of its own (ja: zh).
    borrows: str | None = None

    def __post_init__(self):
        for name in (
            "number_words", "ordinal_words", "month_names", "scale_words", "structure_words", "division_words",
            "label_numbers", "variants", "attachment_words", "range_words", "back_matter_blocks",
        ):  # fmt: skip
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))
        unknown = [w for w in self.heading_units if w not in self.structure_words]
        if unknown:
            raise ValueError(f"{self.code}: heading units {unknown} are not among its structure words")
        unknown = [w for w in self.number_first_words if w not in self.division_words]
        if unknown:
            raise ValueError(f"{self.code}: number-first words {unknown} are not among its division words")
        bad = [k for k, v in self.variants.items() if len(k) != 1 or len(v) != 1]
        if bad:
            raise ValueError(f"{self.code}: variants {bad} are not one character for one character")


UNDETERMINED = Language(code="und", name="undetermined", word_segmentation="jieba-for-han")

_CODE = re.compile(r"[a-z]{2,3}")


def default(code: str) -> Language:
    """A language lexnorm has no module for: word tokens, English topic patterns, digits only."""
    return Language(code=code, name=code)


@cache
def get(code: str | None) -> Language:
    """The knowledge of language `code` (an ISO 639-1 code as language detection gives
    it); `UNDETERMINED` for None, `default(code)` for a language without a module."""
    if code is None:
        return UNDETERMINED
    if _CODE.fullmatch(code):
        try:
            module = importlib.import_module(f"{__name__}.{code}")
        except ModuleNotFoundError:
            module = None
        language = getattr(module, "LANGUAGE", None)
        if isinstance(language, Language):
            return language
    return default(code)


@cache
def known() -> tuple[Language, ...]:
    """Every language that has a module here, by code."""
    names = sorted(m.name for m in pkgutil.iter_modules(__path__) if _CODE.fullmatch(m.name))
    return tuple(lang for lang in map(get, names) if lang.code in names)


def borrowing(base: Language, code: str, name: str, **own) -> Language:
    """A language that borrows `base`'s knowledge, with what it has of its own."""
    return replace(base, code=code, name=name, borrows=base.code, **own)


__all__ = ["Language", "UNDETERMINED", "borrowing", "default", "get", "known"]
