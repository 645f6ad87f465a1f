"""Numbers as legal text writes them, in every language of `stages.lang`.

One place for what the stages read as a number: digits with thousands separators
(1,200,000.50), numbers with a scale word after them (120万, 1.2 million), native
numerals in counting positions (第十三条, 三十日, 二〇二五年七月一日) and English number
words, ordinals and months. The scale words, numeral characters, counters and words are
each language module's; this module joins every known language's, so a number reads
the same in a Chinese clause, its English version and a machine translation of it.
Han numerals are read by `stages.numbering.han_to_int` (the clause parser's reader,
on cn2an); written-out forms that are not a bare numeral (百分之三十) by cn2an's `transform`.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from collections import Counter
from collections.abc import Iterator, Mapping
from functools import cache

import cn2an

from stages import lang
from stages.numbering import han_to_int

DIGITS = r"\d+(?:,\d{3})*(?:\.\d+)?"  # 1,200,000.50
_ANY_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")  # also 1.000,5 and 3.1.2: every run of digits once
_DIGITS = re.compile(DIGITS)
_DIGITS_FULL = re.compile(rf"{DIGITS}")


def _number(s: str) -> int | float:
    value = float(s.replace(",", ""))
    return int(value) if value.is_integer() else value


@cache
def _union(field: str) -> dict:
    """Every known language's `field` table merged, keys lowercased (made once: callers
    only read it)."""
    merged: dict = {}
    for language in lang.known():
        merged.update({k.lower(): v for k, v in getattr(language, field).items()})
    return merged


def _chars(field: str) -> str:
    return "".join(dict.fromkeys("".join(getattr(language, field) for language in lang.known())))


def _alternatives(words) -> str:
    """A regex alternation of `words`, longest first; a word that ends in a letter of a
    script written with spaces must end there (million, not millions), a Han word not (120万元)."""
    ordered = sorted(set(words), key=lambda w: (-len(w), w))
    return "|".join(re.escape(w) + (r"\b" if w[-1].isascii() and w[-1].isalpha() else "") for w in ordered)


@cache
def scale_words() -> Mapping[str, int]:
    """Every known language's scale words (lower case) and their multipliers."""
    return _union("scale_words")


@cache
def han_scales(minimum: int = 1) -> str:
    """The scale words written in one Han character, with a multiplier of at least `minimum`."""
    return "".join(w for w, n in scale_words().items() if len(w) == 1 and not w.isascii() and n >= minimum)


@cache
def numeral_chars() -> str:
    """The characters of a native numeral: digits, units and scale characters (一 .. 千, 万, 亿)."""
    return "".join(dict.fromkeys(_chars("numeral_chars") + han_scales()))


@cache
def _framing() -> str:
    """What may stand around a number that is written out: ordinal prefixes, counters,
    division words, scale words, a percent sign (第12条, 30日, 30%, 1200000元)."""
    framing = _chars("ordinal_prefix") + _chars("counters") + _chars("general_measures") + han_scales() + "%" + " "
    return framing + "".join(w for language in lang.known() for w in language.structure_words if len(w) == 1)


@cache
def _scaled() -> re.Pattern:
    # Tried only where a number begins (not inside a run of digits and separators), so a
    # long run of digits without a scale word is read once, not once per digit.
    return re.compile(rf"(?<![\d,.])({DIGITS})\s*({_alternatives(scale_words())})", re.IGNORECASE)


def scaled(text: str) -> Iterator[tuple[int | float, float]]:
    """(digits, scaled value) for each number written with a scale word (120万 -> (120, 1200000.0))."""
    for m in _scaled().finditer(text):
        digits = _number(m.group(1))
        yield digits, digits * scale_words()[m.group(2).lower()]


@cache
def _native() -> re.Pattern:
    numeral = f"[{re.escape(numeral_chars())}]+"
    prefixes = _alternatives(language.ordinal_prefix for language in lang.known() if language.ordinal_prefix)
    chars = re.escape(numeral_chars())
    counters, general = re.escape(_chars("counters")), re.escape(_chars("general_measures"))
    counted = f"[{counters}]" + (f"|[{general}](?=[{counters}])" if general else "")
    roles = _chars("ordinal_roles")
    # An ordinal is a number (第十三条, 第百二十一号) unless a role follows it: 第三方, 第三人
    # ("third party") are no numbers, in the text or in its translation. A bare numeral is
    # tried only where its run begins: counters are no numeral characters, so only the run's
    # end can be followed by one, and a long run is read once, not once per character.
    after_prefix = "".join(f"(?<!{re.escape(p)})" for language in lang.known() if (p := language.ordinal_prefix))
    return re.compile(
        rf"(?:{prefixes})({numeral})" + (rf"(?![{numeral_chars()}{re.escape(roles)}])" if roles else "")
        + rf"|(?<![{chars}]){after_prefix}({numeral})(?={counted})"
    )


