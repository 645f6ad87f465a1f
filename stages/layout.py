"""Line roles of a document's layout: what a printed page adds and what a table of contents
lists (the rules R14 and R15 of docs/clause-ids.md).

Legal texts reach lexnorm as they were filed, and filed texts carry their pages with them:
page numbers, running headers and footers, an EDGAR `<PAGE>` tag, a table of contents at the
front of the agreement or of an exhibit. None of it is structure. The functions here are plain
passes over the lines of a text, each linear in it; `stages.clauses` reads the text through
`mask_furniture` (page furniture blanked out, offsets unchanged, so every span still covers it)
and drops the labels that `contents_blocks` finds inside a table of contents.
"""

from __future__ import annotations

import re
from collections import Counter
from itertools import accumulate

from stages.numbering import han_count
from stages.textsearch import LineWords

# A page number alone on its line: `12`, `- 12 -`, `-9-`, `— 3 —`, `Page 3`, `Page 3 of 10`,
# `Page 3/10`, roman `ii` (front matter), `<PAGE>`; a form feed.
_PAGE_NUMBER = re.compile(
    r"[ \t\f]*(?:[-–—]?[ \t]*\d{1,4}[ \t]*[-–—]?|[ivxl]{1,6}|(?i:page)[ \t]+\d{1,4}(?:[ \t]*(?:/|(?i:of))[ \t]*\d{1,4})?"
    r"|<(?i:page)>|\f)[ \t\f]*"
)
SOFT_HYPHEN = "\xad"  # in a reader's view: where a hyphenated word is joined again (see `reader_view`)
_REPEATED_MIN = 3  # a running header or footer stands on at least this many pages
_REPEATED_MAX_CHARS = 100
# A page number's words are short (`Page 1234 of 1234`): a longer line is never one.
_PAGE_NUMBER_MAX_CHARS = 24
_CONTENTS_PHRASE = re.compile(r"(?i:table\s+of\s+contents|\bcontents\b)|目\s*[录錄次]|Inhaltsverzeichnis|Sommaire")
_CONTENTS_TITLE_MAX_CHARS = 80
# The title words' longest pieces, for the search that finds the lines to read.
_CONTENTS_WORDS = LineWords(_CONTENTS_PHRASE, ["table of contents", "contents", "目", "Inhaltsverzeichnis", "Sommaire"])
# What ends a contents entry: its page number (arabic, or roman in front matter) or a dot leader.
_PAGE_TAIL = re.compile(r"(?:\d{1,4}|[ivxl]{1,6}|\.{3,}|…+)\s*$")
# What a statute's contents entry ends in instead of a page number: the range of articles the
# division holds, in brackets (`（第一条―第二十八条）`, `（第一条至第八条）`, `(Articles 1-28)`, `(ss. 1–5)`).
_LOCATOR_RANGE = re.compile(
    r"[^()]{0,12}?(?:\d+|[〇零一二三四五六七八九十百千]+)[^()\d]{0,8}?\s*(?:[-–—―‐－~～〜]|至|到|から|to)\s*"
    r"[^()\d]{0,12}?(?:\d+|[〇零一二三四五六七八九十百千]+)[^()]{0,12}"
)
_LOCATOR_MAX_CHARS = 60
_INNER_PAGE = re.compile(r"[A-Za-z)] \d{1,3} +(?=[A-Z§])")
_HEADING_WORDS = 12
_SMALL_WORDS = frozenset("a an and as at by for from in of on or the to with".split())


def line_starts(lines: list[str]) -> list[int]:
    """The offset where each of `lines` (a text split at its newlines) begins."""
    return list(accumulate((len(line) + 1 for line in lines[:-1]), initial=0))


def lines_from(text: str, pos: int):
    """(start, end) of each line from the one that begins at `pos` on, read one at a time: a
    pass that stops early costs only the lines it read."""
    while pos <= len(text):
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        yield pos, end
        pos = end + 1


def contents_titles(text: str, label_lines: set[int] | frozenset[int] = frozenset()) -> list[tuple[int, int]]:
    """(start, end) of the lines that are contents titles (`is_contents_title`), in order.
    Only the lines that hold a title word are read (`textsearch.LineWords`)."""
    out: list[tuple[int, int]] = []
    read = -1
    for m in _CONTENTS_WORDS.finditer(text, 0, len(text)):
        start = text.rfind("\n", 0, m.start()) + 1
        if start == read:
            continue  # a second title word on a line already read
        read = start
        end = text.find("\n", m.start())
        end = len(text) if end < 0 else end
        if is_contents_title(text[start:end], start in label_lines):
            out.append((start, end))
    return out


