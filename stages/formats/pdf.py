"""PDF reader: a PDF's text layer in reading order, with its pages, its page furniture and
its paragraphs (PDFium through pypdfium2, chosen by `bench/pdf_extract.py`).

A PDF holds glyphs at positions, not paragraphs. PDFium gives each page's text line by line
in reading order, and a box for every character; the lines' positions say the rest:

- **Paragraphs.** Lines of one paragraph follow each other at the document's usual line
  pitch; a paragraph ends where the next line is further down than that (a blank line is
  written there) or where its line stops short of the right margin. A line that reaches the
  margin and goes on below only wraps: its line break is listed in `joins`, and the parser
  reads it as a space (the text keeps the break, so `documents.text` shows the PDF's lines).
- **Page furniture (R15).** The first and last lines of a page that come back on at least
  three pages (a third of them, in long documents) with only their numbers changed, and
  page numbers alone at the top or bottom of a page, are running headers, footers and page
  numbers: listed in `furniture`, blanked for the parser, kept in the text.
- **Glyph repairs.** Ligature glyphs (`ﬁ`) are written as their letters, a hyphen that the
  font maps to U+00AD inside a line as `-`, and PDFium's generated non-breaking spaces as
  spaces. A soft hyphen at a line's end marks a hyphenated word: the parser's view joins
  the word again and clause text drops the hyphen (see `stages.clauses`).

Pages are separated by a line break; `page_starts` gives each page's first offset. A PDF
without any text is a scan; an encrypted one needs its password: both are rejected with
the reason, as is a file that is not a PDF or is damaged. Every page costs time linear in
its characters; the page count and the text size are bounded (`stages.formats` limits).
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from stages.formats import MAX_PAGES, MAX_TEXT_CHARS, Extracted, FormatError
from stages.layout import is_page_number
from stages.numbering import scan_line

_LIGATURES = re.compile("[\ufb00-\ufb06]")
# What PDFium writes for a hyphen it finds at a line's end, by version and font: U+00AD,
# U+FFFE or U+0002. All are read as U+00AD here (see `_repaired`).
_HYPHEN_MARKS = str.maketrans({"\ufffe": "\xad", "\x02": "\xad"})
_DIGITS = re.compile(r"\d+")
_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_SPACE = re.compile(r"\s")  # PDFium writes the spaces it infers as U+00A0
_FURNITURE_LINES = 3  # lines at the top and at the bottom of a page that may be furniture
_FURNITURE_BAND = 0.15  # ... and only within this share of the page's height from its edge
_REPEATED_MIN = 3
_REPEATED_SHARE = 0.3
_REPEATED_MAX_CHARS = 120  # a running header or footer is a short line
_PITCH_SHARE = 0.15  # a step this common among all is one of the document's line pitches
_GAP = 1.4  # a pitch this much larger than the usual one (and than the line's own height) leaves a gap
_INDENT = 0.5  # a line indented by half its font's height from the text's left edge starts with a space
_MAX_INDENT = 40
_CENTRE_INDENT = 0.05
_CENTRE_TOLERANCE = 0.03
_HEAD = 24  # characters at a line's start where a missing space is looked for
_TAB = 0.06  # a jump wider than this share of the font's height between two characters is a space
# The start of a list item or a division heading, which begins a line of its own after a
# sentence has ended: `(a)`, `1.`, `2.1`, `iv)`, `A.`, `Section 3`, `ARTICLE V`, a bullet.
_ITEM = re.compile(
    r"\s*(?:\(?(?:\d{1,3}(?:\.\d{1,3})*|[A-Za-z]{1,4})[.)]|\d{1,3}(?:\.\d{1,3})+|(?i:section|article|clause|schedule|exhibit|annex)\s|[•●◦▪‣·\-–—*])"
)
_PASSWORD_ERROR = getattr(pdfium_c, "FPDF_ERR_PASSWORD", 4)
_SECURITY_ERROR = getattr(pdfium_c, "FPDF_ERR_SECURITY", 6)
_FORMAT_ERROR = getattr(pdfium_c, "FPDF_ERR_FORMAT", 3)


@dataclass(slots=True)
class _Line:
    page: int
    text: str
    left: float
    right: float
    bottom: float
    top: float
    page_height: float
    first_word: float = 0.0  # the width of the line's first word

    @property
    def rule(self) -> bool:
        """A line drawn with dashes or underscores (`---------`): an underline or a rule,
        which a monospaced filing prints on a line of its own under the words it marks."""
        return not self.text.strip(" -_=‾—–")


def read(data: bytes) -> Extracted:
    """The text of a PDF's text layer, with its pages, furniture and wrapping line breaks."""
    pdf = _open(data)
    try:
        pages = len(pdf)
        if pages > MAX_PAGES:
            raise FormatError(f"the PDF has {pages:,} pages; lexnorm reads PDFs of up to {MAX_PAGES:,} pages")
        lines = list(_lines(pdf, pages))
    finally:
        pdf.close()
    if not any(line.text.strip() for line in lines):
        raise FormatError("no text layer (a scanned document?): OCR it first")
    return _assemble(lines, pages)


