"""The label grammar: which strings at the start of a line (or, rarely, inside one) are
clause labels, and what they denote.

Labels are recognised on an NFKC view of each line (full-width digits, brackets and
dots become ASCII) while every offset refers to the original text. The grammar only
*proposes* labels; `stages.clauses` decides which proposals become clauses, using the
numbers it expects next. Rule numbers (R1, R3, ...) are those of docs/clause-ids.md.

Kinds of label:
- ``division``: statute and contract divisions with a fixed rank (exhibit > book > part >
  chapter > section > article), e.g. ``第三编``, ``第二章``, ``Article 12``, ``ARTICLE IV``.
- ``decimal``: multi-component numbers that carry their own path, ``3.1.7``, ``Section 2.03``.
- ``number``: single numbers that can head a document's top level: ``1.``, ``1、``,
  ``一、``, ``1 总则`` (bare), ``Section 5``.
- ``item``: list items whose id is parent + ``(label)``: ``(1)``, ``- (1)``, ``(a)``,
  ``(iv)``, ``（一）``, ``①``, ``a)``, ``A.``.
- ``bullet``: unlabelled bullets ``-``, ``•`` (ids inferred, rules R4/R5).
- ``notes``: the heading of editorial notes after the text (``Endnotes``, R13): from it on, no
  line starts a clause.
- ``invalid``: something in a label's place whose numeral is not a numeral (``第十十条``):
  never a clause, only an anomaly on the clause it stands in.

Every function here is linear in the length of its line: one line can be a whole
document (text extracted without line breaks).

The words of the grammar are the language modules' (`stages.lang`), every known
language's (R9): the units that head a numbered division after 第N (第三编, 第十二条), the
words that head one before or after its number (`Artikel 5`, `Art. 5`, `CHAPITRE III`,
`1. Kapitel:`), the words that head an attachment (`Annex 1`, `Anhang 2`), the numbers a
label may spell out (`ARTICLE FIVE`, `Article premier`), the marks and words of an inserted
number (之, の, `bis`: R10), the characters a script writes for another's (條 for 条) and
the words that make a number a reference; the numeral characters of 第N are Chinese's. A
language module added there is read here; no word list lives in this module.

An inserted number keeps its base as `value` (so it is neither a gap nor out of order
after its base) and says its insertion in `token`, which the id is made of: 第十七条之一 ->
value 17, token `17-1`; `Art. 44a` -> 44, `44a`; `5bis` -> 5, `5bis`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import NamedTuple
from functools import lru_cache

import roman

from stages import lang
from stages.lang.zh import HAN_DIGITS

# Rank of each division: a division closes every open level of equal or lower rank. A
# `provision` is a section of a common-law statute, numbered through the whole text like an
# article but written without a word (`1 Short title`, `35A.`, `4.01`: R11); its id is its number.
DIVISION_RANK = {
    "exhibit": 0, "book": 1, "part": 2, "title": 3, "chapter": 4, "section": 5, "division": 6, "subdivision": 7,
    "article": 8, "provision": 8,
}  # fmt: skip
DIVISION_ID_PREFIX = {
    "exhibit": "exh", "book": "book", "part": "part", "title": "title", "chapter": "ch", "section": "sec",
    "division": "div", "subdivision": "sub", "article": "art", "provision": "",
}  # fmt: skip
# Divisions that group others and carry only a title on their line: `Part 1 sets out ...` at a
# line start is a sentence that cites the Part, not its heading.
GROUPING_DIVISIONS = frozenset({"book", "part", "title", "chapter", "division", "subdivision"})
# The units after 第N that head a division (编 -> book, ... 条 -> article), every known language's.
HEADING_UNITS = {w: language.structure_words[w] for language in lang.known() for w in language.heading_units}
# The words before (or after) a number that head a division (`artikel` -> article), lower case.
DIVISION_WORDS = {w.lower(): kind for language in lang.known() for w, kind in language.division_words.items()}
_NUMBER_FIRST_WORDS = {w.lower() for language in lang.known() for w in language.number_first_words}
# Words that head an attachment -> its kind, the id's prefix (`annex` -> annex, 附表 -> sch).
_ATTACHMENT_WORDS = {w.lower(): kind for language in lang.known() for w, kind in language.attachment_words.items()}
_HAN_ATTACHMENTS = [w for w in _ATTACHMENT_WORDS if all(ord(ch) >= 0x2E80 for ch in w)]
# Back matter (R13): the headings of blocks of provisions after a consolidated statute, as printed
# (`AMENDMENTS NOT IN FORCE` -> schNifProvs), and the headings of its editorial notes (`Endnotes`).
BACK_MATTER_BLOCKS = {w: block for language in lang.known() for w, block in language.back_matter_blocks.items()}
_ENDNOTE_HEADINGS = {w.lower() for language in lang.known() for w in language.endnote_headings}


def _spaced(word: str) -> str:
    """A heading word as printed: a Chinese or Japanese one may be spaced out (`附　　则`), the
    words of a phrase are apart by any run of spaces."""
    if all("\u3400" <= ch <= "\u9fff" for ch in word):
        return "[ ]*".join(map(re.escape, word))
    return r"[ \t]+".join(map(re.escape, word.split()))


_SUPPLEMENTARY = "|".join(
    _spaced(w) for w in sorted({w for language in lang.known() for w in language.supplementary_headings}, key=lambda w: -len(w))
) or "(?!)"
_LATIN_ATTACHMENTS = [w for w in _ATTACHMENT_WORDS if w not in _HAN_ATTACHMENTS]
# Numbers a division label may spell out (`five`, `premier`), lower case.
LABEL_NUMBERS = {
    w.lower(): n for language in lang.known() for w, n in {**language.number_words, **language.label_numbers}.items()
}
_INSERTION_MARKS = "".join(dict.fromkeys("".join(language.insertion_marks for language in lang.known())))
_INSERTION_WORDS = {w.lower() for language in lang.known() for w in language.insertion_words}
# Range words between two numbered labels (から, 及び, 至) and the words that close a range (まで).
_RANGE_WORDS = {w for language in lang.known() for w in language.range_words}
_RANGE_CLOSERS = {c for language in lang.known() for c in language.range_words.values() if c}
# Characters read as another's in a label (條 -> 条): one for one, so offsets stay exact.
_VARIANTS = str.maketrans({k: v for language in lang.known() for k, v in language.variants.items()})
_VARIANT_CHARS = re.compile(f"[{re.escape(''.join(map(chr, _VARIANTS)))}]") if _VARIANTS else None

BULLETS = "-–—•●◦▪■·○◆◇►➢*"
_CIRCLED = {chr(0x2460 + i): i + 1 for i in range(20)}  # ① .. ⑳
_CIRCLED.update({chr(0x3251 + i): 21 + i for i in range(15)})  # ㉑ .. ㉟
_CIRCLED.update({chr(0x24EB + i): 11 + i for i in range(10)})  # ⓫ .. ⓴
_CIRCLED.update({chr(0x2776 + i): i + 1 for i in range(10)})  # ❶ .. ❿

_CIRCLED_RE = re.compile(f"[{''.join(_CIRCLED)}]")

# How many characters of a line the label grammar looks at (labels are short).
PREFIX_CHARS = 48
# A label can only begin with one of these (after NFKC); other lines skip the grammar.
_LABEL_FIRST = frozenset(
    "0123456789０１２３４５６７８９(（[【第附一二三四五六七八九十§⑴⑵⑶⑷⑸⑹⑺⑻⑼⑽㈠㈡㈢㈣㈤㈥㈦㈧㈨㈩"
    + BULLETS + "－•"
    + "".join(_CIRCLED)
    + "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    + "".join(w[0] for w in _HAN_ATTACHMENTS)  # 附件, 別表
)


class Label(NamedTuple):
    """A proposed clause label found in the text. An immutable record (a named tuple rather
    than a frozen dataclass: a document makes one per numbered line, and a tuple is built
    several times faster)."""

    kind: str  # division | decimal | number | item | bullet
    style: str  # siblings share a style: "(1)", "-(1)", "(a)", "1.", "1、", "一、", "•", "article", ...
    value: int | None  # ordinal within its style (a=1, iv=4, 一=1); None for bullets
    token: str  # how the value is written in ids: "3", "a", "iv", "A"
    path: tuple[int, ...] | None  # decimal components ("3.1.7" -> (3, 1, 7))
    text: str  # the label as printed, e.g. "7.5,", "- (1)", "第十二条"; for an `invalid` one, the whole bad label
    start: int  # label span in the document text
    end: int
    body_start: int  # where the clause's words begin after the label
    line_start: int
    line_end: int
    indent: int  # leading white space width of the line
    mid_line: bool = False  # found inside a line (R1: expected next number only)
    bare: bool = False  # a bare number without a dot ("1 总则"): expected next number only
    long: bool = False  # a number of four or more digits ("1000.", "2024."): expected next number only
    alt_style: str | None = None  # "(i)" could be a letter or a roman numeral
    alt_value: int | None = None
    alt_token: str | None = None
    last: int | None = None  # a range label's last number (第五十五条から第六十三条まで: 63; R10)


# --------------------------------------------------------------------------- numerals


_HAN_DIGIT = {"〇": 0, "零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_HAN_UNIT = {"十": 10, "百": 100, "千": 1000}
_HAN_BIG = {"万": 10_000, "亿": 100_000_000, "億": 100_000_000}


# Longer than this is no numeral (the longest written-out numbers of a legal text, 九千九百...亿,
# are about twenty characters): reading it would only cost time (cn2an is not linear).
MAX_NUMERAL_CHARS = 40


@lru_cache(maxsize=4096)
def han_to_int(s: str) -> int | None:
    """Chinese or Japanese numeral (一, 十二, 一千二百五十九, 两, 〇, 二〇二五, 百五, 千三百二十六)
    or digits to int; None when `s` is not a numeral (十十, 万, 二十〇).

    Modern Chinese forms are cn2an's. A numeral that begins with a bare 百 or 千 is
    Japanese or classical (Chinese writes 一百): cn2an refuses most of them and misreads
    others (千三百五 as 1350), so those, and whatever cn2an refuses, are read by the
    positional grammar of `_positional`. Whatever neither reads is no numeral.
    """
    if not s or len(s) > MAX_NUMERAL_CHARS:
        return None
    if s.isdecimal():
        return int(s)
    if s[0] not in "百千":
        import cn2an  # here, not at the top: it takes a quarter of a second to import, and most texts have no Han numeral

        try:
            value = cn2an.cn2an(s, "smart")
        except Exception:  # cn2an raises KeyError, ValueError, ... on forms it cannot read
            return _positional(s)
        if isinstance(value, (int, float)) and value >= 0 and value == int(value):
            return int(value)
        return None
    return _positional(s)


@lru_cache(maxsize=4096)
def ordinal_to_int(s: str) -> int | None:
    """The number of a label (第二百一条): a numeral that names a division is written out in
    full, never abbreviated as a quantity may be (colloquial Chinese 二百一 is 210), so the
    positional grammar reads it first (Japanese 第二百一条 is article 201, where Chinese
    writes 第二百零一条); whatever it does not read is `han_to_int`'s."""
    if s.isdecimal():
        return int(s)
    value = _positional(s) if len(s) <= MAX_NUMERAL_CHARS else None
    return value if value is not None else han_to_int(s)


