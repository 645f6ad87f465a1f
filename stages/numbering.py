"""The label grammar: which strings at the start of a line (or, rarely, inside one) are
clause labels, and what they denote.

Labels are recognised on an NFKC view of each line (full-width digits, brackets and
dots become ASCII) while every offset refers to the original text. The grammar only
*proposes* labels; `stages.clauses` decides which proposals become clauses, using the
numbers it expects next.

Kinds of label:
- ``division``: statute and contract divisions with a fixed rank (exhibit > book > part >
  chapter > section > article), e.g. ``第三编``, ``第二章``, ``Article 12``, ``ARTICLE IV``.
- ``decimal``: multi-component numbers that carry their own path, ``3.1.7``, ``Section 2.03``.
- ``number``: single numbers that can head a document's top level: ``1.``, ``1、``,
  ``一、``, ``1 总则`` (bare), ``Section 5``.
- ``item``: list items whose id is parent + ``(label)``: ``(1)``, ``- (1)``, ``(a)``,
  ``(iv)``, ``（一）``, ``①``, ``a)``, ``A.``.
- ``bullet``: unlabelled bullets ``-``, ``•`` (ids inferred, rules R4/R5).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import cn2an
import roman

# Rank of each division: a division closes every open level of equal or lower rank.
DIVISION_RANK = {"exhibit": 0, "book": 1, "part": 2, "chapter": 3, "section": 4, "article": 5}
DIVISION_ID_PREFIX = {"exhibit": "exh", "book": "book", "part": "part", "chapter": "ch", "section": "sec", "article": "art"}
_CN_UNITS = {"编": "book", "分编": "part", "章": "chapter", "节": "section", "条": "article"}

HAN_DIGITS = "零〇一二两三四五六七八九十百千"
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
)


@dataclass(frozen=True, slots=True)
class Label:
    """A proposed clause label found in the text."""

    kind: str  # division | decimal | number | item | bullet
    style: str  # siblings share a style: "(1)", "-(1)", "(a)", "1.", "1、", "一、", "•", "article", ...
    value: int | None  # ordinal within its style (a=1, iv=4, 一=1); None for bullets
    token: str  # how the value is written in ids: "3", "a", "iv", "A"
    path: tuple[int, ...] | None  # decimal components ("3.1.7" -> (3, 1, 7))
    text: str  # the label as printed, e.g. "7.5,", "- (1)", "第十二条"
    start: int  # label span in the document text
    end: int
    body_start: int  # where the clause's words begin after the label
    line_start: int
    line_end: int
    indent: int  # leading white space width of the line
    mid_line: bool = False  # found inside a line (R1: expected next number only)
    bare: bool = False  # a bare number without a dot ("1 总则"): expected next number only
    alt_style: str | None = None  # "(i)" could be a letter or a roman numeral
    alt_value: int | None = None
    alt_token: str | None = None


# --------------------------------------------------------------------------- numerals


@lru_cache(maxsize=4096)
def han_to_int(s: str) -> int:
    """Chinese numeral (一, 十二, 一千二百五十九, 两, 〇) or digits to int."""
    if s.isdigit():
        return int(s)
    return int(cn2an.cn2an(s, "smart"))


@lru_cache(maxsize=1024)
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
    Most lines normalise character for character (full-width digits, brackets, spaces),
    so the whole-string NFKC in C with an identity map is the fast path.
    """
    if s.isascii():
        return s, range(len(s) + 1)
    if not _CIRCLED_RE.search(s):
        norm = unicodedata.normalize("NFKC", s)
        if len(norm) == len(s):
            return norm, range(len(s) + 1)
    out: list[str] = []
    index: list[int] = []
    for i, ch in enumerate(s):
        norm = ch if ch in _CIRCLED or ch.isascii() else unicodedata.normalize("NFKC", ch)
        out.append(norm)
        index.extend([i] * len(norm))
    index.append(len(s))
    return "".join(out), index


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