@cache
def _words() -> tuple[re.Pattern, re.Pattern, re.Pattern]:
    """English-style number words that count, ordinals that name a division, dates by month name."""
    counted = _alternatives(_union("number_words"))
    nouns = "|".join(n for language in lang.known() for n in language.counted_nouns)
    ordinals = _alternatives(_union("ordinal_words"))
    divisions = "|".join(n for language in lang.known() for n in language.ordinal_nouns)
    months = _alternatives(_union("month_names"))
    return (
        re.compile(
            rf"\b({counted})(?=\s*(?:\(\d+\)\s*)?(?:business |working |calendar )?(?:{nouns})\b)", re.IGNORECASE
        ),  # "thirty (30) days", not "one of the following"
        re.compile(rf"\b({ordinals})\s+(?:{divisions})s?\b", re.IGNORECASE),
        re.compile(
            rf"\b({months})\s+\d{{1,2}}(?:st|nd|rd|th)?\b|\b\d{{1,2}}(?:st|nd|rd|th)?\s+({months})", re.IGNORECASE
        ),  # "November 1st, 2021", not "may not"
    )


def mentions(text: str) -> Counter:
    """Numbers a text mentions, comparable across languages: digits (scaled by a scale
    word after them), native numerals in counting positions (第十三条, 三十日), number
    words that count (thirty days), ordinals naming a division, and months."""
    text = unicodedata.normalize("NFKC", text)
    found: Counter = Counter()
    for m in _ANY_DIGITS.finditer(text):
        try:
            found[_number(m.group())] += 1
        except ValueError:  # 1.000,5: no number
            continue
    for m in _native().finditer(text):
        value = han_to_int(m.group(1) or m.group(2))
        if value is not None:  # a lone 万 or 亿 is a unit, 十十 no number at all
            found[value] += 1
    for digits, value in scaled(text):  # 1.2 million, 120万: the scaled value, not the digits
        found[digits] -= 1
        found[int(value)] += 1
    found = +found  # drop what the scaled amounts replaced
    counted, ordinal, date = _words()
    numbers, ordinals, months = _union("number_words"), _union("ordinal_words"), _union("month_names")
    for m in counted.finditer(text):
        found[numbers[m.group(1).lower()]] += 1
    for m in ordinal.finditer(text):
        found[ordinals[m.group(1).lower()]] += 1
    for m in date.finditer(text):
        found[months[(m.group(1) or m.group(2)).lower()]] += 1
    return found


def value(written: str) -> int | float | None:
    """The number one written number stands for: digits (1,000), a native numeral
    (千三百二十六), either with a scale word (120万, 1.2 million), or a written-out form
    that holds one number in a counting position (百分之三十 -> 30, 第十二条 -> 12, 三十日 -> 30).
    None when it is not exactly one number (第十十条, 2025年7月1日, 一致)."""
    s = unicodedata.normalize("NFKC", written).strip()
    if not s:
        return None
    if _DIGITS_FULL.fullmatch(s):
        return _number(s)
    if not s.strip(numeral_chars()):
        return han_to_int(s)  # a bare numeral: its grammar alone decides (十十 is none)
    if _scaled().fullmatch(s):
        return _whole(next(scaled(s))[1])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # cn2an warns on every numeral it cannot read
        try:
            s = cn2an.transform(s, "cn2an")
        except Exception:  # cn2an raises on some malformed input: then there is no number
            return None
    found = list(_DIGITS.finditer(s))
    if len(found) != 1 or (s[: found[0].start()] + s[found[0].end() :]).strip(_framing()):
        return None  # not one number, or one inside a word (一致 -> 1致: unanimous)
    amounts = [v for _, v in scaled(s)]
    return _whole(amounts[0]) if amounts else _number(found[0].group())


def _whole(value: float) -> int | float:
    return int(value) if value == int(value) else value