def _positional(s: str) -> int | None:
    """The numeral grammar of Japanese statutes: a digit before 十, 百 or 千 is optional
    (百十八 = 118), units fall strictly within each 万/亿 group, a zero is written only
    before a following digit (一百零五) and may be left out (百五 = 105). None otherwise."""
    total, group, digit, last_unit, last_big, zero = 0, 0, None, 10_000, None, False
    for ch in s:
        if ch in _HAN_DIGIT:
            if digit is not None or (zero and _HAN_DIGIT[ch] == 0):
                return None  # two digits in a row: not positional
            if _HAN_DIGIT[ch] == 0:
                zero = True
                continue
            digit = _HAN_DIGIT[ch]
        elif ch in _HAN_UNIT:
            unit = _HAN_UNIT[ch]
            if unit >= last_unit or zero:
                return None
            group += (1 if digit is None else digit) * unit
            digit, last_unit = None, unit
        elif ch in _HAN_BIG:
            big = _HAN_BIG[ch]
            group += digit or 0
            if group == 0 or zero or (last_big is not None and big >= last_big):
                return None
            total += group * big
            group, digit, last_unit, last_big = 0, None, 10_000, big
        else:
            return None
        zero = zero and digit is None
    if zero:
        return None  # a trailing zero (二十〇)
    value = total + group + (digit or 0)
    return value if (value or s in "〇零") else None


@lru_cache(maxsize=1024)
def attachment_id(word: str, ident: str) -> str:
    """An attachment's id (R13): its kind's prefix and its number as printed, letters in
    capitals (`EXHIBIT a-1` -> exhA-1, `Schedule 2` -> sch2, 别表 -> sch), an annex's roman
    number as a number (`ANNEX III` -> annex3: the EU and Swiss way of numbering them)."""
    kind = _ATTACHMENT_WORDS[word.lower()]
    ident = ident.upper()
    if kind == "annex" and (value := roman_to_int(ident)) is not None:
        ident = str(value)
    return f"{kind}{ident}"


