"""Clause stage: a document's text -> its clause tree (the rules of docs/clause-ids.md).

The parser is the label grammar of `stages.numbering` plus a stack of open levels:

1. Every line is scanned for label proposals (line-start labels, and decimal numbers
   inside a line that may be misplaced labels).
2. A table of contents is dropped (its entries repeat headings that come later), and the
   body begins at the first label of the document's main numbering; what precedes it is
   the preamble (R0).
3. Each remaining label is placed against the stack of open levels: a division closes
   the levels it outranks; a number continues the sibling sequence that expects it, or
   opens a list under the current clause when it restarts at 1 (R2, R3); a decimal
   number hangs under the clause whose number is its prefix (R1); bullets nest by
   indentation and fill gaps in numbered lists (R4, R5). Numbers inside a line count
   only when they are exactly the number expected next (R1).
4. Spans run from one clause start to the next, so every character of the document
   belongs to exactly one clause. Text, headings (R8) and anomalies are read off the spans.

Every step is linear in the text and nothing recurses with the document: one line can be
a whole document, and a list can restart ten thousand times.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from dataclasses import replace
from itertools import repeat

from stages.numbering import (
    BACK_MATTER_BLOCKS,
    DIVISION_ID_PREFIX,
    GROUPING_DIVISIONS,
    DIVISION_RANK,
    LABEL_NUMBERS,
    REFERENCE_WORDS,
    PREFIX_CHARS,
    Label,
    clean_heading,
    format_item_token,
    WHITESPACE,
    indent_width,
    is_heading_like,
    is_heading_like_at,
    drop_printed_zeros,
    narrow_text,
    provision_label,
    scan_line,
    words_end,
)
from stages import layout, recitals
from stages.plausibility import plausibility_warnings
from stages.records import Clause, Document

PREAMBLE_ID = "preamble"
_DYNAMIC_RANK = 100  # numbers, items and bullets nest freely below divisions
_SAME_STYLE_DEPTH = 3  # lists of one style nest at most this deep (a restart beyond it is a sibling list)
_CONTENTS_TITLE = re.compile(r"^\s*(?:table\s+of\s+contents|contents|目\s*录)\s*$", re.IGNORECASE)
# The divisions whose numbers restart inside another, the nearest open one of those (R6, R9).
_HELD_BY = {
    "chapter": ("title", "book"), "title": ("part", "book"), "part": ("book",), "section": ("chapter",),
    "division": ("part",), "subdivision": ("division",),
}  # fmt: skip
# How far a section number may jump ahead of the last one (repealed sections leave gaps; a
# larger jump is a number in the text, or a quoted amendment's section: R11).
_PROVISION_GAP_MAX = 20
# How many later lines with the same label a contents entry is compared with (R0).
_TOC_LOOKAHEAD = 64
_JOIN_DECIMAL_STYLES = ("1、", "一、")  # R2: a restarted N、 list gives 5.1, not 5(1)
# R11: an unlabelled lead-in paragraph that carries its own list (a statute's `agency means:`),
# how its line ends, how a closed line before it ends (a Canadian definition ends with its French
# term in brackets: `... a trade union. (organisation)`), and how far back its first line is looked for.
_LEAD_IN = "lead-in"
_LEAD_IN_ENDS = ":—–-"
_CLOSED_LINE = re.compile(r"[.;:][\"'”’)\]]*$|[.;][ \t]*\([^()]{1,80}\)$")
_LEAD_IN_LINES = 8
_DUP_MARK = re.compile(r"#\d+$")
_INLINE_HEADING = re.compile(r"^((?:[A-Z][\w'’&/-]*|of|and|the|for|to|in|on|or|a|an)(?:[ ]+(?:[A-Z][\w'’&/-]*|of|and|the|for|to|in|on|or|a|an)){0,7})\.[ ]+\S")
_CJK_GAP = re.compile(r"(?<=[\u4e00-\u9fff])\s+(?=[\u4e00-\u9fff])")


class _Node:
    """A clause while the tree is being built. A plain class with slots: a document makes one
    per clause, and without a dataclass's default factories and `__post_init__` one costs 1.5
    instead of 1.9 µs."""

    __slots__ = (
        "clause_id", "parent", "label", "start", "style", "value", "path", "rank", "indent", "division",
        "inferred", "anomalies", "last_child", "has_children", "level", "continued", "scoped",
    )  # fmt: skip

    def __init__(
        self,
        clause_id: str,
        parent: _Node | None,
        label: Label | None,
        start: int,
        style: str | None = None,  # sibling style of this node's label
        value: int | None = None,
        path: tuple[int, ...] | None = None,  # decimal address, for R1 prefixes
        rank: int = _DYNAMIC_RANK,
        indent: int = 0,
        division: str | None = None,
        inferred: bool = False,
        scoped: bool = False,  # an article numbered inside its supplementary block (supp2.art1), not the law's
    ) -> None:
        self.clause_id = clause_id
        self.parent = parent
        self.label = label
        self.start = start
        self.style = style
        self.value = value
        self.path = path
        self.rank = rank
        self.indent = indent
        self.division = division
        self.inferred = inferred
        self.scoped = scoped
        self.anomalies: list[str] = []
        self.last_child: dict[str, int] = {}  # child style -> last value
        self.has_children = False
        self.continued = False  # its first line's sentence runs on into the next (R16): no heading
        # stored, not walked up the parents: the depth is the parent's plus one
        self.level = 0 if clause_id == PREAMBLE_ID else (parent.level + 1 if parent is not None else 1)


# ----------------------------------------------------------------------------- scan


def scan_labels(text: str) -> list[Label]:
    labels: list[Label] = []
    pos = 0
    narrow = narrow_text(text)
    views = narrow.split("\n") if narrow is not None else repeat(None)
    for line, view in zip(text.split("\n"), views):
        labels.extend(scan_line(line, pos, view))
        pos += len(line) + 1
    return labels


def _resolve_sections(labels: list[Label]) -> list[Label]:
    """`Section 5` is a statute section only where chapters exist; otherwise a number."""
    if any(lab.kind == "division" and lab.style == "chapter" for lab in labels):
        return labels
    return [
        lab._replace(kind="number", style="Section", path=None) if lab.kind == "division" and lab.style == "section" else lab
        for lab in labels
    ]


def through_sections(text: str, labels: list[Label]) -> tuple[list[Label], dict[int, list[Label]]]:
    """R11: in a statute grouped in Parts whose provisions are not articles (the common-law
    tradition: Hong Kong, Australia, Canada, the UK), a number at a line start is a section
    (`1 Short title`, `35A.`, `4.01`, `52 to 57`), whatever follows it. The section label
    replaces the line's other line-start labels, which are returned by the section's start
    so that `sections_in_order` can give them back where the number is no section.

    Printed zeros (R10): `2.03` is section `2.3` unless the document also prints `2.3`,
    where both keep their printed form (`4.01` beside `4.1`)."""
    divisions = {lab.style for lab in labels if lab.kind == "division"}
    if "part" not in divisions or "article" in divisions:
        return labels, {}
    provisions: list[Label] = []
    pos = 0
    for line in text.split("\n"):
        lab = provision_label(line, pos)
        if lab is not None:
            provisions.append(lab)
        pos += len(line) + 1
    if not provisions:
        return labels, {}
    printed: dict[str, set[str]] = {}
    for lab in provisions:
        printed.setdefault(drop_printed_zeros(lab.token), set()).add(lab.token)
    provisions = [
        lab if len(printed[drop_printed_zeros(lab.token)]) > 1 else lab._replace(token=drop_printed_zeros(lab.token))
        for lab in provisions
    ]
    lines = {lab.line_start: lab for lab in provisions}
    originals: dict[int, list[Label]] = {}
    kept = []
    for lab in labels:
        section = lines.get(lab.line_start) if not lab.mid_line else None
        if section is not None:
            originals.setdefault(section.start, []).append(lab)
        else:
            kept.append(lab)
    return sorted(kept + provisions, key=lambda lab: lab.start), originals


def sections_in_order(text: str, labels: list[Label], originals: dict[int, list[Label]]) -> list[Label]:
    """Keep the sections proposed by `through_sections` that run in order: each at or after
    the last one (`6`, `6AA`, `6A`: an insertion shares its base) and at most
    `_PROVISION_GAP_MAX` past it, never one already made. Numbering starts over in each
    attachment, whose decimals are R1 paths (`1.1` under clause `1`), not inserted sections.
    A number that is no section gets its line's other labels back. A section's first
    subsection may share its line (`2 (1) The definitions ...`): it becomes a label too."""
    out: list[Label] = []
    last, used, attachment = 0, set(), False
    for lab in labels:
        if lab.kind == "division" and lab.style == "exhibit":
            last, used, attachment = 0, set(), True
        if not (lab.kind == "division" and lab.style == "provision"):
            out.append(lab)
            continue
        if lab.token in used or not last <= lab.value <= last + _PROVISION_GAP_MAX or (attachment and "." in lab.token):
            out.extend(originals.get(lab.start, ()))
            continue
        used.add(lab.token)
        last = int(re.match(r"\d+", lab.token.rpartition("-")[2]).group())
        out.append(lab)
        rest = text[lab.body_start : lab.line_end]
        item = next(iter(scan_line(rest, lab.body_start)), None) if rest[:1] == "(" else None
        if item is not None and item.kind == "item":
            out.append(item._replace(indent=lab.indent))
    return out


def _key(lab: Label) -> tuple:
    return (lab.kind, lab.style, lab.value, lab.path, lab.token)


def _rest_of_line(text: str, lab: Label) -> str:
    return text[lab.body_start : lab.line_end]


def drop_table_of_contents(text: str, labels: list[Label]) -> list[Label]:
    """Remove a table of contents: a run of heading-only label lines, before the body text,
    whose labels all come again later (PIPL's English "Contents" block). An entry that
    repeats a later heading word for word is an entry whatever its words (`6F State
    instrumentalities etc. treated as organisations`, where `etc. ` reads like a sentence end)."""
    heads = [
        i for i, lab in enumerate(labels) if not lab.mid_line and not lab.long and lab.kind in ("division", "decimal", "number")
    ]
    key_of = {i: _key(labels[i]) for i in heads}
    same_key: dict[tuple, list[int]] = {}  # a label's key -> its heads in order
    for i in heads:
        same_key.setdefault(key_of[i], []).append(i)
    next_same: dict[int, int] = {}  # head index -> the next head with the same label
    for found in same_key.values():
        next_same.update(zip(found, found[1:]))
    # A heading's words are read only for labels printed more than once, and counted once per label.
    read: dict[int, str] = {}
    printed: dict[tuple, Counter] = {}

    def words(lab: Label) -> str:
        return " ".join(_without_page_number(_rest_of_line(text, lab)).split()).casefold()

    def words_of(i: int) -> str:
        if i not in read:
            read[i] = words(labels[i])
        return read[i]

    def printed_twice(i: int) -> bool:
        found = same_key[key_of[i]]
        if len(found) < 2:
            return False
        if key_of[i] not in printed:
            printed[key_of[i]] = Counter(words_of(j) for j in found)
        return printed[key_of[i]][words_of(i)] > 1

    def entry_text(i: int) -> bool:
        rest = _rest_of_line(text, labels[i]).strip()
        return _toc_entry_text(rest) or printed_twice(i)

    def comes_again(i: int) -> bool:
        """The next line with the same label repeats this one's words, or begins them (a
        contents entry may add its page or article range: `総則（第一条―第二十八条）`);
        `Part II` in a later table of amendments repeats no heading."""
        mine = words_of(i)
        j = next_same.get(i)
        for _ in range(_TOC_LOOKAHEAD):  # a bounded walk: `Division 1` heads a division in every Part
            if j is None:
                return False
            theirs = words_of(j)
            if mine == theirs or (mine and theirs and (mine.startswith(theirs) or theirs.startswith(mine))):
                return True
            j = next_same.get(j)
        return False

    body_at = next((i for i in heads if _rest_of_line(text, labels[i]).strip() and not entry_text(i)), len(labels))
    toc: list[int] = []
    run: list[int] = []
    seen: Counter = Counter()
    for i in heads:
        if i >= body_at:
            break
        lab = labels[i]
        seen[key_of[i]] += 1
        is_entry = len(same_key[key_of[i]]) > seen[key_of[i]] and comes_again(i) and entry_text(i)
        contiguous = bool(run) and not text[labels[run[-1]].line_end : lab.line_start].strip()
        if is_entry and (not run or contiguous):
            run.append(i)
            continue
        if _is_toc(text, labels, run):
            toc.extend(run)
        run = [i] if is_entry else []
    if _is_toc(text, labels, run):
        toc.extend(run)
    drop = set(toc)
    return [lab for i, lab in enumerate(labels) if i not in drop]


# R16: a line that ends on one of these closes its sentence (or its lead-in); quotes and brackets
# after the mark stay with it.
_CLOSING_MARKS = ".:;!?。；：！？"
_CLOSERS = "\"'”’)]）」』"


def _continues_sentence(text: str, lab: Label) -> bool:
    """R16: a label at a line start that only continues the sentence of the line before is text.
    The line before ends without closing punctuation, with no blank line between, and the label
    reads on: it repeats the number the line ends on in words (`within seven` / `(7) days`), it is
    a decimal or a division's number glued to a point (`Section 1.10(b) as promptly as`), or one
    read on in lower case after a word that cites it (`set out in Section` / `2.05 or 4.04.`). A list under a lead-in without a colon
    (`does not apply to` / `(a) any ...`, a statute's way) and a heading before a label are no such
    case: an item's text may begin in lower case, and the word a line ends on says nothing alone.
    Each look goes back over the white space before the label, one word and at most a heading's
    length of the line before, so the whole pass is linear."""
    if lab.mid_line or lab.kind not in ("decimal", "number", "item", "division"):
        return False
    end = lab.line_start
    while end > 0 and text[end - 1].isspace():
        end -= 1
    if text.count("\n", end, lab.line_start) > 1:
        return False  # a blank line ends a paragraph: a heading, a list lead-in stand before one
    mark = end
    while mark > 0 and text[mark - 1] in _CLOSERS:
        mark -= 1
    if mark == 0 or text[mark - 1] in _CLOSING_MARKS:
        return False
    begin = end
    while begin > 0 and not text[begin - 1].isspace() and end - begin < 40:
        begin -= 1
    window = max(0, end - 120)  # a heading is shorter than this: a longer line is read no further back
    newline = text.rfind("\n", window, end)
    if (newline >= 0 or window == 0) and _heading_line(text[newline + 1 : end]):
        return False
    if lab.kind == "division" and lab.style == "exhibit":
        return _attachment_reads_on(text, lab, text[begin:end])
    word = text[begin:end].lower().strip("(\"'“‘")
    if lab.kind == "item" and lab.text.strip().startswith("(") and lab.token.isdecimal():
        parts = word.split("-")
        if all(p in LABEL_NUMBERS for p in parts) and sum(LABEL_NUMBERS[p] for p in parts) == lab.value:
            return True  # "within seven" / "(7) days"
    if lab.kind in ("decimal", "division"):
        after = text[lab.end : min(lab.line_end, lab.end + 40)]
        following = after.split(None, 1)[0] if after.strip() else ""
        reads_on = following[:1].isalpha() and following[:1].islower()
        return after.startswith("(") or (reads_on and word in _CITING_WORDS)
    return False


# R16: the quotation marks that open a quoted amendment, with the mark that closes it.
_QUOTES = {"‘": "’", "“": "”", "'": "'", '"': '"', "«": "»", "„": "“", "「": "」"}
_OPENING_QUOTE = re.compile(r"[:：][ \t]*([‘“'\"«„「])")
_QUOTE_AFTER_COLON = re.compile(r"[:：]\s*[‘“'\"«„「]")  # no quotation without one of these
_QUOTE_LINES_MAX = 400  # a quotation not closed within this many lines is none (a stray mark)


def quoted_amendments(text: str, labels: list[Label]) -> list[tuple[int, int]]:
    """R16: the spans of text quoted inside an amending article (`Article 12 is replaced by the
    following:` / `‘1. Member States shall ...` ... `...’;`): a quotation mark after a colon (on
    the same line, or at the start of the next line) directly before a label, up to the end of
    the first line that ends on the closing mark (a full stop, semicolon, comma or bracket may
    follow it). A paragraph of the quotation may reopen it (`“（一）…`, the Chinese and British
    way). A quotation whose closing mark is lost (a footnote cut off, a repeated line blanked) is
    none: it ends unclosed at a line that starts with a division or with a label printed like the
    quoting clause's own that does not continue the quotation's own list (`Article 107`; `四十一、`
    after `四十、…：` / `“（一）…`; but `2.` after `1. …: '1. …`), or after `_QUOTE_LINES_MAX`
    lines. One pass over the lines."""
    starts = {lab.line_start: lab for lab in labels if not lab.mid_line}
    spans: list[tuple[int, int]] = []
    open_at, closer, outer, inner, lines_in, after_colon, pos = None, "", None, None, 0, False, 0
    quoting: Label | None = None  # the last line-start label: the clause a quotation would stand in
    for line in text.split("\n"):
        body = line.rstrip()
        lab = starts.get(pos)
        if open_at is None:
            quoting = lab or quoting
            lead = len(line) - len(line.lstrip())
            if after_colon and body[lead : lead + 1] in _QUOTES:
                at = lead
            else:
                m = _OPENING_QUOTE.search(line)
                at = m.start(1) if m else None
            inner = _label_after(line, pos, at + 1) if at is not None else None
            if inner is not None:
                open_at, closer, lines_in = pos + at, _QUOTES[line[at]], 0
                outer = quoting.style if quoting is not None else None
        else:
            lines_in += 1
            if lab is not None and inner is not None and lab.style == inner.style and lab.value == (inner.value or 0) + 1:
                inner = lab  # the quotation's own list goes on
            elif lines_in > _QUOTE_LINES_MAX or (lab is not None and (lab.kind == "division" or lab.style == outer)):
                open_at, quoting = None, lab  # unclosed: no quotation
        quoted = body.rstrip(".;,)]")
        if open_at is not None and quoted.endswith(closer) and pos + len(quoted) - 1 > open_at:
            spans.append((open_at, pos + len(line)))
            open_at = None
        if body.strip():
            after_colon = body.endswith((":", "："))
        pos += len(line) + 1
    return spans


def _label_after(line: str, line_start: int, at: int) -> Label | None:
    """The clause label that begins right after a quotation mark (`‘1. ...`, `“(c) ...`,
    `'Article 2`), if one does."""
    found = scan_line(line[at : at + PREFIX_CHARS], line_start + at)
    return found[0] if found and found[0].start == line_start + at and found[0].kind != "bullet" else None


def drop_quoted_labels(text: str, labels: list[Label]) -> list[Label]:
    """R16: labels inside a quoted amendment make no clause: the quotation is the text of the
    article that quotes it."""
    spans = quoted_amendments(text, labels) if _QUOTE_AFTER_COLON.search(text) else []
    return _outside(labels, spans)


def _outside(labels: list[Label], spans: list[tuple[int, int]]) -> list[Label]:
    """The labels that begin in none of `spans` (sorted, disjoint `(start, end)` pairs)."""
    if not spans:
        return labels
    ends = [end for _, end in spans]
    kept = []
    for lab in labels:
        k = bisect.bisect_left(ends, lab.start)
        if k < len(spans) and spans[k][0] <= lab.start < spans[k][1]:
            continue
        kept.append(lab)
    return kept


def _attachment_reads_on(text: str, lab: Label, word: str) -> bool:
    """R13: an attachment word at a line start that only carries on the sentence before (`... the
    services described in` / `Exhibit D-1.`) is a wrapped cross-reference, not an attachment: the
    line before ends on a word in lower case, and the mention is not printed as a heading is
    (in capitals, alone on its line) unless its line reads on (`EXHIBIT A.`, `EXHIBIT A, which`)."""
    if not (word.isalpha() and word.islower()):
        return False
    after = text[lab.end : min(lab.line_end, lab.end + 2)].lstrip(" \t")[:1]
    reads_on = lab.text.rstrip()[-1:] in ".,;:" or (after.isalpha() and after.islower()) or (after != "" and after in ",.;:)")
    return reads_on or not lab.text.isupper()


# The words after which a line-start decimal read on in lower case is the rest of a citation
# (`set out in Section` / `2.05 or 4.04.`): every language's reference words, but not `and` / `or`,
# which end a list's items. A clause may begin in lower case (`9.4.1 when using ...`): alone that
# says nothing.
_CITING_WORDS = REFERENCE_WORDS - {"and", "or"}


def _heading_line(line: str) -> bool:
    """A heading in capitals (`GENERAL TERMS`) or in title case (`General Terms`): what follows it
    begins anew, whatever its first word."""
    words = line.split()
    if not words or len(words) > 8:
        return False
    if line.isupper():
        return True
    return len(words) > 1 and all(w[:1].isupper() or not w[:1].isalpha() or w in _TITLE_SMALL_WORDS for w in words)


_TITLE_SMALL_WORDS = frozenset("a an and as at by for from in of on or the to with".split())


def _without_furniture(text: str, labels: list[Label], read_layout: bool = False) -> tuple[str, list[Label]]:
    """R15: the text as the parser reads it, page furniture blanked (same offsets, so spans
    still cover it), and the labels that stood on furniture lines (`- 12 -` is no bullet).
    For a text whose reader knew its layout (`read_layout`: a PDF's pages, an HTML page's
    blocks), the running lines are the reader's call, made by position (`stages.formats`):
    a line that comes back three times there is a quotation, a cross-reference, a form."""
    label_lines = {lab.line_start for lab in labels if not lab.mid_line}
    furniture = layout.furniture_lines(text, label_lines, repeated_lines=not read_layout)
    if not furniture:
        return text, labels
    starts = {start for start, _ in furniture}
    return layout.mask(text, furniture), [lab for lab in labels if lab.line_start not in starts]


def drop_contents_blocks(text: str, labels: list[Label]) -> list[Label]:
    """R14: labels inside a table of contents under a contents title, wherever it stands
    (front of the agreement or of an exhibit), make no clauses: entries run together on one
    line, entries with page numbers, entries that never come again."""
    keys = {lab.line_start: _key(lab) for lab in labels if not lab.mid_line}
    return _outside(labels, layout.contents_blocks(text, keys))


def _toc_entry_text(rest: str) -> bool:
    return is_heading_like(_without_page_number(rest)) or not rest.strip()


def _without_page_number(rest: str) -> str:
    """`rest` without a trailing page number and the dot leader before it (`Term ..... 4`).
    str.rstrip, not a regex ending in `[.…]*\\d+$`, which is quadratic in a long run of dots."""
    number = rest.rstrip(WHITESPACE)
    digits_at = len(number)
    while digits_at and number[digits_at - 1].isdecimal():
        digits_at -= 1
    if digits_at == len(number):
        return rest
    return number[:digits_at].rstrip(".·…" + WHITESPACE)


def _is_toc(text: str, labels: list[Label], run: list[int]) -> bool:
    if not run:
        return False
    if len(run) >= 3:
        return True
    return bool(_CONTENTS_TITLE.match(_line_before(text, labels[run[0]].line_start)))


def _line_before(text: str, pos: int) -> str:
    """The last non-blank line before `pos`, found backwards from it without copying the
    text before it."""
    end = pos
    while end > 0 and text[end - 1].isspace():
        end -= 1
    return text[text.rfind("\n", 0, end) + 1 : end]


def without_endnotes(labels: list[Label], start_at: int) -> list[Label]:
    """R13: editorial notes after the law (an Australian compilation's `Endnotes`: abbreviation
    key, legislation and amendment history tables) hold thousands of labels that cite the law
    (`Part II`, `s 6`, `Schedule 1<TAB>...`) and none of its own: from the first notes heading
    after the body's start to the end, no label starts a clause, and the notes are text of the
    clause before them. A notes heading before the body (a contents entry `Endnotes`) is the
    preamble's text, as every label before `start_at` is."""
    cut = next((i for i in range(start_at, len(labels)) if labels[i].kind == "notes"), len(labels))
    return labels[:cut]


# The labels that name a block of the text (an attachment, a Part or Division): one in the first
# cell of a table row is a row that cites it, not its heading.
_BLOCK_STYLES = frozenset({"exhibit"}) | GROUPING_DIVISIONS


def drop_table_rows(text: str, labels: list[Label]) -> list[Label]:
    """R13: an attachment or division word in the first cell of a table row is no heading. A
    table flattened to text keeps one row per line with its cells apart by a tab: a heading
    line whose label is followed by a tab, with a line next to it (before or after) that has
    two cells too, is a row of a table (`Schedule 1<TAB>rs No 197, 2012` in an amendment
    history). A heading alone with a tab after its number stays a heading: one line with a tab
    is no table. A run of spaces is no cell gap here: in a page filed as one line it stands for
    a line break (`EXHIBIT 1     Programs ...` heads the exhibit). Each label reads its own line
    and the two beside it."""
    out = []
    for lab in labels:
        if lab.kind == "division" and lab.style in _BLOCK_STYLES and not lab.mid_line and _cells_apart(text, lab.end, lab.line_end):
            before = text.rfind("\n", 0, max(lab.line_start - 1, 0)) + 1 if lab.line_start else None
            after_end = text.find("\n", lab.line_end + 1)
            after_end = len(text) if after_end < 0 else after_end
            row_before = before is not None and _cells_apart(text, before, lab.line_start - 1, inner=True)
            row_after = lab.line_end < len(text) and _cells_apart(text, lab.line_end + 1, after_end, inner=True)
            if row_before or row_after:
                continue
        out.append(lab)
    return out


def _cells_apart(text: str, start: int, end: int, inner: bool = False) -> bool:
    """A tab between cells in `text[start:end]`: after the label (`start` is its end), or, with
    `inner`, between two cells of a line (not its indentation)."""
    if inner:
        while start < end and text[start] in " \t":
            start += 1
    tab = text.find("\t", start, end)
    return tab >= 0 and (not inner or tab > start)


def body_start(labels: list[Label]) -> int:
    """Index of the label that opens the body: the first division of a statute, else the
    first label of the longest 1, 2, 3, ... sequence of top-level numbers, else the first
    label. Labels before it belong to the preamble (recitals, instructions, title pages)."""
    if not labels:
        return 0
    for i, lab in enumerate(labels):
        if lab.kind == "division" and lab.style in DIVISION_RANK and lab.style != "exhibit":
            if (lab.mid_line or lab.bare) and lab.value != 1:
                continue  # inside a run-on line (or misread) only the first division opens the body
            return i
    best_len, best_start = 0, None
    for style in {lab.style for lab in labels if lab.kind == "number" and not lab.mid_line}:
        expect, run_start, length = 1, None, 0
        for i, lab in enumerate(labels):
            if lab.kind == "number" and lab.style == style and not lab.mid_line and lab.value == expect:
                if run_start is None:
                    run_start = i
                expect += 1
                length += 1
        if length > best_len or (length == best_len and run_start is not None and best_start is not None and run_start < best_start):
            best_len, best_start = length, run_start
    if best_start is not None:
        first_decimal = next(
            (i for i, lab in enumerate(labels) if lab.kind == "decimal" and not lab.mid_line and not lab.long), None
        )
        if first_decimal is not None and first_decimal < best_start and labels[first_decimal].path[0] == 1:
            return first_decimal
        return best_start
    # an attachment begins only after the body: an EDGAR cover line `EXHIBIT 10.41` before the
    # agreement is its preamble's (R13)
    return next(
        (i for i, lab in enumerate(labels) if not lab.mid_line and not lab.bare and not lab.long and lab.style != "exhibit"),
        len(labels),
    )


def heading_labels(text: str) -> list[Label]:
    """R5 for documents without numbers: standalone heading lines (seed 004's "General",
    "Definition of Terms", ...) head the top level, bullets nest under them."""
    out: list[Label] = []
    pos = 0
    lines = text.split("\n")
    offsets = []
    for line in lines:
        offsets.append(pos)
        pos += len(line) + 1
    next_filled: list[int | None] = [None] * len(lines)  # index of the next non-blank line
    for n in range(len(lines) - 2, -1, -1):
        next_filled[n] = n + 1 if lines[n + 1].strip() else next_filled[n + 1]
    for n, line in enumerate(lines):
        s = line.strip()
        if not s or indent_width(line) > 0 or s[-1] in ".。:：;；,，" or len(s.split()) > 8:
            continue
        if not is_heading_like(s, max_words=8):
            continue
        prev_blank = n == 0 or not lines[n - 1].strip()
        if not prev_blank or next_filled[n] is None:
            continue
        start = offsets[n] + (len(line) - len(line.lstrip()))
        out.append(
            Label("heading", "heading", None, "", None, "", start, start, start, offsets[n], offsets[n] + len(line), 0)
        )
    return out


# ---------------------------------------------------------------------------- build


class _Outline:
    """The stack of open levels, and the nodes placed so far."""

    def __init__(self, labels: list[Label], text: str) -> None:
        self.labels = labels
        self.text = text
        self.stack: list[_Node] = []
        self.nodes: list[_Node] = []
        self.used: Counter = Counter()
        self.headings = 0
        self.top_bullets = 0
        self.has_books = any(lab.kind == "division" and lab.style == "book" for lab in labels)
        self.top_last: dict[str, int] = {}  # last value per style at the top level
        self.article_last: int | None = None  # articles are numbered through the whole law
        # R13: several supplementary blocks (the 附則 of each amending act) are supp1, supp2, ...
        self.supplementary_blocks = sum(1 for lab in labels if lab.style == "supplementary")
        self.has_exhibits = any(lab.style == "exhibit" for lab in labels)  # else no id is scoped by one
        self.supplementary_seen = 0
        self.block_scoped: dict[int, bool] = {}  # id of a supplementary block -> its articles are its own
        self.words_until: dict[int, int] = {}  # line end -> where its words end (is_heading_like_at)
        self.printed_apart = _printed_apart(labels)  # decimals printed both with and without zeros
        self.label_lines = {lab.line_start: lab for lab in labels if not lab.mid_line}  # line -> the label it starts with
        self.sectioned_articles: set[int] = set()  # ids of articles whose `Section N.` restart at 1

    # -- helpers
    def _ids(self, wanted: str, node: _Node) -> str:
        self.used[wanted] += 1
        if self.used[wanted] == 1:
            return wanted
        unique = f"{wanted}#{self.used[wanted]}"
        node.anomalies.append(f"duplicate_number: {wanted} appears again; this one is {unique}")
        return unique

    def _pop_to(self, node: _Node | None) -> None:
        if node is None:
            self.stack.clear()
            return
        while self.stack and self.stack[-1] is not node:
            self.stack.pop()

    def _scope(self) -> str:
        if not self.has_exhibits:
            return ""
        exhibit = next((n for n in self.stack if n.division == "exhibit"), None)
        return f"{exhibit.clause_id}." if exhibit else ""

    def _push(self, node: _Node, wanted_id: str) -> _Node:
        node.clause_id = self._ids(wanted_id, node)
        if node.style is not None and node.value is not None:
            self._last(node.parent)[node.style] = node.value
            if node.style == "article" and not node.scoped:
                self.article_last = node.value
        if node.parent is not None:
            node.parent.has_children = True
        self.stack.append(node)
        self.nodes.append(node)
        return node

    def _node(self, lab: Label, parent: _Node | None, **kw) -> _Node:
        start = lab.start
        if lab.mid_line:
            before = lab.start  # the last non-space character before the label, found backwards
            while before > lab.line_start and self.text[before - 1].isspace():
                before -= 1
            if before > lab.line_start and not _stands_apart(self.text, before, lab.start):
                start = lab.line_start  # "Special tips for 9.4 Minor users": the line is the clause's
            if self.nodes:
                start = max(start, self.nodes[-1].label.end if self.nodes[-1].label else self.nodes[-1].start)
        kw.setdefault("style", lab.style)
        return _Node("", parent, lab, start, value=lab.value, indent=lab.indent, **kw)

    def _expecting(self, lab: Label) -> _Node | None:
        """The open level whose next number is this label's, if any. When two levels expect
        it (an inner list and the outer one), the one at the same indentation wins, then
        the one whose labels look alike (heading lines vs sentences), then the innermost."""
        inserted = _inserted_item(lab)
        matches = [
            n for n in self.stack
            if n.style == lab.style and n.value is not None and (n.value + 1 == lab.value or (inserted and n.value == lab.value))
        ]  # fmt: skip
        if len(matches) <= 1:
            return matches[0] if matches else None
        pool = [n for n in matches if n.indent == lab.indent] or matches
        if len(pool) > 1:
            shape = self._heading_line(lab)
            pool = [n for n in pool if n.label is not None and self._heading_line(n.label) == shape] or pool
        return pool[-1]

    def _heading_line(self, lab: Label) -> bool:
        until = self.words_until.get(lab.line_end)
        if until is None:
            until = self.words_until[lab.line_end] = lab.line_start + words_end(self.text[lab.line_start : lab.line_end])
        return is_heading_like_at(self.text, lab.body_start, lab.line_end, until)

    # -- placement
    def place(self, i: int) -> None:
        lab = self.labels[i]
        if lab.kind == "division":
            self._division(lab)
        elif lab.kind == "decimal":
            self._decimal(lab)
        elif lab.kind == "heading":
            self._heading(lab)
        elif lab.kind == "bullet":
            self._bullet(lab, i)
        else:
            self._sequence(lab)

    def _division(self, lab: Label) -> None:
        if (lab.mid_line or lab.bare) and not self._expected_division(lab):
            return  # a division inside a run-on line, or misread (`ARTICLE I1`), counts only where expected next
        if lab.style == "supplementary" and self._names_open_division(lab):
            return  # `CHAPTER XIII` / `FINAL PROVISIONS`: the chapter's heading on the next line, no block
        division = lab.style
        if division == "supplementary":
            division = "book" if self.has_books else "chapter"
        rank = DIVISION_RANK[division]
        if division == "exhibit":
            open_exhibit = next((n for n in self.stack if n.division == "exhibit"), None)
            if open_exhibit and open_exhibit.label and open_exhibit.label.token == lab.token and not open_exhibit.has_children:
                return  # the same exhibit's heading repeated on its next page
        while self.stack and self.stack[-1].rank >= rank:
            self.stack.pop()
        parent = self.stack[-1] if self.stack else None
        block = self._supplementary_block(lab) if division == "article" else None
        if lab.style == "supplementary":
            self.supplementary_seen += 1
            wanted = "supp" if self.supplementary_blocks == 1 else f"supp{self.supplementary_seen}"
        elif division == "exhibit":
            wanted = lab.token  # its kind and number: exhA, sch2, annex3 (R13)
        elif block is not None:
            wanted = f"{block.clause_id}.{DIVISION_ID_PREFIX[division]}{lab.token}"
        else:
            # the token, not the value: an inserted number keeps its insertion (art17-1, art44a: R10)
            wanted = self._under(division, f"{DIVISION_ID_PREFIX[division]}{lab.token}")
        node = self._node(lab, parent, rank=rank, division=division, style=division, scoped=block is not None)
        if division == "article" or (division == "provision" and lab.token.isdecimal()):
            node.path = (lab.value,)
        if division not in ("exhibit", "provision") and lab.style != "supplementary":
            self._check_sequence(parent, node, division, lab.value, str(lab.value))
        if lab.last is not None:
            node.value = lab.last  # a range (R10): the next number continues after its last
        self._push(node, wanted)

    def _names_open_division(self, lab: Label) -> bool:
        """The line before `lab` (blank lines between) is a division's label alone on its line
        (`Chapter VIII` / `Supplementary Provisions`): `lab`'s words are that division's heading."""
        last = self.nodes[-1] if self.nodes else None
        if last is None or last.division is None or last.label is None or last.label.mid_line:
            return False
        text = self.text
        return not text[last.label.body_start : last.label.line_end].strip() and not text[last.label.line_end : lab.start].strip()

    def _expected_division(self, lab: Label) -> bool:
        """`ARTICLE II` inside a line is the next article (the first one is `ARTICLE I`)."""
        if lab.style == "article":
            last = self.article_last
        else:
            holders = _HELD_BY.get(lab.style, ())
            holder = next((n for n in reversed(self.stack) if n.division in holders), None)
            last = self._last(holder).get(lab.style)
        return lab.value == (last or 0) + 1

    def _supplementary_block(self, lab: Label) -> _Node | None:
        """The open supplementary block that numbers this article itself (R13): any of several
        blocks (each amending act's 附則 restarts at 第一条), or a single block whose article
        does not continue the law's numbering. A single 附则 whose article continues it
        (第四百五十二条 after 第四百五十一条) leaves the article the law's: `art452`."""
        if not self.supplementary_blocks:
            return None
        block = next((n for n in reversed(self.stack) if n.label is not None and n.label.style == "supplementary"), None)
        if block is None:
            return None
        scoped = self.block_scoped.get(id(block))
        if scoped is None:  # decided by the block's first article
            restarts = self.article_last is not None and lab.value is not None and lab.value <= self.article_last
            scoped = self.block_scoped[id(block)] = self.supplementary_blocks > 1 or restarts
        return block if scoped else None

    def _under(self, division: str, wanted: str) -> str:
        """Chapters restart in each book and sections in each chapter, so their ids carry
        the holder's: `book3.ch2`, `ch2.sec1`, `book3.part1`, `part5.div2.subA` (articles and
        common-law sections run through the law). Inside an attachment the holder's id carries
        the attachment's; a division without holder gets it here (`sch2.part1`)."""
        holders = _HELD_BY.get(division, ())
        if not holders:  # articles and common-law sections run through the law
            return self._scope() + wanted
        holder = next((n for n in reversed(self.stack) if n.division in holders), None)
        return f"{holder.clause_id}.{wanted}" if holder else self._scope() + wanted

    def _last(self, parent: _Node | None) -> dict[str, int]:
        return parent.last_child if parent is not None else self.top_last

    def _check_sequence(self, parent: _Node | None, node: _Node, style: str, value: int | None, shown: str) -> None:
        """Record a gap, a step back or a list that does not start at 1 (duplicates are
        recorded when their id is made unique)."""
        if value is None:
            return
        last = self.article_last if style == "article" and not node.scoped else self._last(parent).get(style)
        if last is None:
            if value != 1 and style not in DIVISION_RANK:
                node.anomalies.append(f"list_start: the list starts at {shown}")
        elif value > last + 1:
            node.anomalies.append(f"number_gap: expected {last + 1}, found {shown}")
        elif value < last:
            node.anomalies.append(f"out_of_order: {shown} comes after {last}")

    def _decimal(self, lab: Label) -> None:
        path = lab.path
        assert path is not None
        parent = next((n for n in reversed(self.stack) if n.path == path[:-1]), None)
        expected = False
        if parent is not None:
            last = parent.last_child.get("N.N")
            expected = (last is None and path[-1] == 1) or (last is not None and last + 1 == path[-1])
        if (lab.mid_line or lab.long or lab.bare) and not expected:
            return
        anomaly = None
        if parent is None:
            parent = next((n for n in reversed(self.stack) if n.path and n.path == path[: len(n.path)]), None)
            if parent is None:
                parent = next((n for n in reversed(self.stack) if n.rank < _DYNAMIC_RANK), None)
            anomaly = f"missing_parent: there is no clause {'.'.join(map(str, path[:-1]))} for {'.'.join(map(str, path))}"
        self._pop_to(parent)
        node = self._node(lab, parent)
        node.style, node.path = "N.N", path
        if anomaly:
            node.anomalies.append(anomaly)
        elif not expected:
            last = self._last(parent).get("N.N")
            if last is not None and path[-1] > last + 1:
                node.anomalies.append(f"number_gap: expected {'.'.join(map(str, path[:-1] + (last + 1,)))}")
            elif last is not None and path[-1] < last:
                node.anomalies.append(f"out_of_order: {'.'.join(map(str, path))} comes after {'.'.join(map(str, path[:-1] + (last,)))}")
            elif last is None:
                node.anomalies.append(f"list_start: the numbering under {parent.clause_id if parent else 'the top'} starts at {path[-1]}")
        if lab.mid_line:
            node.anomalies.append(f"mid_line_label: {lab.text.strip()} stands inside a line")
        shown = _printed(lab) if path in self.printed_apart else ".".join(map(str, path))
        self._push(node, self._scope() + shown)

    def _choose_style(self, lab: Label) -> Label:
        """`(i)` after `(h)` is the letter i; after `(iii)` or at a list start, roman."""
        if lab.alt_style is None:
            return lab
        if self._expecting(lab):
            return lab
        roman_lab = lab._replace(style=lab.alt_style, value=lab.alt_value, token=lab.alt_token, alt_style=None)
        if self._expecting(roman_lab) or roman_lab.value == 1:
            return roman_lab
        letter = next((n for n in reversed(self.stack) if n.style == lab.style), None)
        numeral = next((n for n in reversed(self.stack) if n.style == roman_lab.style), None)
        if letter is not None and numeral is not None and letter.value is not None and numeral.value is not None:
            # both lists open: the reading that skips less (`(iii)` then `(v)`, a repealed `(iv)`,
            # under `(f)`: the numeral five, not the letter v sixteen letters on)
            if 0 < roman_lab.value - numeral.value < lab.value - letter.value:
                return roman_lab
        if lab.value == 1 or letter is not None:
            return lab
        if numeral is not None:
            return roman_lab
        return lab

    def _sequence(self, lab: Label) -> None:
        """Numbers (`1.`, `1、`, `一、`, `1 总则`, `Section 5`) and list items (`(1)`, `(a)`, ...)."""
        lab = self._choose_style(lab)
        value = lab.value
        sibling = self._expecting(lab)
        if sibling is not None:
            parent = sibling.parent
            self._pop_to(parent)
        elif self._opens_run_on_list(lab):
            parent = self.stack[-1]
        elif lab.mid_line or lab.long or (lab.bare and not (value == 1 and not self.nodes)):
            return  # a number inside a line, a bare number, a year-like number count only where expected
        elif value == 1:
            parent = self._definition(lab)
            if parent is None:
                parent = self._restart_parent(lab)
                self._pop_to(parent)
        else:
            same = [n for n in self.stack if n.style == lab.style]
            parent = same[-1].parent if same else (self.stack[-1] if self.stack else None)
            self._pop_to(parent)
        node = self._node(lab, parent)
        if sibling is None:
            self._check_sequence(parent, node, lab.style, value, lab.token)
        if lab.last is not None:
            node.value = lab.last  # a range (R10): the next item continues after its last
        if lab.mid_line:
            node.anomalies.append(f"mid_line_label: {lab.text.strip()} stands inside a line")
        self._push(node, self._sequence_id(node, lab))

    def _definition(self, lab: Label) -> _Node | None:
        """R11: a list that starts again under an unlabelled lead-in paragraph belongs to that
        paragraph. A statute's definitions are unlabelled paragraphs (`agency means:`) that each
        carry their own `(a)`, `(b)` ...; cited as "paragraph (a) of the definition of agency in
        subsection 6(1)". Where a clause holds a list and another one starts at its first item
        after a lead-in paragraph of its own (not the clause's first words: a sentence or another
        list stands between), each such paragraph becomes a clause `6(1)[k]` (an inferred ordinal,
        as R5's) and its list nests under it: `6(1)[2](a)`. The first list of the clause, if a lead-in
        paragraph of that kind stood before it too, is moved under `6(1)[1]` when the second one
        shows the pattern. Returns the paragraph's clause, or None (the list is placed as before)."""
        if lab.kind != "item" or lab.mid_line or not self.stack:
            return None
        lead = next((n for n in reversed(self.stack) if n.style == _LEAD_IN), None)
        if lead is not None:
            holder = lead.parent
        else:
            same = [n for n in self.stack if n.style == lab.style]
            holder = same[-1].parent if same else None
        if holder is None or not (lab.style in holder.last_child or _LEAD_IN in holder.last_child):
            return None
        start = self._lead_in_start(lab, self.nodes[-1].start if self.nodes else -1)
        if start is None:
            return None
        if _LEAD_IN not in holder.last_child:
            self._lead_in_first_list(holder, lab.style)
        self._pop_to(holder)
        node = _Node("", holder, None, start, style=_LEAD_IN, value=holder.last_child.get(_LEAD_IN, 0) + 1, inferred=True)
        return self._push(node, f"{holder.clause_id}[{node.value}]")

    def _lead_in_start(self, lab: Label, floor: int) -> int | None:
        """Where the unlabelled lead-in paragraph before `lab` begins, if one stands right before
        it on a line of its own and is not the first words of the clause before: it ends open (a
        colon, a dash, or words that are no heading: `... It includes`), and before it stands a
        sentence that is closed, or a label line that is no bare heading. Reads back at most
        `_LEAD_IN_LINES` lines, each once; the paragraph begins after `floor` (the clause before)."""
        text = self.text
        if lab.line_start == 0:
            return None
        end = lab.line_start - 1
        begin = text.rfind("\n", 0, end) + 1
        last = text[begin:end].strip()
        if begin in self.label_lines or not last:
            return None
        # a heading begins with a capital; `business transaction includes` is a short lead-in
        open_words = last[-1] not in ".;,)" and (last[0].islower() or not is_heading_like(last))
        if not (last[-1] in _LEAD_IN_ENDS or open_words):
            return None
        for _ in range(_LEAD_IN_LINES):
            if begin == 0:
                return None
            before_end = begin - 1
            while before_end > 0 and not text[before_end - 1 : before_end].strip() and text[before_end - 1] == "\n":
                before_end -= 1  # blank lines between: the line before them
            before = text.rfind("\n", 0, before_end) + 1
            line = text[before:before_end].strip()
            closed = bool(line) and bool(_CLOSED_LINE.search(line))
            label = self.label_lines.get(before)
            if label is not None:
                # a list item ends its sentence, whatever its case (`b. Bundesorgane.`, `b. federal bodies.`)
                bare_heading = label.kind != "item" and is_heading_like(text[label.body_start : label.line_end])
                return max(begin, floor + 1) if closed and not bare_heading else None
            if closed or not line or before_end < begin - 1:
                return max(begin, floor + 1) if closed else None
            begin = before
        return None

    def _lead_in_first_list(self, holder: _Node, style: str) -> None:
        """The first list of `holder` in `style`, placed before any lead-in paragraph was seen:
        if a lead-in paragraph stood before it too, it becomes `holder[1]` and the list moves
        under it (ids, parents and levels of the list's clauses follow)."""
        at = len(self.nodes) - 1  # the holder's clauses follow it: read back to it, not the whole document
        while at >= 0 and self.nodes[at] is not holder:
            at -= 1
        at = next((i for i in range(at + 1, len(self.nodes)) if self.nodes[i].parent is holder and self.nodes[i].style == style), None)
        if at is None or self.nodes[at].label is None:
            return
        start = self._lead_in_start(self.nodes[at].label, self.nodes[at - 1].start)
        if start is None:
            return
        lead = _Node("", holder, None, start, style=_LEAD_IN, value=1, inferred=True)
        lead.clause_id = self._ids(f"{holder.clause_id}[1]", lead)
        holder.last_child[_LEAD_IN] = 1
        lead.has_children = True
        moved = self.nodes[at:]
        self.nodes[at:at] = [lead]
        renamed = {id(holder): (holder.clause_id, lead.clause_id)}
        for n in moved:
            if n.parent is holder:
                n.parent = lead
                old_prefix, new_prefix = renamed[id(holder)]
            elif id(n.parent) in renamed:
                old_prefix, new_prefix = renamed[id(n.parent)]
            else:
                continue
            if n.clause_id.startswith(old_prefix):
                old = n.clause_id
                self.used[_DUP_MARK.sub("", old)] -= 1
                n.clause_id = self._ids(new_prefix + old[len(old_prefix) :], n)
                renamed[id(n)] = (old, n.clause_id)
            n.level = n.parent.level + 1

    def _opens_run_on_list(self, lab: Label) -> bool:
        """R1, R3: an item inside a line begins a list only as the first item of the clause whose
        label opened that same line (a page filed as one line: `2.1 Clause 12 - INVOICING
        AND PAYMENT TERMS       (i) Clause 12.1(ii) of the GMA ...`)."""
        if not (lab.mid_line and lab.kind == "item" and lab.value == 1 and self.stack):
            return False
        top = self.stack[-1]
        return top.label is not None and top.label.line_start == lab.line_start and not top.has_children

    def _restart_parent(self, lab: Label) -> _Node | None:
        """Where a list that (re)starts at 1 goes. Under the current clause as a sublist
        (R2, R3: `5、` then `1、` gives 5.1, an indented or full-width `１．` under `1.`) —
        but a label never nests under an open sibling printed the same way at the same
        indentation (`(a)` after `(a)`), nor deeper than three lists of its own style:
        there it starts a new list beside the innermost of its style. So repeated list
        starts are siblings, ids `(a)#2`, and the depth of the tree does not grow with
        the document (`(a) (b) (a) (b) ...` does not nest forever)."""
        same = [n for n in self.stack if n.style == lab.style]
        if same and (_same_label(same[-1], lab) or len(same) >= _SAME_STYLE_DEPTH):
            return same[-1].parent
        return self.stack[-1] if self.stack else None

    def _sequence_id(self, node: _Node, lab: Label) -> str:
        parent = node.parent
        if self._article_section(parent, lab):
            node.path = parent.path + (lab.value,)
            return self._scope() + ".".join(map(str, node.path))
        if lab.kind == "number" and (parent is None or parent.division == "exhibit"):
            node.path = (lab.value,)
            return self._scope() + lab.token
        if lab.kind == "number" and lab.style in _JOIN_DECIMAL_STYLES and parent.path and parent.division is None:
            node.path = parent.path + (lab.value,)
            return f"{parent.clause_id}.{lab.token}"
        return f"{parent.clause_id}({lab.token})" if parent else f"({lab.token})"

    def _article_section(self, parent: _Node | None, lab: Label) -> bool:
        """`ARTICLE II` / `SECTION 1.  Amount and Terms`: a contract's sections that restart at 1
        in each article are that article's, numbered like its decimals (`2.1`, as `Section 2.01`
        would be: R1, R6). Sections numbered through the whole contract keep their list ids."""
        if lab.style != "Section" or parent is None or parent.division != "article" or not parent.path:
            return False
        if "Section" not in parent.last_child:  # the article's first section decides for all
            if lab.value == 1:
                self.sectioned_articles.add(id(parent))
        return id(parent) in self.sectioned_articles

    def _heading(self, lab: Label) -> None:
        self.stack.clear()
        self.headings += 1
        node = self._node(lab, None, rank=DIVISION_RANK["book"], inferred=True)
        node.style = "heading"
        self._push(node, f"[{self.headings}]")

    def _bullet(self, lab: Label, i: int) -> None:
        # R4: a lone bullet exactly where a number is missing: (n) before, (n+2) after.
        nxt = self.labels[i + 1] if i + 1 < len(self.labels) else None
        marker = lab.text.strip()[:1]
        for n in reversed(self.stack):
            if n.rank < _DYNAMIC_RANK:
                break
            if n.label is not None and n.label.kind == "item" and n.style.startswith(marker) and n.indent == lab.indent:
                if nxt is not None and nxt.style == n.style and n.value is not None and nxt.value == n.value + 2:
                    self._pop_to(n.parent)
                    value = n.value + 1
                    node = self._node(lab, n.parent, inferred=True)
                    node.style, node.value = n.style, value
                    token = format_item_token(n.style, value)
                    node.anomalies.append(
                        f"inferred_number: unlabelled item between ({n.label.token}) and ({nxt.token}) read as ({token})"
                    )
                    parent_id = n.parent.clause_id if n.parent else ""
                    self._push(node, f"{parent_id}({token})")
                    return
                break
        # R5: bullets nest by indentation; unlabelled ones get [k].
        indent = lab.indent
        prev = self._open_bullet(lab)
        if prev is not None:
            parent, k = prev.parent, (prev.value or 0) + 1
        else:
            j = len(self.stack) - 1
            while j >= 0 and self.stack[j].style == "bullet" and self.stack[j].indent > lab.indent:
                j -= 1
            parent = self.stack[j] if j >= 0 else None
            # a bullet has no number, so it never restarts a list: under a parent that holds
            # bullets already it is the next one (never `[1]#2`) ...
            k = (parent.last_child.get("bullet", 0) if parent is not None else 0) + 1
            deeper = self.stack[j + 1] if j + 1 < len(self.stack) else None
            if deeper is not None and self._next_of_list(deeper, lab):
                indent = deeper.indent  # ... and of that very list when nothing but blank lines came between
        self._pop_to(parent)
        if parent is None:
            self.top_bullets += 1
            k = self.top_bullets
        node = self._node(lab, parent, inferred=True)
        node.style, node.value, node.indent = "bullet", k, indent
        self._push(node, f"{parent.clause_id if parent else ''}[{k}]")

    def _open_bullet(self, lab: Label) -> _Node | None:
        """R5: the open bullet this one follows: one at its indentation, above it on the stack
        only deeper bullets and list items indented at least as far (a bullet's nested `(i)`,
        `(ii)` close when the next bullet of the list comes)."""
        for n in reversed(self.stack):
            if n.rank < _DYNAMIC_RANK or n.label is None or n.label.kind not in ("item", "bullet") or n.indent < lab.indent:
                return None
            if n.style == "bullet" and n.indent == lab.indent:
                return n
        return None

    def _next_of_list(self, deeper: _Node, lab: Label) -> bool:
        """R5: a bullet printed shallower than the open bullet list under the same parent, with
        the same marker and nothing but blank lines (or page furniture, blanked) since the last
        clause's paragraph: the next item of that list, its indentation lost at a page break.
        After a paragraph of other text it is a list of its own (still numbered on)."""
        if deeper.style != "bullet" or deeper.label is None or deeper.label.text.strip()[:1] != lab.text.strip()[:1]:
            return False
        last = self.nodes[-1]
        since = last.label.line_start if last.label is not None else last.start
        end = lab.line_start
        while end > since and self.text[end - 1].isspace():
            end -= 1
        return _PARAGRAPH_BREAK.search(self.text, since, end) is None


_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")


def _inserted_item(lab: Label) -> bool:
    """R10: `(1A)`, `(2B)`: a subsection inserted after its base by amendment (its value is the
    base's), which follows the base or an earlier insertion as a sibling, never opens a list."""
    base = str(lab.value)
    return lab.kind == "item" and lab.token != base and lab.token.startswith(base) and lab.token[len(base) :].isupper()


def _stands_apart(text: str, before: int, start: int) -> bool:
    """A label inside a line begins its clause where it stands when a sentence or a heading in
    capitals ends before it, or a run of spaces stands for a line break (a page filed as one
    line: `... as follows:     ARTICLE ONE DEFINITION     1.1 Unless ...`)."""
    if text[before - 1] in ".;:!?。；：" or start - before >= 3:
        return True
    word_start = before
    while word_start > 0 and not text[word_start - 1].isspace() and before - word_start < 40:
        word_start -= 1
    word = text[word_start:before]
    return len(word) > 1 and word.isupper()


_PRINTED_DECIMAL = re.compile(r"\d+(?:\.\d+)+")


def _printed(lab: Label) -> str:
    """A decimal label's number as printed (`Section 1.01.` -> `1.01`)."""
    m = _PRINTED_DECIMAL.search(lab.text)
    return m.group() if m else ".".join(map(str, lab.path or ()))


def _printed_apart(labels: list[Label]) -> set[tuple[int, ...]]:
    """The decimal numbers a document prints in two forms (`1.01` and `1.1`): their ids keep
    the printed form, so that neither is a duplicate of the other (R10). Elsewhere a printed
    zero is dropped (`2.03` is `2.3`)."""
    forms: dict[tuple[int, ...], set[str]] = {}
    for lab in labels:
        if lab.kind == "decimal" and lab.path is not None:
            forms.setdefault(lab.path, set()).add(_printed(lab))
    return {path for path, printed in forms.items() if len(printed) > 1}


def _same_label(node: _Node, lab: Label) -> bool:
    """`lab` repeats `node`'s label: printed the same, and not indented deeper."""
    return node.label is not None and node.label.text.strip() == lab.text.strip() and lab.indent <= node.indent


# ----------------------------------------------------------------------------- read


def _own_text(text: str, node: _Node, end: int) -> str:
    lab = node.label
    if lab is None or lab.kind == "heading":
        return text[node.start : end]
    before, after = text[node.start : lab.start], text[lab.end : end]
    if not lab.mid_line:
        return before + " " + after
    # "Special tips for 9.4 Minor users" -> "Special tips for Minor users"; "Agreement 11.3:" -> "Agreement:"
    after = after.lstrip(" \t")
    glue = "" if not after or after[0] in ",.;:!?，。；：" else " "
    return before.rstrip(" \t") + glue + after


def _tidy(raw: str) -> str:
    return "\n".join([tidy for line in raw.split("\n") if (tidy := " ".join(line.split()))])


def _heading(node: _Node, own: str, has_children: bool) -> str | None:
    first, newline, _ = own.partition("\n")
    more = has_children or bool(newline)
    if node.division == "recital" or node.continued or node.style == _LEAD_IN:
        return None  # a recital is a sentence, never headed; so are a first line that runs on and a lead-in
    if node.label is not None and node.label.kind == "heading":
        return first
    if node.label is not None and node.label.style == "supplementary":
        return _cjk_tight(" ".join(node.label.text.split()))  # "附　　则" names itself
    if node.division == "exhibit" and node.label is not None and node.label.text in BACK_MATTER_BLOCKS:
        return node.label.text  # `AMENDMENTS NOT IN FORCE` names itself (R13)
    if not first:
        return None
    if node.division is not None and node.division != "article":
        return _cjk_tight(clean_heading(first)) if is_heading_like(first) or not more else None
    if more and is_heading_like(first):
        return _cjk_tight(clean_heading(first))
    m = _INLINE_HEADING.match(first)
    if m and (m.group(1).isupper() or len(m.group(1).split()) >= 2):
        return m.group(1)
    return None


def _cjk_tight(s: str) -> str:
    return _CJK_GAP.sub("", s)


def build_clauses(doc_id: str, text: str, read_layout: bool = False) -> tuple[list[Clause], list[str]]:
    """Parse `text` into clauses (document order) and document-level warnings. `read_layout`:
    the text is a format reader's view, whose page furniture the reader found already."""
    scanned = scan_labels(text)
    text, scanned = _without_furniture(text, scanned, read_layout)
    scanned = drop_table_rows(text, scanned)
    invalid = [lab for lab in scanned if lab.kind == "invalid"]
    labels = _resolve_sections([lab for lab in scanned if lab.kind != "invalid"])
    labels, originals = through_sections(text, labels)
    labels = drop_contents_blocks(text, labels)
    labels = drop_table_of_contents(text, labels)
    if originals:
        labels = sections_in_order(text, labels, originals)
    labels = drop_quoted_labels(text, labels)
    continuations = [lab for lab in labels if _continues_sentence(text, lab)]
    if continuations:
        dropped = {id(lab) for lab in continuations}
        labels = [lab for lab in labels if id(lab) not in dropped]
    warnings: list[str] = []
    numbered = [lab for lab in labels if lab.kind != "bullet" and not lab.mid_line and not lab.long]
    if not numbered and labels:
        labels = sorted(heading_labels(text) + labels, key=lambda lab: lab.start)
    labels, start_at, recital_nodes = _recitals(text, labels)
    labels = without_endnotes(labels, start_at)
    outline = _Outline(labels[start_at:], text)
    for i in range(len(outline.labels)):
        outline.place(i)
    if recital_nodes and outline.nodes:
        # a label inside the line of the last recital's closing words begins after that recital
        outline.nodes[0].start = max(outline.nodes[0].start, recital_nodes[-1].start + 1)
    nodes = recital_nodes + outline.nodes
    if not nodes:
        warnings.append("no numbering found: the whole text is one preamble clause")
    clauses: list[Clause] = []
    first_start = nodes[0].start if nodes else len(text)
    if text[:first_start].strip() or not nodes:
        preamble = _Node(PREAMBLE_ID, None, None, 0)
        if not nodes:
            preamble.anomalies.append("no_numbering: no clause label was found in the document")
        nodes.insert(0, preamble)
    else:
        nodes[0].start = 0  # leading blank lines belong to the first clause
    _mark_invalid_labels(nodes, invalid)
    _mark_continued(text, nodes, continuations)
    parents_with_children = {id(n.parent) for n in nodes if n.parent is not None}
    texts: dict[str, str] = {}
    for seq, node in enumerate(nodes):
        end = nodes[seq + 1].start if seq + 1 < len(nodes) else len(text)
        own = _tidy(_own_text(text, node, end))
        texts[node.clause_id] = own
        original = node.clause_id.split("#")[0]
        if original != node.clause_id and texts.get(original) == own:
            node.anomalies.append(f"duplicate_text: same text as {original}")
        lab = node.label
        clauses.append(
            Clause(
                doc_id=doc_id,
                clause_id=node.clause_id,
                parent_id=node.parent.clause_id if node.parent else None,
                level=node.level,
                seq=seq,
                label=lab.text.strip() if lab is not None and lab.text.strip() else None,
                number_inferred=node.inferred,
                heading=_heading(node, own, id(node) in parents_with_children),
                text=own,
                lang=None,
                char_start=node.start,
                char_end=end,
                anomalies=tuple(node.anomalies),
            )
        )
    warnings.extend(plausibility_warnings(text, clauses, labels))
    return clauses, warnings


def _recitals(text: str, labels: list[Label]) -> tuple[list[Label], int, list[_Node]]:
    """R12: the recitals before the body, as clauses `rec1`, `recA`, `rec[1]` at level 1; with the
    labels left for the outline and the index of the one that opens the body.

    The recitals run from their opener (`Whereas:`, `RECITALS`, the first `WHEREAS`) to the
    enacting formula (`HAVE ADOPTED THIS REGULATION`, `NOW, THEREFORE`) or, without one, to the
    body. Labels between opener and formula are the recitals' and never open the body (a
    contract's recitals `1.`, `2.`, `3.` are not its clauses 1 to 3); recitals that would stand
    after the body's start are none (a `WHEREAS` in an exhibit's form of resolution)."""
    start_at = body_start(labels)
    opened = recitals.opener(text)
    if opened is None:
        return labels, start_at, []
    closed = recitals.enacting_formula(text, opened)
    if closed is not None:
        outside = [lab for lab in labels if not opened <= lab.start < closed]
        outside_at = body_start(outside)
        if opened < (outside[outside_at].start if outside_at < len(outside) else len(text)):
            labels, start_at = outside, outside_at
    body_at = labels[start_at].start if start_at < len(labels) else len(text)
    if opened >= body_at:
        return labels, start_at, []
    nodes = []
    for rec in recitals.find(text, opened, min(closed, body_at) if closed is not None else body_at):
        label = None
        if rec.label is not None:
            # only the label's span is read: the recital's own line is not looked at again
            label = Label("item", rec.style, rec.value, rec.clause_id[3:], None, rec.label, rec.start, rec.label_end,
                          rec.label_end, rec.start, rec.label_end, 0)  # fmt: skip
        node = _Node(rec.clause_id, None, label, rec.start, style=rec.style, value=rec.value, division="recital")
        node.inferred = label is None
        nodes.append(node)
    return labels, start_at, nodes


def _mark_continued(text: str, nodes: list[_Node], continuations: list[Label]) -> None:
    """R16: a clause whose first line runs on into a continuation (`... set out in Section` /
    `2.05 or 4.04.`) has no heading, however short that first line is."""
    starts = [n.start for n in nodes]
    for lab in continuations:
        node = nodes[max(bisect.bisect_right(starts, lab.start) - 1, 0)]
        first = node.label.body_start if node.label is not None else node.start
        # on the line after the first: no newline between `first` and the line before the label's
        # (read backwards over that one line only)
        if node.start <= first < lab.line_start and text.rfind("\n", first, lab.line_start - 1) == -1:
            node.continued = True


def _mark_invalid_labels(nodes: list[_Node], invalid: list[Label]) -> None:
    """A label whose numeral is not a numeral (`第十十条`) is text of the clause it stands
    in; that clause says so."""
    starts = [n.start for n in nodes]
    for lab in invalid:
        node = nodes[max(bisect.bisect_right(starts, lab.start) - 1, 0)]
        node.anomalies.append(f"bad_number: {lab.text.strip()} is not a valid numeral")


def parse_document(doc: Document) -> Document:
    """Clause stage over a document record (rejected documents pass through)."""
    if not doc.ok:
        return doc
    text = doc.text
    if doc.furniture or doc.joins:
        text = layout.reader_view(text, doc.furniture, doc.joins)
    clauses, warnings = build_clauses(doc.doc_id, text, read_layout=doc.format in READ_LAYOUT)
    if doc.joins:
        clauses = [_dehyphenated(c) for c in clauses]
    if doc.page_starts:
        clauses = [_paged(c, doc.page_starts, text) for c in clauses]
    return replace(doc, clauses=tuple(clauses), warnings=doc.warnings + tuple(warnings))


READ_LAYOUT = frozenset({"pdf", "docx", "html"})  # formats whose reader says what the page furniture is


def _dehyphenated(clause: Clause) -> Clause:
    """A clause of a reader's view without the soft hyphens where its words were joined
    again (`layout.reader_view`)."""
    if layout.SOFT_HYPHEN not in clause.text and layout.SOFT_HYPHEN not in (clause.heading or ""):
        return clause
    heading = clause.heading.replace(layout.SOFT_HYPHEN, "") if clause.heading else clause.heading
    return replace(clause, text=clause.text.replace(layout.SOFT_HYPHEN, ""), heading=heading)


def _paged(clause: Clause, page_starts: tuple[int, ...], view: str) -> Clause:
    """A clause with the pages (1-based) of the first and last characters of its span that
    the parser read: page furniture and white space at either end do not count, so a clause
    that ends at the foot of page 3 is not said to reach page 4 because the next page's
    running header lies between it and the next clause."""
    span = view[clause.char_start : clause.char_end]
    first = clause.char_start + len(span) - len(span.lstrip())
    last = max(first, clause.char_start + len(span.rstrip()) - 1)
    return replace(
        clause,
        page_start=bisect.bisect_right(page_starts, first) or 1,
        page_end=bisect.bisect_right(page_starts, last) or 1,
    )
