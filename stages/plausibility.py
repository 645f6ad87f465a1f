"""Say when a parse looks wrong: document warnings for a clause tree that is implausible.

The parser always makes a tree, and a wrong tree looks like a right one in the tables: every
character is still in some clause. A reader who trusts ids needs to know when the numbering
was not understood, so the shapes a wrong parse leaves behind become a warning on the
document (issue 14, "say when a parse looks wrong"):

- one clause far longer than the rest holding many lines that start with a label: the
  parser did not read the numbering inside it (a contract whose `Section 1.01` labels it
  missed, recitals `(1)` ... `(180)` left in the preamble);
- lines that start with a label and made no clause, elsewhere;
- a list form nested in itself deeper than a numbering ever goes (`(a)` under `(i)` under
  `(a)` under `(ii)` ...: lower-case lists alternate letters and roman numerals two or three
  deep, never four);
- a contents title whose entries were read as clauses (a table of contents not recognised);
- many clause ids made unique with `#k` (numbers that came twice: read twice, or restarted).

Plain functions over the built clauses, the text as the parser read it (page furniture
blanked) and the labels the outline was given; each is linear in the text and the clauses,
and none changes the tree. The warnings name what was seen, with a line to look at.
"""

from __future__ import annotations

import bisect
import re
import statistics
from collections.abc import Sequence

from stages import layout
from stages.numbering import Label, scan_line
from stages.records import Clause

_LONG_FACTOR = 8  # "far longer": this many times the median clause of the document
_MIN_UNPLACED = 3  # fewer stray label lines than this are ordinary (a wrapped reference, a footnote)
_MAX_SAME_FORM = 3  # a list form nests in itself at most this deep (stages.clauses._SAME_STYLE_DEPTH)
# A document may print a number twice by a slip (its clause says duplicate_number); many
# duplicates, one clause in this many or more, are the parser reading something twice.
_DUPLICATE_SHARE = 20
_CONTENTS_LOOKAHEAD = 20  # lines read after a contents title: its first entries
_CONTENTS_ENTRIES = 3
_QUOTE_CHARS = 60
_ENTRY_WORDS = 12
_SENTENCE_END = ".;:,。；：，"
_FORM_PIECES = re.compile(r"\d+|[a-z]+|[A-Z]+|[〇零一二三四五六七八九十百千]+")
_FORM_KEYS = {"d": "1", "l": "a", "u": "A", "h": "一"}
_NON_SPACE = re.compile(r"\S")


def plausibility_warnings(text: str, clauses: Sequence[Clause], labels: Sequence[Label]) -> list[str]:
    """Warnings for an implausible tree. `text` is the text as the parser read it (furniture
    blanked, same offsets), `labels` the label proposals the outline was given (after tables
    of contents were dropped), `clauses` the tree in document order."""
    if not clauses:
        return []
    unplaced = unplaced_labels(text, clauses, labels)
    warnings: list[str] = []
    long_clause = _long_clause_with_labels(text, clauses, unplaced)
    if long_clause is not None:
        warnings.append(long_clause[0])
        unplaced = [lab for lab in unplaced if not long_clause[1].char_start <= lab.start < long_clause[1].char_end]
    if len(unplaced) >= _MIN_UNPLACED:
        first = unplaced[0]
        warnings.append(
            f"implausible tree: {len(unplaced)} lines that start with a label made no clause "
            f"(first at line {_line_number(text, first.line_start)}: {_quote(text, first)})"
        )
    warnings.extend(nesting_warnings(clauses))
    warnings.extend(contents_warnings(text, clauses, labels))
    duplicates = [c.clause_id for c in clauses if "#" in c.clause_id]
    if len(duplicates) >= _MIN_UNPLACED and len(duplicates) * _DUPLICATE_SHARE >= len(clauses):
        warnings.append(
            f"implausible tree: {len(duplicates)} clause ids are duplicates made unique with #k "
            f"(first: {duplicates[0]}); a number the parser met twice"
        )
    return warnings


def unplaced_labels(text: str, clauses: Sequence[Clause], labels: Sequence[Label]) -> list[Label]:
    """Labels at the start of a line that made no clause. Weak proposals are left out: bullets,
    numbers inside a line, bare numbers (`1 SR 101`, a footnote) and four-digit numbers (a
    year), which the parser takes only where it expects them."""
    starts = [c.char_start for c in clauses]
    out = []
    for lab in labels:
        if lab.mid_line or lab.bare or lab.long or lab.kind in ("bullet", "heading"):
            continue
        clause = clauses[max(bisect.bisect_right(starts, lab.start) - 1, 0)]
        if clause.char_start >= lab.line_start or _NON_SPACE.search(text, clause.char_start, lab.line_start) is None:
            continue  # this label's line starts the clause it stands in (read without copying the clause)
        out.append(lab)
    return out