def roman_to_int(s: str) -> int | None:
    try:
        return roman.fromRoman(s.upper())
    except roman.InvalidRomanNumeralError:
        return None


def letter_value(s: str) -> int:
    return ord(s.lower()) - ord("a") + 1


# ------------------------------------------------------------------------- nfkc view


def nfkc_view(s: str) -> tuple[str, list[int] | range]:
    """NFKC of `s`, with a map from view index to index in `s`.

    The map has one extra entry (len(s)) so that an end offset maps too. Circled digits
    are kept as they are: they are a list style of their own (R3), not plain digits.
    Characters are normalised one by one, so that the map is exact even where one
    character expands (⑴ -> "(1)") and others would compose (ｶﾞ -> ガ) in the same line:
    equal lengths do not mean an identity map. Characters that would compose stay
    decomposed in the view; no label contains them.
    """
    if s.isascii() or (unicodedata.is_normalized("NFKC", s) and not _CIRCLED_RE.search(s)):
        return s, range(len(s) + 1)
    narrow = narrow_text(s)
    if narrow is not None:
        return narrow, range(len(s) + 1)
    pieces = list(map(_nfkc_char, s))
    view = "".join(pieces)
    if len(view) == len(s) and "" not in pieces:  # every character gave one: the identity map
        return view, range(len(s) + 1)
    index: list[int] = []
    for i, piece in enumerate(pieces):
        index.extend([i] * len(piece))
    index.append(len(s))
    return view, index


# The full-width forms and the ideographic and other spaces, each the NFKC of one character to one.
_WIDE_TO_NARROW = {
    0x3000: " ", **{code: chr(code - 0xFEE0) for code in range(0xFF01, 0xFF5F)},
    # the other spaces NFKC makes plain ones (no-break, en, em, thin, narrow no-break ...)
    0xA0: " ", **{code: " " for code in range(0x2000, 0x200B)}, 0x202F: " ", 0x205F: " ",
}  # fmt: skip
_NARROWABLE = re.compile(f"[{''.join(map(chr, _WIDE_TO_NARROW))}]")


def narrow_text(text: str) -> str | None:
    """The NFKC view of a text (a whole document or one line) when it maps one character to one,
    else None. Most texts are NFKC but for their spaces and full-width forms: narrowed with one
    `str.replace` per form present (far cheaper than `translate`), they are, and every line's
    view is then a slice of the document's; otherwise `nfkc_view` reads character by character."""
    narrow = text
    for wide in set(_NARROWABLE.findall(text)):
        narrow = narrow.replace(wide, _WIDE_TO_NARROW[ord(wide)])
    if unicodedata.is_normalized("NFKC", narrow) and not _CIRCLED_RE.search(narrow):
        return narrow
    return None


@lru_cache(maxsize=8192)
def _nfkc_char(ch: str) -> str:
    return ch if ch in _CIRCLED or ch.isascii() else unicodedata.normalize("NFKC", ch)


def indent_width(line: str) -> int:
    width = 0
    for ch in line:
        if ch == " ":
            width += 1
        elif ch == "\t":
            width += 4
        elif ch == "\u3000":
            width += 2
        elif ch.isspace():
            width += 1
        else:
            break
    return width


# -------------------------------------------------------------------------- grammar

def alternatives(words) -> str:
    """A regex alternation of `words`, longest first: where one word begins another, the
    longer one is read (分编 before 编, `annexe` before `annex`)."""
    return "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w)))


_HEADING_ALTERNATIVES = alternatives(HEADING_UNITS)
_INSERTION = rf"(?:[{re.escape(_INSERTION_MARKS)}][{HAN_DIGITS}\d]+)*" if _INSERTION_MARKS else ""
# A division's number written with digits or roman numerals: `5`, `44a`, `5bis`, `5-bis`, `IV`.
# Common-law insertions keep capitals (`Part 6A`, `Division 1AA`, `Part IIIA`), a Canadian one is
# decimal (`DIVISION 1.1`, alone on its line), and a subdivision is lettered (`Subdivision A`).
_LATIN_NUMBER = (
    rf"(?P<{{0}}_num>\d{{{{1,4}}}}(?:\.\d{{{{1,3}}}}(?=[ \t]*$)|[A-Z]{{{{1,3}}}}(?![a-zA-Z])|[a-z](?![a-zA-Z])"
    rf"|-?(?i:{alternatives(_INSERTION_WORDS)})(?![a-zA-Z]))?"
    rf"|[IVXLCDM]+[A-Z]{{{{0,2}}}}|[IVXLC]+1[IVXLC1]*|[ivxlcdm]+|[A-Z](?![A-Za-z]))"
)
# ... or spelled out: `FIVE`, `twenty-one`, `premier`, `1er`.
_SPELLED = alternatives(LABEL_NUMBERS)