def is_page_number(line: str) -> bool:
    """A line that holds nothing but a page number. Printed pages are numbered `12`, `- 12 -`,
    `Page 3 of 10`, front matter in lower-case roman numerals; a text layer or an EDGAR filing
    keeps them as lines of their own. A number alone on a line is never a label (a label has
    its dot, bracket or words), so reading it as furniture takes nothing from the structure."""
    return bool(line.strip()) and _PAGE_NUMBER.fullmatch(line) is not None


def _normal(line: str) -> str:
    return " ".join(line.split())


def _may_repeat_as_furniture(normal: str, starts_with_label: bool) -> bool:
    """A running header or footer is a short line of words (`CONFIDENTIAL TREATMENT
    REQUESTED`, `Source: STAMPS.COM INC, 10-Q, 11/14/2000`, `Table of Contents`): never a
    label line, a form line to fill in (`____`, a trailing colon, table cells) or a bare
    symbol."""
    return (
        0 < len(normal) <= _REPEATED_MAX_CHARS
        and not starts_with_label
        and not normal.endswith((":", "："))
        and "_" not in normal
        and any(ch.isalpha() for ch in normal)
    )


def furniture_lines(
    text: str, label_lines: set[int] | frozenset[int] = frozenset(), repeated_lines: bool = True
) -> list[tuple[int, int]]:
    """Spans of the lines that are page furniture (R15): page numbers, and running headers
    and footers, which are lines repeated word for word on at least three pages (unless
    `repeated_lines` is False: a reader that knew the pages found those already). A line
    that starts with a label (its start offset in `label_lines`) is never furniture: a
    repeated `(a) Reserved.` is the document's own text. Tab-separated table rows are
    content, whatever repeats in them.

    Every line is normalised once in a comprehension; the tests that cost Python per line
    run only on the lines that could pass them (short ones for page numbers, lines whose
    words come three times for headers and footers)."""
    lines = text.split("\n")
    normals = [" ".join(line.split()) for line in lines]
    repeated = set()
    if repeated_lines:
        repeated = {normal for normal, count in Counter(normals).items() if count >= _REPEATED_MIN and normal}
    starts = line_starts(lines)
    furniture: set[int] = set()
    if repeated:
        kept: Counter = Counter()
        candidates = [n for n, normal in enumerate(normals) if normal in repeated]
        for n in candidates:
            if "\t" not in lines[n] and _may_repeat_as_furniture(normals[n], starts[n] in label_lines):
                kept[normals[n]] += 1
        furniture.update(n for n in candidates if kept[normals[n]] >= _REPEATED_MIN and "\t" not in lines[n])
    furniture.update(
        n for n, normal in enumerate(normals) if 0 < len(normal) <= _PAGE_NUMBER_MAX_CHARS and is_page_number(lines[n])
    )
    return [(starts[n], starts[n] + len(lines[n])) for n in sorted(furniture)]


def mask(text: str, spans: list[tuple[int, int]]) -> str:
    """`text` with the characters of `spans` replaced by spaces: offsets and line breaks stay,
    so clause spans still cover the masked lines while labels and clause text ignore them."""
    if not spans:
        return text
    parts = []
    pos = 0
    for start, end in spans:
        parts.append(text[pos:start])
        parts.append(" " * (end - start))
        pos = end
    parts.append(text[pos:])
    return "".join(parts)


def reader_view(text: str, furniture: tuple[tuple[int, int], ...], joins: tuple[int, ...]) -> str:
    """The text as the parser reads a document whose reader knew its layout (a PDF's,
    `stages.formats`): the furniture it found blanked (R15), and each line break that only
    wraps a paragraph read as a space, so the paragraph is one line, as in a text file.
    Where the wrapped line ends in a hyphen after a letter (U+00AD: a hyphenated word; `-`:
    a word broken at its own hyphen, or hyphenated by a typesetter that wrote `-`, which
    cannot be told apart without a dictionary, so the hyphen stays), the break and the next
    line's indent become U+00AD instead, which clause text drops: `agree\xad` + `ment`
    reads `agreement`, `third-` + `party` reads `third-party`. Offsets do not move."""
    chars = list(mask(text, list(furniture)))
    n = len(chars)
    for at in joins:
        if not (0 <= at < n and chars[at] == "\n"):
            continue
        after = at + 1
        while after < n and chars[after] == " ":
            after += 1
        before = chars[at - 1] if at else ""
        if before == SOFT_HYPHEN or (before == "-" and at >= 2 and chars[at - 2].isalpha()):
            chars[at:after] = SOFT_HYPHEN * (after - at)
        else:
            chars[at] = " "
    return "".join(chars)