def _open(data: bytes) -> pdfium.PdfDocument:
    head = data[:1024]
    if b"%PDF-" not in head:
        what = "it is empty" if not data else "it does not start with %PDF-"
        raise FormatError(f"not a PDF file ({what})")
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        code = getattr(exc, "err_code", None)
        if code == _PASSWORD_ERROR:
            raise FormatError("encrypted PDF: it needs a password to be opened; save an unprotected copy") from None
        if code == _SECURITY_ERROR:
            raise FormatError("encrypted PDF with an unsupported security handler; save an unprotected copy") from None
        if code == _FORMAT_ERROR:
            raise FormatError("damaged PDF: its structure cannot be read (truncated or corrupted?)") from None
        raise FormatError(f"damaged PDF: {exc}") from None


def _lines(pdf: pdfium.PdfDocument, pages: int):
    """Every line of every page with its box, in reading order."""
    total = 0
    for index in range(pages):
        try:
            page = pdf[index]
        except pdfium.PdfiumError as exc:
            raise FormatError(f"damaged PDF: page {index + 1} cannot be read ({exc})") from None
        try:
            height = page.get_height() or 1.0
            textpage = page.get_textpage()
            try:
                raw = textpage.get_text_range()
                total += len(raw)
                if total > MAX_TEXT_CHARS:
                    raise FormatError(f"the PDF's text is longer than {MAX_TEXT_CHARS:,} characters")
                yield from _page_lines(textpage, raw, index, height)
            finally:
                textpage.close()
        except pdfium.PdfiumError as exc:
            raise FormatError(f"damaged PDF: page {index + 1} cannot be read ({exc})") from None
        finally:
            page.close()


def _page_lines(textpage, raw: str, page: int, height: float):
    """A page's lines. PDFium's text has one character per character index, its line
    breaks (`\\r\\n`) included, so a line's first and last characters give its box."""
    boxed = textpage.count_chars() == len(raw)
    pos = 0
    for piece in raw.split("\r\n"):
        text = piece.replace("\r", " ").replace("\n", " ")
        stripped = text.strip()
        if stripped and boxed:
            first = pos + (len(text) - len(text.lstrip()))
            last = pos + len(text.rstrip()) - 1
            left, bottom, _, top = textpage.get_charbox(first, loose=True)
            _, _, right, _ = textpage.get_charbox(last, loose=True)
            text = _spaced(textpage, text, pos, first, top - bottom)
            stripped = text.strip()
            space = _SPACE.search(stripped)
            word_end = first + (space.start() if space else len(stripped)) - 1
            word = textpage.get_charbox(word_end, loose=True)[2] - left if word_end != last else right - left
            yield _Line(page, _repaired(text.rstrip()), left, right, bottom, top, height, word)
        elif stripped:
            yield _Line(page, _repaired(text.rstrip()), 0.0, 0.0, 0.0, 0.0, height)
        pos += len(piece) + 2