_LINE_START = re.compile(
    rf"""
    (?P<bullet>[{re.escape(BULLETS)}][ \t]*(?=[(\[]))?          # "- (1)": a bullet before an item
    (?:
        第[ ]*(?P<cn_num>[{HAN_DIGITS}]+|\d+(?:-\d+)*)[ ]*(?P<cn_unit>{_HEADING_ALTERNATIVES})
            (?P<cn_ins>{_INSERTION})
            (?:(?P<cn_to>{alternatives(_RANGE_WORDS) or "(?!)"})[ ]*                # R10: 第五十五条から第六十三条まで
                第[ ]*(?P<cn_num2>[{HAN_DIGITS}]+|\d+(?:-\d+)*)[ ]*(?P<cn_unit2>{_HEADING_ALTERNATIVES})
                (?P<cn_ins2>{_INSERTION})(?:{alternatives(_RANGE_CLOSERS) or "(?!)"})?)?(?=\s|$)
      | (?P<supp>(?i:{_SUPPLEMENTARY}))(?=[ ]*(?:\([^()]{{1,40}}\)[ ]*\S{{0,2}}[ ]*)?$)   # 附　則　（…法律第一四〇号）　抄
      | (?P<block>{alternatives(BACK_MATTER_BLOCKS) or "(?!)"})(?=[ \t]*$)           # R13: AMENDMENTS NOT IN FORCE
      | (?P<notes>(?i:{alternatives(_ENDNOTE_HEADINGS) or "(?!)"}))(?=[ \t]*$)       # R13: Endnotes
      | (?P<en_div>(?i:{alternatives(DIVISION_WORDS)}))[ ]*(?<=[. ])
            (?:(?P<en_word>(?i:(?:{_SPELLED})(?:[- ](?:{_SPELLED}))?))(?![\w-])|{_LATIN_NUMBER.format("en")})
            (?P<en_tail>[.:])?(?=[ \t]|$|[-—–])
      | (?P<nf_num>\d{{1,3}})\.[ ]*(?P<nf_word>(?i:{alternatives(_NUMBER_FIRST_WORDS) or "(?!)"}))(?P<nf_tail>:)?(?=\s|$)
      | (?P<exh>(?i:{alternatives(_LATIN_ATTACHMENTS)}))[ ]+(?P<exh_id>(?:[IVXLC]{{1,6}}|[A-Z]{{1,2}})(?:-\d{{1,2}})?|\d{{1,3}}(?:\.\d{{1,3}})*)
            (?P<exh_tail>[.:])?(?=[ \t]|$|[-—–])
      | (?P<cn_exh>{alternatives(_HAN_ATTACHMENTS)})[ ]*(?P<cn_exh_id>[一二三四五六七八九十\d]{{1,3}})?(?=[ ]*(?:\([^()]{{1,40}}\)[ ]*)?$)  # 別表（第百九十五条関係）
      | (?P<sec_word>(?i:section|§)[ ]*)(?P<sec_path>\d+(?:\.\d+)+)(?P<sec_tail>[.:]?)(?![\d%])
      | (?P<dec>\d+(?:\.\d+)+)(?P<dec_tail>[.,:、]?)(?![\d%A-Za-z.])
      | (?P<gdec>\d{{1,3}}(?:\.\d{{1,3}})+)\.(?=[A-Z][a-z])               # R17: `3.1.The` glued to its first word
      | (?P<sdec>\d{{1,3}}\.[ ]\d{{1,3}})\.(?=[ \t]+\S)
      | (?P<num>\d+)(?P<num_tail>[.、)])(?![\d%])
      | (?P<han>[一二三四五六七八九十]{{1,3}})、
      | \((?P<rng>[a-z]{{1,2}})\)[ ]*(?:[-–—]|to[ ])[ ]*\((?P<rng2>[a-z]{{1,2}})\)       # R10: `(e)-(ea)`, one clause
      | \((?P<pnum>\d+)(?P<pnum_ins>[A-Z]{{1,2}})?\)
      | \((?P<phan>[一二三四五六七八九十]{{1,3}})\)
      | \((?P<plow>[a-z]{{1,5}})\)
      | \((?P<pup>[A-Z]{{1,5}})\)
      | (?P<circ>[{''.join(_CIRCLED)}])
      | (?P<let>[a-zA-Z])(?P<let_tail>[.)])(?=[ \t])
      | (?P<bare>\d+)(?=[ \t]+\S)
      | (?P<blt>[{re.escape(BULLETS)}])(?=[ \t]+\S)
    )
    """,
    re.VERBOSE,
)

# A decimal number inside a line ("Special tips for 9.4 Minor users", "... Agreement 11.3:").
_MID_DECIMAL = re.compile(r"(?<=\s)(\d+(?:\.\d+)+)([.,:：]?)(?=\s|$)")
# A top-level heading glued after a sentence ("... SUCH [*].        10.  Termination and ...").
_MID_GLUED = re.compile(r"(?<=[.;!?。；])(\s+)(\d+)\.(?=\s+[A-Z\u4e00-\u9fff])")

# Words that make a following number a reference, not a label ("see Section 3.01"), every
# known language's (lower case, as `_preceding_word` gives them).
REFERENCE_WORDS = frozenset(w.lower() for language in lang.known() for w in language.reference_words)

# Trailing runs are cut with str.rstrip, not with a `[...]*$` regex, which retries from
# every character of a long run of dots or spaces (quadratic).
WHITESPACE = "".join(ch for ch in map(chr, range(0x3001)) if ch.isspace())  # what `\s` matches
UNDERLINE_TAIL = WHITESPACE + "-_=.:·—–"
_UNDERLINE_RUN = WHITESPACE + "-_="
_SENTENCE_END = re.compile(r"[.!?。！？;；]\s")
HEADING_MAX_CHARS = 100


def clean_heading(s: str) -> str:
    """Heading words without trailing underline runs, dots and colons."""
    return " ".join(s.strip().rstrip(UNDERLINE_TAIL).split())


def is_heading_like(s: str, max_words: int = 12) -> bool:
    """Short, one phrase, not a sentence lead-in: `Account Security.`, `总则`, `TERM.`."""
    s = s.strip()
    cut = s.rstrip(_UNDERLINE_RUN)  # underline runs after CUAD headings
    if len(s) - len(cut) >= 3:
        s = cut
    if not s or len(s) > HEADING_MAX_CHARS:
        return False
    if s[-1] in ",;:，；：、(（" or _SENTENCE_END.search(s):
        return False
    cjk = han_count(s)
    if cjk:
        return cjk <= 30 and not s.endswith("。")
    words = s.split()
    if len(words) > max_words or words[-1].lower() in _SMALL_WORDS:
        return False
    if s.endswith("."):
        # "TERM." / "Account Security." are headings; "Other actions not expressly authorized." is not
        return len(words) <= 6 and all(w[0].isupper() or not w[0].isalpha() or w.lower() in _SMALL_WORDS for w in words)
    return True


_SMALL_WORDS = frozenset("a an and as at by for from in of on or the to with".split())


def han_count(s: str) -> int:
    """How many Chinese characters (CJK unified ideographs) `s` holds."""
    return len(_HAN_CHAR.findall(s))


_HAN_CHAR = re.compile("[\u4e00-\u9fff]")


def words_end(line: str) -> int:
    """Where the trailing underline run of a line begins (its words end there)."""
    return len(line.rstrip(_UNDERLINE_RUN))


def is_heading_like_at(text: str, start: int, end: int, words_until: int, max_words: int = 12) -> bool:
    """`is_heading_like(text[start:end])` for a span that runs to its line's end, without
    copying a long span. `words_until` is
    `words_end` of the line (as an offset in `text`): the words between the first
    non-space character and there must fit in a heading, so a longer span is no heading
    and costs only the scan of its leading white space."""
    first = _NON_SPACE.search(text, start, end)
    if first is None or min(words_until, end) - first.start() > HEADING_MAX_CHARS:
        return False
    return is_heading_like(text[start:end], max_words)


_NON_SPACE = re.compile(r"\S")


def _item_style(bullet: str | None, form: str) -> str:
    return (bullet.strip()[:1] if bullet else "") + form


_MARKDOWN_HEADING = re.compile(r"#{1,6}[ \t]+")


