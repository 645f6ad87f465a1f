"""HTML pages (.html, .htm, .xhtml) to the lines a legal text is read in.

The page is parsed by libxml2's HTML parser (lxml), also for XHTML: it knows only HTML's
own named character references, so entities a page declares are never expanded, and it
loads nothing: no DTD, no stylesheet, no image, no script (`no_network`; the tree is only
read, never rendered). An XML parser would have to be told all of that, and would reject
the many XHTML pages that are not well-formed XML. A page whose DOCTYPE declares entities
is rejected outright: no HTML page needs them, and an "entity bomb" is made of them.

What a reader of the page sees becomes the text, in document order:
- block elements (paragraphs, headings, list items, table rows, ...) are lines, with a
  blank line between them; `<br>` ends a line within its block (one line break);
- inline white space is collapsed as a browser does, NBSP read as a space; `<pre>` keeps
  its lines and spaces;
- scripts, styles, the head, navigation (`<nav>`, `role="navigation"`), `hidden` elements,
  frames, drawings, form fields and comments are dropped (images: their `alt` too);
- a table row is one line: the first line of each cell goes on the line of the cell before
  it, apart by a tab (the parser reads tab-separated lines as table rows), or by a space
  where the row's first cell is only a label, `(1)`, `1.`, `(a)`, `a)`, `—`: the Official
  Journal of the EU lays recitals and points out as two-column tables (number | text),
  which read as `(1) text`. Further blocks of a cell (and the rows of a table nested in
  it) are lines of their own, each once.

The tree is walked with `lxml.etree.iterwalk` (no recursion); libxml2 stops at 256 levels
of nesting, and a page it had to cut short is rejected rather than read in part.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

from lxml import etree

from stages.formats import MAX_TEXT_CHARS, Extracted, FormatError
from stages.ingest import BOMS, DecodeError, decode

MAX_PAGE_BYTES = 4 * MAX_TEXT_CHARS  # a page beyond this is rejected before it is parsed (memory)
DECLARATION_WINDOW = 4096  # bytes in which a page's charset declaration is looked for

# An XML declaration's encoding, or a <meta charset=...> / <meta http-equiv content="...; charset=...">.
_DECLARED = re.compile(
    rb"""<\?xml[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:-]+)|<meta\b[^>]*?\bcharset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""",
    re.IGNORECASE,
)
# What browsers read the labels as (WHATWG Encoding): Latin-1 and ASCII pages are cp1252,
# GB2312 and GBK pages GB18030 (their supersets); a page that could be read to find its
# declaration is not UTF-16.
_READ_AS = {
    "iso-8859-1": "cp1252", "iso8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252", "l1": "cp1252",
    "us-ascii": "cp1252", "ascii": "cp1252", "windows-1252": "cp1252", "cp819": "cp1252",
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030",
    "utf-16": "utf-8", "utf-16le": "utf-8", "utf-16be": "utf-8", "unicode": "utf-8",
}  # fmt: skip
_SIGNATURES = (
    (b"%PDF-", "a PDF file"),
    (b"PK\x03\x04", "a ZIP archive (a Word .docx file?)"),
    (b"\xd0\xcf\x11\xe0", "an old Word/Office file (.doc)"),
    (b"{\\rtf", "an RTF file"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
)
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_MARKUP = re.compile(r"<[A-Za-z!?/]")
_INTERNAL_SUBSET = re.compile(r"<!DOCTYPE\b[^\[>]*\[", re.IGNORECASE)
_ENTITY_DECLARATION = re.compile(r"<!ENTITY", re.IGNORECASE)
_HTML_SPACES = " \t\n\r\f\u00a0"  # HTML's white space, and NBSP: a run collapses to one space
_SPACES = re.compile(f"[{_HTML_SPACES}]+")
# The first cell of a row that only numbers it: (1) 1. 1.2. (a) a) a. (iv) — • ‘(2) (a quoted amendment)
_LABEL = re.compile(
    r"[‘“'\"]?(?:\(\s*(?:[0-9]{1,4}[a-z]?|[a-z]{1,2}|[ivxlcdm]{1,8})\s*\)|(?:[0-9]{1,4}[a-z]?|[a-z]{1,2}|[ivxlcdm]{1,8})\)"
    r"|[0-9]{1,4}(?:\.[0-9]{1,4})*\.|[a-z]\.|[—–\-•·▪●○◦*])",
    re.IGNORECASE,
)

# Elements whose content is never the page's text. Not <embed>, <object>, <video> & co.: libxml2
# does not know all of them as empty, and reads what follows an unclosed one as its content.
_DROPPED = frozenset({
    "head", "title", "script", "style", "noscript", "template", "nav", "iframe", "svg", "select", "textarea",
})  # fmt: skip
_BLOCKS = frozenset({
    "html", "body", "address", "article", "aside", "blockquote", "caption", "center", "dd", "details",
    "dialog", "dir", "div", "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2",
    "h3", "h4", "h5", "h6", "header", "hgroup", "hr", "legend", "li", "listing", "main", "menu", "ol", "p",
    "plaintext", "pre", "section", "summary", "table", "tbody", "thead", "tfoot", "ul", "xmp", "option",
    "optgroup",
})  # fmt: skip
_PREFORMATTED = frozenset({"pre", "listing", "plaintext", "xmp"})
_CELLS = frozenset({"td", "th"})
_BLOCK_BREAK, _LINE_BREAK = "\n\n", "\n"


def read(data: bytes) -> Extracted:
    """An HTML or XHTML page's bytes -> its text, one block per line (see the module docstring);
    FormatError for bytes that are no HTML page, a page without text, or one beyond the limits."""
    text, encoding, warnings = _decoded(data)
    root = _parsed(text)
    lines = _Lines()
    walker = etree.iterwalk(root, events=("start", "end"))
    skipped = False  # the element just started was skipped: its end comes next, closing nothing
    for event, el in walker:
        tag = el.tag  # the HTML parser gives tags in lower case
        if event == "start":
            if tag in _DROPPED or type(tag) is not str or _hidden(el):
                walker.skip_subtree()
                skipped = True
                continue
            lines.open(tag)
            if el.text:
                lines.add(el.text)
        else:
            if skipped:
                skipped = False
            else:
                lines.close(tag)
            if el.tail and el is not root:
                lines.add(el.tail)
    out = lines.text()
    if not out:
        raise FormatError("the page has no text outside its scripts, styles and navigation: there is nothing to read")
    return Extracted(text=unicodedata.normalize("NFC", out), format="html", warnings=tuple(warnings), encoding=encoding)


def _hidden(el: etree._Element) -> bool:
    """Not shown to a reader: the `hidden` attribute, or navigation by its ARIA role."""
    attrib = el.attrib
    return bool(attrib) and ("hidden" in attrib or attrib.get("role", "").lower() == "navigation")


def _decoded(data: bytes) -> tuple[str, str, list[str]]:
    """The page's characters and the encoding they were read in: a byte-order mark decides, then the page's own declaration (XML
    declaration, <meta charset>), else UTF-8, else lexnorm's policy for plain text files
    (`stages.ingest.decode`: a page saved in a legacy encoding without saying so is read as
    a text file in it would be)."""
    if not data.strip():
        raise FormatError("the file is empty: there is no page to read")
    if len(data) > MAX_PAGE_BYTES:
        raise FormatError(f"the page is {len(data):,} bytes, more than the {MAX_PAGE_BYTES:,} bytes lexnorm reads; split it")
    for signature, what in _SIGNATURES:
        if data.startswith(signature):
            raise FormatError(f"this is {what}, not an HTML page: give the file its own suffix")
    warnings: list[str] = []
    text = None
    for bom, encoding in BOMS:
        if data.startswith(bom):
            plain = encoding.removesuffix("-sig")
            text, used = _strict(data[len(bom) :], plain, f"starts with a {plain} byte-order mark"), encoding
            break
    else:
        declared = _DECLARED.search(data, 0, DECLARATION_WINDOW)
        if declared:
            label = (declared.group(1) or declared.group(2)).decode("ascii").lower()
            encoding = _READ_AS.get(label, label)
            try:
                codecs.lookup(encoding)
            except LookupError:
                warnings.append(f"the page declares an encoding lexnorm does not know ({label!r}); it was read as UTF-8 or guessed")
            else:
                text, used = _strict(data, encoding, f"declares its encoding as {label}"), codecs.lookup(encoding).name
        if text is None:
            text, used = _undeclared(data, warnings)
    if _CONTROLS.search(text) and len(_CONTROLS.findall(text)) > max(16, len(text) // 100):
        raise FormatError("the file holds binary data (control characters), not an HTML page")
    if not _MARKUP.search(text):
        raise FormatError("the file has no HTML markup (no tags): if it is plain text, name it .txt")
    return text, used, warnings


def _strict(data: bytes, encoding: str, why: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise FormatError(
            f"the page {why} but is not valid {encoding} ({exc.reason} at byte {exc.start}): re-save it as UTF-8"
        ) from None


def _undeclared(data: bytes, warnings: list[str]) -> tuple[str, str]:
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        decoded = decode(data)
    except DecodeError as exc:
        raise FormatError(f"the page does not declare its encoding and {exc}") from None
    warnings.append(f"the page does not declare its encoding and is not UTF-8; it was read as {decoded.encoding}")
    warnings.extend(decoded.warnings)
    return decoded.text, decoded.encoding


def _parsed(text: str) -> etree._Element:
    """The page's element tree; FormatError where the page declares entities, or where libxml2
    could not build all of it (nesting beyond its limit, a text node beyond 10 MB)."""
    subset = _INTERNAL_SUBSET.search(text)
    if subset:  # <!DOCTYPE html [ ... ]>: the HTML parser would print the declarations as text
        close = text.find("]", subset.end())
        close = len(text) if close < 0 else close
        if _ENTITY_DECLARATION.search(text, subset.end(), close):
            raise FormatError(
                "the page declares its own entities (<!ENTITY> in its DOCTYPE): no HTML page needs them and "
                "lexnorm never expands them (an 'entity bomb' is made of them); remove the declarations"
            )
        text = text[: subset.end() - 1] + text[close + 1 :]
    parser = etree.HTMLParser(
        encoding="utf-8", no_network=True, remove_comments=True, remove_pis=True, remove_blank_text=False,
        default_doctype=False, collect_ids=False, huge_tree=False, compact=True,
    )  # fmt: skip
    try:
        root = etree.fromstring(text.encode("utf-8", "surrogatepass"), parser)
    except (etree.XMLSyntaxError, etree.ParserError, ValueError) as exc:
        raise FormatError(f"the page cannot be parsed as HTML: {exc}") from None
    cut = [e for e in parser.error_log if e.type_name == "ERR_RESOURCE_LIMIT" or "Excessive depth" in e.message]
    if cut:
        raise FormatError(
            f"the page is beyond what lexnorm reads of HTML ({cut[0].message.strip()}, line {cut[0].line}): "
            "markup nested that deep is no document"
        )
    if root is None:
        raise FormatError("the page has no elements: there is nothing to read")
    return root


class _Row:
    __slots__ = ("start", "joined")

    def __init__(self, start: int) -> None:
        self.start = start  # the number of lines before the row
        self.joined = False  # whether a cell was already put on the line of the cell before it


class _Lines:
    """The text being built: finished lines, the break before each, and the inline text of the
    line being read. Breaks are asked for at block edges; a line is made of the inline text
    when the next break comes (collapsed; empty lines are never made)."""

    def __init__(self) -> None:
        self.lines: list[list[str]] = []  # each line its pieces: a row's cells are appended, never re-joined
        self.breaks: list[str] = []  # the separator before each line ("" for the first)
        self.inline: list[str] = []
        self.pending = _BLOCK_BREAK
        self.pre = 0  # depth of preformatted elements
        self.inline_pre = False  # the inline text was read inside one
        self.rows: list[_Row] = []
        self.glue: tuple[str, _Row] | None = None  # the next line continues the row's last line
        self.size = 0

    def add(self, s: str) -> None:
        if not self.inline and not self.pre and not s.strip(_HTML_SPACES):
            return  # white space that starts a line: the markup's indentation
        self.inline.append(s)
        if self.pre:
            self.inline_pre = True

    def open(self, tag: str) -> None:
        if tag in _BLOCKS:
            self.flush(_BLOCK_BREAK)
            if tag in _PREFORMATTED:
                self.pre += 1
        elif tag == "br":
            self.flush(_LINE_BREAK)
        elif tag == "tr":
            self.flush(_BLOCK_BREAK)
            self.rows.append(_Row(len(self.lines)))
            self.glue = None  # a table in a cell after a label: its rows are lines of their own
        elif tag in _CELLS:
            self.flush(_BLOCK_BREAK)
            row = self.rows[-1] if self.rows else None
            if row is not None and len(self.lines) > row.start:
                label = not row.joined and len(self.lines) - row.start == 1 and _LABEL.fullmatch(self.lines[-1][0])
                self.glue = (" " if label else "\t", row)
                row.joined = True

    def close(self, tag: str) -> None:
        if tag in _BLOCKS or tag in _CELLS:
            self.flush(_BLOCK_BREAK)
            if tag in _PREFORMATTED:
                self.pre = max(self.pre - 1, 0)
        elif tag == "tr":
            self.flush(_BLOCK_BREAK)
            if self.rows:
                row = self.rows.pop()
                if self.glue is not None and self.glue[1] is row:
                    self.glue = None

    def flush(self, brk: str) -> None:
        """End the line being read (if it has text); the next one comes after `brk` at least."""
        if self.inline:
            raw, pre = "".join(self.inline), self.inline_pre
            self.inline, self.inline_pre = [], False
            if pre:
                for n, line in enumerate(raw.replace("\r\n", "\n").replace("\r", "\n").split("\n")):
                    if n:
                        self.pending = _LINE_BREAK if self.pending != _BLOCK_BREAK else self.pending
                    self._emit(line.rstrip().replace("\u00a0", " "))
            else:
                self._emit(_SPACES.sub(" ", raw).strip(" "))  # not str.strip(): U+3000 indents stay
        if brk == _BLOCK_BREAK or not self.pending:
            self.pending = brk

    def _emit(self, line: str) -> None:
        if not line.strip():
            return
        self.size += len(line) + 2
        if self.size > MAX_TEXT_CHARS:
            raise FormatError(f"the page's text is longer than {MAX_TEXT_CHARS:,} characters, more than lexnorm reads; split it")
        if self.glue is not None and self.lines:
            self.lines[-1] += (self.glue[0], line)
        else:
            self.breaks.append(self.pending if self.lines else "")
            self.lines.append([line])
        self.glue = None
        self.pending = ""

    def text(self) -> str:
        self.flush(_BLOCK_BREAK)
        return "".join(b + "".join(line) for b, line in zip(self.breaks, self.lines, strict=True))