def _spaced(textpage, text: str, pos: int, first: int, height: float) -> str:
    """`text` with a space where the head of the line (the first `_HEAD` characters, where
    labels and headings stand) has two characters drawn apart with no space between them in
    the text layer: `1.` set at a tab stop before `Party A owns`, `ARTICLE SIX` before its
    heading, `(iv)` before `“Taxes”`. The characters of a word are drawn edge to edge (their
    advance boxes touch, or overlap where a pair is kerned); a jump of more than `_TAB` of
    the font's height beyond the head's usual spacing is where a word ends."""
    end = min(len(text.rstrip()), first - pos + _HEAD)
    gaps: list[tuple[int, float]] = []
    right = None
    for k in range(first - pos, end):
        if text[k] == " ":
            right = None
            continue
        left, _, box_right, _ = textpage.get_charbox(pos + k, loose=True)
        if right is not None:
            gaps.append((k, left - right))
        right = box_right
    if not gaps:
        return text
    usual = sorted(gap for _, gap in gaps)[len(gaps) // 2]
    for k, gap in reversed(gaps):
        if gap - max(usual, 0.0) > _TAB * height:
            text = text[:k] + " " + text[k:]
    return text


def _repaired(text: str) -> str:
    """A line's glyphs as text: ligatures as letters, PDFium's generated no-break spaces as
    spaces, a hyphen PDFium marks (`_HYPHEN_MARKS`) inside the line as `-` (one at its end
    stays U+00AD: it marks a hyphenated word), control characters as spaces; NFC."""
    text = text.translate(_HYPHEN_MARKS)
    if "\xad" in text[:-1]:
        text = text[:-1].replace("\xad", "-") + text[-1]
    text = _LIGATURES.sub(lambda m: unicodedata.normalize("NFKC", m.group()), text.replace("\xa0", " "))
    if not text.isprintable():
        text = _CONTROLS.sub(" ", text)
    return unicodedata.normalize("NFC", text)


def _furniture(lines: list[_Line], pages: int) -> set[int]:
    """Indices of the lines that are page furniture. Among a page's first and last lines:
    page numbers; near its top or bottom edge and set apart from the body by a gap: lines
    that come back, numbers aside, on at least `_REPEATED_MIN` pages and a
    `_REPEATED_SHARE` of them. Anywhere on the page
    (a filing printed from a web page puts the original's page footers mid-page): short
    lines that come back on at least half the pages. A line that the document repeats a
    few times in its text (a quoted sentence) is neither."""
    by_page: dict[int, list[int]] = {}
    for i, line in enumerate(lines):
        by_page.setdefault(line.page, []).append(i)
    pitch = _pitch(lines, set())
    edges: set[int] = set()
    numbered: set[int] = set()
    for indices in by_page.values():
        ends = indices[:_FURNITURE_LINES] + indices[-_FURNITURE_LINES:]
        numbered.update(i for i in ends if is_page_number(lines[i].text))
        edges.update(_set_apart(lines, indices, pitch))
    shapes = [_DIGITS.sub("#", " ".join(line.text.split())) for line in lines]
    pages_of: dict[str, set[int]] = {}
    numbers: dict[str, list[tuple[int, list[int]]]] = {}
    for i, shape in enumerate(shapes):
        if len(shape) <= _REPEATED_MAX_CHARS:
            pages_of.setdefault(shape, set()).add(lines[i].page)
            if "#" in shape:
                numbers.setdefault(shape, []).append((lines[i].page, [int(n) for n in _DIGITS.findall(lines[i].text)]))
    for shape, seen in numbers.items():
        if not _counts_pages(seen):
            pages_of[shape] = set()  # `EXHIBIT 1`, `EXHIBIT 2` at the top of pages: headings, not a running header
    at_edge = max(_REPEATED_MIN, round(_REPEATED_SHARE * pages))
    anywhere = max(_REPEATED_MIN, (pages + 1) // 2)
    furniture = set()
    for i, shape in enumerate(shapes):
        seen = len(pages_of.get(shape, ()))
        if i in numbered:
            furniture.add(i)
        elif seen >= at_edge and (i in edges or seen >= anywhere) and any(ch.isalnum() for ch in shape):
            if not _starts_with_label(lines[i].text):
                furniture.add(i)
    return furniture


def _starts_with_label(line: str) -> bool:
    """Whether the parser reads a label at the start of `line` (`EXHIBIT 2`, `ARTICLE V`,
    `(a) Reserved.`): a numbered line is the document's own, however often it comes back
    (exhibits that begin a page each, one after the other, look like a counted header)."""
    return any(not label.mid_line and label.kind != "bullet" for label in scan_line(line, 0))


def _set_apart(lines: list[_Line], indices: list[int], pitch: float) -> list[int]:
    """A page's header and footer lines by position: of its first `_FURNITURE_LINES` lines,
    those above the first gap in the text; of its last, those below the last gap. A line
    that runs on from the body at the usual pitch is body text, whatever it says."""
    head = indices[:_FURNITURE_LINES]
    tail = indices[-_FURNITURE_LINES:]
    out: list[int] = []
    for k in range(len(head) - 1):
        if _gap(lines[head[k]], lines[head[k + 1]], pitch):
            out.extend(i for i in head[: k + 1] if _near_edge(lines[i], top=True))
            break
    for k in range(len(tail) - 1, 0, -1):
        if _gap(lines[tail[k - 1]], lines[tail[k]], pitch):
            out.extend(i for i in tail[k:] if _near_edge(lines[i], top=False))
            break
    return out


def _counts_pages(seen: list[tuple[int, list[int]]]) -> bool:
    """Whether the numbers of a repeated line are page numbers or stay the same: each of
    them is either constant or goes up with the page (`Page 3 of 9`, `- 4 -`, `10-Q 3`)."""
    first_page, first = seen[0]
    for page, values in seen[1:]:
        if len(values) != len(first):
            return False
        for a, b in zip(first, values):
            if a != b and b - a != page - first_page:
                return False
    return True


def _near_edge(line: _Line, top: bool) -> bool:
    """Whether `line` stands in the top (or bottom) `_FURNITURE_BAND` of its page."""
    if not line.page_height or line.top == line.bottom == 0.0:
        return True
    band = _FURNITURE_BAND * line.page_height
    return line.top >= line.page_height - band if top else line.bottom <= band


def _pitch(lines: list[_Line], furniture: set[int]) -> float:
    """The document's usual distance between the baselines of two lines of a paragraph: the
    smallest step from a line to the next that is common (paragraph gaps are larger steps,
    and in a text of short paragraphs they may be as many as the steps inside them)."""
    pitches = Counter()
    for i in range(1, len(lines)):
        a, b = lines[i - 1], lines[i]
        if a.page == b.page and i not in furniture and i - 1 not in furniture:
            step = round(a.bottom - b.bottom, 0)
            if step > 0:
                pitches[step] += 1
    if not pitches:
        return 0.0
    total = sum(pitches.values())
    return min(step for step, count in pitches.items() if count >= _PITCH_SHARE * total)


def _assemble(lines: list[_Line], pages: int) -> Extracted:
    furniture = _furniture(lines, pages)
    body = [line for i, line in enumerate(lines) if i not in furniture and line.right > line.left and not line.rule]
    pitch = _pitch(lines, furniture)
    rights = sorted(line.right for line in body)
    margin = rights[int(0.9 * (len(rights) - 1))] if rights else 0.0

    lefts = sorted(line.left for line in body)
    left_edge = lefts[len(lefts) // 10] if lefts else 0.0

    parts: list[str] = []
    page_starts: list[int] = []
    spans: list[tuple[int, int]] = []
    joins: list[int] = []
    pos = 0
    before: _Line | None = None  # the line before, whatever it is
    previous: _Line | None = None  # the last line of words (not furniture, not a rule)
    pending: list[int] = []  # the line breaks since `previous`
    for i, line in enumerate(lines):
        gap = False
        if parts:
            gap = before is not None and i not in furniture and _gap(before, line, pitch)
            parts.append("\n\n" if gap else "\n")
            pending.append(pos)
            pos += 2 if gap else 1
            if gap:
                previous, pending = None, []
        while len(page_starts) <= line.page:
            page_starts.append(pos)
        if i not in furniture and line.left > left_edge:
            line.text = " " * min(_MAX_INDENT, round((line.left - left_edge) / max(_INDENT * (line.top - line.bottom), 1.0))) + line.text
        parts.append(line.text)
        if i in furniture:
            spans.append((pos, pos + len(line.text)))
        else:
            if line.rule and before is not None and pending and not gap:
                joins.append(pending.pop())  # an underline belongs to the line it is under
            before = line
            if not line.rule:
                if previous is not None and _wraps(previous, line, left_edge, margin):
                    joins.extend(pending)
                previous, pending = line, []
        pos += len(line.text)
    while len(page_starts) < pages:
        page_starts.append(pos)
    return Extracted(
        text="".join(parts), format="pdf", page_starts=tuple(page_starts), furniture=tuple(spans), joins=tuple(joins)
    )


def _gap(line: _Line, following: _Line, pitch: float) -> bool:
    """Whether there is a blank line's space between two lines of a page: the next one is
    further down than the document's usual pitch (and than the line's own height) allows."""
    step = line.bottom - following.bottom
    return (
        line.page == following.page and pitch > 0 and step > _GAP * pitch
        and step > 1.2 * (line.top - line.bottom)
    )  # fmt: skip


def _wraps(line: _Line, following: _Line, left_edge: float, margin: float) -> bool:
    """Whether `line` only wraps into `following`: the first word of the next line would not
    have fitted at the end of this one (the test a typesetter's line breaking passes, for
    justified and ragged text alike); neither line is centred (a title); and the next line
    is not a list item that starts after a sentence has ended."""
    if line.right == line.left or following.right == following.left:
        return False
    space = 0.3 * max(line.top - line.bottom, 1.0)
    if line.right + space + following.first_word < margin:
        return False
    if _centred(line, left_edge, margin) or _centred(following, left_edge, margin):
        return False
    return not (line.text.rstrip().endswith((".", ";", ":")) and _ITEM.match(following.text))


def _centred(line: _Line, left_edge: float, margin: float) -> bool:
    """A line set in the middle of the text width: as far from the left edge as from the
    right margin, and clearly away from both."""
    width = max(margin - left_edge, 1.0)
    before, after = line.left - left_edge, margin - line.right
    return before > _CENTRE_INDENT * width and abs(before - after) < _CENTRE_TOLERANCE * width