def scan_line(line: str, line_start: int, narrow: str | None = None) -> list[Label]:
    """All label proposals in one line (offsets are document offsets). `narrow`, when given, is
    the line's NFKC view of the same length (`narrow_text`)."""
    labels: list[Label] = []
    stripped = line.lstrip()
    if not stripped:
        return labels
    first = stripped[0]
    if first not in _LABEL_FIRST and first != "#" and first not in CHECKBOXES and "." not in line and not _may_run_on(line):
        return labels  # no label at its start, no decimal inside, no run of labels: most of a statute's lines
    lead = len(line) - len(stripped)
    indent = indent_width(line)
    marker = _MARKDOWN_HEADING.match(stripped) if stripped[0] == "#" else None
    if marker:
        # R17: `## 第二章 总则` is a heading line of Markdown: its label follows the marker,
        # and the marker belongs to the label's span (not to the text before it)
        stripped = stripped[marker.end() :]
        lead += marker.end()
    box = _CHECKBOX.match(stripped) if stripped[:1] in CHECKBOXES else None
    boxed = _grammar_label(stripped[box.end() :], line, line_start, lead + box.end(), indent, narrow) if box else None
    if boxed is not None and boxed.kind not in ("bullet", "invalid"):
        # R17: `□1.`, `☐ (a)`, `■ (b)`: the checkbox belongs to the label's span, the style is the label's
        labels.append(boxed._replace(start=line_start + lead))
    elif stripped and stripped[0] in _LABEL_FIRST:
        label = _grammar_label(stripped, line, line_start, lead, indent, narrow)
        if label is not None:
            if marker:
                label = label._replace(start=line_start + lead - marker.end())
            labels.append(label)
    labels.extend(_mid_line_labels(line, line_start, indent, labels[0] if labels else None))
    if _may_run_on(line):
        first = labels[0] if labels else None
        run_on = _run_on_labels(line, line_start, indent, first) + _run_on_items(line, line_start, indent, first)
        labels = _with_run_on_labels(labels, run_on)
    return labels


def _may_run_on(line: str) -> bool:
    """A line long enough to hold labels after its first, with the gaps a page filed as one
    line leaves between them (`_run_on_labels`)."""
    return len(line) > PREFIX_CHARS and ("   " in line or ". " in line or ": " in line)


# R17: boxes ticked or not before a label (`☐ (a)`, `■ 1.`); `■` alone before words is a bullet.
CHECKBOXES = "□☐☑☒▢▣■"
_CHECKBOX = re.compile(f"[{CHECKBOXES}][ \t]*")


def _grammar_label(
    stripped: str, line: str, line_start: int, lead: int, indent: int, narrow: str | None = None
) -> Label | None:
    """The label the grammar reads at the start of `stripped` (the line from `lead` on), if any.
    `narrow` is the line's NFKC view when the whole text's is known (`narrow_text`)."""
    if not stripped or stripped[0] not in _LABEL_FIRST:
        return None
    if narrow is not None:
        view = narrow[lead : lead + PREFIX_CHARS]
        index: list[int] | range = range(len(view) + 1)
    else:
        view, index = nfkc_view(stripped[:PREFIX_CHARS])
    if _VARIANT_CHARS is not None and _VARIANT_CHARS.search(view):
        view = view.translate(_VARIANTS)
    m = _LINE_START.match(view)
    return _line_start_label(m, index, stripped, line, line_start, lead, indent) if m else None


def _line_start_label(m, index, stripped, line, line_start, lead, indent) -> Label | None:
    g = m.group  # a group by name, without building a dict of all 40 (`m.groupdict()` costs 30 lookups)
    end_view = m.end()
    start = line_start + lead + index[m.start()]
    end = line_start + lead + index[end_view]
    text = stripped[index[m.start()] : index[end_view]]
    rest = stripped[index[end_view] :]
    body_start = end + (len(rest) - len(rest.lstrip()))
    line_end = line_start + len(line)
    common = dict(
        text=text, start=start, end=end, body_start=body_start, line_start=line_start, line_end=line_end,
        indent=indent,
    )  # fmt: skip
    unit = g("cn_unit")
    if unit:  # 第…条: the commonest label of a statute, read first and alone
        division = HEADING_UNITS[unit]
        # 第 1-1 條, 第十七条之一, 第百五条の二の二: the base, then each inserted number (R10); a label's
        # numeral is an ordinal, read by the positional grammar first and by cn2an only where that
        # does not read it (cn2an costs about 100 µs a numeral the first time it meets one)
        ins = g("cn_ins")
        parts = g("cn_num").split("-") + (_INSERTION_MARK.split(ins)[1:] if ins else [])
        numbers = [ordinal_to_int(part) for part in parts]
        if None in numbers:
            return Label("invalid", "invalid", None, "", None, **common)
        token = str(numbers[0]) if len(numbers) == 1 else "-".join(map(str, numbers))
        if g("cn_to"):
            return _range_label(g, division, numbers[0], token, common)
        return Label("division", division, numbers[0], token, None, text, start, end, body_start, line_start, line_end, indent)
    bullet = g("bullet")
    han = g("cn_exh_id") or g("han") or g("phan")
    if han and not han[0].isdecimal() and ordinal_to_int(han) is None:
        return Label("invalid", "invalid", None, "", None, **common)
    digits = g("sec_path") or g("dec") or g("gdec") or g("num") or g("pnum") or g("bare") or ""
    if len(digits) > 3 and any(len(part) > 3 for part in digits.split(".")):
        common["long"] = True

    if g("supp"):
        if g("supp").isascii() and rest.strip():
            return None  # the view is the line's first characters: `Final Provisions` must be the whole line
        return Label("division", "supplementary", None, "", None, **common)
    if g("block") or g("notes"):
        if rest.strip():
            return None  # the view is the line's first characters: the heading must be the whole line
        if g("notes"):
            return Label("notes", "notes", None, "", None, **common)
        return Label("division", "exhibit", None, BACK_MATTER_BLOCKS[g("block")], None, **common)
    if g("en_div"):
        return _word_division(g, text, rest, common)
    if g("nf_word"):
        value = int(g("nf_num"))
        return Label("division", DIVISION_WORDS[g("nf_word").lower()], value, str(value), None, **common)
    if g("exh"):
        ident = g("exh_id")
        # in a page filed as one line, a run of spaces ends the heading (`EXHIBIT 1     Program ...`)
        heading = _LINE_GAP.split(rest.strip(), 1)[0]
        if not is_heading_like(heading) and heading:
            return None
        return Label("division", "exhibit", None, attachment_id(g("exh"), ident), None, **common)
    if g("cn_exh"):
        ident = g("cn_exh_id")
        value = ordinal_to_int(ident) if ident else None
        return Label("division", "exhibit", value, attachment_id(g("cn_exh"), str(value or "")), None, **common)
    if g("sec_path"):
        path = tuple(int(c) for c in g("sec_path").split("."))
        return Label("decimal", "N.N", path[-1], str(path[-1]), path, **common)
    if g("sdec"):
        # `5. 6.` (a space slipped into `5.6.` in extraction): the decimal, counted only where expected next
        path = tuple(int(c) for c in g("sdec").split(". "))
        return Label("decimal", "N.N", path[-1], str(path[-1]), path, bare=True, **common)
    if g("dec") or g("gdec"):
        path = tuple(int(c) for c in (g("dec") or g("gdec")).split("."))
        return Label("decimal", "N.N", path[-1], str(path[-1]), path, **common)
    if g("num"):
        value = int(g("num"))
        tail = g("num_tail")
        if tail == ")":
            return Label("item", _item_style(bullet, "1)"), value, str(value), None, **common)
        return Label("number", "1" + tail, value, str(value), None, **common)
    if g("han"):
        value = ordinal_to_int(g("han"))
        return Label("number", "一、", value, str(value), None, **common)
    if g("rng"):
        return _item_range(g("rng"), g("rng2"), bullet, common)
    if g("pnum"):
        value = int(g("pnum"))
        # `(2A)`: a subsection inserted after (2) keeps its letter and follows its base (R10)
        return Label("item", _item_style(bullet, "(1)"), value, f"{value}{g('pnum_ins') or ''}", None, **common)
    if g("phan"):
        value = ordinal_to_int(g("phan"))
        return Label("item", _item_style(bullet, "(一)"), value, str(value), None, **common)
    if g("plow") or g("pup"):
        return _lettered_item(g("plow") or g("pup"), bullet, common)
    if g("circ"):
        value = _CIRCLED[g("circ")]
        return Label("item", "①", value, str(value), None, **common)
    if g("let"):
        raw = g("let")
        form = ("a" if raw.islower() else "A") + g("let_tail")
        lab = Label("item", form, letter_value(raw), raw.lower(), None, **common)
        rom = roman_to_int(raw)
        if rom is not None:
            return _with_alt(lab, ("i" if raw.islower() else "I") + g("let_tail"), rom, raw.lower())
        return lab
    if g("bare"):
        if not is_heading_like(rest, max_words=8) or not rest.strip():
            return None
        value = int(g("bare"))
        return Label("number", "1 ", value, str(value), None, bare=True, **common)
    if g("blt"):
        return Label("bullet", "bullet", None, "", None, **common)
    return None