def _long_clause_with_labels(text: str, clauses: Sequence[Clause], unplaced: list[Label]) -> tuple[str, Clause] | None:
    if len(clauses) < 2 or len(unplaced) < _MIN_UNPLACED:
        return None
    longest = max(clauses, key=lambda c: c.char_end - c.char_start)
    size = longest.char_end - longest.char_start
    others = statistics.median(c.char_end - c.char_start for c in clauses if c is not longest)
    if size < _LONG_FACTOR * max(others, 1):
        return None
    inside = [lab for lab in unplaced if longest.char_start <= lab.start < longest.char_end]
    if len(inside) < _MIN_UNPLACED:
        return None
    share = round(100 * size / max(len(text), 1))
    message = (
        f"implausible tree: clause {longest.clause_id} holds {share}% of the text and {len(inside)} lines that "
        f"start with a label but made no clause (first at line {_line_number(text, inside[0].line_start)}: "
        f"{_quote(text, inside[0])}); its numbering was not read"
    )
    return message, longest


def label_form(label: str) -> str:
    """A label's printed form without its number: `(iv)` -> `(a)`, `(B)` -> `(A)`, `（三）` -> `（一）`."""
    return _FORM_PIECES.sub(lambda m: _FORM_KEYS[_kind(m.group())], label)


def _kind(piece: str) -> str:
    if piece.isdecimal():
        return "d"
    if piece.islower():
        return "l"
    if piece.isupper():
        return "u"
    return "h"


def nesting_warnings(clauses: Sequence[Clause]) -> list[str]:
    """A list form nested in itself more than `_MAX_SAME_FORM` deep, once per document (the
    deepest). Divisions, decimal numbers (whose depth is their path) and inferred bullets
    (which nest by indentation) are not list forms. Parents come before their children, so
    one pass carries each chain's counts down."""
    chains: dict[str, dict[str, int]] = {}
    worst: tuple[int, str, str] | None = None
    empty: dict[str, int] = {}
    for c in clauses:
        counts = chains.get(c.parent_id, empty) if c.parent_id else empty  # shared until a form adds to it
        label = (c.label or "").strip()
        if label and label.startswith(("(", "（")) and not c.number_inferred:
            form = label_form(label)
            counts = {**counts, form: counts.get(form, 0) + 1}
            if counts[form] > _MAX_SAME_FORM and (worst is None or counts[form] > worst[0]):
                worst = (counts[form], c.clause_id, form)
        chains[c.clause_id] = counts
    if worst is None:
        return []
    depth, clause_id, form = worst
    return [
        f"implausible tree: clause {clause_id} nests the list form {form} {depth} levels deep in itself, "
        f"deeper than a numbering goes; its lists were read as nested where they follow each other"
    ]


def contents_warnings(text: str, clauses: Sequence[Clause], labels: Sequence[Label]) -> list[str]:
    """A contents title (`Contents`, `目次`, R14) whose entry lines became clauses: the table
    was not recognised and its entries were read as the body (the body's own clauses then
    come again as duplicates). A title over prose (`Contents` as the caption of a section
    on a report's contents) is not a table and says nothing."""
    label_lines = {lab.line_start for lab in labels if not lab.mid_line}
    clause_starts = sorted(c.char_start for c in clauses)
    out = []
    for start, end in layout.contents_titles(text, label_lines):
        line = text[start:end]
        # the entry lines after the title, up to the first line of prose or the first label
        # listed twice (the body's own heading after the table)
        entries = []
        listed = set()
        for _, (s, e) in zip(range(_CONTENTS_LOOKAHEAD), layout.lines_from(text, end + 1)):
            entry = text[s:e]
            if not entry.strip():
                continue
            key = next(((lab.kind, lab.style, lab.token) for lab in scan_line(entry, 0) if not lab.mid_line), None)
            if not _entry_like(entry) or (key is not None and key in listed):
                break
            listed.add(key)
            entries.append((s, e))
        if len(entries) < _CONTENTS_ENTRIES:
            continue
        # a clause that begins on an entry line (at its newline too, as the line's last place)
        if any(bisect.bisect_left(clause_starts, s) < bisect.bisect_right(clause_starts, e) for s, e in entries):
            out.append(
                f"implausible tree: the contents title at line {_line_number(text, start)} "
                f"({line.strip()[:_QUOTE_CHARS]!r}) was not read as a table of contents; its entries became clauses"
            )
    return out


def _entry_like(line: str) -> bool:
    """A line a table of contents could hold: a short heading without sentence punctuation
    (`1 Short title`, `Part I—Preliminary`, `第一章　総則（第一条―第二十八条）`), or an entry with
    its page number. Looser than `layout.is_contents_entry`, which must not take prose into
    a block: here the lines only have to look like a list of headings."""
    s = line.strip()
    if layout.is_contents_entry(s):
        return True
    cjk = sum(1 for ch in s if "\u3040" <= ch <= "\u9fff")
    return bool(s) and s[-1] not in _SENTENCE_END and (len(s.split()) <= _ENTRY_WORDS if not cjk else cjk <= 40)


def _line_number(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _quote(text: str, lab: Label) -> str:
    return repr(" ".join(text[lab.line_start : lab.line_end].split())[:_QUOTE_CHARS])