def mask_furniture(text: str, label_lines: set[int] | frozenset[int] = frozenset()) -> str:
    """The text as the parser reads it: page furniture blanked (R15)."""
    return mask(text, furniture_lines(text, label_lines))


def is_contents_title(line: str, starts_with_label: bool) -> bool:
    """A contents title: a short line naming the table (`TABLE OF CONTENTS`, `Contents`,
    `TABLE OF CONTENTS Page`, `Execution version TABLE OF CONTENTS: CLAUSE PAGE`, `目录`,
    `目次`, `Inhaltsverzeichnis`, `Sommaire`). A numbered line (`1. Table of Contents` in a
    specification) is a clause about the contents, not the title of a table."""
    s = line.strip()
    return bool(s) and len(s) <= _CONTENTS_TITLE_MAX_CHARS and not starts_with_label and _CONTENTS_PHRASE.search(s) is not None


def article_range_tail(line: str) -> bool:
    """A statute's contents entry: the line ends in the range of articles its division holds,
    in brackets, where other tables print a page number (`第一章　総則（第一条―第二十八条）`,
    `第二章　一般规定（第九条至第二十条）`, `Chapter 2 Scope (Articles 3-7)`). Only the
    last bracket is read, so the test is linear in the line."""
    s = line.rstrip()
    if not s.endswith((")", "）")):
        return False
    opening = max(s.rfind("("), s.rfind("（"))
    inner = s[opening + 1 : -1]
    return (
        0 <= opening
        and len(inner) <= _LOCATOR_MAX_CHARS
        and _LOCATOR_RANGE.fullmatch(inner) is not None
        and _title_cased(s[:opening])
    )


def paged_entry(line: str) -> bool:
    """Entries with their page numbers: the line ends in a page number or a dot leader, or
    entries run together carry their page numbers between them (`Definitions 1 ARTICLE II`);
    a statute's entries carry their article ranges instead (`article_range_tail`)."""
    s = line.strip()
    if article_range_tail(s):
        return True
    tail = _PAGE_TAIL.search(s)
    if tail is not None:
        return _title_cased(s[: tail.start()])  # the roman page number `i` is no lower-case word
    return bool(s) and _INNER_PAGE.search(s) is not None and _title_cased(s)


def is_contents_entry(line: str) -> bool:
    """A line a table of contents is made of: entries with page numbers (`paged_entry`), or a
    short title-cased heading line without sentence punctuation (`ARTICLE III LICENSES AND
    COVENANTS`, a wrapped entry), or no words at all (`[*]`). Running prose is not: it has
    lower-case words other than the small words of a title, or ends a sentence."""
    s = line.strip()
    if not s or not any(ch.isalpha() for ch in s) or paged_entry(s):
        return True
    return len(s.split()) <= _HEADING_WORDS and s[-1] not in ".;:,。；：，" and _title_cased(s)


def _title_cased(s: str) -> bool:
    cjk = han_count(s)
    if cjk:
        return not s.endswith("。") and cjk <= 40
    words = [w for w in s.split() if w[:1].isalpha()]
    lower = sum(1 for w in words if w[0].islower() and w.lower() not in _SMALL_WORDS)
    return lower * 5 <= len(words)


def contents_blocks(text: str, label_keys: dict[int, tuple]) -> list[tuple[int, int]]:
    """Spans of the tables of contents that open under a contents title (R14), wherever the
    title stands: the front of the agreement, the front of an exhibit. The block runs over
    the entry lines after the title (blank lines and furniture included, the text being
    masked) and ends at the first line of prose, or at a line whose line-start label the
    block has already listed: a table of contents names each clause once, so a label seen
    again is the body beginning right after it. A block counts only when some of its
    entries carry page numbers or dot leaders; the title alone over a redacted `[*]` is
    no table to drop labels from.

    `label_keys` maps the start offset of each line that starts with a label to that
    label's key."""
    blocks = []
    resume = 0  # the line after the last block: a title inside a block is one of its entries
    for start, end in contents_titles(text, label_keys.keys()):
        if start < resume:
            continue
        listed: set[tuple] = set()
        block_end = end
        paged = False
        resume = len(text) + 1
        for s, e in lines_from(text, end + 1):
            line = text[s:e]
            key = label_keys.get(s)
            if (key is not None and key in listed) or not is_contents_entry(line):
                resume = s
                break
            if key is not None:
                listed.add(key)
            paged = paged or paged_entry(line)
            if line.strip():
                block_end = e
        if paged:  # a title over entries without page numbers is left to the heading-only rule
            blocks.append((start, block_end))
    return blocks