_LINE_GAP = re.compile(r"[ \t]{3,}")


def _item_range(first: str, last: str, bullet: str | None, common: dict) -> Label | None:
    """A range of list items, usually a repealed block (`(e)-(ea) (Repealed by ...)`, `(c) to (f)`):
    one clause, id `(e-ea)`, whose `last` is the value the next item follows (R10). An end of two
    letters is an inserted item after its first letter (`ea` after `e`), unless both ends are roman
    numerals that run up (`(i)-(ii)`). A range that runs backwards is no label."""
    rom_first, rom_last = roman_to_int(first), roman_to_int(last)
    if rom_first is not None and rom_last is not None and rom_last > rom_first and len(first + last) > 2:
        style, value, end = "(i)", rom_first, rom_last
    else:
        style, value, end = "(a)", letter_value(first[0]), letter_value(last[0])
        if end < value:
            return None
    return Label("item", _item_style(bullet, style), value, f"{first}-{last}", None, last=end, **common)


def _lettered_item(raw: str, bullet: str | None, common: dict) -> Label | None:
    """`(a)`, `(B)`, `(iv)`: a letter, or a roman numeral, or (one letter that is both: `(i)`,
    `(v)`) a letter with the numeral as its alternative, decided by the neighbours (R3)."""
    case = "a" if raw.islower() else "A"
    rom = roman_to_int(raw)
    token = raw.lower()
    if len(raw) == 1:
        lab = Label("item", _item_style(bullet, f"({case})"), letter_value(raw), token, None, **common)
        if rom is not None:
            rom_style = _item_style(bullet, "(i)" if case == "a" else "(I)")
            return _with_alt(lab, rom_style, rom, token)
        return lab
    if rom is None:
        return None
    return Label("item", _item_style(bullet, "(i)" if case == "a" else "(I)"), rom, token, None, **common)


def _range_label(g: Callable[[str], str | None], division: str, value: int, token: str, common: dict) -> Label | None:
    """A label naming a range of one unit (`第五十五条から第六十三条まで`, `第百二十九条及び第百三十条`,
    `第五条至第八条`): one clause, id `art55-63` (R10), `last` the range's last number so that
    the next label continues after it. Two different units or a range that runs backwards
    are no label."""
    parts = g("cn_num2").split("-") + (_INSERTION_MARK.split(g("cn_ins2"))[1:] if g("cn_ins2") else [])
    numbers = [ordinal_to_int(part) for part in parts]
    if None in numbers or HEADING_UNITS[g("cn_unit2")] != division or numbers[0] < value:
        return None
    return Label("division", division, value, f"{token}-{'-'.join(map(str, numbers))}", None, last=numbers[0], **common)


_INSERTION_MARK = re.compile(f"[{re.escape(_INSERTION_MARKS)}]" if _INSERTION_MARKS else "(?!)")
_INSERTED = re.compile(r"(\d+)-?(\D*)")


def _word_division(g: Callable[[str], str | None], text: str, rest: str, common: dict) -> Label | None:
    """`Artikel 5`, `Art. 44a`, `CHAPITRE III`, `ARTICLE FIVE`, `Article premier` (R9, R10).

    A spelled-out number heads a division only where the label is printed in capitals
    (`ARTICLE FIVE`) or stands alone or before a heading (`Article premier`): a sentence
    that begins `Article one of the Convention ...` cites it. A number followed by a word
    that makes it a reference (`Title 17 of the Code`, `Section 5 and 6`) is no label."""
    division = DIVISION_WORDS[g("en_div").lower()]
    first_word = rest.split(None, 1)[0] if rest.strip() else ""
    if first_word.islower() and first_word in REFERENCE_WORDS:
        return None
    if division in GROUPING_DIVISIONS and first_word[:1].islower() and first_word.lower() not in _INSERTION_WORDS:
        return None  # "Part 1 sets out principles ...", "Division 2 deals with ...": a sentence
    number = g("en_num") or ""
    if "." in number:
        base, fraction = number.split(".")
        if division in ("section", "article"):  # `Section 2.03` alone on its line: a decimal path (R1)
            path = (int(base), int(fraction))
            return Label("decimal", "N.N", path[-1], str(path[-1]), path, **common)
        return Label("division", division, int(base), f"{int(base)}.{fraction}", None, **common)
    if division == "subdivision" and len(number) == 1 and number.isupper():  # `Subdivision C` is the third
        return Label("division", division, letter_value(number), number, None, **common)
    if g("en_word"):
        if not (text.isupper() or not rest.strip() or is_heading_like(rest)):
            return None
        words = re.split(r"[- ]", g("en_word").lower())
        value = sum(LABEL_NUMBERS[w] for w in words)
        if len(words) == 2 and not (LABEL_NUMBERS[words[0]] >= 20 and 0 < LABEL_NUMBERS[words[1]] < 10):
            return None  # "one two" is no number; "twenty-one" is
        token = str(value)
    elif g("en_num")[0].isdecimal():
        base, insertion = _INSERTED.fullmatch(g("en_num")).groups()
        value = int(base)
        # an inserted number keeps its letter as printed (44a, 6A) and its adverb in lower case (5bis)
        token = base.lstrip("0") + (insertion.lower() if insertion.lower() in _INSERTION_WORDS else insertion)
        token = token if token[0].isdecimal() else "0" + token
    else:
        if "1" in g("en_num"):
            # `ARTICLE I1`: text extracted from a scan writes the digit 1 for the letter I; read so,
            # the number counts only where it is the one expected next (`bare`)
            value = roman_to_int(g("en_num").replace("1", "I"))
            if value is None:
                return None
            return Label("division", division, value, str(value), None, bare=True, **common)
        value, token = _roman_with_insertion(g("en_num"))
        if value is None:
            return None
    # "Section 1" is a statute section inside a chapter, or a contract's top-level
    # number; clauses.py decides by whether a chapter is open.
    return Label("division", division, value, token, None, **common)


