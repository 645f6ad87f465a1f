"""Finding a few words in a long text fast: the searches of the parser's whole-text passes.

Python's `re` steps through every character of a text for a pattern that opens with a
look-behind, a case-insensitive alternation or a word boundary, which is what the words of
legal structure need (`WHEREAS`, `TABLE OF CONTENTS`, `in Erwägung nachstehender Gründe`).
`str.find` on the lower-cased text finds a word's longest piece in a fraction of that time;
the pattern is then tried only on the lines that hold one. A text without any of the words,
which is most texts for most of them, costs one `str.find` per piece.
"""

from __future__ import annotations

import re
from functools import lru_cache


class LineWords:
    """A case-insensitive regex over a list of words and phrases, tried only on the lines that
    hold one of the words' longest pieces in the lower-cased text. Every match holds one of
    those pieces and stays on one line, so no match is missed; a text without any of them (a
    Chinese statute, most contracts' bodies) costs one `str.find` per word instead of the regex
    stepping through every character. Each piece's next place is looked up from where the last
    one ended, so the search stays one pass per piece."""

    def __init__(self, rx: re.Pattern, words: list[str]) -> None:
        """`rx` matches on one line and every match holds one of `words` (any case), each
        word's pieces separated by white space."""
        self.rx = rx
        self.pieces = sorted({max(w.lower().split(), key=len) for w in words})

    def finditer(self, text: str, start: int, end: int):
        folded = _lower(text)
        if len(folded) != len(text):  # lower-casing changed a length (`İ`): offsets differ
            yield from self.rx.finditer(text, start, end)
            return
        pos = start
        while pos < end:
            first = self._first_piece(folded, pos, end)
            if first is None:
                return
            line_begin = max(pos, text.rfind("\n", pos, first) + 1)
            line_end = text.find("\n", first, end)
            line_end = end if line_end < 0 else line_end
            yield from self.rx.finditer(text, line_begin, line_end)
            pos = line_end + 1

    def _first_piece(self, folded: str, pos: int, end: int) -> int | None:
        """Where the first piece at or after `pos` begins, looked for in windows that double:
        a piece found early costs no search of the rest of the text."""
        width = _WINDOW
        while True:
            until = min(end, pos + width)
            found = [at for piece in self.pieces if (at := folded.find(piece, pos, until)) >= 0]
            if found:
                return min(found)
            if until >= end:
                return None
            width *= 2

    def search(self, text: str, start: int, end: int) -> re.Match | None:
        return next(self.finditer(text, start, end), None)


_WINDOW = 4096


@lru_cache(maxsize=1)
def _lower(text: str) -> str:
    return text.lower()
