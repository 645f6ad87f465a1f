"""Recitals (R12 of docs/clause-ids.md): where they stand before the body, and where each begins.

An act's recitals are numbered `(1)`, `(2)`, ... between its recital opener (`Whereas:`, `in
Erwägung nachstehender Gründe:`, `considérant ce qui suit:`) and its enacting formula (`HAVE
ADOPTED THIS REGULATION`); a contract's follow `RECITALS` / `BACKGROUND` / its first `WHEREAS`
and end at `NOW, THEREFORE` or `agree as follows` (or, without such words, where the body
begins). They are lettered (`A.`, `(B)`: `recA`, `recB`), numbered (`1.`: `rec1`) or unlabelled,
each beginning with the recital word (`WHEREAS, ...`: `rec[1]`, `rec[2]`). Title, parties and
citations before them stay in the preamble.

Contracts filed with whole pages on one line print their recitals inside a line (`... "Parties".
WHEREAS:     1. Party A owns ...;     2. In accordance ...`): a number there counts only when it is
the one expected next, as R1 counts a decimal inside a line. The words are the language modules'
(`stages.lang`), every known language's; every search here is one pass over the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from stages import lang
from stages.numbering import alternatives
from stages.textsearch import LineWords


def _alternatives(words) -> str:
    """The parser's alternation of `words` (longest first), a space in a phrase matching any run of spaces."""
    return alternatives(words).replace(r"\ ", r"[ \t]+")


def _words(field: str) -> list[str]:
    return [w for language in lang.known() for w in getattr(language, field)]


# Where a line, a sentence or a clause begins: recital words and formulas stand only there
# (`... agree as follows: ARTICLE I` ends the recitals; `the Council, whereas ...` does not open them).
_BOUNDARY = r"(?:^[ \t#>*]*|(?<=[.;:,)\"”])[ \t]+)"
_OPENER_RX = re.compile(rf"{_BOUNDARY}(?P<w>{_alternatives(_words('recital_openers')) or '(?!)'})(?![\w])", re.I | re.M)
# The enacting formula ends the recitals wherever it stands in a sentence (`the parties agree as follows:`).
_FORMULA_RX = re.compile(rf"(?<![\w])(?:{_alternatives(_words('enacting_formulas')) or '(?!)'})(?![\w])", re.I)
# `WHEREAS, ...` / `AND WHEREAS ...`: not `WHEREAS:`, which opens numbered recitals.
_WORD_RX = re.compile(rf"(?<![\w])(?P<w>{_alternatives(_words('recital_words')) or '(?!)'})(?![\w])(?![ \t]*:)", re.I)
_OPENER = LineWords(_OPENER_RX, _words("recital_openers"))
_FORMULA = LineWords(_FORMULA_RX, _words("enacting_formulas"))
_WORD = LineWords(_WORD_RX, _words("recital_words"))

# A recital's label where a line begins, after a sentence or clause inside one, or after a run of
# spaces that stands for a line break in a page filed as one line: `(1)`, `(A)`, `A.`, `1.`.
_LABEL = re.compile(
    r"(?:^|(?<=[.;:])|(?<=[ \t]{3}))[ \t]*(?P<label>\((?P<p>\d{1,3}|[A-Z])\)|(?P<d>\d{1,3}|[A-Z])[.)])(?=[ \t]+\S)", re.M
)


@dataclass(frozen=True, slots=True)
class Recital:
    """One recital: its id (`rec1`, `recA`, `rec[2]`), where it begins, and its label as printed
    (`(1)`, `A.`) with the label's end; an unlabelled recital keeps its `WHEREAS` in its text."""

    clause_id: str
    start: int
    label: str | None
    label_end: int
    style: str
    value: int
    mid_line: bool


def opener(text: str, end: int | None = None) -> int | None:
    """Where the recitals open (the first recital opener or recital word), before `end`."""
    end = len(text) if end is None else end
    found = _OPENER.search(text, 0, end)
    word = _first_word(text, 0, end)
    starts = [m for m in (found.start("w") if found else None, word) if m is not None]
    return min(starts) if starts else None


def enacting_formula(text: str, start: int, end: int | None = None) -> int | None:
    """Where the recitals opened at `start` end: the first enacting formula after it."""
    found = _FORMULA.search(text, start, len(text) if end is None else end)
    return found.start() if found else None


def _first_word(text: str, start: int, end: int) -> int | None:
    for m in _WORD.finditer(text, start, end):
        if _counts_as_word(text, m):
            return m.start("w")
    return None


def _counts_as_word(text: str, m: re.Match) -> bool:
    """`WHEREAS` printed in capitals opens a recital wherever it stands; `Whereas` only where a
    line begins (a lower-case `whereas` inside a sentence is a conjunction)."""
    word = m.group("w")
    return word.isupper() or (word[0].isupper() and _at_line_start(text, m.start()))


def find(text: str, start: int, end: int) -> list[Recital]:
    """The recitals in `text[start:end]`: unlabelled ones after each recital word when there are
    any, else the labelled ones numbered 1, 2, 3, ... (or A, B, C, ...) in one style. A labelled
    run that begins at a line start takes only line-start labels; one that begins inside a line
    (a whole page on one line) takes each next number where it stands."""
    words = [m for m in _WORD.finditer(text, start, end) if _counts_as_word(text, m)]
    if words:
        return [
            Recital(f"rec[{k}]", _line_lead(text, m.start("w")), None, m.start("w"), "whereas", k, False)
            for k, m in enumerate(words, 1)
        ]
    out: list[Recital] = []
    style, at_line_start = None, False
    for m in _LABEL.finditer(text, start, end):
        raw = m.group("p") or m.group("d")
        value = int(raw) if raw.isdecimal() else ord(raw) - ord("A") + 1
        shape = ("(x)" if m.group("p") else "x" + m.group("label")[-1]) + ("1" if raw.isdecimal() else "A")
        mid_line = not _at_line_start(text, m.start("label"))
        if style is None:
            if value != 1:
                continue
            style, at_line_start = shape, not mid_line
        elif shape != style or value != out[-1].value + 1 or (at_line_start and mid_line):
            continue
        token = raw if raw.isdecimal() else raw.upper()
        out.append(Recital(f"rec{int(token) if raw.isdecimal() else token}", m.start("label"), m.group("label"),
                           m.end("label"), style, value, mid_line))  # fmt: skip
    return out


def _line_lead(text: str, pos: int) -> int:
    """A recital word's recital begins at its line's start when only white space precedes it."""
    begin = pos
    while begin > 0 and text[begin - 1] in " \t":
        begin -= 1
    return begin if begin == 0 or text[begin - 1] == "\n" else pos


def _at_line_start(text: str, pos: int) -> bool:
    """Only spaces stand before `pos` on its line (read backwards over them, not the whole line:
    a line can be a whole document)."""
    begin = _line_lead(text, pos)
    return begin != pos or pos == 0 or text[pos - 1] == "\n"