def _roman_with_insertion(numeral: str) -> tuple[int | None, str]:
    """A roman number and the capitals inserted after it (`IIIA` -> 3, `3A`; `VIB` -> 6, `6B`):
    the longest prefix that is a roman numeral is the base. A single letter that is no roman
    numeral (`Part A`) is no number here."""
    for cut in range(len(numeral), 0, -1):
        value = roman_to_int(numeral[:cut])
        if value is not None:
            insertion = numeral[cut:]
            return (value, f"{value}{insertion}") if insertion.isupper() or not insertion else (None, "")
    return None, ""


def _with_alt(label: Label, style: str, value: int, token: str) -> Label:
    return Label(
        label.kind, label.style, label.value, label.token, label.path, label.text, label.start, label.end,
        label.body_start, label.line_start, label.line_end, label.indent, label.mid_line, label.bare, label.long,
        alt_style=style, alt_value=value, alt_token=token,
    )  # fmt: skip


def _preceding_word(line: str, pos: int) -> str:
    """The word before `pos`, read backwards from it (its cost is that word, not the line)."""
    end = pos
    while end > 0 and line[end - 1].isspace():
        end -= 1
    begin = end
    while begin > 0 and not line[begin - 1].isspace():
        begin -= 1
    return line[begin:end].lower().strip("(\"'“")


def _mid_line_labels(line: str, line_start: int, indent: int, first: Label | None) -> list[Label]:
    """Decimal numbers inside a line that may be misplaced labels (R1).

    They only become clauses when they are exactly the number expected next; here we
    filter out what can never be a label: references ("see Section 3.01"), numbers in
    running text far from the line's end, amounts and percentages. What is known of the
    line as a whole is computed once, so a line with many numbers costs one pass.
    """
    found: list[Label] = []
    if "." not in line:
        return found
    search_from = (first.end - line_start) if first else 0
    line_end = line_start + len(line)
    words_until = len(line.rstrip(UNDERLINE_TAIL))  # after it, only underline runs, dots and colons
    short_line = len(line.strip()) <= 80 and len(line.split()) <= 12
    for m in _MID_DECIMAL.finditer(line, search_from):
        if _preceding_word(line, m.start()) in REFERENCE_WORDS:
            continue
        trailing = m.end() >= words_until
        if not trailing and not short_line:
            continue
        path = tuple(int(c) for c in m.group(1).split("."))
        # the label is the number; a colon after it belongs to the sentence ("... Agreement 11.3:")
        start, end = line_start + m.start(1), line_start + m.end(1)
        body = end
        found.append(
            Label(
                "decimal", "N.N", path[-1], str(path[-1]), path, m.group(1), start, end, body, line_start, line_end,
                indent, mid_line=True,
            )
        )
    heading_until = words_end(line)
    for m in _MID_GLUED.finditer(line, search_from):
        if not is_heading_like_at(line, m.end(), len(line), heading_until, max_words=10):
            continue
        after = line[m.end() :]
        start = line_start + m.start(2)
        end = line_start + m.end()
        body = end + (len(after) - len(after.lstrip()))
        value = int(m.group(2))
        found.append(
            Label(
                "number", "1.", value, str(value), None, line[m.start(2) : m.end()], start, end, body, line_start,
                line_end, indent, mid_line=True,
            )
        )
    found.sort(key=lambda lab: lab.start)
    return found


# Contracts filed with whole pages on one line print their headings inside the line: after a
# sentence (`... agree as follows: ARTICLE I`, `... consents. Section 4.04 Further Assurance.`),
# after a heading in capitals (`DEFINITIONS AND INTERPRETATION Section 1.01 Definitions.`), or
# after the run of spaces that stands for a line break (`ARTICLE ONE DEFINITION     1.1 Unless`).
# A run of spaces is matched from its first space only, so a long run costs one pass.
_RUN_ON_GAP = r"(?:[.;:!?。；：\]][\"”’)]?[ \t]+|(?<![ \t])[ \t]{3,}|(?<=[A-Z]{2})[ \t]+)"
# A division word printed in capitals with its number (`ARTICLE I`, `ARTICLE ONE`): a citation
# inside a sentence is written `Article V`.
_RUN_ON_WORDS = re.compile(alternatives(w.upper() for w in DIVISION_WORDS if w.isalpha()) or "(?!)")
_A_DECIMAL = re.compile(r"\d\.\d")
_RUN_ON_DIVISION = re.compile(
    _RUN_ON_GAP
    + rf"(?P<label>(?P<word>{alternatives(w.upper() for w in DIVISION_WORDS if w.isalpha())})[ \t]+"
    rf"(?P<num>[IVXLCDM]{{1,7}}|\d{{1,3}}|{alternatives(w.upper() for w in LABEL_NUMBERS if w.isalpha())}))"
    r"(?=[ \t]|$)"
)
# A decimal, with or without the word that heads a section (`Section 1.02`, `1.1`): after a
# sentence, before a capitalised word or a quotation (a heading or a sentence begins after it);
# after a line break's run of spaces, before any word (`that     7.1.1 it owns ...`).
_SECTION_WORDS = alternatives(w for w, kind in DIVISION_WORDS.items() if kind == "section" and w.isalpha())
_RUN_ON_DECIMAL = re.compile(
    _RUN_ON_GAP + rf"(?P<label>(?:(?i:{_SECTION_WORDS}|§)[ \t]*)?(?P<num>\d{{1,3}}(?:\.\d{{1,3}})+))\.?"
    r"(?=[ \t]+(?P<next>\S))"
)