_LINE_START = re.compile(
    rf"""
    (?P<bullet>[{re.escape(BULLETS)}][ \t]*(?=[(\[]))?          # "- (1)": a bullet before an item
    (?:
        第[ ]*(?P<cn_num>[{HAN_DIGITS}\d]+)[ ]*(?P<cn_unit>分编|编|章|节|条)(?=\s|$)
      | (?P<supp>附[ ]*则)[ ]*$
      | (?P<en_div>(?i:book|part|chapter|article|section))[ ]+(?P<en_num>[IVXLCDM]+|[ivxlcdm]+|\d{{1,4}})
            (?P<en_tail>[.:])?(?=[ \t]|$|[-—–])
      | (?P<exh>(?i:exhibit|schedule|annex|appendix|attachment))[ ]+(?P<exh_id>[A-Z]{{1,2}}|\d{{1,3}}(?:\.\d{{1,3}})*)
            (?P<exh_tail>[.:])?(?=[ \t]|$|[-—–])
      | (?P<cn_exh>附件|附录)[ ]*(?P<cn_exh_id>[一二三四五六七八九十\d]{{1,3}})?[ ]*$
      | (?P<sec_word>(?i:section|§)[ ]*)(?P<sec_path>\d{{1,3}}(?:\.\d{{1,3}})+)(?P<sec_tail>[.:]?)(?![\d%])
      | (?P<dec>\d{{1,3}}(?:\.\d{{1,3}})+)(?P<dec_tail>[.,:、]?)(?![\d%A-Za-z.])
      | (?P<num>\d{{1,3}})(?P<num_tail>[.、)])(?![\d%])
      | (?P<han>[一二三四五六七八九十]{{1,3}})、
      | \((?P<pnum>\d{{1,3}})\)
      | \((?P<phan>[一二三四五六七八九十]{{1,3}})\)
      | \((?P<plow>[a-z]{{1,5}})\)
      | \((?P<pup>[A-Z]{{1,5}})\)
      | (?P<circ>[{''.join(_CIRCLED)}])
      | (?P<let>[a-zA-Z])(?P<let_tail>[.)])(?=[ \t])
      | (?P<bare>\d{{1,3}})(?=[ \t]+\S)
      | (?P<blt>[{re.escape(BULLETS)}])(?=[ \t]+\S)
    )
    """,
    re.VERBOSE,
)

# A decimal number inside a line ("Special tips for 9.4 Minor users", "... Agreement 11.3:").
_MID_DECIMAL = re.compile(r"(?<=\s)(\d{1,3}(?:\.\d{1,3})+)([.,:：]?)(?=\s|$)")
# A top-level heading glued after a sentence ("... SUCH [*].        10.  Termination and ...").
_MID_GLUED = re.compile(r"(?<=[.;!?。；])(\s+)(\d{1,3})\.(?=\s+[A-Z\u4e00-\u9fff])")

# Words that make a following number a reference, not a label ("see Section 3.01").
REFERENCE_WORDS = frozenset(
    """section sections clause clauses article articles paragraph paragraphs subsection
    subsections item items schedule exhibit annex appendix part chapter point points see
    under in per of to and or through from by with version v no no. number rule rules § §§""".split()
)

_UNDERLINE_TAIL = re.compile(r"[\s\-_=.:·—–]*$")
_SENTENCE_END = re.compile(r"[.!?。！？;；]\s")


def clean_heading(s: str) -> str:
    """Heading words without trailing underline runs, dots and colons."""
    s = _UNDERLINE_TAIL.sub("", s.strip())
    return " ".join(s.split())


def is_heading_like(s: str, max_words: int = 12) -> bool:
    """Short, one phrase, not a sentence lead-in: `Account Security.`, `总则`, `TERM.`."""
    s = s.strip()
    s = re.sub(r"[\s\-_=]{3,}$", "", s)  # underline runs after CUAD headings
    if not s or len(s) > 100:
        return False
    if s[-1] in ",;:，；：、(（" or _SENTENCE_END.search(s):
        return False
    cjk = sum(1 for ch in s if "\u4e00" <= ch <= "\u9fff")
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


def _item_style(bullet: str | None, form: str) -> str:
    return (bullet.strip()[:1] if bullet else "") + form


def scan_line(line: str, line_start: int) -> list[Label]:
    """All label proposals in one line (offsets are document offsets)."""
    labels: list[Label] = []
    stripped = line.lstrip()
    if not stripped:
        return labels
    lead = len(line) - len(stripped)
    indent = indent_width(line)
    if stripped[0] in _LABEL_FIRST:
        view, index = nfkc_view(stripped[:PREFIX_CHARS])
        m = _LINE_START.match(view)
        if m:
            label = _line_start_label(m, index, stripped, line, line_start, lead, indent)
            if label is not None:
                labels.append(label)
    labels.extend(_mid_line_labels(line, line_start, indent, labels[0] if labels else None))
    return labels


