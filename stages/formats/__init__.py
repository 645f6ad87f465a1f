"""Readers of the formats agreements arrive in: PDF, Word (.docx) and HTML pages.

Each reader is a plain function `read(data: bytes) -> Extracted` over a file's bytes. It
turns the format's own structure into the lines a legal text is read in (a PDF's text in
reading order with its page boundaries, a Word file's paragraphs with their automatic
numbering printed, an HTML page's blocks), and says what the format tells about them that
plain text cannot: where each page starts, which lines are page furniture (running
headers and footers, page numbers), and which line breaks only wrap a paragraph.

`Extracted.text` becomes `documents.text`, the reference text that every clause offset
indexes: nothing of it is dropped, furniture included. The parser reads a *view* of it of
the same length (`stages.clauses`): furniture blanked, wrapping line breaks read as spaces.

A file that is not what its name says, is damaged, encrypted, has no text, or is too big
to read within the limits below raises `FormatError` with a message for the user: the
document is rejected, the run goes on.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

# Limits that bound what one file may cost (time and memory) before it is rejected.
MAX_PAGES = 5_000  # a PDF with more pages than this is rejected before any page is read
MAX_TEXT_CHARS = 50_000_000  # extracted text beyond this: rejected (a 1 GB stream, a bomb)
MAX_UNPACKED_BYTES = 200_000_000  # what the parts of a .docx may inflate to, all together
MAX_RATIO = 200  # ... and how much any one part may inflate (a zip bomb inflates 1,000×+)


class FormatError(ValueError):
    """The file cannot be read as its format; the message says why, for the user."""


@dataclass(frozen=True, slots=True)
class Extracted:
    """What a reader makes of a file.

    - `text`: the reference text, LF line ends, Unicode NFC (offsets below index it);
    - `format`: "pdf", "docx", "html" (plain files are "text" and "markdown");
    - `page_starts`: the offset where each page begins (PDF), else None;
    - `furniture`: (start, end) of whole lines that are page furniture (a PDF's running
      headers, footers and page numbers; a Word file's headers and footers), sorted and
      apart; the parser blanks them (R15), the reference text keeps them;
    - `joins`: offsets of the line breaks that only wrap a line of a paragraph (a PDF's
      lines reach the right margin and go on below); the parser reads them as spaces;
    - `warnings`: what the user should know, although the text could be read.
    """

    text: str
    format: str
    page_starts: tuple[int, ...] | None = None
    furniture: tuple[tuple[int, int], ...] = ()
    joins: tuple[int, ...] = ()
    warnings: tuple[str, ...] = ()
    encoding: str | None = None  # the character encoding the file declared or was read in (HTML)


# File suffix -> the format it is read as (its reader is the module of that name here).
SUFFIXES = {".pdf": "pdf", ".docx": "docx", ".html": "html", ".htm": "html", ".xhtml": "html"}
# Formats lexnorm does not read, with what to do instead: a well-kept reader of them would
# need LibreOffice itself (`soffice --headless --convert-to docx` converts them).
CONVERT_FIRST = {".doc": "a legacy Word file", ".rtf": "a Rich Text file", ".odt": "an OpenDocument text", ".wpd": "a WordPerfect file"}


def extract(fmt: str, data: bytes) -> Extracted:
    """Read `data` as `fmt` ("pdf", "docx", "html") with that format's reader, in this
    process. The reader's module (and its library) is imported on first use only: a run
    over text files never loads PDFium or lxml. A run reads files through
    `lexnorm.runtime.sandbox`, which calls this in a child process with bounded memory and
    time."""
    if fmt not in set(SUFFIXES.values()):
        raise FormatError(f"no reader for {fmt!r} files")
    return importlib.import_module(f"stages.formats.{fmt}").read(data)