def _run_on_labels(line: str, line_start: int, indent: int, first: Label | None) -> list[Label]:
    """Division and section labels inside a long line (a page filed as one line), proposed as
    mid-line labels: like R1's decimals inside a line, they count only where they are the number
    expected next (`stages.clauses`)."""
    found: list[Label] = []
    search_from = (first.end - line_start) if first else 0
    line_end = line_start + len(line)
    # cheap tests first: most long lines hold no division word in capitals and no decimal
    divisions = _RUN_ON_WORDS.search(line) is not None
    for m in _RUN_ON_DIVISION.finditer(line, search_from) if divisions else ():
        raw = m.group("num")
        value = int(raw) if raw.isdecimal() else LABEL_NUMBERS.get(raw.lower()) or roman_to_int(raw)
        if not value:
            continue
        start, end = line_start + m.start("label"), line_start + m.end("label")
        found.append(
            Label(
                "division", DIVISION_WORDS[m.group("word").lower()], value, str(value), None, m.group("label"), start,
                end, end, line_start, line_end, indent, mid_line=True,
            )
        )
    for m in _RUN_ON_DECIMAL.finditer(line, search_from) if _A_DECIMAL.search(line, search_from) else ():
        wide = not line[max(m.start("label") - 3, 0) : m.start("label")].strip(" \t")  # a line break's spaces
        if not wide and not (m.group("next").isupper() or m.group("next") in "\"“(["):
            continue
        path = tuple(int(c) for c in m.group("num").split("."))
        start, end = line_start + m.start("label"), line_start + m.end()
        found.append(
            Label(
                "decimal", "N.N", path[-1], str(path[-1]), path, line[m.start("label") : m.end()], start, end, end,
                line_start, line_end, indent, mid_line=True,
            )
        )
    return found


# A list item after a line break's run of spaces (`PAYMENT TERMS       (i) Clause 12.1(ii) of ...`):
# bracketed, as items are printed inside a line; `12.1(ii)` (no gap) is a citation.
_RUN_ON_ITEM = re.compile(
    r"(?<![ \t])[ \t]{3,}(?P<label>\((?:(?P<num>\d{1,2})|(?P<low>[a-z]{1,4})|(?P<up>[A-Z]{1,4}))\))(?=[ \t]+\S)"
)


def _run_on_items(line: str, line_start: int, indent: int, first: Label | None) -> list[Label]:
    """List items inside a long line (a page filed as one line), each after a run of spaces that
    stands for a line break, proposed as mid-line labels: they count only where they are the
    item expected next, or a list's first item under the clause whose label opened the same line
    (R1, R3)."""
    search_from = (first.end - line_start) if first else 0
    if "   (" not in line and "\t(" not in line:
        return []
    found: list[Label] = []
    line_end = line_start + len(line)
    for m in _RUN_ON_ITEM.finditer(line, search_from):
        start, end = line_start + m.start("label"), line_start + m.end("label")
        after = m.end("label") + 1
        while after < len(line) and line[after] in " \t":
            after += 1
        common = dict(
            text=m.group("label"), start=start, end=end, body_start=line_start + after, line_start=line_start,
            line_end=line_end, indent=indent, mid_line=True,
        )  # fmt: skip
        if m.group("num"):
            value = int(m.group("num"))
            found.append(Label("item", "(1)", value, str(value), None, **common))
        elif (lab := _lettered_item(m.group("low") or m.group("up"), None, common)) is not None:
            found.append(lab)
    return found


def _with_run_on_labels(labels: list[Label], run_on: list[Label]) -> list[Label]:
    """`labels` and the run-on proposals, in line order; where both propose a label at one place
    (R1's `1.1` after a gap), the first proposal stands."""
    if not run_on:
        return labels
    taken = {lab.start for lab in labels} | {lab.end for lab in labels}
    merged = labels + [lab for lab in run_on if lab.start not in taken and lab.end not in taken]
    merged.sort(key=lambda lab: lab.start)
    return merged


def format_item_token(style: str, value: int) -> str:
    """How an inferred item number is written in an id, in the style of its siblings."""
    base = style.lstrip(BULLETS)
    if base in ("(a)", "a.", "a)"):
        return chr(ord("a") + value - 1)
    if base in ("(A)", "A.", "A)"):
        return chr(ord("a") + value - 1)
    if base in ("(i)", "(I)", "i.", "I.", "i)", "I)"):
        return roman.toRoman(value).lower()
    return str(value)


# ----------------------------------------------------------------- through-numbered sections

# A section of a common-law statute (R10, R11): its number, with capitals or a decimal inserted
# (`35A`, `6AA`, `4.01`), or a range of them (`52 to 57`, `58 and 59`), an optional dot, then
# words on the same line; `*` before it is a footnote mark (`*72`).
_PROVISION = re.compile(
    r"(?P<mark>\*)?(?P<num>\d{1,4}(?:[A-Z]{1,3}|\.\d{1,3})?)"
    r"(?:[ ]+(?:to|and)[ ]+(?P<last>\d{1,4}(?:[A-Z]{1,3}|\.\d{1,3})?))?\.?(?=[ \t]+\S)"
)


def provision_label(line: str, line_start: int) -> Label | None:
    """The section number at the start of `line`, if it has one: `1 Short title`, `2A. Further
    duty`, `2 (1) The definitions ...`, `4.01 This Part ...`, `52 to 57 [Amendments]`. Whether
    the line is a section is the clause parser's decision (only in a statute grouped in Parts,
    only in the order sections run); here it is only proposed. The token is the number as
    printed, a range joined by `-` (`52-57`); `value` is the base number."""
    stripped = line.lstrip()
    if not stripped or not (stripped[0].isdecimal() or stripped[0] == "*"):
        return None
    m = _PROVISION.match(stripped)
    if m is None:
        return None
    lead = len(line) - len(stripped)
    number = m.group("num")
    token = number + (f"-{m.group('last')}" if m.group("last") else "")
    rest = stripped[m.end() :]
    start, end = line_start + lead, line_start + lead + m.end()
    return Label(
        "division", "provision", int(re.match(r"\d+", number).group()), token, None, stripped[: m.end()], start, end,
        end + len(rest) - len(rest.lstrip()), line_start, line_start + len(line), indent_width(line),
    )  # fmt: skip


def drop_printed_zeros(token: str) -> str:
    """`2.03` -> `2.3`, `007` -> `7` (R1): each component as an integer, letters kept."""
    return "-".join(".".join(re.sub(r"^0+(?=\d)", "", piece) for piece in part.split(".")) for part in token.split("-"))