def _line_start_label(m, index, stripped, line, line_start, lead, indent) -> Label | None:
    g = m.groupdict()
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
    bullet = g["bullet"]

    if g["cn_unit"]:
        division = _CN_UNITS[g["cn_unit"]]
        value = han_to_int(g["cn_num"])
        return Label("division", division, value, str(value), None, **common)
    if g["supp"]:
        return Label("division", "supplementary", None, "", None, **common)
    if g["en_div"]:
        word = g["en_div"].lower()
        raw = g["en_num"]
        value = int(raw) if raw.isdigit() else roman_to_int(raw)
        if value is None:
            return None
        if word == "section":
            # "Section 1" is a statute section inside a chapter, or a contract's top-level
            # number; clauses.py decides by whether a chapter is open.
            return Label("division", "section", value, str(value), None, **common)
        return Label("division", word, value, str(value), None, **common)
    if g["exh"]:
        ident = g["exh_id"]
        if not is_heading_like(rest) and rest.strip():
            return None
        return Label("division", "exhibit", None, ident.upper(), None, **common)
    if g["cn_exh"]:
        ident = g["cn_exh_id"] or "1"
        return Label("division", "exhibit", han_to_int(ident), str(han_to_int(ident)), None, **common)
    if g["sec_path"]:
        path = tuple(int(c) for c in g["sec_path"].split("."))
        return Label("decimal", "N.N", path[-1], str(path[-1]), path, **common)
    if g["dec"]:
        path = tuple(int(c) for c in g["dec"].split("."))
        return Label("decimal", "N.N", path[-1], str(path[-1]), path, **common)
    if g["num"]:
        value = int(g["num"])
        tail = g["num_tail"]
        if tail == ")":
            return Label("item", _item_style(bullet, "1)"), value, str(value), None, **common)
        return Label("number", "1" + tail, value, str(value), None, **common)
    if g["han"]:
        value = han_to_int(g["han"])
        return Label("number", "一、", value, str(value), None, **common)
    if g["pnum"]:
        value = int(g["pnum"])
        return Label("item", _item_style(bullet, "(1)"), value, str(value), None, **common)
    if g["phan"]:
        value = han_to_int(g["phan"])
        return Label("item", _item_style(bullet, "(一)"), value, str(value), None, **common)
    if g["plow"] or g["pup"]:
        raw = g["plow"] or g["pup"]
        case = "a" if g["plow"] else "A"
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
    if g["circ"]:
        value = _CIRCLED[g["circ"]]
        return Label("item", "①", value, str(value), None, **common)
    if g["let"]:
        raw = g["let"]
        form = ("a" if raw.islower() else "A") + g["let_tail"]
        lab = Label("item", form, letter_value(raw), raw.lower(), None, **common)
        rom = roman_to_int(raw)
        if rom is not None:
            return _with_alt(lab, ("i" if raw.islower() else "I") + g["let_tail"], rom, raw.lower())
        return lab
    if g["bare"]:
        if not is_heading_like(rest, max_words=8) or not rest.strip():
            return None
        value = int(g["bare"])
        return Label("number", "1 ", value, str(value), None, bare=True, **common)
    if g["blt"]:
        return Label("bullet", "bullet", None, "", None, **common)
    return None


def _with_alt(label: Label, style: str, value: int, token: str) -> Label:
    return Label(
        label.kind, label.style, label.value, label.token, label.path, label.text, label.start, label.end,
        label.body_start, label.line_start, label.line_end, label.indent, label.mid_line, label.bare,
        alt_style=style, alt_value=value, alt_token=token,
    )  # fmt: skip


def _preceding_word(line: str, pos: int) -> str:
    words = line[:pos].split()
    return words[-1].lower().strip("(\"'“") if words else ""


def _mid_line_labels(line: str, line_start: int, indent: int, first: Label | None) -> list[Label]:
    """Decimal numbers inside a line that may be misplaced labels (R1).

    They only become clauses when they are exactly the number expected next; here we
    filter out what can never be a label: references ("see Section 3.01"), numbers in
    running text far from the line's end, amounts and percentages.
    """
    found: list[Label] = []
    if "." not in line:
        return found
    search_from = (first.end - line_start) if first else 0
    line_end = line_start + len(line)
    for m in _MID_DECIMAL.finditer(line, search_from):
        if _preceding_word(line, m.start()) in REFERENCE_WORDS:
            continue
        after = line[m.end() :]
        trailing = not _UNDERLINE_TAIL.sub("", after).strip()
        if not trailing and not (len(line.strip()) <= 80 and len(line.split()) <= 12):
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
    for m in _MID_GLUED.finditer(line, search_from):
        after = line[m.end() :]
        if not is_heading_like(after, max_words=10):
            continue
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
